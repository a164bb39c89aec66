"""check_layer, check_loss, check_model, check_function: analytic gradients against finite differences.

Every check works in float64 on private copies, so the caller's layer, model, loss and arrays are
never changed. For a layer the scalar being differentiated is

    L = sum(y * g)        y = layer.forward(x),  g a random upstream gradient (from `seed`)

so that dL/dy = g: a random g, never ones (with dy = ones softmax's true dx is exactly 0 and any
bug passes). Random layers are reseeded before EVERY forward so that all the forwards of the
finite differences compute one and the same function.

Before any number is compared, structural checks run: gradient shapes, inputs untouched by
backward, parameters untouched, backward linear in dy, and the same seed giving the same result.
An input (or a layer output) with no elements is refused with a ValueError: with nothing to
compare, every comparison would "agree", and a check of nothing must not pass.
"""
from __future__ import annotations

import copy

import numpy as np

from gradcheck.numeric import finite_differences, has_kink
from gradcheck.report import ATOL, RTOL, Check, Report, Row, compare
from scratchnet.layers.base import Layer

# ----- small helpers -------------------------------------------------------------------------------


def _float64_copy(who: str, what: str, a) -> np.ndarray:
    """A float64 copy of a (int and bool are fine, they become float)."""
    arr = np.array(a)
    if arr.dtype.kind not in "iubf":
        raise TypeError(f"{who}: expected {what} to be a numeric array, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _nonempty(who: str, what: str, a: np.ndarray) -> np.ndarray:
    """a itself, or a ValueError if it has no elements: a check of nothing proves nothing.

    With x of shape (0, D) every gradient is an empty array or all zeros on both sides, so
    every comparison would "agree" and the report would say PASS without having checked a
    single number.
    """
    if a.size == 0:
        raise ValueError(f"{who}: expected {what} with at least one element, got shape {a.shape}: "
                         f"there is nothing to check, and a check of nothing must not pass "
                         f"(a batch of 2 to 5 is enough)")
    return a


def _seed(who: str, seed) -> int:
    """The seed of g and of reseed: an integer >= 0 (what np.random.default_rng accepts)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{who}: expected seed to be an integer >= 0, got {seed!r}")
    if seed < 0:
        raise ValueError(f"{who}: expected seed to be an integer >= 0, got {seed}")
    return int(seed)


def _same(a, b) -> bool:
    """Exactly equal arrays (NaN equal to NaN)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def _close(a, b, rtol=1e-9) -> bool:
    """Equal up to rounding (used for backward(2 g) vs 2 backward(g))."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=1e-12))


def _param_slots(layer) -> list[tuple[str, object, str]]:
    """[(name, owner layer, key)] for every parameter of `layer` and of the layers inside it.

    The layer's own params are named by key ("W"); those of its children by position and class:
    "layer 2 (Dense).W", nested "layer 3.1 (Dense).W".
    """
    slots = [(key, layer, key) for key in layer.params]

    def walk(parent, path):
        for i, child in enumerate(parent.children()):
            here = f"{path}.{i}" if path else str(i)
            slots.extend((f"layer {here} ({type(child).__name__}).{key}", child, key)
                         for key in child.params)
            walk(child, here)

    walk(layer, "")
    return slots


def _not_differentiable(layer) -> str:
    """The reason to skip `layer`, or "" if every layer in it is differentiable."""
    stack = [layer]
    while stack:
        item = stack.pop()
        if not getattr(item, "differentiable", True):
            return f"{getattr(item, 'name', type(item).__name__)} is not differentiable " \
                   f"(differentiable = False): there is no gradient to check"
        stack.extend(item.children())
    return ""


def _require_layer(who: str, layer) -> None:
    if not isinstance(layer, Layer):
        raise TypeError(f"{who}: expected a scratchnet Layer, got {type(layer).__name__}")


def _float64_layer(who: str, layer):
    """A deep copy of `layer` in float64 (the caller's layer is never touched)."""
    _require_layer(who, layer)
    twin = copy.deepcopy(layer)
    twin.astype(np.float64)
    return twin


def _check_loss_object(who: str, loss) -> None:
    if not (callable(getattr(loss, "forward", None)) and callable(getattr(loss, "backward", None))):
        raise TypeError(f"{who}: expected a loss with forward(y_pred, y_true) and backward(), "
                        f"got {type(loss).__name__}")


def _batch_size(x) -> int | None:
    return int(x.shape[0]) if np.ndim(x) >= 1 else None


# ----- the core: structural checks, then finite differences -----------------------------------------


class _Target:
    """A float64 layer (or model) with its input x and the function L of the live arrays.

    terms(): an array whose sum is L at the current values of x and of the params (both
    perturbed in place by the finite differences): g * y for a layer, the per-example losses
    for a model. Terms let separate kinks be told apart (see numeric.finite_differences).
    run(dy, **kw): reseed, forward, backward(dy, **kw) -> (y, dx, grads, changed, moved).
    """

    def __init__(self, layer, x, seed, terms, loose_kinks=False):
        self.layer, self.x, self.seed, self.terms = layer, x, seed, terms
        self.loose_kinks = loose_kinks     # True for models: several kinks may meet (report.py)
        self.slots = _param_slots(layer)
        self.forward_changed_x = False     # set by the first forward (the caller's) and by run

    def live(self) -> dict[str, np.ndarray]:
        """The arrays the finite differences perturb: x first (unless it holds indices, as
        an Embedding's input does), then every parameter."""
        params = {name: owner.params[key] for name, owner, key in self.slots}
        return params if self.index_input else {"dx": self.x, **params}

    @property
    def index_input(self) -> bool:
        return bool(getattr(self.layer, "input_is_index", False))

    def run(self, dy, **backward_kwargs):
        """One forward and backward(dy); params are put back afterwards if backward moved them."""
        saved = {name: owner.params[key].copy() for name, owner, key in self.slots}
        x0, dy0 = self.x.copy(), np.array(dy, copy=True)
        self.layer.reseed(self.seed)
        y = self.layer.forward(self.x)
        self.forward_changed_x = self.forward_changed_x or not _same(self.x, x0)
        self.x[...] = x0
        y0 = np.array(y, copy=True)
        dx = self.layer.backward(dy, **backward_kwargs)
        grads = {name: np.array(owner.grads.get(key), dtype=np.float64, copy=True)
                 for name, owner, key in self.slots}
        changed = [w for w, now, before in (("x", self.x, x0), ("y", y, y0), ("dy", dy, dy0))
                   if not _same(now, before)]
        moved = [name for name, owner, key in self.slots if not _same(owner.params[key], saved[name])]
        for name, owner, key in self.slots:
            owner.params[key][...] = saved[name]
        self.x[...] = x0
        return y0, dx, grads, changed, moved


def _structural(t: _Target, g) -> tuple[list[Check], object, dict]:
    """The structural checks; returns (checks, dx, grads) of one clean backward(g)."""
    y, dx, grads, changed, moved = t.run(g.copy())
    checks = []
    if t.index_input:                    # ids in, no input gradient out
        checks.append(Check("backward returns None (x holds indices)", dx is None,
                            "" if dx is None else f"backward returned {_describe(dx)}"))
    else:
        dx_ok = isinstance(dx, np.ndarray) and dx.shape == t.x.shape
        checks.append(Check("dx.shape == x.shape", dx_ok, "" if dx_ok else
                            f"backward returned {_describe(dx)}, x has shape {t.x.shape}"))
    bad = [f"{name}: grads {g_.shape} vs params {owner.params[key].shape}"
           for (name, owner, key), g_ in zip(t.slots, grads.values())
           if g_.shape != owner.params[key].shape]
    bad += [f"{type(o).__name__}: grads keys {sorted(o.grads)} != params keys {sorted(o.params)}"
            for o in {id(o): o for _, o, _ in t.slots}.values() if set(o.grads) != set(o.params)]
    checks.append(Check("grads have the keys and shapes of params", not bad, "; ".join(bad)))
    checks.append(Check("backward leaves x, y and dy unchanged", not changed,
                        f"changed in place: {', '.join(changed)} (build a new array instead of "
                        f"writing into it, e.g. np.where(mask, dy, 0), not dy[~mask] = 0)"))
    checks.append(Check("forward leaves x unchanged", not t.forward_changed_x,
                        "forward changed x in place (write the result into a new array, e.g. "
                        "np.maximum(x, 0), not np.maximum(x, 0, out=x) or x[x < 0] = 0)"))
    checks.append(Check("backward leaves params unchanged", not moved,
                        f"backward changed {', '.join(moved)}: updating params is the optimizer's "
                        f"job; backward only fills grads"))
    _, dx2, grads2, _, _ = t.run(2 * g)
    dx_linear = (dx is None and dx2 is None) if t.index_input else \
        _close(dx2, 2 * np.asarray(dx, dtype=np.float64))
    linear = dx_linear and all(_close(grads2[k], 2 * grads[k]) for k in grads)
    checks.append(Check("backward is linear in dy: backward(2 g) == 2 backward(g)", linear,
                        "it is not: does backward use dy in a nonlinear way, or add to grads "
                        "(+=) instead of setting them?"))
    y3, dx3, grads3, _, _ = t.run(g.copy())
    same = _same(y3, y) and _same(dx3, dx) and all(_same(grads3[k], grads[k]) for k in grads)
    checks.append(Check("same seed, same result", same,
                        "two runs with reseed(seed) gave different y, dx or grads: a random layer "
                        "must draw from a generator that reseed(seed) resets; grads must be set, "
                        "not accumulated"))
    if getattr(t.layer, "can_skip_dx", False):
        checks.append(_skip_dx_check(t, g, grads))
    return checks, dx, grads


def _skip_dx_check(t: _Target, g, grads) -> Check:
    """A layer that can_skip_dx: backward(g, need_dx=False) returns None and the same grads."""
    _, dx, grads_skip, changed, moved = t.run(g.copy(), need_dx=False)
    wrong = [] if dx is None else [f"it returned {_describe(dx)}, not None"]
    wrong += [f"grads of {k} differ" for k in grads if not _close(grads_skip[k], grads[k])]
    wrong += [f"it changed {', '.join(changed + moved)}"] if changed or moved else []
    return Check("backward(dy, need_dx=False) returns None and the same grads", not wrong,
                 "; ".join(wrong))


def _describe(a) -> str:
    return f"shape {a.shape}" if isinstance(a, np.ndarray) else f"a {type(a).__name__}"


def _rows(t: _Target, analytic: dict, rtol, atol, eps) -> list[Row]:
    """Finite differences of L (the sum of t.terms()) for x and every param, compared with the
    analytic gradients. A missing or misshapen analytic gradient gives a failing row."""
    rows = []
    for name, arr in t.live().items():
        a = analytic.get(name)
        if not isinstance(a, np.ndarray) or a.shape != arr.shape:
            rows.append(Row(name, arr.shape, float("inf"), (), float("nan"), float("nan"), 0,
                            arr.size, "FAIL", [f"analytic gradient is {_describe(a)}, "
                                               f"expected shape {arr.shape}"]))
            continue
        central, upper, lower = finite_differences(lambda _: t.terms(), arr, eps, terms=True)
        def proven_kink(i, arr=arr):
            return has_kink(lambda _: t.terms(), arr, i, eps, terms=True)
        rows.append(compare(name, a, central, upper, lower, rtol=rtol, atol=atol,
                            batch_size=_batch_size(t.x), batch_axis=name == "dx",
                            kink_test=proven_kink if t.loose_kinks else None,
                            narrow_kink_test=proven_kink))
    return rows


def _core(title, t: _Target, g, rtol, atol, eps) -> Report:
    checks, dx, grads = _structural(t, g)
    analytic = {"dx": np.asarray(dx, dtype=np.float64) if isinstance(dx, np.ndarray) else dx,
                **grads}
    report = Report(title, _rows(t, analytic, rtol, atol, eps), checks, rtol=rtol, atol=atol)
    if not next(c for c in checks if c.what.startswith("same seed")).ok:
        report.notes.append("the layer is not deterministic, so the numeric values above "
                            "are meaningless: fix reseed first")
        for row in report.rows:
            row.hints = ["not deterministic (see the structural checks): no hint can be trusted"]
    return report


def _batch_probe(report: Report, rerun, n: int | None) -> None:
    """Re-check with a batch of 1; a tensor that then passes points at the batch axis."""
    if report.passed or not n or n < 2:
        return
    try:
        small = rerun()
    except Exception:                      # a layer may refuse N = 1 (batch norm): no hint then
        return
    if not all(c.ok for c in small.checks):
        return
    ok_small = {r.name for r in small.rows if r.status == "ok"}
    for r in report.rows:
        if r.status != "ok" and r.name in ok_small:
            r.hints.append(f"correct with a batch of 1 but wrong with N = {n}: a missing/extra "
                           f"sum or mean over the batch axis (or examples mixed up)")


# ----- the public checks ---------------------------------------------------------------------------


def check_layer(layer, x, *, seed=0, rtol=RTOL, atol=ATOL, eps=None) -> Report:
    """Check dL/dx and every parameter gradient of `layer` at input x, with L = sum(y * g).

    layer: a scratchnet Layer (its children's params are checked too), in its current
           training mode. It is deep-copied and converted to float64; the original is untouched.
    x:     input array, e.g. (N, D); a float64 copy is used.
    seed:  an integer >= 0; seeds g (random normal, y's shape) and layer.reseed(seed) before
           every forward.
    rtol, atol: tolerances (see gradcheck.report); eps: relative finite-difference step.
    Returns a Report; report.passed is True when the structural checks hold and every element
    agrees or sits on a kink. A layer with `differentiable = False` gives a skipped report.
    A layer with children accepts "loose kinks" like check_model; a leaf layer must give a
    value between the one-sided slopes at a kink (a valid subgradient).
    Raises ValueError for an x (or a y) with no elements: there would be nothing to check.
    """
    layer64 = _float64_layer("check_layer", layer)
    x64 = _nonempty("check_layer", "x", _float64_copy("check_layer", "x", x))
    seed = _seed("check_layer", seed)
    reason = _not_differentiable(layer)
    if reason:
        return Report(f"{layer.name}: x {np.shape(x)}", skipped=True, reason=reason,
                      rtol=rtol, atol=atol)
    report = _check_layer64(layer64, x64, seed, rtol, atol, eps)
    _batch_probe(report, lambda: _check_layer64(_float64_layer("check_layer", layer),
                                                x64[:1].copy(), seed, rtol, atol, eps),
                 _batch_size(x64))
    return report


def _check_layer64(layer, x, seed, rtol, atol, eps) -> Report:
    x_given = x.copy()
    layer.reseed(seed)
    y = np.asarray(layer.forward(x))
    forward_changed_x = _restore(x, x_given)
    if y.size == 0:
        raise ValueError(f"check_layer: {layer.name}.forward(x) with x of shape {x.shape} "
                         f"returned y of shape {y.shape}, with no elements: L = sum(y * g) "
                         f"is 0 whatever the gradients are, so there is nothing to check")
    g = np.random.default_rng(seed).standard_normal(y.shape)   # random: never ones (see top)

    def terms():                       # L = sum(y * g), one term per element of y
        layer.reseed(seed)
        return layer.forward(x) * g

    title = f"{layer.name}: x {x.shape} -> y {y.shape}, {'train' if layer.training else 'eval'} mode"
    composite = bool(layer.children())  # layers inside: several kinks may meet, as in a model
    target = _Target(layer, x, seed, terms, loose_kinks=composite)
    target.forward_changed_x = forward_changed_x
    return _core(title, target, g, rtol, atol, eps)


def _restore(x: np.ndarray, x_given: np.ndarray) -> bool:
    """Put x back to x_given; True if a forward had changed it in place."""
    changed = not _same(x, x_given)
    x[...] = x_given
    return changed


def check_model(model, loss, x, y, *, seed=0, rtol=RTOL, atol=ATOL, eps=None) -> Report:
    """Check dL/dx and every parameter of every layer in `model` for L = loss(model(x), y).

    model: a Layer holding others (Sequential: children() gives its layers); parameters are
           named "layer i (Class).key". Deep-copied and converted to float64.
    loss:  an object with value = loss.forward(y_pred, y_true) and loss.backward() -> dL/dy_pred.
    x:     input batch, e.g. (N, D); y: targets (float targets are converted to float64,
           integer labels are kept).
    The model's backward gets the loss's gradient as dy; structural checks as in check_layer.
    Kinks are judged per example (the loss is a mean over examples), and "loose kinks", where
    several kinks inside the model meet, are accepted and reported apart (see report.py).
    Raises ValueError for an x with no elements: there would be nothing to check.
    """
    _require_layer("check_model", model)
    _check_loss_object("check_model", loss)
    x64, y_true = _nonempty("check_model", "x", _float64_copy("check_model", "x", x)), _targets(y)
    seed = _seed("check_model", seed)
    reason = _not_differentiable(model)
    if reason:
        return Report(f"{model.name}: x {np.shape(x)}", skipped=True, reason=reason,
                      rtol=rtol, atol=atol)

    def run(xs, ys):
        return _check_model64(_float64_layer("check_model", model), copy.deepcopy(loss),
                              xs, ys, seed, rtol, atol, eps)

    report = run(x64, y_true)
    _batch_probe(report, lambda: run(x64[:1].copy(), y_true[:1].copy()), _batch_size(x64))
    return report


def _targets(y) -> np.ndarray:
    """A copy of y_true: float64 if it is floating point, integer labels stay integers."""
    y = np.array(y)
    return y.astype(np.float64) if y.dtype.kind == "f" else y


def _check_model64(model, loss, x, y, seed, rtol, atol, eps) -> Report:
    x_given = x.copy()
    model.reseed(seed)
    out = model.forward(x)
    forward_changed_x = _restore(x, x_given)
    loss.forward(out, y)
    g = np.array(loss.backward(), dtype=np.float64)

    per_example = _loss_is_a_mean(loss, out, y)

    def terms():                       # L, or the per-example losses / N that sum to L
        model.reseed(seed)
        out = model.forward(x)
        if not per_example:
            return np.array([loss.forward(out, y)])
        n = len(out)
        return np.array([loss.forward(out[i:i + 1], y[i:i + 1]) for i in range(n)]) / n

    title = (f"{model.name} + {type(loss).__name__}: x {x.shape} -> y {np.shape(out)}, "
             f"{'train' if model.training else 'eval'} mode")
    target = _Target(model, x, seed, terms, loose_kinks=True)
    target.forward_changed_x = forward_changed_x
    return _core(title, target, g, rtol, atol, eps)


def _loss_is_a_mean(loss, out, y) -> bool:
    """True if loss(out, y) is the mean of the losses of the single examples (all our losses)."""
    try:
        whole = float(loss.forward(out, y))
        parts = [float(loss.forward(out[n:n + 1], y[n:n + 1])) for n in range(len(out))]
    except Exception:                  # a loss that refuses one example: use L as one term
        return False
    return len(out) > 1 and bool(np.isclose(np.mean(parts), whole, rtol=1e-12, atol=1e-15))


def check_loss(loss, y_pred, y_true, *, rtol=RTOL, atol=ATOL, eps=None) -> Report:
    """Check loss.backward() (dL/dy_pred) against finite differences of loss.forward.

    loss:   value = loss.forward(y_pred, y_true) (a float, the batch mean); loss.backward()
            returns dL/dy_pred with y_pred's shape. The loss object is deep-copied.
    y_pred: predictions, e.g. (N, K) logits; a float64 copy is used.
    y_true: targets: float arrays become float64, integer labels stay integers.
    Raises ValueError for a y_pred with no elements: there would be nothing to check.
    """
    _check_loss_object("check_loss", loss)
    loss = copy.deepcopy(loss)
    p = _nonempty("check_loss", "y_pred", _float64_copy("check_loss", "y_pred", y_pred))
    t = _targets(y_true)
    name = type(loss).__name__
    title = f"{name}: y_pred {p.shape}, y_true {t.shape}"
    checks, grad = _loss_checks(loss, p, t)
    report = Report(title, checks=checks, rtol=rtol, atol=atol)
    if isinstance(grad, np.ndarray) and grad.shape == p.shape:
        central, upper, lower = finite_differences(lambda _: loss.forward(p, t), p, eps)
        report.rows.append(compare("dy_pred", grad, central, upper, lower, rtol=rtol, atol=atol,
                                   batch_size=_batch_size(p), batch_axis=True))
    else:
        report.rows.append(Row("dy_pred", p.shape, float("inf"), (), float("nan"), float("nan"),
                               0, p.size, "FAIL", [f"backward returned {_describe(grad)}"]))
    n = _batch_size(p)
    if t.shape[:1] == p.shape[:1]:
        _batch_probe(report, lambda: check_loss(loss, p[:1], t[:1], rtol=rtol, atol=atol,
                                                eps=eps), n)
    return report


def _loss_checks(loss, p, t) -> tuple[list, object]:
    """Structural checks of a loss; returns (checks, gradient as float64 array)."""
    p0, t0 = p.copy(), t.copy()
    value = loss.forward(p, t)
    grad = loss.backward()
    grad2 = loss.backward()
    finite = np.ndim(value) == 0 and np.isfinite(float(value))
    checks = [Check("forward returns a finite scalar", finite, f"got {value!r}")]
    ok = isinstance(grad, np.ndarray) and grad.shape == p.shape
    checks.append(Check("backward() has the shape of y_pred", ok,
                        f"backward returned {_describe(grad)}, y_pred has shape {p.shape}"))
    untouched = _same(p, p0) and _same(t, t0)
    checks.append(Check("forward and backward leave y_pred and y_true unchanged", untouched,
                        "one of them was changed in place"))
    fresh = isinstance(grad2, np.ndarray) and grad2 is not grad and \
        not np.shares_memory(grad, grad2) and _same(grad, grad2)
    checks.append(Check("backward returns the same values in a new array each call", fresh,
                        "a second backward() returned the same array object or other values"))
    same = float(loss.forward(p, t)) == float(value)
    checks.append(Check("same input, same value", same, "forward gave two different values"))
    grad = np.asarray(grad, dtype=np.float64) if isinstance(grad, np.ndarray) else grad
    return checks, grad


def check_function(f, df, x, *, rtol=RTOL, atol=ATOL, eps=None, name="f") -> Report:
    """Check a plain function: df(x) must equal the gradient of the scalar f(x).

    f:  x -> scalar; df: x -> array shaped like x; x: any shape (a float64 copy is used).
    Example: check_function(lambda x: np.sum(np.sin(x)), np.cos, np.linspace(-1, 1, 5)).
    Raises ValueError for an x with no elements: there would be nothing to check.
    """
    x = _nonempty("check_function", "x", _float64_copy("check_function", "x", x))
    x0 = x.copy()
    a = df(x)
    checks = [Check("df leaves x unchanged", _same(x, x0), "df changed x in place")]
    x[...] = x0
    a = np.asarray(a, dtype=np.float64) if isinstance(a, np.ndarray) else a
    ok = isinstance(a, np.ndarray) and a.shape == x.shape
    checks.append(Check("df(x).shape == x.shape", ok, f"df returned {_describe(a)}, x has shape "
                                                      f"{x.shape}"))
    report = Report(f"{name}: x {x.shape}", checks=checks, rtol=rtol, atol=atol)
    if ok:
        central, upper, lower = finite_differences(f, x, eps)
        report.rows.append(compare("dx", a, central, upper, lower, rtol=rtol, atol=atol))
    return report
