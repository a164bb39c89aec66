"""Weight initializers: where a layer's starting parameters come from.

Why it matters: a layer computes y = x @ W with fan_in terms in every sum. If each
weight has variance Var(W) and the inputs have variance Var(x), then

    Var(y) = fan_in * Var(W) * Var(x)

so the signal grows or shrinks by fan_in * Var(W) at every layer. Pick Var(W) so that
this factor is about 1 and activations (and, backwards, gradients) keep a variance of
about 1 through a deep network:

    Xavier / Glorot:  Var(W) = 2 / (fan_in + fan_out)   for tanh / sigmoid / linear
    He / Kaiming:     Var(W) = 2 / fan_in               for ReLU (it zeroes half the signal,
                                                         so twice the variance makes up for it)

A normal distribution with std s has variance s**2; a uniform one on [-a, a] has
variance a**2 / 3, so a = sqrt(3 * Var(W)).

Every initializer is called the same way, so that a layer can take any of them:

    W = init(shape, rng=rng, dtype=dtype)

    shape: tuple of positive ints, for example (n_in, n_out) for Dense
    rng:   None, an int seed or a numpy.random.Generator (see scratchnet.as_rng)
    dtype: float32 or float64; None means get_default_dtype()

`fans(shape)` works out fan_in and fan_out from the shape; `get(name)` turns a name such
as "he" into the function.
"""
from __future__ import annotations

import math

import numpy as np

from scratchnet._config import as_rng, check_float_dtype, get_default_dtype


