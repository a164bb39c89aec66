"""Average pooling in plain NumPy, written to be read; the numba and CUDA kernels must equal it.

    out, cache = forward(x, kernel, stride=None, padding=0)
    dx = backward(dout, cache)

Padding is zeros and the padded zeros COUNT in the mean: every window divides by KH*KW
(PyTorch's default, count_include_pad=True).

NaN and inf go through the sum as IEEE arithmetic says: a window with a NaN, or with both
+inf and -inf, averages to NaN; one with +inf (or -inf) and no NaN, to +inf (-inf). Every
backend sums a window in float64 and rounds once, to x's dtype, at the end, so float32
numbers whose sum passes float32's largest value (3.4e38) still average to a finite number
on all of them.
"""
from __future__ import annotations

import numpy as np

from scratchnet.kernels.geometry import check_dout, check_pool


def forward(x, kernel, stride=None, padding=0):
    """out[n, c, i, j] = (1 / (KH*KW)) * sum of the KH x KW window of xp at rows i*sh.., cols j*sw..

    x: (N, C, H, W) -> out: (N, C, H', W'), H' = (H + 2*ph - KH) // sh + 1 (W' likewise).
    kernel, stride, padding: int or pair; stride None means stride = kernel.
    """
    x, (KH, KW), (sh, sw), (ph, pw), (HO, WO) = check_pool(
        "avgpool_reference.forward", x, kernel, stride, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    out = np.empty(x.shape[:2] + (HO, WO), dtype=x.dtype)
    for i in range(HO):
        for j in range(WO):
            window = xp[:, :, i * sh:i * sh + KH, j * sw:j * sw + KW]    # (N, C, KH, KW)
            out[:, :, i, j] = window.sum(axis=(2, 3), dtype=np.float64) / (KH * KW)
    return out, (x.shape, x.dtype, out.shape, (KH, KW), (sh, sw), (ph, pw))


def backward(dout, cache):
    """dx, given dout = dL/dout (N, C, H', W').

    Forward:  out[n,c,i,j] = (1 / (KH*KW)) * sum_{kh,kw} xp[n, c, i*sh + kh, j*sw + kw]
    Backward: d out[n,c,i,j] / d xp[n,c,i*sh+kh,j*sw+kw] = 1 / (KH*KW), so each window spreads
              dout[n,c,i,j] / (KH*KW) evenly over its cells (sums where windows overlap), and
              the share that lands on padding is dropped:             dx: (N, C, H, W)
    Returns dx. Nothing given is changed.
    """
    x_shape, dtype, out_shape, (KH, KW), (sh, sw), (ph, pw) = cache
    dout = check_dout("avgpool_reference.backward", dout, out_shape, dtype)
    N, C, H, W = x_shape
    dxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=dtype)
    for i in range(out_shape[2]):
        for j in range(out_shape[3]):
            dxp[:, :, i * sh:i * sh + KH, j * sw:j * sw + KW] += dout[:, :, i, j, None, None] / (KH * KW)
    return dxp[:, :, ph:ph + H, pw:pw + W].copy()
