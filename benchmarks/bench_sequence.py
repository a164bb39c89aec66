"""Benchmarks for issue 12: SimpleRNN, LSTM and GRU forward+backward (backprop through time),
ours beside PyTorch CPU, each library in its own process.

    python benchmarks/bench_sequence.py            # ours and torch (a minute or so)
    python benchmarks/bench_sequence.py --quick    # tiny batch, ours only, one process

Each library runs in a fresh Python process of its own (this script with --child ours /
--child torch), float32, with the same number of threads (2 unless --threads; the BLAS and
OpenMP variables are set to it). Each child prints the median of its timed calls per case;
the parent runs the children in turns, `--rounds` times (the order swapped every round), and
reports the median over rounds and ours / torch.

The cases, all (N, T, n_in, H) = (64, 32, 64, 128) with return_sequences (torch: batch_first,
one layer, autograd, backward of the whole output sequence with a random dy):
  LSTM fwd+bwd, SimpleRNN fwd+bwd (tanh), GRU fwd+bwd, and LSTM forward alone.
A second table ("where the time goes", ours only, in the ours child) splits our LSTM's
forward+backward into the input projection, the forward loop, the backward loop and the
products after it, and shows the same run without the one-BLAS-thread loop
(scratchnet/layers/recurrent.py explains it).
Nothing here is a test: the figures are for benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import machine_lines, paired_median_ms, ratio, table  # noqa: E402
import _timing  # noqa: E402

CASES = ("lstm", "rnn", "gru", "lstm_forward")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="batch 4, 2 repeats, ours only, no subprocesses")
    p.add_argument("--no-torch", action="store_true", help="leave torch out even if installed")
    p.add_argument("--threads", type=int, default=2, help="threads for each library (2)")
    p.add_argument("--repeats", type=int, default=None, help="timed calls per case (default 40)")
    p.add_argument("--rounds", type=int, default=None, help="processes per library, in turns (3)")
    p.add_argument("--child", choices=["ours", "torch"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.repeats = args.repeats or (2 if args.quick else 40)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.warmup = 1 if args.quick else 5
    args.shape = (4, 6, 8, 16) if args.quick else (64, 32, 64, 128)
    return args


def names(args) -> dict:
    s = "(N, T, n_in, H) = (%d, %d, %d, %d)" % args.shape
    return {"lstm": f"LSTM fwd+bwd {s}", "rnn": f"SimpleRNN fwd+bwd {s}",
            "gru": f"GRU fwd+bwd {s}", "lstm_forward": f"LSTM forward {s}"}


def data(args):
    """The same float32 input and upstream gradient for both libraries."""
    N, T, D, H = args.shape
    rng = np.random.default_rng(0)
    return (rng.standard_normal((N, T, D), dtype=np.float32),
            rng.standard_normal((N, T, H), dtype=np.float32))


# ----- ours ----------------------------------------------------------------------------------------
def our_layers(args) -> dict:
    import scratchnet
    from scratchnet.layers import GRU, LSTM, SimpleRNN
    scratchnet.set_default_dtype(np.float32)
    _, _, D, H = args.shape
    return {"lstm": LSTM(D, H, return_sequences=True, rng=0),
            "rnn": SimpleRNN(D, H, return_sequences=True, rng=0),
            "gru": GRU(D, H, return_sequences=True, rng=0)}


def our_functions(args) -> dict:
    """case -> a function doing one forward+backward (or one forward) with scratchnet."""
    x, dy = data(args)
    layers = our_layers(args)

    def fwd_bwd(layer):
        def run():
            layer.forward(x)
            layer.backward(dy)
        return run

    fns = {k: fwd_bwd(layers[k]) for k in ("lstm", "rnn", "gru")}
    fns["lstm_forward"] = lambda: layers["lstm"].forward(x)
    return fns


def our_breakdown(args) -> dict:
    """Where our LSTM's forward+backward time goes: medians in ms of its parts, run as
    LSTM.forward and LSTM.backward run them."""
    from scratchnet.layers import recurrent
    x, dy = data(args)
    lstm = our_layers(args)["lstm"]
    N, T, D, H = args.shape
    Wx, b = lstm.params["Wx"], lstm.params["b"]
    xt = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(T * N, D)
    xp = (xt @ Wx).reshape(T, N, -1) + b
    lstm.forward(x)
    cache = lstm.load_cache()
    dys = dy.transpose(1, 0, 2)
    da, _, _ = lstm._loop_back(cache, dy, dys)
    da2, hprev = da.reshape(T * N, -1), cache["hs"][:-1].reshape(T * N, H)
    macs = N * lstm.params["Wh"].size

    def loop():
        with recurrent._one_blas_thread(macs):
            lstm._loop(xp, None)

    def loop_back():
        with recurrent._one_blas_thread(macs):
            lstm._loop_back(cache, dy, dys)

    def products_after():
        xt.T @ da2
        hprev.T @ da2
        da2.sum(axis=0)
        da2 @ Wx.T

    def whole_without_one_thread():
        saved = recurrent.SERIAL_STEP_MACS
        recurrent.SERIAL_STEP_MACS = -1
        try:
            lstm.forward(x)
            lstm.backward(dy)
        finally:
            recurrent.SERIAL_STEP_MACS = saved

    parts = {"input projection x Wx + b (one product)": lambda: (xt @ Wx).reshape(T, N, -1) + b,
             "forward loop (T steps)": loop, "backward loop (T steps)": loop_back,
             "products after the loop (dWx, dWh, db, dx)": products_after,
             "whole fwd+bwd, loop on every BLAS thread": whole_without_one_thread}
    return {k: paired_median_ms([fn], args.repeats, args.warmup, rounds=1)[0]
            for k, fn in parts.items()}


# ----- torch ---------------------------------------------------------------------------------------
def torch_functions(args) -> dict:
    """The same work through torch (CPU, autograd)."""
    import torch
    torch.set_num_threads(args.threads)
    _, _, D, H = args.shape
    x, dy = (torch.from_numpy(a) for a in data(args))
    torch.manual_seed(0)
    mods = {"lstm": torch.nn.LSTM(D, H, batch_first=True),
            "rnn": torch.nn.RNN(D, H, batch_first=True),
            "gru": torch.nn.GRU(D, H, batch_first=True)}
    xg = x.clone().requires_grad_()

    def fwd_bwd(mod):
        def run():
            xg.grad = None
            mod.zero_grad(set_to_none=True)
            out, _ = mod(xg)
            out.backward(dy)
        return run

    fns = {k: fwd_bwd(m) for k, m in mods.items()}

    def lstm_forward():                 # autograd on, as ours keeps a cache for backward
        mods["lstm"](xg)
    fns["lstm_forward"] = lstm_forward
    return fns


def time_all(fns: dict, args) -> dict:
    """case -> median ms of `repeats` calls after `warmup` untimed ones."""
    return {k: paired_median_ms([fn], args.repeats, args.warmup, rounds=1)[0] for k, fn in fns.items()}


def child(args) -> None:
    if args.child == "ours":
        result = {"times": time_all(our_functions(args), args), "parts": our_breakdown(args)}
    else:
        result = {"times": time_all(torch_functions(args), args)}
    print(json.dumps(result))


def run_child(args, which: str) -> dict:
    return _timing.run_child(__file__, which, args.threads, args.repeats)


def torch_available(args) -> str | None:
    return _timing.torch_version(args.quick or args.no_torch)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.child:
        return child(args)
    import scratchnet  # noqa: F401  (sets numba's threading layer before machine_lines asks)
    version = torch_available(args)
    print("\n".join(machine_lines()))
    print(f"torch {version}, {args.threads} threads, in its own process" if version
          else "torch: not used (not installed, --quick or --no-torch): no ratios")
    label = names(args)
    start = time.perf_counter()
    if args.quick:
        ours, parts = time_all(our_functions(args), args), our_breakdown(args)
        med, theirs = ours, {}
        print(f"shapes as named, median of {args.repeats} calls, in this process\n")
    else:
        print(f"float32, {args.threads} threads each; every figure is the median over "
              f"{args.rounds} processes of each one's median of {args.repeats} calls "
              f"({args.warmup} warm-up)\n")
        runs = {"ours": [], "torch": []}
        for r in range(args.rounds):
            for which in (["ours", "torch"] if r % 2 == 0 else ["torch", "ours"]):
                if which == "torch" and not version:
                    continue
                runs[which].append(run_child(args, which))
        med = {k: statistics.median(run["times"][k] for run in runs["ours"]) for k in CASES}
        theirs = ({k: statistics.median(run["times"][k] for run in runs["torch"]) for k in CASES}
                  if runs["torch"] else {})
        parts = {k: statistics.median(run["parts"][k] for run in runs["ours"])
                 for k in runs["ours"][0]["parts"]}
    rows = [[label[k], med[k], theirs.get(k), ratio(med[k], theirs.get(k))] for k in CASES]
    print("== SEQUENCE ==")
    print(table(["case (float32, return_sequences)", "ours ms", "torch ms", "ours/torch"], rows))
    print("\n== WHERE OUR LSTM'S TIME GOES ==")
    print(table(["part of LSTM fwd+bwd (ours)", "ms"], [[k, v] for k, v in parts.items()]))
    if not args.quick:
        print("\nper process (ms):")
        for who, got in runs.items():
            for k in CASES:
                values = [f"{run['times'][k]:.2f}" for run in got]
                if values:
                    print(f"  {who:<6} {label[k]:<52} {' '.join(values)}")
    print(f"\nbenchmark took {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
