"""2-D convolution (cross-correlation, as in every DL library) in plain NumPy, written to be read.

The version a student steps through: a loop over output positions (i, j), with the kernel
offsets done by slicing. numba and CUDA kernels are tested equal to this one.

    out, cache = forward(x, W, b, stride=1, padding=0, dilation=1)
    dx, dW, db = backward(dout, cache)

stride, dilation: int or (sh, sw); padding: int, (ph, pw) or ((top, bottom), (left, right)).

NaN and inf follow IEEE arithmetic in every product and sum, and padding is a real zero that
is multiplied like any input: 0 * inf = NaN, as in PyTorch. So an infinite weight makes NaN
every output whose window puts padding under it. The sums are np.matmul, never np.dot or
np.tensordot: np.dot returned 0, not NaN, for 0 * inf when the summed axis had length 1 (a
batch of 1 in dW, one output channel in dx; NumPy 2.4 with OpenBLAS 0.3.31), and then NaN
would land in different places depending on the shapes.
"""
from __future__ import annotations

import numpy as np

from scratchnet.kernels.geometry import check_conv, check_dout


def _window(i, j, KH, KW, stride, dilation):
    """Slices of the padded input that output (i, j) sees: rows i*sh + kh*dh for kh < KH."""
    (sh, sw), (dh, dw) = stride, dilation
    rows = slice(i * sh, i * sh + dh * (KH - 1) + 1, dh)
    cols = slice(j * sw, j * sw + dw * (KW - 1) + 1, dw)
    return rows, cols


def forward(x, W, b, stride=1, padding=0, dilation=1):
    """out[n, o, i, j] = b[o] + sum_{c, kh, kw} W[o, c, kh, kw] * xp[n, c, i*sh + kh*dh, j*sw + kw*dw]

    x: (N, C_in, H, W)  W: (C_out, C_in, KH, KW)  b: (C_out,)  xp: x zero-padded
    out: (N, C_out, H', W') with H' = (H + pt + pb - dh*(KH-1) - 1) // sh + 1 (W' likewise).
    Returns (out, cache). x and b are converted to W's dtype.
    """
    x, W, b, stride, padding, dilation, (HO, WO) = check_conv(
        "conv_reference.forward", x, W, b, stride, padding, dilation)
    N, C_out, KH, KW = x.shape[0], W.shape[0], W.shape[2], W.shape[3]
    xp = np.pad(x, ((0, 0), (0, 0)) + padding)                    # (N, C_in, H+pt+pb, W+pl+pr)
    Wm = W.reshape(C_out, -1)                                     # (C_out, C_in*KH*KW)
    out = np.empty((N, C_out, HO, WO), dtype=W.dtype)
    for i in range(HO):
        for j in range(WO):
            rows, cols = _window(i, j, KH, KW, stride, dilation)
            patch = xp[:, :, rows, cols].reshape(N, -1)           # (N, C_in*KH*KW)
            out[:, :, i, j] = patch @ Wm.T + b                    # (N, K) @ (K, C_out) -> (N, C_out)
    return out, (x, W, stride, padding, dilation, out.shape)


def backward(dout, cache, need_dx=True):
    """Gradients of the convolution, given dout = dL/dout of shape (N, C_out, H', W').

    Forward:  out[n,o,i,j] = b[o] + sum_{c,kh,kw} W[o,c,kh,kw] xp[n, c, i*sh + kh*dh, j*sw + kw*dw]
    Backward (each out[n,o,i,j] touched W[o,c,kh,kw] and one xp element, so by the chain rule):
      dL/dW[o,c,kh,kw] = sum_{n,i,j} dout[n,o,i,j] * xp[n, c, i*sh + kh*dh, j*sw + kw*dw]
                         -> the input CORRELATED with dout (dout acts as a kernel
                            dilated by the stride)                      (C_out, C_in, KH, KW)
      dL/dx[n,c,h,w]   = sum_{o,kh,kw} W[o,c,kh,kw] * dout[n, o, i, j]
                         over the (i, j) with i*sh + kh*dh = h + pt, j*sw + kw*dw = w + pl
                         -> a FULL convolution of dout (zeros inserted between its
                            elements for stride > 1) with the kernel FLIPPED in kh, kw
                            (and dilated by dh, dw), then the padding cut off   (N, C_in, H, W)
      dL/db[o]         = sum_{n,i,j} dout[n,o,i,j]                   (C_out,)
    Here each output position scatters its share back: the same sums, read the other way.
    Returns (dx, dW, db). Nothing given is changed.
    need_dx=False: dx is not computed and None is returned in its place (the first layer of a
    model, whose input is data: nothing upstream needs dL/dx).
    """
    x, W, stride, padding, dilation, out_shape = cache
    dout = check_dout("conv_reference.backward", dout, out_shape, W.dtype)
    N, HO, WO, KH, KW = x.shape[0], out_shape[2], out_shape[3], W.shape[2], W.shape[3]
    xp = np.pad(x, ((0, 0), (0, 0)) + padding)
    Wm = W.reshape(W.shape[0], -1)                                        # (C_out, K = C_in*KH*KW)
    dxp = np.zeros_like(xp) if need_dx else None
    dW = np.zeros_like(W)
    for i in range(HO):
        for j in range(WO):
            rows, cols = _window(i, j, KH, KW, stride, dilation)
            g = dout[:, :, i, j]                                          # (N, C_out)
            patch = xp[:, :, rows, cols]                                  # (N, C_in, KH, KW)
            dW += (g.T @ patch.reshape(N, -1)).reshape(W.shape)           # (C_out, N) @ (N, K)
            if need_dx:
                dxp[:, :, rows, cols] += (g @ Wm).reshape(patch.shape)    # (N, C_out) @ (C_out, K)
    db = dout.sum(axis=(0, 2, 3))
    if not need_dx:
        return None, dW, db
    (pt, _), (pl, _) = padding
    dx = dxp[:, :, pt:pt + x.shape[2], pl:pl + x.shape[3]].copy()        # cut the padding off
    return dx, dW, db
