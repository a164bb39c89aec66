"""Embeddings: a learned vector for every token id, and averaging those vectors over time.

    Embedding(vocab_size, dim)      ids (N, T) -> vectors (N, T, dim): row ids[n, t] of W
    GlobalAvgPool1D()               (N, T, dim) -> (N, dim): the mean over the T positions

Looking a row up is the same as multiplying a one-hot row by W (one_hot(id) @ W = W[id]), so
an embedding is a Dense layer on one-hot input that skips the multiplications by zero.

Padding. A vectorized text is padded with id 0 up to length T. Embedding(padding_idx=0) says
so, and then Sequential carries a mask (N, T), True at real tokens, from the Embedding to every
later layer with `supports_mask` (GlobalAvgPool1D), which leaves padded positions out. A layer
used on its own takes the mask as forward(x, mask=...).
"""
from __future__ import annotations

import numpy as np

from scratchnet import initializers
from scratchnet._checks import positive_int
from scratchnet._config import as_rng, get_default_dtype
from scratchnet.layers.base import Layer, check_array


def _check_ids(who: str, ids, vocab_size: int) -> np.ndarray:
    """ids as an int64 array of shape (N, T) with values in [0, vocab_size).

    Float arrays holding whole numbers are accepted, since Sequential.fit and predict hand
    their input on as floats (exact for ids below 2**24 in float32, 2**53 in float64)."""
    a = np.asarray(ids)
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)) or not np.array_equal(a, np.round(a)):
            raise TypeError(f"{who}: expected integer token ids, got floats that are not "
                            f"whole numbers (dtype {a.dtype})")
    elif a.dtype.kind not in "iu":
        raise TypeError(f"{who}: expected integer token ids, got dtype {a.dtype}")
    if a.ndim != 2:
        raise ValueError(f"{who}: expected ids of shape (N, T), got shape {a.shape}")
    if a.size and (a.min() < 0 or a.max() >= vocab_size):
        raise ValueError(f"{who}: token ids must lie in [0, {vocab_size}) (vocab_size "
                         f"{vocab_size}), got ids from {a.min():.0f} to {a.max():.0f}")
    return a.astype(np.int64)


class Embedding(Layer):
    """A table W of one learned vector per token: y[n, t] = W[ids[n, t]].

    vocab_size:  V, the number of ids (TextVectorizer.vocabulary_size).
    dim:         D, the length of each vector.
    padding_idx: the id used for padding (usually 0), or None. A padding position always
                 gives the zero vector, so its row of W (kept at zero) gets no gradient, and
                 the layer hands a mask (ids != padding_idx) to the layers after it (see the
                 module docstring).
    init, rng:   initializer of W (default: normal with std 0.05) and its random source.

    params: W (vocab_size, dim). forward: ids (N, T) ints -> y (N, T, dim).
    The input holds indices, not numbers: there is no gradient with respect to it
    (`input_is_index`), and backward returns None.
    """

    input_is_index = True

    def __init__(self, vocab_size: int, dim: int, padding_idx: int | None = None, init=None,
                 rng=None, *, name: str | None = None):
        super().__init__(name)
        self.vocab_size = positive_int(self.name, "vocab_size", vocab_size)
        self.dim = positive_int(self.name, "dim", dim)
        if padding_idx is not None and (isinstance(padding_idx, bool) or not isinstance(
                padding_idx, (int, np.integer)) or not 0 <= padding_idx < self.vocab_size):
            raise ValueError(f"{self.name}: expected padding_idx to be None or an id in "
                             f"[0, {self.vocab_size}), got {padding_idx!r}")
        self.padding_idx = None if padding_idx is None else int(padding_idx)
        self.init = init
        dtype, shape = get_default_dtype(), (self.vocab_size, self.dim)
        if init is None:
            W = (0.05 * as_rng(rng).standard_normal(shape)).astype(dtype)
        else:
            W = initializers.initial_weight(self.name, init, shape, as_rng(rng), dtype)
        if self.padding_idx is not None:
            W[self.padding_idx] = 0
        self.add_param("W", W)

    def forward(self, ids) -> np.ndarray:
        """ids (N, T) -> y (N, T, dim) = W[ids]: a lookup (fancy indexing), not a product.
        A padding position gives the zero vector, whatever W[padding_idx] holds."""
        ids = _check_ids(self.name, ids, self.vocab_size)
        self.save_cache(ids=ids)
        y = self.params["W"][ids]
        if self.padding_idx is not None:
            y[ids == self.padding_idx] = 0      # y is a new array (fancy indexing copies)
        return y

    def compute_mask(self, ids, mask=None):
        """The mask for the layers after this one: (N, T) bool, True at real tokens; None
        without padding_idx."""
        if self.padding_idx is None:
            return None
        return np.asarray(ids) != self.padding_idx

    def backward(self, dy: np.ndarray):
        """Forward:  y[n, t, :] = W[ids[n, t], :]
        Backward: dL/dW[v, :] = sum over every (n, t) with ids[n, t] == v of dy[n, t, :]
                  (a token used k times collects k gradients: np.add.at adds repeats, where
                  dW[ids] += dy would keep only one of them). The padding row gets none:
                  padding positions output 0 whatever it holds.
                  There is no dL/dids: ids are indices, so backward returns None.
        dy: (N, T, dim)."""
        ids = self.load_cache()["ids"]
        dy = self.check_grad(dy, ids.shape + (self.dim,))
        dW = np.zeros_like(self.params["W"])
        np.add.at(dW, ids, dy)
        if self.padding_idx is not None:
            dW[self.padding_idx] = 0
        self.grads["W"][...] = dW
        return None

    def __repr__(self) -> str:
        return f"Embedding({self.vocab_size}, {self.dim}, padding_idx={self.padding_idx})"


