"""Affine warp on the CPU with numba: direct loops, one image per parallel task.

The same contract, sampling rules and order of arithmetic as warp_reference (read its module
docstring first): for each output pixel (i, j) of image n, the source point
r = A[0,0]*i + A[0,1]*j + A[0,2], c = A[1,0]*i + A[1,1]*j + A[1,2] is sampled, nearest or
bilinear, with `fill` outside the image. Tests hold the two equal to the last bit, NaN and inf
included. Images are independent, so `prange` over the N images needs no atomics; the source
point and the four weights are computed once per pixel and reused for every channel.

    out = warp(x, inverse, fill=0.0, order="bilinear")
"""
from __future__ import annotations

import math

import numba
import numpy as np

from scratchnet.kernels.threads import serialized
from scratchnet.kernels.warp_reference import check_warp


@numba.njit(inline="always")
def _read(x, n, ch, row, col, H, W, fill):
    """x[n, ch, row, col] as float64 when that pixel lies inside the image, else fill."""
    if 0 <= row < H and 0 <= col < W:
        return np.float64(x[n, ch, row, col])
    return fill


@numba.njit(inline="always")
def _term(weight, value):
    """weight * value, or 0 when the weight is exactly 0 (the pixel is then not read at all,
    so 0 * inf makes no NaN: warp_reference's rule)."""
    if weight != 0.0:
        return weight * value
    return 0.0


@numba.njit(parallel=True, cache=True)
def _bilinear(x, A, fill, out):
    """out[n, ch, i, j] = the bilinear sample of x[n, ch] at the source point of (i, j)."""
    N, C, H, W = x.shape
    for n in numba.prange(N):
        a00, a01, a02 = A[n, 0, 0], A[n, 0, 1], A[n, 0, 2]
        a10, a11, a12 = A[n, 1, 0], A[n, 1, 1], A[n, 1, 2]
        for i in range(H):
            for j in range(W):
                r = a00 * i + a01 * j + a02
                c = a10 * i + a11 * j + a12
                if r <= -1.0 or r >= H or c <= -1.0 or c >= W:      # no neighbour inside
                    for ch in range(C):
                        out[n, ch, i, j] = fill
                    continue
                fr0, fc0 = math.floor(r), math.floor(c)
                fr, fc = r - fr0, c - fc0
                r0, c0 = int(fr0), int(fc0)
                w00, w01 = (1.0 - fr) * (1.0 - fc), (1.0 - fr) * fc
                w10, w11 = fr * (1.0 - fc), fr * fc
                for ch in range(C):
                    acc = 0.0
                    acc = acc + _term(w00, _read(x, n, ch, r0, c0, H, W, fill))
                    acc = acc + _term(w01, _read(x, n, ch, r0, c0 + 1, H, W, fill))
                    acc = acc + _term(w10, _read(x, n, ch, r0 + 1, c0, H, W, fill))
                    acc = acc + _term(w11, _read(x, n, ch, r0 + 1, c0 + 1, H, W, fill))
                    out[n, ch, i, j] = acc


@numba.njit(parallel=True, cache=True)
def _nearest(x, A, fill, out):
    """out[n, ch, i, j] = x[n, ch] at the pixel nearest the source point (halves round up)."""
    N, C, H, W = x.shape
    for n in numba.prange(N):
        a00, a01, a02 = A[n, 0, 0], A[n, 0, 1], A[n, 0, 2]
        a10, a11, a12 = A[n, 1, 0], A[n, 1, 1], A[n, 1, 2]
        for i in range(H):
            for j in range(W):
                r = min(max(a00 * i + a01 * j + a02, -2.0), H + 1.0)   # as the reference clips
                c = min(max(a10 * i + a11 * j + a12, -2.0), W + 1.0)
                row, col = int(math.floor(r + 0.5)), int(math.floor(c + 0.5))
                if 0 <= row < H and 0 <= col < W:
                    for ch in range(C):
                        out[n, ch, i, j] = x[n, ch, row, col]
                else:
                    for ch in range(C):
                        out[n, ch, i, j] = fill


@serialized
def warp(x, inverse, fill=0.0, order="bilinear"):
    """out[n, :, i, j] = x[n] sampled at the source point of (i, j); see warp_reference.warp.

    x: (N, C, H, W) float32/float64; inverse: (N, 2, 3); returns a new array like x.
    """
    x, A, fill, order = check_warp("warp_numba.warp", x, inverse, fill, order)
    out = np.empty_like(x)
    if x.size:
        (_nearest if order == "nearest" else _bilinear)(x, A, fill, out)
    return out
