"""2-D convolution on an NVIDIA GPU with numba.cuda: one GPU thread per output number.

Every formula is the one in conv_reference; each kernel below computes ONE element of its
result by a gather (a sum it reads), never by a scatter, so there are no atomics and the
result is deterministic:

    _forward:  one thread per out[n, o, i, j]
    _dx:       one thread per dx[n, c, h, w]      (full correlation of dout with W)
    _dW:       one thread per dW[o, c, kh, kw]    (reduction over n, i, j)
    _db:       one thread per db[o]

Padding is a real zero, multiplied like any input, as in conv_reference (np.pad, then the
products): a padded 0 times an infinite weight (forward) or an infinite dout (dW) is NaN
there, and in PyTorch, so a kernel that skipped padded cells would hide that NaN.

Arrays go to the GPU once per call; the forward cache keeps x and W on the device.
Without a GPU, set NUMBA_ENABLE_CUDASIM=1 before numba is imported to run these kernels on
numba's (slow) CPU simulator; scratchnet's test suite does this.

    out, cache = forward(x, W, b, stride=1, padding=0, dilation=1)
    dx, dW, db = backward(dout, cache)
"""
from __future__ import annotations

from numba import config, cuda

from scratchnet.kernels.geometry import check_conv, check_dout

# threads per block; 16 on numba's simulator, where each thread is a slow Python thread
THREADS = 16 if config.ENABLE_CUDASIM else 128


def _grid(total: int) -> int:
    """Number of blocks so that THREADS * blocks >= total."""
    return (total + THREADS - 1) // THREADS


