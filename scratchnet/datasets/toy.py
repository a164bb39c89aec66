"""Small synthetic data sets for the course: made in a few lines, seen in one plot.

Classification sets return x (n, 2) float64 points and y (n,) int64 labels, with the rows
in random order and the classes as balanced as n allows (counts differ by at most one).
Regression sets return x (n, 1) and y (n, 1) float64 columns, ready for `x @ W + b`.
Every function takes `rng`: None, an int seed or a numpy Generator (see scratchnet.as_rng);
the same seed gives the same data.
"""
from __future__ import annotations

import numbers

import numpy as np

from scratchnet._config import as_rng

# The true line behind house_prices, so a student can compare it with what was learned.
HOUSE_BASE_PRICE = 50.0          # k€ for a (theoretical) house of 0 m²
HOUSE_PRICE_PER_100M2 = 250.0    # k€ per 100 m², i.e. 2,500 € per m²
PARK_FEATURES = ("weather", "money")


# ----- argument checks shared by every generator ----------------------------------------
def _check_int(who: str, name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{who}: expected {name} to be an int, got {type(value).__name__}")
    if value < low:
        raise ValueError(f"{who}: expected {name} >= {low}, got {value}")
    return int(value)


def _check_nonneg(who: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: expected {name} to be a number, got {type(value).__name__}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{who}: expected {name} >= 0 (and finite), got {value}")
    return float(value)


def _balanced_labels(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """n labels 0..k-1 whose counts differ by at most one, in random order: (n,) int64."""
    return rng.permutation(np.arange(n) % k).astype(np.int64)


# ----- classification --------------------------------------------------------------------
def spirals(n: int = 300, k: int = 3, noise: float = 0.2, rng=None):
    """k spiral arms around the origin, one class per arm: not linearly separable.

    n: total number of points (arms get n // k or n // k + 1 points each).
    noise: standard deviation of the random angle added to each point, in radians.
    Point i of arm j sits at radius r in [0, 1] and angle t = 2*pi*j/k + 4*r + noise*N(0, 1):
    x = r * (sin t, cos t).  Returns x (n, 2) float64, y (n,) int64 in 0..k-1.
    """
    n = _check_int("spirals", "n", n, 1)
    k = _check_int("spirals", "k", k, 2)
    noise = _check_nonneg("spirals", "noise", noise)
    rng = as_rng(rng)
    y = _balanced_labels(n, k, rng)
    r = rng.uniform(0.0, 1.0, size=n)
    t = 2 * np.pi * y / k + 4.0 * r + noise * rng.standard_normal(n)
    x = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    return x, y


def moons(n: int = 200, noise: float = 0.1, rng=None):
    """Two interleaving half circles ("moons"); class 0 on top, class 1 below.

    Class 0: (cos a, sin a), class 1: (1 - cos a, 0.5 - sin a), a uniform in [0, pi],
    plus Gaussian noise of standard deviation `noise` on both coordinates.
    Returns x (n, 2) float64, y (n,) int64 in {0, 1}.
    """
    n = _check_int("moons", "n", n, 1)
    noise = _check_nonneg("moons", "noise", noise)
    rng = as_rng(rng)
    y = _balanced_labels(n, 2, rng)
    a = rng.uniform(0.0, np.pi, size=n)
    top = np.stack([np.cos(a), np.sin(a)], axis=1)
    bottom = np.stack([1.0 - np.cos(a), 0.5 - np.sin(a)], axis=1)
    x = np.where(y[:, None] == 0, top, bottom) + noise * rng.standard_normal((n, 2))
    return x, y


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, rng=None):
    """A circle of radius 1 (class 0) around a smaller one of radius `factor` (class 1).

    factor: in (0, 1). noise: standard deviation of Gaussian noise on both coordinates.
    Returns x (n, 2) float64, y (n,) int64 in {0, 1}.
    """
    n = _check_int("circles", "n", n, 1)
    noise = _check_nonneg("circles", "noise", noise)
    factor = _check_nonneg("circles", "factor", factor)
    if not 0 < factor < 1:
        raise ValueError(f"circles: expected 0 < factor < 1, got {factor}")
    rng = as_rng(rng)
    y = _balanced_labels(n, 2, rng)
    a = rng.uniform(0.0, 2 * np.pi, size=n)
    radius = np.where(y == 0, 1.0, factor)
    x = radius[:, None] * np.stack([np.cos(a), np.sin(a)], axis=1)
    return x + noise * rng.standard_normal((n, 2)), y


def xor(n: int = 200, noise: float = 0.1, rng=None):
    """The XOR table as point clouds: corners (a, b) of the unit square, label a XOR b.

    Each point is one of the corners (0,0), (0,1), (1,0), (1,1) (a quarter of the points
    each) plus Gaussian noise of standard deviation `noise`; with noise=0 the rows are
    exactly the truth table. No straight line separates the classes.
    Returns x (n, 2) float64, y (n,) int64 in {0, 1}.
    """
    n = _check_int("xor", "n", n, 1)
    noise = _check_nonneg("xor", "noise", noise)
    rng = as_rng(rng)
    corner = _balanced_labels(n, 4, rng)              # 0..3 -> bits (a, b)
    a, b = corner // 2, corner % 2
    x = np.stack([a, b], axis=1).astype(np.float64) + noise * rng.standard_normal((n, 2))
    return x, (a ^ b).astype(np.int64)


def blobs(n: int = 200, centers=3, std: float = 1.0, rng=None):
    """Gaussian blobs: class j is centre j plus noise of standard deviation `std`.

    centers: an int k (k random centres drawn uniformly in [-10, 10]^2) or an array (k, D)
             of centres, so the points may have any dimension D.
    Returns x (n, D) float64 (D = 2 for an int), y (n,) int64 in 0..k-1.
    """
    n = _check_int("blobs", "n", n, 1)
    std = _check_nonneg("blobs", "std", std)
    rng = as_rng(rng)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        k = _check_int("blobs", "centers", centers, 1)
        centers = rng.uniform(-10.0, 10.0, size=(k, 2))
    else:
        centers = np.asarray(centers, dtype=np.float64)
        if centers.ndim != 2 or centers.shape[0] < 1 or centers.shape[1] < 1:
            raise ValueError(f"blobs: expected centers as an int or an array (k, D), "
                             f"got shape {centers.shape}")
    y = _balanced_labels(n, centers.shape[0], rng)
    x = centers[y] + std * rng.standard_normal((n, centers.shape[1]))
    return x, y


# ----- the course's tiny tables and regression sets --------------------------------------
# The course's park table (the "Deep learning and TensorFlow" deck's perceptron example):
# x1 the weather (-1 raining, 0 cloudy, 1 sunny), x2 the money (-1 broke, 0 getting by, 1 rich),
# y = 1 for "we go to the park". Rows in the deck's order.
_PARK_COURSE_X = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0],
                           [-1.0, 0.0], [-1.0, -1.0], [0.0, -1.0]])
