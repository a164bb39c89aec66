"""Solutions to the exercises of tutorials/14_mnist_mlp.py.

Run: python tutorials/solutions/14_mnist_mlp.py (SCRATCHNET_FAST=1 for fewer epochs). Like the
tutorial, it uses MNIST when its IDX files are in scratchnet's data folder, else the bundled digits.
"""
import numpy as np

from scratchnet import lesson
from scratchnet.data import one_hot, train_test_split
from scratchnet.datasets import load_digits, load_mnist
from scratchnet.layers import Dense, ReLU, softmax
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.model import Sequential
from scratchnet.optimizers import Adam

try:
    (x_train, y_train), (x_test, y_test) = load_mnist()
    x_train, y_train, x_test, y_test = x_train[:10000], y_train[:10000], x_test[:2000], y_test[:2000]
    EPOCHS, SOURCE = (5 if lesson.FAST else 10), "MNIST"
except FileNotFoundError:
    x, y = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=True, rng=0)
    EPOCHS, SOURCE = (20 if lesson.FAST else 50), "the bundled 8x8 digits"
x_train = x_train.reshape(len(x_train), -1).astype(np.float64)
x_test = x_test.reshape(len(x_test), -1).astype(np.float64)
D = x_train.shape[1]
print(f"data: {SOURCE}, train {x_train.shape}, test {x_test.shape}")


def mlp(hidden, seed=0):
    return Sequential([Dense(D, hidden, rng=seed), ReLU(), Dense(hidden, 10, rng=seed + 1)])


def test_accuracy(model, x, y):
    model.fit(x, y, loss=CategoricalCrossEntropy(), optimizer=Adam(0.01), epochs=EPOCHS,
              batch_size=32, validation_split=0.2, rng=0, verbose=0)
    return model.evaluate(x_test, y_test)["accuracy"]


# ----- Exercise 1: dL/dZ = (softmax(Z) - Y) / N ---------------------------------------------------
Z = mlp(128).predict(x_train[:32])                      # (32, 10) logits of the untrained MLP
labels = y_train[:32]
N = len(Z)
by_hand = (softmax(Z) - one_hot(labels, 10)) / N
loss = CategoricalCrossEntropy()
loss.forward(Z, labels)
library = loss.backward()
diff_library = float(np.abs(by_hand - library).max())
h, n, k = 1e-5, 3, 7                                     # central difference in entry Z[3, 7]
Zp, Zm = Z.copy(), Z.copy()
Zp[n, k] += h
Zm[n, k] -= h
numeric = (CategoricalCrossEntropy().forward(Zp, labels)
           - CategoricalCrossEntropy().forward(Zm, labels)) / (2 * h)
diff_numeric = abs(numeric - by_hand[n, k])
print(f"dL/dZ: largest difference hand vs library {diff_library:.1e}; entry [{n}, {k}]: hand "
      f"{by_hand[n, k]:.8f}, finite difference {numeric:.8f}")
lesson.check(1, "largest |hand - library| and |hand - finite difference|",
             max(diff_library, diff_numeric), diff_library < 1e-12 and diff_numeric < 1e-7)

# ----- Exercise 2: a tenth of the training data ----------------------------------------------------
full = test_accuracy(mlp(128), x_train, y_train)
tenth = len(x_train) // 10
small = test_accuracy(mlp(128), x_train[:tenth], y_train[:tenth])
print(f"MLP test accuracy: all {len(x_train)} training images {full:.3f}, first {tenth} "
      f"{small:.3f}")
lesson.check(2, "accuracy lost with a tenth of the data", full - small,
             full - small >= 0.03 and small > 0.7)

# ----- Exercise 3: width ----------------------------------------------------------------------------
narrow, wide = test_accuracy(mlp(8), x_train, y_train), test_accuracy(mlp(256), x_train, y_train)
print(f"test accuracy: 8 hidden units {narrow:.3f}, 256 hidden units {wide:.3f}")
target = 0.93 if SOURCE == "MNIST" else 0.96       # the MNIST threshold was not measured here
lesson.check(3, "test accuracy with 256 hidden units", wide, wide >= target and wide > narrow)

lesson.finish()
