"""Solutions to the exercises of tutorials/01_chain_rule.py (run it: each ends in a check)."""
import numpy as np

import gradcheck
from scratchnet import lesson
from scratchnet.layers import Layer
from scratchnet.losses import MSE
from scratchnet.model import Sequential


class Mul:
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, dout):
        return dout * self.b, dout * self.a


class Add:
    def forward(self, a, b):
        return a + b

    def backward(self, dout):
        return dout, dout


class Sub:
    def forward(self, a, b):
        return a - b

    def backward(self, dout):
        return dout, -dout


# ----- Exercise 1: a sigmoid node instead of tanh --------------------------------------------
class SigmoidNode:
    """out = 1 / (1 + exp(-z)).  Backward: dL/dz = dout * out * (1 - out)."""

    def forward(self, z):
        self.out = 1.0 / (1.0 + np.exp(-z))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1.0 - self.out)


x, y, w0, b0 = 1.5, 1.1, 0.8, -0.5
n_mul, n_add, n_sig, n_sub, n_sq = Mul(), Add(), SigmoidNode(), Sub(), Mul()


def loss(w, b):
    d = n_sub.forward(n_sig.forward(n_add.forward(n_mul.forward(w, x), b)), y)
    return n_sq.forward(d, d)


loss(w0, b0)
d1, d2 = n_sq.backward(1.0)
da, _ = n_sub.backward(d1 + d2)                 # the two uses of d add up
dm, db = n_add.backward(n_sig.backward(da))
dw, _ = n_mul.backward(dm)
numeric = gradcheck.numerical_gradient(lambda p: loss(*p), np.array([w0, b0]))
err = max(abs(dw - numeric[0]), abs(db - numeric[1]))
print(f"sigmoid neuron: dL/dw = {dw:.6f}, dL/db = {db:.6f} (numeric {numeric[0]:.6f}, "
      f"{numeric[1]:.6f})")
lesson.check(1, "max |analytic - numeric| for the sigmoid neuron", err, err < 1e-8)


# ----- Exercise 2: a Square layer -------------------------------------------------------------
class Square(Layer):
    """y = x**2 elementwise; x, y: any shape (N, ...).  Backward: dL/dx = dy * 2 x."""

    def forward(self, x):
        x = self.check_input(x)
        self.save_cache(x=x)
        return x * x

    def backward(self, dy):
        x = self.load_cache()["x"]
        dy = self.check_grad(dy, x.shape)
        return dy * 2.0 * x


class Scale(Layer):
    """y = x * w; x: (N, D), w: (D,)."""

    def __init__(self, D, rng=0):
        super().__init__()
        self.add_param("w", np.random.default_rng(rng).normal(size=D))

    def forward(self, x):
        x = self.check_input(x, ndim=2, axis=1, size=self.params["w"].shape[0])
        self.save_cache(x=x)
        return x * self.params["w"]

    def backward(self, dy):
        x = self.load_cache()["x"]
        dy = self.check_grad(dy, x.shape)
        self.grads["w"][...] = (dy * x).sum(axis=0)
        return dy * self.params["w"]


rng = np.random.default_rng(0)
xs = rng.normal(size=(4, 3))
layer_report = gradcheck.check_layer(Square(), xs)
model_report = gradcheck.check_model(Sequential([Scale(3), Square()]), MSE(), xs,
                                     rng.normal(size=(4, 3)))
print(layer_report)
print(model_report)
lesson.check(2, "gradcheck of Square and of Scale + Square + MSE",
             f"{layer_report.status}, {model_report.status}",
             layer_report.passed and model_report.passed)


# ----- Exercise 3: the course's graph for linear regression on one house ----------------------
r_mul, r_add, r_sub, r_sq = Mul(), Add(), Sub(), Mul()
y_hat = r_add.forward(r_mul.forward(w0, x), b0)
d = r_sub.forward(y, y_hat)                     # d = y - y_hat, as the course writes it
L = r_sq.forward(d, d)
e1, e2 = r_sq.backward(1.0)
_, dy_hat = r_sub.backward(e1 + e2)
dm, db = r_add.backward(dy_hat)
dw, _ = r_mul.backward(dm)
course_dw, course_db = -2 * (y - y_hat) * x, -2 * (y - y_hat)
err = max(abs(dw - course_dw), abs(db - course_db))
print(f"one house: y_hat = {y_hat:.4f}, L = {L:.4f}, dL/dw = {dw:.4f} (course {course_dw:.4f}), "
      f"dL/db = {db:.4f} (course {course_db:.4f})")
lesson.check(3, "max |backward - course formula|", err,
             err < 1e-12 and abs(dw + 1.2) < 1e-9 and abs(db + 0.8) < 1e-9)

lesson.finish()
