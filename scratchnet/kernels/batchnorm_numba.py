"""Batch norm of NCHW images on the CPU with numba: one fused pass per step, one channel per
parallel task. Same contract and same numbers as batchnorm_reference (read that first).

    y, cache, mean, var = forward(x, gamma, beta, eps=1e-5, mean=None, var=None)
    dx, dgamma, dbeta = backward(dy, cache)

Why fused. NumPy's version makes a float64 copy of x, then x - mean, its square, xhat and y,
each a full pass over memory and a new array. Here a channel's N*H*W values (256 KB for
(64, C, 32, 32) float32, which fits in one core's L2 cache) are read once from memory for
the mean, then again from cache for the variance and for y. Backward likewise: one pass for
the two sums (dbeta, dgamma), one to write dx. xhat is never stored: backward recomputes it
from x, the mean and 1/std.

Same numbers as the reference: the same formulas, operation for operation, in float64 (each
element is rounded once to x's dtype when stored), so NaN and inf land where the reference
puts them. The sums are allowed to run in any order (numba's fastmath "reassoc" flag, on the
sums only) so that they vectorize; that changes their rounding (well inside float32's
tolerance, and about 1e-16 relative in float64) but not NaN or inf, since a sum holding a
NaN, or +inf and -inf, is NaN in any order, and float32 values cannot overflow a float64 sum.
Results do not depend on the number of threads: each channel is summed by one thread.
"""
from __future__ import annotations

import numba
import numpy as np

from scratchnet.kernels.batchnorm_reference import check_dy, check_forward
from scratchnet.kernels.threads import serialized

_REASSOC = {"reassoc"}        # only the sums: elementwise math stays exactly IEEE


@numba.njit(fastmath=_REASSOC, cache=True)
def _sum(x, c):
    """sum over n, i of x[n, c, i], in float64."""
    s = 0.0
    for n in range(x.shape[0]):
        for i in range(x.shape[2]):
            s += x[n, c, i]
    return s


@numba.njit(fastmath=_REASSOC, cache=True)
def _sum_sq_dev(x, c, mu):
    """sum over n, i of (x[n, c, i] - mu)^2, in float64."""
    s = 0.0
    for n in range(x.shape[0]):
        for i in range(x.shape[2]):
            d = x[n, c, i] - mu
            s += d * d
    return s


@numba.njit(fastmath=_REASSOC, cache=True)
def _grad_sums(x, dy, c, mu, inv):
    """(sum dy, sum dy * xhat) over channel c, with xhat = (x - mu) * inv, in float64."""
    s_dy = 0.0
    s_dyx = 0.0
    for n in range(x.shape[0]):
        for i in range(x.shape[2]):
            g = dy[n, c, i] + 0.0          # float64
            s_dy += g
            s_dyx += g * ((x[n, c, i] - mu) * inv)
    return s_dy, s_dyx


@numba.njit(cache=True)
def _affine(x, c, mu, scale, shift, y):
    """y[n, c, i] = (x[n, c, i] - mu) * scale + shift."""
    for n in range(x.shape[0]):
        for i in range(x.shape[2]):
            y[n, c, i] = (x[n, c, i] - mu) * scale + shift


@numba.njit(parallel=True, cache=True)
def _forward(x, gamma, beta, eps, batch_stats, mean, var, y):
    """Per channel: the statistics (when batch_stats; else mean, var are given), then y.
    x, y: (N, C, P) with P = H*W; gamma, beta, mean, var: float64 (C,)."""
    N, C, P = x.shape
    M = N * P
    for c in numba.prange(C):
        if batch_stats:
            mu = _sum(x, c) / M
            v = _sum_sq_dev(x, c, mu) / M
            mean[c] = mu
            var[c] = v
        inv = 1.0 / np.sqrt(var[c] + eps)
        _affine(x, c, mean[c], gamma[c] * inv, beta[c], y)


@numba.njit(parallel=True, cache=True)
def _backward(x, dy, mean, inv_std, gamma, batch_stats, dx, dgamma, dbeta):
    """Per channel: dbeta = sum dy, dgamma = sum dy * xhat, then dx (batchnorm_reference)."""
    N, C, P = x.shape
    M = N * P
    for c in numba.prange(C):
        mu, inv = mean[c], inv_std[c]
        s_dy, s_dyx = _grad_sums(x, dy, c, mu, inv)
        dbeta[c] = s_dy
        dgamma[c] = s_dyx
        scale = gamma[c] * inv
        a = s_dy / M
        b = s_dyx / M
        for n in range(N):
            for i in range(P):
                g = dy[n, c, i] + 0.0
                if batch_stats:
                    xhat = (x[n, c, i] - mu) * inv
                    dx[n, c, i] = scale * ((g - a) - xhat * b)
                else:
                    dx[n, c, i] = scale * g


def _flat(a):
    """(N, C, H, W) -> (N, C, H*W), a view of a C-contiguous array."""
    N, C, H, W = a.shape
    return a.reshape(N, C, H * W)


@serialized
def forward(x, gamma, beta, eps=1e-5, mean=None, var=None):
    """x: (N, C, H, W) -> (y, cache, mean, var), as batchnorm_reference.forward: y in x's
    dtype, the statistics used as float64 (C,), cache = (x, mean, inv_std, gamma, batch_stats)."""
    x, gamma, beta, eps, mean, var = check_forward("batchnorm_numba.forward", x, gamma, beta,
                                                   eps, mean, var)
    C = x.shape[1]
    batch_stats = mean is None
    if batch_stats:
        mean, var = np.empty(C), np.empty(C)
    y = np.empty_like(x)
    _forward(_flat(x), gamma, beta, eps, batch_stats, mean, var, _flat(y))
    inv_std = 1.0 / np.sqrt(var + eps)        # what the kernel used, per channel
    return y, (x, mean, inv_std, gamma, batch_stats), mean, var


@serialized
def backward(dy, cache):
    """dy (N, C, H, W) -> (dx, dgamma (C,), dbeta (C,)) in x's dtype; the derivation is in
    batchnorm_reference.backward. Nothing given is changed."""
    x, mean, inv_std, gamma, batch_stats = cache
    dy = check_dy("batchnorm_numba.backward", dy, cache)
    C = x.shape[1]
    dx = np.empty_like(x)
    dgamma, dbeta = np.empty(C), np.empty(C)
    _backward(_flat(x), _flat(dy), mean, inv_std, gamma, batch_stats, _flat(dx), dgamma, dbeta)
    return dx, dgamma.astype(x.dtype), dbeta.astype(x.dtype)
