"""Exercise dense: the backward of a fully connected layer, y = x @ W + b.

Shapes: x (N, D), W (D, M), b (M,), y (N, M); dy = dL/dy has y's shape, (N, M).

Where the derivation starts: write one element of y,

    y[n, m] = sum_d x[n, d] * W[d, m] + b[m]

and take the chain rule one element at a time:

    dL/dW[d, m] = sum over every y[n', m'] of dL/dy[n', m'] * dy[n', m'] / dW[d, m]

Which elements of y does W[d, m] touch? x[n, d]? b[m]? Each sum that is left becomes a matrix
product or a sum along an axis. Check the shapes at the end: dL/dW is (D, M) like W, dL/db is
(M,) like b, dL/dx is (N, D) like x.

Fill in backward, then run:   python -m scratchnet.exercises check dense.py
After you have tried, compare with scratchnet/layers/dense.py (dense_backward).
"""
import numpy as np

from scratchnet.layers.base import Layer

EXERCISE = "dense"


class Dense(Layer):
    """y = x @ W + b.  n_in: D, n_out: M.  params: W (D, M), b (M,)."""

    def __init__(self, n_in, n_out, rng=None):
        super().__init__()
        rng = np.random.default_rng(rng)
        self.add_param("W", rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out)))
        self.add_param("b", np.zeros(n_out))

    def forward(self, x):
        """x: (N, D) -> y: (N, M)."""
        self.save_cache(x=x)
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dy):
        """dy = dL/dy: (N, M) -> dx = dL/dx: (N, D); sets grads["W"] (D, M) and grads["b"] (M,)."""
        x = self.load_cache()["x"]
        W = self.params["W"]
        # ---- your code: dx, dW and db from dy, x and W ----
        dx = np.zeros_like(x)
        dW = np.zeros_like(W)
        db = np.zeros_like(self.params["b"])
        # ---- end of your code ----
        self.grads["W"] = dW
        self.grads["b"] = db
        return dx
