"""Exercise rnn: backprop through time in a simple recurrent layer.

Shapes (batch first): x (N, T, D); the state h_t (N, H); Wx (D, H), Wh (H, H), b (H,).
h_0 = 0 and, for t = 1 .. T,

    a_t = x_t @ Wx + h_{t-1} @ Wh + b          (N, H)
    h_t = tanh(a_t)

The layer outputs every state: y = (h_1, ..., h_T), (N, T, H); dy[:, t-1] = dL/dh_t from the
output at step t.

Where the derivation starts: unrolled, the layer is T copies of one cell in a chain. h_t is
read TWICE: by the output at step t and by step t + 1, so walking back from t = T,

    dL/dh_t = dy_t + dL/da_{t+1} @ Wh.T        (the second term is 0 at t = T)
    dL/da_t = dL/dh_t * (1 - h_t**2)

and from da_t, as in a Dense layer: dx_t = da_t @ Wx.T. The same Wx, Wh and b serve every
step, so their gradients are SUMS over the steps: dWx = sum_t x_t.T @ da_t, and dWh, db likewise
(what multiplies Wh at step t?).

Fill in backward, then run:   python -m scratchnet.exercises check rnn.py
After you have tried, compare with scratchnet/layers/recurrent.py (SimpleRNN).
"""
import numpy as np

from scratchnet.layers.base import Layer

EXERCISE = "rnn"


class SimpleRNN(Layer):
    """h_t = tanh(x_t Wx + h_{t-1} Wh + b); returns every h_t. params Wx (D, H), Wh (H, H), b (H,)."""

    def __init__(self, n_in, n_hidden, rng=None):
        super().__init__()
        rng = np.random.default_rng(rng)
        self.add_param("Wx", rng.normal(0.0, 1 / np.sqrt(n_in), size=(n_in, n_hidden)))
        self.add_param("Wh", rng.normal(0.0, 1 / np.sqrt(n_hidden), size=(n_hidden, n_hidden)))
        self.add_param("b", np.zeros(n_hidden))

    def forward(self, x):
        """x: (N, T, D) -> y: (N, T, H), the states h_1 .. h_T."""
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        N, T, D = x.shape
        hs = [np.zeros((N, Wh.shape[0]))]                        # hs[t] = h_t, hs[0] = h_0
        for t in range(T):
            hs.append(np.tanh(x[:, t] @ Wx + hs[-1] @ Wh + b))
        self.save_cache(x=x, hs=hs)
        return np.stack(hs[1:], axis=1)

    def backward(self, dy):
        """dy = dL/dy: (N, T, H) -> dx: (N, T, D); sets grads["Wx"], grads["Wh"], grads["b"]."""
        cache = self.load_cache()
        x, hs = cache["x"], cache["hs"]                          # hs[t] = h_t, t = 0 .. T
        Wx, Wh = self.params["Wx"], self.params["Wh"]
        N, T, D = x.shape
        # ---- your code: dx, dWx, dWh and db, walking back from t = T to 1 ----
        dx = np.zeros_like(x)
        dWx = np.zeros_like(Wx)
        dWh = np.zeros_like(Wh)
        db = np.zeros_like(self.params["b"])
        # ---- end of your code ----
        self.grads["Wx"] = dWx
        self.grads["Wh"] = dWh
        self.grads["b"] = db
        return dx
