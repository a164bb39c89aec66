# %% [markdown]
# # 20 - Acceleration: one convolution, three backends
#
# After this lesson you can
# - choose the backend that runs convolution and pooling ("reference", "numba", "cuda"),
#   for the whole program or for one layer, and show that all of them give the same numbers;
# - time the backends on a few shapes and read a timing table honestly (medians, the same
#   work, what changes from run to run);
# - say what numba compiles, when, and what it keeps in its cache, from first-call and
#   second-call times and from the cache files themselves;
# - test a CUDA kernel without a GPU on numba's CUDA simulator, and say why it is slow;
# - say where a GPU pays and where it does not, with the arithmetic of a convolution.
#
# Why: every lesson so far read `conv_reference`, plain NumPy loops written to be understood.
# Training a real CNN with them would take hours, so the library also has the same sums
# compiled (numba) and written for a GPU (numba.cuda). A fast kernel is only useful if it
# computes exactly what the slow one does, so the first thing we do with it is compare, and
# only then time it. The course talks about this too: the Curso-R and {torch} decks say GPUs
# make training much faster, and the "Introdução às redes neurais" deck shows JAX's `jit`,
# the same idea as numba's: compile a NumPy-like function to machine code.
#
# Run: `python tutorials/20_acceleration.py` (SCRATCHNET_FAST=1 times fewer repeats). No GPU
# is needed: the CUDA kernels run on numba's simulator, in a separate process.

# %%
import json
import os
import subprocess
import sys
import tempfile
import time

import numba
import numpy as np
from matplotlib.figure import Figure
from numba import cuda

import scratchnet
from scratchnet import lesson
from scratchnet.kernels import conv_numba, conv_reference, maxpool_numba, threads
from scratchnet.layers import Conv2D, MaxPool2D

REPEATS = 3 if lesson.FAST else 15       # timed calls per backend and shape (we report the median)

# %% [markdown]
# ## 1. Three modules, one contract
# Each op has one module per backend in scratchnet/kernels/, and all of them have the same
# two functions:
#
#     out, cache = forward(x, W, b, stride, padding, dilation)   x (N, C_in, H, W) -> out
#     dx, dW, db = backward(dout, cache)
#
#   * conv_reference.py: a Python loop over output positions, one NumPy matmul each (slow);
#   * conv_numba.py: numba-compiled loops that rearrange the input ("im2col"), then BLAS
#     matmuls; or, for small filters, compiled loops that do the sums directly;
#   * conv_cuda.py: numba.cuda kernels, one GPU thread per output number.
#
# Which one a layer uses, most specific first: the layer's `backend=` argument, then
# `scratchnet.set_backend(name)`, then the environment variable SCRATCHNET_BACKEND, then
# "numba" (scratchnet/kernels/backend.py).

# %%
print(f"backends: {scratchnet.kernels.BACKENDS}; default: {scratchnet.get_backend()}")
rng = np.random.default_rng(0)
x = rng.normal(size=(4, 3, 10, 10))                   # (N, C_in, H, W), float64
pinned = Conv2D(3, 5, 3, padding=1, rng=0, backend="reference")    # always the reference
follows = Conv2D(3, 5, 3, padding=1, rng=0)                          # follows the global choice
scratchnet.set_backend("reference")
y_global_reference = follows.forward(x)
print(f"after set_backend('reference'): get_backend() = {scratchnet.get_backend()}")
scratchnet.set_backend("numba")
y_global_numba = follows.forward(x)
print(f"after set_backend('numba'): get_backend() = {scratchnet.get_backend()}")
y_pinned = pinned.forward(x)
print(f"layer with backend='reference' vs the global numba: max |diff| "
      f"{np.abs(y_pinned - y_global_numba).max():.1e}")
print(f"one layer, global reference vs global numba: max |diff| "
      f"{np.abs(y_global_reference - y_global_numba).max():.1e}")
print(f"GPU found by numba.cuda: {cuda.is_available()}")
try:
    scratchnet.set_backend("cuda")
    print("set_backend('cuda'): accepted")
    scratchnet.set_backend("numba")
except RuntimeError as error:
    print(f"set_backend('cuda'): refused, RuntimeError: {str(error).split('. ')[0]}")

# %% [markdown]
# Without a GPU, asking for "cuda" fails at once with a message that says what to do,
# rather than at the first forward pass. (Section 4 takes the way out that it names.)
#
# ## 2. The same numbers, then the time
# Five shapes, from a toy to a layer of a real network, float64. For each: forward and
# backward on both CPU backends with the same random upstream gradient, the largest
# difference of any output or gradient (relative to the largest value), and the median time
# of REPEATS calls of forward + backward. conv_numba picks one of three paths per call
# (`conv_numba._path`): "direct" compiled loops for small filters (C_in*KH*KW <= 32, no BLAS),
# "wide" im2col + matmul for other stride-1 convs, "im2col" + matmul for strides.

