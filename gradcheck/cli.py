"""python -m gradcheck FILE.py:Class: gradcheck a layer you wrote, and compare it with ours.

    python -m gradcheck my_layers.py:Square --input-shape 4,3
    python -m gradcheck my_layers.py:MyDense --input-shape 4,3 --args '[3, 2]' \\
        --against scratchnet.layers.Dense
    python -m gradcheck mypackage.layers:Scale --kwargs '{"n": 3}' --input-shape 5,3
    python -m gradcheck my_layers.py:MyEmbedding --args '[10, 4]' --int-input 10 --input-shape 2,5

It builds Class(*args, **kwargs), draws a random float64 input of --input-shape (or asks the
layer's own example_input()), and runs gradcheck.check_layer on it, printing the same report
as the built-in cases. --against also builds the library's layer with the same arguments,
copies your layer's parameters into it, and compares y, dx and every gradient.

Exit status: 0 when everything holds, 1 when a check fails (or your forward/backward raises),
2 with a one-line message when the file cannot be imported, the class is missing, it is not a
layer, it cannot be built from the arguments, or an argument is malformed.

The pieces are public, for scratchnet.exercises and for tests: load_class, build_layer,
make_input, compare_layers, copy_params, LoadError.
"""
from __future__ import annotations

import copy
import importlib
import importlib.util
import inspect
import json
import os
import sys
import traceback
from dataclasses import dataclass, field

import numpy as np

from gradcheck.report import rel_error
from scratchnet.layers.base import Layer

#: The words of a report, explained; printed by --help and under every report of this CLI.
GLOSSARY = """\
How to read the report:
  g                  the upstream gradient. gradcheck differentiates L = sum(y * g), where y
                     is the layer's output and g a random array of y's shape, so dL/dy = g
                     and backward(g) must return dL/dx. g is random, never all ones: with ones,
                     softmax's and batch norm's true dx is exactly 0 and any bug would pass.
  structural checks  run before any number is compared: dx has x's shape; grads have the keys
                     and shapes of params; forward leaves x unchanged; backward changes neither
                     x, y, dy nor any parameter; backward(2 g) == 2 backward(g) (linear in dy,
                     grads set, not added to); the same seed gives the same result.
  max err            |analytic - numeric| / (|analytic| + |numeric|) at the worst element, with
                     numeric the central finite difference. Pass: <= rtol (1e-5); a correct
                     layer shows about 1e-8 or less, a real bug 1e-2 or more.
  kinks              elements that sit on a corner of the function (ReLU at 0, a tie in a max),
                     where the left and right one-sided differences disagree. Any analytic value
                     between them is a valid subgradient, so such elements are counted as
                     kinks, not failures.
  seed               --seed N (default 0) fixes the input values and g (and the random shapes
                     of the built-in cases), and reseeds random layers (dropout) before every forward, so that the finite
                     differences see one function and a run repeats exactly."""

# Comparing two implementations of the same math: both run in float64, so they agree to
# rounding; 1e-7 relative leaves room for sums taken in another order, and no real bug fits in it.
COMPARE_RTOL = 1e-7
COMPARE_ATOL = 1e-10


class LoadError(Exception):
    """A one-line reason why a layer could not be loaded or built (exit status 2)."""


# ----- loading ----------------------------------------------------------------------------------------

def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, SyntaxError) and exc.lineno:
        text = f"{exc.msg} (line {exc.lineno})"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _import_file(path: str):
    """Import a .py file as a module (its folder is on sys.path while it imports)."""
    if not os.path.isfile(path):
        raise LoadError(f"cannot import {path}: no such file")
    name = "_gradcheck_user_" + "".join(c if c.isalnum() else "_" for c in os.path.abspath(path))
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        del sys.modules[name]
        raise LoadError(f"cannot import {path}: {_one_line(exc)}") from None
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return module


def _import_module(name: str):
    try:
        return importlib.import_module(name)
    except (Exception, SystemExit) as exc:
        raise LoadError(f"cannot import {name}: {_one_line(exc)}") from None


def _is_file_spec(where: str) -> bool:
    return where.endswith(".py") or os.sep in where or "/" in where or os.path.isfile(where)


