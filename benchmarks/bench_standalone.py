"""Speed as a user sees it: every timing in a fresh interpreter that runs ONE library.

    python benchmarks/bench_standalone.py            # everything RESULTS.md needs (~5 min, 2 cores)
    python benchmarks/bench_standalone.py --quick    # the smoke run of the tests (tiny, no torch)
    python benchmarks/bench_standalone.py --only step,profile   # some sections only

Why fresh processes. bench_conv.py times ours and torch in ONE process, in alternating blocks.
There each library's thread pools (torch's OpenMP, OpenBLAS, numba's) change the other's
timing: measured for issue 14, our LeNet-5 step took 10.2 ms alone and 6.4 ms with torch
stepping in the same process, and torch's took 6.3 ms there against 3.8-4.8 ms alone. A user
runs one library at a time, so here each figure comes from a child process that imports only
scratchnet or only torch, warms up, and times its calls. The children run in alternating
rounds (ours, torch, torch, ours, ...), so that the machine's drift falls on both sides, and
a ratio is the median of all our timed calls over the median of all of theirs.

Sections (each printed as a table; the header names the machine, the libraries, the threading
layer, the BLAS and its threads, the numba cache state and the load average):
  STEP     a training step: LeNet-5 (float32, batch 64) and the MLP 784-256-128-10 (float32,
           batch 128), forward, cross-entropy from logits, backward, SGD
  PROFILE  one LeNet-5 step layer by layer, forward and backward, ours beside torch's (torch
           through module hooks, which cost it a little: its hooked step is printed too), and
           the same with average pooling; the goals' rows (ReLU, max and average pooling on
           (64, 6, 28, 28) inside a step, forward+backward) are under it, each beside the
           same layer ALONE in a loop on the input it had in the step (the difference is
           what the step around it costs the layer: caches, the other thread pools)
  DLFS     our Conv2D against the im2col layer of "Deep Learning from Scratch" (dlfs_conv.py),
           float64, forward+backward, on three shapes
  START    the tour's start: a fresh process importing scratchnet and running the tour's
           first training step, with an empty numba cache (cold) and again (warm); and the
           whole tour (SCRATCHNET_FAST=1) both ways
torch is not a dependency: without it (or with --quick / --no-torch) only our columns are filled.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

SECTIONS = ("step", "profile", "dlfs", "start")
LENET_LAYERS = ["conv1 1->6 5x5 pad 2", "relu1 (64,6,28,28)", "pool1 2x2", "conv2 6->16 5x5",
                "relu2", "pool2 2x2", "flatten", "fc1 400->120", "relu3", "fc2 120->84",
                "relu4", "fc3 84->10"]
# (name, input shape (N, C, H, W), C_out, K, stride, pad): the shapes of issue 14's DLFS goal
DLFS_CASES = [("CS231n 100x3x31x31 -> 25@3x3 s2 p1", (100, 3, 31, 31), 25, 3, 2, 1),
              ("LeNet conv2 64x6x14x14 -> 16@5x5", (64, 6, 14, 14), 16, 5, 1, 0),
              ("64x32x32x32 -> 64@3x3 p1", (64, 32, 32, 32), 64, 3, 1, 1)]


# ===== the children: each runs one library in a fresh interpreter ================================
def threads_wanted() -> int:
    """The threads both libraries get: the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def our_net(kind: str):
    """Our network in float32: "lenet" (max pooling), "lenet-avg" (average pooling) or "mlp"."""
    import numpy as np
    import scratchnet
    from scratchnet import Sequential
    from scratchnet.layers import AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D, ReLU
    old = scratchnet.get_default_dtype()
    scratchnet.set_default_dtype(np.float32)
    try:
        if kind == "mlp":
            return Sequential([Dense(784, 256, rng=0), ReLU(), Dense(256, 128, rng=1), ReLU(),
                               Dense(128, 10, rng=2)])
        Pool = AvgPool2D if kind == "lenet-avg" else MaxPool2D
        return Sequential([Conv2D(1, 6, 5, padding=2, rng=0), ReLU(), Pool(2),
                           Conv2D(6, 16, 5, rng=1), ReLU(), Pool(2), Flatten(),
                           Dense(400, 120, rng=2), ReLU(), Dense(120, 84, rng=3), ReLU(),
                           Dense(84, 10, rng=4)])
    finally:
        scratchnet.set_default_dtype(old)


