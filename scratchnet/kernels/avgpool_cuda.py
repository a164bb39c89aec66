"""Average pooling on an NVIDIA GPU with numba.cuda, without atomics.

forward: one thread per out[n, c, i, j] (padded zeros count: divide by KH*KW), summed
         in float64 like the other backends.
backward: one thread per dx[n, c, h, w], gathering dout / (KH*KW) from every window that
         contains (h, w), so no two threads write the same number.
Same contract as avgpool_reference. Without a GPU, NUMBA_ENABLE_CUDASIM=1 (set before numba
is imported) runs this on numba's CPU simulator.

    out, cache = forward(x, kernel, stride=None, padding=0)
    dx = backward(dout, cache)
"""
from __future__ import annotations

from numba import config, cuda

from scratchnet.kernels.geometry import check_dout, check_pool

# threads per block; 16 on numba's simulator, where each thread is a slow Python thread
THREADS = 16 if config.ENABLE_CUDASIM else 128


@cuda.jit
def _forward(x, KH, KW, sh, sw, ph, pw, out):
    t = cuda.grid(1)
    N, C, HO, WO = out.shape[0], out.shape[1], out.shape[2], out.shape[3]
    if t >= N * C * HO * WO:
        return
    j, i, c, n = t % WO, (t // WO) % HO, (t // (WO * HO)) % C, t // (WO * HO * C)
    H, W = x.shape[2], x.shape[3]
    s = 0.0
    for kh in range(KH):
        h = i * sh + kh - ph
        if 0 <= h < H:
            for kw in range(KW):
                w = j * sw + kw - pw
                if 0 <= w < W:
                    # float(): sum in float64, as every backend does. (A GPU build already
                    # would; the simulator, under NumPy 2's rules, would keep float32.)
                    s += float(x[n, c, h, w])
    out[n, c, i, j] = s / (KH * KW)


@cuda.jit
def _backward(dout, KH, KW, sh, sw, ph, pw, dx):
    """dx[n,c,h,w] = sum of dout[n,c,i,j] / (KH*KW) over the windows (i, j) containing (h, w)."""
    t = cuda.grid(1)
    N, C, H, W = dx.shape[0], dx.shape[1], dx.shape[2], dx.shape[3]
    if t >= N * C * H * W:
        return
    w, h, c, n = t % W, (t // W) % H, (t // (W * H)) % C, t // (W * H * C)
    HO, WO = dout.shape[2], dout.shape[3]
    s = 0.0
    for i in range(max(0, (h + ph - KH + sh) // sh), min(HO - 1, (h + ph) // sh) + 1):
        for j in range(max(0, (w + pw - KW + sw) // sw), min(WO - 1, (w + pw) // sw) + 1):
            s += dout[n, c, i, j] / (KH * KW)
    dx[n, c, h, w] = s


def forward(x, kernel, stride=None, padding=0):
    """x: (N, C, H, W) -> out: (N, C, H', W'), H' = (H + 2*ph - KH) // sh + 1. See avgpool_reference."""
    x, (KH, KW), (sh, sw), (ph, pw), (HO, WO) = check_pool(
        "avgpool_cuda.forward", x, kernel, stride, padding)
    d_out = cuda.device_array(x.shape[:2] + (HO, WO), dtype=x.dtype)
    blocks = (d_out.size + THREADS - 1) // THREADS
    _forward[blocks, THREADS](cuda.to_device(x), KH, KW, sh, sw, ph, pw, d_out)
    return d_out.copy_to_host(), (x.shape, x.dtype, d_out.shape, (KH, KW), (sh, sw), (ph, pw))


def backward(dout, cache):
    """dx: (N, C, H, W) given dout (N, C, H', W'); derivation in avgpool_reference.backward."""
    x_shape, dtype, out_shape, (KH, KW), (sh, sw), (ph, pw) = cache
    dout = check_dout("avgpool_cuda.backward", dout, out_shape, dtype)
    d_dx = cuda.device_array(x_shape, dtype=dtype)
    blocks = (d_dx.size + THREADS - 1) // THREADS
    _backward[blocks, THREADS](cuda.to_device(dout), KH, KW, sh, sw, ph, pw, d_dx)
    return d_dx.copy_to_host()