# %%
SHAPES = [   # (name, x shape (N, C_in, H, W), C_out, K, stride, padding)
    ("tiny: 2x1x8x8 -> 4@3x3", (2, 1, 8, 8), 4, 3, 1, 1),
    ("mid: LeNet conv1, 32x1x28x28 -> 6@5x5", (32, 1, 28, 28), 6, 5, 1, 2),
    ("mid: LeNet conv2, 32x6x14x14 -> 16@5x5", (32, 6, 14, 14), 16, 5, 1, 0),
    ("strided: 16x8x16x16 -> 16@3x3 s2", (16, 8, 16, 16), 16, 3, 2, 1),
    ("big: 16x16x16x16 -> 32@3x3", (16, 16, 16, 16), 32, 3, 1, 1),
]
MID = SHAPES[1][0]            # the mid-size shape whose speed-up the text relies on


def run(module, x, W, b, stride, padding, g):
    """forward + backward on one backend -> (out, dx, dW, db)."""
    out, cache = module.forward(x, W, b, stride=stride, padding=padding)
    return (out,) + tuple(module.backward(g, cache))


def median_ms(module, args, repeats):
    """Median wall time of `repeats` forward + backward calls, in milliseconds."""
    run(module, *args)                                       # warm-up: caches, buffers, pages
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(module, *args)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def multiply_adds(x_shape, C_out, K, stride, padding):
    """Forward multiply-adds: one per (output number, weight it uses)."""
    N, C_in, H, W = x_shape
    HO = (H + 2 * padding - K) // stride + 1
    WO = (W + 2 * padding - K) // stride + 1
    return N * C_out * HO * WO * C_in * K * K


print(f"{'shape':42s} {'path':>7s} {'MACs':>11s} {'max rel diff':>12s} "
      f"{'reference ms':>12s} {'numba ms':>9s} {'speed-up':>8s}")
speedups, worst_diff, timings = {}, 0.0, []
for name, x_shape, C_out, K, stride, padding in SHAPES:
    x = rng.normal(size=x_shape)
    W = rng.normal(size=(C_out, x_shape[1], K, K))
    b = rng.normal(size=C_out)
    g = rng.normal(size=conv_reference.forward(x, W, b, stride, padding)[0].shape)
    args = (x, W, b, stride, padding, g)
    ref, fast = run(conv_reference, *args), run(conv_numba, *args)
    diff = max(float(np.abs(a - r).max() / np.abs(r).max()) for a, r in zip(fast, ref))
    worst_diff = max(worst_diff, diff)
    t_ref, t_numba = median_ms(conv_reference, args, REPEATS), median_ms(conv_numba, args, REPEATS)
    speedups[name] = t_ref / t_numba
    timings.append((name, multiply_adds(x_shape, C_out, K, stride, padding), t_ref, t_numba))
    print(f"{name:42s} {conv_numba._path(W, (stride, stride)):>7s} "
          f"{multiply_adds(x_shape, C_out, K, stride, padding):11,d} {diff:12.1e} "
          f"{t_ref:12.2f} {t_numba:9.2f} {speedups[name]:7.1f}x")
print(f"numba vs reference, every shape: largest relative difference {worst_diff:.1e}")
print(f"numba speed-up on the mid-size shape ({MID}): {speedups[MID]:.1f}x")

fig = Figure(figsize=(7.5, 4.5))
ax = fig.add_subplot(1, 1, 1)
timings.sort(key=lambda t: t[1])                          # by size, so the lines read left to right
macs = np.array([t[1] for t in timings], dtype=float)
for column, label, marker in ((2, "reference (NumPy loops)", "o"), (3, "numba (compiled)", "s")):
    ax.loglog(macs, [t[column] for t in timings], marker + "-", label=label)
ax.set(xlabel="multiply-adds of the convolution (forward)", ylabel="forward + backward, ms",
       title="one convolution on two CPU backends (median of the timed calls)")
ax.legend(loc="upper left")
lesson.save(fig, "20_backends.png")

