"""python -m gradcheck: gradient-check every built-in layer and loss, or a layer of your own.

    python -m gradcheck                 all cases (gradcheck/catalog.py), random shapes, seed 0
    python -m gradcheck --seed 3        other random shapes and values
    python -m gradcheck -k Softmax      only cases whose name contains "Softmax"
    python -m gradcheck --list          list the cases, check nothing
    python -m gradcheck --verbose       the full report of every case after the table

Your own layer (see gradcheck/cli.py):

    python -m gradcheck path/to/file.py:ClassName --input-shape 4,3 [--args '[3, 2]']
                        [--kwargs '{"alpha": 0.1}'] [--int-input HIGH] [--eval]
                        [--against scratchnet.layers.Dense] [--seed N]
    python -m gradcheck package.module:ClassName ...

builds ClassName(*args, **kwargs), checks it at a random float64 input of that shape (or at
the class's example_input(); --int-input HIGH draws integer ids in [0, HIGH) instead, for an
embedding) and prints the same report as the built-ins. --against also compares forward and
backward with that library layer, built with the same arguments and given your parameters.

Exit status 1 if any case fails (or cannot be built), 0 otherwise. Skipped cases (layers with
differentiable = False) do not fail. Exit status 2, with a message, for bad arguments: a seed
that is not an integer >= 0, a -k that matches no case (a run that checks nothing must
not look like a pass), or a layer file that cannot be imported, a missing class, a class
that is not a layer.
"""
from __future__ import annotations

import argparse
import sys
import zlib

import numpy as np

from gradcheck.catalog import CASES
from gradcheck.checks import check_layer, check_loss
from gradcheck.cli import GLOSSARY, json_argument, run_user_layer, shape_argument


def run_case(case, seed: int):
    """Build and check one case: returns (shapes text, Report or None, error text)."""
    rng = np.random.default_rng([seed, zlib.crc32(case.name.encode())])   # stable under -k
    try:
        built = case.build(rng)
        if case.kind == "layer":
            layer, x = built
            return f"x {np.shape(x)}", check_layer(layer, x, seed=seed), ""
        loss, y_pred, y_true = built
        return f"{np.shape(y_pred)} vs {np.shape(y_true)}", check_loss(loss, y_pred, y_true), ""
    except Exception as exc:                 # report it as a failing row, keep going
        return "?", None, f"{type(exc).__name__}: {exc}"


def seed_argument(text: str) -> int:
    """argparse type of --seed: an integer >= 0 (NumPy's generators accept no negative seed)."""
    try:
        seed = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if seed < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {seed}")
    return seed


def positive_int_argument(text: str) -> int:
    """argparse type of --int-input: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def main(argv=None) -> int:
    """Run the cases chosen by argv; returns the exit status (argparse exits 2 on bad arguments)."""
    parser = argparse.ArgumentParser(
        prog="python -m gradcheck", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__.split("\n\nExit status")[0], epilog=GLOSSARY)
    parser.add_argument("target", nargs="?", metavar="FILE.py:ClassName",
                        help="check this layer instead of the built-ins (or package.module:ClassName)")
    parser.add_argument("--seed", type=seed_argument, default=0,
                        help="seed of shapes, values and g (an integer >= 0)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("-k", dest="pattern", default="", help="only cases whose name contains this")
    parser.add_argument("--verbose", action="store_true", help="print every full report")
    own = parser.add_argument_group("your own layer (with FILE.py:ClassName)")
    own.add_argument("--input-shape", type=shape_argument, metavar="4,3",
                     help="shape of the random float64 input x (else ClassName.example_input())")
    own.add_argument("--args", type=json_argument(list), metavar="JSON",
                     help="positional arguments of ClassName, a JSON list: '[3, 2]'")
    own.add_argument("--kwargs", type=json_argument(dict), metavar="JSON",
                     help="keyword arguments of ClassName, a JSON object: '{\"alpha\": 0.1}'")
    own.add_argument("--int-input", type=positive_int_argument, metavar="HIGH",
                     help="draw integer ids in [0, HIGH) of --input-shape (an embedding's input)")
    own.add_argument("--eval", action="store_true", help="check the layer in eval mode")
    own.add_argument("--against", metavar="scratchnet.layers.Dense",
                     help="also compare y, dx and grads with this library layer, built with the "
                          "same arguments and given your layer's parameters")
    args = parser.parse_args(argv)
    own_options = [o for o, v in (("--input-shape", args.input_shape), ("--args", args.args),
                                  ("--kwargs", args.kwargs), ("--int-input", args.int_input),
                                  ("--against", args.against), ("--eval", args.eval)) if v]
    if args.target is None and own_options:
        parser.error(f"{', '.join(own_options)} need a layer to check: "
                     f"python -m gradcheck FILE.py:ClassName {own_options[0]} ...")
    if args.target is not None:
        if args.pattern or args.list:
            parser.error("-k and --list choose among the built-in cases; they take no FILE.py:ClassName")
        if args.int_input is not None and args.input_shape is None:
            parser.error("--int-input HIGH needs --input-shape (the shape of the ids)")
        return run_user_layer(args)
    cases = [c for c in CASES if args.pattern.lower() in c.name.lower()]
    if not cases:
        names = "\n".join(f"  {c.name}" for c in CASES)
        parser.error(f"-k {args.pattern!r} matches no case, so nothing would be checked. "
                     f"The {len(CASES)} cases are:\n{names}")
    if args.list:
        print("\n".join(f"{c.kind:<6} {c.name}" for c in cases))
        return 0
    results = [(c, *run_case(c, args.seed)) for c in cases]
    print(_table(results))
    if args.verbose:
        for case, _, report, error in results:
            print(f"\n== {case.name}\n{report if report is not None else error}")
    failed = [c.name for c, _, report, error in results
              if error or (not report.passed and not report.skipped)]
    print(f"\n{len(results) - len(failed)} of {len(results)} cases pass or are skipped; "
          + (f"FAIL: {', '.join(failed)}" if failed else "no failures"))
    print("max err: the worst |analytic - numeric| / (|analytic| + |numeric|), passing at "
          "<= 1e-5; kinks: elements on a corner (ReLU at 0, a tie in a max), accepted when "
          "the analytic value lies between the one-sided differences. python -m gradcheck "
          "--help explains every word.")
    return 1 if failed else 0


def _table(results) -> str:
    cells = [("case", "kind", "shapes", "max err", "kinks", "status")]
    for case, shapes, report, error in results:
        if report is None:
            cells.append((case.name, case.kind, shapes, "-", "-", "ERROR  " + error[:60]))
        else:
            status = report.status if report.passed or report.skipped else "FAIL (--verbose)"
            cells.append((case.name, case.kind, shapes, "-" if report.skipped else
                          f"{report.max_err:.1e}", str(len(report.kinks)), status))
    widths = [max(len(row[k]) for row in cells) for k in range(len(cells[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)


if __name__ == "__main__":
    sys.exit(main())