_PARK_COURSE_Y = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
_PARK_AND_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_PARK_TABLES = ("and", "course")


def park(n: int | None = None, noise: float = 0.0, rng=None, table: str = "and"):
    """The perceptron example: do we go to the park, given the weather and our money?

    Features (columns of x, PARK_FEATURES): weather, money. y is 1.0 for "go", 0.0 for "stay".
    table picks the truth table:
      "and" (the default): go only if the weather is good AND we have money, 0/1 features
          (weather 0 bad, 1 good; money 0 none, 1 some). n=None gives its 4 rows in order:
              x = [[0,0], [0,1], [1,0], [1,1]],  y = [0, 0, 0, 1]          x (4, 2), y (4,)
      "course": the course's table (the deck "Deep learning and TensorFlow"), with three
          levels per feature: weather -1 raining, 0 cloudy, 1 sunny; money -1 broke,
          0 getting by, 1 rich. n=None gives its 6 rows in the course's order:
              x = [[1,0], [1,1], [0,1], [-1,0], [-1,-1], [0,-1]],  y = [1, 1, 1, 0, 0, 0]
          x (6, 2), y (6,). (The course then asks about (-1, 1), raining but rich, y = 1: it
          is not in the table.)
    With n, the table's rows repeat (each row n // R or n // R + 1 times, R rows, in random
    order) to n samples. noise adds Gaussian noise of that standard deviation to the features
    (not the labels). Both tables are linearly separable. x and y are float64.
    """
    noise = _check_nonneg("park", "noise", noise)
    if not isinstance(table, str):
        raise TypeError(f"park: expected table to be one of {_PARK_TABLES}, "
                        f"got {type(table).__name__}")
    if table not in _PARK_TABLES:
        raise ValueError(f"park: expected table to be one of {_PARK_TABLES}, got {table!r}")
    rng = as_rng(rng)
    if table == "course":
        tx, ty = _PARK_COURSE_X, _PARK_COURSE_Y
    else:
        tx = _PARK_AND_X
        ty = tx[:, 0] * tx[:, 1]                    # AND of two 0/1 values
    if n is None:
        rows = np.arange(len(tx))
    else:
        rows = _balanced_labels(_check_int("park", "n", n, 1), len(tx), rng)
    x, y = tx[rows].copy(), ty[rows].copy()
    if noise > 0:
        x = x + noise * rng.standard_normal(x.shape)
    return x, y