# %% [markdown]
# Equal first: every output and gradient agrees to about 1e-15 of its size, which is
# rounding (the two backends add the same products in another order). Then the times: on
# the mid-size LeNet conv1 the compiled direct loops beat the Python loop of the reference
# by the factor printed above. The reference pays for a Python iteration and a small matmul
# per output position, so its time follows the number of positions; numba's does not.
#
# Read the other rows with care. The "wide" and "im2col" paths hand the arithmetic to BLAS
# matmuls, which run on their own thread pool (the "direct" path has no BLAS inside). On a
# machine whose cores are busy with other programs those threads wait for a core, and such a
# row can come out many times slower from one run to the next, even slower than the
# reference, whose matmuls are small. Compare your rows with the figures of
# benchmarks/RESULTS.md (section 5), taken on a quiet machine. That is why
# benchmarks/bench_conv.py takes medians of many calls, in alternating rounds, and prints
# the machine's load in its header. Read the "Threading on the CPU" notes in
# scratchnet/kernels/__init__.py for the two thread pools (numba's and BLAS's) and how
# scratchnet keeps them from fighting; this process runs numba's parallel loops on:

# %%
maxpool_numba.forward(rng.normal(size=(8, 6, 28, 28)), (2, 2), (2, 2), (0, 0))  # a parallel call
print(f"numba threads: {numba.get_num_threads()}, threading layer: {threads.report()['layer']}")

# %% [markdown]
# ## 3. What numba compiles, and what it caches
# `@numba.njit(cache=True)` on a function (look at `_direct_forward` in
# scratchnet/kernels/conv_numba.py) compiles nothing when the module is imported. At the
# FIRST call numba reads the types of the arguments (float64 arrays with 4 dimensions, ints,
# ...), translates the Python function for exactly those types into machine code with LLVM,
# and runs it; that version is kept for later calls with the same types (its "signature").
# cache=True also writes the machine code to disk, beside the source in __pycache__ (or in
# $NUMBA_CACHE_DIR): an index file `.nbi` and one `.nbc` file per signature. A new process
# then loads it instead of compiling again.
#
# To see a real first compile, this cell starts fresh Python processes with an empty cache
# folder of their own (NUMBA_CACHE_DIR), so the library's own cache is neither used nor
# touched. Each times one direct-path conv forward, twice; the second process finds the
# first one's cache.

# %%
CACHE_PROBE = """
import json, time
import numpy as np
from scratchnet.kernels import conv_numba
x, W, b = np.ones((8, 1, 12, 12)), np.ones((4, 1, 3, 3)), np.zeros(4)
times = []
for _ in range(2):
    start = time.perf_counter()
    conv_numba.forward(x, W, b, padding=1)
    times.append(time.perf_counter() - start)
print(json.dumps({"first_s": times[0], "second_s": times[1],
                  "signatures": len(conv_numba._direct_forward.signatures)}))
"""


def probe(code, **env):
    """Run `code` in a fresh Python process with these environment variables; its JSON line."""
    result = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, **env),
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"the probe process failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


with tempfile.TemporaryDirectory() as cache_dir:
    cold = probe(CACHE_PROBE, NUMBA_CACHE_DIR=cache_dir)
    files = sorted(os.path.basename(f) for folder, _, names in os.walk(cache_dir)
                   for f in names)
    warm = probe(CACHE_PROBE, NUMBA_CACHE_DIR=cache_dir)
print(f"empty cache, first call: {cold['first_s']:.2f} s (compiling); second call: "
      f"{1e3 * cold['second_s']:.2f} ms; signatures compiled: {cold['signatures']}")
print(f"cache files written: {', '.join(files)}")
print(f"new process, same cache, first call: {warm['first_s']:.3f} s (loading); second call: "
      f"{1e3 * warm['second_s']:.2f} ms")
print(f"first call / second call with an empty cache: {cold['first_s'] / cold['second_s']:,.0f}x")
library_cache = os.path.join(os.path.dirname(conv_numba.__file__), "__pycache__")
found = sorted(f for f in os.listdir(library_cache) if f.endswith(".nbi")) \
    if os.path.isdir(library_cache) else []
print(f"the library's own cache, {library_cache}: {len(found)} .nbi index files")
RUN13_FIRST_CALLS_S = (11.46, 0.17)      # benchmarks/RESULTS.md, run 13, "== COMPILE =="
print(f"benchmarks/RESULTS.md run 13, all of scratchnet's first calls in a new process: "
      f"{RUN13_FIRST_CALLS_S[0]} s with an empty cache, {RUN13_FIRST_CALLS_S[1]} s cached")

