"""sweep_eps: how the finite-difference error depends on the step h (the "V" plot).

For a central difference the error is about

    truncation  h**2 * |f'''| / 6      (large h: the parabola is not the function)
  + rounding    eps_machine * |f| / h  (small h: f(x+h) - f(x-h) loses its digits)

so on log-log axes the error falls with slope 2, bottoms out near h ~ cbrt(eps) ~ 6e-6 and rises
again with slope -1. When a gradcheck fails at every step, the code is wrong; when it fails only
at some steps, the step is.
"""
from __future__ import annotations

import copy

import numpy as np

from gradcheck.numeric import DEFAULT_EPS, numerical_gradient


def _analytic_and_scalar(f_or_layer, x, df, seed):
    """(analytic dL/dx, scalar function of x) for a Layer (L = sum(y * g)) or a function f."""
    if hasattr(f_or_layer, "forward") and hasattr(f_or_layer, "backward"):
        layer = copy.deepcopy(f_or_layer).astype(np.float64)
        layer.reseed(seed)
        y_shape = np.shape(layer.forward(x))
        if int(np.prod(y_shape)) == 0:
            raise ValueError(f"sweep_eps: {getattr(layer, 'name', 'the layer')}.forward(x) with x "
                             f"of shape {x.shape} returned y of shape {y_shape}, with no "
                             f"elements: L = sum(y * g) is 0 whatever the gradients are, so "
                             f"there is nothing to check")
        g = np.random.default_rng(seed).standard_normal(y_shape)
        dx = np.array(layer.backward(g.copy()), dtype=np.float64)

        def scalar(z):
            layer.reseed(seed)
            return float(np.sum(layer.forward(z) * g))
        return dx, scalar
    if not callable(f_or_layer):
        raise TypeError(f"sweep_eps: expected a Layer or a function, got {type(f_or_layer).__name__}")
    if df is None:
        raise ValueError("sweep_eps: for a plain function f, also pass df (its analytic gradient)")
    return np.array(df(x.copy()), dtype=np.float64), f_or_layer


def sweep_eps(f_or_layer, x, eps_values=None, ax=None, path=None, *, df=None, seed=0):
    """Relative error of the numerical gradient against the analytic one, for many steps.

    f_or_layer: a Layer (then L = sum(layer.forward(x) * g), g random from `seed`, and the
                analytic gradient is layer.backward(g)), or a scalar function f(x) with df
                its gradient function (keyword df=).
    x:          input, e.g. (N, D); a float64 copy is used.
    eps_values: relative steps to try (default 13 values, 1e-1 ... 1e-12 and cbrt(eps)).
    ax:         a matplotlib Axes to draw on (default: a new Figure, outside pyplot, so nothing
                global changes); path: save the figure there (format from the extension).
    The error is ||a - n|| / (||a|| + ||n||) over all of dx (norms, so that near-zero
    elements do not dominate). Returns (eps_values, errors, fig), both as float64 arrays.
    Raises ValueError for an x (or a layer output) with no elements: the error would be 0 at
    every step, a "perfect" V from a check of nothing.
    """
    x = np.array(x, dtype=np.float64)
    if x.size == 0:                        # as check_layer & co.: a check of nothing must not pass
        raise ValueError(f"sweep_eps: expected x with at least one element, got shape {x.shape}: "
                         f"there is nothing to check, and every step would show error 0 "
                         f"(a batch of 2 to 5 is enough)")
    eps_values = np.sort(np.array(
        [10.0 ** -k for k in range(1, 13)] + [DEFAULT_EPS] if eps_values is None else eps_values,
        dtype=np.float64))[::-1]
    a, scalar = _analytic_and_scalar(f_or_layer, x, df, seed)
    errors = []
    for eps in eps_values:
        n = numerical_gradient(scalar, x, eps)
        denom = max(np.linalg.norm(a) + np.linalg.norm(n), np.finfo(np.float64).tiny)
        errors.append(np.linalg.norm(a - n) / denom)
    errors = np.array(errors)
    fig = _plot(eps_values, errors, ax, _title(f_or_layer))
    if path is not None:                   # drawn in memory, written in one step, audited
        from scratchnet.plot import save_figure
        save_figure(fig, path, dpi=120)
    return eps_values, errors, fig


def _title(f_or_layer) -> str:
    name = getattr(f_or_layer, "name", None) or getattr(f_or_layer, "__name__", "f")
    return f"finite-difference error vs step: {name}"


def _plot(eps_values, errors, ax, title):
    """Log-log plot of error against step, with the default step marked."""
    if ax is None:                         # a plain Figure: no pyplot, no global state, headless
        from matplotlib.figure import Figure
        ax = Figure(figsize=(6, 4)).add_subplot(1, 1, 1)
    fig = ax.figure
    floor = np.finfo(np.float64).tiny      # an exact 0 cannot go on a log axis
    ax.loglog(eps_values, np.maximum(errors, floor), "o-", label="relative error")
    ax.axvline(DEFAULT_EPS, color="gray", ls="--", label="default step cbrt(eps)")
    ax.invert_xaxis()
    ax.set_xlabel("step h (relative)")
    ax.set_ylabel("||analytic - numeric|| / (||a|| + ||n||)")
    ax.set_title(title)
    ax.text(0.02, 0.04, "truncation error ~ h^2", transform=ax.transAxes)
    ax.text(0.98, 0.04, "rounding error ~ eps/h", transform=ax.transAxes, ha="right")
    ax.legend(loc="upper center")
    return fig
