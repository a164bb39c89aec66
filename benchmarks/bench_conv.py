"""Benchmarks: conv and pooling kernels per backend, a LeNet-5 and an MLP training step,
numba's compile time (cold and cached) and the extra memory of one conv forward+backward.

    python benchmarks/bench_conv.py              # everything (a few minutes on 2 cores)
    python benchmarks/bench_conv.py --reference  # also the slow reference kernels on every shape
    python benchmarks/bench_conv.py --quick      # tiny batch and repeats, no torch: a smoke run

All timings are float32, batch 64 (unless --quick), medians in milliseconds over repeats
after a warm-up. When PyTorch is installed, the same work runs through torch (CPU, as many
threads as numba uses) in the same run, timed in alternating blocks with ours; each row shows
ours / torch. torch is NOT a dependency: without it the ratio columns are left out.
Nothing here is a test: the figures are for benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import machine_lines, paired_median_ms, ratio, table  # noqa: E402

import scratchnet  # noqa: E402,F401  (sets numba's threading layer before numba starts)
import numba  # noqa: E402
from scratchnet import Sequential  # noqa: E402
from scratchnet.kernels import kernels  # noqa: E402
from scratchnet.layers import AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D, ReLU  # noqa: E402
from scratchnet.losses import CategoricalCrossEntropy  # noqa: E402
from scratchnet.optimizers import SGD  # noqa: E402

# (name, (C_in, H, W), C_out, K, padding): the conv shapes of the brief
CONV_CASES = [("conv 1x28x28 -> 6@5x5 pad 2", (1, 28, 28), 6, 5, 2),
              ("conv 6x14x14 -> 16@5x5", (6, 14, 14), 16, 5, 0),
              ("conv 3x32x32 -> 32@3x3 pad 1", (3, 32, 32), 32, 3, 1),
              ("conv 32x32x32 -> 64@3x3 pad 1", (32, 32, 32), 64, 3, 1)]
POOL_SHAPES = [(6, 28, 28), (32, 32, 32)]      # (C, H, W), 2x2 windows, stride 2


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="batch 4, 2 repeats, no torch, no subprocesses")
    p.add_argument("--reference", action="store_true",
                   help="time the reference kernels on every shape")
    p.add_argument("--no-torch", action="store_true", help="leave torch out even if installed")
    p.add_argument("--batch", type=int, default=None, help="batch size (default 64, --quick 4)")
    p.add_argument("--repeats", type=int, default=None,
                   help="timed repeats (default 30, --quick 2; training steps: 4x as many)")
    p.add_argument("--rounds", type=int, default=None,
                   help="alternating rounds of ours vs torch (default 6, --quick 1; steps: 2x)")
    args = p.parse_args(argv)
    args.batch = args.batch or (4 if args.quick else 64)
    args.repeats = args.repeats or (2 if args.quick else 30)
    args.rounds = args.rounds or (1 if args.quick else 6)
    args.warmup = 1 if args.quick else 3
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


def backends(args, smallest: bool) -> list[str]:
    """The backends to time on one shape: numba always, reference on the smallest shape (or all
    with --reference), cuda when a real GPU is present (never numba's simulator)."""
    names = ["reference"] if (smallest or args.reference) else []
    names.append("numba")
    from numba import cuda
    if not numba.config.ENABLE_CUDASIM and cuda.is_available():
        names.append("cuda")
    return names


def rand(rng, shape):
    """Standard-normal float32 numbers of the given shape."""
    return rng.standard_normal(shape, dtype=np.float32)


# ----- conv and pooling kernels -----------------------------------------------------------------
def conv_section(args, torch) -> str:
    """Forward and forward+backward of each conv shape, per backend, beside torch's conv2d."""
    rng, rows = np.random.default_rng(0), []
    for k, (name, (C, H, W_), C_out, K, pad) in enumerate(CONV_CASES):
        x, W = rand(rng, (args.batch, C, H, W_)), rand(rng, (C_out, C, K, K)) * 0.1
        b = rand(rng, (C_out,))
        dy = rand(rng, kernels("conv", "numba").forward(x, W, b, 1, pad, 1)[0].shape)
        tfns = torch_conv_fns(torch, x, W, b, dy, pad) if torch else None
        for backend in backends(args, smallest=(k == 0)):
            mod = kernels("conv", backend)
            fwd = lambda: mod.forward(x, W, b, 1, pad, 1)                      # noqa: E731
            both = lambda: mod.backward(dy, mod.forward(x, W, b, 1, pad, 1)[1])  # noqa: E731
            rows.append([name, backend] + timed_pair(args, [fwd, both], tfns, backend))
    return table(["shape (batch %d, float32)" % args.batch, "backend", "fwd ms", "fwd+bwd ms",
                  "torch fwd", "torch fwd+bwd", "fwd ours/torch", "fwd+bwd ours/torch"], rows)


def timed_pair(args, fns, tfns, backend) -> list:
    """[ours fwd, ours fwd+bwd, torch fwd, torch fwd+bwd, ratio, ratio]: torch is timed in
    alternating blocks with the numba backend; the other backends are timed alone, fewer times."""
    if backend != "numba" or tfns is None:
        reps = args.repeats if backend == "numba" else max(2, min(args.repeats, 5))
        ours = [paired_median_ms([fn], reps, warmup=1)[0] for fn in fns]
        return ours + [None, None, None, None]
    ours_f, torch_f = paired_median_ms([fns[0], tfns[0]], args.repeats, args.warmup, args.rounds)
    ours_b, torch_b = paired_median_ms([fns[1], tfns[1]], args.repeats, args.warmup, args.rounds)
    return [ours_f, ours_b, torch_f, torch_b, ratio(ours_f, torch_f), ratio(ours_b, torch_b)]


def torch_conv_fns(torch, x, W, b, dy, pad):
    """torch's forward (with autograd on, as ours keeps a cache) and forward+backward."""
    F = torch.nn.functional
    xt, Wt, bt = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, W, b))
    dyt = torch.from_numpy(dy)

    def both():
        xt.grad = Wt.grad = bt.grad = None
        F.conv2d(xt, Wt, bt, padding=pad).backward(dyt)
    return (lambda: F.conv2d(xt, Wt, bt, padding=pad)), both


