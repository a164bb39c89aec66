"""Layers that only change an array's shape, such as Flatten between conv and Dense layers."""
from __future__ import annotations

import math

import numpy as np

from scratchnet.layers.base import Layer


class Flatten(Layer):
    """Keep the batch axis, flatten the rest: (N, d1, d2, ...) -> (N, d1*d2*...).

    For example conv features (N, C, H, W) -> (N, C*H*W), ready for a Dense layer.
    x needs at least 2 axes. Both directions return new arrays (not views of their input).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, d1, d2, ...) -> y: (N, d1*d2*...), rows in C order (last axis fastest)."""
        x = self.check_input(x)
        if x.ndim < 2:
            raise ValueError(f"{self.name}: expected x with at least 2 dimensions (N, d1, ...), "
                             f"got shape {x.shape}")
        N, D = x.shape[0], math.prod(x.shape[1:])
        y = x.reshape(N, D).copy()
        self.save_cache(x_shape=x.shape, y_shape=y.shape)
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Forward: y = x.reshape(N, d1*d2*...), the same numbers in a new shape.
        Backward: each y element is one x element with derivative 1, so
                  dL/dx = dy.reshape(N, d1, d2, ...)    (back to x's shape)"""
        cache = self.load_cache()
        dy = self.check_grad(dy, cache["y_shape"])
        return dy.reshape(cache["x_shape"]).copy()
