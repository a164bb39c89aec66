"""Activation layers: the nonlinearities between affine layers, each with its derivative.

Elementwise ones (ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Identity, Step) work on arrays of
any shape and their backward is dL/dx = dL/dy * f'(x), elementwise. Softmax mixes one axis.
Maxout has parameters: it takes the max of k affine pieces.

Every backward builds a new array: none ever writes into dy (no `dy[mask] = 0`).
ReLU, the one in every conv net, writes its y and dx into memory reused from earlier steps
(scratchnet/kernels/threads.py, empty_reused): still a new array for the caller, but no
fresh pages to fault in (0.44 -> 0.13 ms for the forward inside a LeNet-5 step, measured).
"""
from __future__ import annotations

import math

import numpy as np

from scratchnet import initializers
from scratchnet._config import as_rng, get_default_dtype
from scratchnet.layers.base import Layer, check_array
from scratchnet.kernels.threads import empty_reused, zeros_shared
from scratchnet.layers.dense import positive_int


class NotDifferentiableError(RuntimeError):
    """Raised by backward of a layer that has no useful derivative (Step)."""


def _check_alpha(who: str, alpha) -> float:
    """alpha must be a finite real number >= 0."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: expected alpha to be a number, got {alpha!r}")
    if not (math.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"{who}: expected alpha to be a finite number >= 0, got {alpha!r}")
    return float(alpha)


class Activation(Layer):
    """Base of the parameter-free activations: they accept x of any shape.

    forward keeps x and y; backward checks dy against y's shape. `differentiable` is False
    for layers whose backward cannot work (Step); gradient checkers skip those.
    A layer whose backward reads y (Sigmoid, Tanh, Softmax: `backward_reads_y = True`) returns
    a copy of y, so that a caller who changes its output in place cannot change dx.
    """

    differentiable = True
    backward_reads_y = False

    def _start_forward(self, x):
        return self.check_input(x)

    def _finish_forward(self, x, y):
        self.save_cache(x=x, y=y)
        return y.copy() if self.backward_reads_y else y

    def _start_backward(self, dy):
        """Return (x, y, dy) with dy checked to have y's shape."""
        cache = self.load_cache()
        dy = self.check_grad(dy, cache["y"].shape)
        return cache["x"], cache["y"], dy


class Identity(Activation):
    """y = x, any shape. A stand-in where a layer is needed but nothing should happen."""

    def forward(self, x):
        x = self._start_forward(x)
        return self._finish_forward(x, x.copy())

    def backward(self, dy):
        """Forward:  y = x, elementwise, any shape.
        Backward: dy_i/dx_j = 1 if i == j else 0, so the Jacobian dy/dx is the identity I and
                  dL/dx = I^T dL/dy = dy. Returned as a copy, so that the caller may change
                  it without touching the dy it passed in."""
        _, _, dy = self._start_backward(dy)
        return dy.copy()


class ReLU(Activation):
    """Rectified linear unit: y = max(x, 0), any shape."""

    def forward(self, x):
        x = self._start_forward(x)
        # y = max(x, 0), against an array of zeros: NumPy's vectorized loop takes two arrays
        # (against the scalar 0 the same op ran 2.8x slower; threads.zeros_shared has the figures)
        zeros = zeros_shared(x.shape, x.dtype)
        y = np.maximum(x, zeros, out=empty_reused("relu.y", x.shape, x.dtype))
        return self._finish_forward(x, y)

    def backward(self, dy):
        """Forward: y = max(x, 0).
        Backward: dL/dx = dy * [x > 0]     (same shape as x)
        At x == 0 we use derivative 0 (any value in [0, 1] is a valid subgradient)."""
        x, _, dy = self._start_backward(dy)
        # the 0/1 mask as a product: branch-free, ~8x faster than np.where; so 0 * NaN stays
        # NaN, as the product says
        mask = np.greater(x, 0, out=empty_reused("relu.mask", x.shape, np.bool_))
        return np.multiply(dy, mask, out=empty_reused("relu.dx", dy.shape, dy.dtype))


class LeakyReLU(Activation):
    """y = x for x > 0, alpha * x otherwise; any shape. alpha >= 0 (0 gives ReLU)."""

    def __init__(self, alpha: float = 0.01, *, name: str | None = None):
        super().__init__(name)
        self.alpha = _check_alpha(self.name, alpha)

    def forward(self, x):
        x = self._start_forward(x)
        return self._finish_forward(x, np.where(x > 0, x, self.alpha * x))

    def backward(self, dy):
        """Forward: y = x if x > 0 else alpha * x.
        Backward: dL/dx = dy if x > 0 else alpha * dy    (same shape as x)
        At x == 0 we use the left derivative, alpha."""
        x, _, dy = self._start_backward(dy)
        return np.where(x > 0, dy, self.alpha * dy)

    def __repr__(self):
        return f"LeakyReLU(alpha={self.alpha})"