def pool_section(args, torch) -> str:
    """2x2 stride-2 max and average pooling, forward and forward+backward, beside torch's."""
    rng, rows = np.random.default_rng(1), []
    for op in ("maxpool", "avgpool"):
        for k, (C, H, W_) in enumerate(POOL_SHAPES):
            x = rand(rng, (args.batch, C, H, W_))
            dy = rand(rng, (args.batch, C, H // 2, W_ // 2))
            tfns = torch_pool_fns(torch, op, x, dy) if torch else None
            for backend in backends(args, smallest=(k == 0)):
                mod = kernels(op, backend)
                fwd = lambda: mod.forward(x, 2, 2, 0)                          # noqa: E731
                both = lambda: mod.backward(dy, mod.forward(x, 2, 2, 0)[1])      # noqa: E731
                rows.append([f"{op} 2x2 {C}x{H}x{W_}", backend]
                            + timed_pair(args, [fwd, both], tfns, backend))
    return table(["shape (batch %d, float32)" % args.batch, "backend", "fwd ms", "fwd+bwd ms",
                  "torch fwd", "torch fwd+bwd", "fwd ours/torch", "fwd+bwd ours/torch"], rows)


def torch_pool_fns(torch, op, x, dy):
    """torch's 2x2 max/avg pooling forward and forward+backward on x (N, C, H, W)."""
    pool = torch.nn.functional.max_pool2d if op == "maxpool" else torch.nn.functional.avg_pool2d
    xt, dyt = torch.from_numpy(x.copy()).requires_grad_(), torch.from_numpy(dy)

    def both():
        xt.grad = None
        pool(xt, 2, 2).backward(dyt)
    return (lambda: pool(xt, 2, 2)), both


# ----- one training step: LeNet-5 and an MLP ----------------------------------------------------
def lenet(backend="numba") -> Sequential:
    """LeNet-5 with ReLU and max pooling: (N, 1, 28, 28) -> (N, 10) logits."""
    return Sequential([Conv2D(1, 6, 5, padding=2, rng=0, backend=backend), ReLU(), MaxPool2D(2),
                       Conv2D(6, 16, 5, rng=1, backend=backend), ReLU(), MaxPool2D(2), Flatten(),
                       Dense(400, 120, rng=2), ReLU(), Dense(120, 84, rng=3), ReLU(),
                       Dense(84, 10, rng=4)])


def mlp() -> Sequential:
    """784 -> 256 -> 128 -> 10 with ReLU: (N, 784) -> (N, 10) logits."""
    return Sequential([Dense(784, 256, rng=0), ReLU(), Dense(256, 128, rng=1), ReLU(),
                       Dense(128, 10, rng=2)])


def our_step(model, x, y):
    """forward, cross-entropy from logits, backward, one SGD step."""
    loss, opt = CategoricalCrossEntropy(from_logits=True), SGD(lr=0.01)

    def step():                     # as fit steps: x is data, no dL/dx (torch skips it too)
        loss.forward(model.forward(x), y)
        model.backward(loss.backward(), need_dx=False)
        opt.step(model)
    return step


def torch_step(torch, kind, x, y):
    """One torch training step (zero_grad, forward, cross-entropy, backward, SGD step) of the
    same network as ours: kind "lenet" or "mlp"."""
    nn = torch.nn
    if kind == "lenet":
        model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                              nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                              nn.Linear(84, 10))
    else:
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                              nn.Linear(128, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()
    return step


def step_section(args, torch) -> str:
    """Median time of one training step of LeNet-5 (batch of 1x28x28) and of the MLP."""
    rng, rows = np.random.default_rng(2), []
    y = rng.integers(0, 10, args.batch)
    cases = [("LeNet-5 step (1x28x28)", "lenet", rand(rng, (args.batch, 1, 28, 28))),
             ("MLP 784-256-128-10 step", "mlp", rand(rng, (args.batch, 784)))]
    for name, kind, x in cases:
        with float32_default():
            model = lenet() if kind == "lenet" else mlp()
        fns = [our_step(model, x, y)] + ([torch_step(torch, kind, x, y)] if torch else [])
        # a step is short and the ratio is a goal: more repeats, in more alternating rounds, so
        # that a slow drift of the machine's load falls on both libraries alike
        times = paired_median_ms(fns, 4 * args.repeats, args.warmup, 2 * args.rounds)
        rows.append([name, times[0], times[1] if torch else None,
                     ratio(times[0], times[1]) if torch else None])
    return table(["training step (batch %d, float32)" % args.batch, "ours ms", "torch ms",
                  "ours/torch"], rows)


class float32_default:
    """`with float32_default():` builds layers in float32, then restores the default dtype."""

    def __enter__(self):
        self.old = scratchnet.get_default_dtype()
        scratchnet.set_default_dtype(np.float32)

    def __exit__(self, *exc):
        scratchnet.set_default_dtype(self.old)


# ----- numba compile time: a fresh process with an empty cache, then a second one ---------------
COMPILE_CHILD = """
import time
t0 = time.perf_counter()
import numpy as np
from scratchnet.kernels import kernels
t1 = time.perf_counter()
for dtype in (np.float32, np.float64):
    x, W, b = np.ones((2, 2, 6, 6), dtype), np.ones((3, 2, 3, 3), dtype), np.zeros(3, dtype)
    out, cache = kernels("conv", "numba").forward(x, W, b, 1, 1, 1)
    kernels("conv", "numba").backward(out, cache)
    for op in ("maxpool", "avgpool"):
        out, cache = kernels(op, "numba").forward(x, 2, 2, 0)
        kernels(op, "numba").backward(out, cache)
print(f"import {t1 - t0:.3f} first-calls {time.perf_counter() - t1:.3f}")
"""     # a fresh process: import scratchnet's kernels, call every numba kernel once per dtype


def compile_section() -> str:
    """Run COMPILE_CHILD twice with the same empty NUMBA_CACHE_DIR: cold, then cached."""
    rows = []
    with tempfile.TemporaryDirectory() as cache_dir:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
        for label in ("cold (empty cache)", "cached (second run)"):
            t0 = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", COMPILE_CHILD], env=env, check=True,
                                 capture_output=True, text=True).stdout.split()
            wall = time.perf_counter() - t0
            rows.append([label, float(out[1]), float(out[3]), wall])
    return table(["numba kernels in a new process", "import s", "first calls s",
                  "whole process s"], rows)


# ----- memory of one conv forward+backward ------------------------------------------------------
def peak_rss_reset() -> None:
    """Reset the kernel's peak-RSS mark (VmHWM) of this process (Linux)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def peak_rss_bytes() -> int:
    with open("/proc/self/status") as f:
        return 1024 * int(next(line for line in f if line.startswith("VmHWM")).split()[1])


def memory_child(which: str, batch: int) -> None:
    """In a fresh process: one forward+backward of the 32x32x32 -> 64@3x3 pad 1 conv, after a
    warm-up at batch 1 (compiled code, thread pools). Prints the peak bytes beyond x, dy, W, b
    and the results, which stay alive as in training (out, dx, dW, db):
    'tracemalloc B rss B'. tracemalloc is ours only (NumPy reports to it, torch does not);
    the RSS peak (VmHWM, reset before the call) is measured for both."""
    import tracemalloc
    rng = np.random.default_rng(3)
    x, W, b = rand(rng, (batch, 32, 32, 32)), rand(rng, (64, 32, 3, 3)), rand(rng, (64,))
    dy = rand(rng, (batch, 64, 32, 32))
    results = x.nbytes + W.nbytes + b.nbytes + dy.nbytes       # dx, dW, db, out
    run = our_conv_step if which == "ours" else torch_conv_step
    run(x[:1], W, b, dy[:1])                   # warm-up on one image: little memory touched
    if which == "ours":                        # but conv_numba's reused work buffers (one
        kernels("conv", "numba").clear_scratch()   # image's col...) count: anew
    tracemalloc.start()
    peak_rss_reset()
    rss0 = peak_rss_bytes()
    kept = run(x, W, b, dy)                    # noqa: F841  the results stay alive
    rss = peak_rss_bytes() - rss0 - results
    traced = tracemalloc.get_traced_memory()[1] - results if which == "ours" else -1
    print(f"tracemalloc {traced} rss {rss}")


def our_conv_step(x, W, b, dy):
    """(out, dx, dW, db) of one numba conv forward+backward, stride 1, padding 1."""
    mod = kernels("conv", "numba")
    out, cache = mod.forward(x, W, b, 1, 1, 1)
    return (out,) + mod.backward(dy, cache)


def torch_conv_step(x, W, b, dy):
    """The same as our_conv_step, through torch's conv2d and autograd."""
    import torch
    torch.set_num_threads(numba.get_num_threads())
    xt, Wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, W, b))
    out = torch.nn.functional.conv2d(xt, Wt, bt, padding=1)
    out.backward(torch.from_numpy(dy))
    return out, xt.grad, Wt.grad, bt.grad


