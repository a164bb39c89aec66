"""Compute kernels for conv and pooling, each op on three backends.

One module per op per backend, each a pair of pure functions that knows nothing of layers:

    conv_{reference,numba,cuda}      forward(x, W, b, stride, padding, dilation) -> (out, cache)
                                     backward(dout, cache, need_dx=True) -> (dx, dW, db)
                                     (need_dx=False: dx is None, and is not computed)
    maxpool_{...}, avgpool_{...}     forward(x, kernel, stride, padding) -> (out, cache)
                                     backward(dout, cache) -> dx

Read the *_reference modules first: they are the math, written as plain NumPy loops. The
numba and cuda modules compute the same numbers faster, and tests hold them equal. Shared
argument checks and the output-size formula are in geometry.py; backend.py chooses the
backend (scratchnet.set_backend, a layer's backend=, or $SCRATCHNET_BACKEND).

Threading on the CPU
--------------------
Two thread pools meet here: numba's (the parallel pooling kernels and conv's direct path) and
OpenBLAS's (the matmuls of conv_numba and of Dense). On 2 cores, a pool of threads that SPINS
while idle steals the core the other pool needs, and a call waits for the OS to reschedule:
stalls of milliseconds between alternating calls. A pool whose threads SLEEP at once pays
instead to wake them at every parallel call. What we do:

  * scratchnet asks numba for its "tbb" threading layer (Intel TBB: idle threads spin
    briefly, then sleep), and for "workqueue" (threads sleep at once) where TBB is missing.
    setup.cfg installs the `tbb` wheel where PyPI has one (x86-64), but the wheel puts
    libtbb.so.12 where the loader does not look, so threads.preload_tbb() loads it first;
    without that, a fresh virtual environment ran on workqueue. numba's own default here
    would be "omp" (GNU OpenMP, which spins). Setting NUMBA_THREADING_LAYER or
    NUMBA_THREADING_LAYER_PRIORITY yourself overrides all this.
  * Several Python threads may call the kernels at once. On workqueue, which aborts the
    process when two threads launch parallel work together, the numba kernels take turns
    through a lock (threads.serialized); on tbb they run side by side. conv_numba's reused
    work buffers belong to one thread each.
  * conv_numba keeps its im2col/col2im serial and leaves threads to BLAS, so one op never
    mixes the two pools; prange versions gained little on 2 cores (the wide im2col of LeNet's
    conv2: 0.094 -> 0.080 ms).
  * pooling is pure numba (prange over N*C planes) with no BLAS inside.

Measured on 2 cores (AMD EPYC, 2026-12-01), max-pool 2x2 forward of (64, 6, 28, 28) float32,
median of 200 calls, on its own vs. each right after a 256x256 float32 matmul; 3 runs:
    tbb (scratchnet)         alone 0.28-0.32 ms    after matmul 0.35-0.38 ms
    workqueue                alone 0.45-0.65 ms    after matmul 0.40-0.66 ms
    omp (numba's default)    alone 0.18-0.36 ms    after matmul 4.07-4.15 ms
An empty prange loop: 1.6 us on tbb, 122 us on workqueue (waking its sleeping worker),
1.4 us on omp; right after the matmul: 12 us, 100 us and 7.7 ms (omp's spinning threads
against OpenBLAS's). (benchmarks/RESULTS.md, "Waking numba's threads".)
"""
import os

_LAYER_VARIABLES = {"NUMBA_THREADING_LAYER", "NUMBA_THREADING_LAYER_PRIORITY"}
_USER_CHOSE_LAYER = bool(_LAYER_VARIABLES & set(os.environ))
if not _USER_CHOSE_LAYER:
    # the user's choice wins; else tbb if its library loads, else workqueue (numba's
    # "default" layer tries them in this order). The environment is read by numba if it is
    # not imported yet (and by child processes); numba.config is for when it already is.
    os.environ["NUMBA_THREADING_LAYER"] = "default"
    os.environ["NUMBA_THREADING_LAYER_PRIORITY"] = "tbb workqueue omp"
    import numba
    numba.config.THREADING_LAYER = "default"
    numba.config.THREADING_LAYER_PRIORITY = ["tbb", "workqueue", "omp"]

from scratchnet.kernels import threads  # noqa: E402

threads.preload_tbb()
if not _USER_CHOSE_LAYER:
    threads.warn_if_started_on_omp()    # too late to choose: numba's threads already run

from scratchnet.kernels.backend import BACKENDS, get_backend, kernels, set_backend  # noqa: E402

__all__ = ["BACKENDS", "get_backend", "kernels", "set_backend"]
