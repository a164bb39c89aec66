"""Solutions to the exercises of tutorials/18_gradient_checking.py (run it as a script)."""
import numpy as np

import gradcheck
from scratchnet import lesson
from scratchnet.layers import Layer, sigmoid

rng = np.random.default_rng(0)


# ----- Exercise 1: find and fix the Softplus bug -------------------------------------------------
class BrokenSoftplus(Layer):
    """y = log(1 + exp(x)), with the planted bug of the exercise."""

    def forward(self, x):
        self._save(x=x)
        return np.logaddexp(0, x)

    def backward(self, dy):
        return dy / (1 + np.exp(self._load()["x"]))


class Softplus(BrokenSoftplus):
    """y = log(1 + exp(x)).  dy/dx = exp(x) / (1 + exp(x)) = 1 / (1 + exp(-x)) = sigmoid(x),
    so dL/dx = dy * sigmoid(x). The broken one had exp(+x): sigmoid(-x) = 1 - sigmoid(x)."""

    def backward(self, dy):
        return dy * sigmoid(self._load()["x"])


x = rng.normal(size=(4, 3))
broken = gradcheck.check_layer(BrokenSoftplus(), x)
print(broken)                       # dx wrong everywhere, no constant ratio: read the formula
fixed = gradcheck.check_layer(Softplus(), x)
print(fixed)
lesson.check(1, "max error of the fixed Softplus", fixed.max_err,
             not broken.passed and fixed.passed and fixed.max_err < 1e-7)


# ----- Exercise 2: a float32 forward moves the bottom of the V ------------------------------------
class Tanh32(Layer):
    """tanh computed in float32 (returned as float64); its backward is right: dy * (1 - y**2)."""

    def forward(self, x):
        y = np.tanh(x.astype(np.float32)).astype(np.float64)
        self._save(y=y)
        return y

    def backward(self, dy):
        return dy * (1 - self._load()["y"] ** 2)


x = rng.normal(size=(3, 4))
steps, errors, fig = gradcheck.sweep_eps(Tanh32(), x)
best = int(np.argmin(errors))
print(f"Tanh32: smallest error {errors[best]:.1e} at h = {steps[best]:.0e} "
      f"(cbrt(float32 eps) = {np.cbrt(np.finfo(np.float32).eps):.1e})")
fig.axes[0].set_title("Tanh computed in float32: the V bottoms out higher and at a larger step")
fig.axes[0].legend(loc="upper left", bbox_to_anchor=(1.02, 1))
lesson.save(fig, "18_solution_float32_sweep.png")
report32 = gradcheck.check_layer(Tanh32(), x)
print(f"check_layer(Tanh32): passed {report32.passed}, max error {report32.max_err:.1e}")
lesson.check(2, "best step for a float32 forward", float(steps[best]),
             steps[best] >= 1e-4 and errors[best] > 1e-6 and not report32.passed)


# ----- Exercise 3: a row maximum, checked where values tie ----------------------------------------
class RowMax(Layer):
    """y = max over axis 1: x (N, D) -> y (N, 1).
    Backward: dL/dx[n, d] = dy[n, 0] if d is the first maximum of row n (np.argmax), else 0.
    At a tie this is one valid subgradient: any split of dy among the tied entries is one."""

    def forward(self, x):
        winner = np.argmax(x, axis=1)
        self._save(winner=winner, shape=x.shape)
        return x[np.arange(len(x)), winner][:, None]

    def backward(self, dy):
        cache = self._load()
        dx = np.zeros(cache["shape"])
        dx[np.arange(len(dx)), cache["winner"]] = dy[:, 0]
        return dx


x = rng.integers(0, 3, size=(5, 4)).astype(float)
tied_rows = int(np.sum((x == x.max(axis=1, keepdims=True)).sum(axis=1) > 1))
report = gradcheck.check_layer(RowMax(), x)
print(report)
print(f"rows with a tie: {tied_rows}; kinks counted: {len(report.kinks)}")
lesson.check(3, "kinks counted by check_layer(RowMax)", len(report.kinks),
             report.passed and len(report.kinks) >= 1)

lesson.finish()
