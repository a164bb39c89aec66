"""The command line of scratchnet.exercises: list, get, check (see the package docstring)."""
from __future__ import annotations

import argparse
import os
import shutil
import sys

from gradcheck.cli import GLOSSARY, LoadError
from scratchnet.exercises.registry import EXERCISES, get_exercise


def get_skeleton(name: str, folder: str = ".", force: bool = False) -> str:
    """Copy exercise `name`'s skeleton to folder/name.py and return that path.

    Never overwrites an existing file unless force=True (FileExistsError); KeyError for an
    unknown name."""
    ex = get_exercise(name)
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, f"{ex.name}.py")
    if os.path.exists(target) and not force:
        raise FileExistsError(f"{target} exists already; it may hold your work. Use --force to "
                              f"replace it with a fresh skeleton")
    shutil.copyfile(ex.skeleton, target)
    return target


def _list() -> int:
    width = max(len(n) for n in EXERCISES)
    for name, ex in EXERCISES.items():
        later = "" if ex.available else "  (not checkable yet: needs " + ex.library_name + ")"
        print(f"{name.ljust(width)}  {ex.teaches}{later}")
    return 0


def main(argv=None) -> int:
    """Run the command in argv; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m scratchnet.exercises", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Exercises: write a layer's backward yourself, then check it.\n\n"
                    "  list               one exercise per line: its name, what it teaches\n"
                    "  get NAME [DIR]     copy the skeleton to DIR/NAME.py (DIR: the current "
                    "folder)\n"
                    "  check FILE         gradcheck it and compare it with the library's layer; "
                    "exit 0 when\n"
                    "                     everything is right, 1 otherwise",
        epilog="A session: python -m scratchnet.exercises get dense; edit dense.py's backward; "
               "python -m scratchnet.exercises check dense.py\n\n" + GLOSSARY)
    sub = parser.add_subparsers(dest="command", metavar="{list,get,check}")
    sub.required = True
    sub.add_parser("list", help="list the exercises")
    get = sub.add_parser("get", help="copy a skeleton to DIR/NAME.py")
    get.add_argument("name", metavar="NAME", help="the exercise (see list)")
    get.add_argument("folder", nargs="?", default=".", metavar="DIR",
                     help="where to put it (default: the current folder)")
    get.add_argument("--force", action="store_true", help="replace an existing file")
    check = sub.add_parser("check", help="check your file")
    check.add_argument("file", metavar="FILE", help="your copy of a skeleton, e.g. dense.py")
    check.add_argument("--seed", type=int, default=0, help="seed of parameters, input and g")
    args = parser.parse_args(argv)
    if args.command == "list":
        return _list()
    if args.command == "get":
        try:
            path = get_skeleton(args.name, args.folder, args.force)
        except KeyError as exc:
            parser.exit(2, f"{parser.prog} get: error: {exc.args[0]}\n")
        except OSError as exc:
            parser.exit(2, f"{parser.prog} get: error: {exc}\n")
        print(f"wrote {path}: fill in {get_exercise(args.name).class_name}.backward, then run\n"
              f"    python -m scratchnet.exercises check {path}")
        return 0
    from scratchnet.exercises.checker import check_file
    if args.seed < 0:
        parser.exit(2, f"{parser.prog} check: error: expected --seed >= 0, got {args.seed}\n")
    try:
        result = check_file(args.file, seed=args.seed)
    except LoadError as exc:
        parser.exit(2, f"{parser.prog} check: error: {exc}\n")
    print(result.text)
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
