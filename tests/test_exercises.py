"""scratchnet.exercises: every skeleton fails its check as shipped, passes once the library's
backward is filled in, and a typical mistake planted in each is caught with a hint that names it.

The "filled in" code below is the math of the library's own backward (the formulas of
scratchnet/layers/*.py and scratchnet/kernels/*_reference.py), written into the skeleton's
"# ---- your code" block, as a student would.
"""
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scratchnet.exercises import EXERCISES, check_file, get_skeleton
from scratchnet.exercises.cli import main

START, END = "# ---- your code", "# ---- end of your code ----"

SOLUTIONS = {
    "dense": """
        dx = dy @ W.T
        dW = x.T @ dy
        db = dy.sum(axis=0)
    """,
    "relu": """
        dx = dy * (x > 0)
    """,
    "sigmoid": """
        dx = dy * y * (1 - y)
    """,
    "softmax_cross_entropy": """
        dz = (p - y) / N
    """,
    "conv2d": """
        dxp = np.zeros_like(xp)
        dW = np.zeros_like(Wt)
        db = dy.sum(axis=(0, 2, 3))
        for n in range(N):
            for o in range(O):
                for i in range(HO):
                    for j in range(WO):
                        window = xp[n, :, i * s:i * s + k, j * s:j * s + k]
                        dW[o] += dy[n, o, i, j] * window
                        dxp[n, :, i * s:i * s + k, j * s:j * s + k] += dy[n, o, i, j] * Wt[o]
    """,
    "maxpool2d": """
        dx = np.zeros_like(x)
        for n in range(N):
            for c in range(C):
                for i in range(HO):
                    for j in range(WO):
                        window = x[n, c, i * s:i * s + k, j * s:j * s + k]
                        u, v = np.unravel_index(np.argmax(window), window.shape)
                        dx[n, c, i * s + u, j * s + v] += dy[n, c, i, j]
    """,
    "batchnorm": """
        dbeta = dy.sum(axis=0)
        dgamma = (dy * xhat).sum(axis=0)
        dxhat = dy * gamma
        inv_std = 1 / np.sqrt(var + eps)
        dx = (inv_std / N) * (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    """,
    "rnn": """
        dx = np.zeros_like(x)
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(self.params["b"])
        dh_next = np.zeros_like(hs[0])
        for t in reversed(range(T)):
            da = (dy[:, t] + dh_next) * (1 - hs[t + 1] ** 2)
            dx[:, t] = da @ Wx.T
            dWx += x[:, t].T @ da
            dWh += hs[t].T @ da
            db += da.sum(axis=0)
            dh_next = da @ Wh.T
    """,
    "lstm": """
        dx = np.zeros_like(x)
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(self.params["b"])
        dh, dc = dy, np.zeros_like(dy)
        for t in reversed(range(T)):
            s = steps[t]
            i, f, g, o, c = s["i"], s["f"], s["g"], s["o"], s["c"]
            tc = np.tanh(c)
            dc = dc + dh * o * (1 - tc ** 2)
            da = np.concatenate([dc * g * i * (1 - i), dc * s["c_prev"] * f * (1 - f),
                                 dc * i * (1 - g ** 2), dh * tc * o * (1 - o)], axis=1)
            dx[:, t] = da @ Wx.T
            dWx += x[:, t].T @ da
            dWh += s["h_prev"].T @ da
            db += da.sum(axis=0)
            dh, dc = da @ Wh.T, dc * f
    """,
    "attention": """
        dV = A.transpose(0, 1, 3, 2) @ dO
        dA = dO @ V.transpose(0, 1, 3, 2)
        dS = A * (dA - (dA * A).sum(axis=-1, keepdims=True))
        dQ = dS @ K * scale
        dK = dS.transpose(0, 1, 3, 2) @ Q * scale
    """,
}