class ELU(Activation):
    """Exponential linear unit: y = x for x > 0, alpha * (exp(x) - 1) otherwise; any shape."""

    def __init__(self, alpha: float = 1.0, *, name: str | None = None):
        super().__init__(name)
        self.alpha = _check_alpha(self.name, alpha)

    def forward(self, x):
        x = self._start_forward(x)
        neg = np.minimum(x, 0)                 # exp only of x <= 0: never overflows
        y = np.where(x > 0, x, self.alpha * np.expm1(neg))
        return self._finish_forward(x, y)

    def backward(self, dy):
        """Forward: y = x if x > 0 else alpha * (exp(x) - 1).
        Backward: dL/dx = dy if x > 0 else dy * alpha * exp(x)    (same shape as x)
        At x == 0 we use the left derivative, alpha * exp(0) = alpha (equal to 1 when alpha = 1)."""
        x, _, dy = self._start_backward(dy)
        return np.where(x > 0, dy, dy * self.alpha * np.exp(np.minimum(x, 0)))

    def __repr__(self):
        return f"ELU(alpha={self.alpha})"


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Stable logistic function 1 / (1 + exp(-x)), any shape, no overflow for any x.

    With z = exp(-|x|) in (0, 1]:  x >= 0: 1 / (1 + z);  x < 0: z / (1 + z)  (= e^x / (1 + e^x)).
    """
    with np.errstate(under="ignore"):
        z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


class Sigmoid(Activation):
    """y = 1 / (1 + exp(-x)), any shape; stable for x = +-1e4."""

    backward_reads_y = True

    def forward(self, x):
        x = self._start_forward(x)
        return self._finish_forward(x, sigmoid(x))

    def backward(self, dy):
        """Forward: y = 1 / (1 + exp(-x)).
        Backward: dy/dx = exp(-x) / (1 + exp(-x))**2 = y * (1 - y), so
                  dL/dx = dy * y * (1 - y)    (same shape as x)"""
        _, y, dy = self._start_backward(dy)
        return dy * y * (1 - y)


class Tanh(Activation):
    """y = tanh(x), any shape."""

    backward_reads_y = True

    def forward(self, x):
        x = self._start_forward(x)
        return self._finish_forward(x, np.tanh(x))

    def backward(self, dy):
        """Forward: y = tanh(x).
        Backward: dy/dx = 1 - tanh(x)**2 = 1 - y**2, so dL/dx = dy * (1 - y**2)."""
        _, y, dy = self._start_backward(dy)
        return dy * (1 - y * y)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Stable softmax along `axis`: y = exp(x - max) / sum(exp(x - max)).

    Subtracting the max changes nothing mathematically (it cancels) but makes every
    exponent <= 0, so exp never overflows; the largest term is exp(0) = 1, so the sum >= 1.
    """
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jacobian(y: np.ndarray) -> np.ndarray:
    """Full Jacobian of softmax for ONE vector, from its output y = softmax(x): (K,) -> (K, K).

        J[i, j] = dy_i / dx_j = y_i * (delta_ij - y_j)     i.e.  J = diag(y) - outer(y, y)

    Then dL/dx = J.T @ dy (J is symmetric). Softmax.backward computes the same thing
    without building J: y * (dy - sum(dy * y)). The plain version costs O(K**2).
    """
    y = check_array("softmax_jacobian", y, ndim=1, what="y")
    return np.diag(y) - np.outer(y, y)


class Softmax(Activation):
    """Softmax along `axis` (default the last): outputs along that axis are > 0 and sum to 1.

    x: any shape with at least one axis, e.g. (N, K) logits -> (N, K) probabilities.

    For training a classifier prefer a from-logits cross-entropy loss, which fuses the two:
    CategoricalCrossEntropy(from_logits=True) returns dL/dz = (softmax(z) - y) / N directly.
    This layer followed by CategoricalCrossEntropy(from_logits=False) gives the same gradient
    only while the probability p_c of the true class c stays above the loss's clip, eps = 1e-7.
    On a saturated wrong prediction (z = (20, 0, 0), c = 1: p_c = 2.1e-9) the loss clips p_c at
    eps, so its dL/dp_c = -1/(eps N) is cut short of -1/(p_c N), and this layer's Jacobian
    p_i (delta_ij - p_j) is ~0 in a saturated row, so nothing restores it: backward returns
    (p_c / eps) * (p - y) / N, 2% of the true gradient here, and exactly 0 once p_c underflows
    to 0 (z = (800, 0, 0)). See CategoricalCrossEntropy; tests/test_losses.py checks this.
    """

    backward_reads_y = True

    def __init__(self, axis: int = -1, *, name: str | None = None):
        super().__init__(name)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"{self.name}: expected axis to be an int, got {axis!r}")
        self.axis = int(axis)

    def forward(self, x):
        x = self._start_forward(x)
        if not -x.ndim <= self.axis < x.ndim:
            raise ValueError(f"{self.name}: axis {self.axis} is out of range for x of shape {x.shape}")
        return self._finish_forward(x, softmax(x, self.axis))

    def backward(self, dy):
        """Forward: y_i = exp(x_i) / sum_j exp(x_j)            (along self.axis)
        Jacobian: dy_i/dx_j = y_i * (delta_ij - y_j)           (see softmax_jacobian)
        Backward: dL/dx_j = sum_i dy_i * y_i * (delta_ij - y_j)
                         = y_j * (dy_j - sum_i dy_i * y_i)
                  dx = y * (dy - sum(dy * y, axis, keepdims=True))    (same shape as x)"""
        _, y, dy = self._start_backward(dy)
        return y * (dy - (dy * y).sum(axis=self.axis, keepdims=True))

    def __repr__(self):
        return f"Softmax(axis={self.axis})"


