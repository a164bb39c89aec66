"""Exercise conv2d: the backward of a 2-D convolution, written with plain loops.

Shapes (NCHW): x (N, C, H, W); weights Wt (O, C, K, K); bias b (O,);
out (N, O, HO, WO) with HO = (H + 2 p - K) // s + 1 (WO likewise), s the stride, p the padding.
forward pads x with p zeros on each side (xp) and computes, for every n, o, i, j,

    out[n, o, i, j] = b[o] + sum_{c, u, v} Wt[o, c, u, v] * xp[n, c, i*s + u, j*s + v]

i.e. the window of xp that starts at row i*s, column j*s, times filter o, summed.

Where the derivation starts: out[n, o, i, j] is a sum of products, so

    d out[n, o, i, j] / d Wt[o, c, u, v] = xp[n, c, i*s + u, j*s + v]
    d out[n, o, i, j] / d xp[n, c, i*s + u, j*s + v] = Wt[o, c, u, v]
    d out[n, o, i, j] / d b[o] = 1

and the chain rule sums dy[n, o, i, j] times these over every output that used the variable.
The easiest way to write it: run the forward's four loops again, and let each output hand its
share dy[n, o, i, j] * (local derivative) to the variables that made it. One element of xp sits
in several windows (when K > s) and feeds every filter o: its gradient is the SUM of its
shares. Finally cut the padding off the gradient of xp to get dx (done for you).

Fill in backward, then run:   python -m scratchnet.exercises check conv2d.py
After you have tried, compare with scratchnet/kernels/conv_reference.py (backward).
"""
import numpy as np

from scratchnet.layers.base import Layer

EXERCISE = "conv2d"


class Conv2D(Layer):
    """Square kernels, one stride and one padding for both axes. params: W (O, C, K, K), b (O,)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, rng=None):
        super().__init__()
        self.k, self.s, self.p = kernel_size, stride, padding
        fan_in = in_channels * kernel_size * kernel_size
        rng = np.random.default_rng(rng)
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.add_param("W", rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape))
        self.add_param("b", np.zeros(out_channels))

    def forward(self, x):
        """x: (N, C, H, W) -> out: (N, O, HO, WO)."""
        k, s, p = self.k, self.s, self.p
        Wt, b = self.params["W"], self.params["b"]
        N, C, H, W = x.shape
        O = Wt.shape[0]
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        HO, WO = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
        out = np.zeros((N, O, HO, WO))
        for n in range(N):
            for o in range(O):
                for i in range(HO):
                    for j in range(WO):
                        window = xp[n, :, i * s:i * s + k, j * s:j * s + k]     # (C, K, K)
                        out[n, o, i, j] = np.sum(window * Wt[o]) + b[o]
        self.save_cache(xp=xp, x_shape=x.shape)
        return out

    def backward(self, dy):
        """dy = dL/dout: (N, O, HO, WO) -> dx: (N, C, H, W); sets grads["W"], grads["b"]."""
        cache = self.load_cache()
        xp, (N, C, H, W) = cache["xp"], cache["x_shape"]
        k, s, p = self.k, self.s, self.p
        Wt = self.params["W"]
        O, HO, WO = dy.shape[1], dy.shape[2], dy.shape[3]
        # ---- your code: dxp (the gradient of the padded xp), dW and db, with loops ----
        dxp = np.zeros_like(xp)
        dW = np.zeros_like(Wt)
        db = np.zeros_like(self.params["b"])
        # ---- end of your code ----
        self.grads["W"] = dW
        self.grads["b"] = db
        return dxp[:, :, p:p + H, p:p + W]                       # cut the padding off
