"""Compute kernels for conv and pooling, each op on three backends.

One module per op per backend, each a pair of pure functions that knows nothing of layers:

    conv_{reference,numba,cuda}      forward(x, W, b, stride, padding, dilation) -> (out, cache)
                                     backward(dout, cache) -> (dx, dW, db)
    maxpool_{...}, avgpool_{...}     forward(x, kernel, stride, padding) -> (out, cache)
                                     backward(dout, cache) -> dx

Read the *_reference modules first: they are the math, written as plain NumPy loops. The
numba and cuda modules compute the same numbers faster, and tests hold them equal. Shared
argument checks and the output-size formula are in geometry.py; backend.py chooses the
backend (scratchnet.set_backend, a layer's backend=, or $SCRATCHNET_BACKEND).

Threading on the CPU
--------------------
Two thread pools meet here: numba's (the parallel pooling kernels) and OpenBLAS's (the
matmuls of conv_numba and of Dense). On 2 cores, a pool of threads that SPINS while idle
steals the core the other pool needs, and a call waits for the OS to reschedule: stalls of
milliseconds between alternating calls. What we do:

  * scratchnet selects numba's "workqueue" threading layer (idle threads sleep) unless
    NUMBA_THREADING_LAYER is set; numba's default here was "omp" (GNU OpenMP, which spins).
    (workqueue cannot run parallel kernels from several Python threads at once.)
  * conv_numba keeps its im2col/col2im serial and leaves threads to BLAS; a prange version
    measured no faster on 2 cores, so one op never mixes the two pools.
  * pooling is pure numba (prange over N*C planes) with no BLAS inside.

Measured (2 shared cores, other jobs running, load ~2; max-pool 2x2 forward of
(64, 6, 28, 28) float32, median of 200 calls, right after a 256x256 float32 matmul
vs. on its own; 3 runs of each set-up, interleaved):
    omp (numba default)            alone 1.1-8.0 ms    after matmul 4.7-12.0 ms
    workqueue (scratchnet)         alone 1.4-2.1 ms    after matmul 2.1-2.4 ms
    omp + OMP_WAIT_POLICY=passive  alone 1.5-2.1 ms    after matmul 2.3-2.4 ms
So a spinning OpenMP pool costs up to 10 ms per call after BLAS; workqueue removes it.
Its price is a fixed cost per parallel kernel call: waking the sleeping worker took
0.10-0.14 ms for an empty prange loop on a quiet 2-core machine (0.002 ms on spinning omp),
which is why small pooling calls gain little from their second thread.
(benchmarks/RESULTS.md, "Waking numba's threads".)
"""
import os

if "NUMBA_THREADING_LAYER" not in os.environ:     # the user's choice wins
    os.environ["NUMBA_THREADING_LAYER"] = "workqueue"  # read by numba if not yet imported
    import numba
    numba.config.THREADING_LAYER = "workqueue"         # and if numba was imported already

from scratchnet.kernels.backend import BACKENDS, get_backend, kernels, set_backend  # noqa: E402

__all__ = ["BACKENDS", "get_backend", "kernels", "set_backend"]
