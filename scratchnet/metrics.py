"""Metrics: numbers that say how good predictions are, for people (not for gradients).

A metric is a function metric(y_pred, y_true) -> float. `Sequential.fit` reports the loss and
each metric per epoch; `get(name)` turns a name such as "accuracy" into the function.

    accuracy(y_pred, y_true)   fraction of examples whose predicted class is right
    mse(y_pred, y_true)        mean of (y_pred - y_true)**2
    mae(y_pred, y_true)        mean of |y_pred - y_true|
"""
from __future__ import annotations

import numpy as np


def _as_array(who: str, what: str, a) -> np.ndarray:
    """a as a numeric ndarray with at least one axis, or a clear TypeError/ValueError."""
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{who}: expected {what} to hold numbers, got dtype {a.dtype}")
    if a.ndim == 0 or a.shape[0] == 0:
        raise ValueError(f"{who}: expected {what} with at least one example, got shape {a.shape}")
    return a


def _is_binary(y_pred: np.ndarray) -> bool:
    """One score per example: shape (N,) or (N, 1)."""
    return y_pred.ndim == 1 or (y_pred.ndim == 2 and y_pred.shape[1] == 1)


def accuracy(y_pred, y_true, threshold: float = 0.5) -> float:
    """Fraction of examples classified correctly, in [0, 1].

    Multi-class: y_pred (N, K) scores (logits or probabilities); the predicted class is
        argmax over K. y_true is either integer labels (N,) in 0..K-1 or one-hot / probability
        rows (N, K), whose argmax is the true class.
    Binary: y_pred (N,) or (N, 1), one score per example; the prediction is y_pred > threshold.
        Use threshold=0.5 for probabilities (after a Sigmoid) and threshold=0.0 for logits
        (sigmoid(z) > 0.5 exactly when z > 0). y_true (N,) or (N, 1) holds 0/1 labels.
    """
    who = "accuracy"
    y_pred = _as_array(who, "y_pred", y_pred)
    y_true = _as_array(who, "y_true", y_true)
    N = y_pred.shape[0]
    if y_true.shape[0] != N:
        raise ValueError(f"{who}: y_pred has {N} examples (shape {y_pred.shape}) but y_true has "
                         f"{y_true.shape[0]} (shape {y_true.shape})")
    if _is_binary(y_pred):
        if not _is_binary(y_true):
            raise ValueError(f"{who}: binary y_pred of shape {y_pred.shape} needs y_true of shape "
                             f"({N},) or ({N}, 1), got {y_true.shape}")
        predicted = y_pred.reshape(N) > threshold
        true = y_true.reshape(N) > 0.5
    elif y_pred.ndim == 2:
        K = y_pred.shape[1]
        predicted = y_pred.argmax(axis=1)
        if y_true.ndim == 1:
            true = y_true
        elif y_true.shape == (N, K):
            true = y_true.argmax(axis=1)
        else:
            raise ValueError(f"{who}: y_pred of shape {y_pred.shape} needs y_true as labels ({N},) "
                             f"or one-hot ({N}, {K}), got shape {y_true.shape}")
    else:
        raise ValueError(f"{who}: expected y_pred of shape (N,), (N, 1) or (N, K), got {y_pred.shape}")
    return float(np.mean(predicted == true))


def _difference(who: str, y_pred, y_true) -> np.ndarray:
    """y_pred - y_true, allowing (N,) against (N, 1); other shape mismatches are errors."""
    y_pred = _as_array(who, "y_pred", y_pred)
    y_true = _as_array(who, "y_true", y_true)
    if y_pred.shape != y_true.shape:
        if y_pred.size == y_true.size and _is_binary(y_pred) and _is_binary(y_true):
            y_true = y_true.reshape(y_pred.shape)
        else:
            raise ValueError(f"{who}: expected y_pred and y_true of the same shape, "
                             f"got {y_pred.shape} and {y_true.shape}")
    return y_pred - y_true


def mse(y_pred, y_true) -> float:
    """Mean squared error: mean over all elements of (y_pred - y_true)**2. Shapes (N, ...) alike."""
    return float(np.mean(_difference("mse", y_pred, y_true) ** 2))


def mae(y_pred, y_true) -> float:
    """Mean absolute error: mean over all elements of |y_pred - y_true|. Shapes (N, ...) alike."""
    return float(np.mean(np.abs(_difference("mae", y_pred, y_true))))


_BY_NAME = {"accuracy": accuracy, "acc": accuracy, "mse": mse, "mae": mae}


def get(name):
    """Return the metric function called `name` ("accuracy" or "acc", "mse", "mae").

    A callable metric(y_pred, y_true) -> float is returned as it is.
    """
    if callable(name):
        return name
    if isinstance(name, str) and name.lower() in _BY_NAME:
        return _BY_NAME[name.lower()]
    raise ValueError(f"metrics.get: unknown metric {name!r}; known: {sorted(_BY_NAME)} "
                     f"or a function metric(y_pred, y_true) -> float")


def name_of(metric) -> str:
    """The name under which a metric is reported: "accuracy" for "acc", a function's __name__."""
    if isinstance(metric, str):
        return get(metric).__name__
    return getattr(metric, "__name__", type(metric).__name__)