def _check_shape(who: str, shape) -> tuple[int, ...]:
    """Return shape as a tuple of positive ints, or raise a clear error."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"{who}: expected shape to be a tuple of ints, got {type(shape).__name__}")
    ok = all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d > 0 for d in shape)
    if not ok or len(shape) == 0:
        raise ValueError(f"{who}: expected shape to be a non-empty tuple of positive ints, got {shape!r}")
    return tuple(int(d) for d in shape)


def _dtype(who: str, dtype) -> np.dtype:
    return get_default_dtype() if dtype is None else check_float_dtype(dtype, who)


def fans(shape) -> tuple[int, int]:
    """Return (fan_in, fan_out) of a weight of this shape.

    fan_in is how many inputs feed one output unit; fan_out is how many outputs one input
    unit feeds.

        (n,)                    bias-like vector:      fan_in = fan_out = n
        (n_in, n_out)           Dense W:               fan_in = n_in, fan_out = n_out
        (k, n_in, n_out)        Maxout W (k pieces):   fan_in = n_in, fan_out = n_out
                                (each piece is its own Dense layer)
        (C_out, C_in, KH, KW)   Conv2D W:              fan_in = C_in*KH*KW, fan_out = C_out*KH*KW

    Any other number of axes raises ValueError.
    """
    shape = _check_shape("fans", shape)
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) == 3:
        return shape[1], shape[2]
    if len(shape) == 4:
        c_out, c_in, kh, kw = shape
        return c_in * kh * kw, c_out * kh * kw
    raise ValueError(f"fans: expected a shape with 1 to 4 axes (vector, Dense, Maxout or Conv2D), "
                     f"got {shape}")


def zeros(shape, rng=None, dtype=None) -> np.ndarray:
    """All zeros, of the given shape. `rng` is unused; it is there so every initializer is
    called the same way. Right for biases; wrong for weights (every unit would stay equal)."""
    return np.zeros(_check_shape("zeros", shape), dtype=_dtype("zeros", dtype))


def normal(shape, std: float = 0.01, rng=None, dtype=None) -> np.ndarray:
    """Normal with mean 0 and standard deviation `std` (Var(W) = std**2), any shape."""
    shape = _check_shape("normal", shape)
    if not (isinstance(std, (int, float, np.floating, np.integer)) and math.isfinite(std) and std >= 0):
        raise ValueError(f"normal: expected std to be a finite number >= 0, got {std!r}")
    return (as_rng(rng).standard_normal(shape) * std).astype(_dtype("normal", dtype))


def uniform(shape, low: float = -0.05, high: float = 0.05, rng=None, dtype=None) -> np.ndarray:
    """Uniform on [low, high), any shape. Var(W) = (high - low)**2 / 12."""
    shape = _check_shape("uniform", shape)
    nums = all(isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v)
               for v in (low, high))
    if not nums or low > high:
        raise ValueError(f"uniform: expected finite numbers low <= high, got low={low!r}, high={high!r}")
    return as_rng(rng).uniform(low, high, size=shape).astype(_dtype("uniform", dtype))


def _fans(who: str, shape, fan_in, fan_out) -> tuple[int, int]:
    """fans(shape), with either value replaced where the caller gave it (a positive int)."""
    for name, value in (("fan_in", fan_in), ("fan_out", fan_out)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer))
                                  or value < 1):
            raise ValueError(f"{who}: expected {name} to be a positive int, got {value!r}")
    auto_in, auto_out = fans(shape)
    return (auto_in if fan_in is None else int(fan_in)), (auto_out if fan_out is None else int(fan_out))


def xavier_normal(shape, rng=None, dtype=None, *, fan_in=None, fan_out=None) -> np.ndarray:
    """Glorot/Xavier normal: std = sqrt(2 / (fan_in + fan_out)).

    Keeps Var(activations) ~ 1 forwards (wants fan_in*Var(W) = 1) and Var(gradients) ~ 1
    backwards (wants fan_out*Var(W) = 1); the harmonic compromise is 2 / (fan_in + fan_out).
    For tanh, sigmoid and linear layers. fan_in/fan_out default to fans(shape).
    """
    shape = _check_shape("xavier_normal", shape)
    f_in, f_out = _fans("xavier_normal", shape, fan_in, fan_out)
    return normal(shape, std=math.sqrt(2.0 / (f_in + f_out)), rng=rng, dtype=dtype)


def xavier_uniform(shape, rng=None, dtype=None, *, fan_in=None, fan_out=None) -> np.ndarray:
    """Glorot/Xavier uniform on [-a, a] with a = sqrt(6 / (fan_in + fan_out)).

    Same variance as xavier_normal, 2 / (fan_in + fan_out), since Var = a**2 / 3.
    """
    shape = _check_shape("xavier_uniform", shape)
    f_in, f_out = _fans("xavier_uniform", shape, fan_in, fan_out)
    a = math.sqrt(6.0 / (f_in + f_out))
    return uniform(shape, -a, a, rng=rng, dtype=dtype)


def he_normal(shape, rng=None, dtype=None, *, fan_in=None) -> np.ndarray:
    """He/Kaiming normal: std = sqrt(2 / fan_in) (a plain, untruncated normal).

    ReLU sets about half of its inputs to zero, which halves the second moment; Var(W) =
    2 / fan_in doubles it back so activations keep their scale. For ReLU-family layers.
    """
    shape = _check_shape("he_normal", shape)
    f_in, _ = _fans("he_normal", shape, fan_in, None)
    return normal(shape, std=math.sqrt(2.0 / f_in), rng=rng, dtype=dtype)


def he_uniform(shape, rng=None, dtype=None, *, fan_in=None) -> np.ndarray:
    """He/Kaiming uniform on [-a, a] with a = sqrt(6 / fan_in), so Var(W) = 2 / fan_in."""
    shape = _check_shape("he_uniform", shape)
    f_in, _ = _fans("he_uniform", shape, fan_in, None)
    a = math.sqrt(6.0 / f_in)
    return uniform(shape, -a, a, rng=rng, dtype=dtype)


_BY_NAME = {
    "he": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "xavier": xavier_uniform,
    "glorot": xavier_uniform,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "normal": normal,
    "uniform": uniform,
    "zeros": zeros,
}


def get(init):
    """Return the initializer named `init` ("he", "xavier", ...), or `init` itself if it is
    callable (it will be called as init(shape, rng=rng, dtype=dtype); layers check what it
    returns with `initial_weight`).

    Unknown names raise ValueError listing the valid ones.
    """
    if callable(init):
        return init
    if not isinstance(init, str):
        raise TypeError(f"initializers.get: expected a name or a callable, got {type(init).__name__}")
    try:
        return _BY_NAME[init.lower()]
    except KeyError:
        valid = ", ".join(repr(k) for k in _BY_NAME)
        raise ValueError(f"initializers.get: unknown initializer {init!r}; valid names are {valid}, "
                         f"or pass a callable") from None


def initial_weight(who: str, init, shape: tuple, rng, dtype) -> np.ndarray:
    """W = get(init)(shape, rng=rng, dtype=dtype), checked: a float array of exactly `shape`,
    converted to `dtype` (a callable may ignore dtype) and copied (so that the layer owns it).
    Raises a ValueError naming `who`."""
    W = np.asarray(get(init)(shape, rng=rng, dtype=dtype))
    if W.shape != tuple(shape) or W.dtype.kind not in "iuf":
        raise ValueError(f"{who}: the initializer {name_of(init)} returned {W.dtype} of shape "
                         f"{W.shape}; expected numbers of shape {tuple(shape)}")
    return np.array(W, dtype=dtype)


def name_of(init) -> str:
    """A short readable name for an initializer (a string stays as it is), for __repr__."""
    return init if isinstance(init, str) else getattr(init, "__name__", repr(init))
