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

Gradient clipping. Every optimizer takes clipnorm= (None: off). With clipnorm = c, each step
first measures the global norm of all the gradients it is about to use, over every trainable
parameter of the model together (each counted once),

    norm = sqrt(sum over parameters of sum(g ** 2))

and, when norm > c, scales every gradient by c / norm, so that the step uses gradients whose
global norm is c; their directions are kept (scale = min(1, c / norm)). The layers' own grads
are not changed: the step uses scaled copies. Weight decay is added after the clipping (the
decay term is not part of the clipped norm). `optimizer.last_grad_norm` is the norm the last
step measured (before scaling). This is Keras' global_clipnorm and PyTorch's
clip_grad_norm_(model.parameters(), c) before the step; recurrent networks use it against
gradients that explode through time (tutorial 27).

Learning-rate schedules. lr may be a number or a `Schedule` (or any function t -> lr):

    opt = SGD(CosineDecay(0.1, steps=1000))     # lr falls from 0.1 to 0 over 1000 updates
    opt.lr                                      # the rate the next step will use

Before every step the optimizer evaluates the schedule at t = optimizer.iterations (the number
of steps it has taken, 0 for the first), so a schedule counts updates (batches), not epochs,
and keeps counting across several fits. For a rate set once per epoch, give the schedule to
scratchnet.callbacks.LearningRateScheduler instead. The schedules here:

    StepDecay(lr, drop, every)        lr * drop ** (t // every)             staircase
    ExponentialDecay(lr, rate, every) lr * rate ** (t / every)              smooth
    CosineDecay(lr, steps, lr_min)    lr_min + (lr - lr_min)(1 + cos(pi t / steps)) / 2,
                                      then lr_min for t >= steps
    Warmup(after, steps)              after(0) * (t + 1) / steps for t < steps (a linear
                                      ramp), then after(t - steps)
"""
from __future__ import annotations

import json
import math
import os
import weakref

import numpy as np

from scratchnet.io import NpzReader, atomic_savez, read_json_object
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
    clipnorm:     None, or c > 0: clip the gradients by their global norm before each step
                  (module docstring); last_grad_norm is the norm the last step measured.
    state:        per layer, per parameter key, a dict of arrays (velocity, moments) and t.
                  Held in a WeakKeyDictionary, so deleting a layer also frees its state.
    """

    decoupled = False

    def __init__(self, lr, weight_decay: float = 0.0, clipnorm: float | None = None):
        self.name = type(self).__name__
        self.iterations = 0
        self.schedule = None
        self.lr = lr
        self.weight_decay = _number(self.name, "weight_decay", weight_decay, 0)
        self.clipnorm = None if clipnorm is None else _number(self.name, "clipnorm", clipnorm, 0,
                                                              low_open=True)
        self.last_grad_norm: float | None = None
        self.state: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @property
    def lr(self) -> float:
        """The learning rate the next step uses (with a schedule: schedule(iterations))."""
        return self._lr

    @lr.setter
    def lr(self, value) -> None:
        """A number > 0 (and no schedule), or a Schedule / function t -> lr, which from now on
        sets the rate before every step. Setting a number removes the schedule."""
        if _is_schedule(value):
            self.schedule = value
            self._lr = self._scheduled_lr()
        else:
            self._lr = _number(type(self).__name__, "lr", value, 0, low_open=True)
            self.schedule = None

    def _scheduled_lr(self) -> float:
        """schedule(iterations), checked: a finite number >= 0 (0 is allowed, e.g. at the end
        of a cosine decay: the step then changes nothing)."""
        t = self.iterations
        try:
            value = self.schedule(t)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{self.name}: the schedule {self.schedule!r} failed at step {t}: "
                            f"{exc}") from exc
        return _number(self.name, f"the lr of schedule {self.schedule!r} at step {t}", value, 0)

    def step(self, model) -> None:
        """Update every trainable parameter of `model` in place from its gradient.

        model: a Layer (a Sequential is one), or an iterable of Layers. Layers with
        trainable=False, and everything inside them, are left alone. A layer that appears
        twice (shared weights) is updated once per step.
        """
        if self.schedule is not None:
            self._lr = self._scheduled_lr()
        seen, layers = set(), []
        for layer in iter_layers(_as_model(f"{self.name}.step", model), trainable_only=True):
            if id(layer) not in seen:
                seen.add(id(layer))
                layers.append(layer)
        scale = self._clip_scale(layers) if self.clipnorm is not None else None
        for layer in layers:
            for key, w in layer.params.items():
                g = self._gradient(layer, key, w, scale)
                state = self._state(layer, key, w)
                state["t"] += 1
                self._update(w, g, state)
        self.iterations += 1

    def _clip_scale(self, layers) -> float | None:
        """min(1, clipnorm / global norm) for the gradients of `layers` (each layer once), or
        None when no scaling is needed. Sums in float64. A norm that is inf or NaN is left
        unscaled (scaling by 0 or NaN would hide it): the training loop's divergence check
        then sees it."""
        total = 0.0
        for layer in layers:
            for key, w in layer.params.items():
                g = layer.grads.get(key)
                if isinstance(g, np.ndarray) and g.shape == w.shape:
                    total += float(np.sum(np.square(g, dtype=np.float64)))
        norm = math.sqrt(total)
        self.last_grad_norm = norm
        if not math.isfinite(norm) or norm <= self.clipnorm:
            return None
        return self.clipnorm / norm

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
    def _gradient(self, layer: Layer, key: str, w: np.ndarray, scale=None) -> np.ndarray:
        """layer.grads[key], checked against w, times the clipping scale (if any), plus
        wd * w (a new array whenever it differs: grads unchanged)."""
        g = layer.grads.get(key)
        if g is None:
            raise ValueError(f"{self.name}.step: {layer.name} has a parameter {key!r} "
                             f"but no gradient grads[{key!r}]")
        if not isinstance(g, np.ndarray) or g.shape != w.shape:
            shape = getattr(g, "shape", type(g).__name__)
            raise ValueError(f"{self.name}.step: {layer.name}.grads[{key!r}] has shape {shape}, "
                             f"expected the shape of params[{key!r}], {w.shape}")
        if scale is not None:
            g = (g * scale).astype(w.dtype, copy=False)
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
        if self.schedule is not None:
            return f"{self.name}(lr={self.schedule!r})"
        return f"{self.name}(lr={self.lr:g})"

    # ----- checkpoints: the optimizer's memory, saved and restored -----------------------------
    def state_dict(self, model) -> dict[str, np.ndarray]:
        """This optimizer's memory for `model`, as plain arrays named like the model's
        parameters: "0.W:m", "0.W:v" (moments, shaped like the parameter), "0.W:t" (its step
        count, a 0-d int64) for every trainable parameter, and "iterations" (0-d int64, where
        a schedule is). Copies: changing them changes nothing here. Hyperparameters (lr,
        betas, a schedule) are not included: the code that builds the optimizer sets them.
        A parameter that has not stepped yet gets its fresh state (zeros, t = 0)."""
        state = {"iterations": np.array(self.iterations, dtype=np.int64)}
        for name, layer, key in _named_params(self.name, model):
            w = layer.params[key]
            current = self.state.get(layer, {}).get(key) or {"t": 0, **self._init_state(w)}
            for part, value in current.items():
                state[f"{name}:{part}"] = (np.array(value, dtype=np.int64) if part == "t"
                                           else np.array(value, dtype=w.dtype))
        return state

    def load_state_dict(self, model, state: dict) -> "Optimizer":
        """Restore a state_dict(model) made by an optimizer of this class, for a model of the
        same architecture. Every name, shape and value is checked first (exactly the names
        this optimizer would write; moments of the parameter's shape, finite; step counts
        whole numbers >= 0); a mismatch is a ValueError and nothing changes. Returns self."""
        who = f"{self.name}.load_state_dict"
        expected = self.state_dict(model)
        missing = sorted(set(expected) - set(state))
        extra = sorted(set(state) - set(expected))
        if missing or extra:
            raise ValueError(f"{who}: the state does not match this {self.name} and model: "
                             f"missing {missing[:10]}, unexpected {extra[:10]} (saved from "
                             f"another optimizer class or architecture?)")
        checked = {}
        for key, mine in expected.items():
            value = np.asarray(state[key])
            count = mine.dtype.kind == "i"            # "iterations" and the ":t" step counts
            if value.shape != mine.shape or value.dtype.kind not in ("iu" if count else "f"):
                raise ValueError(f"{who}: {key!r} is {value.dtype} of shape {value.shape}, "
                                 f"expected {'an integer' if count else 'float'} of shape "
                                 f"{mine.shape}")
            if not np.all(np.isfinite(value)) or (count and value < 0):
                raise ValueError(f"{who}: {key!r} holds {value.ravel()[:3]}: not finite, "
                                 f"or a negative count")
            checked[key] = value
        for name, layer, key in _named_params(self.name, model):
            slot = self._state(layer, key, layer.params[key])
            for part in slot:
                stored = checked[f"{name}:{part}"]
                slot[part] = int(stored) if part == "t" else stored.astype(layer.params[key].dtype)
        self.iterations = int(checked["iterations"])
        if self.schedule is not None:
            self._lr = self._scheduled_lr()
        return self

    def save(self, path, model) -> None:
        """Write state_dict(model) to `path` as an .npz archive (no pickle), atomically, with a
        "__meta__" JSON entry naming the optimizer class. Save the model beside it
        (model.save) to checkpoint a training run."""
        arrays = self.state_dict(model)
        arrays[_META] = np.array(json.dumps({"format": _OPT_FORMAT, "version": 1,
                                             "class": self.name}))
        atomic_savez(path, arrays, who=f"{self.name}.save")

    def load(self, path, model) -> "Optimizer":
        """Read a file written by save() into this optimizer (same class, same architecture),
        with the checks of scratchnet.io.NpzReader (names and headers before any data, no
        pickle) and of load_state_dict. On any problem a ValueError names the file, and the
        optimizer is unchanged."""
        who, path = f"{self.name}.load", os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{who}: no such file: {path}")
        expected = self.state_dict(model)
        with NpzReader(who, path) as archive:
            if _META not in archive.keys():
                raise ValueError(f"{who}: {path} has no {_META!r} entry; was it written by "
                                 f"an optimizer's save()?")
            meta = read_json_object(archive, _META, max_bytes=1 << 16)
            if meta.get("format") != _OPT_FORMAT or meta.get("version") != 1:
                raise ValueError(f"{who}: {path} is not an optimizer state of version 1 "
                                 f"(format {meta.get('format')!r:.80}, version "
                                 f"{meta.get('version')!r:.20})")
            if meta.get("class") != self.name:
                raise ValueError(f"{who}: {path} holds the state of a {meta.get('class')!r:.40},"
                                 f" not of a {self.name}")
            keys = set(archive.keys()) - {_META}
            if keys != set(expected):
                missing, extra = sorted(set(expected) - keys), sorted(keys - set(expected))
                raise ValueError(f"{who}: {path} does not match this model: missing "
                                 f"{missing[:10]}, unexpected {extra[:10]}")
            for key, mine in expected.items():
                if archive.header(key)[0] != mine.shape:
                    raise ValueError(f"{who}: {path}: {key!r} has shape "
                                     f"{archive.header(key)[0]}, expected {mine.shape}")
            stored = {key: archive.read(key) for key in expected}
        try:
            return self.load_state_dict(model, stored)
        except ValueError as exc:
            raise ValueError(f"{who}: {path}: {exc}") from None


