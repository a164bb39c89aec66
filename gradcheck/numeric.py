"""Finite differences: the slow, obviously-correct derivative that analytic gradients are held to.

For a scalar function f and an array x, the central difference

    df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2 h)

has truncation error O(h**2) and rounding error O(machine_eps * |f| / h). The step that balances
the two is h ~ cbrt(machine_eps) ~ 6e-6 (scaled by |x_i| for large entries), which is our default.
The one-sided differences (f(x+h) - f(x)) / h and (f(x) - f(x-h)) / h come for free and tell a
kink (ReLU at 0, a max with a tie) from a smooth point: at a kink they disagree, and any
subgradient lies between them.
"""
from __future__ import annotations

import numpy as np

#: cube root of float64 machine epsilon, about 6.06e-6: the default relative step.
DEFAULT_EPS = float(np.cbrt(np.finfo(np.float64).eps))


def _check_target(who: str, x) -> np.ndarray:
    """x must be a float64 ndarray: it is perturbed in place, so that f may read it from anywhere."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{who}: expected x to be a numpy array (it is perturbed in place), "
                        f"got {type(x).__name__}")
    if x.dtype != np.float64:
        raise TypeError(f"{who}: expected x with dtype float64 (finite differences need it), "
                        f"got {x.dtype}; pass x.astype(np.float64)")
    if not x.flags.writeable:
        raise ValueError(f"{who}: x is read-only, but it has to be perturbed in place")
    return x


def _scalar(who: str, value) -> float:
    """f must return one finite-or-not real number (a float or an array with one element)."""
    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(f"{who}: f must return a scalar, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


def finite_differences(f, x: np.ndarray, eps: float | None = None, *, terms: bool = False):
    """Central differences of f(x), and the range of slopes the one-sided differences allow.

    f:     function of x returning a scalar; it is called 2 * x.size + 1 times. With terms=True
           it returns an array of terms whose SUM is the scalar (say the terms g * y of
           L = sum(g * y)); the one-sided differences are then taken term by term.
    x:     float64 array of any shape. Each element is moved to x_i +- h in place and put back
           exactly (also when f raises).
    eps:   relative step: h_i = eps * max(1, |x_i|). None means DEFAULT_EPS = cbrt(machine eps).
    Returns (central, upper, lower), three float64 arrays shaped like x:
        central_i = (f(x + h e_i) - f(x - h e_i)) / (2 h)
        right = (f(x + h e_i) - f(x)) / h,   left = (f(x) - f(x - h e_i)) / h   (per term)
        upper_i = sum over terms of max(right, left),  lower_i = sum of min(right, left)
    At a smooth point upper ~ lower ~ central. At a kink (ReLU at 0, a tie in a max) every valid
    subgradient lies between lower and upper; per term, because separate terms may sit on
    separate kinks at once. The divisions use the steps really taken ((x_i + h) - x_i).
    """
    who = "numerical_gradient"
    x = _check_target(who, x)
    eps = DEFAULT_EPS if eps is None else float(eps)
    if not eps > 0:
        raise ValueError(f"{who}: expected eps > 0, got {eps}")
    value = (lambda z: np.asarray(f(z), dtype=np.float64)) if terms else (lambda z: _scalar(who, f(z)))
    f0 = value(x)
    central, upper, lower = (np.zeros(x.shape) for _ in range(3))
    for i in np.ndindex(x.shape):
        xi = x[i]                                  # a copy of the float: restored exactly below
        h = eps * max(1.0, abs(xi))
        try:
            x[i] = xi + h
            f_plus = value(x)
            x[i] = xi - h
            f_minus = value(x)
        finally:
            x[i] = xi
        h_up, h_down = (xi + h) - xi, xi - (xi - h)    # the steps really taken
        central[i] = (np.sum(f_plus) - np.sum(f_minus)) / (h_up + h_down)
        right, left = (f_plus - f0) / h_up, (f0 - f_minus) / h_down
        upper[i] = np.sum(np.maximum(right, left))
        lower[i] = np.sum(np.minimum(right, left))
    return central, upper, lower


def numerical_gradient(f, x: np.ndarray, eps: float | None = None) -> np.ndarray:
    """df/dx by central differences, in float64: an array shaped like x.

    f:   function of x returning a scalar, e.g. ``lambda x: np.sum(x ** 3)``. It may also ignore
         its argument and read x from elsewhere (a layer's parameter): x is changed IN PLACE,
         one element at a time, and always restored exactly.
    x:   float64 ndarray, any shape.
    eps: relative step, h_i = eps * max(1, |x_i|); default cbrt(machine eps) ~ 6e-6.

    Example: numerical_gradient(lambda x: np.sum(x ** 3), np.array([1.0, 2.0])) ~ [3, 12].
    """
    central, _, _ = finite_differences(f, x, eps)
    return central


def has_kink(f, x: np.ndarray, index: tuple, eps: float | None = None, *,
             terms: bool = False) -> bool:
    """True if the scalar f is not smooth at x along the element x[index] (a kink is there).

    The jump between the right and left one-sided slopes is measured with steps h and h/16:
    jump(h) ~ J + c * h, where c * h comes from the curvature (it shrinks with the step) and J
    is the change of slope at a kink (it does not). Extrapolating to h = 0 gives
    J = (16 jump(h/16) - jump(h)) / 15: a kink when J stands above rounding noise and is a
    real share of jump(h/16). x is perturbed in place and restored exactly.

    terms=True: f returns an array of terms whose SUM is the scalar (as in finite_differences).
    The differences are then taken term by term, so the terms that x[index] does not move add
    exactly nothing, and the rounding noise is that of the terms that moved, not of the whole
    sum: a kink whose jump is far below the size of f (a tiny upstream gradient there) can be
    proven. As rounding noise grows as the step shrinks and a kink's jump does not, the jump
    at h/256 must also stay within twice the jump at h/16.
    """
    x = _check_target("has_kink", x)
    eps = DEFAULT_EPS if eps is None else float(eps)
    value = (lambda z: np.asarray(f(z), dtype=np.float64)) if terms else (
        lambda z: _scalar("has_kink", f(z)))
    xi = x[index]
    h = eps * max(1.0, abs(xi))
    f0 = value(x)
    jumps, size = [], np.zeros_like(f0)       # size: |f| of the terms that moved, for the noise
    try:
        for step in (h, h / 16, h / 256) if terms else (h, h / 16):
            x[index] = xi + step
            f_plus = value(x)
            x[index] = xi - step
            f_minus = value(x)
            x[index] = xi
            right = np.sum(f_plus - f0) / ((xi + step) - xi)
            left = np.sum(f0 - f_minus) / (xi - (xi - step))
            jumps.append(abs(right - left))
            moved = (f_plus != f0) | (f_minus != f0)
            size = np.maximum(size, np.where(moved, abs(f0) + abs(f_plus) + abs(f_minus), 0.0))
    finally:
        x[index] = xi
    scale = float(np.sum(size)) if terms else abs(f0) + 1
    noise = 64 * np.finfo(np.float64).eps * scale / (h / 16)   # rounding in f, over h/16
    J = (16 * jumps[1] - jumps[0]) / 15
    steady = not terms or jumps[2] <= 2 * jumps[1]
    return J > noise and J > 0.1 * jumps[1] and steady
