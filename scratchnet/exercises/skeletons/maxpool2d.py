"""Exercise maxpool2d: the backward of max pooling.

Shapes (NCHW): x (N, C, H, W) -> out (N, C, HO, WO), HO = (H - K) // s + 1 (WO likewise),
K the window size and s the stride (s = K by default: windows that do not overlap).

    out[n, c, i, j] = max of the window x[n, c, i*s : i*s + K, j*s : j*s + K]

Where the derivation starts: inside one window, the max changes with its winning element
only, one for one; nudging any other element of the window changes nothing:

    d out[n, c, i, j] / d x[n, c, h, w] = 1 if (h, w) is the window's winner, else 0

so dy[n, c, i, j] goes to the winner of window (i, j) and nowhere else; an element that wins
several windows (when s < K) collects the sum of their dy.

Ties: when several elements share the max, give dy to exactly ONE of them, the first in
row-major order (what np.argmax of the flattened window picks), as the library does. (Giving
it to each of them passes the finite differences element by element, but is wrong: moving all
tied elements up together moves the max by the step, not by twice the step.)

Fill in backward, then run:   python -m scratchnet.exercises check maxpool2d.py
After you have tried, compare with scratchnet/kernels/maxpool_reference.py (backward).
"""
import numpy as np

from scratchnet.layers.base import Layer

EXERCISE = "maxpool2d"


class MaxPool2D(Layer):
    """Max over K x K windows with stride s (default s = K). No parameters."""

    def __init__(self, kernel_size, stride=None):
        super().__init__()
        self.k = kernel_size
        self.s = kernel_size if stride is None else stride

    def forward(self, x):
        """x: (N, C, H, W) -> out: (N, C, HO, WO)."""
        k, s = self.k, self.s
        N, C, H, W = x.shape
        HO, WO = (H - k) // s + 1, (W - k) // s + 1
        out = np.zeros((N, C, HO, WO))
        for n in range(N):
            for c in range(C):
                for i in range(HO):
                    for j in range(WO):
                        out[n, c, i, j] = x[n, c, i * s:i * s + k, j * s:j * s + k].max()
        self.save_cache(x=x)
        return out

    def backward(self, dy):
        """dy = dL/dout: (N, C, HO, WO) -> dx: (N, C, H, W)."""
        x = self.load_cache()["x"]
        k, s = self.k, self.s
        N, C, HO, WO = dy.shape
        # ---- your code: dx, with the forward's loops (np.argmax, np.unravel_index help) ----
        dx = np.zeros_like(x)
        # ---- end of your code ----
        return dx
