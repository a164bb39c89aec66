"""Run every tutorial as a script (fast mode) and check what it prints against its claims.

Each tutorial must have an entry in CLAIMS: a list of (regex, check). The regex is searched
line by line in the tutorial's output (re.MULTILINE); it must match, and check(match) must
return True. A new tutorial without claims fails here, so every tutorial says what it proves.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = sorted((ROOT / "tutorials").glob("*.py"))
TIMEOUT_S = 300


def present(match) -> bool:
    """The line exists: the regex matching is the whole claim."""
    return True


def below(limit):
    """Every number captured by the regex is below `limit`."""
    return lambda m: all(float(g) < limit for g in m.groups())


def file_exists(m) -> bool:
    return os.path.isfile(m[1])


def files_exist(m) -> bool:
    """'saved figures: a.png, b.png in FOLDER' -> every named file is in FOLDER."""
    return all(os.path.isfile(os.path.join(m[2], name)) for name in m[1].split(", "))


TOUR_PARAMS = (2 * 64 + 64) + (64 * 64 + 64) + (64 * 3 + 3)   # Dense(2,64), Dense(64,64), Dense(64,3)

CLAIMS = {
    "00_tour.py": [
        (r"^test accuracy: ([\d.]+)$", lambda m: float(m[1]) > 0.95),
        (r"^train accuracy: ([\d.]+)$", lambda m: float(m[1]) > 0.95),
        (r"^gradcheck: (\w+)$", lambda m: m[1] == "PASS"),
        (r"^PASS: \d+ tensors, max error", present),
        (r"^total params: ([\d,]+)$", lambda m: int(m[1].replace(",", "")) == TOUR_PARAMS),
        (r"^reloaded model predicts the same: (\w+)$", lambda m: m[1] == "True"),
        (r"^saved figure: (.+\.png)$", file_exists),
    ],
    "01_chain_rule.py": [
        (r"^total price: ([\d.]+)$", lambda m: abs(float(m[1]) - 715.0) < 1e-9),
        (r"^max \|analytic - numeric\| \(apples\): (\S+)$", below(1e-6)),
        (r"^max \|analytic - numeric\| \(shared x\): (\S+)$", below(1e-6)),
        (r"^gradcheck all passed: (\w+)$", lambda m: m[1] == "True"),
        (r"^saved figure: (.+\.png)$", file_exists),
    ],
    "02_linear_regression.py": [
        (r"^max difference from lstsq: hand (\S+)\s+fit (\S+)$", below(1e-6)),
        (r"^max difference hand vs fit: (\S+)$", below(1e-9)),
        (r"^saved figures: (.+) in (.+)$", files_exist),
    ],
    "03_gradient_descent_variants.py": [
        # the same epochs: SGD with batch 1 makes N = 100 times as many updates as full batch
        (r"^full batch\s+updates\s+(\d+).*\n.*\n^SGD \(batch 1\)\s+updates\s+(\d+)",
         lambda m: int(m[2]) == 100 * int(m[1])),
        (r"^lr 0\.1\s+\(good\): final loss / best: ([\d.]+)$", below(1.01)),
        (r"^lr 1\.0\s+\(too large\): diverged: the loss became", present),
        (r"^optimizer Adam\s+final loss: \S+\s+accuracy: ([\d.]+)$", lambda m: float(m[1]) > 0.95),
        (r"^Adam vs SGD final loss ratio: ([\d.]+)$", below(1.0)),
        (r"^path SGD lr 0\.3\s+distance to the best \(w, b\) after \d+ steps: (\S+)$", below(1e-3)),
        # every figure is on disk, not only announced
        (r"^saved figure: (.+03_batch_sizes\.png)$", file_exists),
        (r"^saved figure: (.+03_learning_rates\.png)$", file_exists),
        (r"^saved figure: (.+03_optimizers\.png)$", file_exists),
        (r"^saved figure: (.+03_optimizer_paths\.png)$", file_exists),
        (r"^lr 0\.001\s+\(too small\): final loss / best: ([\d.]+)$", lambda m: float(m[1]) > 2),
    ],
    "04_playground.py": [
        (r"^spirals 2x32-relu train accuracy: ([\d.]+)$", lambda m: float(m[1]) > 0.95),
        (r"^accuracy spirals\s+2x32-relu\s+train [\d.]+\s+test ([\d.]+)$",
         lambda m: float(m[1]) > 0.9),
        # straight lines cannot separate XOR or circles; one hidden layer of ReLUs can
        (r"^best linear accuracy on xor/circles: ([\d.]+)$", below(0.7)),
        (r"^worst ReLU-net accuracy on xor/circles: ([\d.]+)$", lambda m: float(m[1]) >= 0.95),
        # at the start the sigmoid net's first layer gets a smaller share of the gradient
        (r"^gradient ratio first/last layer, fresh 2x32-relu: ([\d.]+)\n"
         r"gradient ratio first/last layer, fresh 2x32-sigmoid: ([\d.]+)$",
         lambda m: float(m[2]) < float(m[1])),
        (r"^saved figure: (.+04_playground\.png)$", file_exists),
        (r"^saved figure: (.+04_gradient_flow_sigmoid\.png)$", file_exists),
    ],
    "05_cnn_lenet.py": [
        (r"^test accuracy: ([\d.]+)$", lambda m: float(m[1]) > 0.97),
        # the [-1, 1] filter marks the rectangle's left (+1) and right (-1) sides
        (r"^vertical edges found in columns: \[1, 4\]$", present),
        (r"^vertical-edge filter output shape: \(6, 5\)$", present),
        (r"^arithmetic table matches Conv2D: (\w+)$", lambda m: m[1] == "True"),
        # full padding p = K - 1 grows the output: 5 + 3 - 1 = 7, by formula and by Conv2D
        (r"^full padding\s+5\s+3\s+2\s+1\s+1\s+(\d+)\s+(\d+)$", lambda m: m[1] == m[2] == "7"),
        (r"^padding 1, stride 2, H=6 \(floor\)\s+6\s+3\s+1\s+2\s+1\s+(\d+)\s+(\d+)$",
         lambda m: m[1] == m[2] == "3"),
        (r"^conv1 feature maps shape: \(1, 6, 16, 16\)$", present),
        (r"^saved figures: (.+) in (.+)$", files_exist),
    ],
}


def run_tutorial(path: Path, out_dir: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, SCRATCHNET_FAST="1", MPLBACKEND="Agg", SCRATCHNET_OUT=str(out_dir))
    return subprocess.run([sys.executable, str(path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT_S)


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.name for p in TUTORIALS])
def test_tutorial_runs_and_keeps_its_claims(path, tmp_path):
    assert path.name in CLAIMS, (f"{path.name} has no entry in CLAIMS (tests/test_tutorials.py): "
                                 f"list the printed lines that prove what it teaches")
    result = run_tutorial(path, tmp_path)
    assert result.returncode == 0, (f"{path.name} exited with {result.returncode}\n"
                                    f"--- stdout ---\n{result.stdout[-3000:]}\n"
                                    f"--- stderr ---\n{result.stderr[-3000:]}")
    for regex, check in CLAIMS[path.name]:
        m = re.search(regex, result.stdout, re.MULTILINE)
        assert m, f"{path.name}: no line matches {regex!r}\n--- stdout ---\n{result.stdout[-3000:]}"
        assert check(m), f"{path.name}: the claim {regex!r} fails on the line {m[0]!r}"


def test_every_claim_belongs_to_a_tutorial():
    names = {p.name for p in TUTORIALS}
    assert TUTORIALS, "no tutorials found"
    assert set(CLAIMS) <= names, f"CLAIMS for missing tutorials: {sorted(set(CLAIMS) - names)}"
