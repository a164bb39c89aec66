"""The im2col convolution layer that students meet in "Deep Learning from Scratch" (DLFS),
re-implemented here so that our Conv2D can be timed against it.

Attribution: the ALGORITHM is that of Koki Saitoh's book "Deep Learning from Scratch"
(O'Reilly Japan, 2016), its `im2col` and `col2im` helpers (common/util.py of the book's
repository, oreilly-japan/deep-learning-from-scratch) and its `Convolution` layer
(common/layers.py). This file is our own re-implementation from that description, not their
code; it keeps their choices, since those decide the speed:

  * im2col makes a (N, C, KH, KW, H', W') array with one strided NumPy copy per kernel tap
    (kh, kw), then transposes it to rows (n, i, j) by columns (c, kh, kw): a second full copy;
  * forward is ONE matmul, col (N*H'*W', C*KH*KW) @ W_col (C*KH*KW, C_out), and returns the
    result as a transposed VIEW (N, C_out, H', W') of that (N*H'*W', C_out) matrix;
  * backward: dW = col.T @ dout_rows, db = dout_rows.sum(axis=0), dcol = dout_rows @ W_col.T,
    and col2im adds the columns back with one strided `+=` per tap (no np.add.at);
  * the whole col matrix is kept from forward to backward, float64 as NumPy makes it.

    layer = DLFSConv(W, b, stride, pad);  out = layer.forward(x);  dx = layer.backward(dout)
    (layer.dW and layer.db hold the parameter gradients)
"""
from __future__ import annotations

import numpy as np


def im2col(x, KH, KW, stride, pad):
    """x (N, C, H, W) -> col (N*H'*W', C*KH*KW): row (n, i, j) holds the window of output (i, j)."""
    N, C, H, W = x.shape
    HO, WO = (H + 2 * pad - KH) // stride + 1, (W + 2 * pad - KW) // stride + 1
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    col = np.zeros((N, C, KH, KW, HO, WO), dtype=x.dtype)
    for kh in range(KH):
        for kw in range(KW):
            col[:, :, kh, kw] = xp[:, :, kh:kh + stride * HO:stride, kw:kw + stride * WO:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * HO * WO, -1)


def col2im(col, x_shape, KH, KW, stride, pad):
    """The transpose of im2col: add each row's window back where it came from -> (N, C, H, W)."""
    N, C, H, W = x_shape
    HO, WO = (H + 2 * pad - KH) // stride + 1, (W + 2 * pad - KW) // stride + 1
    col = col.reshape(N, HO, WO, C, KH, KW).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=col.dtype)
    for kh in range(KH):
        for kw in range(KW):
            img[:, :, kh:kh + stride * HO:stride, kw:kw + stride * WO:stride] += col[:, :, kh, kw]
    return img[:, :, pad:H + pad, pad:W + pad]


class DLFSConv:
    """Convolution layer the DLFS way: W (C_out, C, KH, KW), b (C_out,), square stride and pad."""

    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        C_out, _, KH, KW = self.W.shape
        N, _, H, W = x.shape
        HO = (H + 2 * self.pad - KH) // self.stride + 1
        WO = (W + 2 * self.pad - KW) // self.stride + 1
        self.x_shape = x.shape
        self.col = im2col(x, KH, KW, self.stride, self.pad)
        self.col_W = self.W.reshape(C_out, -1).T
        out = self.col @ self.col_W + self.b
        return out.reshape(N, HO, WO, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        C_out, C, KH, KW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, C_out)
        self.db = dout.sum(axis=0)
        self.dW = (self.col.T @ dout).transpose(1, 0).reshape(C_out, C, KH, KW)
        dcol = dout @ self.col_W.T
        return col2im(dcol, self.x_shape, KH, KW, self.stride, self.pad)