def torch_net(torch, kind: str):
    """The same network in torch (float32)."""
    nn = torch.nn
    if kind == "mlp":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    Pool = nn.AvgPool2d if kind == "lenet-avg" else nn.MaxPool2d
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), Pool(2), nn.Conv2d(6, 16, 5),
                         nn.ReLU(), Pool(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
                         nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def batch_data(kind: str, batch: int):
    """(x, y) float32 inputs and int64 labels for a network kind, the same in every child."""
    import numpy as np
    rng = np.random.default_rng(2)
    shape = (batch, 784) if kind == "mlp" else (batch, 1, 28, 28)
    return rng.standard_normal(shape, dtype=np.float32), rng.integers(0, 10, batch)


def make_step(lib: str, kind: str, batch: int):
    """(step function, model) for one library: zero grads / forward / loss / backward / SGD."""
    x, y = batch_data(kind, batch)
    if lib == "ours":
        from scratchnet.losses import CategoricalCrossEntropy
        from scratchnet.optimizers import SGD
        model, loss, opt = our_net(kind), CategoricalCrossEntropy(from_logits=True), SGD(lr=0.01)

        def step():                 # as fit steps: x is data, no dL/dx (torch skips it too)
            loss.forward(model.forward(x), y)
            model.backward(loss.backward(), need_dx=False)
            opt.step(model)
        return step, model
    import torch
    torch.set_num_threads(threads_wanted())
    model = torch_net(torch, kind)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()
    return step, model


def timed(fn, warmup: int, repeats: int) -> list[float]:
    """fn() `warmup` times, then the durations in ms of `repeats` more calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(1e3 * (time.perf_counter() - t0))
    return out


def child_facts(lib: str) -> dict:
    """What this child runs on: threads, threading layer, BLAS threads (or torch's set-up)."""
    if lib == "torch":
        import torch
        return {"lib": f"torch {torch.__version__}", "threads": torch.get_num_threads(),
                "backend": torch.__config__.parallel_info().splitlines()[-1].strip()
                if hasattr(torch.__config__, "parallel_info") else "?"}
    import numba
    from _timing import blas_threads, threading_layer
    return {"lib": "scratchnet", "threads": numba.get_num_threads(),
            "backend": f"numba on {threading_layer()}, OpenBLAS {blas_threads()} threads"}


def child_step(a: dict) -> dict:
    step, _ = make_step(a["lib"], a["net"], a["batch"])
    return {"times": timed(step, a["warmup"], a["repeats"]), "facts": child_facts(a["lib"])}


def child_profile(a: dict) -> dict:
    """Per-layer forward and backward ms in each step (lists per layer), and whole steps;
    then the goal's layers (ReLU, pool) forward+backward ALONE, in a loop on the input they
    had in the last step: the difference is what running inside a step costs them."""
    step, model = make_step(a["lib"], a["net"], a["batch"])
    layers = list(model.layers) if a["lib"] == "ours" else list(model)
    rec = {(i, m): [] for i in range(len(layers)) for m in ("fwd", "bwd")}
    clock, inputs, plain = time.perf_counter, {}, {}
    if a["lib"] == "ours":
        for i, layer in enumerate(layers):
            for method, m in (("forward", "fwd"), ("backward", "bwd")):
                plain[(i, method)] = getattr(layer, method)

                def wrapped(arg, _f=plain[(i, method)], _key=(i, m), **kw):
                    if _key[1] == "fwd":
                        inputs[_key[0]] = arg
                    t0 = clock()
                    out = _f(arg, **kw)
                    rec[_key].append(1e3 * (clock() - t0))
                    return out
                setattr(layer, method, wrapped)          # Sequential calls getattr(layer, ...)
    else:
        starts, hooks = {}, []
        for i, mod in enumerate(layers):
            hooks += [
                mod.register_forward_pre_hook(lambda m, inp, _i=i: inputs.__setitem__(_i, inp[0])),
                mod.register_forward_pre_hook(
                    lambda m, inp, _i=i: starts.__setitem__((_i, "f"), clock())),
                mod.register_forward_hook(lambda m, inp, out, _i=i: rec[(_i, "fwd")].append(
                    1e3 * (clock() - starts[(_i, "f")]))),
                mod.register_full_backward_pre_hook(
                    lambda m, gout, _i=i: starts.__setitem__((_i, "b"), clock())),
                mod.register_full_backward_hook(lambda m, gin, gout, _i=i: rec[(_i, "bwd")].append(
                    1e3 * (clock() - starts[(_i, "b")])))]
    total = timed(step, a["warmup"], a["repeats"])
    n = a["repeats"]
    result = {"layers": [[rec[(i, "fwd")][-n:], rec[(i, "bwd")][-n:]] for i in range(len(layers))],
              "step": total, "facts": child_facts(a["lib"])}
    for hook in (hooks if a["lib"] == "torch" else []):
        hook.remove()                                    # the layers alone run unhooked
    result["alone"] = {str(i): timed(alone_fwd_bwd(a["lib"], layers[i], inputs[i], plain, i),
                                a["warmup"], a["repeats"]) for i in ALONE_LAYERS}
    return result


ALONE_LAYERS = (1, 2)       # relu1 and pool1 of LENET_LAYERS: the goal's layers


def alone_fwd_bwd(lib, layer, x, plain, i):
    """A function running one layer's forward then backward (a fixed random dy) on input x."""
    import numpy as np
    if lib == "ours":
        fwd, bwd = plain[(i, "forward")], plain[(i, "backward")]
        dy = np.random.default_rng(3).standard_normal(fwd(x).shape).astype(x.dtype)

        def run():
            fwd(x)
            bwd(dy)
        return run
    import torch
    xt = x.detach().clone().requires_grad_(True)
    dy = torch.from_numpy(np.random.default_rng(3).standard_normal(
        tuple(layer(xt).shape)).astype(np.float32))

    def run():
        xt.grad = None
        layer(xt).backward(dy)
    return run


def child_dlfs(a: dict) -> dict:
    """Forward+backward of one conv shape, float64: our Conv2D layer or the DLFS layer."""
    import numpy as np
    name, shape, C_out, K, stride, pad = DLFS_CASES[a["case"]]
    shape = (a["batch"] or shape[0],) + tuple(shape[1:])
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape)
    W, b = rng.standard_normal((C_out, shape[1], K, K)) * 0.1, rng.standard_normal(C_out)
    if a["impl"] == "dlfs":
        from dlfs_conv import DLFSConv
        layer = DLFSConv(W, b, stride, pad)
    else:
        from scratchnet.layers import Conv2D
        layer = Conv2D(shape[1], C_out, K, stride=stride, padding=pad)
        layer.params["W"][...], layer.params["b"][...] = W, b
    dy = rng.standard_normal(layer.forward(x).shape)

    def both():
        layer.forward(x)
        layer.backward(dy)
    return {"times": timed(both, a["warmup"], a["repeats"]), "facts": child_facts("ours")}


TOUR_START = """
import time
t0 = time.perf_counter()
import numpy as np
from scratchnet import Sequential
from scratchnet.datasets import load_digits
from scratchnet.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import Adam
t1 = time.perf_counter()
x, y = load_digits()
model = Sequential([Conv2D(1, 8, 3, padding=1, rng=0), ReLU(), MaxPool2D(2),
                    Conv2D(8, 16, 3, padding=1, rng=1), ReLU(), MaxPool2D(2),
                    Flatten(), Dense(64, 10, rng=2)])
model.fit(x[:64], y[:64], loss=CategoricalCrossEntropy(from_logits=True), optimizer=Adam(0.005),
          epochs=1, batch_size=32, verbose=0)
print("RESULT", {"import": t1 - t0, "first_steps": time.perf_counter() - t1})
"""   # the tour's model (tutorials/00_tour.py) and its first two training steps, in float64


def child_main(kind: str, a: dict) -> None:
    result = {"step": child_step, "profile": child_profile, "dlfs": child_dlfs}[kind](a)
    print("RESULT " + json.dumps(result))


# ===== the parent: runs the children in alternating rounds, prints the tables ====================
def run_child(kind: str, a: dict, env=None) -> dict:
    """Run one child in a fresh interpreter; its RESULT line as a dict."""
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", kind,
                           json.dumps(a)], capture_output=True, text=True, cwd=HERE, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"child {kind} {a} failed:\n{done.stderr[-3000:]}")
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def alternate(sides: list[str], rounds: int, make_args) -> dict:
    """{side: [child results]} over `rounds` rounds; the order of the sides turns every round
    (ours, torch; torch, ours; ...), so that neither always runs first."""
    out = {s: [] for s in sides}
    for r in range(rounds):
        order = sides if r % 2 == 0 else sides[::-1]
        for side in order:
            out[side].append(make_args(side))
    return out