@cuda.jit
def _forward(x, W, b, out, sh, sw, pt, pl, dh, dw):
    t = cuda.grid(1)
    N, C_out, HO, WO = out.shape[0], out.shape[1], out.shape[2], out.shape[3]
    if t >= N * C_out * HO * WO:
        return
    j, i, o, n = t % WO, (t // WO) % HO, (t // (WO * HO)) % C_out, t // (WO * HO * C_out)
    C_in, H, Wd, KH, KW = x.shape[1], x.shape[2], x.shape[3], W.shape[2], W.shape[3]
    s = b[o]
    for c in range(C_in):
        for kh in range(KH):
            h = i * sh + kh * dh - pt
            for kw in range(KW):
                w = j * sw + kw * dw - pl
                # a padded cell is 0, still multiplied: 0 * inf is NaN (module docstring).
                # A 0 of x's dtype: a 0.0 literal would turn a float32 sum into float64 on a GPU
                v = x[n, c, h, w] if (0 <= h < H and 0 <= w < Wd) else x.dtype.type(0)
                s += W[o, c, kh, kw] * v
    out[n, o, i, j] = s


@cuda.jit
def _dx(dout, W, dx, sh, sw, pt, pl, dh, dw):
    """dx[n,c,h,w] = sum over (o, kh, kw) with i*sh + kh*dh = h + pt, j*sw + kw*dw = w + pl."""
    t = cuda.grid(1)
    N, C_in, H, Wd = dx.shape[0], dx.shape[1], dx.shape[2], dx.shape[3]
    if t >= N * C_in * H * Wd:
        return
    w, h, c, n = t % Wd, (t // Wd) % H, (t // (Wd * H)) % C_in, t // (Wd * H * C_in)
    C_out, HO, WO, KH, KW = dout.shape[1], dout.shape[2], dout.shape[3], W.shape[2], W.shape[3]
    s = 0.0
    for kh in range(KH):
        ri = h + pt - kh * dh                 # = i * sh, if this kernel row touched x[h]
        if ri < 0 or ri % sh != 0 or ri // sh >= HO:
            continue
        for kw in range(KW):
            rj = w + pl - kw * dw
            if rj < 0 or rj % sw != 0 or rj // sw >= WO:
                continue
            for o in range(C_out):
                s += W[o, c, kh, kw] * dout[n, o, ri // sh, rj // sw]
    dx[n, c, h, w] = s


@cuda.jit
def _dW(dout, x, dW, sh, sw, pt, pl, dh, dw):
    """dW[o,c,kh,kw] = sum_{n,i,j} dout[n,o,i,j] * x[n, c, i*sh + kh*dh - pt, j*sw + kw*dw - pl]."""
    t = cuda.grid(1)
    C_out, C_in, KH, KW = dW.shape[0], dW.shape[1], dW.shape[2], dW.shape[3]
    if t >= C_out * C_in * KH * KW:
        return
    kw, kh, c, o = t % KW, (t // KW) % KH, (t // (KW * KH)) % C_in, t // (KW * KH * C_in)
    N, H, Wd, HO, WO = x.shape[0], x.shape[2], x.shape[3], dout.shape[2], dout.shape[3]
    s = 0.0
    for n in range(N):
        for i in range(HO):
            h = i * sh + kh * dh - pt
            for j in range(WO):
                w = j * sw + kw * dw - pl
                # a padded cell is 0, still multiplied: 0 * inf is NaN (module docstring).
                # (0.0 keeps v in float64, the precision of the sum s, as before)
                v = x[n, c, h, w] if (0 <= h < H and 0 <= w < Wd) else 0.0
                s += dout[n, o, i, j] * v
    dW[o, c, kh, kw] = s


@cuda.jit
def _db(dout, db):
    """db[o] = sum_{n,i,j} dout[n,o,i,j]."""
    o = cuda.grid(1)
    if o >= db.shape[0]:
        return
    s = 0.0
    for n in range(dout.shape[0]):
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                s += dout[n, o, i, j]
    db[o] = s


def _ints(stride, padding, dilation):
    (sh, sw), ((pt, _), (pl, _)), (dh, dw) = stride, padding, dilation
    return sh, sw, pt, pl, dh, dw


def forward(x, W, b, stride=1, padding=0, dilation=1):
    """x: (N, C_in, H, W), W: (C_out, C_in, KH, KW), b: (C_out,) -> out: (N, C_out, H', W').
    Same contract as conv_reference.forward."""
    x, W, b, stride, padding, dilation, (HO, WO) = check_conv(
        "conv_cuda.forward", x, W, b, stride, padding, dilation)
    d_x, d_W = cuda.to_device(x), cuda.to_device(W)
    d_out = cuda.device_array((x.shape[0], W.shape[0], HO, WO), dtype=W.dtype)
    _forward[_grid(d_out.size), THREADS](d_x, d_W, cuda.to_device(b), d_out,
                                         *_ints(stride, padding, dilation))
    out = d_out.copy_to_host()
    return out, (d_x, d_W, x.shape, W.dtype, stride, padding, dilation, out.shape)


def backward(dout, cache, need_dx=True):
    """(dx, dW, db) given dout (N, C_out, H', W'); derivation in conv_reference.backward.
    need_dx=False: the dx kernel does not run and dx is None."""
    d_x, d_W, x_shape, dtype, stride, padding, dilation, out_shape = cache
    dout = check_dout("conv_cuda.backward", dout, out_shape, dtype)
    d_dout = cuda.to_device(dout)
    d_dW = cuda.device_array(d_W.shape, dtype=dtype)
    d_db = cuda.device_array((d_W.shape[0],), dtype=dtype)
    ints = _ints(stride, padding, dilation)
    _dW[_grid(d_dW.size), THREADS](d_dout, d_x, d_dW, *ints)
    _db[_grid(d_db.size), THREADS](d_dout, d_db)
    if not need_dx:
        return None, d_dW.copy_to_host(), d_db.copy_to_host()
    d_dx = cuda.device_array(x_shape, dtype=dtype)
    _dx[_grid(d_dx.size), THREADS](d_dout, d_W, d_dx, *ints)
    return d_dx.copy_to_host(), d_dW.copy_to_host(), d_db.copy_to_host()
