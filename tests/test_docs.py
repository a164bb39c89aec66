"""docs/*.md tell the truth about the code as it stands.

- every `python -m MODULE [SUBCOMMAND]` they name answers `--help` (exit 0);
- every `python path/to/script.py` they name exists, and tools/ scripts answer `--help`;
- every repository path they name (scratchnet/..., gradcheck/..., tools/..., tests/...,
  tutorials/..., benchmarks/..., docs/...) exists;
- every dotted name `scratchnet.x.y` / `gradcheck.x` in backticks imports;
- every ```python block runs (in a scratch folder, fast mode).
"""
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
TEXT = {p.name: p.read_text() for p in DOCS}
PREFIXES = ("scratchnet/", "gradcheck/", "tools/", "tests/", "tutorials/", "benchmarks/", "docs/")
WITH_SUBCOMMANDS = {"scratchnet.exercises": ("list", "get", "check")}
OUTPUT_FOLDERS = ("tutorials/out",)     # written by the lessons, not in a fresh clone


def _exists(path: str) -> bool:
    """path exists in the repository; NN_name stands for any lesson (tutorials/NN_name.py)."""
    path = path.rstrip(".")
    if path.startswith(OUTPUT_FOLDERS):
        return True
    return (ROOT / path).exists() or any(ROOT.glob(path.replace("NN_name", "[0-9][0-9]_*")))


def _commands():
    found = set()
    for text in TEXT.values():
        for m in re.finditer(r"python -m ([A-Za-z_][\w.]*)(?: +([a-z_]+))?", text):
            module, word = m.group(1), m.group(2)
            sub = word if word in WITH_SUBCOMMANDS.get(module, ()) else None
            found.add((module, sub))
    return sorted(found, key=lambda c: (c[0], c[1] or ""))


def _scripts():
    return sorted({m.group(1) for text in TEXT.values()
                   for m in re.finditer(r"python ((?:tools|tutorials|benchmarks)/[\w./-]+\.py)",
                                        text)})


def _paths():
    pattern = re.compile(r"(?<![\w/.])((?:%s)[\w./-]*\w)" % "|".join(map(re.escape, PREFIXES)))
    return sorted({(name, m.group(1)) for name, text in TEXT.items()
                   for m in pattern.finditer(text)})


def _dotted():
    return sorted({m.group(1) for text in TEXT.values()
                   for m in re.finditer(r"`((?:scratchnet|gradcheck)(?:\.\w+)+)", text)})


def _python_blocks():
    return [(name, i, m.group(1)) for name, text in TEXT.items()
            for i, m in enumerate(re.finditer(r"```python\n(.*?)```", text, re.S))]


def test_the_docs_exist():
    names = set(TEXT)
    assert {"COURSE.md", "LAYERS.md", "BACKENDS.md", "KERAS.md", "PYTORCH.md",
            "TEACHERS.md"} <= names
    assert _commands() and _paths() and _python_blocks()


@pytest.mark.parametrize("module, sub", _commands())
def test_every_python_m_command_answers_help(module, sub):
    args = [sys.executable, "-m", module] + ([sub] if sub else []) + ["--help"]
    out = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, f"{' '.join(args[1:])}: {out.stdout[-500:]}{out.stderr[-1500:]}"


@pytest.mark.parametrize("script", _scripts())
def test_every_script_named_exists(script):
    assert _exists(script), script
    if script.startswith("tools/"):
        out = subprocess.run([sys.executable, str(ROOT / script), "--help"], capture_output=True,
                             text=True, timeout=120, cwd=ROOT)
        assert out.returncode == 0, out.stderr[-1500:]


@pytest.mark.parametrize("doc, path", _paths())
def test_every_path_named_exists(doc, path):
    assert _exists(path), f"{doc} names {path}"


@pytest.mark.parametrize("name", _dotted())
def test_every_dotted_name_imports(name):
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)        # AttributeError: the doc names something missing
        return
    pytest.fail(f"{name} does not import")


@pytest.mark.parametrize("doc, index, code", _python_blocks(),
                         ids=[f"{d}-{i}" for d, i, _ in _python_blocks()])
def test_every_python_block_runs(doc, index, code, tmp_path):
    env = {**os.environ, "SCRATCHNET_FAST": "1", "MPLBACKEND": "Agg",
           "SCRATCHNET_OUT": str(tmp_path / "out")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path, env=env)
    assert out.returncode == 0, f"{doc}, python block {index}:\n{out.stderr[-3000:]}"
