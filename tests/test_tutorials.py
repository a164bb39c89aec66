"""Every tutorial is a lesson (DEVELOPERS.md, "The lesson standard"); these tests hold it there.

- It runs as a script in fast mode and prints what it claims. Each tutorial has a claims file,
  tests/tutorial_claims/NN_name.py, with CLAIMS: a list of (regex, check). The regex is
  searched in the output (re.MULTILINE); it must match, and check(match) must return True.
- Every figure it saves meets the figure standard (scratchnet.plot.figure_problems): the run
  sets SCRATCHNET_FIGURE_AUDIT, so lesson.save / save_figure write a record beside each picture,
  and a picture saved any other way has no record and fails.
- Its text opens with what the student will be able to do, names source files that exist, and
  ends with two or three exercises whose solution file (tutorials/solutions/NN_name.py) passes.
- It does not force a matplotlib backend, so that a notebook shows its figures inline.
"""
import json
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = sorted((ROOT / "tutorials").glob("[0-9][0-9]_*.py"))
SOLUTIONS = ROOT / "tutorials" / "solutions"
CLAIMS_DIR = Path(__file__).resolve().parent / "tutorial_claims"
TIMEOUT_S = 300
FIGURE_EXTS = (".png", ".svg", ".pdf", ".jpg")



# ----- checks that a claims file may use -------------------------------------------------------
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


CHECKS = {"present": present, "below": below, "file_exists": file_exists,
          "files_exist": files_exist}


def claims_of(path: Path) -> list:
    claims_file = CLAIMS_DIR / path.name
    assert claims_file.is_file(), (f"{path.name} has no claims file {claims_file.relative_to(ROOT)}: "
                                   f"list the printed lines that prove what it teaches")
    return runpy.run_path(str(claims_file), init_globals=CHECKS)["CLAIMS"]


def run_script(path: Path, out_dir: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, SCRATCHNET_FAST="1", MPLBACKEND="Agg", SCRATCHNET_OUT=str(out_dir),
               SCRATCHNET_FIGURE_AUDIT="1")
    # The tutorials multiply small matrices, where OpenBLAS's threads only wait for each
    # other (10x slower on a busy 2-core machine); one thread each, unless the caller says.
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return subprocess.run([sys.executable, str(path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT_S)


def failure(path: Path, result) -> str:
    return (f"{path.name} exited with {result.returncode}\n--- stdout ---\n{result.stdout[-3000:]}"
            f"\n--- stderr ---\n{result.stderr[-3000:]}")


def figure_problems_in(out_dir: Path) -> list[str]:
    """Problems of every figure in out_dir, and every figure saved without an audit record."""
    problems = []
    for picture in sorted(p for p in out_dir.rglob("*") if p.suffix.lower() in FIGURE_EXTS):
        record = picture.with_name(picture.name + ".audit.json")
        if not record.is_file():
            problems.append(f"{picture.name}: saved without scratchnet.lesson.save / "
                            f"plot.save_figure, so it was never checked")
            continue
        problems += [f"{picture.name}: {p}" for p in json.loads(record.read_text())["problems"]]
    return problems


# ----- the tests -------------------------------------------------------------------------------
@pytest.mark.parametrize("path", TUTORIALS, ids=[p.name for p in TUTORIALS])
def test_tutorial_runs_and_keeps_its_claims(path, tmp_path):
    claims = claims_of(path)
    result = run_script(path, tmp_path)
    assert result.returncode == 0, failure(path, result)
    for regex, check in claims:
        m = re.search(regex, result.stdout, re.MULTILINE)
        assert m, f"{path.name}: no line matches {regex!r}\n--- stdout ---\n{result.stdout[-3000:]}"
        assert check(m), f"{path.name}: the claim {regex!r} fails on the line {m[0]!r}"
    problems = figure_problems_in(tmp_path)
    assert not problems, f"{path.name}: figures below the standard:\n" + "\n".join(problems)


def exercise_numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"^# ### Exercise (\d+)\b", text, re.MULTILINE)]


def lesson_problems(path: Path) -> list[str]:
    """What keeps the tutorial's text from the lesson standard (the run is tested above)."""
    text = path.read_text()
    problems = []
    opening = text.split("\n# %%\n", 1)[0]
    if "After this lesson you can" not in opening:
        problems.append("the first cell does not say what the student will be able to do "
                        "('After this lesson you can')")
    sources = set(re.findall(r"\b((?:scratchnet|gradcheck)/[\w/]+\.py)\b", text))
    if not sources:
        problems.append("names no source file to read (scratchnet/... or gradcheck/...)")
    problems += [f"names {s}, which does not exist" for s in sorted(sources)
                 if not (ROOT / s).is_file()]
    numbers = exercise_numbers(text)
    if not 2 <= len(numbers) <= 3 or numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"expected two or three exercises '# ### Exercise 1', '# ### Exercise 2'"
                        f"..., found {numbers}")
    if not (SOLUTIONS / path.name).is_file():
        problems.append(f"has no solution file tutorials/solutions/{path.name}")
    if re.search(r"matplotlib\.use\(|^\s*%matplotlib", text, re.MULTILINE):
        problems.append("forces a matplotlib backend (a notebook would show no figures)")
    return problems


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.name for p in TUTORIALS])
def test_tutorial_meets_the_lesson_standard(path):
    problems = lesson_problems(path)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.name for p in TUTORIALS])
def test_solutions_pass_their_checks(path, tmp_path):
    solution = SOLUTIONS / path.name
    result = run_script(solution, tmp_path)
    assert result.returncode == 0, failure(solution, result)
    for n in exercise_numbers(path.read_text()):
        assert re.search(rf"^exercise {n}: .*: PASS$", result.stdout, re.MULTILINE), (
            f"{solution.name}: no 'exercise {n}: ...: PASS' line\n{result.stdout[-3000:]}")
    problems = figure_problems_in(tmp_path)
    assert not problems, f"{solution.name}: figures below the standard:\n" + "\n".join(problems)


def test_every_claims_file_belongs_to_a_tutorial():
    names = {p.name for p in TUTORIALS}
    assert TUTORIALS, "no tutorials found"
    claims = {p.name for p in CLAIMS_DIR.glob("*.py")}
    assert claims <= names, f"claims for missing tutorials: {sorted(claims - names)}"
    solutions = {p.name for p in SOLUTIONS.glob("*.py")}
    assert solutions <= names, f"solutions for missing tutorials: {sorted(solutions - names)}"


def test_one_command_runs_the_course_and_writes_its_figures(tmp_path):
    """tools/run_tutorials.py (here on one lesson, fast): tutorial and solution, figures out."""
    env = dict(os.environ, MPLBACKEND="Agg", OPENBLAS_NUM_THREADS="1")
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "run_tutorials.py"), "04",
                             "--fast", "--out", str(tmp_path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 of 2 scripts ran" in result.stdout
    assert list(tmp_path.glob("04_*.png")), sorted(p.name for p in tmp_path.iterdir())
    missing = subprocess.run([sys.executable, str(ROOT / "tools" / "run_tutorials.py"), "99"],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no tutorial starts with" in missing.stdout
