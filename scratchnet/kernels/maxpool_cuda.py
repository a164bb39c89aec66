"""Max pooling on an NVIDIA GPU with numba.cuda, without atomics.

forward: one thread per out[n, c, i, j]; it also stores the winner's window index
         kh*KW + kw (maxpool_reference's rule: the FIRST NaN, else the FIRST maximum, in
         row-major order; padded cells are skipped, so padding never wins).
backward: one thread per dx[n, c, h, w]; it GATHERS dout from every window that contains
         (h, w) and whose winner is (h, w), so no two threads write the same number.
Same contract and winner rule as maxpool_reference. Without a GPU, NUMBA_ENABLE_CUDASIM=1
(set before numba is imported) runs this on numba's CPU simulator.

    out, cache = forward(x, kernel, stride=None, padding=0)
    dx = backward(dout, cache)
"""
from __future__ import annotations

import numpy as np
from numba import config, cuda

from scratchnet.kernels.geometry import check_dout, check_pool

# threads per block; 16 on numba's simulator, where each thread is a slow Python thread
THREADS = 16 if config.ENABLE_CUDASIM else 128


@cuda.jit(device=True)
def _wins(v, best):
    """Does v, LATER in the window than the winner so far, take its place? Yes if v > best
    (strictly: on a tie the first maximum stays), or if v is NaN and best is not (a NaN beats
    every number; the first NaN stays).
    `not (v <= best)` is v > best or NaN on either side; `best == best` is false only for a
    NaN best. The same test as maxpool_numba._wins, where it is explained and measured."""
    return (not (v <= best)) & (best == best)


@cuda.jit
def _forward(x, KH, KW, sh, sw, ph, pw, out, arg):
    """out[n,c,i,j] = max of the window; arg[n,c,i,j] = its index kh*KW + kw. Padding never
    wins, so the loops run over the window's real cells only (check_pool keeps at least one),
    and the first of them starts as the winner."""
    t = cuda.grid(1)
    N, C, HO, WO = out.shape[0], out.shape[1], out.shape[2], out.shape[3]
    if t >= N * C * HO * WO:
        return
    j, i, c, n = t % WO, (t // WO) % HO, (t // (WO * HO)) % C, t // (WO * HO * C)
    H, W = x.shape[2], x.shape[3]
    h0, w0 = i * sh - ph, j * sw - pw              # the window's top-left cell; < 0 in the padding
    kh_lo, kh_hi = max(0, -h0), min(KH, H - h0)
    kw_lo, kw_hi = max(0, -w0), min(KW, W - w0)
    best = x[n, c, h0 + kh_lo, w0 + kw_lo]
    k_best = kh_lo * KW + kw_lo
    for kh in range(kh_lo, kh_hi):
        for kw in range(kw_lo, kw_hi):
            v = x[n, c, h0 + kh, w0 + kw]
            if _wins(v, best):
                best = v
                k_best = kh * KW + kw
    out[n, c, i, j] = best
    arg[n, c, i, j] = k_best


@cuda.jit
def _backward(dout, arg, KH, KW, sh, sw, ph, pw, dx):
    """dx[n,c,h,w] = sum of dout[n,c,i,j] over windows (i, j) that contain (h, w) and chose it."""
    t = cuda.grid(1)
    N, C, H, W = dx.shape[0], dx.shape[1], dx.shape[2], dx.shape[3]
    if t >= N * C * H * W:
        return
    w, h, c, n = t % W, (t // W) % H, (t // (W * H)) % C, t // (W * H * C)
    HO, WO = dout.shape[2], dout.shape[3]
    s = 0.0
    # window i covers rows i*sh - ph .. i*sh - ph + KH - 1, so it contains h when
    # (h + ph - KH + 1) / sh <= i <= (h + ph) / sh
    for i in range(max(0, (h + ph - KH + sh) // sh), min(HO - 1, (h + ph) // sh) + 1):
        for j in range(max(0, (w + pw - KW + sw) // sw), min(WO - 1, (w + pw) // sw) + 1):
            if arg[n, c, i, j] == (h + ph - i * sh) * KW + (w + pw - j * sw):
                s += dout[n, c, i, j]
    dx[n, c, h, w] = s


def forward(x, kernel, stride=None, padding=0):
    """x: (N, C, H, W) -> out: (N, C, H', W'), H' = (H + 2*ph - KH) // sh + 1. See maxpool_reference."""
    x, (KH, KW), (sh, sw), (ph, pw), (HO, WO) = check_pool(
        "maxpool_cuda.forward", x, kernel, stride, padding)
    d_out = cuda.device_array(x.shape[:2] + (HO, WO), dtype=x.dtype)
    d_arg = cuda.device_array(d_out.shape, dtype=np.int64)
    blocks = (d_out.size + THREADS - 1) // THREADS
    _forward[blocks, THREADS](cuda.to_device(x), KH, KW, sh, sw, ph, pw, d_out, d_arg)
    return d_out.copy_to_host(), (x.shape, x.dtype, d_arg, (KH, KW), (sh, sw), (ph, pw))


def backward(dout, cache):
    """dx: (N, C, H, W) given dout (N, C, H', W'); derivation in maxpool_reference.backward."""
    x_shape, dtype, d_arg, (KH, KW), (sh, sw), (ph, pw) = cache
    dout = check_dout("maxpool_cuda.backward", dout, d_arg.shape, dtype)
    d_dx = cuda.device_array(x_shape, dtype=dtype)
    blocks = (d_dx.size + THREADS - 1) // THREADS
    _backward[blocks, THREADS](cuda.to_device(dout), d_arg, KH, KW, sh, sw, ph, pw, d_dx)
    return d_dx.copy_to_host()
