"""2-D convolution on the CPU: numba-compiled im2col / col2im + one BLAS matmul per chunk.

The idea (the same sums as conv_reference, arranged as a matrix product):

    col[(c, kh, kw), (n, i, j)] = xp[n, c, i*sh + kh*dh, j*sw + kw*dw]    "im2col"
    out[n, :, i, j]  = W.reshape(C_out, C_in*KH*KW) @ col[:, (n, i, j)] + b
    dW              += dout_as_matrix @ col.T
    dcol             = W_matrix.T @ dout_as_matrix,  then col2im scatters dcol back into dx

To keep memory small the batch is never unrolled whole: images go through in chunks whose
col matrix fits in about CHUNK_BYTES (one image at least), into buffers reused across chunks.
When the whole batch fits in one chunk (small images), the forward's col is kept in the
cache and backward reuses it instead of running im2col again.
im2col/col2im are serial numba loops and the matmuls are NumPy's (multi-threaded BLAS); see
scratchnet/kernels/__init__.py for why the two are not mixed with numba's parallel threads.

Small filters take a second path, with no im2col and no BLAS: when the stride is 1 and
C_in*KH*KW <= DIRECT_MAX_K
(LeNet's first layer: 1 channel, 5x5), the matmuls would be thin, (C_out, 25) @ (25, N*H'*W'),
and memory-bound, and building col costs more than the arithmetic. There, direct numba loops
(_direct_forward, _direct_backward) compute the same sums straight from the padded input,
one image per parallel task, the innermost loop running along a row so it vectorizes.

    out, cache = forward(x, W, b, stride=1, padding=0, dilation=1)
    dx, dW, db = backward(dout, cache)
"""
from __future__ import annotations

import numba
import numpy as np

from scratchnet.kernels.geometry import check_conv, check_dout

CHUNK_BYTES = 4 << 20     # size of one im2col buffer: about 4 MB
DIRECT_MAX_K = 32        # C_in*KH*KW up to this: direct loops; above: im2col + BLAS

_scratch_buffers: dict = {}


def _scratch(slot: str, size: int, dtype) -> np.ndarray:
    """A 1-D work buffer of at least `size` elements, kept between calls.

    A fresh multi-megabyte np.empty is new memory from the OS each time, and touching it
    for the first time costs page faults: about 2 ms per 4 MB buffer, as much as the
    im2col itself. Only buffers that do not outlive a call are taken from here (never a
    col matrix kept in a cache). Not safe for two threads running convolutions at once.
    """
    key = (slot, np.dtype(dtype))
    buf = _scratch_buffers.get(key)
    if buf is None or buf.size < size:
        buf = _scratch_buffers[key] = np.empty(size, dtype=dtype)
    return buf[:size]


@numba.njit(cache=True)
def _im2col(x, n0, G, col, KH, KW, sh, sw, pt, pl, dh, dw, HO, WO):
    """col[(c*KH + kh)*KW + kw, (g*HO + i)*WO + j] = x[n0+g, c, i*sh + kh*dh - pt, j*sw + kw*dw - pl]
    (0 where that falls in the padding). col: (C_in*KH*KW, G*HO*WO)."""
    C, H, W = x.shape[1], x.shape[2], x.shape[3]
    for c in range(C):
        for kh in range(KH):
            for kw in range(KW):
                r = (c * KH + kh) * KW + kw
                for g in range(G):
                    for i in range(HO):
                        h = i * sh + kh * dh - pt
                        base = (g * HO + i) * WO
                        for j in range(WO):
                            w = j * sw + kw * dw - pl
                            if 0 <= h < H and 0 <= w < W:
                                col[r, base + j] = x[n0 + g, c, h, w]
                            else:
                                col[r, base + j] = 0.0


@numba.njit(cache=True)
def _col2im(dcol, dx, n0, G, KH, KW, sh, sw, pt, pl, dh, dw, HO, WO):
    """The transpose of _im2col: dx[n0+g, c, h, w] += dcol[row, column] for every (row, column)
    that _im2col filled from x[n0+g, c, h, w]. dx must start at zero."""
    C, H, W = dx.shape[1], dx.shape[2], dx.shape[3]
    for c in range(C):
        for kh in range(KH):
            for kw in range(KW):
                r = (c * KH + kh) * KW + kw
                for g in range(G):
                    for i in range(HO):
                        h = i * sh + kh * dh - pt
                        if h < 0 or h >= H:
                            continue
                        base = (g * HO + i) * WO
                        for j in range(WO):
                            w = j * sw + kw * dw - pl
                            if 0 <= w < W:
                                dx[n0 + g, c, h, w] += dcol[r, base + j]


