"""Argument checks that several modules share, so that every layer words its errors alike:
"<who>: expected <what> to be ..., got <value>" (TypeError for a wrong kind, ValueError for
a wrong value). Layers, losses and optimizers import these; none borrows another's."""
from __future__ import annotations

import math

import numpy as np


def positive_int(who: str, what: str, value) -> int:
    """Return value as an int if it is an int >= 1, else raise ValueError/TypeError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{who}: expected {what} to be a positive int, got {value!r}")
    if value < 1:
        raise ValueError(f"{who}: expected {what} to be a positive int, got {value}")
    return int(value)


def drop_probability(who: str, p) -> float:
    """A dropout rate: a number in [0, 1) (1 would drop everything)."""
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: expected p (the drop probability) to be a number, got {p!r}")
    if not (math.isfinite(p) and 0 <= p < 1):
        raise ValueError(f"{who}: expected p (the drop probability) in [0, 1), got {p!r}")
    return float(p)
