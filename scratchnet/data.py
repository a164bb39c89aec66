"""Everyday data handling: split, scale, one-hot encode, and cut into mini-batches.

    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, rng=0)
    scaler = StandardScaler().fit(x_train)          # statistics of the training part only
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    for xb, yb in batches(x_train, y_train, batch_size=32, rng=0):
        ...

Arrays are indexed by sample along axis 0: x is (N, ...) (e.g. (N, D) or (N, C, H, W)),
y is (N,) labels or (N, K) targets.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from scratchnet._config import as_rng, check_float_dtype, get_default_dtype


def _as_samples(who: str, name: str, a) -> np.ndarray:
    """a as an array with at least one axis (the sample axis)."""
    a = np.asarray(a)
    if a.ndim == 0:
        raise ValueError(f"{who}: expected {name} with a sample axis (shape (N, ...)), got a scalar")
    return a


def _check_same_length(who: str, x: np.ndarray, y: np.ndarray) -> None:
    if len(x) != len(y):
        raise ValueError(f"{who}: x and y must have the same number of samples, "
                         f"got x {x.shape} and y {y.shape}")


# ----- train / test split --------------------------------------------------------------------
def _test_count(n: int, test_size) -> int:
    """Number of test samples: a fraction in (0, 1) of n (rounded up) or an int count."""
    if isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool):
        n_test = int(test_size)
    elif isinstance(test_size, numbers.Real) and 0 < test_size < 1:
        n_test = math.ceil(test_size * n)
    else:
        raise ValueError(f"train_test_split: expected test_size as a fraction in (0, 1) or an "
                         f"int count, got {test_size!r}")
    if not 1 <= n_test <= n - 1:
        raise ValueError(f"train_test_split: test_size={test_size!r} gives {n_test} test samples "
                         f"out of {n}; both parts need at least one sample")
    return n_test


def _stratified_test_indices(y: np.ndarray, n_test: int, rng) -> np.ndarray:
    """Pick n_test indices so that each class gets its share (largest remainders round)."""
    classes, y_idx, counts = np.unique(y, return_inverse=True, return_counts=True)
    quota = n_test * counts / len(y)
    per_class = np.floor(quota).astype(int)
    leftover = n_test - per_class.sum()
    per_class[np.argsort(-(quota - per_class), kind="stable")[:leftover]] += 1
    picks = [rng.permutation(np.flatnonzero(y_idx == c))[:k] for c, k in enumerate(per_class)]
    return rng.permutation(np.concatenate(picks))


def train_test_split(x, y, test_size=0.2, stratify: bool = False, shuffle: bool = True, rng=None):
    """Split samples into a training and a test part.

    x: (N, ...) samples; y: (N,) labels or (N, ...) targets.
    test_size: fraction of the samples for testing (rounded up), or an int count.
    stratify: give each class of y (1-D labels) the same share in both parts; needs shuffle.
    shuffle: pick the test samples at random (rng: None, int seed or Generator); with
             shuffle=False the last samples are the test part and the order is kept.
    Returns (x_train, x_test, y_train, y_test) in that order, like scikit-learn:
        x_train (N - N_test, ...), x_test (N_test, ...), y_train, y_test likewise.
    """
    x, y = _as_samples("train_test_split", "x", x), _as_samples("train_test_split", "y", y)
    _check_same_length("train_test_split", x, y)
    n = len(x)
    n_test = _test_count(n, test_size)
    if stratify:
        if not shuffle:
            raise ValueError("train_test_split: stratify=True needs shuffle=True")
        if y.ndim != 1:
            raise ValueError(f"train_test_split: stratify needs y as (N,) labels, got shape {y.shape}")
        rng = as_rng(rng)
        test = _stratified_test_indices(y, n_test, rng)
        train = rng.permutation(np.setdiff1d(np.arange(n), test))
    else:
        order = as_rng(rng).permutation(n) if shuffle else np.arange(n)
        train, test = order[:n - n_test], order[n - n_test:]
    return x[train], x[test], y[train], y[test]


# ----- feature scaling -----------------------------------------------------------------------
class _Scaler:
    """Shared parts of the scalers: fit on (N, ...) data, then map arrays of the same features.

    Statistics are taken over axis 0 (the samples), one per feature: for x (N, D) they are
    (D,) arrays, for images (N, C, H, W) they are (C, H, W) arrays (one per pixel).
    """

    def _fit_input(self, x) -> np.ndarray:
        x = self._as_float(x, "fit")
        if len(x) == 0:
            raise ValueError(f"{type(self).__name__}.fit: expected at least one sample, got shape {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{type(self).__name__}.fit: x holds nan or inf values")
        self.feature_shape_ = x.shape[1:]
        return x

    def _as_float(self, x, method: str) -> np.ndarray:
        x = _as_samples(f"{type(self).__name__}.{method}", "x", x)
        if x.dtype.kind in "iub":
            return x.astype(get_default_dtype())
        if x.dtype not in (np.float32, np.float64):
            raise TypeError(f"{type(self).__name__}.{method}: expected numbers, got dtype {x.dtype}")
        return x

    def _check(self, x, method: str) -> np.ndarray:
        """x as float, after checking that fit ran and that the features match."""
        if not hasattr(self, "feature_shape_"):
            raise RuntimeError(f"{type(self).__name__}.{method}: call fit(x_train) first")
        x = self._as_float(x, method)
        if x.shape[1:] != self.feature_shape_:
            raise ValueError(f"{type(self).__name__}.{method}: fitted on samples of shape "
                             f"{self.feature_shape_}, got x of shape {x.shape}")
        return x

    def fit_transform(self, x) -> np.ndarray:
        """fit(x), then transform(x)."""
        return self.fit(x).transform(x)


class StandardScaler(_Scaler):
    """Standardize each feature: z = (x - mean) / std, with mean and std of the training data.

    A feature with zero variance (constant in the training data) gets std 1, so it maps to
    0 instead of dividing by zero. Output dtype: float input keeps its dtype, ints -> default.
    Attributes after fit: mean_, std_, both of shape x.shape[1:].
    """

    def fit(self, x) -> "StandardScaler":
        """Learn mean_ and std_ of x (N, ...) along the sample axis. Returns self."""
        x = self._fit_input(x).astype(np.float64)
        self.mean_ = x.mean(axis=0)
        std = x.std(axis=0)
        self.std_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, x) -> np.ndarray:
        """z = (x - mean_) / std_; x (M, ...) -> z (M, ...)."""
        x = self._check(x, "transform")
        return ((x - self.mean_) / self.std_).astype(x.dtype)

    def inverse_transform(self, z) -> np.ndarray:
        """x = z * std_ + mean_, undoing transform."""
        z = self._check(z, "inverse_transform")
        return (z * self.std_ + self.mean_).astype(z.dtype)


class MinMaxScaler(_Scaler):
    """Map each feature linearly so its training minimum goes to lo and its maximum to hi.

    Forward: s = lo + (x - min_) / (max_ - min_) * (hi - lo), with (lo, hi) = feature_range.
    A constant feature (max_ == min_) uses range 1 instead of 0, so it maps to lo.
    Values outside the training range map outside (lo, hi); nothing is clipped.
    """

    def __init__(self, feature_range=(0.0, 1.0)):
        try:
            lo, hi = (float(v) for v in feature_range)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"MinMaxScaler: expected feature_range as (low, high), "
                             f"got {feature_range!r}") from exc
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"MinMaxScaler: expected finite feature_range with low < high, "
                             f"got {feature_range!r}")
        self.feature_range = (lo, hi)

    def fit(self, x) -> "MinMaxScaler":
        """Learn min_ and max_ of x (N, ...) along the sample axis. Returns self."""
        x = self._fit_input(x).astype(np.float64)
        self.min_, self.max_ = x.min(axis=0), x.max(axis=0)
        span = self.max_ - self.min_
        self.span_ = np.where(span > 0, span, 1.0)
        return self

    def transform(self, x) -> np.ndarray:
        """s = lo + (x - min_) / span_ * (hi - lo); x (M, ...) -> s (M, ...)."""
        x = self._check(x, "transform")
        lo, hi = self.feature_range
        return (lo + (x - self.min_) / self.span_ * (hi - lo)).astype(x.dtype)

    def inverse_transform(self, s) -> np.ndarray:
        """x = min_ + (s - lo) / (hi - lo) * span_, undoing transform."""
        s = self._check(s, "inverse_transform")
        lo, hi = self.feature_range
        return (self.min_ + (s - lo) / (hi - lo) * self.span_).astype(s.dtype)


# ----- labels ---------------------------------------------------------------------------------
def one_hot(y, k: int | None = None, dtype=None) -> np.ndarray:
    """Turn labels into one-hot rows: Y[i, y[i]] = 1, every other entry 0.

    y: (N,) integer labels in 0..k-1 (ints, or floats holding whole numbers).
    k: number of classes K; default y.max() + 1.
    dtype: float32 or float64; default get_default_dtype().
    Returns Y (N, K).
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"one_hot: expected y of shape (N,), got shape {y.shape}")
    if y.dtype.kind not in "iuf" and not (y.dtype.kind == "b"):
        raise TypeError(f"one_hot: expected integer labels, got dtype {y.dtype}")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y) & (y == np.round(y))):
        raise ValueError("one_hot: expected whole-number labels, got non-integer values "
                         f"such as {y[~(np.isfinite(y) & (y == np.round(y)))][0]}")
    dtype = get_default_dtype() if dtype is None else check_float_dtype(dtype, "one_hot")
    if k is None:
        if y.size == 0:
            raise ValueError("one_hot: cannot infer k from an empty y; pass k")
        k = int(y.max()) + 1
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"one_hot: expected k to be an int >= 1, got {k!r}")
    labels = y.astype(np.int64)
    if y.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"one_hot: labels must lie in 0..{k - 1}, got values from "
                         f"{labels.min()} to {labels.max()}")
    out = np.zeros((len(labels), k), dtype=dtype)
    out[np.arange(len(labels)), labels] = 1
    return out


