"""Exercise lstm: backprop through time in an LSTM, with its two paths back: h and the cell c.

Shapes (batch first): x (N, T, D); states h_t, c_t (N, H); Wx (D, 4H), Wh (H, 4H), b (4H,),
the four gate blocks side by side in the order input i, forget f, candidate g, output o.
h_0 = c_0 = 0 and, for t = 1 .. T,

    a_t = x_t @ Wx + h_{t-1} @ Wh + b                    (N, 4H), cut into four (N, H) blocks
    i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

The layer outputs the last state only: y = h_T, (N, H).

Where the derivation starts: walk back from t = T carrying TWO gradients, dh = dL/dh_t and
dc = dL/dc_t (dh = dy and dc = 0 at t = T). At step t:

    dc  = dc + dh * o * (1 - tanh(c_t)**2)    c_t reaches L directly (dc) and through h_t
    do  = dh * tanh(c_t)      di = dc * g      dg = dc * i      df = dc * c_{t-1}
    then each gate's pre-activation: da_i = di * i * (1 - i), da_g = dg * (1 - g**2), ...
    and for step t - 1:  dc_{t-1} = dc * f,   dh_{t-1} = da_t @ Wh.T

The cell's path back, dc * f, is the LSTM's point: a gradient that the forget gate can carry
over many steps. From da_t, as in a Dense layer: dx_t = da_t @ Wx.T, and Wx, Wh, b get the
sums over the steps.

Fill in backward, then run:   python -m scratchnet.exercises check lstm.py
After you have tried, compare with scratchnet/layers/recurrent.py (LSTM).
"""
import numpy as np

from scratchnet.layers.base import Layer

EXERCISE = "lstm"


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


class LSTM(Layer):
    """An LSTM that returns h_T. params Wx (D, 4H), Wh (H, 4H), b (4H,), gates i, f, g, o."""

    def __init__(self, n_in, n_hidden, rng=None):
        super().__init__()
        rng = np.random.default_rng(rng)
        self.add_param("Wx", rng.normal(0.0, 1 / np.sqrt(n_in), size=(n_in, 4 * n_hidden)))
        self.add_param("Wh", rng.normal(0.0, 1 / np.sqrt(n_hidden), size=(n_hidden, 4 * n_hidden)))
        self.add_param("b", np.zeros(4 * n_hidden))

    def forward(self, x):
        """x: (N, T, D) -> y = h_T: (N, H)."""
        Wx, Wh, b = self.params["Wx"], self.params["Wh"], self.params["b"]
        N, T, D = x.shape
        H = Wh.shape[0]
        h, c = np.zeros((N, H)), np.zeros((N, H))
        steps = []                                               # what backward needs, per t
        for t in range(T):
            a = x[:, t] @ Wx + h @ Wh + b
            i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
            g, o = np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
            c_prev, h_prev = c, h
            c = f * c_prev + i * g
            h = o * np.tanh(c)
            steps.append({"i": i, "f": f, "g": g, "o": o, "c": c, "c_prev": c_prev,
                          "h_prev": h_prev})
        self.save_cache(x=x, steps=steps)
        return h

    def backward(self, dy):
        """dy = dL/dh_T: (N, H) -> dx: (N, T, D); sets grads["Wx"], grads["Wh"], grads["b"]."""
        cache = self.load_cache()
        x, steps = cache["x"], cache["steps"]                    # steps[t - 1]: step t's values
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
