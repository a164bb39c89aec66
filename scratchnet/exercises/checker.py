"""check_file: gradcheck a student's exercise and compare it with the library's own layer.

For a layer exercise the check
  1. imports the student's file and builds its class with the exercise's arguments;
  2. gives it random float64 parameters (seeded), so that no zero bias hides a bug;
  3. runs gradcheck.check_layer (finite differences, with the structural checks first);
  4. copies the same parameters into the library's layer, runs both on the same x and the
     same upstream gradient g, and compares y, dx and every gradient;
  5. prints, tensor by tensor, what is right and what is wrong, with the hints: the
     exercise's own hint for that tensor, the name of a typical mistake when the numbers are
     exactly what that mistake gives, and gradcheck's hints (a factor, a sign, a batch sum).
A loss exercise does the same with gradcheck.check_loss and the library's loss.
"""
from __future__ import annotations

import copy
import os

import numpy as np

from gradcheck.checks import check_layer, check_loss
from gradcheck.cli import (LoadError, _import_file, _one_line, _where_in_user_code, build_layer,
                           compare_layers)
from gradcheck.report import rel_error
from scratchnet.exercises.registry import EXERCISES, Exercise

MATCH_RTOL = 1e-6            # a tensor "is" a typical mistake when it equals it this closely


class CheckResult:
    """What check_file found: passed, the printed text, and the wrong tensors by name."""

    def __init__(self, exercise: str, passed: bool, text: str, wrong: list):
        self.exercise, self.passed, self.text, self.wrong = exercise, passed, text, wrong

    def __str__(self) -> str:
        return self.text


def exercise_of(module, path: str) -> Exercise:
    """The exercise a student file belongs to: its EXERCISE = "name" line, else its file name."""
    name = getattr(module, "EXERCISE", None) or os.path.splitext(os.path.basename(path))[0]
    if name not in EXERCISES:
        raise LoadError(f"{path} is no exercise file: it has no EXERCISE = \"name\" line and its "
                        f"name is none of {', '.join(EXERCISES)}")
    return EXERCISES[name]


def _label(tensor: str, kind: str) -> str:
    if tensor in ("dx", "dz"):
        return f"{tensor} (what backward returns)"
    if tensor in ("y", "loss"):
        return f"{tensor} (what forward returns)"
    return f"grads[{tensor!r}] (dL/d{tensor})"


def _same(a, b) -> bool:
    if a is None or b is None or np.shape(a) != np.shape(b):
        return False
    return bool(np.all(rel_error(np.asarray(a, float), np.asarray(b, float), MATCH_RTOL, 1e-12)
                       <= MATCH_RTOL))


def _diagnose(ex: Exercise, tensor: str, mine, ctx, reference) -> list[str]:
    """Specific hints for one wrong tensor: all zeros, or equal to a known mistake."""
    out = []
    if isinstance(mine, np.ndarray) and not np.any(mine) and np.any(reference):
        out.append(("note", "it is all zeros, as the skeleton ships it: this part of backward "
                            "is still to write"))
    for m in ex.mistakes:
        if m.tensor == tensor:
            try:
                wrong = m.wrong(ctx)
            except Exception:                    # a mistake that cannot be formed here
                continue
            if wrong is not None and _same(mine, wrong):
                out.append(("this is a typical mistake", m.message))
    return out


def check_file(path: str, *, seed: int = 0) -> CheckResult:
    """Check the student's file; raises LoadError (one line) when it cannot be checked at all."""
    module = _import_file(path)
    ex = exercise_of(module, path)
    cls = getattr(module, ex.class_name, None)
    if cls is None:
        raise LoadError(f"{path} has no class {ex.class_name} (the exercise {ex.name} fills in "
                        f"{ex.class_name}.backward)")
    if not ex.available:
        raise LoadError(f"exercise {ex.name}: the library layer it is compared with is not "
                        f"there yet ({ex.library_name})")
    rng = np.random.default_rng(seed)
    if ex.kind == "loss":
        return _check_loss_exercise(ex, cls, path, rng, seed)
    return _check_layer_exercise(ex, cls, path, rng, seed)


