"""Penalties added to the loss to keep weights small, written out so a student sees both
halves: the number added to the loss, and the gradient added to every weight's gradient.

    history = model.fit(x, y, loss="cce", optimizer=SGD(0.1), regularizer=L2(1e-3))

L2(lam) adds (lam / 2) * sum(w ** 2) over every trainable parameter to the training loss,
so its gradient adds lam * w to dL/dw. With plain SGD that is exactly the optimizer's own
weight_decay: w <- w - lr * (g + lam * w). (Adam's weight_decay, added to g before the moment
estimates, is also this; AdamW's decoupled decay is not a penalty on the loss.)
"""
from __future__ import annotations

import math

import numpy as np

from scratchnet.layers.base import iter_layers


class L2:
    """The L2 penalty R(w) = (lam / 2) * sum over trainable params of w ** 2.

    lam: the strength, a number >= 0. Biases are included, as the optimizers' weight_decay
    includes them, so that the two can be compared exactly.
    """

    def __init__(self, lam: float):
        if isinstance(lam, bool) or not isinstance(lam, (int, float, np.integer, np.floating)):
            raise TypeError(f"L2: expected lam to be a number, got {lam!r}")
        if not (math.isfinite(lam) and lam >= 0):
            raise ValueError(f"L2: expected lam to be a finite number >= 0, got {lam!r}")
        self.lam = float(lam)

    @staticmethod
    def _params(model):
        for layer in iter_layers(model, trainable_only=True):
            for key, w in layer.params.items():
                yield layer, key, w

    def penalty(self, model) -> float:
        """R = (lam / 2) * sum(w ** 2) over the trainable parameters of `model`."""
        return 0.5 * self.lam * sum(float(np.sum(w * w)) for _, _, w in self._params(model))

    def add_gradients(self, model) -> None:
        """dR/dw = lam * w, added to each trainable layer's grads (after model.backward).
        Only the layers' own grads arrays change; the parameters do not."""
        for layer, key, w in self._params(model):
            layer.grads[key] = layer.grads[key] + self.lam * w

    def __repr__(self) -> str:
        return f"L2({self.lam})"
