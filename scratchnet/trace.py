"""Look inside a network while it runs: what each layer outputs and what gradient comes back.

    with Tracer(model) as tr:              # or: tr = trace(model, x, y, loss)
        out = model.forward(x)
        model.backward(dy)
    tr.summary()                           # one line per layer: activations and gradients
    tr.diagnose()                          # ["layer 1 ReLU: 88% of units are dead ...", ...]

The tracer wraps each layer's forward and backward for the duration of the `with` block (an
attribute on the layer object that hides the class's method) and removes the wrapper on exit,
also when an exception leaves the block. The wrappers only copy what passes through; they
never change an array, so a traced run computes exactly what an untraced one does.

Three common illnesses show up in the numbers:
  * dead ReLUs: units whose output is 0 for every example, so their weights get no gradient;
  * saturated sigmoid/tanh: outputs stuck near 0/1 (or -1/+1), where the derivative is ~0;
  * vanishing gradients: gradient norms that shrink layer by layer towards the input.

The gradient verdict is graded, not yes/no: `gradient_ratio()` (first layer's RMS weight
gradient over the last layer's) is printed by `summary()` with `gradient_verdict(ratio)`:

    ratio < 0.01          "vanishing"   two decades: the first layer all but stands still
    0.01 <= ratio < 0.1   "weak"        one decade: its SGD steps are ~1/ratio times smaller
    0.1 <= ratio <= 10    "healthy"
    10 < ratio <= 100     "growing"     the mirror images, for gradients that grow
    ratio > 100           "exploding"   towards the input

Why 0.1 (WEAK_RATIO): plain gradient descent moves every weight by lr * its gradient, with one
lr for all layers. At a ratio of 0.1 the lr that suits the last layer moves the first one ten
times less per step, a slowdown a student sees in the learning curve. Each sigmoid layer
multiplies the gradient by sigmoid'(z) <= 1/4, so two of them can already cost 1/16 < 0.1
(a fresh 2x32 sigmoid net on the spirals of tutorial 08 gives 0.035, and needs about ten
times the epochs of the ReLU net to fit them). Below 0.01 (VANISHING_RATIO) the first
layer barely changes in the epochs the last one needs: the classic "vanishing gradient".
Adam divides each step by a running RMS of its own gradient, which undoes a constant scale,
so under Adam a weak ratio slows learning less than under SGD; the verdict is about the
gradients themselves. `vanishing_gradients(ratio=...)` is the yes/no test at any level.

`GradientNormRecorder` is a callback for `Sequential.fit` that records each layer's
parameter-gradient norm at every update, for `scratchnet.plot.plot_gradient_flow`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scratchnet import losses
from scratchnet.callbacks import Callback
from scratchnet.layers.activations import Sigmoid, Tanh
from scratchnet.layers.base import Layer

WEAK_RATIO = 0.1            # one decade between first and last layer: "weak" (see above)
VANISHING_RATIO = 1e-2      # two decades: "vanishing"


def _layers_of(model) -> list[Layer]:
    """The layers to trace: model.layers for a Sequential, the items of a list, or [model]."""
    if hasattr(model, "layers"):
        layers = list(model.layers)
    elif isinstance(model, Layer):
        layers = [model]
    else:
        try:
            layers = list(model)
        except TypeError:
            raise TypeError(f"Tracer: expected a Sequential, a Layer or a list of layers, "
                            f"got {type(model).__name__}") from None
    for layer in layers:
        if not isinstance(layer, Layer):
            raise TypeError(f"Tracer: expected Layer objects, got {type(layer).__name__}")
    return layers


def _labels(layers: list[Layer]) -> list[str]:
    """A label per layer: its name ("Dense[0]" in a Sequential), with the position in front
    ("0 Dense") when two layers share a name."""
    names = [layer.name for layer in layers]
    if len(set(names)) == len(names):
        return names
    return [f"{i} {name}" for i, name in enumerate(names)]


def _norm(a) -> float:
    """Euclidean (Frobenius) norm of an array, as a float."""
    return float(np.sqrt(np.sum(np.square(a, dtype=np.float64))))


def _check_ratio_thresholds(who: str, weak, vanishing) -> tuple[float, float]:
    """0 < vanishing <= weak <= 1, as floats, or a ValueError naming `who`."""
    try:
        weak, vanishing = float(weak), float(vanishing)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: expected numbers weak and vanishing, got weak={weak!r}, "
                        f"vanishing={vanishing!r}") from None
    if not 0 < vanishing <= weak <= 1:
        raise ValueError(f"{who}: expected 0 < vanishing <= weak <= 1, got weak={weak!r}, "
                         f"vanishing={vanishing!r}")
    return weak, vanishing


def gradient_verdict(ratio, weak: float = WEAK_RATIO, vanishing: float = VANISHING_RATIO) -> str:
    """One word for a first-layer / last-layer gradient ratio (Tracer.gradient_ratio()).

    ratio < vanishing                    "vanishing"
    vanishing <= ratio < weak            "weak"
    weak <= ratio <= 1 / weak            "healthy"
    1 / weak < ratio <= 1 / vanishing    "growing"
    ratio > 1 / vanishing                "exploding"

    Defaults: weak = 0.1 (one decade), vanishing = 0.01 (two); the module docstring says why.
    ratio: a number >= 0 (inf allowed: a last layer with zero gradient); NaN is a ValueError.
    """
    weak, vanishing = _check_ratio_thresholds("gradient_verdict", weak, vanishing)
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float, np.integer, np.floating)):
        raise TypeError(f"gradient_verdict: expected the ratio as a number, got {ratio!r}")
    ratio = float(ratio)
    if not ratio >= 0:                                   # also catches NaN
        raise ValueError(f"gradient_verdict: expected a ratio >= 0, got {ratio!r}")
    if ratio < vanishing:
        return "vanishing"
    if ratio < weak:
        return "weak"
    if ratio <= 1 / weak:
        return "healthy"
    if ratio <= 1 / vanishing:
        return "growing"
    return "exploding"


def _saturation_bounds(layer):
    """(low, high) between which an output is not saturated, or None for other layers."""
    if isinstance(layer, Sigmoid):
        return 0.0, 1.0
    if isinstance(layer, Tanh):
        return -1.0, 1.0
    return None


@dataclass
class TraceRecord:
    """What one layer saw in the last traced forward and backward.

    index, label, layer: position in the model, the name shown in tables, the layer itself.
    output:     copy of the layer's forward output y, e.g. (N, M).
    grad_input: copy of what backward returned, dL/dx, shaped like the input x (None until
                backward ran); grad_output: copy of the dy it received, shaped like y.
    param_grad_norms: dict param name -> ||dL/dparam|| after backward.
    param_grad_rms: sqrt(mean of dL/dparam**2) over all the layer's parameters, a size-fair
                    number for comparing layers of different widths (None without params).
    """

    index: int
    label: str
    layer: Layer
    input_shape: tuple | None = None
    output: np.ndarray | None = None
    grad_output: np.ndarray | None = None
    grad_input: np.ndarray | None = None
    param_grad_norms: dict = field(default_factory=dict)
    param_grad_rms: float | None = None
    saturation_tol: float = 0.01

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def mean(self) -> float:
        return float(self.output.mean())

    @property
    def std(self) -> float:
        return float(self.output.std())

    @property
    def zero_fraction(self) -> float:
        """Fraction of output elements that are exactly 0."""
        return float(np.mean(self.output == 0))

    @property
    def dead_fraction(self) -> float:
        """Fraction of units (output features, axes 1..) that are 0 for EVERY example in the
        batch. Such a ReLU unit passes no gradient to its weights: it has stopped learning."""
        if self.output.ndim < 2:
            return float(np.all(self.output == 0))
        return float(np.mean(np.all(self.output == 0, axis=0)))

    @property
    def saturated_fraction(self) -> float | None:
        """Sigmoid/Tanh only: fraction of outputs within `saturation_tol` of their limits
        (0 or 1 for sigmoid, -1 or 1 for tanh), where the derivative is nearly 0. None otherwise."""
        bounds = _saturation_bounds(self.layer)
        if bounds is None:
            return None
        low, high = bounds
        tol = self.saturation_tol * (high - low)
        return float(np.mean((self.output < low + tol) | (self.output > high - tol)))

    @property
    def grad_norm(self) -> float | None:
        """||dL/dx||, the gradient this layer passes on towards the input (None before backward)."""
        return None if self.grad_input is None else _norm(self.grad_input)

    @property
    def param_grad_norm(self) -> float | None:
        """||dL/dparams|| over all of this layer's parameters (None for parameter-free layers)."""
        if not self.param_grad_norms:
            return None
        return float(np.sqrt(sum(v * v for v in self.param_grad_norms.values())))