# name -> (code, the tensor the check must call wrong, words its hint must contain)
MISTAKES = {
    "dense": ("""
        dx = dy @ W.T
        dW = x.T @ dy
        db = dy.mean(axis=0)
    """, "grads['b']", "MEAN of dy over the batch"),
    "relu": ("""
        dy[x <= 0] = 0
        dx = dy
    """, "structural", "not dy[~mask] = 0"),
    "sigmoid": ("""
        dx = dy * x * (1 - x)
    """, "dx", "x * (1 - x) with x the INPUT"),
    "softmax_cross_entropy": ("""
        dz = p - y
    """, "dz", "you forgot the 1/N"),
    "conv2d": ("""
        dxp = np.zeros_like(xp)
        dW = np.zeros_like(Wt)
        db = dy.sum(axis=(0, 2, 3))
        for n in range(N):
            for o in range(O):
                for i in range(HO):
                    for j in range(WO):
                        window = xp[n, :, i * s:i * s + k, j * s:j * s + k]
                        dW[o] += dy[n, o, i, j] * window
                        dxp[n, :, i * s:i * s + k, j * s:j * s + k] = dy[n, o, i, j] * Wt[o]
    """, "dx", "the shares must ADD (+=, not =)"),
    "maxpool2d": ("""
        dx = np.zeros_like(x)
        for n in range(N):
            for c in range(C):
                for i in range(HO):
                    for j in range(WO):
                        window = x[n, c, i * s:i * s + k, j * s:j * s + k]
                        dx[n, c, i * s:i * s + k, j * s:j * s + k] += (
                            dy[n, c, i, j] * (window == window.max()))
    """, "dx", "you gave dy to EVERY element equal to the max"),
    "batchnorm": ("""
        dbeta = dy.sum(axis=0)
        dgamma = (dy * xhat).sum(axis=0)
        dx = dy * gamma / np.sqrt(var + eps)
    """, "dx", "the gradient with mu and var held constant"),
    "rnn": (SOLUTIONS["rnn"].replace("(dy[:, t] + dh_next)", "dy[:, t]"), "dx",
            "at step t you used only dy[:, t]"),
    "lstm": (SOLUTIONS["lstm"].replace("dh, dc = da @ Wh.T, dc * f", "dh, dc = da @ Wh.T, 0 * dc"),
             "dx", "you dropped the cell's path back"),
    "attention": (SOLUTIONS["attention"].replace(
        "dS = A * (dA - (dA * A).sum(axis=-1, keepdims=True))", "dS = A * dA"), "dx",
        "keeps only the diagonal of softmax's Jacobian"),
}

ROOT = Path(__file__).resolve().parents[1]
READY = [name for name, ex in EXERCISES.items() if ex.available]


def fill(path, code):
    """Replace the block between the skeleton's markers with `code` (indented to match)."""
    text = path.read_text()
    start = text.index(START)
    line_start = text.rindex("\n", 0, start) + 1
    indent = text[line_start:start]
    end = text.index(END)
    end_line = text.index("\n", end) + 1
    body = textwrap.indent(textwrap.dedent(code).strip("\n") + "\n", indent)
    path.write_text(text[:line_start] + body + text[end_line:])
    return path


def test_every_exercise_of_the_issue_is_registered():
    assert list(EXERCISES) == ["dense", "relu", "sigmoid", "softmax_cross_entropy", "conv2d",
                               "maxpool2d", "batchnorm", "rnn", "lstm", "attention"]
    assert set(SOLUTIONS) == set(MISTAKES) >= set(READY)


@pytest.mark.parametrize("name", READY)
def test_the_skeleton_fails_as_shipped(name, tmp_path):
    result = check_file(str(get_skeleton(name, tmp_path)))
    assert not result.passed, result.text
    assert "FAIL: exercise " + name in result.text
    assert "it is all zeros, as the skeleton ships it" in result.text


@pytest.mark.parametrize("name", READY)
def test_the_skeleton_passes_with_the_library_backward_filled_in(name, tmp_path):
    path = fill(Path(get_skeleton(name, tmp_path)), SOLUTIONS[name])
    result = check_file(str(path))
    assert result.passed, result.text
    assert f"PASS: exercise {name}" in result.text and result.wrong == []
    assert "DIFFERS" not in result.text


@pytest.mark.parametrize("name", READY)
def test_a_planted_typical_mistake_is_caught_with_its_hint(name, tmp_path):
    code, tensor, words = MISTAKES[name]
    path = fill(Path(get_skeleton(name, tmp_path)), code)
    result = check_file(str(path))
    assert not result.passed, result.text
    verdict = result.text[result.text.index("verdict, tensor by tensor:"):]
    if tensor == "structural":
        assert "structural check FAILS" in verdict
    else:
        assert re.search(rf"^  {re.escape(tensor)} .*WRONG", verdict, re.M), verdict
    assert words in verdict, verdict