# ----- mini-batches ----------------------------------------------------------------------------
class Batches:
    """An iterable over mini-batches; every `for` loop over it is one epoch.

    Build it with `batches(...)`. Each epoch draws a fresh order from the rng stream (when
    shuffle=True), so two Batches made with the same int seed give the same sequence of epochs.
    len(b) is the number of batches per epoch.
    """

    def __init__(self, x, y, batch_size, shuffle, rng, drop_last):
        self.x = _as_samples("batches", "x", x)
        self.y = None if y is None else _as_samples("batches", "y", y)
        if self.y is not None:
            _check_same_length("batches", self.x, self.y)
        n = len(self.x)
        if batch_size is None:
            batch_size = max(n, 1)
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(f"batches: expected batch_size to be an int >= 1 or None, got {batch_size!r}")
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), shuffle, drop_last
        self.rng = as_rng(rng)

    def __len__(self) -> int:
        n, b = len(self.x), self.batch_size
        return n // b if self.drop_last else math.ceil(n / b)

    def __iter__(self):
        n = len(self.x)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        for k in range(len(self)):
            idx = order[k * self.batch_size:(k + 1) * self.batch_size]
            if self.y is None:
                yield self.x[idx]
            else:
                yield self.x[idx], self.y[idx]


def batches(x, y=None, batch_size: int | None = 32, shuffle: bool = True, rng=None,
            drop_last: bool = False) -> Batches:
    """Cut (x, y) into mini-batches, in a new random order each epoch.

    x: (N, ...) samples; y: (N, ...) labels/targets or None.
    batch_size: B, samples per batch; None means one batch of all N samples (full batch).
    shuffle: draw a new order every epoch from rng (None, int seed or Generator).
    drop_last: skip the last batch if it has fewer than B samples.
    Yields (xb, yb) with xb (B, ...) and yb (B, ...) (the last batch may be smaller), or
    just xb when y is None. The batches are copies: changing them leaves x and y alone.
        loader = batches(x, y, batch_size=64, rng=0)
        for epoch in range(10):
            for xb, yb in loader: ...          # a new order every epoch, repeatable by seed
    """
    return Batches(x, y, batch_size, shuffle, rng, drop_last)