# %% [markdown]
# The first call spent almost all its time compiling; the second ran the machine code in a
# fraction of a millisecond. With the cache on disk, a new process pays only to load it.
# One function compiled for one signature gave one `.nbi` and one `.nbc`; every new type
# (float32 arrays, say: exercise 3) compiles and caches another version. scratchnet has a
# few dozen such functions (conv's three paths, pooling, forward and backward), which is why
# the very first run after installing waits several seconds and later runs do not (the
# last line above: the figures of benchmarks/RESULTS.md, run 13, on a 2-core machine).
#
# ## 4. The CUDA simulator: a GPU kernel, run on the CPU
# conv_cuda.py launches one GPU thread per output number (read `_forward`: each thread finds
# its (n, o, i, j) from `cuda.grid(1)` and sums its own window). With NUMBA_ENABLE_CUDASIM=1
# set before numba is imported, numba.cuda does not compile for a GPU: it runs every GPU
# thread as a Python thread on the CPU, with the same indexing, bounds and arrays. That is
# very slow, but it runs the kernel's own code anywhere, so the tests hold the CUDA kernels
# equal to the reference on machines with no GPU. It cannot tell how fast a GPU would be.
# Because the switch must be set before numba is imported, it runs in a separate process.

# %%
SIMULATOR_PROBE = """
import json, time
import numpy as np
from numba import config, cuda
from scratchnet.kernels import conv_cuda, conv_reference
rng = np.random.default_rng(0)
x, W, b = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
start = time.perf_counter()
out, cache = conv_cuda.forward(x, W, b, padding=1)
g = rng.normal(size=out.shape)
on_cuda = (out,) + tuple(conv_cuda.backward(g, cache))
middle = time.perf_counter()
reference_s = []                    # the best of 5: one short call is easily disturbed
for _ in range(5):
    t0 = time.perf_counter()
    out, cache = conv_reference.forward(x, W, b, padding=1)
    on_reference = (out,) + tuple(conv_reference.backward(g, cache))
    reference_s.append(time.perf_counter() - t0)
print(json.dumps({"simulator": bool(config.ENABLE_CUDASIM), "available": cuda.is_available(),
                  "diff": max(float(np.abs(a - r).max()) for a, r in zip(on_cuda, on_reference)),
                  "cuda_s": middle - start, "reference_s": min(reference_s),
                  "threads": conv_cuda.THREADS, "outputs": int(out.size)}))
"""
sim = probe(SIMULATOR_PROBE, NUMBA_ENABLE_CUDASIM="1")
print(f"simulator on: {sim['simulator']}, numba.cuda.is_available() there: {sim['available']}")
print(f"cuda backend on the simulator vs reference, x (2, 2, 5, 5), forward + backward: "
      f"max |diff| {sim['diff']:.1e}")
print(f"forward: {sim['outputs']} GPU threads in blocks of {sim['threads']}")
print(f"simulator {1e3 * sim['cuda_s']:.0f} ms, reference {1e3 * sim['reference_s']:.2f} ms: "
      f"{sim['cuda_s'] / sim['reference_s']:,.0f}x slower")

# %% [markdown]
# The GPU code computes the reference's numbers; on the simulator it is tens to hundreds of
# times slower than even the reference loops, because every one of the 150 output "threads" is a
# Python thread. The test suite runs all CUDA kernels this way (tests/conftest.py sets the
# switch); on a machine with a GPU, `SCRATCHNET_REAL_CUDA=1 python -m pytest
# tests/test_kernels_backends.py` tests the real thing (README, "Kernel backends").
#
# ## 5. Where a GPU pays
# A GPU runs thousands of threads at once, but each call costs something fixed: conv_cuda
# copies x, W, b (and in backward dout) to the GPU and the results back on every call, and
# launches its kernels. So a GPU pays when a call has a lot of arithmetic for every byte it
# moves, and many independent outputs to keep its threads busy. The arithmetic of the four
# conv shapes that benchmarks/RESULTS.md timed (run 13: batch 64, float32, numba on 2 CPU
# cores), with their measured CPU times:

# %%
RUN13_NUMBA_MS = {   # benchmarks/RESULTS.md, run 13, "== CONV ==": numba fwd ms, fwd+bwd ms
    "conv 1x28x28 -> 6@5x5 pad 2": ((64, 1, 28, 28), 6, 5, 2, 0.49, 0.93),
    "conv 6x14x14 -> 16@5x5": ((64, 6, 14, 14), 16, 5, 0, 0.88, 2.56),
    "conv 3x32x32 -> 32@3x3 pad 1": ((64, 3, 32, 32), 32, 3, 1, 2.13, 8.21),
    "conv 32x32x32 -> 64@3x3 pad 1": ((64, 32, 32, 32), 64, 3, 1, 18.50, 57.77),
}
print(f"{'RESULTS.md run 13 shape':30s} {'fwd MACs':>14s} {'outputs':>10s} {'dW threads':>10s} "
      f"{'MB copied':>9s} {'MACs/byte':>9s} {'fwd ms':>7s} {'GMAC/s':>7s}")
