"""Attention layers for sequences (N, T, d_model): self-attention, positions, encoder blocks.

    MultiHeadSelfAttention(d_model, n_heads, causal=False)   (N, T, d) -> (N, T, d)
    PositionalEncoding(d_model)                              x + sinusoids of the position
    TransformerEncoderBlock(d_model, n_heads, d_ff, dropout) attention + feed-forward, each
                                                             with a residual and a LayerNorm
    TimeDistributed(layer)          a layer for (N, d) applied at every position of (N, T, d)
    FixedMask(layer, mask)          layer.forward(x, mask=mask) as a plain forward(x), so that
                                    gradcheck.check_layer can check a masked layer

The math of attention itself is a pure function with its own backward in
scratchnet/kernels/attention_reference.py; the layers here add the learned projections.

Masks. Inside a Sequential, an Embedding(padding_idx=...) hands a padding mask (N, T) to the
layers after it, True at real tokens (see scratchnet/model.py); these layers take it as
forward(x, mask=...) and pass it on unchanged. In attention it is a mask over KEYS: no query
looks at a padding position. Padding positions still compute an output (from the real
tokens); a masked pooling after them (GlobalAvgPool1D) leaves them out. A sequence with no
real token at all gives zero attention weights in every row, so its attention output is 0
(y = bo after the output projection), never NaN.
"""
from __future__ import annotations

import numpy as np

from scratchnet import initializers
from scratchnet._checks import drop_probability, positive_int
from scratchnet._config import as_rng, get_default_dtype
from scratchnet.kernels import attention_reference as sdpa
from scratchnet.layers.activations import ReLU
from scratchnet.layers.base import Layer, check_array
from scratchnet.layers.dense import Dense
from scratchnet.layers.dropout import Dropout
from scratchnet.layers.normalization import LayerNorm
from scratchnet.layers.residual import Residual


def check_padding_mask(who: str, mask, N: int, T: int) -> np.ndarray | None:
    """mask as a bool (N, T) array (True at real tokens), or None. 0/1 numbers are accepted;
    anything else is a TypeError, a wrong shape a ValueError, both naming `who`."""
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.dtype != bool:
        if m.dtype.kind not in "iuf" or not np.all((m == 0) | (m == 1)):
            raise TypeError(f"{who}: expected mask to be a bool array (N, T), True at real "
                            f"tokens, got dtype {m.dtype}" +
                            ("" if m.dtype.kind not in "iuf" else " with values other than 0/1"))
        m = m.astype(bool)
    if m.shape != (N, T):
        raise ValueError(f"{who}: expected mask of shape {(N, T)} (N, T: that of x without "
                         f"its last axis), got {m.shape}")
    return m