def test_the_command_line(tmp_path, capsys):
    assert main(["list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == list(EXERCISES)
    assert all(len(line.split(None, 1)) == 2 for line in listed)     # a name, then what it teaches

    assert main(["get", "relu", str(tmp_path)]) == 0
    assert (tmp_path / "relu.py").read_text() == open(EXERCISES["relu"].skeleton).read()
    (tmp_path / "relu.py").write_text("# my work\n")
    with pytest.raises(SystemExit) as stop:                          # never overwrites ...
        main(["get", "relu", str(tmp_path)])
    assert stop.value.code == 2 and "exists already" in capsys.readouterr().err
    assert (tmp_path / "relu.py").read_text() == "# my work\n"
    assert main(["get", "relu", str(tmp_path), "--force"]) == 0      # ... unless told to
    assert "class ReLU" in (tmp_path / "relu.py").read_text()

    assert main(["check", str(tmp_path / "relu.py")]) == 1
    fill(tmp_path / "relu.py", SOLUTIONS["relu"])
    assert main(["check", str(tmp_path / "relu.py")]) == 0
    assert "PASS: exercise relu" in capsys.readouterr().out


def test_get_into_the_current_folder_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["get", "sigmoid"]) == 0
    assert (tmp_path / "sigmoid.py").exists()


@pytest.mark.parametrize("setup, message", [
    (lambda d: None, "no such file"),
    (lambda d: (d / "dense.py").write_text("x = (\n"), "SyntaxError"),
    (lambda d: (d / "dense.py").write_text("EXERCISE = 'dense'\n"), "has no class Dense"),
    (lambda d: (d / "dense.py").write_text("EXERCISE = 'nope'\n"), "is no exercise file"),
])
def test_check_of_a_file_it_cannot_use_is_one_line_and_exit_2(tmp_path, setup, message):
    setup(tmp_path)
    out = subprocess.run([sys.executable, "-m", "scratchnet.exercises", "check",
                          str(tmp_path / "dense.py")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, out.stdout + out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_get_of_an_unknown_exercise_is_exit_2(tmp_path):
    out = subprocess.run([sys.executable, "-m", "scratchnet.exercises", "get", "nope",
                          str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "no exercise 'nope'" in out.stderr
    assert "dense" in out.stderr


def test_a_backward_that_raises_is_a_failure_that_says_where(tmp_path):
    path = fill(Path(get_skeleton("dense", tmp_path)), """
        dx = dy @ W          # (N, M) @ (D, M): the shapes do not fit
        dW = x.T @ dy
        db = dy.sum(axis=0)
    """)
    out = subprocess.run([sys.executable, "-m", "scratchnet.exercises", "check", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "ValueError" in out.stdout and f"{path} line" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr


@pytest.mark.parametrize("name", READY)
def test_every_skeleton_is_short_and_says_where_the_derivation_starts(name):
    text = open(EXERCISES[name].skeleton).read()
    assert len(text.splitlines()) <= 90
    assert "Where the derivation starts" in text and f'EXERCISE = "{name}"' in text
    assert f"python -m scratchnet.exercises check {name}.py" in text
    assert text.count(START) == 1 and text.count(END) == 1
    ex = EXERCISES[name]
    for path in (ex.tutorial, ex.source):
        assert not path or (ROOT / path).exists(), path


@pytest.mark.parametrize("name", READY)
def test_the_course_map_names_the_exercise_in_its_tutorials_row(name):
    tutorial = Path(EXERCISES[name].tutorial).name
    rows = [line for line in (ROOT / "docs" / "COURSE.md").read_text().splitlines()
            if line.startswith("| ") and f"`{tutorial}`" in line]
    if not tutorial or not rows:
        pytest.skip(f"exercise {name}: its tutorial {tutorial or '(none yet)'} has no row in "
                    f"docs/COURSE.md yet")
    assert f"`{name}`" in rows[0], (name, tutorial)