def med(values) -> float:
    return statistics.median(values)


def load_now() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def spread(per_child: list[list[float]]) -> str:
    """'a-b': the range of the children's own medians."""
    meds = [med(t) for t in per_child]
    return f"{min(meds):.2f}-{max(meds):.2f}"


def step_section(args, libs) -> str:
    from _timing import ratio, table
    rows = []
    for name, kind, batch in (("LeNet-5 step, batch %d" % args.batch, "lenet", args.batch),
                              ("MLP 784-256-128-10 step, batch %d" % args.mlp_batch, "mlp",
                               args.mlp_batch)):
        reps = args.repeats * (3 if kind == "mlp" else 1)
        res = alternate(libs, args.rounds, lambda lib: run_child("step", dict(
            lib=lib, net=kind, batch=batch, warmup=args.warmup, repeats=reps))["times"])
        ours = med(sum(res["ours"], []))
        theirs = med(sum(res["torch"], [])) if "torch" in res else None
        rows.append([name, ours, spread(res["ours"]), theirs,
                     spread(res["torch"]) if theirs else None, ratio(ours, theirs)])
    return table(["training step (float32)", "ours ms", "ours per process", "torch ms",
                  "torch per process", "ours/torch"], rows)


def profile_section(args, libs) -> str:
    from _timing import table
    lines, goal_rows = [], []
    for kind, pool_name in (("lenet", "max pool"), ("lenet-avg", "avg pool")):
        res = alternate(libs, args.profile_rounds, lambda lib: run_child("profile", dict(
            lib=lib, net=kind, batch=args.batch, warmup=args.warmup, repeats=args.repeats)))

        def per_layer(lib, i, which):       # median over all the children's steps
            return med(sum((r["layers"][i][which] for r in res[lib]), [])) if lib in res else None

        def fwd_bwd(lib, i):                # forward+backward of layer i in the same step
            if lib not in res:
                return None
            return med(sum(([f + b for f, b in zip(*r["layers"][i])] for r in res[lib]), []))

        rows = []
        for i, name in enumerate(LENET_LAYERS):
            name = name.replace("pool", "avgpool" if kind == "lenet-avg" else "maxpool", 1)
            rows.append([name] + [per_layer(lib, i, w) for lib in ("ours", "torch")
                                  for w in (0, 1)])
        sums = [sum(r[k] for r in rows) if rows[0][k] is not None else None for k in (1, 2, 3, 4)]
        rows.append(["sum of the layers"] + sums)
        steps = [med(sum((r["step"] for r in res[lib]), [])) if lib in res else None
                 for lib in ("ours", "torch")]
        rows.append(["whole step (profiled)", steps[0], None, steps[1], None])
        lines.append(f"LeNet-5 with {pool_name}, batch {args.batch}, float32:\n" + table(
            ["layer", "ours fwd ms", "ours bwd ms", "torch fwd ms", "torch bwd ms"], rows))
        def alone(lib, i):                  # forward+backward of layer i alone, in a loop
            return med(sum((r["alone"][str(i)] for r in res[lib]), [])) if lib in res else None

        for i, name in zip(ALONE_LAYERS, ("ReLU on (64, 6, 28, 28)" + (
                "" if kind == "lenet" else ", avg-pool net"), f"{pool_name} 2x2 on (64, 6, 28, 28)")):
            goal_rows.append([name, fwd_bwd("ours", i), alone("ours", i), fwd_bwd("torch", i),
                              alone("torch", i)])
    lines.append("Forward+backward inside a LeNet-5 step (goal: each under 0.3 ms), and the same\n"
                 "layer alone, in a loop on the input it had in the step:\n" + table(
                     ["layer", "ours in step", "ours alone", "torch in step", "torch alone"],
                     goal_rows))
    return "\n\n".join(lines)


