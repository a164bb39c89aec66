"""Solutions to the exercises of tutorials/20_acceleration.py (run it: each ends in a check)."""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from scratchnet import lesson
from scratchnet.kernels import maxpool_numba, maxpool_reference

REPEATS = 5 if lesson.FAST else 30


def probe(code, **env):
    """Run `code` in a fresh Python process with these environment variables; its JSON line."""
    result = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, **env),
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"the probe process failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# ----- exercise 1: max pooling, reference against numba --------------------------------------
rng = np.random.default_rng(0)
x = rng.normal(size=(32, 6, 28, 28))
g = rng.normal(size=(32, 6, 14, 14))


def pool(module):
    out, cache = module.forward(x, 2)
    return out, module.backward(g, cache)


def median_ms(module):
    pool(module)                                   # warm-up (the numba cache loads here)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        pool(module)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


(out_r, dx_r), (out_n, dx_n) = pool(maxpool_reference), pool(maxpool_numba)
diff = max(float(np.abs(out_r - out_n).max()), float(np.abs(dx_r - dx_n).max()))
t_ref, t_numba = median_ms(maxpool_reference), median_ms(maxpool_numba)
print(f"max pool 2x2 on {x.shape}: max |diff| {diff}, reference {t_ref:.2f} ms, "
      f"numba {t_numba:.2f} ms")
lesson.check(1, "max-pool speed-up of numba over the reference (equal results)",
             t_ref / t_numba, diff == 0 and t_ref / t_numba > 2)

# ----- exercise 2: maxpool_cuda on the simulator, with a tie -------------------------------------
TIE_PROBE = """
import json
import numpy as np
from scratchnet.kernels import maxpool_cuda, maxpool_reference
x = np.random.default_rng(0).normal(size=(2, 3, 6, 6))
x[0, 0, 0, 0] = x[0, 0, 1, 1] = 5.0          # the first window of (0, 0) has two maxima
g = np.random.default_rng(1).normal(size=(2, 3, 3, 3))
results = []
for module in (maxpool_cuda, maxpool_reference):
    out, cache = module.forward(x, 2)
    results.append((out, module.backward(g, cache)))
(out_c, dx_c), (out_r, dx_r) = results
print(json.dumps({"equal": bool(np.array_equal(out_c, out_r) and np.array_equal(dx_c, dx_r)),
                  "tie_cells": [float(dx_c[0, 0, 0, 0]), float(dx_c[0, 0, 1, 1])],
                  "g": float(g[0, 0, 0, 0])}))
"""
tie = probe(TIE_PROBE, NUMBA_ENABLE_CUDASIM="1")
print(f"simulator: equal to the reference {tie['equal']}; the tie's two cells got "
      f"{tie['tie_cells']} (dout there: {tie['g']:.4f})")
lesson.check(2, "maxpool_cuda on the simulator equals maxpool_reference, tie included",
             tie["equal"], tie["equal"] and tie["tie_cells"] == [tie["g"], 0.0])

# ----- exercise 3: a second signature, a second .nbc file ----------------------------------------
SIGNATURE_PROBE = """
import json, time
import numpy as np
from scratchnet.kernels import conv_numba
x, W, b = np.ones((8, 1, 12, 12)), np.ones((4, 1, 3, 3)), np.zeros(4)
times = {}
for dtype in (np.float64, np.float32):
    for call in ("first", "second"):
        start = time.perf_counter()
        conv_numba.forward(x.astype(dtype), W.astype(dtype), b.astype(dtype), padding=1)
        times[f"{np.dtype(dtype).name} {call}"] = time.perf_counter() - start
print(json.dumps({"times": times, "signatures": len(conv_numba._direct_forward.signatures)}))
"""
with tempfile.TemporaryDirectory() as cache_dir:
    found = probe(SIGNATURE_PROBE, NUMBA_CACHE_DIR=cache_dir)
    files = [f for _, _, names in os.walk(cache_dir) for f in names]
times = found["times"]
n_nbi = sum(f.endswith(".nbi") for f in files)
n_nbc = sum(f.endswith(".nbc") for f in files)
ratio = times["float32 first"] / times["float32 second"]
print(", ".join(f"{k}: {v * 1e3:.2f} ms" for k, v in times.items()))
print(f"signatures: {found['signatures']}; cache files: {n_nbi} .nbi, {n_nbc} .nbc")
lesson.check(3, "first / second float32 call (2 signatures, 1 .nbi, 2 .nbc)", ratio,
             found["signatures"] == 2 and (n_nbi, n_nbc) == (1, 2) and ratio > 10)

lesson.finish()