def load_class(spec: str, *, what: str = "layer"):
    """The class named by `spec`: "path/to/file.py:ClassName", "package.module:ClassName" or
    "package.module.ClassName". Raises LoadError (one line) when it cannot be had, or when it
    is not a subclass of scratchnet.layers.Layer."""
    where, colon, name = spec.rpartition(":")
    if not colon:                                  # package.module.ClassName
        where, _, name = spec.rpartition(".")
        if not where or _is_file_spec(spec):
            raise LoadError(f"expected FILE.py:ClassName or package.module:ClassName, got {spec!r}")
    if not where or not name:
        raise LoadError(f"expected FILE.py:ClassName or package.module:ClassName, got {spec!r}")
    module = _import_file(where) if _is_file_spec(where) else _import_module(where)
    obj = getattr(module, name, None)
    if obj is None:
        layers = sorted(n for n, v in vars(module).items()
                        if inspect.isclass(v) and issubclass(v, Layer) and v is not Layer)
        there = f"; the layers there: {', '.join(layers)}" if layers else "; it defines no layer"
        raise LoadError(f"{where} has no {name!r}{there}")
    if not (inspect.isclass(obj) and issubclass(obj, Layer)):
        kind = f"class {obj.__name__}" if inspect.isclass(obj) else f"a {type(obj).__name__}"
        raise LoadError(f"{where}:{name} is not a {what}: expected a subclass of "
                        f"scratchnet.layers.Layer (with forward, backward, params, grads), "
                        f"got {kind}")
    return obj


def build_layer(cls, args=(), kwargs=None) -> Layer:
    """cls(*args, **kwargs), or a LoadError saying why it could not be built."""
    kwargs = kwargs or {}
    shown = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
    try:
        layer = cls(*args, **kwargs)
    except (Exception, SystemExit) as exc:
        raise LoadError(f"cannot build {cls.__name__}({shown}): {_one_line(exc)}"
                        f"{_where_in_user_code(exc)}") from None
    if not hasattr(layer, "params"):
        raise LoadError(f"{cls.__name__}({shown}) has no params: did its __init__ forget "
                        f"super().__init__()?")
    return layer


def make_input(layer, shape=None, int_high=None, rng=None) -> np.ndarray:
    """The input to check `layer` at: random normal float64 of `shape`; with int_high, random
    ints in [0, int_high) of `shape` (token ids); with no shape, layer.example_input() (called
    with rng when it takes an argument). Raises LoadError when there is no way to make one."""
    rng = np.random.default_rng(0) if rng is None else rng
    if shape is None:
        maker = getattr(layer, "example_input", None)
        if not callable(maker):
            raise LoadError(f"{type(layer).__name__} has no example_input(): give --input-shape "
                            f"(e.g. --input-shape 4,3)")
        try:
            takes_rng = bool(inspect.signature(maker).parameters)
        except (TypeError, ValueError):
            takes_rng = False
        try:
            x = maker(rng) if takes_rng else maker()
        except Exception as exc:
            raise LoadError(f"{type(layer).__name__}.example_input() raised {_one_line(exc)}") \
                from None
        return np.array(x)
    if int_high is not None:
        return rng.integers(0, int_high, size=shape)
    return rng.standard_normal(shape)


# ----- comparing with a library layer --------------------------------------------------------------

def param_slots(layer) -> dict[str, tuple[Layer, str]]:
    """{name: (owner, key)} of every parameter of `layer` and of the layers inside it
    (children are named "layer 0 (Dense).W", as in gradcheck's reports)."""
    slots = {key: (layer, key) for key in layer.params}

    def walk(parent, path):
        for i, child in enumerate(parent.children()):
            here = f"{path}.{i}" if path else str(i)
            slots.update({f"layer {here} ({type(child).__name__}).{key}": (child, key)
                          for key in child.params})
            walk(child, here)

    walk(layer, "")
    return slots


def _flat_names(layer) -> list[tuple[str, tuple]]:
    """[(key, shape)] of every parameter, children by position only (class names may differ)."""
    out = [(k, np.shape(v)) for k, v in layer.params.items()]
    for i, child in enumerate(layer.children()):
        out += [(f"{i}.{k}", s) for k, s in _flat_names(child)]
    return out


def copy_params(src: Layer, dst: Layer) -> None:
    """Copy every parameter (and buffer) of src into dst, which must have the same names and
    shapes; raises ValueError naming the difference otherwise."""
    mine, theirs = _flat_names(src), _flat_names(dst)
    if [k for k, _ in mine] != [k for k, _ in theirs] and sorted(mine) != sorted(theirs):
        raise ValueError(f"the parameters differ: yours are {_names(mine)}, "
                         f"{type(dst).__name__}'s are {_names(theirs)}")
    shapes = dict(theirs)
    bad = [f"{k}: yours {s}, {type(dst).__name__}'s {shapes[k]}" for k, s in mine if shapes[k] != s]
    if bad:
        raise ValueError("the parameter shapes differ: " + "; ".join(bad))
    _copy_into(src, dst)


