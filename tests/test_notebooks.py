"""tools/build_notebooks.py: a tutorial becomes a valid notebook, prose as markdown, figures inline.

The build needs the optional notebooks extra (pip install -e ".[notebooks]"); without it these
tests skip, except the one that checks the tool's message when the extra is missing.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "build_notebooks.py"
LESSON = "01"                     # a quick tutorial that saves two figures


def build(out, *extra, env=None):
    return subprocess.run([sys.executable, str(TOOL), "--out", str(out), *extra],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "SCRATCHNET_FAST": "1", **(env or {})})


def needs_the_extra():
    for name in ("jupytext", "nbformat", "nbclient", "ipykernel"):
        pytest.importorskip(name, reason=f"the notebooks extra is not installed ({name})")


def test_one_tutorial_builds_into_an_executed_notebook_with_an_image(tmp_path):
    needs_the_extra()
    import nbformat
    env = {k: v for k, v in os.environ.items() if k != "SCRATCHNET_OUT"}
    out = subprocess.run([sys.executable, str(TOOL), "--out", str(tmp_path), LESSON],
                         capture_output=True, text=True, timeout=600,
                         env={**env, "SCRATCHNET_FAST": "1"})
    assert out.returncode == 0, out.stdout + out.stderr
    [path] = tmp_path.glob("01_*.ipynb")
    assert "executed in fast mode" in out.stdout
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    kinds = [c.cell_type for c in nb.cells]
    assert kinds[0] == kinds[1] == "markdown" and "code" in kinds
    assert "After this lesson you can" in nb.cells[1].source         # prose as markdown
    assert not nb.cells[1].source.startswith("# %%")
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert images, "no figure inline"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    assert list((tmp_path / "out").glob("*.png"))                     # the files, beside it


def test_no_execute_writes_every_tutorial_unrun(tmp_path):
    needs_the_extra()
    import nbformat
    out = build(tmp_path, "--no-execute")
    assert out.returncode == 0, out.stdout + out.stderr
    lessons = sorted(p.stem for p in (ROOT / "tutorials").glob("[0-9][0-9]_*.py"))
    assert sorted(p.stem for p in tmp_path.glob("*.ipynb")) == lessons
    for path in tmp_path.glob("*.ipynb"):
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
        assert nb.metadata.kernelspec.name == "python3"


def test_a_prefix_that_matches_no_tutorial_is_an_error(tmp_path):
    out = build(tmp_path, "99")
    assert out.returncode == 2 and "no tutorial" in out.stderr


def test_without_the_extra_it_says_what_to_install(tmp_path):
    # Hide jupytext (as if the extra were not installed) and run the tool's main.
    code = ("import sys, runpy; sys.modules['jupytext'] = None; sys.argv = ['build_notebooks.py', "
            f"'--out', {str(tmp_path)!r}, '01']; runpy.run_path({str(TOOL)!r}, run_name='__main__')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, out.stdout + out.stderr
    assert 'pip install -e ".[notebooks]"' in out.stderr and "jupytext" in out.stderr
    assert not list(tmp_path.glob("*.ipynb"))
