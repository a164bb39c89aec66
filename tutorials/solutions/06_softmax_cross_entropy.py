"""Solutions to the exercises of tutorials/06_softmax_cross_entropy.py."""
import numpy as np

import gradcheck
from scratchnet import lesson
from scratchnet.data import one_hot
from scratchnet.layers import Softmax, softmax
from scratchnet.losses import EPS, CategoricalCrossEntropy, log_softmax

rng = np.random.default_rng(0)

# ----- Exercise 1: the softmax Jacobian-vector product -----------------------------------------
# (J^T dp)_j = sum_i dp_i p_i (delta_ij - p_j) = p_j dp_j - p_j sum_i dp_i p_i
#            = p_j (dp_j - sum_i dp_i p_i)


def softmax_jvp(p, dp):
    """J^T dp for every row: p, dp (N, K) -> (N, K), without building any (K, K) matrix."""
    return p * (dp - (dp * p).sum(axis=1, keepdims=True))


z = rng.normal(size=(5, 4))
g = rng.normal(size=(5, 4))                       # a random upstream gradient, not ones
report = gradcheck.check_function(lambda v: np.sum(g * softmax(v)),
                                  lambda v: softmax_jvp(softmax(v), g), z, name="softmax_jvp")
print(report)
layer = Softmax()
layer.forward(z)
difference = float(np.abs(softmax_jvp(softmax(z), g) - layer.backward(g)).max())
lesson.check(1, "gradcheck passes; max |softmax_jvp - Softmax.backward|", difference,
             report.passed and difference < 1e-12)

# ----- Exercise 2: label smoothing by hand -----------------------------------------------------
a, K = 0.1, 10


def smooth(labels, K, a):
    """(N,) labels -> (N, K) rows (1 - a) * one_hot + a / K; each still sums to 1."""
    return (1 - a) * one_hot(labels, K, dtype=np.float64) + a / K


def smoothed_loss(z, y_s):
    """L = -(1/N) sum_n sum_k y_s[n, k] log softmax(z)[n, k]."""
    return float(-(y_s * log_softmax(z)).sum() / len(z))


def smoothed_grad(z, y_s):
    """dL/dz = (softmax(z) - y_s) / N: the fused gradient holds for any rows summing to 1."""
    return (softmax(z) - y_s) / len(z)


z = 3 * rng.normal(size=(6, K))
y_s = smooth(rng.integers(0, K, 6), K, a)
report = gradcheck.check_function(lambda v: smoothed_loss(v, y_s), lambda v: smoothed_grad(v, y_s),
                                  z, name="label smoothing")
print(report)
library = CategoricalCrossEntropy()
same_value = abs(library.forward(z, y_s) - smoothed_loss(z, y_s)) < 1e-12
same_grad = np.abs(library.backward() - smoothed_grad(z, y_s)).max() < 1e-15

# one example of class 0 with logits (gap, 0, ..., 0): gradient descent on the gap
y0 = smooth(np.array([0]), K, a)
gap = 0.0
for _ in range(2000):
    zz = np.zeros((1, K))
    zz[0, 0] = gap
    gap -= 1.0 * smoothed_grad(zz, y0)[0, 0]     # dL/dgap = dL/dz_0
target = np.log((1 - a + a / K) / (a / K))
print(f"best gap {gap:.4f}, log(91) = {target:.4f}")
lesson.check(2, "gradcheck passes; optimal logit gap under smoothing (log 91 = 4.5109)", gap,
             report.passed and same_value and same_grad and abs(gap - target) < 0.01)

# ----- Exercise 3: where the plain path keeps 1% of the gradient -------------------------------


def kept_share(m):
    """|plain dL/dz_1| / |fused dL/dz_1| for z = (m, 0, 0) and true class 1."""
    z = np.array([[m, 0.0, 0.0]])
    fused = CategoricalCrossEntropy(from_logits=True)
    fused.forward(z, np.array([1]))
    layer, plain = Softmax(), CategoricalCrossEntropy(from_logits=False)
    plain.forward(layer.forward(z), np.array([1]))
    return abs(layer.backward(plain.backward())[0, 1]) / abs(fused.backward()[0, 1])


low, high = 0.0, 40.0                             # kept_share(0) = 1, kept_share(40) ~ 4e-11
for _ in range(60):
    mid = (low + high) / 2
    low, high = (mid, high) if kept_share(mid) > 0.01 else (low, mid)
expected = np.log(1e9 - 2)                        # p_1 = 1 / (e^m + 2) = eps / 100 = 1e-9
print(f"margin {low:.4f}, expected log(1e9 - 2) = {expected:.4f}, eps = {EPS:g}")
lesson.check(3, "margin where the plain path keeps 1% of the gradient", low,
             abs(low - expected) < 0.01)

lesson.finish()