def _randomize(layer, rng) -> dict:
    """Random normal float64 values for every parameter (gamma near 1, so none vanishes)."""
    layer.astype(np.float64)
    values = {}
    for key, value in layer.params.items():
        new = rng.standard_normal(np.shape(value))
        if key == "gamma":
            new = 1 + 0.5 * new
        layer.params[key] = new
        layer.grads[key] = np.zeros_like(new)
        values[key] = new.copy()
    return values


def _check_layer_exercise(ex, cls, path, rng, seed) -> CheckResult:
    from scratchnet.layers.base import Layer
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise LoadError(f"{path}: {ex.class_name} is not a layer (it must subclass "
                        f"scratchnet.layers.base.Layer, as the skeleton does)")
    layer = build_layer(cls, ex.args, ex.kwargs)
    params = _randomize(layer, rng)
    x = ex.make_input(rng)
    lib = ex.library()
    lines = [f"exercise {ex.name}: your {ex.class_name} in {path}, x of shape {x.shape}, "
             f"seed {seed}", ""]
    try:
        report = check_layer(layer, x, seed=seed)
    except Exception as exc:
        text = "\n".join(lines + [f"FAIL: your {ex.class_name} raised {_one_line(exc)}"
                                  f"{_where_in_user_code(exc)}"])
        return CheckResult(ex.name, False, text, ["(it raised)"])
    lines += [str(report), ""]
    comparison = compare_layers(layer, lib, x, seed=seed,
                                title=f"with the library's {ex.library_name}, on your parameters:")
    lines += [str(comparison), ""]
    y_row = next((r for r in comparison.rows if r.name == "y"), None)
    y_shape = np.shape(y_row.theirs_array) if y_row is not None else np.shape(
        _y_of(lib, layer, x))
    g = np.random.default_rng(seed).standard_normal(y_shape)
    ctx = {"x": np.asarray(x, float), "g": g, "params": params}
    verdict = _verdict(ex, report, comparison, ctx)
    return CheckResult(ex.name, verdict[0], "\n".join(lines + verdict[1]), verdict[2])


def _y_of(lib, layer, x):
    twin = copy.deepcopy(lib).astype(np.float64)
    from gradcheck.cli import copy_params
    copy_params(copy.deepcopy(layer).astype(np.float64), twin)
    return twin.forward(np.array(x, dtype=np.float64))


