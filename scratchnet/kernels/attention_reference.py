"""Scaled dot-product attention in plain NumPy: the math of a transformer's core, to be read.

    out, cache = forward(q, k, v, mask=None, causal=False)
    dq, dk, dv = backward(dout, cache)
    cache.weights                     # the attention weights A, for plotting

Each query asks every key "how well do you match me?" (a dot product), the answers become a
probability distribution over the keys (a softmax), and the query's output is the average of
the values under that distribution (Vaswani et al., 2017, "Attention is all you need"):

    S = Q K^T / sqrt(d_k)             scores        (..., Tq, Tk)
    A = softmax(S + M)  (row-wise)    weights       (..., Tq, Tk), each row sums to 1
    O = A V                           outputs       (..., Tq, d_v)

q: (..., Tq, d_k), k: (..., Tk, d_k), v: (..., Tk, d_v); the leading axes ("...", e.g. the
batch and the heads, (N, h)) are the same for all three. Dividing by sqrt(d_k) keeps the
scores' spread near 1 whatever d_k is (for unit-variance entries q.k has variance d_k), so the
softmax does not saturate.

The mask. M is 0 where query i may look at key j and -inf where it may not, so that
exp(S_ij + M_ij) = 0 there. Here it is given as booleans instead: `mask`, an array that
broadcasts to (..., Tq, Tk), True where attention is allowed (a padding mask over keys has
shape (N, 1, 1, Tk)); `causal=True` also forbids every key j > i (the future), so that
output i depends on positions 0..i only. A query row with NO allowed key (every key padding)
would be 0/0 in the softmax: here its weights are all 0, so its output is 0 and it passes no
gradient. Never NaN. (PyTorch's nn.MultiheadAttention gives NaN in such a row.)

`backward_with_jacobians` is the same backward written the slow way, building softmax's
Jacobian for every row; tests hold the two equal.
"""
from __future__ import annotations

import math

import numpy as np

from scratchnet.layers.activations import softmax_jacobian
from scratchnet.layers.base import check_array

WHO = "attention_reference"


class AttentionCache(dict):
    """What forward keeps for backward: q, k, v, the weights A, the allowed-mask (or None)
    and the scale 1/sqrt(d_k). `cache.weights` is A, (..., Tq, Tk)."""

    @property
    def weights(self) -> np.ndarray:
        return self["weights"]


def causal_mask(Tq: int, Tk: int | None = None) -> np.ndarray:
    """(Tq, Tk) bool, True on and below the diagonal: query i may look at keys j <= i."""
    Tk = Tq if Tk is None else Tk
    return np.tri(Tq, Tk, dtype=bool)


def _check_qkv(q, k, v):
    q = check_array(f"{WHO}.forward", q, what="q")
    if q.ndim < 2:
        raise ValueError(f"{WHO}.forward: expected q of shape (..., Tq, d_k), got {q.shape}")
    k = check_array(f"{WHO}.forward", k, ndim=q.ndim, what="k", dtype=q.dtype)
    v = check_array(f"{WHO}.forward", v, ndim=q.ndim, what="v", dtype=q.dtype)
    lead = q.shape[:-2]
    if k.shape[:-2] != lead or v.shape[:-2] != lead or k.shape[-1] != q.shape[-1] \
            or v.shape[-2] != k.shape[-2]:
        raise ValueError(f"{WHO}.forward: expected q (..., Tq, d_k), k (..., Tk, d_k) and "
                         f"v (..., Tk, d_v) with the same leading axes, got q {q.shape}, "
                         f"k {k.shape}, v {v.shape}")
    dtype = np.result_type(q.dtype, k.dtype, v.dtype)
    return q.astype(dtype, copy=False), k.astype(dtype, copy=False), v.astype(dtype, copy=False)


def allowed_mask(mask, causal: bool, scores_shape) -> np.ndarray | None:
    """The boolean mask of allowed (query, key) pairs, broadcastable to scores_shape
    (..., Tq, Tk), or None when everything is allowed."""
    Tq, Tk = scores_shape[-2:]
    allowed = None
    if mask is not None:
        m = np.asarray(mask)
        if m.dtype != bool:
            raise TypeError(f"{WHO}.forward: expected mask to be a bool array (True where "
                            f"attention is allowed), got dtype {m.dtype}")
        try:
            np.broadcast_shapes(m.shape, tuple(scores_shape))
        except ValueError:
            raise ValueError(f"{WHO}.forward: mask of shape {m.shape} does not broadcast to "
                             f"the scores' shape (..., Tq, Tk) = {tuple(scores_shape)}") from None
        allowed = m
    if causal:
        tri = causal_mask(Tq, Tk)
        allowed = tri if allowed is None else (allowed & tri)
    return allowed


def masked_softmax(s: np.ndarray, allowed) -> np.ndarray:
    """Row-wise softmax of the scores s (..., Tq, Tk) over the allowed keys only.

    A[i, j] = exp(s_ij - m_i) [allowed_ij] / sum_j' exp(s_ij' - m_i) [allowed_ij'], with m_i
    the largest ALLOWED score of row i (so no exponent is positive and nothing overflows).
    A row with no allowed key gives zeros (its sum would be 0/0). Returns a new array."""
    return _masked_softmax_inplace(np.array(s, copy=True), allowed)


