"""Library-wide settings: the default floating dtype and how random generators are made.

Parameters are created in the default dtype, float64 unless changed, so that a student's
NumPy arrays and the finite-difference checks in `gradcheck` are exact by default.
Switch a whole model to float32 for speed with `Sequential.astype(np.float32)`.
"""
from __future__ import annotations

import numpy as np

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_default_dtype = np.dtype(np.float64)


def set_default_dtype(dtype) -> None:
    """Set the dtype in which new parameters are created: float32 or float64."""
    global _default_dtype
    _default_dtype = check_float_dtype(dtype, "set_default_dtype")


def get_default_dtype() -> np.dtype:
    """The dtype in which new parameters are created (float64 unless changed)."""
    return _default_dtype


def check_float_dtype(dtype, who: str) -> np.dtype:
    """Return `dtype` as a NumPy dtype if it is float32 or float64, else raise TypeError."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{who}: expected dtype float32 or float64, got {dtype!r}") from exc
    if dt not in _FLOAT_DTYPES:
        raise TypeError(f"{who}: expected dtype float32 or float64, got {dt}")
    return dt


def as_rng(rng=None) -> np.random.Generator:
    """Turn `rng` into a `numpy.random.Generator`.

    rng: None (fresh entropy), an int seed, or a Generator (returned as it is, so that
    several layers can share one stream of random numbers).
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng: expected None, an int seed or a numpy.random.Generator, got {type(rng).__name__}")
