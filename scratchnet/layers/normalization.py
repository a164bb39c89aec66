"""Batch normalization: standardize each feature (or channel) over the batch, then scale and
shift it with learned gamma and beta.

The course's algorithm box, for one feature over a batch of M values x_1..x_M:

    mu    = (1/M) sum_i x_i                      batch mean
    var   = (1/M) sum_i (x_i - mu)^2             batch variance (biased: divide by M)
    xhat  = (x - mu) / sqrt(var + eps)           normalize
    y     = gamma * xhat + beta                  scale and shift

Two pure functions do it on a (M, C) array, one column per feature: batchnorm_forward and
batchnorm_backward (the compact closed form). batchnorm_backward_steps goes back through
each line of the box in turn, as a student would first write it; tests hold the two equal.
BatchNorm1D uses them on (N, F) (M = N). BatchNorm2D works on (N, C, H, W), per channel, with
the N*H*W values of a channel as its batch (M = N*H*W), through a kernel that needs no
transposed copy: scratchnet/kernels/batchnorm_reference.py (the same math per channel, in
NumPy) or batchnorm_numba.py (fused loops, the default).

LayerNorm (at the end) normalizes the other way round: each example over its own features,
the same four lines with the roles of the axes swapped.
"""
from __future__ import annotations

import math

import numpy as np

from scratchnet import initializers
from scratchnet._checks import positive_int
from scratchnet._config import get_default_dtype
from scratchnet.kernels import batchnorm_numba, batchnorm_reference
from scratchnet.kernels.backend import check_backend, get_backend
from scratchnet.layers.base import Layer


def batchnorm_forward(x, gamma, beta, eps=1e-5, mean=None, var=None):
    """x: (M, C) -> y: (M, C), normalized per column.

    Training: mean and var are None, and the batch's own statistics are used (var biased).
    Eval: pass the running mean (C,) and var (C,). Returns (y, cache, mu, var) where mu and
    var are the statistics used, and cache = (xhat, gamma, inv_std, batch_stats).
    """
    batch_stats = mean is None
    if batch_stats:
        mean = x.mean(axis=0)
        var = ((x - mean) ** 2).mean(axis=0)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean) * inv_std
    y = gamma * xhat + beta
    return y, (xhat, gamma, inv_std, batch_stats), mean, var


