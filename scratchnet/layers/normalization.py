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
BatchNorm1D uses them on (N, F) (M = N); BatchNorm2D on (N, C, H, W), per channel, with the
N*H*W values of a channel as its batch (M = N*H*W).
"""
from __future__ import annotations

import math

import numpy as np

from scratchnet import initializers
from scratchnet._config import get_default_dtype
from scratchnet.layers.base import Layer
from scratchnet.layers.dense import positive_int


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
            M = cols.shape[0]
            m = self.momentum
            self.buffers["running_mean"] = (1 - m) * self.buffers["running_mean"] + m * mu
            self.buffers["running_var"] = ((1 - m) * self.buffers["running_var"]
                                           + m * var * (M / (M - 1)))
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
    """

    ndim = 4
    size_name = "n_channels"

    def __init__(self, n_channels: int, momentum: float = 0.1, eps: float = 1e-5, *, name=None):
        super().__init__(n_channels, momentum, eps, name=name)

    def _to_columns(self, x):
        N, C, H, W = x.shape
        return x.transpose(0, 2, 3, 1).reshape(N * H * W, C)        # (N*H*W, C)

    def _from_columns(self, y, shape):
        N, C, H, W = shape
        return np.ascontiguousarray(y.reshape(N, H, W, C).transpose(0, 3, 1, 2))
