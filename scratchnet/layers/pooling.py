"""Pooling layers (NCHW): shrink each channel by summarising small windows.

    MaxPool2D        out = the largest value of each window
    AvgPool2D        out = the mean of each window (padded zeros count)
    GlobalAvgPool2D  (N, C, H, W) -> (N, C), the mean of each whole channel

Max and average pooling call pure kernel functions (read scratchnet/kernels/
maxpool_reference.py and avgpool_reference.py); these classes check input and pick a backend.
"""
from __future__ import annotations

import numpy as np

from scratchnet.kernels.backend import check_backend, get_backend, kernels, require_cuda
from scratchnet.kernels.geometry import as_pair, out_size
from scratchnet.layers.base import Layer


class _Pool2D(Layer):
    """Shared checks for MaxPool2D and AvgPool2D; `_op` names the kernel ("maxpool", "avgpool")."""

    _op = ""

    def __init__(self, kernel_size, stride=None, padding=0, backend=None, *, name=None):
        super().__init__(name)
        self.kernel_size = as_pair(self.name, "kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else as_pair(self.name, "stride", stride)
        self.padding = as_pair(self.name, "padding", padding, minimum=0)
        if any(p > k // 2 for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(f"{self.name}: expected padding <= kernel_size // 2 on each axis, "
                             f"got padding {self.padding} with kernel_size {self.kernel_size}")
        self.backend = None if backend is None else check_backend(backend, self.name)
        if self.backend == "cuda":
            require_cuda(self.name)

    def output_shape(self, x_shape) -> tuple[int, int, int, int]:
        """(N, C, H', W') with H' = (H + 2*ph - KH) // sh + 1; ValueError if empty."""
        N, C, H, W = x_shape
        HO, WO = (out_size((H, W)[a], self.kernel_size[a], self.stride[a], self.padding[a],
                           self.padding[a]) for a in (0, 1))
        if HO < 1 or WO < 1:
            raise ValueError(f"{self.name}: input of shape {tuple(x_shape)} is too small for "
                             f"kernel_size {self.kernel_size}, stride {self.stride}, padding "
                             f"{self.padding}: the output would be {HO} x {WO}")
        return N, C, HO, WO

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C, H, W) -> out: (N, C, H', W'), in x's dtype."""
        x = self.check_input(x)
        if x.ndim != 4 or 0 in x.shape:
            raise ValueError(f"{self.name}: expected x of shape (N, C, H, W) (NCHW, no empty "
                             f"axis), got shape {x.shape}")
        self.output_shape(x.shape)
        backend = self.backend or get_backend()      # backward uses the same backend
        out, cache = kernels(self._op, backend).forward(x, self.kernel_size, self.stride,
                                                        self.padding)
        self.save_cache(backend=backend, cache=cache, y_shape=out.shape, dtype=x.dtype)
        return out

    def backward(self, dy: np.ndarray) -> np.ndarray:
        saved = self.load_cache()
        dy = self.check_grad(dy, saved["y_shape"]).astype(saved["dtype"], copy=False)
        return kernels(self._op, saved["backend"]).backward(dy, saved["cache"])

    def __getstate__(self):
        """Copies and pickles leave the forward cache behind (it may hold GPU arrays)."""
        return {**self.__dict__, "_cache": None}

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, backend={self.backend!r})")


class MaxPool2D(_Pool2D):
    """Max pooling: out[n, c, i, j] = max of the KH x KW window at rows i*sh - ph.., cols j*sw - pw..

    kernel_size: int or (KH, KW) (windows may be non-square); stride: int, pair, or None
    (= kernel_size); padding: int or (ph, pw), at most kernel_size // 2, filled with -inf
    (so it never wins). backend: "reference", "numba", "cuda" or None (the global choice).
    forward: x (N, C, H, W) -> (N, C, H', W'), H' = (H + 2*ph - KH) // sh + 1 (W' likewise).
    Ties: the gradient goes to exactly ONE element, the first maximum in row-major window
    order (kh, then kw), on every backend.
    """

    _op = "maxpool"

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy: (N, C, H', W') -> dx: (N, C, H, W).

        Forward:  out[n,c,i,j] = x[n, c, h*, w*], the window's (first) maximum
        Backward: d out[n,c,i,j] / d x[n,c,h,w] = 1 if (h, w) = (h*, w*), else 0, so
                  dL/dx[n,c,h,w] = sum of dy[n,c,i,j] over the windows whose winner is (h, w)
        """
        return super().backward(dy)


class AvgPool2D(_Pool2D):
    """Average pooling: out[n, c, i, j] = mean of the KH x KW window at rows i*sh - ph.., cols j*sw - pw..

    kernel_size, stride, padding, backend: as MaxPool2D. Padding is zeros and the padded
    zeros COUNT in the mean: every window divides by KH*KW (PyTorch's default,
    count_include_pad=True).
    forward: x (N, C, H, W) -> (N, C, H', W'), H' = (H + 2*ph - KH) // sh + 1 (W' likewise).
    """

    _op = "avgpool"

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy: (N, C, H', W') -> dx: (N, C, H, W).

        Forward:  out[n,c,i,j] = (1 / (KH*KW)) * sum_{kh,kw} xp[n, c, i*sh + kh, j*sw + kw]
        Backward: each cell of window (i, j) gets dy[n,c,i,j] / (KH*KW); cells in several
                  windows add their shares; shares landing on the padding are dropped.
        """
        return super().backward(dy)


class GlobalAvgPool2D(Layer):
    """Mean of each whole channel: (N, C, H, W) -> (N, C). No parameters.

    Often replaces Flatten before the last Dense layer of a conv net.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C, H, W) -> y: (N, C), y[n, c] = mean over h, w of x[n, c, h, w]."""
        x = self.check_input(x)
        if x.ndim != 4 or 0 in x.shape:
            raise ValueError(f"{self.name}: expected x of shape (N, C, H, W) (NCHW, no empty "
                             f"axis), got shape {x.shape}")
        y = x.mean(axis=(2, 3))
        self.save_cache(x_shape=x.shape, y_shape=y.shape, dtype=x.dtype)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy: (N, C) -> dx: (N, C, H, W).

        Forward:  y[n, c] = (1 / (H*W)) * sum_{h,w} x[n, c, h, w]
        Backward: dy[n,c] / dx[n,c,h,w] = 1 / (H*W) for every (h, w), so
                  dL/dx[n, c, h, w] = dy[n, c] / (H*W)       (the same for every h, w)
        """
        saved = self.load_cache()
        dy = self.check_grad(dy, saved["y_shape"])
        N, C, H, W = saved["x_shape"]
        dx = np.empty(saved["x_shape"], dtype=saved["dtype"])
        dx[...] = dy[:, :, None, None] / (H * W)
        return dx
