"""The 2-D convolution layer (NCHW): slide C_out learned filters over an image.

    out[n, o, i, j] = b[o] + sum_{c, kh, kw} W[o, c, kh, kw] * xp[n, c, i*sh + kh*dh, j*sw + kw*dw]

(xp is x with zero padding; strictly this is a cross-correlation, as in every DL library.)
The math lives in pure kernel functions (scratchnet/kernels/conv_reference.py is the one
to read); this class holds W and b and picks a kernel backend.
"""
from __future__ import annotations

import numpy as np

from scratchnet import initializers
from scratchnet._config import as_rng, get_default_dtype
from scratchnet.kernels.backend import check_backend, get_backend, kernels, require_cuda
from scratchnet.kernels.geometry import as_padding, as_pair, out_size
from scratchnet.layers.base import Layer, check_array, check_need_dx
from scratchnet.layers.dense import positive_int


def conv_padding(who: str, padding, kernel_size, stride, dilation):
    """Resolve Conv2D's padding argument to ((top, bottom), (left, right)).

    int, (ph, pw) or ((top, bottom), (left, right)): as given.
    "valid": no padding.
    "full":  dilation*(K-1) on every side, so every partial overlap gives an output.
    "same":  output size = input size; needs stride 1. The total padding per axis is
             dilation*(K-1); when that is odd (an even kernel) the extra row/column goes at
             the BOTTOM/RIGHT (as PyTorch does), e.g. K=4: top 1, bottom 2.
    """
    if not isinstance(padding, str):
        return as_padding(who, padding)
    totals = [dilation[a] * (kernel_size[a] - 1) for a in (0, 1)]
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding == "full":
        return (totals[0], totals[0]), (totals[1], totals[1])
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(f"{who}: padding='same' needs stride 1, got stride {stride}; "
                             f"give the padding as numbers instead")
        return tuple((t // 2, t - t // 2) for t in totals)
    raise ValueError(f"{who}: expected padding to be an int, a pair, a pair of pairs or one of "
                     f"'valid', 'same', 'full', got {padding!r}")


class Conv2D(Layer):
    """2-D convolution over NCHW images.

    in_channels:  C_in, channels of x;  out_channels: C_out, the number of filters
    kernel_size:  int or (KH, KW);  stride: int or (sh, sw);  dilation: int or (dh, dw)
    padding:      int, (ph, pw), ((top, bottom), (left, right)), "valid", "same" (stride 1;
                  an even effective kernel pads one more at the bottom/right) or "full"
    init:         initializer name or callable for W (fans of (C_out, C_in, KH, KW));
                  b starts at zero.   rng: None, an int seed or a Generator, used by init.
    backend:      "reference", "numba", "cuda" or None (follow scratchnet.get_backend()).

    params: W (C_out, C_in, KH, KW), b (C_out,), created in get_default_dtype().
    forward: x (N, C_in, H, W) -> out (N, C_out, H', W'),
             H' = (H + pt + pb - dh*(KH - 1) - 1) // sh + 1   (W' likewise).
    x is converted to the layer's dtype (W's), so out and dx always have W's dtype.
    """
    can_skip_dx = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, init="he", rng=None, backend=None, *, name: str | None = None):
        super().__init__(name)
        self.in_channels = positive_int(self.name, "in_channels", in_channels)
        self.out_channels = positive_int(self.name, "out_channels", out_channels)
        self.kernel_size = as_pair(self.name, "kernel_size", kernel_size)
        self.stride = as_pair(self.name, "stride", stride)
        self.dilation = as_pair(self.name, "dilation", dilation)
        self.padding = conv_padding(self.name, padding, self.kernel_size, self.stride, self.dilation)
        self.padding_arg = padding
        self.backend = None if backend is None else check_backend(backend, self.name)
        if self.backend == "cuda":
            require_cuda(self.name)
        self.init = init
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        dtype = get_default_dtype()
        self.add_param("W", initializers.initial_weight(self.name, init, shape, as_rng(rng), dtype))
        self.add_param("b", initializers.zeros((self.out_channels,), dtype=dtype))

    def output_shape(self, x_shape) -> tuple[int, int, int, int]:
        """(N, C_out, H', W') for an input of shape (N, C_in, H, W); ValueError if empty."""
        N, _, H, W = x_shape
        HO, WO = (out_size((H, W)[a], self.kernel_size[a], self.stride[a], *self.padding[a],
                           self.dilation[a]) for a in (0, 1))
        if HO < 1 or WO < 1:
            raise ValueError(
                f"{self.name}: input of shape {tuple(x_shape)} is too small for kernel_size "
                f"{self.kernel_size}, stride {self.stride}, padding {self.padding}, dilation "
                f"{self.dilation}: the output would be {HO} x {WO}")
        return N, self.out_channels, HO, WO

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, C_in, H, W) -> out: (N, C_out, H', W')."""
        x = check_array(self.name, x, dtype=self.dtype)
        if x.ndim != 4 or x.shape[1] != self.in_channels or 0 in x.shape:
            raise ValueError(f"{self.name}: expected x of shape (N, {self.in_channels}, H, W) "
                             f"(NCHW, no empty axis), got shape {x.shape}")
        x = x.astype(self.dtype, copy=False)
        self.output_shape(x.shape)
        backend = self.backend or get_backend()      # backward uses the same backend
        out, cache = kernels("conv", backend).forward(x, self.params["W"], self.params["b"],
                                                      self.stride, self.padding, self.dilation)
        self.save_cache(backend=backend, cache=cache, y_shape=out.shape)
        return out

    def backward(self, dy: np.ndarray, *, need_dx: bool = True) -> np.ndarray | None:
        """dy: (N, C_out, H', W') -> dx: (N, C_in, H, W); fills grads W and b.

        Forward:  out[n,o,i,j] = b[o] + sum_{c,kh,kw} W[o,c,kh,kw] xp[n, c, i*sh+kh*dh, j*sw+kw*dw]
        Backward: dL/dW[o,c,kh,kw] = sum_{n,i,j} dy[n,o,i,j] xp[n, c, i*sh+kh*dh, j*sw+kw*dw]
                      (x correlated with dy)                         (C_out, C_in, KH, KW)
                  dL/dx = full convolution of dy (stride-dilated) with W flipped in kh, kw,
                      padding cut off                                (N, C_in, H, W)
                  dL/db[o] = sum_{n,i,j} dy[n,o,i,j]                 (C_out,)
        Derivation step by step: scratchnet/kernels/conv_reference.py, backward.
        need_dx=False: grads only, dL/dx is not computed and None is returned (Layer.can_skip_dx).
        """
        need_dx = check_need_dx(self.name, need_dx)
        saved = self.load_cache()
        dy = self.check_grad(dy, saved["y_shape"])
        dx, dW, db = kernels("conv", saved["backend"]).backward(dy, saved["cache"], need_dx=need_dx)
        self.grads["W"][...] = dW
        self.grads["b"][...] = db
        return dx

    def __getstate__(self):
        """Copies and pickles leave the forward cache behind (it may hold GPU arrays)."""
        return {**self.__dict__, "_cache": None}

    def __repr__(self) -> str:
        return (f"Conv2D({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding_arg!r}, dilation={self.dilation}, "
                f"init={initializers.name_of(self.init)!r}, backend={self.backend!r})")
