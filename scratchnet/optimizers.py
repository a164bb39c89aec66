"""Optimizers: turn the gradients that backward left in `layer.grads` into parameter updates.

    loss.forward(model.forward(x), y)
    model.backward(loss.backward())     # fills every layer.grads
    optimizer.step(model)               # w <- w - (something) for every trainable parameter

`step` visits the trainable layers (a frozen layer is skipped with everything inside it) and
updates each `layer.params[key]` IN PLACE (`w -= ...`), so the array keeps its identity and its
dtype (float32 stays float32). Optimizers with memory (velocity, moments) keep one state per
parameter, created on first use in the parameter's dtype.

In the formulas, w is a parameter, g its gradient dL/dw, lr the learning rate, t the number of
steps this parameter has taken (1, 2, ...). weight_decay adds wd * w to g (L2 regularization:
the gradient of wd/2 * ||w||^2), except in AdamW, which decays w directly.
"""
from __future__ import annotations

import math
import weakref

import numpy as np

from scratchnet.layers.base import Layer, iter_layers


def zero_grad(model) -> None:
    """Set every gradient in `model` (a Layer, a Sequential or an iterable of Layers) to zero."""
    for layer in iter_layers(_as_model("zero_grad", model)):
        for g in layer.grads.values():
            g[...] = 0


def _as_model(who: str, model):
    """Return model if it is a Layer or an iterable of Layers, else raise a clear TypeError."""
    if isinstance(model, Layer):
        return model
    try:
        items = list(model)
    except TypeError:
        raise TypeError(f"{who}: expected a Layer, a Sequential or an iterable of Layers, "
                        f"got {type(model).__name__}") from None
    for item in items:
        if not isinstance(item, Layer):
            raise TypeError(f"{who}: expected an iterable of Layers, found a {type(item).__name__}")
    return items


def _number(who: str, what: str, value, low: float, high: float = math.inf, *,
            low_open: bool = False, high_open: bool = True) -> float:
    """value as a float inside the given interval, or a TypeError/ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: expected {what} to be a number, got {value!r}")
    value = float(value)
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    if not (math.isfinite(value) and above and below):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{who}: expected {what} in {interval}, got {value}")
    return value


class Optimizer:
    """Base class: walks the trainable parameters and applies `_update` to each.

    lr:           learning rate > 0 (can be changed between steps, e.g. by a schedule).
    weight_decay: wd >= 0; the gradient used is g + wd * w (coupled L2), unless the class
                  says `decoupled = True` (AdamW), whose _update decays w itself.
    state:        per layer, per parameter key, a dict of arrays (velocity, moments) and t.
                  Held in a WeakKeyDictionary, so deleting a layer also frees its state.
    """

    decoupled = False

    def __init__(self, lr: float, weight_decay: float = 0.0):
        self.name = type(self).__name__
        self.lr = lr
        self.weight_decay = _number(self.name, "weight_decay", weight_decay, 0)
        self.state: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.iterations = 0

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value) -> None:
        self._lr = _number(type(self).__name__, "lr", value, 0, low_open=True)

    def step(self, model) -> None:
        """Update every trainable parameter of `model` in place from its gradient.

        model: a Layer (a Sequential is one), or an iterable of Layers. Layers with
        trainable=False, and everything inside them, are left alone. A layer that appears
        twice (shared weights) is updated once per step.
        """
        seen = set()
        for layer in iter_layers(_as_model(f"{self.name}.step", model), trainable_only=True):
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            for key, w in layer.params.items():
                g = self._gradient(layer, key, w)
                state = self._state(layer, key, w)
                state["t"] += 1
                self._update(w, g, state)
        self.iterations += 1

    def zero_grad(self, model) -> None:
        """Set every gradient in `model` to zero (same as the module-level `zero_grad`)."""
        zero_grad(model)

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict) -> None:
        """Change w in place, given g (weight decay included) and this parameter's state."""
        raise NotImplementedError(f"{self.name}: _update is not implemented")

    def _init_state(self, w: np.ndarray) -> dict:
        """The state of a fresh parameter: arrays shaped and typed like w (none by default)."""
        return {}

    # ----- plumbing ------------------------------------------------------------------------
    def _gradient(self, layer: Layer, key: str, w: np.ndarray) -> np.ndarray:
        """layer.grads[key], checked against w, plus wd * w (a new array: grads unchanged)."""
        g = layer.grads.get(key)
        if g is None:
            raise ValueError(f"{self.name}.step: {layer.name} has a parameter {key!r} "
                             f"but no gradient grads[{key!r}]")
        if not isinstance(g, np.ndarray) or g.shape != w.shape:
            shape = getattr(g, "shape", type(g).__name__)
            raise ValueError(f"{self.name}.step: {layer.name}.grads[{key!r}] has shape {shape}, "
                             f"expected the shape of params[{key!r}], {w.shape}")
        if self.weight_decay and not self.decoupled:
            g = g + self.weight_decay * w
        return g

    def _state(self, layer: Layer, key: str, w: np.ndarray) -> dict:
        """This parameter's state, created on first use and kept in w's dtype."""
        per_layer = self.state.setdefault(layer, {})
        if key not in per_layer:
            per_layer[key] = {"t": 0, **self._init_state(w)}
        state = per_layer[key]
        for name, s in list(state.items()):
            if name == "t":
                continue
            if s.shape != w.shape:
                raise ValueError(f"{self.name}.step: {layer.name}.params[{key!r}] changed shape "
                                 f"from {s.shape} to {w.shape} between steps; make a new optimizer")
            if s.dtype != w.dtype:          # the layer was converted with astype
                state[name] = s.astype(w.dtype)
        return state

    def __repr__(self) -> str:
        return f"{self.name}(lr={self.lr:g})"


