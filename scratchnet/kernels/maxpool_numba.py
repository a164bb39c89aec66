"""Max pooling on the CPU with numba: direct loops, one (n, c) plane per parallel task.

Same contract and the same winner rule as maxpool_reference (its module docstring): the
FIRST NaN of the window if it holds one, else the FIRST maximum, in row-major window order;
padding never wins, not even against a real -inf. Planes are independent, so
`prange` over N*C planes needs no atomics, and inside a plane the backward scatter runs
serially, so overlapping windows add up in a fixed order: results are deterministic.

The common case, 2x2 windows with stride 2 and no padding (LeNet's pools), has its own pair
of kernels: the four cells of a window written out, so the compiler turns the winner test
into selects with no branch and no inner loop, and a backward that writes each cell of dx
once (its window's dout if it won, else 0) instead of zero-filling dx and adding into it.
Measured on (64, 6, 28, 28) float32, one thread: forward 0.57 -> 0.08 ms, backward
0.17 -> 0.12 ms. Big outputs come from threads.empty_reused (no fresh pages each step).

    out, cache = forward(x, kernel, stride=None, padding=0)
    dx = backward(dout, cache)
"""
from __future__ import annotations

import numba
import numpy as np

from scratchnet.kernels.geometry import check_dout, check_pool
from scratchnet.kernels.threads import empty_reused, serialized


@numba.njit(inline="always")
def _wins(v, best):
    """Does v, LATER in the window than the winner so far, take its place? Yes if v > best
    (strictly: on a tie the first maximum stays), or if v is NaN and best is not (a NaN beats
    every number; the first NaN stays).

    `not (v <= best)` is v > best, or NaN on either side (every comparison with NaN is
    false); `best == best` is false only when best is NaN. `&`, not `and`: the test stays
    free of branches. Measured on the (64, 6, 28, 28) float32 2x2 forward, median of 200
    calls: 0.25 ms, against 0.21 ms for the plain `v > best` (which drops NaN) and 0.65 ms
    for the same test written with a short-circuit `or`."""
    return (not (v <= best)) & (best == best)


@numba.njit(parallel=True, cache=True)
def _forward(x, KH, KW, sh, sw, ph, pw, out, arg):
    """out[n,c,i,j] = max of the window; arg[n,c,i,j] = its index kh*KW + kw (the winner rule
    of maxpool_reference). Padding never wins, so the loops run over the window's real cells
    only, rows kh_lo..kh_hi-1 and columns kw_lo..kw_hi-1 (never empty: check_pool keeps a real
    cell in every window), and the first of them starts as the winner."""
    N, C, H, W = x.shape
    HO, WO = out.shape[2], out.shape[3]
    for p in numba.prange(N * C):
        n, c = p // C, p % C
        for i in range(HO):
            h0 = i * sh - ph                        # the window's top row; < 0 in the padding
            kh_lo, kh_hi = max(0, -h0), min(KH, H - h0)
            for j in range(WO):
                w0 = j * sw - pw
                kw_lo, kw_hi = max(0, -w0), min(KW, W - w0)
                best, k_best = x[n, c, h0 + kh_lo, w0 + kw_lo], kh_lo * KW + kw_lo
                for kh in range(kh_lo, kh_hi):
                    for kw in range(kw_lo, kw_hi):
                        v = x[n, c, h0 + kh, w0 + kw]
                        if _wins(v, best):
                            best, k_best = v, kh * KW + kw
                out[n, c, i, j] = best
                arg[n, c, i, j] = k_best


@numba.njit(parallel=True, cache=True)
def _forward_unpadded(x, KH, KW, sh, sw, out, arg):
    """_forward for padding 0, the common case (LeNet's 2x2 pools): every window lies inside x,
    so the inner loop needs no bounds test. The window's first cell starts as the winner."""
    C = x.shape[1]
    HO, WO = out.shape[2], out.shape[3]
    for p in numba.prange(x.shape[0] * C):
        n, c = p // C, p % C
        for i in range(HO):
            for j in range(WO):
                best, k_best = x[n, c, i * sh, j * sw], 0
                for kh in range(KH):
                    for kw in range(KW):
                        v = x[n, c, i * sh + kh, j * sw + kw]
                        if _wins(v, best):
                            best, k_best = v, kh * KW + kw
                out[n, c, i, j] = best
                arg[n, c, i, j] = k_best


@numba.njit(inline="always")
def _pick(v, best, k, k_v):
    """(best, k) after cell v with index k_v is seen: the winner rule of _wins, as selects."""
    w = _wins(v, best)
    return (v if w else best), (k_v if w else k)


