"""Benchmarks: data augmentation (scratchnet/augment.py) on a batch of 64 images of 1x28x28.

    python benchmarks/bench_augment.py           # everything (under a minute on 2 cores)
    python benchmarks/bench_augment.py --quick   # tiny batch and repeats, no torch: a smoke run

The issue's target: augmenting a batch of 64 images of 1x28x28 takes under 5 ms on 2 cores.
Each transform is timed alone, then the pipeline of the tutorial and a pipeline of every
transform (Compose, whose neighbouring warps are fused into one), with numba on 1 thread and
on all of its threads. The WARP table times the affine warp itself, reference and numba, and
(when PyTorch is installed) torch's affine_grid + grid_sample for the same work, timed in
alternating blocks with ours. Medians in milliseconds over repeats after a warm-up; float32
unless a row says float64. On a machine shared with other work a single call can stall for
tens of milliseconds, and a median of a few hundred calls then moves too: run it twice. torch's
grid_sample on 2 OpenMP threads was hit hardest (medians of 16-80 ms on a 2-core machine
whose cores other processes held, against 0.1-0.5 ms on 1 thread), so torch is also timed on
1 thread.
Nothing here is a test: the figures are for benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import machine_lines, paired_median_ms, ratio, table  # noqa: E402

import scratchnet  # noqa: E402,F401  (sets numba's threading layer before numba starts)
import numba  # noqa: E402
from scratchnet import augment as A  # noqa: E402

SHAPE = (1, 28, 28)          # (C, H, W): an MNIST digit
TARGET_MS = 5.0


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="batch 4, 2 repeats, no torch")
    p.add_argument("--no-torch", action="store_true", help="leave torch out even if installed")
    p.add_argument("--batch", type=int, default=None, help="batch size (default 64, --quick 4)")
    p.add_argument("--repeats", type=int, default=None, help="timed repeats (default 200)")
    args = p.parse_args(argv)
    args.batch = args.batch or (4 if args.quick else 64)
    args.repeats = args.repeats or (2 if args.quick else 200)
    args.rounds = 1 if args.quick else 4
    args.warmup = 1 if args.quick else 5
    return args


def load_torch(args):
    """torch with as many threads as numba uses, or None (not installed, --quick, --no-torch)."""
    if args.quick or args.no_torch:
        return None
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(numba.get_num_threads())
    return torch


def transforms() -> list[tuple[str, object]]:
    """(row name, transform) for every transform alone and for two pipelines."""
    geometric = [A.RandomTranslate(2.0), A.RandomRotate(15), A.RandomShear(10), A.RandomZoom(0.1)]
    tutorial = A.Compose([A.RandomTranslate(1.0), A.RandomRotate(12), A.Cutout(2),
                          A.GaussianNoise(0.05, clip=(0.0, 1.0))], rng=0)
    everything = A.Compose(geometric + [A.RandomHorizontalFlip(), A.Cutout(8),
                                        A.GaussianNoise(0.05, clip=(0.0, 1.0))], rng=0)
    rows = [(f"{t.name} ({_short(t)})", t) for t in
            [A.RandomTranslate(2.0, rng=0), A.RandomRotate(15, rng=0), A.RandomShear(10, rng=0),
             A.RandomZoom(0.1, rng=0), A.RandomHorizontalFlip(rng=0), A.Cutout(8, rng=0),
             A.GaussianNoise(0.05, rng=0)]]
    rows.append(("Compose: translate, rotate, cutout, noise (tutorial 24)", tutorial))
    rows.append(("Compose: all 4 warps fused, flip, cutout, noise", everything))
    rows.append(("Compose: the same, unfused (4 warps)",
                 A.Compose(everything.transforms, fuse=False)))
    return rows


def _short(t) -> str:
    """The one parameter that matters, for the row name."""
    for attr in ("max_shift", "max_degrees", "scale", "size", "std"):
        if hasattr(t, attr):
            v = getattr(t, attr)
            return f"{attr}={v[0] if isinstance(v, tuple) and v[0] == v[1] else v}"
    return f"p={t.p:g}"


def transform_section(args) -> str:
    """Each transform and pipeline on (batch, 1, 28, 28), on 1 numba thread and on all."""
    rng = np.random.default_rng(0)
    x32 = rng.random((args.batch,) + SHAPE, dtype=np.float32)
    x64 = x32.astype(np.float64)
    counts = sorted({1, numba.get_num_threads()})
    rows = []
    cases = transforms()
    cases.append(("Compose: translate, rotate, cutout, noise (tutorial 24), float64", cases[7][1]))
    for name, t in cases:
        x = x64 if name.endswith("float64") else x32
        times = []
        for n in counts:
            numba.set_num_threads(n)
            times.append(paired_median_ms([lambda: t(x)], args.repeats, args.warmup,
                                          args.rounds)[0])
        numba.set_num_threads(counts[-1])
        rows.append([name] + times + ["yes" if times[-1] < TARGET_MS else "NO"])
    headers = ["transform (batch %d, 1x28x28)" % args.batch] + [
        f"{n} thread{'s' if n > 1 else ''} ms" for n in counts] + [f"< {TARGET_MS:g} ms"]
    return table(headers, rows)


def warp_section(args, torch) -> str:
    """The affine warp alone: reference, numba, and torch's affine_grid + grid_sample, the
    last timed in alternating blocks with numba on all threads, and alone on 1 thread."""
    rng = np.random.default_rng(1)
    N, (C, H, W) = args.batch, SHAPE
    x = rng.random((N, C, H, W), dtype=np.float32)
    M = A.rotation(rng.uniform(-15, 15, N), H, W) @ A.translation(rng.uniform(-2, 2, N),
                                                                   rng.uniform(-2, 2, N))
    inv = A.inverse_2x3(M)
    tfn = torch_warp(torch, x, inv) if torch else None
    rows = []
    for order in ("bilinear", "nearest"):
        for backend in ("reference", "numba"):
            fn = lambda: A.warp(x, inv, 0.0, order, backend)      # noqa: E731
            theirs = one_thread = diff = None
            if backend == "reference":
                ours = paired_median_ms([fn], max(2, min(args.repeats, 10)), 1, 1)[0]
            elif tfn is None:
                ours = paired_median_ms([fn], args.repeats, args.warmup, args.rounds)[0]
            else:
                ours, theirs = paired_median_ms([fn, tfn[order]], args.repeats, args.warmup,
                                                args.rounds)
                threads = torch.get_num_threads()
                torch.set_num_threads(1)
                one_thread = paired_median_ms([tfn[order]], args.repeats, args.warmup,
                                              args.rounds)[0]
                torch.set_num_threads(threads)
            if tfn is not None:
                diff = f"{np.abs(fn() - tfn[order]().numpy()).max():.1e}"
            rows.append([f"warp {order}", backend, ours, theirs, ratio(ours, theirs),
                         one_thread, diff])
    return table(["warp (batch %d, 1x28x28, float32)" % args.batch, "backend", "ours ms",
                  "torch ms", "ours/torch", "torch 1 thread ms", "max |ours - torch|"], rows)


def torch_warp(torch, x, inv) -> dict:
    """torch doing the same warps with affine_grid + grid_sample (the grid is built in every
    call, as ours computes its source points in every call). grid_sample reads (u, v) =
    (column, row) normalized to [-1, 1]; with align_corners=False, pixel centre c sits at
    u = (2c + 1) / W - 1. The last column of the table checks that it is the same work."""
    N, C, H, W = x.shape
    # ours: (r, c, 1) -> A3 @ (i, j, 1). torch: (u, v, 1) -> theta @ (u_out, v_out, 1), so
    # theta = S @ swap @ A3 @ swap @ S^-1 with S: (c, r) -> (u, v) and swap: (r, c) <-> (c, r)
    S = np.array([[2 / W, 0, 1 / W - 1], [0, 2 / H, 1 / H - 1], [0, 0, 1]])
    swap = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], dtype=float)
    A3 = np.concatenate([inv, np.broadcast_to([[[0, 0, 1]]], (N, 1, 3))], axis=1)
    theta = torch.from_numpy((S @ swap @ A3 @ swap @ np.linalg.inv(S))[:, :2].astype(np.float32))
    xt = torch.from_numpy(x)
    F = torch.nn.functional

    def run(mode):
        grid = F.affine_grid(theta, list(xt.shape), align_corners=False)
        return F.grid_sample(xt, grid, mode=mode, padding_mode="zeros", align_corners=False)
    return {"bilinear": lambda: run("bilinear"), "nearest": lambda: run("nearest")}


def main(argv=None) -> None:
    args = parse_args(argv)
    torch = load_torch(args)
    print("\n".join(machine_lines()))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads" if torch
          else "torch: not used (not installed, --quick or --no-torch): no ratios")
    print(f"batch {args.batch}, median of {args.repeats} repeats in {args.rounds} rounds, "
          f"{args.warmup} warm-up call(s) per round\n")
    print(f"== TRANSFORMS ==\n{transform_section(args)}\n", flush=True)
    print(f"== WARP ==\n{warp_section(args, torch)}")


if __name__ == "__main__":
    main()
