"""Solutions to the exercises of tutorials/00_tour.py (run it: each ends in a check)."""
import numpy as np

import gradcheck
from scratchnet import Sequential, lesson
from scratchnet.data import train_test_split
from scratchnet.datasets import load_digits
from scratchnet.layers import Conv2D, Dense, Flatten, Layer, MaxPool2D, ReLU
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam

EPOCHS = 15 if lesson.FAST else 30
x, y = load_digits()
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, stratify=True, rng=0)


# ----- exercise 1: gradcheck catches a missing factor -------------------------------------------
class Double(Layer):
    """y = 2 x, elementwise. fixed=False: the buggy backward that forgets the factor 2."""

    def __init__(self, fixed: bool):
        super().__init__()
        self.fixed = fixed

    def forward(self, x):
        x = self.check_input(x)
        self.save_cache(shape=x.shape)
        return 2 * x

    def backward(self, dy):
        dy = self.check_grad(dy, self.load_cache()["shape"])
        return 2 * dy if self.fixed else dy          # dL/dx = dL/dy * dy/dx = 2 dL/dy


def cnn_with(extra):
    return Sequential([Conv2D(1, 8, 3, padding=1, rng=0), ReLU(), MaxPool2D(2),
                       Conv2D(8, 16, 3, padding=1, rng=1), ReLU(), MaxPool2D(2),
                       Flatten(), extra, Dense(64, 10, rng=2)])


x_check = x_train[:3] + 0.01 * np.random.default_rng(0).random(x_train[:3].shape)
loss = CategoricalCrossEntropy()
broken = gradcheck.check_model(cnn_with(Double(fixed=False)), loss, x_check, y_train[:3])
fixed = gradcheck.check_model(cnn_with(Double(fixed=True)), loss, x_check, y_train[:3])
print(broken)
names_half = "analytic/numeric = 0.5" in str(broken)
# the rows say where the bug is: every tensor before Double is off by 1/2, the Dense after it is not
failing = [row.name for row in broken.rows if row.status != "ok"]
print(f"broken Double: {broken.status} (hint names a ratio of 0.5: {names_half}), failing rows "
      f"{failing}; fixed: {fixed.status}")
lesson.check(1, "gradcheck of the broken Double, then of the fixed one",
             f"{broken.status}, then {fixed.status}",
             broken.status == "FAIL" and names_half and fixed.status == "PASS"
             and not any("Dense" in name for name in failing) and "dx" in failing)

# ----- exercise 2: an MLP on the same digits ----------------------------------------------------
mlp = Sequential([Flatten(), Dense(64, 32, rng=0), ReLU(), Dense(32, 10, rng=1)])
mlp.fit(x_train, y_train, loss=CategoricalCrossEntropy(), optimizer=Adam(0.005), epochs=EPOCHS,
        batch_size=32, rng=0, verbose=0)
accuracy = mlp.evaluate(x_test, y_test)["accuracy"]
cnn_params = cnn_with(Flatten()).n_params
print(f"MLP: {mlp.n_params} parameters, test accuracy {accuracy:.3f} "
      f"(the CNN: {cnn_params} parameters)")
lesson.check(2, "MLP test accuracy", accuracy, accuracy > 0.9)

lesson.finish()