@numba.njit(parallel=True, cache=True)
def _forward_2x2(x, out, arg):
    """_forward for 2x2 windows, stride 2, padding 0: window (i, j) holds, in row-major order,
    x[2i, 2j], x[2i, 2j+1], x[2i+1, 2j], x[2i+1, 2j+1] (indices 0..3). A last odd row or
    column of x is in no window."""
    C = x.shape[1]
    HO, WO = out.shape[2], out.shape[3]
    for p in numba.prange(x.shape[0] * C):
        n, c = p // C, p % C
        for i in range(HO):
            top, bottom = x[n, c, 2 * i], x[n, c, 2 * i + 1]
            out_row, arg_row = out[n, c, i], arg[n, c, i]
            for j in range(WO):
                best, k = top[2 * j], 0
                best, k = _pick(top[2 * j + 1], best, k, 1)
                best, k = _pick(bottom[2 * j], best, k, 2)
                best, k = _pick(bottom[2 * j + 1], best, k, 3)
                out_row[j] = best
                arg_row[j] = k


@numba.njit(parallel=True, cache=True)
def _backward_2x2(dout, arg, zero, dx):
    """_backward for _forward_2x2's windows, which tile x: every cell of dx is written once,
    dout + 0 at its window's winner (as the reference adds dout into zeros: -0.0 becomes 0.0)
    and 0 elsewhere; a last odd row or column, in no window, gets 0. dx may start
    uninitialised. zero: a 0 of dx's dtype, added to dout."""
    C, H, W = dx.shape[1], dx.shape[2], dx.shape[3]
    HO, WO = dout.shape[2], dout.shape[3]
    for p in numba.prange(dx.shape[0] * C):
        n, c = p // C, p % C
        for i in range(HO):
            top, bottom = dx[n, c, 2 * i], dx[n, c, 2 * i + 1]
            g_row, arg_row = dout[n, c, i], arg[n, c, i]
            for j in range(WO):
                g, k = g_row[j] + zero, arg_row[j]
                top[2 * j] = g if k == 0 else 0.0        # a literal 0.0: with `zero` here
                top[2 * j + 1] = g if k == 1 else 0.0    # numba's loop ran 4x slower
                bottom[2 * j] = g if k == 2 else 0.0
                bottom[2 * j + 1] = g if k == 3 else 0.0
            if W > 2 * WO:
                top[W - 1] = 0.0
                bottom[W - 1] = 0.0
        if H > 2 * HO:
            for w in range(W):
                dx[n, c, H - 1, w] = 0.0


@numba.njit(parallel=True, cache=True)
def _backward(dout, arg, KW, sh, sw, ph, pw, dx):
    """dx[n, c, winner of (i, j)] += dout[n, c, i, j]; dx must start at zero. The winner is
    never a padded cell (see _forward); the bounds test stays as a guard, since numba checks
    no index and arg comes back from a cache the caller holds."""
    N, C, H, W = dx.shape
    HO, WO = dout.shape[2], dout.shape[3]
    for p in numba.prange(N * C):
        n, c = p // C, p % C
        for i in range(HO):
            for j in range(WO):
                k = arg[n, c, i, j]
                h = i * sh + k // KW - ph
                w = j * sw + k % KW - pw
                if 0 <= h < H and 0 <= w < W:
                    dx[n, c, h, w] += dout[n, c, i, j]


@serialized
def forward(x, kernel, stride=None, padding=0):
    """x: (N, C, H, W) -> out: (N, C, H', W'), H' = (H + 2*ph - KH) // sh + 1. See maxpool_reference."""
    x, (KH, KW), (sh, sw), (ph, pw), (HO, WO) = check_pool(
        "maxpool_numba.forward", x, kernel, stride, padding)
    out = empty_reused("maxpool.out", x.shape[:2] + (HO, WO), x.dtype)
    arg = empty_reused("maxpool.arg", out.shape, np.int32)   # index < KH*KW: int32 halves it
    if (KH, KW, sh, sw, ph, pw) == (2, 2, 2, 2, 0, 0):
        _forward_2x2(x, out, arg)
    elif ph == pw == 0:
        _forward_unpadded(x, KH, KW, sh, sw, out, arg)
    else:
        _forward(x, KH, KW, sh, sw, ph, pw, out, arg)
    return out, (x.shape, x.dtype, arg, (KH, KW), (sh, sw), (ph, pw))


@serialized
def backward(dout, cache):
    """dx: (N, C, H, W) given dout (N, C, H', W'): each window's dout goes to its winner
    (derivation in maxpool_reference.backward)."""
    x_shape, dtype, arg, (KH, KW), (sh, sw), (ph, pw) = cache
    dout = check_dout("maxpool_numba.backward", dout, arg.shape, dtype)
    dx = empty_reused("maxpool.dx", x_shape, dtype)
    if (KH, KW, sh, sw, ph, pw) == (2, 2, 2, 2, 0, 0):
        _backward_2x2(dout, arg, dtype.type(0), dx)
        return dx
    dx.fill(0)
    _backward(dout, arg, KW, sh, sw, ph, pw, dx)
    return dx