def dlfs_section(args) -> str:
    from _timing import table
    rows = []
    for k, (name, *_rest) in enumerate(DLFS_CASES):
        res = alternate(["ours", "dlfs"], args.rounds, lambda impl: run_child("dlfs", dict(
            impl=impl, case=k, batch=args.dlfs_batch, warmup=max(1, args.warmup // 10),
            repeats=max(2, args.repeats // 10)))["times"])
        ours, theirs = med(sum(res["ours"], [])), med(sum(res["dlfs"], []))
        rows.append([name, ours, spread(res["ours"]), theirs, spread(res["dlfs"]),
                     f"{theirs / ours:.2f}x"])
    return table(["conv, float64, forward+backward", "ours ms", "ours per process", "DLFS ms",
                  "DLFS per process", "DLFS/ours (goal >= 3)"], rows)


def check_dlfs_equal() -> str:
    """The DLFS layer and ours give the same out, dx, dW, db on each shape (batch 2)."""
    import numpy as np
    from dlfs_conv import DLFSConv
    from scratchnet.layers import Conv2D
    worst = 0.0
    for name, shape, C_out, K, stride, pad in DLFS_CASES:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((2,) + shape[1:])
        W, b = rng.standard_normal((C_out, shape[1], K, K)), rng.standard_normal(C_out)
        ref, ours = DLFSConv(W, b, stride, pad), Conv2D(shape[1], C_out, K, stride, pad)
        ours.params["W"][...], ours.params["b"][...] = W, b
        out = ref.forward(x)
        dy = rng.standard_normal(out.shape)
        pairs = [(ours.forward(x), out), (ours.backward(dy), ref.backward(dy)),
                 (ours.grads["W"], ref.dW), (ours.grads["b"], ref.db)]
        for a, r in pairs:
            worst = max(worst, float(np.max(np.abs(a - r)) / (1 + np.max(np.abs(r)))))
    if worst > 1e-10:
        raise AssertionError(f"the DLFS layer and Conv2D disagree: relative error {worst:.1e}")
    return f"DLFS layer = Conv2D on every shape (out, dx, dW, db; largest relative error {worst:.0e})"


def start_section(args) -> str:
    from _timing import table
    rows = []
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out_dir:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, SCRATCHNET_OUT=out_dir, MPLBACKEND="Agg")
        labels = ("cold (empty numba cache)", "warm (second run)")
        if args.quick:                    # no cold compile (10-20 s): this install's cache
            env.pop("NUMBA_CACHE_DIR")
            labels = ("this install's numba cache",)
        for label in labels:
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", TOUR_START], env=env, cwd=ROOT,
                                  capture_output=True, text=True, check=True)
            wall = time.perf_counter() - t0
            r = eval(done.stdout.split("RESULT", 1)[1])        # our own child's dict literal
            rows.append([f"tour start, {label}", r["import"], r["first_steps"], wall])
        if not args.quick:
            with tempfile.TemporaryDirectory() as cache2:
                env2 = dict(env, NUMBA_CACHE_DIR=cache2, SCRATCHNET_FAST="1")
                for label in ("cold", "warm"):
                    t0 = time.perf_counter()
                    subprocess.run([sys.executable, os.path.join("tutorials", "00_tour.py")],
                                   env=env2, cwd=ROOT, capture_output=True, check=True)
                    rows.append([f"whole tour, SCRATCHNET_FAST=1, {label}", None, None,
                                 time.perf_counter() - t0])
    return table(["process (s)", "import s", "model + 2 steps s", "whole process s"], rows)


def header(args, libs) -> str:
    from _timing import machine_lines, numba_cache_state
    import scratchnet  # noqa: F401  (numba's threading layer as a user gets it)
    lines = machine_lines() + [numba_cache_state(), f"python {sys.executable}"]
    facts = [run_child("step", dict(lib=lib, net="mlp", batch=2, warmup=1, repeats=1))["facts"]
             for lib in libs]
    for f in facts:
        lines.append(f"child process: {f['lib']}, {f['threads']} threads, {f['backend']}")
    lines.append(f"method: a fresh interpreter per library and measurement, {args.rounds} "
                 f"alternating rounds (profile: {args.profile_rounds}), {args.warmup} warm-up "
                 f"calls, {args.repeats} timed calls per child (MLP: 3x, DLFS: 1/10); ratio = "
                 f"median of all our calls / median of all theirs")
    return "\n".join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes, no torch: the smoke run")
    p.add_argument("--no-torch", action="store_true", help="leave torch out even if installed")
    p.add_argument("--only", default=",".join(SECTIONS), help="sections, comma-separated")
    p.add_argument("--rounds", type=int, default=None, help="alternating rounds (default 5)")
    p.add_argument("--repeats", type=int, default=None, help="timed calls per child (200)")
    args = p.parse_args(argv)
    q = args.quick
    args.rounds = args.rounds or (1 if q else 5)
    args.profile_rounds = 1 if q else 3
    args.repeats = args.repeats or (3 if q else 200)
    args.warmup = 1 if q else 30
    args.batch, args.mlp_batch = (4, 4) if q else (64, 128)
    args.dlfs_batch = 2 if q else None
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    bad = set(args.only) - set(SECTIONS)
    if bad:
        p.error(f"unknown section(s) {sorted(bad)}; expected some of {', '.join(SECTIONS)}")
    return args


def torch_installed() -> bool:
    import importlib.util
    return importlib.util.find_spec("torch") is not None


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child_main(argv[1], json.loads(argv[2]))
    args = parse_args(argv)
    use_torch = not (args.quick or args.no_torch) and torch_installed()
    libs = ["ours", "torch"] if use_torch else ["ours"]
    print(header(args, libs))
    if not use_torch:
        print("torch: not used (not installed, --quick or --no-torch): no ratios")
    print()
    for name, run in (("step", lambda: step_section(args, libs)),
                      ("profile", lambda: profile_section(args, libs)),
                      ("dlfs", lambda: check_dlfs_equal() + "\n" + dlfs_section(args)),
                      ("start", lambda: start_section(args))):
        if name in args.only:
            before = load_now()
            body = run()
            print(f"== {name.upper()} ==  (load average before: {before}; after: {load_now()})"
                  f"\n{body}\n", flush=True)


if __name__ == "__main__":
    main()