class MultiHeadSelfAttention(Layer):
    """Multi-head self-attention: every position of a sequence looks at every other one.

    d_model: d, the width of each token's vector; n_heads: h, which must divide d;
    d_k = d / h is the width of one head. causal: True forbids position t to look at any
    position after t (a decoder, a language model); the padding mask is added to that.
    init, rng: initializer of the four weight matrices (default Xavier uniform) and its
    random source. Biases start at 0.

    params: Wq, Wk, Wv, Wo (d, d) and bq, bk, bv, bo (d,).
    forward(x, mask=None): x (N, T, d), mask None or (N, T) bool (True at real tokens) ->
    y (N, T, d):
        Q = x Wq + bq,  K = x Wk + bk,  V = x Wv + bv                       (N, T, d) each
        head j takes columns j*d_k .. (j+1)*d_k - 1 of Q, K and V           (N, h, T, d_k)
        O_j = softmax(Q_j K_j^T / sqrt(d_k) + M) V_j    (attention_reference.forward)
        y = concat_j(O_j) Wo + bo                        the heads side by side, (N, T, d)
    M is -inf at masked keys (and, causal, at keys after the query), 0 elsewhere.

    After a forward, `attention_weights` is A (N, h, T_query, T_key): row t of head j is
    where position t looked (it sums to 1; a row with no allowed key is all 0).

    PyTorch. The head layout is nn.MultiheadAttention's, so weights move between the two:
    torch's in_proj_weight (3d, d) acts as x @ W.T, so in_proj_weight = concat([Wq.T, Wk.T,
    Wv.T]) along axis 0, in_proj_bias = concat([bq, bk, bv]), out_proj.weight = Wo.T and
    out_proj.bias = bo; torch's key_padding_mask is ~mask and its causal attn_mask is
    ~causal_mask(T) (True = not allowed, there).
    """

    supports_mask = True

    def __init__(self, d_model: int, n_heads: int, causal: bool = False, init="xavier",
                 rng=None, *, name: str | None = None):
        super().__init__(name)
        self.d_model = positive_int(self.name, "d_model", d_model)
        self.n_heads = positive_int(self.name, "n_heads", n_heads)
        if self.d_model % self.n_heads:
            raise ValueError(f"{self.name}: expected n_heads to divide d_model (each head gets "
                             f"d_model / n_heads columns), got d_model {self.d_model} and "
                             f"n_heads {self.n_heads}")
        self.d_k = self.d_model // self.n_heads
        self.causal = bool(causal)
        self.init = init
        rng, dtype, d = as_rng(rng), get_default_dtype(), self.d_model
        for key in ("Wq", "Wk", "Wv", "Wo"):
            self.add_param(key, initializers.initial_weight(self.name, init, (d, d), rng, dtype))
        for key in ("bq", "bk", "bv", "bo"):
            self.add_param(key, np.zeros(d, dtype=dtype))
        self.attention_weights: np.ndarray | None = None

    def forward(self, x: np.ndarray, mask=None) -> np.ndarray:
        """x (N, T, d_model), mask None or (N, T) bool -> y (N, T, d_model)."""
        x = self.check_input(x, ndim=3, axis=2, size=self.d_model).astype(self.dtype, copy=False)
        N, T, d = x.shape
        h, dk = self.n_heads, self.d_k
        mask = check_padding_mask(self.name, mask, N, T)
        p = self.params
        # the three projections as one product: x (N*T, d) @ [Wq Wk Wv] (d, 3d)
        W = np.concatenate([p["Wq"], p["Wk"], p["Wv"]], axis=1)
        b = np.concatenate([p["bq"], p["bk"], p["bv"]])
        x2 = x.reshape(N * T, d)
        qkv = (x2 @ W + b).reshape(N, T, 3, h, dk).transpose(2, 0, 3, 1, 4)   # (3, N, h, T, dk)
        keys = None if mask is None else mask[:, None, None, :]              # (N, 1, 1, T)
        o, cache = sdpa.forward(qkv[0], qkv[1], qkv[2], keys, self.causal)   # (N, h, T, dk)
        concat = o.transpose(0, 2, 1, 3).reshape(N * T, d)                   # heads side by side
        y = concat @ p["Wo"] + p["bo"]
        self.attention_weights = cache.weights
        self.save_cache(x2=x2, W=W, attn=cache, concat=concat, shape=x.shape)
        return y.reshape(N, T, d)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy (N, T, d) -> dx (N, T, d); fills every grad.

        Forward (rows r = (n, t) of the flattened (N*T, d) arrays):
            [Q K V] = x [Wq Wk Wv] + [bq bk bv]       (N*T, 3d)
            O = attention(Q, K, V) per head           C = concat of the heads, (N*T, d)
            y = C Wo + bo
        Backward, the output projection first (a Dense layer's rules):
            dL/dWo = C^T dy,  dL/dbo = sum_r dy,  dL/dC = dy Wo^T
            dL/dC split back into heads -> attention_reference.backward -> dQ, dK, dV
            dL/d[Wq Wk Wv] = x^T [dQ dK dV],  dL/d[bq bk bv] = sum_r [dQ dK dV]
            dL/dx = [dQ dK dV] [Wq Wk Wv]^T = dQ Wq^T + dK Wk^T + dV Wv^T: x fed all three
            projections, so its gradient is the sum of what each sends back.
        """
        saved = self.load_cache()
        N, T, d = saved["shape"]
        h, dk = self.n_heads, self.d_k
        dy2 = self.check_grad(dy, (N, T, d)).astype(self.dtype, copy=False).reshape(N * T, d)
        p = self.params
        self.grads["Wo"][...] = saved["concat"].T @ dy2
        self.grads["bo"][...] = dy2.sum(axis=0)
        do = (dy2 @ p["Wo"].T).reshape(N, T, h, dk).transpose(0, 2, 1, 3)   # (N, h, T, dk)
        dq, dk_, dv = sdpa.backward(do, saved["attn"])
        dqkv = np.empty((N, T, 3, h, dk), dtype=self.dtype)
        for j, g in enumerate((dq, dk_, dv)):
            dqkv[:, :, j] = g.transpose(0, 2, 1, 3)
        dqkv = dqkv.reshape(N * T, 3 * d)
        dW = saved["x2"].T @ dqkv
        db = dqkv.sum(axis=0)
        for j, key in enumerate(("q", "k", "v")):
            self.grads["W" + key][...] = dW[:, j * d:(j + 1) * d]
            self.grads["b" + key][...] = db[j * d:(j + 1) * d]
        return (dqkv @ saved["W"].T).reshape(N, T, d)

    def __repr__(self) -> str:
        return (f"MultiHeadSelfAttention({self.d_model}, {self.n_heads}, "
                f"causal={self.causal})")


def sinusoidal_encoding(T: int, d_model: int, dtype=np.float64) -> np.ndarray:
    """The (T, d_model) table of Vaswani et al.: for position t and i = 0, 1, ...,
        PE[t, 2i]   = sin(t / 10000^(2i / d_model))
        PE[t, 2i+1] = cos(t / 10000^(2i / d_model))
    Each pair of columns is a clock of its own frequency, from one turn per 2*pi positions
    (i = 0) to one per 2*pi * 10000; PE[t + k] is a rotation of PE[t] that depends on k only,
    so relative positions are easy to read off. Values lie in [-1, 1]."""
    T = positive_int("sinusoidal_encoding", "T", T)
    d_model = positive_int("sinusoidal_encoding", "d_model", d_model)
    t = np.arange(T, dtype=np.float64)[:, None]
    rate = 10000.0 ** (-np.arange(0, d_model, 2, dtype=np.float64) / d_model)   # (ceil(d/2),)
    pe = np.empty((T, d_model))
    pe[:, 0::2] = np.sin(t * rate)
    pe[:, 1::2] = np.cos(t * rate[: d_model // 2])
    return pe.astype(dtype)


class PositionalEncoding(Layer):
    """y = x + PE[:T]: tells attention where each token is (sinusoidal_encoding).

    Attention by itself does not see order: permute the positions of x and the outputs are
    permuted the same way. Adding a different vector at each position breaks that symmetry.
    d_model: the width d of x. No parameters; the same in train and eval mode.
    forward(x, mask=None): x (N, T, d) -> y (N, T, d), any T; the mask passes on unchanged.
    backward: dL/dx = dy (PE is a constant).
    """

    supports_mask = True

    def __init__(self, d_model: int, *, name: str | None = None):
        super().__init__(name)
        self.d_model = positive_int(self.name, "d_model", d_model)
        self._table = np.zeros((0, self.d_model))

    def table(self, T: int) -> np.ndarray:
        """PE[:T], (T, d_model) float64 (computed once for the longest T seen)."""
        if self._table.shape[0] < T:
            self._table = sinusoidal_encoding(T, self.d_model)
        return self._table[:T]

    def forward(self, x: np.ndarray, mask=None) -> np.ndarray:
        """x (N, T, d_model) -> x + PE[:T], in x's dtype."""
        x = self.check_input(x, ndim=3, axis=2, size=self.d_model)
        self.save_cache(shape=x.shape)
        return x + self.table(x.shape[1]).astype(x.dtype)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Forward: y = x + PE (a constant). Backward: dL/dx = dy (a new array)."""
        dy = self.check_grad(dy, self.load_cache()["shape"])
        return dy.copy()

    def __repr__(self) -> str:
        return f"PositionalEncoding({self.d_model})"


class TimeDistributed(Layer):
    """Apply a layer made for (N, D) input at every position of a sequence (N, T, D).

    forward: x (N, T, ...) -> reshaped to (N*T, ...), through the layer, back to (N, T, ...):
    every position goes through the same layer (the same weights), independently.
    backward: the same reshapes around layer.backward; the layer's grads already hold the
    sum over all N*T rows, as a Dense layer's sum over its batch.
    children(): [layer], so its parameters are "0.W", "0.b" inside this one.
    """

    def __init__(self, layer: Layer, *, name: str | None = None):
        super().__init__(name)
        if not isinstance(layer, Layer):
            raise TypeError(f"{self.name}: expected a scratchnet Layer, got {type(layer).__name__}")
        self.layer = layer

    def children(self) -> list[Layer]:
        return [self.layer]

    @property
    def dtype(self) -> np.dtype:
        return self.layer.dtype

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x (N, T, ...) -> y (N, T, ...) with y[:, t] = layer(x[:, t])."""
        x = check_array(self.name, x, dtype=self.dtype)
        if x.ndim < 3:
            raise ValueError(f"{self.name}: expected x with a batch and a time axis "
                             f"(N, T, ...), got shape {x.shape}")
        N, T = x.shape[:2]
        y = self.layer.forward(x.reshape((N * T,) + x.shape[2:]))
        self.save_cache(N=N, T=T, y_shape=y.shape, layer_cache=self.layer._cache)
        return y.reshape((N, T) + y.shape[1:])

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Forward: y = reshape(f(reshape(x))). Backward: reshapes only move numbers, so
        dL/dx = reshape(f.backward(reshape(dy)))."""
        saved = self.load_cache()
        N, T, flat = saved["N"], saved["T"], saved["y_shape"]
        dy = self.check_grad(dy, (N, T) + flat[1:])
        self.layer._cache = saved["layer_cache"]
        dx = self.layer.backward(dy.reshape(flat))
        return dx.reshape((N, T) + dx.shape[1:])

    def __repr__(self) -> str:
        return f"TimeDistributed({self.layer!r})"


class FixedMask(Layer):
    """forward(x) = layer.forward(x, mask=mask): a masked layer with its mask held fixed.

    gradcheck.check_layer calls forward(x) only; wrap a layer that takes a mask in this to
    check it under one: check_layer(FixedMask(attn, mask), x). mask: (N, T) bool.
    children(): [layer]."""

    def __init__(self, layer: Layer, mask, *, name: str | None = None):
        super().__init__(name)
        if not isinstance(layer, Layer) or not layer.supports_mask:
            raise TypeError(f"{self.name}: expected a scratchnet Layer with supports_mask, "
                            f"got {type(layer).__name__}")
        self.layer = layer
        self.mask = None if mask is None else np.asarray(mask)

    def children(self) -> list[Layer]:
        return [self.layer]

    @property
    def dtype(self) -> np.dtype:
        return self.layer.dtype

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = self.layer.forward(x, mask=self.mask)
        self.save_cache(layer_cache=self.layer._cache)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self.layer._cache = self.load_cache()["layer_cache"]
        return self.layer.backward(dy)

    def __repr__(self) -> str:
        return f"FixedMask({self.layer!r})"


class TransformerEncoderBlock(Layer):
    """One encoder block of a transformer: self-attention, then a position-wise feed-forward
    network, each wrapped in a residual connection and a layer norm.

    d_model: d; n_heads: h (divides d); d_ff: the hidden width of the feed-forward network;
    dropout: p, applied to the attention's output, inside the feed-forward network and to its
    output (as PyTorch's nn.TransformerEncoderLayer); causal: passed to the attention.
    norm_first: False (default, Vaswani et al. and PyTorch's default) puts each LayerNorm
    after its residual sum; True puts it first, inside the residual branch (pre-norm, easier
    to train deep).
    rng: seeds the weights and the dropout streams.

        post-norm:  h = LN1(x + Drop(MHSA(x)))        y = LN2(h + Drop(FF(h)))
        pre-norm:   h = x + Drop(MHSA(LN1(x)))        y = h + Drop(FF(LN2(h)))
        FF(h) = Dense(d_ff, d)(Drop(ReLU(Dense(d, d_ff)(h)))), at every position on its own:
        Dense takes (N, D), so it runs inside TimeDistributed, as (N*T, d).

    forward(x, mask=None): x (N, T, d), mask None or (N, T) bool -> y (N, T, d).
    children(): post-norm [Residual(Sequential([MHSA, Dropout])), LayerNorm,
                Residual(Sequential([TimeDistributed(FF), Dropout])), LayerNorm];
                pre-norm [Residual(Sequential([LayerNorm, MHSA, Dropout])),
                Residual(Sequential([LayerNorm, TimeDistributed(FF), Dropout]))],
    so train()/eval(), freeze, reseed, summary()'s counts and save/load reach every part.
    The parts are also at hand: `attention`, `feed_forward` (the inner Sequential), `norm1`,
    `norm2`. The mask reaches the attention inside its Residual as everywhere else:
    Residual and Sequential pass it on to the layers that take one (supports_mask).
    """

    supports_mask = True

    def __init__(self, d_model: int, n_heads: int, d_ff: int, dropout: float = 0.1,
                 causal: bool = False, norm_first: bool = False, rng=None, *,
                 name: str | None = None):
        super().__init__(name)
        from scratchnet.model import Sequential      # model.py imports the layers package
        self.d_model = positive_int(self.name, "d_model", d_model)
        self.d_ff = positive_int(self.name, "d_ff", d_ff)
        self.p = drop_probability(self.name, dropout)
        self.norm_first = bool(norm_first)
        rng = as_rng(rng)
        seed = lambda: int(rng.integers(2**63))              # noqa: E731
        d = self.d_model
        self.attention = MultiHeadSelfAttention(d, n_heads, causal=causal, rng=seed())
        self.feed_forward = Sequential([Dense(d, self.d_ff, rng=seed()), ReLU(),
                                        Dropout(self.p, rng=seed()),
                                        Dense(self.d_ff, d, rng=seed())])
        self.norm1, self.norm2 = LayerNorm(d), LayerNorm(d)
        ff = TimeDistributed(self.feed_forward)
        if self.norm_first:
            self.parts = [Residual(Sequential([self.norm1, self.attention,
                                               Dropout(self.p, rng=seed())])),
                          Residual(Sequential([self.norm2, ff, Dropout(self.p, rng=seed())]))]
        else:
            self.parts = [Residual(Sequential([self.attention, Dropout(self.p, rng=seed())])),
                          self.norm1,
                          Residual(Sequential([ff, Dropout(self.p, rng=seed())])),
                          self.norm2]

    def children(self) -> list[Layer]:
        return list(self.parts)

    @property
    def dtype(self) -> np.dtype:
        return self.attention.dtype

    def forward(self, x: np.ndarray, mask=None) -> np.ndarray:
        """x (N, T, d_model), mask None or (N, T) bool -> y (N, T, d_model)."""
        x = self.check_input(x, ndim=3, axis=2, size=self.d_model).astype(self.dtype, copy=False)
        mask = check_padding_mask(self.name, mask, x.shape[0], x.shape[1])
        for part in self.parts:
            x = part.forward(x, mask=mask) if part.supports_mask else part.forward(x)
        self.save_cache(shape=x.shape, caches=[part._cache for part in self.parts])
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """The chain rule through the parts, last first: dL/dh_{i-1} = part_i.backward(dL/dh_i).
        Each Residual adds its shortcut's dy to its branch's gradient (residual.py)."""
        saved = self.load_cache()
        dy = self.check_grad(dy, saved["shape"])
        for part, cache in zip(reversed(self.parts), reversed(saved["caches"])):
            part._cache = cache
            dy = part.backward(dy)
        return dy

    def __repr__(self) -> str:
        return (f"TransformerEncoderBlock({self.d_model}, {self.attention.n_heads}, {self.d_ff}, "
                f"dropout={self.p}, causal={self.attention.causal}, "
                f"norm_first={self.norm_first})")
