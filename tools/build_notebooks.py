"""Build every tutorial into a Jupyter notebook, executed, with its figures inline.

    python -m pip install -e ".[notebooks]"                     # jupytext, nbclient, ipykernel
    python tools/build_notebooks.py --out notebooks             # every tutorial, executed
    python tools/build_notebooks.py --out notebooks 04 15       # tutorials 04 and 15 only
    python tools/build_notebooks.py --out notebooks --no-execute   # written, not run
    SCRATCHNET_FAST=1 python tools/build_notebooks.py --out notebooks   # fast mode, as the tests

Each tutorials/NN_name.py (cells marked `# %%`, prose in `# %% [markdown]` cells) becomes
DIR/NN_name.ipynb: the prose as markdown cells, the code as code cells, run top to bottom in
a fresh Python kernel whose working folder is DIR. A tutorial saves its figures with
scratchnet.lesson.save, which shows the saved PNG inline when a notebook kernel runs it
(scratchnet/plot.py, save_figure), so the executed notebook holds its pictures; the PNG files
themselves go to DIR/out/ (or $SCRATCHNET_OUT). The kernel inherits this process's
environment, so SCRATCHNET_FAST=1 gives fast mode there too.

The notebooks are built, not committed. Exit status: 0 when every notebook was built (and ran
without error), 1 when one failed (it is still written, with the error in its cell), 2 for bad
arguments or when jupytext / nbclient are not installed.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "tutorials"
EXTRA = 'python -m pip install -e ".[notebooks]"'


def tutorials(prefixes=()) -> list[Path]:
    """tutorials/NN_name.py in course order, or those whose name starts with one of prefixes."""
    found = sorted(p for p in TUTORIALS.glob("[0-9][0-9]_*.py"))
    if prefixes:
        found = [p for p in found if any(p.name.startswith(k) for k in prefixes)]
    return found


def _missing_extra() -> str:
    """'' when jupytext, nbformat and nbclient import, else the names that do not."""
    missing = []
    for name in ("jupytext", "nbformat", "nbclient", "ipykernel"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    return ", ".join(missing)


def to_notebook(path: Path):
    """The tutorial as an unexecuted notebook (nbformat v4), with a kernelspec and a first
    cell that says where it comes from."""
    import jupytext
    import nbformat
    nb = jupytext.read(str(path), fmt="py:percent")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata.pop("jupytext", None)
    note = (f"*Built from `tutorials/{path.name}` by `tools/build_notebooks.py`. It needs "
            f"scratchnet installed in the kernel's Python (`pip install -e .` in a clone of the "
            f"project); figures are saved to `out/` beside the notebook and shown here.*")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(note))
    for cell in nb.cells:
        cell.metadata.pop("lines_to_next_cell", None)
    return nb


def execute(nb, folder: Path, timeout: int):
    """Run nb in a fresh python3 kernel with `folder` as its working folder; returns the error
    text of the first failing cell, or ''."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        return str(exc).strip().splitlines()[-1] if str(exc).strip() else "a cell failed"
    except Exception as exc:                         # a kernel that died or timed out
        return f"{type(exc).__name__}: {exc}"
    return ""


def count_images(nb) -> int:
    """How many PNG outputs the notebook holds."""
    return sum("image/png" in out.get("data", {}) for cell in nb.cells if cell.cell_type == "code"
               for out in cell.get("outputs", []))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/build_notebooks.py",
                                     description=__doc__.split("\n\n")[0],
                                     epilog=f"Needs the notebooks extra: {EXTRA}")
    parser.add_argument("only", nargs="*", metavar="NN",
                        help="build only the tutorials whose names start with these (04 15)")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder for the .ipynb files (created; the figures go to DIR/out)")
    parser.add_argument("--no-execute", action="store_true",
                        help="write the notebooks without running them")
    parser.add_argument("--timeout", type=int, default=900, metavar="S",
                        help="seconds one cell may run (default 900)")
    args = parser.parse_args(argv)
    paths = tutorials(args.only)
    if not paths:
        parser.error(f"no tutorial in {TUTORIALS} starts with {' or '.join(args.only)}")
    missing = _missing_extra()
    if missing:
        print(f"build_notebooks: {missing} not installed; install the notebooks extra: {EXTRA}",
              file=sys.stderr)
        return 2
    import nbformat
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    mode = "fast" if os.environ.get("SCRATCHNET_FAST", "") not in ("", "0") else "full"
    failed = []
    for path in paths:
        nb = to_notebook(path)
        start = time.perf_counter()
        error = "" if args.no_execute else execute(nb, out, args.timeout)
        target = out / (path.stem + ".ipynb")
        nbformat.validate(nb)
        nbformat.write(nb, str(target))
        if args.no_execute:
            print(f"wrote {target} (not executed)")
        elif error:
            failed.append(path.name)
            print(f"FAILED {target}: {error}")
        else:
            print(f"wrote {target}: executed in {mode} mode in {time.perf_counter() - start:.1f} s, "
                  f"{count_images(nb)} figure(s) inline")
    if failed:
        print(f"{len(failed)} of {len(paths)} notebooks failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
