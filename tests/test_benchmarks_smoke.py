"""The benchmark scripts run (in --quick mode: tiny batch, no torch) and print their tables.

Nothing is timed against a limit here; this only keeps benchmarks/bench_conv.py and
benchmarks/bench_standalone.py from rotting.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "bench_conv.py"


@pytest.fixture(scope="module")
def quick_output() -> str:
    env = dict(os.environ, SCRATCHNET_BACKEND="numba")
    result = subprocess.run([sys.executable, str(SCRIPT), "--quick"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"bench_conv.py --quick failed:\n{result.stderr[-3000:]}"
    return result.stdout


def rows(output: str, section: str) -> list[str]:
    """The table lines under '== section ==' (after the header and its dashes)."""
    block = output.split(f"== {section} ==\n", 1)[1].split("\n\n", 1)[0]
    return block.splitlines()[2:]


def test_every_conv_shape_has_a_numba_row_with_times(quick_output):
    lines = rows(quick_output, "CONV")
    for shape in ("1x28x28 -> 6@5x5 pad 2", "6x14x14 -> 16@5x5", "3x32x32 -> 32@3x3 pad 1",
                  "32x32x32 -> 64@3x3 pad 1"):
        m = [ln for ln in lines if shape in ln and re.search(r"\bnumba\s+[\d.]+\s+[\d.]+", ln)]
        assert len(m) == 1, f"no numba timing row for conv {shape} in:\n" + "\n".join(lines)


def test_reference_runs_on_the_smallest_shape_only_by_default(quick_output):
    ref = [ln for ln in rows(quick_output, "CONV") if re.search(r"\breference\s+[\d.]+", ln)]
    assert len(ref) == 1 and "1x28x28" in ref[0]


def test_pooling_and_training_step_tables(quick_output):
    pool = rows(quick_output, "POOLING")
    for op in ("maxpool", "avgpool"):
        for shape in ("6x28x28", "32x32x32"):
            assert any(op in ln and shape in ln and "numba" in ln for ln in pool), (op, shape)
    steps = rows(quick_output, "TRAINING STEP")
    for name in ("LeNet-5 step", "MLP 784-256-128-10 step"):
        line = next(ln for ln in steps if ln.startswith(name))
        assert float(line.split()[-3]) > 0, line       # the "ours ms" column holds a time


def test_quick_mode_leaves_torch_out_and_names_the_machine(quick_output):
    assert "torch: not used" in quick_output
    assert re.search(r"^cpu: .+, os.cpu_count\(\) \d+", quick_output, re.MULTILINE)
    assert "ours/torch" in quick_output and not re.search(r"\d\.\d\dx", quick_output)


STANDALONE = ROOT / "benchmarks" / "bench_standalone.py"


@pytest.fixture(scope="module")
def standalone_output() -> str:
    result = subprocess.run([sys.executable, str(STANDALONE), "--quick"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"bench_standalone.py --quick failed:\n{result.stderr[-3000:]}"
    return result.stdout


def section(output: str, name: str) -> str:
    return output.split(f"== {name} ==", 1)[1].split("\n== ", 1)[0]


def test_standalone_header_names_threads_blas_cache_and_load(standalone_output):
    head = standalone_output.split("== STEP ==", 1)[0]
    for needle in ("threading layer", "BLAS", "threads", "numba cache", "load average",
                   "child process: scratchnet", "fresh interpreter"):
        assert needle in head, needle


def test_standalone_prints_every_section_with_times(standalone_output):
    number = r"\d+(?:\.\d\d)?"       # _timing.table writes 100 and over without decimals
    step = section(standalone_output, "STEP")
    for name in ("LeNet-5 step", "MLP 784-256-128-10 step"):
        assert re.search(rf"^{name}.*?\s{number}\s", step, re.MULTILINE), name
    prof = section(standalone_output, "PROFILE")
    for name in ("conv1", "relu1", "maxpool1", "avgpool1", "fc3", "whole step",
                 "ReLU on (64, 6, 28, 28)", "max pool 2x2 on", "avg pool 2x2 on"):
        assert name in prof, name
    assert "ours alone" in prof     # the goal's layers in the step and alone, side by side
    for name in (r"ReLU on \(64, 6, 28, 28\)", "max pool 2x2 on", "avg pool 2x2 on"):
        assert re.search(rf"^{name}.*?\s{number}\s+{number}\s", prof, re.MULTILINE), name
    dlfs = section(standalone_output, "DLFS")
    assert "DLFS layer = Conv2D on every shape" in dlfs
    for name in ("CS231n 100x3x31x31", "LeNet conv2 64x6x14x14", "64x32x32x32"):
        assert re.search(rf"{name}.*\d\.\d\dx", dlfs), name
    assert re.search(rf"tour start.*{number}", section(standalone_output, "START"))
