"""Small helpers for the benchmarks: median timings, side-by-side timing, tables, machine facts.

Timings on a shared machine are noisy, so every figure is a MEDIAN over repeats after a
warm-up, and two implementations of the same work (ours and torch's) are timed in
alternating blocks of calls, so that both see about the same background load.
"""
from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time


def median_ms(fn, repeats: int, warmup: int = 2) -> float:
    """Run fn() `warmup` times untimed, then `repeats` times; the median duration in ms."""
    return paired_median_ms([fn], repeats, warmup)[0]


def paired_median_ms(fns, repeats: int, warmup: int = 2, rounds: int = 3) -> list[float]:
    """Median ms of each function in `fns` over `repeats` timed calls, run in alternating
    BLOCKS: in each of `rounds` rounds, every function gets `warmup` untimed calls, then its
    share of the timed calls. Blocks, not call-by-call alternation: a thread pool that spins
    after its call (torch's OpenMP, OpenBLAS) would otherwise steal the cores of the next
    call of the other library and slow it down (measured: up to 2x on 2 cores)."""
    times = [[] for _ in fns]
    rounds = max(1, min(rounds, repeats))
    for r in range(rounds):
        share = repeats // rounds + (1 if r < repeats % rounds else 0)
        for k, fn in enumerate(fns):
            for _ in range(warmup):
                fn()
            for _ in range(share):
                t0 = time.perf_counter()
                fn()
                times[k].append(time.perf_counter() - t0)
    return [1e3 * statistics.median(t) for t in times]


def table(headers, rows) -> str:
    """A plain-text table: columns padded to their widest cell, numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for k, row in enumerate(cells):
        parts = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(parts).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.2f}" if v < 100 else f"{v:.0f}"
    return str(v)


def ratio(ours: float | None, theirs: float | None) -> str | None:
    """ours / theirs as text like '1.23x', or None when either is missing."""
    if ours is None or theirs is None:
        return None
    return f"{ours / theirs:.2f}x"


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or platform.processor() elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.MULTILINE)
        if m:
            return m[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_lines() -> list[str]:
    """Lines describing the machine, versions and threads, for the top of a report."""
    import numba
    import numpy as np
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    lines = [f"cpu: {cpu_model()}, os.cpu_count() {os.cpu_count()}, usable cores {usable}",
             f"python {platform.python_version()}, numpy {np.__version__}, "
             f"numba {numba.__version__}",
             f"numba threads {numba.get_num_threads()}, threading layer "
             f"{threading_layer()}{tbb_source()}, BLAS {blas_name()} "
             f"({blas_threads()} threads, core type {blas_core()})"]
    blas_env = [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("OPENBLAS_")]
    if blas_env:                      # e.g. a core type forced by the machine's set-up
        lines.append("OpenBLAS settings from the environment: " + ", ".join(blas_env))
    if hasattr(os, "getloadavg"):
        load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
        lines.append(f"load average (1, 5, 15 min): {load}")
    return lines


def tbb_source() -> str:
    """' (libtbb from PATH)' when scratchnet loaded TBB's library from the tbb wheel, else ''."""
    from scratchnet.kernels import threads
    return f" (libtbb from {threads.tbb_loaded_from})" if threads.tbb_loaded_from else ""


def threading_layer() -> str:
    """The threading layer numba runs on (it is chosen at the first parallel call, so make one)."""
    import numba
    import numpy as np

    @numba.njit(parallel=True)
    def touch(a):
        for i in numba.prange(a.size):
            a[i] = i
    touch(np.zeros(2))
    return numba.threading_layer()


def blas_name() -> str:
    """NumPy's BLAS library as numpy.show_config reports it, e.g. 'scipy-openblas 0.3.29'."""
    import numpy as np
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{info.get('name', '?')} {info.get('version', '')}".strip()
    except Exception:                 # older NumPy without mode="dicts"
        return "unknown"


def _openblas():
    """NumPy's OpenBLAS as a ctypes library and its symbol prefix, or (None, None)."""
    import ctypes
    import numpy as np
    np.ones(2) @ np.ones(2)                       # make sure the library is loaded
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        return None, None
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas_", "64_"), ("scipy_openblas_", ""),
                               ("openblas_", "64_"), ("openblas_", "")):
            if hasattr(lib, f"{prefix}get_num_threads{suffix}"):
                return lib, (prefix, suffix)
    return None, None


def blas_threads() -> str:
    """How many threads NumPy's OpenBLAS runs (asked from the library itself), or '?'."""
    lib, names = _openblas()
    if lib is None:
        return "?"
    return str(getattr(lib, f"{names[0]}get_num_threads{names[1]}")())


def blas_core() -> str:
    """The CPU kernels OpenBLAS chose (e.g. 'Haswell', 'SkylakeX'), or '?'."""
    import ctypes
    lib, names = _openblas()
    if lib is None:
        return "?"
    fn = getattr(lib, f"{names[0]}get_corename{names[1]}", None)
    if fn is None:
        return "?"
    fn.restype = ctypes.c_char_p
    return fn().decode()


def numba_cache_state() -> str:
    """Where numba caches scratchnet's kernels and how many of them are cached there now."""
    import glob
    import numba
    import scratchnet.kernels as k
    base = numba.config.CACHE_DIR or os.path.join(os.path.dirname(k.__file__), "__pycache__")
    if numba.config.CACHE_DIR:
        pattern = os.path.join(base, "**", "*.nbi")
    else:
        pattern = os.path.join(base, "*.nbi")
    n = len(glob.glob(pattern, recursive=True))
    return f"numba cache {base}: {n} index files ({'warm' if n else 'cold: empty'})"


# ----- one library per process: the child runner the issue-11/12 benchmarks share ----------------
def run_child(script: str, which: str, threads: int, repeats: int, extra_env=None) -> dict:
    """Run `script --child WHICH --threads T --repeats R` in a fresh interpreter, with the
    thread counts of OpenMP, OpenBLAS and MKL set to T, and return the JSON object that is
    the last line it prints (case -> timing). One library per process: their thread pools
    never meet (RESULTS.md, "Method")."""
    env = dict(os.environ, **(extra_env or {}))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    cmd = [sys.executable, os.path.abspath(script), "--child", which, "--threads", str(threads),
           "--repeats", str(repeats)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def torch_version(skip: bool) -> str | None:
    """torch's version, or None when `skip` (--quick, --no-torch) or torch is not installed."""
    if skip:
        return None
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__
