"""Exercise sigmoid: the backward of y = 1 / (1 + exp(-x)), elementwise.

Shapes: x, y and dy = dL/dy all have one shape, (N, D) say.

Where the derivation starts: y[i] depends on x[i] only, so dL/dx[i] = dL/dy[i] * dy[i]/dx[i],
and by the quotient rule

    dy/dx = exp(-x) / (1 + exp(-x))**2

Rewrite that in terms of y alone (hint: 1 - y = exp(-x) / (1 + exp(-x))). Forward keeps y
for you, so backward needs no exp at all.

Fill in backward, then run:   python -m scratchnet.exercises check sigmoid.py
After you have tried, compare with scratchnet/layers/activations.py (Sigmoid.backward).
"""
import numpy as np

from scratchnet.layers.base import Layer

EXERCISE = "sigmoid"


class Sigmoid(Layer):
    """y = 1 / (1 + exp(-x)), any shape. No parameters."""

    def forward(self, x):
        """x: any shape -> y in (0, 1), the same shape (stable: exp of -|x| only)."""
        z = np.exp(-np.abs(x))
        y = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
        self.save_cache(x=x, y=y)
        return y.copy()

    def backward(self, dy):
        """dy = dL/dy (x's shape) -> dx = dL/dx (x's shape)."""
        cache = self.load_cache()
        x, y = cache["x"], cache["y"]
        # ---- your code: dx from dy and y (or x) ----
        dx = np.zeros_like(x)
        # ---- end of your code ----
        return dx
