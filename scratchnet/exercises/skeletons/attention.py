"""Exercise attention: the backward of scaled dot-product attention, inside self-attention.

Shapes: x (N, T, d); h heads of width d_k = d / h; Wq, Wk, Wv, Wo (d, d), bq, bk, bv, bo (d,).

    Q = x Wq + bq,  K = x Wk + bk,  V = x Wv + bv         (N, T, d), split into heads (N, h, T, d_k)
    S = Q K^T / sqrt(d_k)                                 scores   (N, h, T, T)
    A = softmax(S) along the last axis                    weights  (N, h, T, T), rows sum to 1
    O = A V                                               outputs  (N, h, T, d_k)
    y = concat_heads(O) Wo + bo                           (N, T, d)

The projections are Dense layers, and their backward is written for you. Yours is the core:
from dO = dL/dO to dQ, dK and dV.

Where the derivation starts: O = A V is a matrix product, so dA = dO V^T and dV = A^T dO
(per head, with the transposes on the last two axes). For each row of A = softmax(S), the
Jacobian is dA_i/dS_j = A_i ([i == j] - A_j) (scratchnet/layers/activations.py,
softmax_jacobian), so

    dS_j = sum_i dA_i A_i ([i == j] - A_j) = A_j (dA_j - sum_i dA_i A_i)

Then S = Q K^T * scale is one more matrix product. Check the shapes: dQ, dK, dV are
(N, h, T, d_k) like Q, K and V.

Fill in backward, then run:   python -m scratchnet.exercises check attention.py
After you have tried, compare with scratchnet/kernels/attention_reference.py (backward).
"""
import numpy as np

from scratchnet.layers.base import Layer

EXERCISE = "attention"


class MultiHeadSelfAttention(Layer):
    """Self-attention with h heads, no mask. params Wq, Wk, Wv, Wo (d, d), bq, bk, bv, bo (d,)."""

    def __init__(self, d_model, n_heads, rng=None):
        super().__init__()
        rng = np.random.default_rng(rng)
        self.h = n_heads
        for key in ("Wq", "Wk", "Wv", "Wo"):
            self.add_param(key, rng.normal(0.0, 1 / np.sqrt(d_model), size=(d_model, d_model)))
        for key in ("bq", "bk", "bv", "bo"):
            self.add_param(key, np.zeros(d_model))

    def _heads(self, z):                      # (N, T, d) -> (N, h, T, d_k)
        N, T, d = z.shape
        return z.reshape(N, T, self.h, d // self.h).transpose(0, 2, 1, 3)

    def forward(self, x):
        """x: (N, T, d) -> y: (N, T, d)."""
        p = self.params
        Q, K, V = (self._heads(x @ p["W" + k] + p["b" + k]) for k in "qkv")
        scale = 1 / np.sqrt(Q.shape[-1])
        S = Q @ K.transpose(0, 1, 3, 2) * scale
        A = np.exp(S - S.max(axis=-1, keepdims=True))
        A /= A.sum(axis=-1, keepdims=True)
        O = A @ V
        C = O.transpose(0, 2, 1, 3).reshape(x.shape)            # the heads side by side
        self.save_cache(x=x, Q=Q, K=K, V=V, A=A, C=C, scale=scale)
        return C @ p["Wo"] + p["bo"]

    def backward(self, dy):
        """dy = dL/dy: (N, T, d) -> dx: (N, T, d); sets every grad."""
        cache = self.load_cache()
        x, Q, K, V, A, C, scale = (cache[k] for k in ("x", "Q", "K", "V", "A", "C", "scale"))
        p, N, T, d = self.params, *x.shape
        self.grads["Wo"] = C.reshape(N * T, d).T @ dy.reshape(N * T, d)
        self.grads["bo"] = dy.sum(axis=(0, 1))
        dO = self._heads(dy @ p["Wo"].T)                         # (N, h, T, d_k)
        # ---- your code: dQ, dK and dV (N, h, T, d_k) from dO, A, Q, K, V and scale ----
        dQ = np.zeros_like(Q)
        dK = np.zeros_like(K)
        dV = np.zeros_like(V)
        # ---- end of your code ----
        dx = np.zeros_like(x)
        for k, dZ in zip("qkv", (dQ, dK, dV)):                   # the three Dense layers back
            dZ = dZ.transpose(0, 2, 1, 3).reshape(N * T, d)
            self.grads["W" + k] = x.reshape(N * T, d).T @ dZ
            self.grads["b" + k] = dZ.sum(axis=0)
            dx = dx + (dZ @ p["W" + k].T).reshape(N, T, d)       # x fed all three
        return dx
