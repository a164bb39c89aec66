"""The fully connected (dense, affine) layer: y = x @ W + b.

Two pure functions do the math, so a student can test it without any class:

    y, cache = dense_forward(x, W, b)
    dx, dW, db = dense_backward(dy, cache)

and the `Dense` layer holds W and b in `params` and calls them.
"""
from __future__ import annotations

import numpy as np

from scratchnet import initializers
from scratchnet._config import as_rng, get_default_dtype
from scratchnet._checks import positive_int  # noqa: F401  (also importable from here, as before)
from scratchnet.layers.base import Layer, check_array, check_need_dx


def dense_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray):
    """Affine map of a batch: y = x @ W + b.

    x: (N, D) inputs, one row per example
    W: (D, M) weights
    b: (M,)   bias, added to every row
    Returns y: (N, M) and cache = (x, W) for dense_backward.
    """
    who = "dense_forward"
    W = check_array(who, W, ndim=2, what="W")
    D, M = W.shape
    x = check_array(who, x, ndim=2, axis=1, size=D, what="x", dtype=W.dtype)
    b = check_array(who, b, ndim=1, axis=0, size=M, what="b", dtype=W.dtype)
    y = x @ W
    y += b                  # y = x @ W + b, with b added in place: no second (N, M) array
    return y, (x, W)


def dense_backward(dy: np.ndarray, cache, out=None, need_dx=True):
    """Gradients of y = x @ W + b, given dy = dL/dy.

    Forward:  y = x @ W + b                 x: (N, D)  W: (D, M)  b: (M,)  y: (N, M)
              y[n, m] = sum_d x[n, d] W[d, m] + b[m]
    Backward: dL/dx = dy @ W.T              (N, M) @ (M, D) -> (N, D)
              dL/dW = x.T @ dy              (D, N) @ (N, M) -> (D, M)
              dL/db = dy.sum(axis=0)        every row of y got the same b -> (M,)
    out: None, or a pair of arrays (D, M) and (M,) that receive dW and db (the Dense layer
         passes its grads: no new arrays, and no copy into grads afterwards).
    need_dx: False skips dL/dx (returned as None): a model's first layer, whose x is data.
    Returns (dx, dW, db). Nothing given is changed, except the arrays in `out`.
    """
    x, W = cache
    dy = check_array("dense_backward", dy, ndim=2, what="dy", dtype=W.dtype)
    if dy.shape != (x.shape[0], W.shape[1]):
        raise ValueError(f"dense_backward: expected dy of shape {(x.shape[0], W.shape[1])} "
                         f"(the shape of y), got {dy.shape}")
    dx = dy @ W.T if need_dx else None
    if out is None:
        dW = x.T @ dy
        db = dy.sum(axis=0)
    else:                                   # the same two lines, written into out
        _check_out(out, W)
        dW = np.matmul(x.T, dy, out=out[0])
        db = np.sum(dy, axis=0, out=out[1])
    return dx, dW, db


def _check_out(out, W):
    """dense_backward's `out`: a pair of writable arrays shaped like W and b, in W's dtype."""
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise TypeError(f"dense_backward: expected out to be None or a pair of arrays (dW, db), "
                        f"got {type(out).__name__}")
    for a, shape, what in zip(out, (W.shape, W.shape[1:]), ("out[0] (dW)", "out[1] (db)")):
        if not isinstance(a, np.ndarray) or a.shape != shape or a.dtype != W.dtype \
                or not a.flags.writeable:
            got = f"a {'read-only ' if not a.flags.writeable else ''}{a.dtype} array of shape " \
                  f"{a.shape}" if isinstance(a, np.ndarray) else type(a).__name__
            raise ValueError(f"dense_backward: expected {what} to be a writable {W.dtype} array "
                             f"of shape {shape}, got {got}")


class Dense(Layer):
    """Fully connected layer: y = x @ W + b.

    n_in:  D, the number of input features
    n_out: M, the number of output units
    init:  initializer of W: a name ("he", "xavier", ...; see scratchnet.initializers.get)
           or a callable init(shape, rng=rng, dtype=dtype). b starts at zero.
    rng:   None, an int seed or a numpy Generator, used by init.

    params: W (n_in, n_out), b (n_out,), created in get_default_dtype().
    forward: x (N, n_in) -> y (N, n_out), computed in the dtype of W (x and dy are converted).
    For image-shaped input put a Flatten() first.
    """
    can_skip_dx = True

    def __init__(self, n_in: int, n_out: int, init="he", rng=None, *, name: str | None = None):
        super().__init__(name)
        self.n_in = positive_int(self.name, "n_in", n_in)
        self.n_out = positive_int(self.name, "n_out", n_out)
        self.init = init
        dtype = get_default_dtype()
        W = initializers.initial_weight(self.name, init, (self.n_in, self.n_out), as_rng(rng), dtype)
        self.add_param("W", W)
        self.add_param("b", initializers.zeros((self.n_out,), dtype=dtype))

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, n_in) -> y = x @ W + b: (N, n_out)."""
        x = self.check_input(x)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            hint = f"; put a Flatten() before {self.name} for input with more axes" if x.ndim > 2 else ""
            raise ValueError(f"{self.name}: expected x of shape (N, {self.n_in}), got shape {x.shape}{hint}")
        x = x.astype(self.dtype, copy=False)       # a float32 layer computes in float32
        y, cache = dense_forward(x, self.params["W"], self.params["b"])
        self.save_cache(cache=cache, y_shape=y.shape)
        return y

    def backward(self, dy: np.ndarray, *, need_dx: bool = True) -> np.ndarray | None:
        """dy: (N, n_out) -> dx: (N, n_in); fills grads W, b. See dense_backward for the math:
        dL/dx = dy @ W.T,  dL/dW = x.T @ dy,  dL/db = dy.sum(axis=0).
        need_dx=False: grads only, returns None (Layer.can_skip_dx)."""
        need_dx = check_need_dx(self.name, need_dx)
        cache = self.load_cache()
        dy = self.check_grad(dy, cache["y_shape"]).astype(self.dtype, copy=False)
        dx, _, _ = dense_backward(dy, cache["cache"], out=(self.grads["W"], self.grads["b"]),
                                  need_dx=need_dx)
        return dx

    def __repr__(self) -> str:
        return f"Dense({self.n_in}, {self.n_out}, init={initializers.name_of(self.init)!r})"
