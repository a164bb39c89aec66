"""Benchmarks for issue 11: BatchNorm2D forward+backward, one training step of a small ResNet,
and Dropout forward+backward, ours beside PyTorch CPU, each library in its own process.

    python benchmarks/bench_regularization.py            # ours and torch (a minute or two)
    python benchmarks/bench_regularization.py --quick    # tiny batch, ours only, one process

Each library runs as its users run it: in a fresh Python process of its own (this script
with --child ours / --child torch), float32, with the same number of threads (2 unless
--threads), so that neither library's thread pool or memory allocator state touches the
other's timings. Each child prints the median of its timed calls per case; the parent runs
the two children in turns, `--rounds` times (the order swapped every round, to spread the
machine's background load over both), and reports the median over rounds and ours / torch.

A third process runs ours with glibc told to keep freed memory (MALLOC_MMAP_THRESHOLD_ and
MALLOC_TRIM_THRESHOLD_ set large): NumPy hands back large arrays to the OS when they are
freed, and the next array of that size then pays a page fault per 4 KB page when first
written. That row measures what those faults cost; it is not how users run scratchnet.

The cases:
  BatchNorm2D fwd+bwd (64, 32, 32, 32)   layer forward + backward, train mode (torch:
                                         nn.BatchNorm2d and autograd); and ours on the
                                         NumPy reference kernel, for the fused kernel's gain
  ResNet step (64, 3, 32, 32)            conv 3->16 3x3 pad 1, BN, ReLU; two residual blocks
                                         (conv-BN-ReLU-conv-BN + identity, then ReLU);
                                         global average pooling; Dense 16 -> 10; cross-entropy
                                         from logits; backward; one SGD step
  Dropout fwd+bwd (128, 1024)            p = 0.5, train mode
Nothing here is a test: the figures are for benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import machine_lines, paired_median_ms, ratio, table  # noqa: E402
import _timing  # noqa: E402

CASES = ("bn", "bn_reference", "resnet", "dropout")
KEEP_MEMORY = {"MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 31)}


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
    args.bn_batch = args.resnet_batch = 4 if args.quick else 64
    args.dropout_batch = 4 if args.quick else 128
    return args


def names(args) -> dict:
    return {"bn": f"BatchNorm2D fwd+bwd ({args.bn_batch}, 32, 32, 32)",
            "bn_reference": f"BatchNorm2D fwd+bwd ({args.bn_batch}, 32, 32, 32), reference kernel",
            "resnet": f"ResNet step ({args.resnet_batch}, 3, 32, 32)",
            "dropout": f"Dropout fwd+bwd ({args.dropout_batch}, 1024)"}


def data(args):
    """The same float32 inputs and upstream gradients for both libraries."""
    rng = np.random.default_rng(0)
    f32 = lambda *shape: rng.standard_normal(shape, dtype=np.float32)     # noqa: E731
    return {"bn": (f32(args.bn_batch, 32, 32, 32), f32(args.bn_batch, 32, 32, 32)),
            "resnet": (f32(args.resnet_batch, 3, 32, 32),
                       rng.integers(0, 10, size=args.resnet_batch)),
            "dropout": (f32(args.dropout_batch, 1024), f32(args.dropout_batch, 1024))}


# ----- ours ----------------------------------------------------------------------------------------
def our_functions(args) -> dict:
    """case -> a function doing one forward+backward (or one training step) with scratchnet."""
    import scratchnet  # first: it sets numba's threading layer before numba starts
    import numba
    from scratchnet import Sequential
    from scratchnet.layers import (BatchNorm2D, Conv2D, Dense, Dropout, GlobalAvgPool2D, ReLU,
                                   Residual)
    from scratchnet.losses import CategoricalCrossEntropy
    from scratchnet.optimizers import SGD

    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    scratchnet.set_default_dtype(np.float32)
    d = data(args)

    def fwd_bwd(layer, x, dy):
        def run():
            layer.forward(x)
            layer.backward(dy)
        return run

    def block(seed):
        return Residual(Sequential([Conv2D(16, 16, 3, padding=1, rng=seed), BatchNorm2D(16), ReLU(),
                                    Conv2D(16, 16, 3, padding=1, rng=seed + 1), BatchNorm2D(16)]))

    model = Sequential([Conv2D(3, 16, 3, padding=1, rng=0), BatchNorm2D(16), ReLU(),
                        block(1), ReLU(), block(3), ReLU(), GlobalAvgPool2D(), Dense(16, 10, rng=5)])
    loss, opt = CategoricalCrossEntropy(from_logits=True), SGD(lr=0.01)
    x, y = d["resnet"]

    def step():
        loss.forward(model.forward(x), y)
        model.backward(loss.backward())
        opt.step(model)

    return {"bn": fwd_bwd(BatchNorm2D(32, backend="numba"), *d["bn"]),
            "bn_reference": fwd_bwd(BatchNorm2D(32, backend="reference"), *d["bn"]),
            "resnet": step,
            "dropout": fwd_bwd(Dropout(0.5, rng=0), *d["dropout"])}


# ----- torch ---------------------------------------------------------------------------------------
def torch_functions(args) -> dict:
    """The same work through torch (CPU, autograd)."""
    import torch
    torch.set_num_threads(args.threads)
    nn, F = torch.nn, torch.nn.functional
    d = {k: tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in v) for k, v in data(args).items()}

    def fwd_bwd(fn, x, dy):
        x = x.clone().requires_grad_()

        def run():
            x.grad = None
            fn(x).backward(dy)
        return run

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.f = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                   nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16))

        def forward(self, x):
            return self.f(x) + x

    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                          Block(), nn.ReLU(), Block(), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(16, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = d["resnet"]
    y = y.long()

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    bn = nn.BatchNorm2d(32)
    return {"bn": fwd_bwd(bn, *d["bn"]), "resnet": step,
            "dropout": fwd_bwd(lambda a: F.dropout(a, 0.5, training=True), *d["dropout"])}


def time_all(fns: dict, args) -> dict:
    """case -> median ms of `repeats` calls after `warmup` untimed ones."""
    return {k: paired_median_ms([fn], args.repeats, args.warmup, rounds=1)[0] for k, fn in fns.items()}


def child(args) -> None:
    fns = our_functions(args) if args.child == "ours" else torch_functions(args)
    print(json.dumps(time_all(fns, args)))


def run_child(args, which: str, extra_env=None) -> dict:
    return _timing.run_child(__file__, which, args.threads, args.repeats, extra_env)


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
    if args.quick:
        ours = time_all(our_functions(args), args)
        rows = [[label[k], ours[k], None, None] for k in CASES]
        print(f"batch as named, median of {args.repeats} calls, in this process\n")
        print("== REGULARIZATION ==")
        print(table(["case (float32)", "ours ms", "torch ms", "ours/torch"], rows))
        return
    print(f"float32, {args.threads} threads each; every figure is the median over {args.rounds} "
          f"processes of each one's median of {args.repeats} calls ({args.warmup} warm-up)\n")
    runs = {"ours": [], "torch": [], "ours, glibc keeps memory": []}
    for r in range(args.rounds):
        order = ["ours", "torch"] if r % 2 == 0 else ["torch", "ours"]
        for which in order:
            if which == "torch" and not version:
                continue
            runs[which].append(run_child(args, which))
        runs["ours, glibc keeps memory"].append(run_child(args, "ours", KEEP_MEMORY))
    med = {who: {k: statistics.median(run[k] for run in got) for k in got[0]}
           for who, got in runs.items() if got}
    theirs = med.get("torch", {})
    rows = []
    for k in CASES:
        ours, kept, t = med["ours"][k], med["ours, glibc keeps memory"][k], theirs.get(k)
        rows.append([label[k], ours, t, ratio(ours, t), kept, ratio(kept, t)])
    print("== REGULARIZATION ==")
    print(table(["case (float32)", "ours ms", "torch ms", "ours/torch", "ours, glibc keeps "
                 "memory ms", "that/torch"], rows))
    print("\nper process (ms):")
    for who, got in runs.items():
        for k in CASES:
            values = [f"{run[k]:.2f}" for run in got if k in run]
            if values:
                print(f"  {who:<26} {label[k]:<56} {' '.join(values)}")


if __name__ == "__main__":
    main()
