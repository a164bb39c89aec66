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
"""
from __future__ import annotations

import ctypes
import functools
import importlib.metadata
import os
import threading

import numba

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


def report() -> dict:
    """What the process runs on: {"layer": ..., "tbb_loaded_from": ..., "requested": ...}."""
    return {"layer": threading_layer(), "tbb_loaded_from": tbb_loaded_from,
            "requested": os.environ.get("NUMBA_THREADING_LAYER"),
            "priority": os.environ.get("NUMBA_THREADING_LAYER_PRIORITY")}
