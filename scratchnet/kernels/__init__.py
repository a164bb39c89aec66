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
THREADING_NOTE_PLACEHOLDER
"""
import os

if "NUMBA_THREADING_LAYER" not in os.environ:     # the user's choice wins
    os.environ["NUMBA_THREADING_LAYER"] = "workqueue"  # read by numba if not yet imported
    import numba
    numba.config.THREADING_LAYER = "workqueue"         # and if numba was imported already

from scratchnet.kernels.backend import BACKENDS, get_backend, kernels, set_backend  # noqa: E402
