"""Solutions to the exercises of tutorials/16_cifar_cnn.py.

Run: python tutorials/solutions/16_cifar_cnn.py (SCRATCHNET_FAST=1 for fewer epochs). Like the
tutorial, exercise 3 uses CIFAR-10 when its files are in scratchnet's data folder, else the digits.
"""
import numpy as np

import gradcheck
from scratchnet import lesson
from scratchnet.data import train_test_split
from scratchnet.datasets import load_cifar10, load_digits
from scratchnet.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.model import Sequential
from scratchnet.optimizers import Adam

rng = np.random.default_rng(0)

# ----- Exercise 1: the multi-channel convolution with loops ---------------------------------------
x = rng.normal(size=(2, 3, 5, 5))                            # (N, C_in, H, W)
layer = Conv2D(3, 4, 3, padding=1, rng=0)
W, b = layer.params["W"], layer.params["b"]                   # (4, 3, 3, 3), (4,)
xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))              # (2, 3, 7, 7)
out = np.zeros((2, 4, 5, 5))
for n in range(2):
    for o in range(4):
        for i in range(5):
            for j in range(5):
                total = b[o]
                for c in range(3):
                    for u in range(3):
                        for v in range(3):
                            total += xp[n, c, i + u, j + v] * W[o, c, u, v]
                out[n, o, i, j] = total
diff = float(np.abs(out - layer.forward(x)).max())
print(f"loops vs Conv2D.forward: output {out.shape}, largest difference {diff:.1e}")
lesson.check(1, "largest |loops - Conv2D.forward|", diff, diff < 1e-12)

# ----- Exercise 2: gradcheck the convolution and the pooling ---------------------------------------
conv_report = gradcheck.check_layer(Conv2D(3, 4, 3, stride=2, padding=1, rng=1),
                                    rng.normal(size=(2, 3, 5, 5)))
pool_report = gradcheck.check_layer(MaxPool2D(2), rng.normal(size=(2, 3, 4, 4)))
print(conv_report)
print(pool_report)
lesson.check(2, "both gradchecks pass", conv_report.passed and pool_report.passed,
             conv_report.passed and pool_report.passed)

# ----- Exercise 3: teach the MLP shifts by data augmentation -------------------------------------
try:
    (x_train, y_train), (x_test, y_test), _ = load_cifar10()
    n_train, n_test = (1000, 500) if lesson.FAST else (5000, 2000)
    x_train, y_train = x_train[:n_train].astype(np.float64), y_train[:n_train]
    x_test, y_test = x_test[:n_test].astype(np.float64), y_test[:n_test]
    EPOCHS, CIFAR = (2 if lesson.FAST else 8), True
except FileNotFoundError:
    xd, yd = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(xd, yd, test_size=0.25, stratify=True,
                                                        rng=0)
    EPOCHS, CIFAR = (10 if lesson.FAST else 30), False
C, H, Wd = x_train.shape[1:]
STEP = Wd // 8                               # the tutorial's shift: an eighth of the width


def shift(images, dx):
    """images (N, C, H, W) moved dx pixels to the right (left for dx < 0), zeros filled in."""
    moved = np.zeros_like(images)
    if dx > 0:
        moved[..., dx:] = images[..., :-dx]
    else:
        moved[..., :dx] = images[..., -dx:]
    return moved


def trained_mlp(x, y):
    model = Sequential([Flatten(), Dense(C * H * Wd, 128, rng=0), ReLU(), Dense(128, 10, rng=1)])
    model.fit(x, y, loss=CategoricalCrossEntropy(), optimizer=Adam(0.005), epochs=EPOCHS,
              batch_size=32, validation_split=0.2, rng=0, verbose=0)
    return model


def scores(model):
    """(accuracy on the test images, mean accuracy on them shifted right and left)."""
    plain = model.evaluate(x_test, y_test)["accuracy"]
    moved = np.mean([model.evaluate(shift(x_test, d), y_test)["accuracy"] for d in (STEP, -STEP)])
    return plain, float(moved)


plain_before, moved_before = scores(trained_mlp(x_train, y_train))
x_aug = np.concatenate([x_train, shift(x_train, -STEP), shift(x_train, STEP)])
y_aug = np.concatenate([y_train, y_train, y_train])
order = np.random.default_rng(1).permutation(len(x_aug))     # so the validation fifth is mixed
plain_after, moved_after = scores(trained_mlp(x_aug[order], y_aug[order]))
print(f"MLP on the originals: test {plain_before:.3f}, shifted {moved_before:.3f}")
print(f"MLP on originals + shifted copies ({len(x_aug)} images): test {plain_after:.3f}, "
      f"shifted {moved_after:.3f}")
if CIFAR:          # not measured on CIFAR-10 itself (no files where this was written)
    ok = moved_after > moved_before
else:
    ok = moved_after - moved_before >= 0.15 and plain_after > 0.85
lesson.check(3, "gain in shifted-test accuracy", moved_after - moved_before, ok)

lesson.finish()