def house_prices(n: int = 50, noise: float = 20.0, rng=None):
    """House area and price for a first linear regression: price = 50 + 250 * area + noise.

    area: living area in units of 100 m², uniform in [0.4, 2.0] (40 to 200 m²).
    price: in k€ (thousands of euros); the true line is HOUSE_BASE_PRICE +
           HOUSE_PRICE_PER_100M2 * area (2,500 € per m²), and `noise` is the standard
           deviation of the Gaussian noise in k€.
    Returns (area (n, 1), price (n, 1)), both float64.
    """
    n = _check_int("house_prices", "n", n, 1)
    noise = _check_nonneg("house_prices", "noise", noise)
    rng = as_rng(rng)
    area = rng.uniform(0.4, 2.0, size=(n, 1))
    price = HOUSE_BASE_PRICE + HOUSE_PRICE_PER_100M2 * area + noise * rng.standard_normal((n, 1))
    return area, price


_CURVES = {
    "sin": np.sin,
    "abs": np.abs,
    "step": lambda x: (x >= 0).astype(np.float64),
    "square": np.square,
}


def curve(f, n: int = 100, x_range=(-3.0, 3.0), noise: float = 0.0, rng=None):
    """Samples of a 1-D function, for showing that a small network can approximate it.

    f: a callable taking x (n, 1) and returning (n, 1) or (n,) values, or one of the names
       "sin", "abs", "step" (1 for x >= 0 else 0), "square" (x**2).
    x: n evenly spaced points from x_range[0] to x_range[1] (sorted, so plots are easy);
    y = f(x) + Gaussian noise of standard deviation `noise`.
    Returns (x (n, 1), y (n, 1)), both float64.
    """
    n = _check_int("curve", "n", n, 1)
    noise = _check_nonneg("curve", "noise", noise)
    if isinstance(f, str):
        if f not in _CURVES:
            raise ValueError(f"curve: unknown function name {f!r}; expected one of {sorted(_CURVES)}")
        f = _CURVES[f]
    elif not callable(f):
        raise TypeError(f"curve: expected f to be a callable or a name, got {type(f).__name__}")
    lo, hi = _check_range(x_range)
    x = np.linspace(lo, hi, n).reshape(n, 1)
    y = np.asarray(f(x), dtype=np.float64)
    if y.shape == (n,):
        y = y.reshape(n, 1)
    if y.shape != (n, 1):
        raise ValueError(f"curve: f(x) with x of shape {x.shape} must return shape ({n}, 1) "
                         f"or ({n},), got {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("curve: f(x) returned values that are not finite (nan or inf)")
    return x, y + noise * as_rng(rng).standard_normal((n, 1))


def _check_range(x_range) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in x_range)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"curve: expected x_range as two numbers (low, high), got {x_range!r}") from exc
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"curve: expected finite x_range with low < high, got {x_range!r}")
    return lo, hi
