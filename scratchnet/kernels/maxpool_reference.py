"""Max pooling in plain NumPy, written to be read; the numba and CUDA kernels must equal it.

    out, cache = forward(x, kernel, stride=None, padding=0)
    dx = backward(dout, cache)

Which element wins a window (its value is the output, and it alone gets the gradient):
every backend follows this rule exactly, and tests hold them to it.

  1. A NaN beats every number, +inf included: a window holding a NaN outputs NaN, and its
     gradient goes to its FIRST NaN. (NaN propagates, as in PyTorch: a NaN that a max
     pool silently dropped would hide a bug upstream.)
  2. Otherwise the largest value wins, and ties go to the FIRST maximum. +inf beats every
     finite number; a window of -inf only outputs -inf.
  3. Padding never wins: a padded cell loses even to a real -inf (check_pool makes sure every
     window holds a real element). Padding is filled with -inf, and where argmax chose a
     padded -inf, the window's first real cell (also -inf) wins instead.

"First" means row-major window order: kh, then kw, which is what np.argmax returns (and
np.argmax counts NaN as the largest value and returns the first one). Rules 1 and 2 together:
the winner is the first cell of the window that is "largest" in the order
-inf < finite numbers < +inf < NaN, among the real cells.
"""
from __future__ import annotations

import numpy as np

from scratchnet.kernels.geometry import check_dout, check_pool


def forward(x, kernel, stride=None, padding=0):
    """out[n, c, i, j] = max over the KH x KW window of xp at rows i*sh.., cols j*sw..

    x: (N, C, H, W) -> out: (N, C, H', W'), H' = (H + 2*ph - KH) // sh + 1 (W' likewise).
    kernel, stride, padding: int or pair; stride None means stride = kernel.
    The cache keeps `arg` (N, C, H', W'): the winner's index kh*KW + kw in its window.
    """
    x, (KH, KW), (sh, sw), (ph, pw), (HO, WO) = check_pool(
        "maxpool_reference.forward", x, kernel, stride, padding)
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    real = np.pad(np.ones((H, W), dtype=bool), ((ph, ph), (pw, pw)))     # False on padding
    out = np.empty((N, C, HO, WO), dtype=x.dtype)
    arg = np.empty((N, C, HO, WO), dtype=np.int64)
    for i in range(HO):
        for j in range(WO):
            window = xp[:, :, i * sh:i * sh + KH, j * sw:j * sw + KW].reshape(N, C, KH * KW)
            k = window.argmax(axis=2)                       # first NaN, else first maximum
            # rule 3: argmax chose a padded cell only if every real cell is -inf too; then
            # the first real cell wins
            real_cells = real[i * sh:i * sh + KH, j * sw:j * sw + KW].reshape(KH * KW)
            k = np.where(real_cells[k], k, real_cells.argmax())
            arg[:, :, i, j] = k
            out[:, :, i, j] = np.take_along_axis(window, k[:, :, None], axis=2)[:, :, 0]
    return out, (x.shape, x.dtype, arg, (KH, KW), (sh, sw), (ph, pw))


def backward(dout, cache):
    """dx, given dout = dL/dout (N, C, H', W').

    Forward:  out[n,c,i,j] = xp[n, c, i*sh + kh*, j*sw + kw*] where (kh*, kw*) = the argmax
    Backward: max is locally "copy the winner", so d out / d winner = 1 and 0 for the rest:
              dL/dx[n,c,h,w] = sum over the windows (i, j) whose winner is (h, w) of dout[n,c,i,j]
              (a sum, since overlapping windows (stride < kernel) can pick the same winner).
    The other cells of a window get exactly 0, even where dout is inf or NaN (a one-hot
    product, winner * dout, would make them 0 * inf = NaN).
    Returns dx: (N, C, H, W). Nothing given is changed.
    """
    x_shape, dtype, arg, (KH, KW), (sh, sw), (ph, pw) = cache
    dout = check_dout("maxpool_reference.backward", dout, arg.shape, dtype)
    N, C, H, W = x_shape
    dxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=dtype)
    for i in range(arg.shape[2]):
        for j in range(arg.shape[3]):
            winner = np.arange(KH * KW) == arg[:, :, i, j, None]      # (N, C, KH*KW) one-hot
            share = np.where(winner, dout[:, :, i, j, None], 0)
            dxp[:, :, i * sh:i * sh + KH, j * sw:j * sw + KW] += share.reshape(N, C, KH, KW)
    return dxp[:, :, ph:ph + H, pw:pw + W].copy()
