"""Benchmarks for issue 12: MultiHeadSelfAttention and TransformerEncoderBlock forward+backward,
ours beside PyTorch CPU, each library in its own process.

    python benchmarks/bench_attention.py            # ours and torch (a minute or two)
    python benchmarks/bench_attention.py --quick    # tiny batch, ours only, one process

Each library runs as its users run it: in a fresh Python process of its own (this script
with --child ours / --child torch), float32, with the same number of threads (2 unless
--threads), so that neither library's thread pool or allocator state touches the other's
timings. Each child prints the median of its timed calls per case; the parent runs the two
children in turns, `--rounds` times (the order swapped every round, to spread the machine's
background load over both), and reports the median over rounds and ours / torch. Beside the
medians it reports each library's fastest call (the median over rounds of each process's
fastest): on a shared machine other processes can inflate the medians several times over,
and the fastest calls are the ones they touched least.

The cases, (N, T, d_model, heads) = (32, 64, 128, 4) unless --quick:
  MHSA fwd+bwd                 ours: MultiHeadSelfAttention forward + backward (it always keeps
                               the per-head attention weights). torch: nn.MultiheadAttention
                               (batch_first) + autograd, twice: with need_weights=True,
                               average_attn_weights=False (the same work: per-head weights
                               returned) and with need_weights=False (torch's fused
                               scaled_dot_product_attention, nothing returned but the output)
  MHSA fwd+bwd, causal         the same with the causal mask (torch: is_causal with a mask)
  encoder block fwd+bwd        TransformerEncoderBlock(d, heads, 4 d, dropout 0.1), train mode,
                               post-norm; torch: nn.TransformerEncoderLayer, same settings
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
from _timing import machine_lines, ratio, table  # noqa: E402
import _timing  # noqa: E402

OURS = ("mhsa", "mhsa_causal", "block")
TORCH = ("mhsa_weights", "mhsa_fused", "mhsa_causal_weights", "mhsa_causal_fused", "block")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny shapes, 2 repeats, ours only, "
                                                        "no subprocesses")
    p.add_argument("--no-torch", action="store_true", help="leave torch out even if installed")
    p.add_argument("--threads", type=int, default=2, help="threads for each library (2)")
    p.add_argument("--repeats", type=int, default=None, help="timed calls per case (default 40)")
    p.add_argument("--rounds", type=int, default=None, help="processes per library, in turns (3)")
    p.add_argument("--child", choices=["ours", "torch"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.repeats = args.repeats or (2 if args.quick else 40)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.warmup = 1 if args.quick else 5
    args.shape = (2, 8, 16, 4) if args.quick else (32, 64, 128, 4)     # N, T, d_model, heads
    return args


def data(args):
    """The same float32 input and upstream gradient for both libraries."""
    N, T, d, _ = args.shape
    rng = np.random.default_rng(0)
    return (rng.standard_normal((N, T, d), dtype=np.float32),
            rng.standard_normal((N, T, d), dtype=np.float32))


# ----- ours ---------------------------------------------------------------------------------------
def our_functions(args) -> dict:
    """case -> a function doing one forward + backward with scratchnet."""
    import scratchnet  # first: it sets numba's threading layer before numba starts
    from scratchnet.layers import MultiHeadSelfAttention, TransformerEncoderBlock

    scratchnet.set_default_dtype(np.float32)
    N, T, d, h = args.shape
    x, dy = data(args)

    def fwd_bwd(layer):
        def run():
            layer.forward(x)
            layer.backward(dy)
        return run

    return {"mhsa": fwd_bwd(MultiHeadSelfAttention(d, h, rng=0)),
            "mhsa_causal": fwd_bwd(MultiHeadSelfAttention(d, h, causal=True, rng=0)),
            "block": fwd_bwd(TransformerEncoderBlock(d, h, 4 * d, dropout=0.1, rng=0))}


# ----- torch --------------------------------------------------------------------------------------
def torch_functions(args) -> dict:
    """The same work through torch (CPU, autograd)."""
    import torch
    torch.set_num_threads(args.threads)
    N, T, d, h = args.shape
    x, dy = (torch.from_numpy(a) for a in data(args))
    x = x.clone().requires_grad_()
    mha = torch.nn.MultiheadAttention(d, h, batch_first=True)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(T)     # -inf above diagonal
    block = torch.nn.TransformerEncoderLayer(d, h, 4 * d, dropout=0.1, batch_first=True).train()

    def attention(weights: bool, is_causal: bool):
        def run():
            x.grad = None
            mha.zero_grad(set_to_none=True)
            y, _ = mha(x, x, x, need_weights=weights, average_attn_weights=False,
                       attn_mask=causal if is_causal else None, is_causal=is_causal)
            y.backward(dy)
        return run

    def encoder():
        x.grad = None
        block.zero_grad(set_to_none=True)
        block(x).backward(dy)

    return {"mhsa_weights": attention(True, False), "mhsa_fused": attention(False, False),
            "mhsa_causal_weights": attention(True, True),
            "mhsa_causal_fused": attention(False, True), "block": encoder}


def median_and_best_ms(fn, repeats: int, warmup: int) -> tuple[float, float]:
    """(median, fastest) ms of `repeats` calls after `warmup` untimed ones. The median is the
    figure of the other benchmarks (_timing.paired_median_ms); the fastest call is the one
    least touched by other processes, which on a shared, busy machine can inflate the median
    of either library several times over."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times), 1e3 * min(times)


