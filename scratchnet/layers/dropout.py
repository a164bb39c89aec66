"""Dropout: during training, each unit is zeroed at random, so no unit can rely on another.

Inverted dropout, as everyone uses it: a kept unit is scaled by 1/(1 - p) at TRAINING time, so
the expected output equals the input and eval mode is the plain identity (nothing to rescale
at test time). The mask drawn in forward is kept for backward.
"""
from __future__ import annotations

import numpy as np

from scratchnet._checks import drop_probability
from scratchnet._config import as_rng
from scratchnet.layers.base import Layer


class Dropout(Layer):
    """Inverted dropout: y = x * m, with m = [u >= p] / (1 - p), u uniform in [0, 1).

    p:   the probability of dropping a unit (0 <= p < 1); p = 0 is the identity.
    rng: None, an int seed or a numpy Generator: the stream the masks come from.

    forward: x of any shape (N, ...) -> y of the same shape. In eval mode y = x.
    The mask m is drawn fresh at each training forward and kept for backward;
    `reseed(seed)` restarts the stream, so that gradcheck sees one fixed function.
    E[y] = x, since E[m] = (1 - p) / (1 - p) = 1.
    """

    def __init__(self, p: float = 0.5, rng=None, *, name: str | None = None):
        super().__init__(name)
        self.p = drop_probability(self.name, p)
        self._rng = as_rng(rng)

    def reseed(self, seed) -> None:
        """Restart the mask stream from `seed` (None: fresh entropy)."""
        self._rng = np.random.default_rng(seed)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, ...) -> y = x * m (training) or y = x (eval), same shape and dtype."""
        x = self.check_input(x)
        if not self.training or self.p == 0.0:
            self.save_cache(mask=None, shape=x.shape)
            return x.copy()
        keep = self._rng.random(x.shape) >= self.p            # each unit kept with prob 1 - p
        mask = keep.astype(x.dtype) / x.dtype.type(1.0 - self.p)
        self.save_cache(mask=mask, shape=x.shape)
        return x * mask

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Forward:  y = x * m, elementwise; m is a constant (drawn, not computed from x).
        Backward: dy_i/dx_i = m_i, so dL/dx = dy * m: a dropped unit passes no gradient,
                  a kept one passes dy scaled by 1/(1 - p). In eval mode dL/dx = dy.
        Dropout has no parameters, so grads stays empty."""
        cache = self.load_cache()
        dy = self.check_grad(dy, cache["shape"])
        return dy.copy() if cache["mask"] is None else dy * cache["mask"]

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"