_META = "__meta__"
_OPT_FORMAT = "scratchnet optimizer state"


def _named_params(who: str, model):
    """(qualified name, layer, key) for every trainable parameter, named as Sequential names
    them ("0.W", nested "3.1.b"); a frozen layer is left out with everything inside it."""
    if not isinstance(model, Layer):
        raise TypeError(f"{who}: expected a Layer or a Sequential, got {type(model).__name__}")

    def walk(layer, prefix):
        if not layer.trainable:
            return
        for key in layer.params:
            yield prefix + key, layer, key
        for j, child in enumerate(layer.children()):
            yield from walk(child, f"{prefix}{j}.")
    return list(walk(model, ""))


class SGD(Optimizer):
    """Plain (stochastic) gradient descent.

    w <- w - lr * g
    """

    def __init__(self, lr: float, weight_decay: float = 0.0, clipnorm: float | None = None):
        super().__init__(lr, weight_decay, clipnorm)

    def _update(self, w, g, state) -> None:
        w -= self.lr * g


class Momentum(Optimizer):
    """Gradient descent with momentum (heavy ball), in the course's form.

    p <- beta * p + g          p: velocity, starts at 0, a running sum of past gradients
    w <- w - lr * p
    With a constant gradient, p approaches g / (1 - beta): steps become 1/(1 - beta) times larger.
    """

    def __init__(self, lr: float, beta: float = 0.9, weight_decay: float = 0.0,
                 clipnorm: float | None = None):
        super().__init__(lr, weight_decay, clipnorm)
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
                 weight_decay: float = 0.0, clipnorm: float | None = None):
        super().__init__(lr, weight_decay, clipnorm)
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
                 eps: float = 1e-8, weight_decay: float = 0.0, clipnorm: float | None = None):
        super().__init__(lr, weight_decay, clipnorm)
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
                 eps: float = 1e-8, weight_decay: float = 0.01, clipnorm: float | None = None):
        super().__init__(lr, beta1, beta2, eps, weight_decay, clipnorm)

    def _update(self, w, g, state) -> None:
        w -= self.lr * self.weight_decay * w        # decay first: uses w before this step
        super()._update(w, g, state)


