"""What every tutorial shares: fast mode, where its figures go, and how an exercise is checked.

A tutorial runs as a script (`python tutorials/04_perceptron.py`) or as a notebook cell by
cell; the same three lines work in both:

    from scratchnet import lesson
    EPOCHS = 20 if lesson.FAST else 200       # SCRATCHNET_FAST=1: seconds, for the tests
    lesson.save(fig, "04_perceptron.png")     # saves, prints the path, shows it in a notebook

A solution file (tutorials/solutions/NN_name.py) ends each exercise with
`lesson.check(1, "test accuracy", acc, acc > 0.9)` and finally `lesson.finish()`, which
exits with status 1 when a check failed, so that the tests notice.
"""
from __future__ import annotations

import os
import sys

from scratchnet.plot import save_figure

FAST = os.environ.get("SCRATCHNET_FAST", "") not in ("", "0")
_failed: list[int] = []


def out_dir() -> str:
    """The folder for figures and files: $SCRATCHNET_OUT, else `out/` beside the script that
    runs (tutorials/out for a tutorial), else `out/` in the current folder (a notebook)."""
    folder = os.environ.get("SCRATCHNET_OUT")
    if not folder:
        script = getattr(sys.modules.get("__main__"), "__file__", None)
        base = os.path.dirname(os.path.abspath(script)) if script else os.getcwd()
        if os.path.basename(base) == "solutions":          # solutions share the tutorials' out/
            base = os.path.dirname(base)
        folder = os.path.join(base, "out")
    os.makedirs(folder, exist_ok=True)
    return folder


def out_path(name: str) -> str:
    """out_dir()/name."""
    return os.path.join(out_dir(), name)


def save(fig, name: str, dpi: int = 100) -> str:
    """Save `fig` as out_dir()/name (see scratchnet.plot.save_figure), print and return the
    path. In a notebook the picture also shows inline."""
    path = out_path(name)
    save_figure(fig, path, dpi=dpi)
    print(f"saved figure: {path}")
    return path


def check(number: int, what: str, value, ok: bool) -> bool:
    """Print one exercise check as 'exercise N: WHAT = VALUE: PASS' (or FAIL) and remember a
    failure for finish()."""
    ok = bool(ok)
    shown = f"{value:.6g}" if isinstance(value, float) else str(value)
    print(f"exercise {number}: {what} = {shown}: {'PASS' if ok else 'FAIL'}")
    if not ok:
        _failed.append(number)
    return ok


def finish() -> None:
    """End a solution file: exit 1 when any check failed."""
    if _failed:
        print(f"failed exercises: {sorted(set(_failed))}")
        raise SystemExit(1)
    print("all exercises pass")
