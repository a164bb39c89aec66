"""Exercise relu: the backward of y = max(x, 0), elementwise.

Shapes: x, y and dy = dL/dy all have one shape, (N, D) say.

Where the derivation starts: y[i] depends on x[i] only, so the Jacobian dy/dx is diagonal and

    dL/dx[i] = dL/dy[i] * dy[i]/dx[i]

What is dy[i]/dx[i] where x[i] > 0? Where x[i] < 0? At x[i] == 0 the function has a corner
(a "kink"): any slope between 0 and 1 is a valid subgradient. Use 0 there, as the library
does, so that the check can compare your dx with its dx.

A rule of the layer contract: never write into dy (no dy[mask] = 0). The caller still owns it;
build a new array.

Fill in backward, then run:   python -m scratchnet.exercises check relu.py
After you have tried, compare with scratchnet/layers/activations.py (ReLU.backward).
"""
import numpy as np

from scratchnet.layers.base import Layer

EXERCISE = "relu"


class ReLU(Layer):
    """y = max(x, 0), any shape. No parameters."""

    def forward(self, x):
        """x: any shape -> y: the same shape."""
        self.save_cache(x=x)
        return np.maximum(x, 0)

    def backward(self, dy):
        """dy = dL/dy (x's shape) -> dx = dL/dx (x's shape)."""
        x = self.load_cache()["x"]
        # ---- your code: dx from dy and x ----
        dx = np.zeros_like(x)
        # ---- end of your code ----
        return dx