def batchnorm_backward(dy, cache):
    """Compact backward of batchnorm_forward. dy: (M, C) -> (dx (M, C), dgamma (C,), dbeta (C,)).

    From y = gamma * xhat + beta:   dbeta  = sum_i dy_i,   dgamma = sum_i dy_i * xhat_i,
                                    dxhat  = dy * gamma.
    Eval (mu, var fixed): xhat = (x - mu) * inv_std is affine in x, so dx = dxhat * inv_std.
    Training: mu and var depend on every x_j. With s = inv_std = (var + eps)^(-1/2):
      dxhat_i/dx_j = s * ([i == j] - 1/M) - s * xhat_i * xhat_j / M
        (d mu/dx_j = 1/M; d var/dx_j = 2 (x_j - mu) / M; d s/d var = -s^3 / 2,
         and (x_i - mu) * s^3 * (x_j - mu) / M = s * xhat_i * xhat_j / M)
      so dx_j = sum_i dxhat_i * dxhat_i/dx_j
              = (s / M) * (M * dxhat_j - sum_i dxhat_i - xhat_j * sum_i dxhat_i * xhat_i).
    Nothing given is changed.
    """
    xhat, gamma, inv_std, batch_stats = cache
    dbeta = dy.sum(axis=0)
    dgamma = (dy * xhat).sum(axis=0)
    dxhat = dy * gamma
    if not batch_stats:
        return dxhat * inv_std, dgamma, dbeta
    M = dy.shape[0]
    dx = (inv_std / M) * (M * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    return dx, dgamma, dbeta


def batchnorm_backward_steps(dy, x, gamma, eps=1e-5):
    """The same training-mode gradients, going back through the algorithm box one line at a
    time (each intermediate's gradient from the one after it). x, dy: (M, C).
    Slower and longer than batchnorm_backward, and easier to derive; tests hold them equal.
    Returns (dx, dgamma, dbeta)."""
    M = x.shape[0]
    mu = x.mean(axis=0)                      # forward again, keeping every intermediate
    xc = x - mu
    var = (xc ** 2).mean(axis=0)
    std = np.sqrt(var + eps)
    xhat = xc / std
    dbeta = dy.sum(axis=0)                   # y = gamma * xhat + beta
    dgamma = (dy * xhat).sum(axis=0)
    dxhat = dy * gamma
    dxc = dxhat / std                        # xhat = xc / std: the path through xc ...
    dstd = -(dxhat * xc).sum(axis=0) / std ** 2   # ... and the path through std
    dvar = dstd / (2 * std)                  # std = sqrt(var + eps)
    dxc = dxc + dvar * 2 * xc / M            # var = mean(xc^2): one more path into xc
    dmu = -dxc.sum(axis=0)                   # xc = x - mu
    dx = dxc + dmu / M                       # mu = mean(x): every x_j gets 1/M of dmu
    return dx, dgamma, dbeta


def _check_number(who: str, what: str, value, low: float, high: float) -> float:
    """value as a float in [low, high] (low excluded when it is 0 and what is eps)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: expected {what} to be a number, got {value!r}")
    if not (math.isfinite(value) and low <= value <= high) or (what == "eps" and value <= 0):
        wanted = "a number > 0" if what == "eps" else f"a number in [{low}, {high}]"
        raise ValueError(f"{who}: expected {what} to be {wanted}, got {value!r}")
    return float(value)


class _BatchNorm(Layer):
    """Shared by BatchNorm1D and BatchNorm2D: params gamma, beta (C,); buffers running_mean,
    running_var (C,), updated in training mode with PyTorch's momentum convention:

        running = (1 - momentum) * running + momentum * batch_statistic

    where the variance put into the running estimate is the unbiased one (divided by M - 1),
    while the batch is normalized with the biased one (divided by M). Eval mode normalizes
    with the running statistics, so one example's output does not depend on the others.
    """

    ndim = 2
    size_name = "n_features"

    def __init__(self, n: int, momentum: float = 0.1, eps: float = 1e-5, *, name=None):
        super().__init__(name)
        self.n = positive_int(self.name, self.size_name, n)
        self.momentum = _check_number(self.name, "momentum", momentum, 0.0, 1.0)
        self.eps = _check_number(self.name, "eps", eps, 0.0, math.inf)
        dtype = get_default_dtype()
        self.add_param("gamma", np.ones(self.n, dtype=dtype))
        self.add_param("beta", initializers.zeros((self.n,), dtype=dtype))
        self.buffers["running_mean"] = np.zeros(self.n, dtype=dtype)
        self.buffers["running_var"] = np.ones(self.n, dtype=dtype)

    def _update_running(self, mu, var, M: int) -> None:
        """running = (1 - momentum) * running + momentum * batch statistic, with the unbiased
        variance var * M / (M - 1); kept in the layer's dtype."""
        m = self.momentum
        self.buffers["running_mean"] = ((1 - m) * self.buffers["running_mean"]
                                        + m * mu).astype(self.dtype)
        self.buffers["running_var"] = ((1 - m) * self.buffers["running_var"]
                                       + m * var * (M / (M - 1))).astype(self.dtype)

    def _to_columns(self, x):            # (N, ...) -> (M, C)
        return x

    def _from_columns(self, y, shape):   # (M, C) -> (N, ...)
        return y

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self.check_input(x, ndim=self.ndim, axis=1, size=self.n).astype(self.dtype, copy=False)
        cols = self._to_columns(x)
        if self.training:
            if cols.shape[0] < 2:
                raise ValueError(f"{self.name}: training mode needs more than one value per "
                                 f"channel to compute a variance, got input of shape {x.shape}")
            y, cache, mu, var = batchnorm_forward(cols, self.params["gamma"], self.params["beta"],
                                                  self.eps)
            self._update_running(mu, var, cols.shape[0])
        else:
            y, cache, _, _ = batchnorm_forward(cols, self.params["gamma"], self.params["beta"],
                                               self.eps, self.buffers["running_mean"],
                                               self.buffers["running_var"])
        self.save_cache(cache=cache, shape=x.shape)
        return self._from_columns(y, x.shape)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy shaped like y -> dx shaped like x; fills grads gamma, beta.
        See batchnorm_backward for the derivation (training: the batch statistics depend on
        x; eval: the running ones are constants)."""
        saved = self.load_cache()
        dy = self.check_grad(dy, saved["shape"]).astype(self.dtype, copy=False)
        dx, dgamma, dbeta = batchnorm_backward(self._to_columns(dy), saved["cache"])
        self.grads["gamma"][...] = dgamma
        self.grads["beta"][...] = dbeta
        return self._from_columns(dx, saved["shape"])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.n}, momentum={self.momentum}, eps={self.eps})"


class BatchNorm1D(_BatchNorm):
    """Batch norm over the batch axis of (N, F) features: each of the F columns is normalized
    with its own mean and variance over the N examples, then y = gamma * xhat + beta.

    n_features: F. momentum: weight of the new batch in the running statistics (0.1).
    eps: added to the variance before the square root (1e-5).
    params gamma, beta: (F,); buffers running_mean, running_var: (F,).
    """

    def __init__(self, n_features: int, momentum: float = 0.1, eps: float = 1e-5, *, name=None):
        super().__init__(n_features, momentum, eps, name=name)


class BatchNorm2D(_BatchNorm):
    """Batch norm per channel of NCHW images: channel c is normalized with the mean and
    variance of its N*H*W values (the same gamma_c and beta_c at every pixel), as a conv
    layer shares one filter over every pixel.

    n_channels: C. x: (N, C, H, W) -> y: (N, C, H, W).
    params gamma, beta: (C,); buffers running_mean, running_var: (C,).
    backend: "reference" (scratchnet/kernels/batchnorm_reference.py, NumPy), "numba"
             (batchnorm_numba.py, fused loops) or None (follow scratchnet.get_backend()).
             There is no CUDA kernel for batch norm yet: under "cuda" the numba one runs.
    The math is batchnorm_forward / batchnorm_backward's with M = N*H*W (derivation there);
    the kernels compute it per channel in float64 and round once to x's dtype.
    """

    ndim = 4
    size_name = "n_channels"

    def __init__(self, n_channels: int, momentum: float = 0.1, eps: float = 1e-5, *,
                 backend=None, name=None):
        super().__init__(n_channels, momentum, eps, name=name)
        self.backend = None if backend is None else check_backend(backend, self.name)

    def _kernel(self, backend: str):
        """The kernel module for `backend` (cuda has none: the numba one runs)."""
        return batchnorm_reference if backend == "reference" else batchnorm_numba

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C, H, W) -> y: (N, C, H, W). Training: batch statistics (and the running
        ones updated); eval: the running statistics."""
        x = self.check_input(x, ndim=4, axis=1, size=self.n).astype(self.dtype, copy=False)
        backend = self.backend or get_backend()
        mod = self._kernel(backend)
        gamma, beta = self.params["gamma"], self.params["beta"]
        if self.training:
            M = x.shape[0] * x.shape[2] * x.shape[3]
            if M < 2:
                raise ValueError(f"{self.name}: training mode needs more than one value per "
                                 f"channel to compute a variance, got input of shape {x.shape}")
            y, cache, mu, var = mod.forward(x, gamma, beta, self.eps)
            self._update_running(mu, var, M)
        else:
            y, cache, _, _ = mod.forward(x, gamma, beta, self.eps, self.buffers["running_mean"],
                                         self.buffers["running_var"])
        self.save_cache(backend=backend, cache=cache, shape=x.shape)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy: (N, C, H, W) -> dx: (N, C, H, W); fills grads gamma, beta (C,).
        dx = gamma s (dy - mean(dy) - xhat mean(dy xhat)) per channel in training, gamma s dy
        in eval (s = 1/sqrt(var + eps)); see batchnorm_backward for the derivation."""
        saved = self.load_cache()
        dy = self.check_grad(dy, saved["shape"]).astype(self.dtype, copy=False)
        dx, dgamma, dbeta = self._kernel(saved["backend"]).backward(dy, saved["cache"])
        self.grads["gamma"][...] = dgamma
        self.grads["beta"][...] = dbeta
        return dx

    def __repr__(self) -> str:
        return (f"BatchNorm2D({self.n}, momentum={self.momentum}, eps={self.eps}, "
                f"backend={self.backend!r})")


# ===== layer norm ==================================================================================
def layernorm_forward(x, gamma, beta, eps=1e-5):
    """x: (..., *S) -> y: (..., *S), each example normalized over its own last k axes, where
    S = gamma.shape = beta.shape and k = len(S); D = prod(S) values per example.

        mu = mean of the D values      var = mean (x - mu)^2 (biased)
        xhat = (x - mu) / sqrt(var + eps)          y = gamma * xhat + beta

    Batch norm's four lines with the roles swapped: the statistics run over the features of
    one example, not over the batch, so there are no running statistics and train and eval
    are the same. (For a 2-D x and gamma = 1, beta = 0 it IS batch norm of x.T, transposed
    back.) gamma and beta are per feature: (S), broadcast over the leading axes.
    Returns (y, cache) with cache = (xhat, gamma, inv_std); inv_std: (..., 1, ..., 1).
    """
    axes = tuple(range(x.ndim - gamma.ndim, x.ndim))
    mu = x.mean(axis=axes, keepdims=True)
    xc = x - mu
    var = (xc * xc).mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = xc * inv_std
    return gamma * xhat + beta, (xhat, gamma, inv_std)


def layernorm_backward(dy, cache):
    """dy (..., *S) -> (dx (..., *S), dgamma (S), dbeta (S)).

    From y = gamma * xhat + beta, summing over the leading (example) axes, since every
    example used the same gamma and beta:
        dbeta = sum dy,   dgamma = sum dy * xhat,   dxhat = dy * gamma      (per feature)
    Inside one example (D values, s = inv_std) mu and var depend on every x_j, exactly as in
    batchnorm_backward with M replaced by D:
        dxhat_i/dx_j = s * ([i == j] - 1/D) - s * xhat_i * xhat_j / D
      (d mu/dx_j = 1/D; d var/dx_j = 2 (x_j - mu) / D; d s/d var = -s^3 / 2), so
        dx_j = sum_i dxhat_i dxhat_i/dx_j
             = (s / D) * (D * dxhat_j - sum_i dxhat_i - xhat_j * sum_i dxhat_i * xhat_i),
    the sums over the D features of the example. Unlike batch norm, gamma differs from one
    feature to the next, so it stays inside those sums (dxhat = dy * gamma). Nothing given
    is changed.
    """
    xhat, gamma, inv_std = cache
    k = gamma.ndim
    lead = tuple(range(dy.ndim - k))
    axes = tuple(range(dy.ndim - k, dy.ndim))
    D = int(np.prod(gamma.shape))
    dbeta = dy.sum(axis=lead)
    dgamma = (dy * xhat).sum(axis=lead)
    dxhat = dy * gamma
    dx = (inv_std / D) * (D * dxhat - dxhat.sum(axis=axes, keepdims=True)
                          - xhat * (dxhat * xhat).sum(axis=axes, keepdims=True))
    return dx, dgamma, dbeta


def _normalized_shape(who: str, shape) -> tuple[int, ...]:
    """An int or a non-empty tuple of positive ints, as a tuple."""
    items = (shape,) if isinstance(shape, (int, np.integer)) else shape
    if not isinstance(items, (tuple, list)) or not items or not all(
            isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in items):
        raise TypeError(f"{who}: expected normalized_shape to be an int or a tuple of ints "
                        f"(the last axes of x), got {shape!r}")
    if min(items) < 1:
        raise ValueError(f"{who}: expected normalized_shape of positive sizes, got {shape!r}")
    return tuple(int(d) for d in items)


class LayerNorm(Layer):
    """Layer norm: each example normalized over its own last len(normalized_shape) axes,
    then y = gamma * xhat + beta with gamma and beta per feature.

    normalized_shape: S, an int (the feature axis D of (N, D) or of (N, T, D)) or a tuple
                      (the last axes, e.g. (C, H, W)). eps: added to the variance (1e-5).
    params gamma (ones), beta (zeros): shape S. No buffers: train and eval are the same.
    forward: x (N, ..., *S) -> y of the same shape (the math: layernorm_forward; the
    backward's derivation: layernorm_backward). Unlike batch norm, one example's output
    never depends on the others, and a batch of one is fine.
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, *, name=None):
        super().__init__(name)
        self.normalized_shape = _normalized_shape(self.name, normalized_shape)
        self.eps = _check_number(self.name, "eps", eps, 0.0, math.inf)
        dtype = get_default_dtype()
        self.add_param("gamma", np.ones(self.normalized_shape, dtype=dtype))
        self.add_param("beta", np.zeros(self.normalized_shape, dtype=dtype))

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, ..., *S) -> y: (N, ..., *S), in the layer's dtype."""
        x = self.check_input(x).astype(self.dtype, copy=False)
        S, k = self.normalized_shape, len(self.normalized_shape)
        if x.ndim < k + 1 or x.shape[x.ndim - k:] != S:
            want = "(N, ..., " + ", ".join(str(d) for d in S) + ")"
            raise ValueError(f"{self.name}: expected x of shape {want} (a batch axis, then "
                             f"normalized_shape {S} as the last axes), got shape {x.shape}")
        y, cache = layernorm_forward(x, self.params["gamma"], self.params["beta"], self.eps)
        self.save_cache(cache=cache, shape=x.shape)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy shaped like y -> dx shaped like x; fills grads gamma, beta (S). Derivation:
        layernorm_backward."""
        saved = self.load_cache()
        dy = self.check_grad(dy, saved["shape"]).astype(self.dtype, copy=False)
        dx, dgamma, dbeta = layernorm_backward(dy, saved["cache"])
        self.grads["gamma"][...] = dgamma
        self.grads["beta"][...] = dbeta
        return dx

    def __repr__(self) -> str:
        return f"LayerNorm({self.normalized_shape}, eps={self.eps})"
