"""Affine warp of a batch of images in plain NumPy, written to be read (inverse mapping).

Every geometric augmentation (translate, rotate, shear, zoom; scratchnet/augment.py) is one
call of this function with one 2x3 matrix per image. The numba kernel (warp_numba.py) computes
the same numbers, and tests hold the two equal to the last bit.

    out = warp(x, inverse, fill=0.0, order="bilinear")

    x:        (N, C, H, W) float32 or float64 images
    inverse:  (N, 2, 3) float64: for image n, the OUTPUT pixel (i, j) (row, column) reads the
              SOURCE point
                  r = A[0, 0] * i + A[0, 1] * j + A[0, 2]          (a row, may be fractional)
                  c = A[1, 0] * i + A[1, 1] * j + A[1, 2]          (a column)
              with A = inverse[n]. Pixel (i, j) is the CENTRE of the cell at row i, column j,
              so the identity [[1, 0, 0], [0, 1, 0]] gives back x itself.
    out:      (N, C, H, W), x's dtype, a new array (x is never changed)

Why inverse mapping: walking over the output pixels and asking "where does this one come
from?" gives every output pixel exactly one value. Pushing each source pixel forward instead
would leave holes where the image is stretched and collisions where it is squeezed.

Sampling (`order`):
  "nearest"   the source pixel nearest to (r, c): row floor(r + 0.5), column floor(c + 0.5)
              (halves round up), or `fill` when that pixel lies outside the image. Values are
              copied exactly.
  "bilinear"  with r0 = floor(r), c0 = floor(c), fr = r - r0, fc = c - c0, the four pixels
              around (r, c) weighted by the areas of the opposite rectangles:
                  out = (1-fr)(1-fc) x[r0, c0] + (1-fr) fc x[r0, c0+1]
                        + fr (1-fc) x[r0+1, c0] + fr fc x[r0+1, c0+1]
              summed in that order, in float64, then rounded to x's dtype. A neighbour outside
              the image reads as `fill` (so a half-outside point blends image and fill, as
              PyTorch's grid_sample with padding_mode="zeros" does for fill = 0). A term whose
              weight is exactly 0 is left out: an integer shift, or the identity, copies
              pixels exactly, and a NaN or inf pixel spreads only to outputs that really read
              it (0 * inf would otherwise make NaN of a neighbour that does not).
              A point with no neighbour inside the image (r <= -1, r >= H, c <= -1 or
              c >= W) is `fill` exactly.
NaN and inf pixels otherwise follow IEEE arithmetic: a weight > 0 times NaN is NaN, and inf
with a weight > 0 stays inf (or NaN beside a -inf). `fill` may be any float, NaN included.
"""
from __future__ import annotations

import numpy as np

ORDERS = ("nearest", "bilinear")
MAX_ENTRY = 1e12      # |entries| of the matrices: then every source point is a finite number


def check_warp(who: str, x, inverse, fill, order):
    """Check warp's arguments; return (x, inverse as float64 (N, 2, 3), fill as float, order).

    Raises TypeError for a non-array or non-float x (float32/float64) and a non-number fill;
    ValueError for a wrong shape, an unknown order, or a matrix entry that is NaN, inf or
    larger than MAX_ENTRY in size (so that r and c are always finite numbers).
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{who}: expected x as a NumPy array (N, C, H, W), got {type(x).__name__}")
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"{who}: expected x of dtype float32 or float64, got {x.dtype} "
                        f"(convert images first, e.g. x.astype(np.float32) / 255)")
    if x.ndim != 4:
        raise ValueError(f"{who}: expected x of shape (N, C, H, W), got shape {x.shape}")
    A = np.asarray(inverse)
    if A.dtype.kind not in "fiu":
        raise TypeError(f"{who}: expected inverse as real numbers, got dtype {A.dtype}")
    if A.shape != (x.shape[0], 2, 3):
        raise ValueError(f"{who}: expected inverse of shape (N, 2, 3) = ({x.shape[0]}, 2, 3), "
                         f"one matrix per image, got shape {A.shape}")
    A = np.ascontiguousarray(A, dtype=np.float64)
    if not np.all(np.abs(A) <= MAX_ENTRY):         # also False for NaN
        raise ValueError(f"{who}: expected the entries of inverse finite and at most "
                         f"{MAX_ENTRY:g} in size (a larger one maps every pixel far outside "
                         f"any image), got {A[~(np.abs(A) <= MAX_ENTRY)][0]}")
    if isinstance(fill, (bool, np.bool_)) or not isinstance(fill, (int, float, np.integer,
                                                                   np.floating)):
        raise TypeError(f"{who}: expected fill as a number, got {type(fill).__name__}")
    if order not in ORDERS:
        raise ValueError(f"{who}: expected order 'nearest' or 'bilinear', got {order!r}")
    return x, A, float(fill), order


def source_points(A, H: int, W: int):
    """Where each output pixel reads: (r, c), each (H, W) float64, for one matrix A (2, 3)."""
    i, j = np.meshgrid(np.arange(H, dtype=np.float64), np.arange(W, dtype=np.float64),
                       indexing="ij")
    return A[0, 0] * i + A[0, 1] * j + A[0, 2], A[1, 0] * i + A[1, 1] * j + A[1, 2]


def _read(img, rows, cols, fill):
    """img[:, rows, cols] where (rows, cols) lies inside img (C, H, W), else fill: (C, H, W)."""
    H, W = img.shape[1:]
    inside = (rows >= 0) & (rows < H) & (cols >= 0) & (cols < W)
    values = img[:, np.clip(rows, 0, H - 1), np.clip(cols, 0, W - 1)].astype(np.float64)
    return np.where(inside, values, fill)


def warp(x, inverse, fill=0.0, order="bilinear"):
    """out[n, :, i, j] = x[n] sampled at the source point of (i, j) (module docstring).

    x: (N, C, H, W) float32/float64; inverse: (N, 2, 3); fill: the value outside the image;
    order: "nearest" or "bilinear". Returns a new (N, C, H, W) array of x's dtype.
    """
    x, A, fill, order = check_warp("warp_reference.warp", x, inverse, fill, order)
    N, C, H, W = x.shape
    out = np.empty_like(x)
    for n in range(N):
        r, c = source_points(A[n], H, W)
        # a point with no neighbour inside the image is fill; clipping the rest keeps the int
        # conversion from overflowing (a clipped point stays outside, so it reads fill)
        far = (r <= -1.0) | (r >= H) | (c <= -1.0) | (c >= W)
        r, c = np.clip(r, -2.0, H + 1.0), np.clip(c, -2.0, W + 1.0)
        if order == "nearest":
            out[n] = _read(x[n], np.floor(r + 0.5).astype(np.int64),
                           np.floor(c + 0.5).astype(np.int64), fill)
            continue
        r0, c0 = np.floor(r), np.floor(c)
        fr, fc = r - r0, c - c0
        r0, c0 = r0.astype(np.int64), c0.astype(np.int64)
        total = np.zeros((C, H, W))
        for dr, wr in ((0, 1.0 - fr), (1, fr)):
            for dc, wc in ((0, 1.0 - fc), (1, fc)):
                weight = wr * wc                                        # (H, W)
                with np.errstate(invalid="ignore"):                     # 0 * inf, dropped below
                    term = weight * _read(x[n], r0 + dr, c0 + dc, fill)
                total = total + np.where(weight != 0.0, term, 0.0)      # a 0 weight reads nothing
        out[n] = np.where(far, fill, total)
    return out