# ----- learning-rate schedules ----------------------------------------------------------------
def _is_schedule(value) -> bool:
    """A Schedule, or any other function t -> lr (numbers are not callable)."""
    return isinstance(value, Schedule) or (callable(value) and not isinstance(value, type))


def _count(who: str, what: str, value) -> int:
    """value as an int >= 1, or a TypeError/ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{who}: expected {what} to be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{who}: expected {what} >= 1, got {value}")
    return int(value)


class Schedule:
    """A learning rate that depends on a count t = 0, 1, 2, ...: schedule(t) -> lr.

    Give one to an optimizer as its lr (it counts steps, t = optimizer.iterations) or to
    callbacks.LearningRateScheduler (it counts epochs). Subclasses write `_value(t)`;
    `__call__` checks t, and `values(n)` lists the first n rates, [lr(0), ..., lr(n - 1)],
    for a plot.
    """

    def __call__(self, t) -> float:
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)):
            raise TypeError(f"{type(self).__name__}: expected the step t to be an int, got {t!r}")
        if t < 0:
            raise ValueError(f"{type(self).__name__}: expected the step t >= 0, got {t}")
        return float(self._value(int(t)))

    def _value(self, t: int) -> float:
        raise NotImplementedError(f"{type(self).__name__}: _value is not implemented")

    def values(self, n: int) -> np.ndarray:
        """(n,) float64: the rates at t = 0 .. n - 1."""
        n = _count(f"{type(self).__name__}.values", "n", n)
        return np.array([self(t) for t in range(n)])


class StepDecay(Schedule):
    """A staircase: lr(t) = lr * drop ** (t // every).

    lr > 0: the first rate; drop in (0, 1]: the factor at each stair; every >= 1: the stair's
    length. StepDecay(0.1, 0.5, 10): 0.1 for t = 0..9, 0.05 for t = 10..19, ...
    """

    def __init__(self, lr: float, drop: float = 0.5, every: int = 10):
        self.lr = _number("StepDecay", "lr", lr, 0, low_open=True)
        self.drop = _number("StepDecay", "drop", drop, 0, 1, low_open=True, high_open=False)
        self.every = _count("StepDecay", "every", every)

    def _value(self, t):
        return self.lr * self.drop ** (t // self.every)

    def __repr__(self):
        return f"StepDecay({self.lr:g}, drop={self.drop:g}, every={self.every})"


class ExponentialDecay(Schedule):
    """A smooth decay: lr(t) = lr * rate ** (t / every).

    lr > 0; rate in (0, 1]: the factor after every `every` counts (every >= 1), reached
    smoothly: ExponentialDecay(0.1, 0.5, 10) halves the rate every 10 steps, like StepDecay
    but without stairs (0.1 * 0.5 ** 0.1 = 0.0933 at t = 1).
    """

    def __init__(self, lr: float, rate: float = 0.96, every: int = 1):
        self.lr = _number("ExponentialDecay", "lr", lr, 0, low_open=True)
        self.rate = _number("ExponentialDecay", "rate", rate, 0, 1, low_open=True,
                            high_open=False)
        self.every = _count("ExponentialDecay", "every", every)

    def _value(self, t):
        return self.lr * self.rate ** (t / self.every)

    def __repr__(self):
        return f"ExponentialDecay({self.lr:g}, rate={self.rate:g}, every={self.every})"


class CosineDecay(Schedule):
    """Half a cosine from lr down to lr_min over `steps` counts, then lr_min:

        lr(t) = lr_min + (lr - lr_min) * (1 + cos(pi * t / steps)) / 2     for t < steps
        lr(t) = lr_min                                                     for t >= steps

    lr > 0; steps >= 1 (usually the number of updates of the whole training); lr_min in
    [0, lr]. The rate stays near lr at first, falls fastest in the middle, and flattens out
    near lr_min at the end (Loshchilov and Hutter's SGDR, without restarts).
    """

    def __init__(self, lr: float, steps: int, lr_min: float = 0.0):
        self.lr = _number("CosineDecay", "lr", lr, 0, low_open=True)
        self.steps = _count("CosineDecay", "steps", steps)
        self.lr_min = _number("CosineDecay", "lr_min", lr_min, 0, self.lr, high_open=False)

    def _value(self, t):
        if t >= self.steps:
            return self.lr_min
        return self.lr_min + (self.lr - self.lr_min) * (1 + math.cos(math.pi * t / self.steps)) / 2

    def __repr__(self):
        return f"CosineDecay({self.lr:g}, steps={self.steps}, lr_min={self.lr_min:g})"


class Warmup(Schedule):
    """A linear ramp up to a schedule (or a constant rate), then that schedule:

        lr(t) = after(0) * (t + 1) / steps      for t < steps
        lr(t) = after(t - steps)                for t >= steps

    after: a Schedule, a function t -> lr, or a number > 0 (a constant rate); steps >= 1.
    The first updates of a fresh network (Adam's moments still empty, weights at random)
    are the ones most likely to blow up at a large rate; a warmup takes them gently.
    Warmup(CosineDecay(0.01, 900), 100): 100 steps from 0.0001 up to 0.01, then the cosine.
    """

    def __init__(self, after, steps: int):
        if not _is_schedule(after):
            after = _number("Warmup", "after (a schedule or a constant lr)", after, 0,
                            low_open=True)
        self.after = after
        self.steps = _count("Warmup", "steps", steps)

    def _target(self, t: int) -> float:
        return self.after(t) if _is_schedule(self.after) else self.after

    def _value(self, t):
        if t < self.steps:
            return self._target(0) * (t + 1) / self.steps
        return self._target(t - self.steps)

    def __repr__(self):
        return f"Warmup({self.after!r}, steps={self.steps})"


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