def _masked_softmax_inplace(a: np.ndarray, allowed) -> np.ndarray:
    """masked_softmax, computed in the array a itself (forward's own scores)."""
    if allowed is not None:
        np.copyto(a, -np.inf, where=~allowed)               # M = -inf where not allowed
    top = a.max(axis=-1, keepdims=True)
    empty = None
    if allowed is not None:
        empty = np.isneginf(top)                            # rows with no allowed key
        empty = empty if empty.any() else None
        if empty is not None:
            top[empty] = 0                                  # so that -inf - top stays -inf
    a -= top
    np.exp(a, out=a)                                        # exp(-inf) = 0 exactly
    total = a.sum(axis=-1, keepdims=True)
    if empty is not None:
        total[empty] = 1                                    # 0 / 1 = 0 in an empty row
    a /= total
    return a


def forward(q, k, v, mask=None, causal: bool = False):
    """O = softmax(Q K^T / sqrt(d_k) + M) V, row-wise softmax over the keys.

    q: (..., Tq, d_k)  k: (..., Tk, d_k)  v: (..., Tk, d_v)
    mask: None, or bool broadcastable to (..., Tq, Tk), True where query i may attend to
          key j. causal: also forbid keys j > i.
    Returns out (..., Tq, d_v) and an AttentionCache (cache.weights is A, (..., Tq, Tk)).
    A query with no allowed key gets zero weights and output 0 (module docstring).
    """
    q, k, v = _check_qkv(q, k, v)
    scale = 1.0 / math.sqrt(q.shape[-1])
    s = q @ np.swapaxes(k, -1, -2)                          # (..., Tq, Tk)
    s *= q.dtype.type(scale)
    allowed = allowed_mask(mask, bool(causal), s.shape)
    a = _masked_softmax_inplace(s, allowed)                 # s becomes A
    out = a @ v                                             # (..., Tq, d_v)
    return out, AttentionCache(q=q, k=k, v=v, weights=a, allowed=allowed, scale=scale)


def _check_dout(dout, cache):
    q, v = cache["q"], cache["v"]
    shape = q.shape[:-1] + v.shape[-1:]
    dout = check_array(f"{WHO}.backward", dout, what="dout", dtype=q.dtype)
    if dout.shape != shape:
        raise ValueError(f"{WHO}.backward: expected dout of shape {shape} (that of out), "
                         f"got {dout.shape}")
    return dout.astype(q.dtype, copy=False)


def backward(dout, cache):
    """Gradients of O = A V, A = softmax(S + M), S = Q K^T * c, with c = 1/sqrt(d_k).

    dout = dL/dO: (..., Tq, d_v). Per example and head (drop the leading axes):
      O = A V              -> dL/dV = A^T dO                       (Tk, Tq) @ (Tq, d_v)
                              dL/dA = dO V^T                       (Tq, d_v) @ (d_v, Tk)
      A_i = softmax(S_i)   -> each row i of A depends on row i of S only, through
                              softmax's Jacobian J_i = diag(A_i) - A_i A_i^T
                              (dA_ij / dS_il = A_ij (delta_jl - A_il)), so
                              dL/dS_i = J_i^T dL/dA_i = A_i * (dL/dA_i - (dL/dA_i . A_i))
                              i.e. dS = A * (dA - rowsum(dA * A)): no Jacobian is built.
                              A masked entry has A_ij = 0, so it gets dS_ij = 0, and so does
                              every entry of a row with no allowed key.
      S = c Q K^T          -> dL/dQ = c dS K                       (Tq, Tk) @ (Tk, d_k)
                              dL/dK = c dS^T Q                     (Tk, Tq) @ (Tq, d_k)
    Returns (dq, dk, dv) shaped like q, k, v. Nothing given is changed.
    """
    dout = _check_dout(dout, cache)
    q, k, v, a, c = cache["q"], cache["k"], cache["v"], cache["weights"], cache["scale"]
    dv = np.swapaxes(a, -1, -2) @ dout                      # (..., Tk, d_v)
    da = dout @ np.swapaxes(v, -1, -2)                      # (..., Tq, Tk)
    row = (da * a).sum(axis=-1, keepdims=True)              # dA_i . A_i, (..., Tq, 1)
    ds = da
    ds -= row
    ds *= a                                                 # dS = A * (dA - rowsum)
    ds *= q.dtype.type(c)                                   # fold c into dS once
    dq = ds @ k                                             # (..., Tq, d_k)
    dk = np.swapaxes(ds, -1, -2) @ q                        # (..., Tk, d_k)
    return dq, dk, dv


def backward_with_jacobians(dout, cache):
    """The same gradients as backward, the slow plain way: for every row i of every example
    and head, build softmax's Jacobian J = diag(A_i) - A_i A_i^T (softmax_jacobian) and
    compute dL/dS_i = J^T dL/dA_i. Only the allowed entries of a row take part in its softmax,
    so J is built over them, and the rest of dS_i is 0. O(Tq Tk^2) per head: for reading and
    for tests, not for training."""
    dout = _check_dout(dout, cache)
    q, k, v, a, c = cache["q"], cache["k"], cache["v"], cache["weights"], cache["scale"]
    allowed = cache["allowed"]
    allowed = np.ones(a.shape, bool) if allowed is None else np.broadcast_to(allowed, a.shape)
    dv = np.swapaxes(a, -1, -2) @ dout
    da = dout @ np.swapaxes(v, -1, -2)
    ds = np.zeros_like(da)
    for idx in np.ndindex(*a.shape[:-1]):                  # every (..., i): one softmax row
        keep = allowed[idx]
        if keep.any():
            J = softmax_jacobian(a[idx][keep])              # (n_allowed, n_allowed)
            ds[idx + (keep,)] = J.T @ da[idx][keep]
    dq = c * (ds @ k)
    dk = c * (np.swapaxes(ds, -1, -2) @ q)
    return dq, dk, dv
