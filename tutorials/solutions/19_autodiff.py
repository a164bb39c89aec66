"""Solutions to the exercises of tutorials/19_autodiff.py (run it as a script).

The engine is the tutorial's, repeated here so that this file runs on its own, with the
sigmoid method of Exercise 1 added.
"""
import math

import numpy as np

import gradcheck
from scratchnet import lesson
from scratchnet.layers import Dense, Sigmoid
from scratchnet.losses import MSE
from scratchnet.model import Sequential


class Value:
    """A scalar that remembers how it was computed, so that gradients can flow back to it."""

    def __init__(self, data, parents=(), op=""):
        self.data, self.grad = float(data), 0.0
        self.parents, self.op = parents, op
        self._backward = lambda: None

    def _result(self, data, parents, op, local):
        out = Value(data, parents, op)

        def _backward():
            for parent, d in zip(parents, local):
                parent.grad += d * out.grad
        out._backward = _backward
        return out

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return self._result(self.data + other.data, (self, other), "+", (1.0, 1.0))

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return self._result(self.data * other.data, (self, other), "*", (other.data, self.data))

    def tanh(self):
        t = math.tanh(self.data)
        return self._result(t, (self,), "tanh", (1.0 - t * t,))

    def sigmoid(self):
        """Exercise 1: s = 1 / (1 + exp(-x)), ds/dx = s * (1 - s). Stable for large |x|."""
        z = math.exp(-abs(self.data))
        s = 1.0 / (1.0 + z) if self.data >= 0 else z / (1.0 + z)
        return self._result(s, (self,), "sigmoid", (s * (1.0 - s),))

    __radd__, __rmul__ = __add__, __mul__
    def __neg__(self): return self * -1.0                            # noqa: E301, E704
    def __sub__(self, other): return self + (-other)                 # noqa: E301, E704
    def __rsub__(self, other): return (-self) + other                # noqa: E301, E704

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if v not in seen:
                seen.add(v)
                for parent in v.parents:
                    visit(parent)
                order.append(v)
        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()
        return order


as_values = np.vectorize(Value, otypes=[object])
grads_of = np.vectorize(lambda v: v.grad, otypes=[float])
rng = np.random.default_rng(0)


# ----- Exercise 1: a sigmoid node, checked by finite differences ------------------------------------
def f(x):
    return float(np.sum(1 / (1 + np.exp(-x)) * x))


def df(x):
    leaves = as_values(x)
    total = sum((v.sigmoid() * v for v in leaves), Value(0.0))   # each leaf is used twice
    total.backward()
    return grads_of(leaves)


report = gradcheck.check_function(f, df, rng.normal(size=6), name="sum(sigmoid(x) * x)")
print(report)
lesson.check(1, "max error of Value.sigmoid's gradient", report.max_err,
             report.passed and report.max_err < 1e-7)

# ----- Exercise 2: the 2-layer net with a sigmoid, hand against autodiff ----------------------------
x, target = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
model = Sequential([Dense(3, 5, init="xavier", rng=1), Sigmoid(), Dense(5, 2, init="xavier", rng=2)])
for layer in (model[0], model[2]):
    layer.params["b"][...] = rng.normal(size=layer.params["b"].shape)
loss = MSE()
loss.forward(model.forward(x), target)
hand = [model.backward(loss.backward()), model[0].grads["W"], model[0].grads["b"],
        model[2].grads["W"], model[2].grads["b"]]
leaves = [as_values(a) for a in (x, model[0].params["W"], model[0].params["b"],
                                  model[2].params["W"], model[2].params["b"])]
h = np.vectorize(lambda v: v.sigmoid(), otypes=[object])(leaves[0] @ leaves[1] + leaves[2])
err = (h @ leaves[3] + leaves[4] - target).ravel()
(sum((e * e for e in err), Value(0.0)) * (1.0 / err.size)).backward()
worst = max(float(np.abs(a - grads_of(v)).max()) for a, v in zip(hand, leaves))
print(f"sigmoid net: largest |hand - autodiff| = {worst:.1e}")
lesson.check(2, "largest difference hand vs autodiff (sigmoid net)", worst, worst < 1e-12)

# ----- Exercise 3: tied weights, one W used twice ------------------------------------------------------
x = rng.normal(size=(5, 4))
W = rng.normal(size=(4, 2))
Wv = as_values(W)
x_hat_v = (x @ Wv) @ Wv.T                                  # W in the encoder and, transposed, the decoder
err = (x_hat_v - x).ravel()
(sum((e * e for e in err), Value(0.0)) * (1.0 / err.size)).backward()
auto = grads_of(Wv)
z = x @ W
d = 2 * (z @ W.T - x) / x.size                             # dL/dx_hat, (5, 4)
through_encoder = x.T @ (d @ W)                            # the use in z = x @ W
through_decoder = d.T @ z                                  # the use in x_hat = z @ W.T
diff = float(np.abs(auto - (through_encoder + through_decoder)).max())
alone = min(float(np.abs(auto - through_encoder).max()), float(np.abs(auto - through_decoder).max()))
print(f"tied weights: |autodiff - both uses| = {diff:.1e}, |autodiff - one use| >= {alone:.2e}")
lesson.check(3, "largest difference for the tied W", diff, diff < 1e-12 and alone > 1e-3)

lesson.finish()