_MISSING = object()


def _all_grads(layer: Layer) -> dict[str, np.ndarray]:
    """The gradients of a layer and of the layers inside it: "W", or "1.W" for a child's."""
    grads = dict(layer.grads)
    stack = [(str(i), child) for i, child in enumerate(layer.children())]
    while stack:
        prefix, sub = stack.pop()
        grads.update({f"{prefix}.{k}": g for k, g in sub.grads.items()})
        stack.extend((f"{prefix}.{i}", c) for i, c in enumerate(sub.children()))
    return grads


class Tracer:
    """Records, per layer, the forward output and the backward gradients of a batch.

    model: a Sequential (its `.layers` are traced), a single Layer, or a list of layers.
    saturation_tol: how close to its limits a sigmoid/tanh output counts as saturated
                    (as a fraction of the output range; 0.01 means y < 0.01 or y > 0.99).

    After the `with` block, `records` holds one TraceRecord per layer (in model order) with
    the last batch's output and gradients; `loss` is set by `trace()`.
    """

    def __init__(self, model, saturation_tol: float = 0.01):
        if not 0 < saturation_tol < 0.5:
            raise ValueError(f"Tracer: expected 0 < saturation_tol < 0.5, got {saturation_tol!r}")
        self.model = model
        layers = _layers_of(model)
        self.records = [TraceRecord(i, label, layer, saturation_tol=saturation_tol)
                        for i, (label, layer) in enumerate(zip(_labels(layers), layers))]
        self.loss: float | None = None
        self._saved: list = []          # (layer, method name, own attribute or _MISSING)

    # ----- wrapping and unwrapping -------------------------------------------------------------
    def __enter__(self) -> "Tracer":
        if self._saved:
            raise RuntimeError("Tracer: this tracer is already active (nested `with`)")
        try:
            for rec in self.records:
                self._wrap(rec, "forward", self._traced_forward)
                self._wrap(rec, "backward", self._traced_backward)
        except BaseException:
            self._restore()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self._restore()
        return False                                # never swallow an exception

    def _wrap(self, rec: TraceRecord, method: str, make) -> None:
        """Hide layer.<method> behind a recording wrapper stored on the instance."""
        layer = rec.layer
        self._saved.append((layer, method, layer.__dict__.get(method, _MISSING)))
        setattr(layer, method, make(rec, getattr(layer, method)))

    def _restore(self) -> None:
        """Put every method back, newest wrapper first (a layer listed twice unwraps twice)."""
        while self._saved:
            layer, method, own = self._saved.pop()
            if own is _MISSING:
                layer.__dict__.pop(method, None)    # the class's method shows through again
            else:
                setattr(layer, method, own)

    @staticmethod
    def _traced_forward(rec: TraceRecord, forward):
        def traced_forward(x, *args, **kwargs):
            y = forward(x, *args, **kwargs)
            rec.input_shape = np.shape(x)
            rec.output = np.array(y, copy=True)
            rec.grad_output = rec.grad_input = None
            rec.param_grad_norms, rec.param_grad_rms = {}, None
            return y
        return traced_forward

    @staticmethod
    def _traced_backward(rec: TraceRecord, backward):
        def traced_backward(dy, *args, **kwargs):
            dx = backward(dy, *args, **kwargs)
            rec.grad_output = np.array(dy, copy=True)
            rec.grad_input = None if dx is None else np.array(dx, copy=True)
            grads = _all_grads(rec.layer)
            rec.param_grad_norms = {k: _norm(g) for k, g in grads.items()}
            size = sum(g.size for g in grads.values())
            total = _norm(list(rec.param_grad_norms.values()))
            rec.param_grad_rms = total / np.sqrt(size) if size else None
            return dx
        return traced_backward

    # ----- what the numbers say ----------------------------------------------------------------
    def _ran(self, what: str, backward: bool = False) -> list[TraceRecord]:
        """The records, or a RuntimeError if the traced forward (and backward) has not run."""
        if any(r.output is None for r in self.records):
            raise RuntimeError(f"Tracer.{what}: run model.forward(x) inside `with tracer:` first")
        if backward and all(r.grad_input is None for r in self.records):
            raise RuntimeError(f"Tracer.{what}: run model.backward(dy) inside `with tracer:` first")
        return self.records

    def grad_norms(self) -> dict[str, float]:
        """label -> ||dL/dparams|| of each layer with parameters, input side first
        (what plot_gradient_flow draws as bars)."""
        return {r.label: r.param_grad_norm for r in self._ran("grad_norms", True)
                if r.param_grad_norm is not None}

    def dead_layers(self, threshold: float = 0.5) -> list[TraceRecord]:
        """Layers in which at least `threshold` of the units are 0 for every example."""
        return [r for r in self._ran("dead_layers") if r.dead_fraction >= threshold]

    def saturated_layers(self, threshold: float = 0.5) -> list[TraceRecord]:
        """Sigmoid/Tanh layers with at least `threshold` of their outputs saturated."""
        return [r for r in self._ran("saturated_layers")
                if r.saturated_fraction is not None and r.saturated_fraction >= threshold]

    def gradient_ratio(self) -> float | None:
        """RMS parameter gradient of the first layer with parameters divided by that of the
        last one. Much less than 1: the gradient vanishes on its way back to the input.
        Much more than 1: it explodes. None with fewer than two such layers."""
        rms = [r.param_grad_rms for r in self._ran("gradient_ratio", True)
               if r.param_grad_rms is not None]
        if len(rms) < 2:
            return None
        return rms[0] / rms[-1] if rms[-1] > 0 else float("inf")

    def vanishing_gradients(self, ratio: float = VANISHING_RATIO) -> bool:
        """True when the first layer's gradient is below `ratio` times the last layer's.
        The default, 0.01, is the "vanishing" verdict; gradient_verdict() grades the rest."""
        r = self.gradient_ratio()
        return r is not None and r < ratio

    def gradient_verdict(self, weak: float = WEAK_RATIO,
                         vanishing: float = VANISHING_RATIO) -> str | None:
        """gradient_verdict(self.gradient_ratio()): "vanishing", "weak", "healthy", "growing"
        or "exploding"; None with fewer than two layers with parameters."""
        r = self.gradient_ratio()
        return None if r is None else gradient_verdict(r, weak, vanishing)

    def gradient_report(self, weak: float = WEAK_RATIO,
                        vanishing: float = VANISHING_RATIO) -> str:
        """One line: the ratio, its verdict and what it means, e.g.
        "gradient ratio first/last layer: 0.035: weak (below 0.1: ...)"."""
        r = self.gradient_ratio()
        if r is None:
            return "gradient ratio first/last layer: - (fewer than two layers with parameters)"
        verdict = gradient_verdict(r, weak, vanishing)
        meaning = {
            "vanishing": f"below {vanishing:g}: the first layer barely learns",
            "weak": f"below {weak:g}: under plain SGD the first layer's steps are ~{1 / r:.0f}x "
                    f"smaller than the last's",
            "healthy": f"between {weak:g} and {1 / weak:g}",
            "growing": f"above {1 / weak:g}: the gradient grows towards the input",
            "exploding": f"above {1 / vanishing:g}: the gradient explodes towards the input",
        }[verdict]
        return f"gradient ratio first/last layer: {r:.3g}: {verdict} ({meaning})"

    def diagnose(self, dead: float = 0.5, saturated: float = 0.5,
                 vanishing: float = VANISHING_RATIO, weak: float = WEAK_RATIO) -> list[str]:
        """Plain-language warnings: dead units, saturated layers, and gradients whose verdict
        (see gradient_verdict) is anything but "healthy"."""
        weak, vanishing = _check_ratio_thresholds("Tracer.diagnose", weak, vanishing)
        notes = [f"layer {r.label}: {r.dead_fraction:.0%} of units are dead (0 for every example)"
                 for r in self.dead_layers(dead)]
        notes += [f"layer {r.label}: {r.saturated_fraction:.0%} of outputs are saturated "
                  f"(derivative near 0)" for r in self.saturated_layers(saturated)]
        if any(r.grad_input is not None for r in self.records):
            ratio = self.gradient_ratio()
            verdict = None if ratio is None else gradient_verdict(ratio, weak, vanishing)
            if verdict not in (None, "healthy"):
                notes.append(f"{verdict} gradients: the first layer's gradient is {ratio:.2g} "
                             f"times the last layer's")
        return notes

    # ----- the table ---------------------------------------------------------------------------
    def table(self) -> str:
        """One line per layer: output shape, mean, std, % zeros, % dead units, % saturated,
        ||dL/dx|| and ||dL/dparams||."""
        head = (f"{'layer':<16}{'output':<14}{'mean':>10}{'std':>10}{'zero':>7}{'dead':>7}"
                f"{'sat':>7}{'|dL/dx|':>11}{'|dL/dW|':>11}")
        lines = [head, "-" * len(head)]
        for r in self._ran("table"):
            sat = "-" if r.saturated_fraction is None else f"{r.saturated_fraction:.0%}"
            gx = "-" if r.grad_norm is None else f"{r.grad_norm:.3g}"
            gp = "-" if r.param_grad_norm is None else f"{r.param_grad_norm:.3g}"
            lines.append(f"{r.label[:15]:<16}{str(r.output.shape):<14}{r.mean:>10.3g}"
                         f"{r.std:>10.3g}{r.zero_fraction:>7.0%}{r.dead_fraction:>7.0%}"
                         f"{sat:>7}{gx:>11}{gp:>11}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def summary(self) -> None:
        """Print the table, the gradient ratio with its verdict (after a backward), and the
        diagnosis."""
        print(self.table())
        backward_ran = any(r.grad_input is not None for r in self.records)
        if backward_ran:
            print(self.gradient_report())
        notes = self.diagnose()
        if not notes:
            notes = ["no dead units, saturated layers, or weak or vanishing gradients found"
                     if backward_ran else "no dead units or saturated layers found (no backward "
                                              "ran, so gradients were not checked)"]
        for note in notes:
            print("note:", note)


def trace(model, x, y, loss, saturation_tol: float = 0.01) -> Tracer:
    """Run one traced forward and backward of `model` on (x, y) and return the Tracer.

    model: a Sequential (or any Layer) with forward/backward; loss: a scratchnet Loss or its
    name ("mse", "cce", ...), as for fit. x: the input batch, e.g. (N, D); y: the targets
    `loss` expects. Parameters are not updated; the layers' grads hold this batch's gradients.
    """
    loss = losses.get(loss)
    tracer = Tracer(model, saturation_tol=saturation_tol)
    with tracer:
        out = model.forward(x)
        tracer.loss = float(loss.forward(out, y))
        model.backward(loss.backward())
    return tracer


class GradientNormRecorder(Callback):
    """A callback for Sequential.fit: after every update, each layer's ||dL/dparams||.

    norms: dict layer label -> list of floats, one per update (batch); with per_param=True
           one list per parameter ("Dense[0].W", "Dense[0].b", ...). Cleared when training begins.
    Draw it with scratchnet.plot.plot_gradient_flow(recorder).
    """

    def __init__(self, per_param: bool = False):
        """per_param: one series per parameter instead of one per layer."""
        super().__init__()
        self.per_param = bool(per_param)
        self.norms: dict[str, list[float]] = {}

    def on_train_begin(self, logs=None) -> None:
        self.norms = {}

    def on_batch_end(self, batch: int, logs=None) -> None:
        layers = _layers_of(self.model)
        for label, layer in zip(_labels(layers), layers):
            grads = _all_grads(layer)
            if not grads:
                continue
            norms = {f"{label}.{k}": _norm(g) for k, g in grads.items()}
            if not self.per_param:
                norms = {label: _norm(list(norms.values()))}
            for key, value in norms.items():
                self.norms.setdefault(key, []).append(value)
