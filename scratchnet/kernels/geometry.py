"""Shapes shared by every conv and pooling kernel: argument checks and output-size formulas.

Every kernel backend calls these BEFORE any compiled code runs (numba does no bounds
checking), so a bad shape is a clear ValueError/TypeError, never a crash.

The one formula to remember (per spatial axis, input size H, kernel KH, stride sh,
padding pt on top and pb at the bottom, dilation dh):

    H' = (H + pt + pb - dh * (KH - 1) - 1) // sh + 1

dh * (KH - 1) + 1 is the "effective" kernel size: a dilated kernel spans that many rows.
"""
from __future__ import annotations

import numpy as np

from scratchnet._config import get_default_dtype


def as_pair(who: str, what: str, value, minimum: int = 1) -> tuple[int, int]:
    """Return an int or a pair of ints as (a, b), each >= minimum, or raise a clear error."""
    items = value if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                  for v in items):
        raise TypeError(f"{who}: expected {what} to be an int or a pair of ints, got {value!r}")
    if min(items) < minimum:
        raise ValueError(f"{who}: expected {what} to be >= {minimum}, got {value!r}")
    return int(items[0]), int(items[1])


def as_padding(who: str, padding) -> tuple[tuple[int, int], tuple[int, int]]:
    """Return padding as ((top, bottom), (left, right)), each >= 0.

    Accepts an int p (all four sides), a pair (ph, pw) (top = bottom = ph, left = right = pw)
    or a pair of pairs ((top, bottom), (left, right)) as np.pad takes it.
    """
    if isinstance(padding, (tuple, list)) and len(padding) == 2 and all(
            isinstance(p, (tuple, list)) for p in padding):
        return as_pair(who, "padding[0]", padding[0], 0), as_pair(who, "padding[1]", padding[1], 0)
    ph, pw = as_pair(who, "padding", padding, 0)
    return (ph, ph), (pw, pw)


def out_size(size: int, k: int, stride: int, pad_lo: int, pad_hi: int, dilation: int = 1) -> int:
    """Output length along one axis: (size + pad_lo + pad_hi - dilation*(k-1) - 1) // stride + 1."""
    return (size + pad_lo + pad_hi - dilation * (k - 1) - 1) // stride + 1


def as_float(who: str, what: str, a, dtype=None) -> np.ndarray:
    """Return `a` as a C-contiguous float32/float64 array (ints converted to `dtype`)."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{who}: expected {what} to be a numpy array, got {type(a).__name__}")
    if a.dtype.kind in "iub":
        a = a.astype(dtype or get_default_dtype())
    if a.dtype not in (np.float32, np.float64):
        raise TypeError(f"{who}: expected {what} with a float32 or float64 dtype, got {a.dtype}")
    if dtype is not None and a.dtype != dtype:
        a = a.astype(dtype)          # one dtype per call: x and b follow W
    return np.ascontiguousarray(a)


def check_conv(who, x, W, b, stride, padding, dilation):
    """Validate conv arguments; return (x, W, b, (sh, sw), ((pt, pb), (pl, pr)), (dh, dw), (H', W')).

    x: (N, C_in, H, W)   W: (C_out, C_in, KH, KW)   b: (C_out,)
    x and b are converted to W's dtype; all three are made C-contiguous.
    """
    W = as_float(who, "W", W)
    x = as_float(who, "x", x, W.dtype)
    b = as_float(who, "b", b, W.dtype)
    if W.ndim != 4:
        raise ValueError(f"{who}: expected W of shape (C_out, C_in, KH, KW), got shape {W.shape}")
    if x.ndim != 4 or x.shape[1] != W.shape[1]:
        raise ValueError(f"{who}: expected x of shape (N, {W.shape[1]}, H, W) (NCHW with C_in = "
                         f"W.shape[1]), got shape {x.shape}")
    if b.shape != (W.shape[0],):
        raise ValueError(f"{who}: expected b of shape ({W.shape[0]},), got shape {b.shape}")
    stride = as_pair(who, "stride", stride)
    dilation = as_pair(who, "dilation", dilation)
    padding = as_padding(who, padding)
    HO, WO = (out_size(x.shape[2 + a], W.shape[2 + a], stride[a], *padding[a], dilation[a])
              for a in (0, 1))
    if HO < 1 or WO < 1 or min(x.shape) < 1:
        raise ValueError(f"{who}: output would be empty: x {x.shape}, kernel {W.shape[2:]}, "
                         f"stride {stride}, padding {padding}, dilation {dilation} give "
                         f"H' x W' = {HO} x {WO}; use a larger input or more padding")
    return x, W, b, stride, padding, dilation, (HO, WO)


def check_pool(who, x, kernel, stride, padding):
    """Validate pooling arguments; return (x, (KH, KW), (sh, sw), (ph, pw), (H', W')).

    x: (N, C, H, W). stride None means stride = kernel. Padding is symmetric and at most
    half the kernel (as in PyTorch), so every window holds at least one real element.
    """
    x = as_float(who, "x", x)
    if x.ndim != 4 or min(x.shape) < 1:
        raise ValueError(f"{who}: expected x of shape (N, C, H, W) with no empty axis, got shape {x.shape}")
    kernel = as_pair(who, "kernel_size", kernel)
    stride = kernel if stride is None else as_pair(who, "stride", stride)
    padding = as_pair(who, "padding", padding, 0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{who}: expected padding <= kernel_size // 2 on each axis, got padding "
                         f"{padding} with kernel_size {kernel}")
    HO, WO = (out_size(x.shape[2 + a], kernel[a], stride[a], padding[a], padding[a]) for a in (0, 1))
    if HO < 1 or WO < 1:
        raise ValueError(f"{who}: output would be empty: x {x.shape}, kernel_size {kernel}, "
                         f"stride {stride}, padding {padding} give H' x W' = {HO} x {WO}")
    return x, kernel, stride, padding, (HO, WO)


def check_dout(who: str, dout, shape, dtype) -> np.ndarray:
    """Validate the upstream gradient: float, converted to `dtype`, of the forward output's shape."""
    dout = as_float(who, "dout", dout, dtype)
    if dout.shape != tuple(shape):
        raise ValueError(f"{who}: expected dout of shape {tuple(shape)} (the forward output's), "
                         f"got shape {dout.shape}")
    return dout