def memory_section(batch: int, torch) -> str:
    """Run memory_child in a fresh process for ours and torch. A fixed glibc mmap threshold
    makes every large array its own mapping, returned to the OS when freed, so the RSS peak
    counts what is alive at once and not what malloc kept from earlier calls."""
    env, rows = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072"), []
    for which in ("ours", "torch") if torch else ("ours",):
        out = subprocess.run([sys.executable, __file__, "--memory-child", which, str(batch)],
                             env=env, check=True, capture_output=True, text=True).stdout.split()
        traced, rss = int(out[1]), int(out[3])
        rows.append([which, f"{traced / 2**20:.1f}" if traced >= 0 else None, f"{rss / 2**20:.1f}"])
    return table([f"conv 32x32x32 -> 64@3x3 pad 1, batch {batch}: extra MB", "tracemalloc peak",
                  "peak RSS delta"], rows)


def main(argv=None) -> None:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--memory-child"]:
        return memory_child(argv[1], int(argv[2]))
    args = parse_args(argv)
    torch = load_torch(args)
    print("\n".join(machine_lines()))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads" if torch
          else "torch: not used (not installed, --quick or --no-torch): no ratios")
    print(f"batch {args.batch}, median of {args.repeats} repeats (training steps: "
          f"{4 * args.repeats}) in {args.rounds} alternating rounds (steps: {2 * args.rounds}), "
          f"{args.warmup} warm-up call(s) per round\n")
    for title, make in [("CONV", lambda: conv_section(args, torch)),
                        ("POOLING", lambda: pool_section(args, torch)),
                        ("TRAINING STEP", lambda: step_section(args, torch))]:
        print(f"== {title} ==\n{make()}\n", flush=True)
    if args.quick:
        print("== COMPILE ==\nskipped in --quick\n\n== MEMORY ==\nskipped in --quick")
        return
    print(f"== COMPILE ==\n{compile_section()}\n", flush=True)
    print(f"== MEMORY ==\n{memory_section(64, torch)}")


if __name__ == "__main__":
    main()
