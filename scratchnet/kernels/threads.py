"""numba's thread pool: which threading layer runs the parallel kernels, and keeping it safe.

numba runs a `prange` loop on one of three "threading layers", chosen once per process at the
first parallel call:

    tbb        Intel TBB. Idle threads spin briefly, then sleep. Safe from several Python
               threads at once. Needs TBB's shared library, libtbb.so.12.
    workqueue  numba's own pool. Always there. NOT safe from several Python threads at once:
               two threads that launch a parallel kernel together make numba abort the whole
               process ("Concurrent access has been detected").
    omp        OpenMP. Safe from several threads, but its spinning threads fight OpenBLAS's
               for the cores (scratchnet/kernels/__init__.py has the figures).

Two things here make this work for a student's fresh virtual environment:

  * preload_tbb(). The `tbb` wheel (a dependency in setup.cfg on x86-64) puts libtbb.so.12 in
    the environment's lib/ folder, which is not on the loader's search path, so numba's tbb
    layer fails to import and numba falls back to workqueue. Loading the library from where
    the wheel put it, before numba's first parallel call, lets numba's own import find it.
  * serialized(). A decorator for a kernel's public functions: while numba's layer is not
    known to be thread-safe (before the first parallel call, or on workqueue), calls go
    through one lock, one at a time. On tbb and omp the lock is skipped.

`report()` says which layer runs and whether TBB was loaded; the benchmarks print it.

Reused memory, per thread
-------------------------
`empty_reused(slot, shape, dtype)` is np.empty for the big arrays of a training step (a
conv's output, ReLU's y and dx, a pool's dx). A fresh array of a megabyte or more is memory
that glibc's malloc has just taken from the OS (or given back and taken again), and the first
write to each of its 4 KB pages is a page fault: measured in a LeNet-5 step (batch 64,
float32), about 550 faults per step, and ReLU's forward on (64, 6, 28, 28) took 0.44 ms
there against 0.11 ms in a loop on its own. So each thread keeps, per slot, a few buffers
it handed out before, and hands one out again once nothing else refers to it: a buffer's
reference count says whether any array (the one handed out, a view of it, a layer's cache)
still uses it. An array the caller still holds is never reused; one the caller dropped
is. Each thread has its own buffers, so two threads never get the same one.
"""
from __future__ import annotations

import ctypes
import functools
import importlib.metadata
import os
import sys
import threading
import warnings

import numba
import numpy as np

TBB_LIBRARY_NAMES = ("libtbb.so.12", "libtbb.12.dylib", "tbb12.dll")
THREAD_SAFE_LAYERS = ("tbb", "omp")

_lock = threading.RLock()
_thread_safe: bool | None = None       # None until numba has picked its layer
tbb_loaded_from: str | None = None     # the path preload_tbb() loaded, if it did


def tbb_library_path() -> str | None:
    """Where the installed `tbb` wheel put TBB's shared library, or None if it is not there."""
    try:
        files = importlib.metadata.distribution("tbb").files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in files:
        if f.name in TBB_LIBRARY_NAMES:
            path = os.path.normpath(str(f.locate()))
            if os.path.isfile(path):
                return path
    return None


def preload_tbb() -> str | None:
    """Load TBB's library from the `tbb` wheel, so that numba's tbb layer can start.

    numba's tbb extension asks the loader for libtbb.so.12 by name; a library that is already
    loaded under that name is used, wherever it came from. Returns the path loaded, or None
    (no wheel, or the library would not load: numba then runs on workqueue).
    """
    global tbb_loaded_from
    path = tbb_library_path()
    if path is None:
        return None
    try:
        if os.name == "nt":
            os.add_dll_directory(os.path.dirname(path))
        ctypes.CDLL(path, mode=getattr(ctypes, "RTLD_GLOBAL", 0))
    except OSError:
        return None
    tbb_loaded_from = path
    return path


def threading_layer() -> str | None:
    """The layer numba runs parallel kernels on, or None before the first parallel call."""
    try:
        return numba.threading_layer()
    except ValueError:          # numba picks its layer at the first parallel launch
        return None


def _concurrent_calls_safe() -> bool:
    """True once numba runs on a layer that takes parallel calls from several threads."""
    global _thread_safe
    if _thread_safe is None:
        layer = threading_layer()
        if layer is None:
            return False        # not chosen yet: the first call goes through the lock
        _thread_safe = layer in THREAD_SAFE_LAYERS
    return _thread_safe


def serialized(kernel):
    """Decorate a function that may launch numba parallel loops, so that it is safe to call
    from several Python threads on any threading layer: on workqueue (and before numba has
    chosen its layer) the calls take turns through one lock; on tbb and omp they run at once.
    """
    @functools.wraps(kernel)
    def run(*args, **kwargs):
        if _concurrent_calls_safe():
            return kernel(*args, **kwargs)
        with _lock:
            return kernel(*args, **kwargs)
    return run