class Step(Activation):
    """Heaviside step for the perceptron: y = 1.0 where x > 0, else 0.0 (so x == 0 gives 0).

    Any shape; y has x's dtype. Not differentiable: backward raises NotDifferentiableError.
    """

    differentiable = False

    def forward(self, x):
        x = self._start_forward(x)
        return self._finish_forward(x, (x > 0).astype(x.dtype))

    def backward(self, dy):
        """Always raises: the step's derivative is 0 everywhere except at 0, where it does
        not exist, so it would pass back no learning signal at all."""
        raise NotDifferentiableError(
            f"{self.name} is not differentiable: its derivative is 0 almost everywhere (and undefined "
            f"at 0), so backpropagation would learn nothing. Train it with the perceptron rule, or "
            f"use Sigmoid for a smooth step that backpropagation can train.")


class Maxout(Layer):
    """Maxout unit: the max of k affine pieces, y = max_j (x @ W[j] + b[j]).

    n_in: D input features; n_out: M outputs; k: number of pieces (k >= 1; k = 1 is Dense).
    init: initializer of W (name or callable, see scratchnet.initializers); b starts at zero.
    params: W (k, n_in, n_out), b (k, n_out), created in get_default_dtype().
    forward: x (N, n_in) -> y (N, n_out), computed in the dtype of W (x and dy are converted).
    Ties: when several pieces share the max, the one with the LOWEST index j wins (argmax),
    and only it receives the gradient.
    """

    def __init__(self, n_in: int, n_out: int, k: int, init="he", rng=None, *,
                 name: str | None = None):
        super().__init__(name)
        self.n_in = positive_int(self.name, "n_in", n_in)
        self.n_out = positive_int(self.name, "n_out", n_out)
        self.k = positive_int(self.name, "k", k)
        self.init = init
        dtype = get_default_dtype()
        W = initializers.initial_weight(self.name, init, (self.k, self.n_in, self.n_out),
                                        as_rng(rng), dtype)
        self.add_param("W", W)
        self.add_param("b", initializers.zeros((self.k, self.n_out), dtype=dtype))

    def forward(self, x):
        """x: (N, n_in) -> y: (N, n_out)."""
        x = self.check_input(x)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(f"{self.name}: expected x of shape (N, {self.n_in}), got shape {x.shape}")
        x = x.astype(self.dtype, copy=False)       # a float32 layer computes in float32
        W, b = self.params["W"], self.params["b"]
        z = x @ W + b[:, None, :]                      # (N, D) @ (k, D, M) -> (k, N, M): all pieces
        winner = z.argmax(axis=0)                      # (N, M): index j of the max piece
        y = np.take_along_axis(z, winner[None], axis=0)[0]
        self.save_cache(x=x, winner=winner, y_shape=y.shape)
        return y

    def backward(self, dy):
        """Forward: z[j] = x @ W[j] + b[j]   (N, M) for j = 0..k-1;   y = max_j z[j]
        Backward: only the winning piece gets dy:  dz[j] = dy * [winner == j]   (k, N, M)
                  then each piece is a Dense layer:
                  dL/dW[j] = x.T @ dz[j]           (D, N) @ (N, M) -> (D, M), stacked (k, D, M)
                  dL/db[j] = dz[j].sum(axis=0)     (M,), stacked (k, M)
                  dL/dx    = sum_j dz[j] @ W[j].T  (N, M) @ (M, D) -> (N, D)"""
        cache = self.load_cache()
        dy = self.check_grad(dy, cache["y_shape"]).astype(self.dtype, copy=False)
        x, winner, W = cache["x"], cache["winner"], self.params["W"]
        pieces = np.arange(self.k)[:, None, None]      # (k, 1, 1)
        dz = np.where(winner[None] == pieces, dy[None], 0)   # (k, N, M)
        self.grads["W"][...] = x.T @ dz                 # (D, N) @ (k, N, M) -> (k, D, M)
        self.grads["b"][...] = dz.sum(axis=1)
        return (dz @ W.transpose(0, 2, 1)).sum(axis=0)

    def __repr__(self):
        return f"Maxout({self.n_in}, {self.n_out}, k={self.k}, init={initializers.name_of(self.init)!r})"
