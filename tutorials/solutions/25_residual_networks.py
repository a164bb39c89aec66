"""Solutions to the exercises of tutorials/25_residual_networks.py."""
import numpy as np

import gradcheck
from scratchnet import Sequential, lesson
from scratchnet.data import train_test_split
from scratchnet.datasets import load_digits
from scratchnet.layers import BatchNorm2D, Conv2D, Dense, ReLU, Residual, Sigmoid
from scratchnet.optimizers import SGD
from scratchnet.trace import trace

WIDTH = 32
EPOCHS = 5 if lesson.FAST else 15
x_all, y_all = load_digits(flat=True)
x_train, x_test, y_train, y_test = train_test_split(x_all, y_all, test_size=0.3, stratify=True,
                                                    rng=0)


def network(skip: bool, depth: int) -> Sequential:
    """As in the tutorial: 64 -> 32, depth blocks of Sigmoid + Dense(32, 32), Sigmoid, -> 10."""
    blocks = []
    for k in range(depth):
        body = Sequential([Sigmoid(), Dense(WIDTH, WIDTH, rng=10 + k)])
        blocks.append(Residual(body) if skip else body)
    return Sequential([Dense(64, WIDTH, rng=0), *blocks, Sigmoid(), Dense(WIDTH, 10, rng=1)])


# ----- Exercise 1: the depth at which the plain network's first layer is cut off ------------------
batch = (x_train[:256], y_train[:256])
first_below = None
for depth in range(2, 21, 2):
    plain = trace(network(False, depth), *batch, "cce").gradient_ratio()
    res = trace(network(True, depth), *batch, "cce").gradient_ratio()
    print(f"depth {depth:2d}: input layer / head gradient ratio plain {plain:.1e}, "
          f"residual {res:.1e}")
    if first_below is None and plain < 1e-6:
        first_below = depth
lesson.check(1, "smallest depth with a plain ratio below 1e-6 (residual ratio at 20 above 1e-3)",
             first_below, first_below is not None and first_below <= 12 and res > 1e-3)

# ----- Exercise 2: a projection shortcut around a strided conv block ------------------------------
rng = np.random.default_rng(0)
branch = Sequential([Conv2D(1, 8, 3, stride=2, padding=1, rng=1, backend="reference"),
                     BatchNorm2D(8), ReLU(),
                     Conv2D(8, 8, 3, padding=1, rng=2, backend="reference"), BatchNorm2D(8)])
block = Residual(branch, shortcut=Conv2D(1, 8, 1, stride=2, rng=3, backend="reference"))
images = load_digits()[0][:3].reshape(3, 1, 8, 8)
report = gradcheck.check_layer(block, images)
print(report)
try:
    Residual(branch).forward(images)
    refused = ""
except ValueError as exc:
    refused = str(exc)
print(f"identity shortcut: {refused}")
lesson.check(2, "gradcheck of the projection block in train mode", report.status,
             report.passed and "projection" in refused)

# ----- Exercise 3: the skip around two layers at a time --------------------------------------------
blocks = [Residual(Sequential([Sigmoid(), Dense(WIDTH, WIDTH, rng=10 + 2 * k), Sigmoid(),
                               Dense(WIDTH, WIDTH, rng=11 + 2 * k)])) for k in range(10)]
model = Sequential([Dense(64, WIDTH, rng=0), *blocks, Sigmoid(), Dense(WIDTH, 10, rng=1)])
history = model.fit(x_train, y_train, loss="cce", optimizer=SGD(0.1), epochs=EPOCHS,
                    batch_size=32, rng=0, verbose=0)
test_acc = float(np.mean(model.predict(x_test).argmax(axis=1) == y_test))
print(f"10 blocks of two Dense layers: training accuracy {history['accuracy'][-1]:.3f}, "
      f"test accuracy {test_acc:.3f} after {EPOCHS} epochs")
lesson.check(3, "training accuracy with a skip every two layers", history["accuracy"][-1],
             history["accuracy"][-1] > 0.4)

lesson.finish()
