"""Which kernel backend runs conv and pooling: "reference", "numba" or "cuda".

    reference  plain NumPy loops, written to be read (slow)
    numba      numba-compiled CPU kernels (the default)
    cuda       numba.cuda GPU kernels; without a GPU, set NUMBA_ENABLE_CUDASIM=1 before
               numba is imported to run them on the (slow) CPU simulator

Choose it, most specific first: a layer's `backend=` argument, then
`scratchnet.set_backend(name)`, then the environment variable SCRATCHNET_BACKEND, then
"numba". A layer built with backend=None follows the global choice at every call.

`kernels(op, backend)` returns the module for one op ("conv", "maxpool", "avgpool"), which
has forward(...) -> (out, cache) and backward(dout, cache).
"""
from __future__ import annotations

import importlib
import os

BACKENDS = ("reference", "numba", "cuda")
OPS = ("conv", "maxpool", "avgpool")

_backend: str | None = None          # None: not set by set_backend; use the env var or "numba"


def check_backend(name, who: str = "backend") -> str:
    """Return `name` if it is a known backend, else raise ValueError listing the valid ones."""
    if name not in BACKENDS:
        raise ValueError(f"{who}: unknown backend {name!r}; expected one of {', '.join(BACKENDS)}")
    return name


def set_backend(name: str) -> None:
    """Set the global kernel backend: "reference", "numba" or "cuda".

    "cuda" raises RuntimeError at once when no GPU (or simulator) is available.
    """
    global _backend
    check_backend(name, "set_backend")
    if name == "cuda":
        require_cuda("set_backend")
    _backend = name


def get_backend() -> str:
    """The global kernel backend: set_backend's choice, else $SCRATCHNET_BACKEND, else "numba"."""
    if _backend is not None:
        return _backend
    return check_backend(os.environ.get("SCRATCHNET_BACKEND", "numba"), "SCRATCHNET_BACKEND")


def require_cuda(who: str) -> None:
    """Raise RuntimeError with the way out when numba.cuda has neither a GPU nor the simulator."""
    from numba import cuda
    if not cuda.is_available():
        raise RuntimeError(
            f"{who}: the 'cuda' backend needs an NVIDIA GPU with a working CUDA driver, and "
            "none was found. To run the CUDA kernels on numba's CPU simulator (slow, for "
            "testing), set the environment variable NUMBA_ENABLE_CUDASIM=1 before numba is "
            "imported; or choose the 'numba' or 'reference' backend.")


def kernels(op: str, backend: str | None = None):
    """The kernel module for `op` ("conv", "maxpool", "avgpool") on `backend` (None: get_backend())."""
    if op not in OPS:
        raise ValueError(f"kernels: unknown op {op!r}; expected one of {', '.join(OPS)}")
    name = get_backend() if backend is None else check_backend(backend, "kernels")
    if name == "cuda":
        require_cuda(f"{op} kernels")
    return importlib.import_module(f"scratchnet.kernels.{op}_{name}")