class GlobalAvgPool1D(Layer):
    """The mean over the time axis: (N, T, D) -> (N, D).

    mask_padding: with a mask (N, T) (True at real tokens; from an Embedding with padding_idx
                  inside a Sequential, or forward(x, mask=...)), average only over the real
                  positions: y[n] = sum_t m[n, t] x[n, t] / sum_t m[n, t]. A row with no real
                  position gives 0. With mask_padding=False, or no mask, every T counts.
    A bag of words: the order of the tokens does not change the output.
    """

    supports_mask = True

    def __init__(self, mask_padding: bool = True, *, name: str | None = None):
        super().__init__(name)
        self.mask_padding = bool(mask_padding)

    def forward(self, x: np.ndarray, mask=None) -> np.ndarray:
        """x (N, T, D), mask None or (N, T) bool -> y (N, D)."""
        x = self.check_input(x, ndim=3)
        N, T, D = x.shape
        if mask is None or not self.mask_padding:
            weights = np.full((N, T), 1.0 / T, dtype=x.dtype)          # every position 1/T
        else:
            m = check_array(self.name, np.asarray(mask, dtype=x.dtype), ndim=2, what="mask")
            if m.shape != (N, T):
                raise ValueError(f"{self.name}: expected mask of shape {(N, T)} (that of x "
                                 f"without its last axis), got {m.shape}")
            counts = m.sum(axis=1, keepdims=True)
            weights = m / np.maximum(counts, 1)                          # 1/count at real tokens
        self.save_cache(weights=weights, shape=x.shape)
        return np.einsum("nt,ntd->nd", weights, x)

    def compute_mask(self, x, mask=None):
        """The time axis is gone after pooling, and with it the mask."""
        return None

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Forward:  y[n, :] = sum_t w[n, t] x[n, t, :], w = 1/T (or m[n, t] / count_n).
        Backward: dL/dx[n, t, :] = w[n, t] * dy[n, :]: each position gets its share of the
                  gradient, and a padded position (w = 0) gets none.
        dy: (N, D) -> dx: (N, T, D)."""
        cache = self.load_cache()
        N, T, D = cache["shape"]
        dy = self.check_grad(dy, (N, D))
        return cache["weights"][:, :, None] * dy[:, None, :]

    def __repr__(self) -> str:
        return f"GlobalAvgPool1D(mask_padding={self.mask_padding})"