def time_all(fns: dict, args) -> dict:
    """case -> median ms of `repeats` calls after `warmup` untimed ones, and "case best" ->
    the fastest of those calls."""
    out = {}
    for k, fn in fns.items():
        out[k], out[k + " best"] = median_and_best_ms(fn, args.repeats, args.warmup)
    return out


def child(args) -> None:
    fns = our_functions(args) if args.child == "ours" else torch_functions(args)
    print(json.dumps(time_all(fns, args)))


def run_child(args, which: str) -> dict:
    return _timing.run_child(__file__, which, args.threads, args.repeats)


def torch_available(args) -> str | None:
    return _timing.torch_version(args.quick or args.no_torch)


def rows_of(args, ours: dict, theirs: dict) -> list:
    """One row per case: ours and torch's median and fastest call, and the two ratios."""
    N, T, d, h = args.shape
    shape = f"({N}, {T}, {d}), {h} heads"
    cases = []
    for case, label in (("mhsa", "MHSA fwd+bwd"), ("mhsa_causal", "MHSA fwd+bwd, causal")):
        for kind, what in (("weights", "torch returns per-head weights"),
                           ("fused", "torch fused, need_weights=False")):
            cases.append((f"{label} {shape}", what, case, f"{case}_{kind}"))
    cases.append((f"encoder block fwd+bwd {shape}, d_ff {4 * d}", "dropout 0.1, train mode",
                  "block", "block"))
    rows = []
    for label, what, mine, their in cases:
        o, t = ours[mine], theirs.get(their)
        ob, tb = ours[mine + " best"], theirs.get(their + " best")
        rows.append([label, what, o, t, ratio(o, t), ob, tb, ratio(ob, tb)])
    return rows


HEADERS = ["case (float32)", "torch's call", "ours ms", "torch ms", "ours/torch", "ours best",
           "torch best", "best/best"]


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.child:
        return child(args)
    import scratchnet  # noqa: F401  (sets numba's threading layer before machine_lines asks)
    version = torch_available(args)
    print("\n".join(machine_lines()))
    print(f"torch {version}, {args.threads} threads, in its own process" if version
          else "torch: not used (not installed, --quick or --no-torch): no ratios")
    if args.quick:
        ours = time_all(our_functions(args), args)
        print(f"median of {args.repeats} calls, in this process\n")
        print("== ATTENTION ==")
        print(table(HEADERS, rows_of(args, ours, {})))
        return
    print(f"float32, {args.threads} threads each; every figure is the median over {args.rounds} "
          f"processes of each one's median of {args.repeats} calls ({args.warmup} warm-up)\n")
    runs = {"ours": [], "torch": []}
    for r in range(args.rounds):
        for which in (["ours", "torch"] if r % 2 == 0 else ["torch", "ours"]):
            if which == "torch" and not version:
                continue
            runs[which].append(run_child(args, which))
    med = {who: {k: statistics.median(run[k] for run in got) for k in got[0]}
           for who, got in runs.items() if got}
    print("== ATTENTION ==")
    print(table(HEADERS, rows_of(args, med["ours"], med.get("torch", {}))))
    print("\nper process (ms):")
    for who, got in runs.items():
        for k in (OURS if who == "ours" else TORCH):
            values = [f"{run[k]:.2f} (best {run[k + ' best']:.2f})" for run in got]
            if values:
                print(f"  {who:<6} {k:<20} {'  '.join(values)}")


if __name__ == "__main__":
    main()
