"""Residual connections: y = block(x) + shortcut(x).

A residual block learns a correction to its input instead of a whole new representation:
with the identity shortcut, y = x + f(x), so a block whose f is 0 passes its input through
unchanged, and a deep stack of such blocks starts out close to the identity. In backward the
input gradient is dy (through the shortcut) plus what the block sends back: the gradient
reaches the first layers undiminished along the shortcuts, however deep the stack (He et
al., 2015, "Deep residual learning for image recognition"; tutorials/25_residual_networks.py
measures it).

    from scratchnet import Sequential
    from scratchnet.layers import BatchNorm2D, Conv2D, ReLU, Residual
    block = Residual(Sequential([Conv2D(16, 16, 3, padding=1), BatchNorm2D(16), ReLU(),
                                 Conv2D(16, 16, 3, padding=1), BatchNorm2D(16)]))
    down = Residual(Sequential([Conv2D(16, 32, 3, stride=2, padding=1), BatchNorm2D(32)]),
                    shortcut=Conv2D(16, 32, 1, stride=2))      # shapes differ: a projection
"""
from __future__ import annotations

import numpy as np

from scratchnet.layers.base import Layer, check_array, iter_layers


def _shape_text(shape) -> str:
    """(8, 16, 4, 4) -> "(N, 16, 4, 4)"."""
    return "(" + ", ".join(["N"] + [str(d) for d in shape[1:]]) + ")"


def _forward(layer: Layer, x, mask):
    """layer.forward(x), with the mask for a layer that takes one."""
    return layer.forward(x, mask=mask) if layer.supports_mask else layer.forward(x)


class Residual(Layer):
    """y = block(x) + shortcut(x): a block with a skip connection around it.

    block:    any Layer, a Sequential included: the residual branch f.
    shortcut: None for the identity (y = f(x) + x, when f keeps the shape), or a Layer that
              maps x to f's output shape when they differ: a projection, usually a 1x1
              Conv2D (with the block's stride) for images or a Dense for features.

    forward: x (N, ...) -> y of f's output shape. f(x) and shortcut(x) must have one shape,
             else a ValueError says which shapes met and suggests a projection.
    children(): [block], or [block, shortcut] with a projection, so train(), eval(),
             zero_grad, astype, freezing (trainable = False), the optimizers, summary()'s
             parameter counts and save/load all reach both paths. Their parameters are
             named "0.<block's names>" and "1.<shortcut's names>" inside this layer.
    The Residual itself has no parameters.
    """

    def __init__(self, block: Layer, shortcut: Layer | None = None, *, name: str | None = None):
        super().__init__(name)
        for what, layer in (("block", block), ("shortcut", shortcut)):
            if layer is None and what == "shortcut":
                continue
            if not isinstance(layer, Layer):
                hint = (f" (pass an instance: {layer.__name__}(...), not the class)"
                        if isinstance(layer, type) and issubclass(layer, Layer) else "")
                raise TypeError(f"{self.name}: expected {what} to be a scratchnet Layer"
                                f"{' or None' if what == 'shortcut' else ''}, got "
                                f"{type(layer).__name__}{hint}")
        if shortcut is not None:
            inside = {id(sub) for sub in iter_layers(block)}
            if any(id(sub) in inside for sub in iter_layers(shortcut)):
                raise ValueError(f"{self.name}: the shortcut holds a layer that is also in the "
                                 f"block; one layer object can be used once (make a new one)")
        self.block = block
        self.shortcut = shortcut

    supports_mask = True     # a padding mask goes on to the paths that take one

    def children(self) -> list[Layer]:
        return [self.block] if self.shortcut is None else [self.block, self.shortcut]

    def compute_mask(self, x, mask=None):
        """The output has the block's shape, so its mask is the block's."""
        return self.block.compute_mask(x, mask)

    @property
    def dtype(self) -> np.dtype:
        """The block's dtype (the Residual has no parameters of its own)."""
        return self.block.dtype

    def forward(self, x: np.ndarray, mask=None) -> np.ndarray:
        """x (N, ...) -> y = block(x) + shortcut(x), of the block's output shape. A padding
        mask (N, T) is handed to the block and the shortcut when they take one."""
        x = check_array(self.name, x, dtype=self.dtype)
        f = _forward(self.block, x, mask)
        s = x if self.shortcut is None else _forward(self.shortcut, x, mask)
        if f.shape != s.shape:
            path = "the identity shortcut keeps" if self.shortcut is None else "the shortcut gives"
            hint = (" pass a projection as shortcut=, e.g. a 1x1 Conv2D (with the block's "
                    "stride) or a Dense, that maps x to the block's output shape"
                    if self.shortcut is None else " change the shortcut to match the block")
            raise ValueError(f"{self.name}: the block maps x of shape {_shape_text(x.shape)} to "
                             f"{_shape_text(f.shape)}, but {path} {_shape_text(s.shape)}, and "
                             f"the two must be added:{hint}")
        # the children's caches are kept with ours, as Sequential does: a layer shared with
        # another model may run a forward there before our backward comes
        self.save_cache(shape=f.shape, block_cache=self.block._cache,
                        shortcut_cache=None if self.shortcut is None else self.shortcut._cache)
        return f + s

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy = dL/dy (shaped like y) -> dL/dx (shaped like x).

        Forward:  y = f(x) + g(x)        f the block, g the shortcut (g(x) = x: identity)
        Backward: x feeds both terms, so by the chain rule its gradient is the sum of what
                  each path sends back (a fork in the graph adds its gradients):
                      dL/dx = J_f(x)^T dy + J_g(x)^T dy
                            = block.backward(dy) + dy                 (identity: J_g = I)
                            = block.backward(dy) + shortcut.backward(dy)   (projection)
                  The "+ dy" term is why deep residual stacks train: even where the block's
                  Jacobian is tiny, the gradient reaches x at full strength.
        The block's (and shortcut's) grads are filled by their own backward; dy is not changed.
        """
        saved = self.load_cache()
        dy = self.check_grad(dy, saved["shape"])
        self.block._cache = saved["block_cache"]
        dx = self.block.backward(dy)
        if self.shortcut is None:
            return dx + dy
        self.shortcut._cache = saved["shortcut_cache"]
        return dx + self.shortcut.backward(dy)

    def __repr__(self) -> str:
        inner = repr(self.block).replace("\n", "\n  ")
        short = "" if self.shortcut is None else f",\n  shortcut={self.shortcut!r}"
        return f"Residual(\n  {inner}{short},\n)"