@numba.njit(parallel=True, cache=True)
def _direct_forward(xp, W, b, dh, dw, out):
    """out[n, o, i, j] = b[o] + sum_{c,kh,kw} W[o, c, kh, kw] * xp[n, c, i + kh*dh, j + kw*dw]  (stride 1)

    xp: the padded input (N, C_in, Hp, Wp); out: (N, C_out, H', W'). One image per task.
    The trick that makes the inner loop long and contiguous: flatten each padded plane, and
    compute a "wide" output acc[i*Wp + j] for all j < Wp; then for one tap (kh, kw),
        acc[q] += W[o, c, kh, kw] * x_flat[q + kh*dh*Wp + kw*dw]     for q < L
    is one saxpy over the whole image. The columns j >= W' of acc are junk and are dropped;
    L = (H'-1)*Wp + W' stops at the last real output, so no read leaves the plane."""
    N, C_out, HO, WO = out.shape
    C, KH, KW = W.shape[1], W.shape[2], W.shape[3]
    Hp, Wp = xp.shape[2], xp.shape[3]
    L = (HO - 1) * Wp + WO
    for n in numba.prange(N):
        acc = np.empty(L, dtype=out.dtype)
        for o in range(C_out):
            acc[:] = b[o]
            for c in range(C):
                x_flat = xp[n, c].reshape(Hp * Wp)
                for kh in range(KH):
                    for kw in range(KW):
                        w = W[o, c, kh, kw]
                        x_seg = x_flat[kh * dh * Wp + kw * dw:][:L]
                        for q in range(L):
                            acc[q] += w * x_seg[q]
            for i in range(HO):
                for j in range(WO):
                    out[n, o, i, j] = acc[i * Wp + j]


@numba.njit(parallel=True, cache=True, fastmath={"reassoc"})
def _direct_backward(xp, W, dout, dh, dw, dxp, dW_n):
    """For each image n (one per task), every term W[o,c,kh,kw] * xp[n,c,i+kh*dh,j+kw*dw] of
    the forward sends dout[n,o,i,j] back to both factors (stride 1, same flat "wide" layout as
    _direct_forward, with dy = dout[n, o] widened to rows of Wp and zeros at j >= W'):
        dW_n[n, o, c, kh, kw] = sum_q dy[q] * x_flat[q + off]        off = kh*dh*Wp + kw*dw
        dx_flat[q + off]     += W[o, c, kh, kw] * dy[q]              (dxp starts at zero)
    Each task writes only its own image's slices, so no two threads touch the same memory.
    fastmath "reassoc" lets the dW sum be vectorized (added in a different order)."""
    N, C_out, HO, WO = dout.shape
    C, KH, KW = W.shape[1], W.shape[2], W.shape[3]
    Hp, Wp = xp.shape[2], xp.shape[3]
    L = (HO - 1) * Wp + WO
    for n in numba.prange(N):
        dy = np.zeros(L, dtype=dout.dtype)
        zero = dy[0]                    # a 0 of dout's dtype: the dW sum stays in float32 for float32
        for o in range(C_out):
            for i in range(HO):
                for j in range(WO):
                    dy[i * Wp + j] = dout[n, o, i, j]
            for c in range(C):
                x_flat = xp[n, c].reshape(Hp * Wp)
                dx_flat = dxp[n, c].reshape(Hp * Wp)
                for kh in range(KH):
                    for kw in range(KW):
                        w, off = W[o, c, kh, kw], kh * dh * Wp + kw * dw
                        x_seg, dx_seg = x_flat[off:][:L], dx_flat[off:][:L]
                        s = zero
                        for q in range(L):
                            s += dy[q] * x_seg[q]
                            dx_seg[q] += w * dy[q]
                        dW_n[n, o, c, kh, kw] = s


def _direct(W, stride):
    """The rule that picks the direct path: stride 1 and at most DIRECT_MAX_K weights per filter."""
    return stride == (1, 1) and W[0].size <= DIRECT_MAX_K


def _pad(x, padding):
    """x (N, C, H, W) with zeros around each image: (N, C, pt+H+pb, pl+W+pr); x itself if no padding."""
    ((pt, pb), (pl, pr)) = padding
    if pt == pb == pl == pr == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))


