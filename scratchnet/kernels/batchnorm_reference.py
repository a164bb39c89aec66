"""Batch norm of NCHW images, per channel, in plain NumPy: the math that the numba kernel
(batchnorm_numba.py) must equal. BatchNorm2D calls one of the two.

    y, cache, mean, var = forward(x, gamma, beta, eps=1e-5, mean=None, var=None)
    dx, dgamma, dbeta = backward(dy, cache)

Channel c of x (N, C, H, W) is one batch of M = N*H*W values: the same gamma_c and beta_c at
every pixel of every image. For that channel (scratchnet/layers/normalization.py has the
course's algorithm box and the derivation):

    mean_c  = (1/M) sum x[:, c]                    var_c = (1/M) sum (x[:, c] - mean_c)^2
    s_c     = 1 / sqrt(var_c + eps)                xhat  = (x - mean_c) * s_c
    y       = (x - mean_c) * (gamma_c * s_c) + beta_c          (= gamma_c * xhat + beta_c)

Training passes mean=None and var=None (the batch's own statistics, var biased); eval passes
the running mean and variance (C,), which are then constants.

Numbers. Every sum runs in float64 and every element is computed in float64, then rounded
once to x's dtype; the statistics returned (mean, var) are float64. The formulas above are
the ones the numba kernel uses, operation for operation, so NaN and inf land in the same
places on both: a channel holding a NaN or an inf has a NaN (or inf) mean or variance in
training, so its whole output is NaN; in eval mode, with finite running statistics, only the
non-finite elements stay non-finite (inf * gamma_c * s_c, or NaN where gamma_c = 0).
"""
from __future__ import annotations

import math

import numpy as np


# ----- argument checks (shared with batchnorm_numba: compiled code does no bounds checks) ---------
def _float_array(who: str, what: str, a) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{who}: expected {what} to be a numpy array, got {type(a).__name__}")
    if a.dtype not in (np.float32, np.float64):
        raise TypeError(f"{who}: expected {what} with a float32 or float64 dtype, got {a.dtype}")
    return a


def _channel_vector(who: str, what: str, a, C: int) -> np.ndarray:
    """a as a C-contiguous float64 (C,) array."""
    a = _float_array(who, what, a)
    if a.shape != (C,):
        raise ValueError(f"{who}: expected {what} of shape ({C},) (one per channel), "
                         f"got shape {a.shape}")
    return np.ascontiguousarray(a, dtype=np.float64)


def check_forward(who, x, gamma, beta, eps, mean, var):
    """Validate forward's arguments. Returns (x C-contiguous, gamma, beta, eps, mean, var),
    the vectors as float64 (C,) (mean, var None in training)."""
    x = _float_array(who, "x", x)
    if x.ndim != 4:
        raise ValueError(f"{who}: expected x of shape (N, C, H, W), got shape {x.shape}")
    C = x.shape[1]
    gamma, beta = _channel_vector(who, "gamma", gamma, C), _channel_vector(who, "beta", beta, C)
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.integer, np.floating)) \
            or not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"{who}: expected eps to be a number > 0, got {eps!r}")
    if (mean is None) != (var is None):
        raise ValueError(f"{who}: give both mean and var (eval mode) or neither (training)")
    if mean is None:
        if x.shape[0] * x.shape[2] * x.shape[3] < 1:
            raise ValueError(f"{who}: batch statistics need at least one value per channel, "
                             f"got x of shape {x.shape}")
    else:
        mean, var = _channel_vector(who, "mean", mean, C), _channel_vector(who, "var", var, C)
    return np.ascontiguousarray(x), gamma, beta, float(eps), mean, var


def check_dy(who, dy, cache) -> np.ndarray:
    """dy as a C-contiguous array of the forward's x shape and dtype."""
    x = cache[0]
    dy = _float_array(who, "dy", dy)
    if dy.shape != x.shape:
        raise ValueError(f"{who}: expected dy of shape {x.shape} (the shape of the forward's "
                         f"output), got shape {dy.shape}")
    return np.ascontiguousarray(dy, dtype=x.dtype)


# ----- the math -----------------------------------------------------------------------------------
def _per_channel(v):
    """(C,) -> (1, C, 1, 1), to broadcast over N, H and W."""
    return v[None, :, None, None]


def forward(x, gamma, beta, eps=1e-5, mean=None, var=None):
    """x: (N, C, H, W) -> y: (N, C, H, W), in x's dtype, normalized per channel.

    gamma, beta: (C,). mean, var: None (training: the batch's statistics) or (C,) (eval).
    Returns (y, cache, mean, var): the statistics used, float64 (C,) (var biased, /M), and
    cache = (x, mean, inv_std, gamma, batch_stats) for backward. x is kept, not copied.
    """
    x, gamma, beta, eps, mean, var = check_forward("batchnorm_reference.forward", x, gamma,
                                                   beta, eps, mean, var)
    xf = x.astype(np.float64)
    batch_stats = mean is None
    if batch_stats:
        mean = xf.mean(axis=(0, 2, 3))
        var = ((xf - _per_channel(mean)) ** 2).mean(axis=(0, 2, 3))
    inv_std = 1.0 / np.sqrt(var + eps)
    y = (xf - _per_channel(mean)) * _per_channel(gamma * inv_std) + _per_channel(beta)
    return y.astype(x.dtype), (x, mean, inv_std, gamma, batch_stats), mean, var


def backward(dy, cache):
    """dy = dL/dy (N, C, H, W) -> (dx (N, C, H, W), dgamma (C,), dbeta (C,)), in x's dtype.

    With M = N*H*W values per channel, s = inv_std and xhat = (x - mean) * s:
        dbeta  = sum dy                dgamma = sum dy * xhat          (sums over N, H, W)
        eval:      dx = (gamma * s) * dy                      (mean and var are constants)
        training:  dx = (gamma * s) * (dy - dbeta / M - xhat * dgamma / M)
    The training line is batchnorm_backward's (s / M) * (M dxhat - sum dxhat - xhat sum
    dxhat xhat) with dxhat = gamma * dy, gamma taken out of the sums (derivation there).
    Nothing given is changed.
    """
    x, mean, inv_std, gamma, batch_stats = cache
    dy = check_dy("batchnorm_reference.backward", dy, cache)
    M = x.shape[0] * x.shape[2] * x.shape[3]
    dyf = dy.astype(np.float64)
    xhat = (x.astype(np.float64) - _per_channel(mean)) * _per_channel(inv_std)
    dbeta = dyf.sum(axis=(0, 2, 3))
    dgamma = (dyf * xhat).sum(axis=(0, 2, 3))
    scale = _per_channel(gamma * inv_std)
    if batch_stats:
        dx = scale * (dyf - _per_channel(dbeta / M) - xhat * _per_channel(dgamma / M))
    else:
        dx = scale * dyf
    return dx.astype(x.dtype), dgamma.astype(x.dtype), dbeta.astype(x.dtype)