def _names(items) -> str:
    return "[" + ", ".join(f"{k} {s}" for k, s in items) + "]" if items else "none"


def _copy_into(src, dst):
    for key, value in src.params.items():
        dst.params[key] = np.array(value, dtype=np.float64, copy=True)
        dst.grads[key] = np.zeros_like(dst.params[key])
    for key, value in getattr(src, "buffers", {}).items():
        if key in dst.buffers and np.shape(dst.buffers[key]) == np.shape(value):
            dst.buffers[key] = np.array(value, dtype=np.float64, copy=True)
    for a, b in zip(src.children(), dst.children()):
        _copy_into(a, b)


@dataclass
class CompareRow:
    """One tensor of a comparison: yours against the library's."""
    name: str
    shape: tuple
    max_err: float
    index: tuple
    mine: float
    theirs: float
    ok: bool
    message: str = ""
    mine_array: object = None       # the arrays themselves, for exercise diagnoses
    theirs_array: object = None


@dataclass
class Comparison:
    """Your layer against a library layer on the same parameters, x and g."""
    title: str
    rows: list = field(default_factory=list)
    error: str = ""                 # set when the comparison could not run

    @property
    def passed(self) -> bool:
        return not self.error and all(r.ok for r in self.rows)

    def __str__(self) -> str:
        lines = [f"compare {self.title}"]
        if self.error:
            return "\n".join(lines + [f"  FAIL: {self.error}"])
        head = ("tensor", "shape", "max err", "worst index", "yours", "library", "status")
        cells = [head] + [(r.name, str(r.shape), "-" if r.message else f"{r.max_err:.2e}",
                           str(r.index), f"{r.mine:.6g}", f"{r.theirs:.6g}",
                           "ok" if r.ok else "DIFFERS") for r in self.rows]
        widths = [max(len(c[k]) for c in cells) for k in range(len(head))]
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                  for row in cells]
        lines += [f"  {r.name}: {r.message}" for r in self.rows if r.message]
        bad = [r.name for r in self.rows if not r.ok]
        lines.append("PASS: the same y, dx and gradients as the library's layer" if not bad else
                     f"FAIL: differs from the library's layer in {', '.join(bad)}")
        return "\n".join(lines)


def _compare_arrays(name, mine, theirs, rtol=COMPARE_RTOL, atol=COMPARE_ATOL) -> CompareRow:
    if mine is None and theirs is None:
        return CompareRow(name, (), 0.0, (), float("nan"), float("nan"), True)
    if not isinstance(mine, np.ndarray) or np.shape(mine) != np.shape(theirs):
        what = f"shape {mine.shape}" if isinstance(mine, np.ndarray) else f"a {type(mine).__name__}"
        return CompareRow(name, np.shape(theirs), float("inf"), (), float("nan"), float("nan"),
                          False, f"yours is {what}, the library's has shape {np.shape(theirs)}",
                          mine, theirs)
    a = np.asarray(mine, dtype=np.float64)
    b = np.asarray(theirs, dtype=np.float64)
    err = rel_error(a, b, rtol, atol)
    i = tuple(int(j) for j in np.unravel_index(int(np.argmax(err)), a.shape)) if a.size else ()
    worst = float(err[i]) if a.size else 0.0
    return CompareRow(name, a.shape, worst, i, float(a[i]) if a.size else 0.0,
                      float(b[i]) if a.size else 0.0, worst <= rtol, "", a, b)


class UserCodeError(Exception):
    """The student's forward or backward raised: the message says where."""