def _geometry(x, W, out_shape, stride, padding, dilation):
    """Chunk size G and the integer arguments shared by _im2col and _col2im."""
    K, HW = W.shape[1] * W.shape[2] * W.shape[3], out_shape[2] * out_shape[3]
    G = int(max(1, min(x.shape[0], CHUNK_BYTES // (K * HW * W.itemsize))))
    (sh, sw), ((pt, _), (pl, _)), (dh, dw) = stride, padding, dilation
    args = (W.shape[2], W.shape[3], sh, sw, pt, pl, dh, dw, out_shape[2], out_shape[3])
    return K, HW, G, args


def forward(x, W, b, stride=1, padding=0, dilation=1):
    """out[n, o, i, j] = b[o] + sum_{c,kh,kw} W[o,c,kh,kw] xp[n, c, i*sh + kh*dh, j*sw + kw*dw]

    x: (N, C_in, H, W)  W: (C_out, C_in, KH, KW)  b: (C_out,)  ->  out: (N, C_out, H', W').
    Same contract as conv_reference.forward.
    """
    x, W, b, stride, padding, dilation, (HO, WO) = check_conv(
        "conv_numba.forward", x, W, b, stride, padding, dilation)
    N, C_out = x.shape[0], W.shape[0]
    out = np.empty((N, C_out, HO, WO), dtype=W.dtype)
    if _direct(W, stride):              # small filters: direct loops, no im2col (module docstring)
        xp = _pad(x, padding)
        _direct_forward(xp, W, b, *dilation, out)
        return out, (x, W, stride, padding, dilation, out.shape, xp)
    K, HW, G, args = _geometry(x, W, out.shape, stride, padding, dilation)
    Wm = W.reshape(C_out, K)
    keep = G >= N                       # one chunk: the col matrix goes into the cache
    col_buf = np.empty(K * G * HW, dtype=W.dtype) if keep else _scratch("col", K * G * HW, W.dtype)
    out_buf = _scratch("out", C_out * G * HW, W.dtype)
    for n0 in range(0, N, G):
        g = min(G, N - n0)
        col = col_buf[:K * g * HW].reshape(K, g * HW)
        _im2col(x, n0, g, col, *args)
        y = np.matmul(Wm, col, out=out_buf[:C_out * g * HW].reshape(C_out, g * HW))
        out[n0:n0 + g] = y.reshape(C_out, g, HO, WO).transpose(1, 0, 2, 3)
    out += b[None, :, None, None]
    kept_col = col if keep else None    # the whole batch was one chunk: backward reuses its col
    return out, (x, W, stride, padding, dilation, out.shape, kept_col)


def backward(dout, cache):
    """(dx, dW, db) given dout = dL/dout (N, C_out, H', W'). The math is in
    conv_reference.backward; here, per chunk of images with its col matrix (K, g*H'*W'):
        dW  += dout_m @ col.T          (C_out, g*H'*W') @ (g*H'*W', K) -> (C_out, K)
        dcol = W_m.T @ dout_m          (K, C_out) @ (C_out, g*H'*W')   -> (K, g*H'*W')
        dx   = col2im(dcol)            the scatter back to (g, C_in, H, W)
        db   = dout.sum(axis=(0, 2, 3))
    """
    x, W, stride, padding, dilation, out_shape, kept_col = cache
    dout = check_dout("conv_numba.backward", dout, out_shape, W.dtype)
    N, C_out = x.shape[0], W.shape[0]
    if _direct(W, stride):              # the direct path; kept_col is then the padded x
        return _backward_direct(dout, kept_col, x.shape, W, stride, padding, dilation)
    K, HW, G, args = _geometry(x, W, out_shape, stride, padding, dilation)
    Wm = W.reshape(C_out, K)
    dx = np.zeros_like(x)
    dWm = np.zeros((C_out, K), dtype=W.dtype)
    dW_part = np.empty_like(dWm)
    col_buf = _scratch("col", K * G * HW, W.dtype) if kept_col is None else None
    dcol_buf = _scratch("dcol", K * G * HW, W.dtype)
    for n0 in range(0, N, G):
        g = min(G, N - n0)
        dcol = dcol_buf[:K * g * HW].reshape(K, g * HW)
        if kept_col is None:
            col = col_buf[:K * g * HW].reshape(K, g * HW)
            _im2col(x, n0, g, col, *args)
        else:
            col = kept_col
        dy = np.ascontiguousarray(dout[n0:n0 + g].transpose(1, 0, 2, 3)).reshape(C_out, g * HW)
        dWm += np.matmul(dy, col.T, out=dW_part)
        np.matmul(Wm.T, dy, out=dcol)
        _col2im(dcol, dx, n0, g, *args)
    db = dout.sum(axis=(0, 2, 3))
    return dx, dWm.reshape(W.shape), db


def _backward_direct(dout, xp, x_shape, W, stride, padding, dilation):
    """backward for the direct path: the same (dx, dW, db) from loops over the padded input xp."""
    (pt, _), (pl, _) = padding
    dxp = np.zeros(xp.shape, dtype=W.dtype)
    dW_n = np.empty((x_shape[0],) + W.shape, dtype=W.dtype)     # one dW per image, summed below
    _direct_backward(xp, W, dout, *dilation, dxp, dW_n)
    dx = np.ascontiguousarray(dxp[:, :, pt:pt + x_shape[2], pl:pl + x_shape[3]])
    return dx, dW_n.sum(axis=0), dout.sum(axis=(0, 2, 3))