def _verdict(ex, report, comparison, ctx):
    """(passed, lines, wrong tensors): one line per tensor, hints under the wrong ones."""
    lines = ["verdict, tensor by tensor:"]
    structural = [c for c in report.checks if not c.ok]
    for c in structural:
        lines.append(f"  structural check FAILS: {c.what}")
        lines.append(f"      {c.message}")
    rows = {r.name: r for r in report.rows}
    compared = {r.name: r for r in comparison.rows}
    if comparison.error:
        lines.append(f"  comparison with {ex.library_name} could not run: {comparison.error}")
    tensors = list(rows)
    for t in ("y", "loss"):                       # a wrong forward comes first
        if t in compared and not compared[t].ok:
            tensors = [t] + tensors
    wrong = []
    short = {t: (t if t in ("dx", "dz", "y", "loss") else f"grads[{t!r}]") for t in tensors}
    width = max(len(_label(t, ex.kind)) for t in tensors) if tensors else 0
    for t in tensors:
        row, other = rows.get(t), compared.get(t)
        bad_fd = row is not None and row.status != "ok"
        bad_lib = other is not None and not other.ok
        label = _label(t, ex.kind).ljust(width)
        if not (bad_fd or bad_lib):
            lines.append(f"  {label}  right")
            continue
        wrong.append(short[t])
        said = []
        if bad_fd:
            said.append(f"finite differences: {row.n_bad} of {int(np.prod(row.shape))} "
                        f"elements wrong")
        if bad_lib:
            said.append(f"differs from {ex.library_name.split('(')[0]}"
                        + (f": {other.message}" if other.message else
                           f" (worst at {other.index}: yours {other.mine:.6g}, library "
                           f"{other.theirs:.6g})"))
        lines.append(f"  {label}  WRONG: {'; '.join(said)}")
        mine = other.mine_array if other is not None else None
        reference = other.theirs_array if other is not None else None
        found = _diagnose(ex, t, mine, ctx, reference)
        for prefix, h in found:
            lines.append(f"      {prefix}: {h}")
        if t in ex.hints:
            lines.append(f"      hint: {ex.hints[t]}")
        if not any(prefix == "note" for prefix, _ in found):     # all zeros: nothing to add
            for h in (row.hints if row is not None else []):
                lines.append(f"      gradcheck's hint: {h}")
    passed = report.passed and comparison.passed
    if passed:
        lines.append(f"PASS: exercise {ex.name}: your backward agrees with the finite differences "
                     f"and with {ex.library_name}. Read {ex.source} to compare your code with "
                     f"the library's.")
    else:
        parts = wrong + (["the structural check" + "s" * (len(structural) > 1) + " at the top of "
                          "the verdict"] if structural else [])
        what = ", ".join(parts) or "what the reports above show"
        lines.append(f"FAIL: exercise {ex.name}: fix {what}, then run the check again.")
    return passed, lines, wrong + [c.what for c in structural]


def _check_loss_exercise(ex, cls, path, rng, seed) -> CheckResult:
    try:
        loss = cls()
    except Exception as exc:
        raise LoadError(f"cannot build {ex.class_name}(): {_one_line(exc)}") from None
    z, labels = ex.make_input(rng)
    lines = [f"exercise {ex.name}: your {ex.class_name} in {path}, logits z of shape {z.shape}, "
             f"labels of shape {labels.shape}, seed {seed}", ""]
    try:
        report = check_loss(loss, z, labels)
    except Exception as exc:
        text = "\n".join(lines + [f"FAIL: your {ex.class_name} raised {_one_line(exc)}"
                                  f"{_where_in_user_code(exc)}"])
        return CheckResult(ex.name, False, text, ["(it raised)"])
    for row in report.rows:                       # check_loss calls the gradient dy_pred
        row.name = "dz" if row.name == "dy_pred" else row.name
    lines += [str(report), ""]
    lib = ex.library()
    comparison = _compare_losses(ex, loss, lib, z, labels)
    lines += [str(comparison), ""]
    N, K = z.shape
    y = np.zeros((N, K))
    y[np.arange(N), labels] = 1
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    ctx = {"z": z, "labels": labels, "y": y, "p": p}
    verdict = _verdict(ex, report, comparison, ctx)
    return CheckResult(ex.name, verdict[0], "\n".join(lines + verdict[1]), verdict[2])


def _compare_losses(ex, loss, lib, z, labels):
    from gradcheck.cli import Comparison, UserCodeError, _call, _compare_arrays
    title = f"with the library's {ex.library_name}:"
    mine = copy.deepcopy(loss)
    try:
        value = _call(f"your {ex.class_name}.forward", mine.forward, z.copy(), labels.copy())
        grad = _call(f"your {ex.class_name}.backward", mine.backward)
    except UserCodeError as exc:
        return Comparison(title, error=str(exc))
    ref_value = lib.forward(z.copy(), labels.copy())
    ref_grad = lib.backward()
    return Comparison(title, [_compare_arrays("loss", np.asarray(value, float),
                                              np.asarray(ref_value, float)),
                              _compare_arrays("dz", grad if isinstance(grad, np.ndarray) else grad,
                                              ref_grad)])