def warn_if_started_on_omp() -> None:
    """Warn when numba's threads were already running on "omp" before scratchnet could choose
    their layer (numba picks it once, at its first parallel call: here, some parallel numba
    code ran before scratchnet was imported). On omp, OpenMP's spinning threads fight
    OpenBLAS's for the cores: measured on 2 cores, a LeNet-5 training step took 24-40 ms
    against 4-6 ms on tbb, and a 2x2 max pool inside it 2.6-6.3 ms against 0.3."""
    if threading_layer() == "omp":
        warnings.warn(
            "scratchnet: numba's parallel threads were started before scratchnet was imported, "
            "on the 'omp' threading layer, whose spinning threads fight OpenBLAS's (a LeNet-5 "
            "training step on 2 cores: 24-40 ms, against 4-6 ms on tbb). Import scratchnet "
            "before any parallel numba code runs, or set NUMBA_THREADING_LAYER=tbb (or "
            "workqueue) yourself.",
            RuntimeWarning, stacklevel=3)


def report() -> dict:
    """What the process runs on: {"layer": ..., "tbb_loaded_from": ..., "requested": ...}."""
    return {"layer": threading_layer(), "tbb_loaded_from": tbb_loaded_from,
            "requested": os.environ.get("NUMBA_THREADING_LAYER"),
            "priority": os.environ.get("NUMBA_THREADING_LAYER_PRIORITY")}


# ----- reused memory (module docstring, "Reused memory, per thread") ----------------------------
REUSE_MIN_BYTES = 1 << 16      # smaller arrays come from malloc's free lists, without faults
REUSE_PER_SLOT = 4             # buffers kept per (slot, dtype, size) in each thread
_reuse = threading.local()     # .pools: {(slot, dtype, size): [1-D owner arrays]}


def _free_refcount() -> int:
    """sys.getrefcount of a buffer in _take's loop when nothing outside the pool holds it:
    measured once on a probe, so that the test does not depend on the interpreter's own
    counting (which differs between Python versions)."""
    probe = [np.empty(1)]
    return _refcount_in_loop(probe)


def _refcount_in_loop(bufs) -> int:
    for buf in bufs:
        return sys.getrefcount(buf)
    return 0


def _take(bufs):
    """The first buffer of `bufs` that nothing outside the list refers to, or None."""
    for buf in bufs:
        if sys.getrefcount(buf) <= _FREE:
            return buf
    return None


_FREE = _free_refcount()


def empty_reused(slot: str, shape, dtype) -> np.ndarray:
    """An uninitialised array of `shape` and `dtype`, like np.empty, whose memory is a buffer
    this thread handed out before for the same slot when nothing refers to that buffer any
    more (see the module docstring). The caller must write every element.

    slot: names what the array is for (e.g. "relu.forward"), so that arrays alive at the
    same time in one step keep apart. Arrays under REUSE_MIN_BYTES are plain np.empty.
    """
    dtype = np.dtype(dtype)
    size = 1
    for d in shape:
        size *= int(d)
    if size * dtype.itemsize < REUSE_MIN_BYTES:
        return np.empty(shape, dtype)
    pools = getattr(_reuse, "pools", None)
    if pools is None:
        pools = _reuse.pools = {}
    key = (slot, dtype, size)
    bufs = pools.get(key)
    if bufs is None:
        if len(pools) > 64:               # many shapes seen (say, a new batch size each
            pools.clear()                 # call): start again rather than keep them all
        bufs = pools[key] = []
    buf = _take(bufs)
    if buf is None:
        buf = np.empty(size, dtype)
        if len(bufs) < REUSE_PER_SLOT:
            bufs.append(buf)
    return buf.reshape(shape)


_zeros: dict = {}        # dtype -> one read-only 1-D array of zeros, grown when asked for more


def zeros_shared(shape, dtype) -> np.ndarray:
    """A READ-ONLY array of zeros of `shape` and `dtype`: a view of one buffer per dtype, kept
    for the whole process and shared by every thread (nothing ever writes into it; a write
    raises ValueError).

    For elementwise ops against 0: NumPy runs `np.maximum(x, zeros)` in its vectorized loop
    for two contiguous arrays, but `np.maximum(x, 0)` in a slower one for an array and a
    scalar. Measured on (64, 6, 28, 28), median of 300 calls, same results bit for bit (NaN,
    +-0, inf and subnormals included): float32 0.037 against 0.105 ms, float64 0.068 against
    0.158 ms.
    """
    dtype = np.dtype(dtype)
    size = 1
    for d in shape:
        size *= int(d)
    buf = _zeros.get(dtype)
    if buf is None or buf.size < size:
        buf = np.zeros(size, dtype)
        buf.flags.writeable = False
        _zeros[dtype] = buf            # two threads growing it at once: each keeps a valid one
    return buf[:size].reshape(shape)


def clear_reused() -> None:
    """Forget this thread's reused buffers (arrays handed out stay valid: they own a reference)."""
    getattr(_reuse, "pools", {}).clear()