class SGD(Optimizer):
    """Plain (stochastic) gradient descent.

    w <- w - lr * g
    """

    def __init__(self, lr: float, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)

    def _update(self, w, g, state) -> None:
        w -= self.lr * g


class Momentum(Optimizer):
    """Gradient descent with momentum (heavy ball), in the course's form.

    p <- beta * p + g          p: velocity, starts at 0, a running sum of past gradients
    w <- w - lr * p
    With a constant gradient, p approaches g / (1 - beta): steps become 1/(1 - beta) times larger.
    """

    def __init__(self, lr: float, beta: float = 0.9, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        self.beta = _number(self.name, "beta", beta, 0, 1)

    def _init_state(self, w) -> dict:
        return {"p": np.zeros_like(w)}

    def _update(self, w, g, state) -> None:
        p = state["p"]
        p *= self.beta
        p += g
        w -= self.lr * p


class Nesterov(Momentum):
    """Nesterov accelerated gradient, in the form that only needs the gradient at w.

    p <- beta * p + g
    w <- w - lr * (g + beta * p)
    The classic form evaluates the gradient at the look-ahead point w - lr * beta * p; writing
    the update in terms of that look-ahead point gives these two lines (Sutskever et al. 2013;
    the same form as PyTorch's SGD(nesterov=True)). Compared with Momentum, the step uses the
    velocity it is about to have (beta * p) plus the fresh gradient.
    """

    def _update(self, w, g, state) -> None:
        p = state["p"]
        p *= self.beta
        p += g
        w -= self.lr * (g + self.beta * p)


class RMSprop(Optimizer):
    """RMSprop: divide each step by a running root-mean-square of recent gradients.

    s <- rho * s + (1 - rho) * g^2          s starts at 0 (element-wise square)
    w <- w - lr * g / (sqrt(s) + eps)
    Parameters with large gradients get smaller steps, and the other way round.
    """

    def __init__(self, lr: float = 0.001, rho: float = 0.9, eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        self.rho = _number(self.name, "rho", rho, 0, 1)
        self.eps = _number(self.name, "eps", eps, 0, low_open=True)

    def _init_state(self, w) -> dict:
        return {"s": np.zeros_like(w)}

    def _update(self, w, g, state) -> None:
        s = state["s"]
        s *= self.rho
        s += (1 - self.rho) * g * g
        w -= self.lr * g / (np.sqrt(s) + self.eps)


class Adam(Optimizer):
    """Adam: momentum (first moment m) and RMSprop (second moment v), with bias correction.

    m <- beta1 * m + (1 - beta1) * g        m, v start at 0
    v <- beta2 * v + (1 - beta2) * g^2
    m_hat = m / (1 - beta1^t)               undo the pull towards 0 of the zero start
    v_hat = v / (1 - beta2^t)
    w <- w - lr * m_hat / (sqrt(v_hat) + eps)
    At t = 1, m_hat = g and v_hat = g^2, so each element moves by about lr (times sign(g)).
    weight_decay here is the coupled L2 form: g + wd * w goes into m and v, so the decay is
    rescaled like the gradient. AdamW decays the weights directly instead.
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(lr, weight_decay)
        self.beta1 = _number(self.name, "beta1", beta1, 0, 1)
        self.beta2 = _number(self.name, "beta2", beta2, 0, 1)
        self.eps = _number(self.name, "eps", eps, 0, low_open=True)

    def _init_state(self, w) -> dict:
        return {"m": np.zeros_like(w), "v": np.zeros_like(w)}

    def _update(self, w, g, state) -> None:
        m, v, t = state["m"], state["v"], state["t"]
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        m_hat = m / (1 - self.beta1 ** t)
        v_hat = v / (1 - self.beta2 ** t)
        w -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter).

    m, v, m_hat, v_hat as in Adam, from the plain gradient g (no wd * w added to it), then
    w <- w - lr * (m_hat / (sqrt(v_hat) + eps) + wd * w)
    so every weight shrinks by the same fraction lr * wd per step, whatever its gradient scale.
    """

    decoupled = True       # the base class does not add wd * w to g

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.01):
        super().__init__(lr, beta1, beta2, eps, weight_decay)

    def _update(self, w, g, state) -> None:
        w -= self.lr * self.weight_decay * w        # decay first: uses w before this step
        super()._update(w, g, state)


# ----- look-up by name -----------------------------------------------------------------------
_BY_NAME = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "rmsprop": RMSprop,
            "adam": Adam, "adamw": AdamW}
# Used by get() when no lr is given; SGD, Momentum and Nesterov have no default of their own.
DEFAULT_LR = {"sgd": 0.01, "momentum": 0.01, "nesterov": 0.01}


def get(name, **kwargs) -> Optimizer:
    """A fresh optimizer from its name ("sgd", "momentum", "nesterov", "rmsprop", "adam",
    "adamw"); keyword arguments (lr=..., beta=...) go to its constructor. Without lr, SGD,
    Momentum and Nesterov get lr = 0.01. An Optimizer instance is returned as it is.
    """
    if isinstance(name, Optimizer):
        if kwargs:
            raise TypeError(f"optimizers.get: got a {type(name).__name__} instance and keyword "
                            f"arguments {sorted(kwargs)}; pass one or the other")
        return name
    if not isinstance(name, str):
        raise TypeError(f"optimizers.get: expected an optimizer name or an Optimizer, "
                        f"got {type(name).__name__}")
    key = name.lower()
    if key not in _BY_NAME:
        raise ValueError(f"optimizers.get: unknown optimizer {name!r}; "
                         f"known: {', '.join(sorted(_BY_NAME))}")
    if key in DEFAULT_LR:
        kwargs.setdefault("lr", DEFAULT_LR[key])
    return _BY_NAME[key](**kwargs)
