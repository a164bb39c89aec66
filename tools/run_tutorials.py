"""Run the whole course: every tutorial and its solutions, in full, writing their figures.

    python tools/run_tutorials.py                 # full runs; figures in tutorials/out/
    python tools/run_tutorials.py --fast          # SCRATCHNET_FAST=1, as the tests run them
    python tools/run_tutorials.py 04 05 --out DIR # only tutorials whose names start so

Each script runs in its own Python process, one after the other, as a student would run it.
Prints one line per script with its time and status, and exits 1 if any failed.
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "tutorials"


def scripts(prefixes: list[str]) -> list[Path]:
    found = []
    for tutorial in sorted(TUTORIALS.glob("[0-9][0-9]_*.py")):
        if prefixes and not any(tutorial.name.startswith(p) for p in prefixes):
            continue
        found.append(tutorial)
        solution = TUTORIALS / "solutions" / tutorial.name
        if solution.is_file():
            found.append(solution)
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefixes", nargs="*", help="run only tutorials whose names start so")
    parser.add_argument("--fast", action="store_true", help="SCRATCHNET_FAST=1")
    parser.add_argument("--out", default=str(TUTORIALS / "out"), help="folder for figures")
    args = parser.parse_args(argv)
    env = dict(os.environ, SCRATCHNET_OUT=os.path.abspath(args.out))
    env.setdefault("MPLBACKEND", "Agg")
    # small matrix products: OpenBLAS's threads only wait for each other (as in the tests)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    if args.fast:
        env["SCRATCHNET_FAST"] = "1"
    failed = []
    todo = scripts(args.prefixes)
    if not todo:
        print(f"no tutorial starts with {args.prefixes}")
        return 2
    for path in todo:
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(path)], cwd=ROOT, env=env,
                                capture_output=True, text=True)
        seconds = time.perf_counter() - start
        status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
        print(f"{path.relative_to(ROOT)!s:50s} {seconds:7.1f} s  {status}", flush=True)
        if result.returncode != 0:
            failed.append(path)
            print(result.stdout[-2000:], result.stderr[-2000:], sep="\n")
    print(f"{len(todo) - len(failed)} of {len(todo)} scripts ran; figures in {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