rates = {}
for name, (x_shape, C_out, K, padding, fwd_ms, _) in RUN13_NUMBA_MS.items():
    N, C_in, H, W_in = x_shape
    macs = multiply_adds(x_shape, C_out, K, 1, padding)
    outputs = N * C_out * (H + 2 * padding - K + 1) * (W_in + 2 * padding - K + 1)
    weights = C_out * C_in * K * K
    # float32 copies of fwd + bwd: x, W, b, dout in; out, dx, dW, db back
    copied = 4 * (2 * N * C_in * H * W_in + 2 * outputs + 2 * weights + 2 * C_out)
    rates[name] = macs / (fwd_ms * 1e-3) / 1e9
    print(f"{name:30s} {macs:14,d} {outputs:10,d} {weights:10,d} {copied / 1e6:9.1f} "
          f"{3 * macs / copied:9.1f} {fwd_ms:7.2f} {rates[name]:7.1f}")
print(f"CPU rate, biggest vs smallest conv: {rates['conv 32x32x32 -> 64@3x3 pad 1']:.1f} vs "
      f"{rates['conv 1x28x28 -> 6@5x5 pad 2']:.1f} GMAC/s")
print("CUDA timings in benchmarks/RESULTS.md: none (no GPU has been lent to this project)")

# %% [markdown]
# (MACs/byte counts forward + backward, about 3x the forward's multiply-adds, per byte
# copied; "dW threads" is how many threads conv_cuda's `_dW` kernel launches, one per weight.)
# Even on the CPU the biggest conv runs at several times the rate of the smallest one: the
# small call's time goes to fixed costs, not arithmetic. The same holds, more so, on a GPU:
# LeNet's first layer does about 8 multiply-adds per byte it would copy, and its dW kernel
# launches 150 threads on a chip built for tens of thousands, while the 32-channel conv does
# about 70 per byte, with 4 million outputs. So the big convs (and big
# batches) are where a GPU should pay; a LeNet on 8x8 digits, as in the tour, gains little
# or nothing once the copies are paid. How much the big ones gain has not been measured:
# RESULTS.md has no CUDA timings, and the "50x, 100x faster" of the {torch} deck is that
# deck's figure, not ours. bench_conv.py times the cuda backend by itself whenever
# numba.cuda finds a real GPU.
#
# ## Read the source
# - `scratchnet/kernels/backend.py`: `set_backend`, `get_backend`, `kernels(op, backend)` and
#   `require_cuda`, the error that names the simulator.
# - `scratchnet/kernels/conv_reference.py`: the loop over output positions, the meaning of
#   every other backend.
# - `scratchnet/kernels/conv_numba.py`: the module docstring (the three paths), `_path`, the
#   `@numba.njit(cache=True)` loops `_im2col`, `_direct_forward`, and the chunks and reused
#   buffers that keep memory small.
# - `scratchnet/kernels/conv_cuda.py`: one thread per output, a gather, never a scatter (no
#   atomics, so the result is deterministic), and THREADS, smaller on the simulator.
# - `scratchnet/kernels/threads.py`: numba's threading layers (tbb, workqueue, omp), why
#   scratchnet loads TBB itself, and the lock that keeps workqueue safe from two threads.
# - `benchmarks/bench_conv.py` and benchmarks/RESULTS.md: how the library times itself.
#
# ## Exercises
# ### Exercise 1
# Max pooling has the same three backends. Time maxpool_reference against maxpool_numba,
# forward + backward of a 2x2 pool on x (32, 6, 28, 28), as in section 2.
# Check: both give exactly the same out and dx (max |diff| = 0), and numba is more than 2x
# faster.
#
# ### Exercise 2
# Run maxpool_cuda on the simulator (a subprocess with NUMBA_ENABLE_CUDASIM=1, as in
# section 4) on x (2, 3, 6, 6) in which one window holds a tie (two equal maxima), forward
# and backward. Check: out and dx equal maxpool_reference's exactly, so the tie's gradient
# went to the same (first) cell.
#
# ### Exercise 3
# A second signature: in a fresh process with an empty NUMBA_CACHE_DIR, call
# conv_numba.forward on float64 arrays, then on the same arrays as float32, timing each first
# and second call. Check: `conv_numba._direct_forward.signatures` has 2 entries, the cache
# folder holds 1 `.nbi` and 2 `.nbc` files, and the first float32 call is more than 10x
# slower than the second (it compiled).
# (Solutions: tutorials/solutions/20_acceleration.py)