def _where_in_user_code(exc: BaseException) -> str:
    """ ' (at FILE line N, in FUNC)' for the innermost frame outside scratchnet and gradcheck."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not os.path.abspath(f.filename).startswith(os.path.join(here, "gradcheck"))]
    user = [f for f in frames if not os.path.abspath(f.filename).startswith(
        os.path.join(here, "scratchnet", "layers")) and "numpy" not in f.filename]
    frame = (user or frames or [None])[-1]
    return f" (at {frame.filename} line {frame.lineno}, in {frame.name})" if frame else ""


def _call(who: str, fn, *args):
    try:
        return fn(*args)
    except Exception as exc:
        raise UserCodeError(f"{who} raised {_one_line(exc)}{_where_in_user_code(exc)}") from None


def compare_layers(mine: Layer, theirs: Layer, x, *, seed: int = 0, title: str = "") -> Comparison:
    """Run `mine` and `theirs` (deep copies, in float64, the parameters of `mine` copied into
    `theirs`) on the same x, then backward with the same random g (gradcheck's g for this
    seed), and compare y, dx and every gradient element by element."""
    title = title or f"{type(mine).__name__} with {type(theirs).__name__}"
    a, b = copy.deepcopy(mine).astype(np.float64), copy.deepcopy(theirs).astype(np.float64)
    try:
        copy_params(a, b)
    except ValueError as exc:
        return Comparison(title, error=str(exc))
    b.training = a.training
    if not a.training:
        b.eval()
    x = np.array(x)
    x = x if x.dtype.kind in "iu" else x.astype(np.float64)
    a.reseed(seed)
    b.reseed(seed)
    try:
        y_a = np.asarray(_call(f"your {type(mine).__name__}.forward", a.forward, x.copy()))
    except UserCodeError as exc:
        return Comparison(title, error=str(exc))
    y_b = np.asarray(b.forward(x.copy()))
    rows = [_compare_arrays("y", y_a, y_b)]
    if not rows[0].ok and rows[0].message:
        return Comparison(title, rows)
    g = np.random.default_rng(seed).standard_normal(y_b.shape)
    try:
        dx_a = _call(f"your {type(mine).__name__}.backward", a.backward, g.copy())
    except UserCodeError as exc:
        return Comparison(title, rows, error=str(exc))
    dx_b = b.backward(g.copy())
    rows.append(_compare_arrays("dx", dx_a, dx_b))
    slots_a, slots_b = param_slots(a), param_slots(b)
    for (name, (oa, ka)), (_, (ob, kb)) in zip(slots_a.items(), slots_b.items()):
        rows.append(_compare_arrays(name, oa.grads.get(ka), ob.grads[kb]))
    return Comparison(title, rows)


# ----- the command ------------------------------------------------------------------------------------

def shape_argument(text: str) -> tuple:
    """argparse type of --input-shape: "4,3" -> (4, 3), positive ints."""
    try:
        shape = tuple(int(p) for p in text.replace("(", "").replace(")", "").split(",") if p.strip())
    except ValueError:
        shape = ()
    if not shape or min(shape) < 1:
        import argparse
        raise argparse.ArgumentTypeError(f"expected sizes >= 1 separated by commas, like 4,3, "
                                         f"got {text!r}")
    return shape


def json_argument(kind):
    """argparse type of --args (a JSON list) and --kwargs (a JSON object)."""
    def parse(text: str):
        import argparse
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise argparse.ArgumentTypeError(f"expected JSON, got {text!r} ({exc.msg})") from None
        if not isinstance(value, kind):
            want = "a JSON list like '[3, 2]'" if kind is list else \
                "a JSON object like '{\"alpha\": 0.1}'"
            raise argparse.ArgumentTypeError(f"expected {want}, got {text!r}")
        return value
    return parse


def run_user_layer(args) -> int:
    """What python -m gradcheck TARGET does; returns the exit status (see the module docstring)."""
    from gradcheck.checks import check_layer
    try:
        cls = load_class(args.target)
        layer = build_layer(cls, args.args or [], args.kwargs or {})
        against = None
        if args.against:
            against = build_layer(load_class(args.against, what="library layer"),
                                  args.args or [], args.kwargs or {})
        rng = np.random.default_rng(args.seed)
        x = make_input(layer, args.input_shape, args.int_input, rng)
    except LoadError as exc:
        print(f"python -m gradcheck: error: {exc}", file=sys.stderr)
        return 2
    if args.eval:
        layer.eval()
    shown = ", ".join([repr(a) for a in args.args or []] +
                      [f"{k}={v!r}" for k, v in (args.kwargs or {}).items()])
    print(f"{cls.__name__}({shown}) from {args.target}, x of shape {np.shape(x)}, seed {args.seed}")
    failed = False
    try:
        report = check_layer(layer, x, seed=args.seed)
        print(report)
        failed = not report.passed and not report.skipped
    except Exception as exc:
        print(f"FAIL: {type(layer).__name__} raised {_one_line(exc)}{_where_in_user_code(exc)}")
        failed = True
    if against is not None:
        print()
        comparison = compare_layers(layer, against, x, seed=args.seed,
                                    title=f"with {args.against}({shown}), given your parameters:")
        print(comparison)
        failed = failed or not comparison.passed
    print()
    print(GLOSSARY)
    return 1 if failed else 0
