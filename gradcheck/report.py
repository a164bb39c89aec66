"""Comparing analytic with numerical gradients, and the Report that explains the result.

The error of one element, with a the analytic and n the numerical value, is

    err = |a - n| / max(|a| + |n|, atol / rtol)

the symmetric relative error, except that a difference below `atol` is measured against
atol / rtol, so that it never fails: near zero only the absolute difference means anything.
An element passes when err <= rtol, i.e. |a - n| <= max(rtol * (|a| + |n|), atol).
Defaults (float64, step ~6e-6): rtol = 1e-5, atol = 1e-8. A correct layer typically shows
errors of 1e-8 to 1e-11; any real bug (a factor, a sign, a missing term) gives 1e-2 or more.

An element that fails this test but whose analytic value lies between the left and right
one-sided differences (give or take KINK_SLACK, relative, because one-sided differences are only
O(h) accurate) sits on a kink (ReLU at 0, a tie in a max): it is counted as a kink, not a
failure. Only where the one-sided slopes really split, by more than KINK_SPLIT relative (and
atol): at a smooth point they differ by O(h) only, and such a narrow band, widened by the
slack, would let a real error of up to 1e-4 (ten times rtol) pass as a "kink". In a narrower
band (a kink whose two slopes nearly agree, like LeakyReLU(0.999) at 0) an element is a kink
only if numeric.has_kink proves one. Any value between the two one-sided slopes is a valid subgradient there. At a smooth
point the two one-sided slopes differ by only O(h), so a real bug cannot hide in that band.

Where SEVERAL kinks meet inside a model (an all-zero input row with zero biases puts every
hidden ReLU unit on its kink at once), the chain rule's choice of slopes, exactly like an
autodiff's, need not lie between the one-sided differences of the whole (think of
relu(x) - relu(-x) = x, whose chain-rule derivative at 0 is 0). check_model therefore also
accepts a failing element that provably sits on a kink (numeric.has_kink: the jump between the
one-sided slopes does not shrink with the step, as it would at a smooth point) even though its
analytic value is outside them; such "loose kinks" are counted and reported apart (Row.n_loose).
check_layer does the same for a layer with children (a block); a leaf layer stays strict.

A NaN or inf, analytic or numeric, always fails.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

RTOL = 1e-5
ATOL = 1e-8
KINK_SLACK = 1e-4      # widen the band [left, right] by this, relative (one-sided = O(h) accurate)
KINK_SPLIT = 1e-3      # a kink: the one-sided slopes differ by more than this, relative
N_WORST = 5            # how many worst elements a failing row shows


def rel_error(a: np.ndarray, n: np.ndarray, rtol: float = RTOL, atol: float = ATOL) -> np.ndarray:
    """Elementwise error |a - n| / max(|a| + |n|, atol / rtol) (see the module docstring);
    inf where a or n is not finite."""
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), atol / rtol)
    return np.where(np.isfinite(a) & np.isfinite(n), err, np.inf)


@dataclass
class Row:
    """The comparison of one tensor (dx, or one parameter): what str(Report) prints per line."""
    name: str
    shape: tuple
    max_err: float            # largest error over the elements that are not kinks
    worst_index: tuple        # where it is
    analytic: float           # analytic value there
    numeric: float            # numerical value there
    n_kinks: int              # elements accepted because they sit on a kink
    n_bad: int                # elements that fail
    status: str               # "ok" or "FAIL"
    hints: list = field(default_factory=list)
    worst: list = field(default_factory=list)   # [(index, analytic, numeric, ratio)], failing only
    kink_indices: list = field(default_factory=list)
    n_loose: int = 0          # of the kinks, those outside the one-sided slopes (check_model)


def compare(name, a, n, upper, lower, *, rtol=RTOL, atol=ATOL, batch_size=None,
            batch_axis=False, kink_test=None, narrow_kink_test=None) -> Row:
    """Compare analytic a with central differences n for one tensor; [lower, upper] is the
    range of slopes that the one-sided differences allow (see numeric.finite_differences).

    a, n, upper, lower: float64 arrays of one shape. batch_size: N, the batch size of the check
    (for the "ratio ~ N" hint); batch_axis: True when axis 0 of this tensor is the batch axis
    (dx). kink_test: None, or index -> bool telling whether a failing element sits on a kink;
    such an element is then accepted as a "loose kink" (check_model: several kinks may meet).
    narrow_kink_test: None, or index -> bool, asked about a failing element inside a band
    narrower than KINK_SPLIT (a smooth point, or a kink whose two slopes nearly agree):
    it is a kink only if the test proves one.
    Returns a Row, with hints for a failing tensor.
    """
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    err = rel_error(a, n, rtol, atol)
    lo, hi = np.minimum(lower, upper), np.maximum(lower, upper)
    slack = np.maximum(KINK_SLACK * (np.abs(lo) + np.abs(hi)), atol)
    with np.errstate(invalid="ignore", over="ignore"):
        inside = (a >= lo - slack) & (a <= hi + slack) & np.isfinite(err)
        # A kink splits the one-sided slopes by a real share of their size (ReLU at 0: the
        # whole of it); at a smooth point they differ by only h * f'' (O(h), relative ~1e-5).
        # There the band proves nothing, and the central difference alone decides.
        split = (hi - lo) > np.maximum(KINK_SPLIT * (np.abs(lo) + np.abs(hi)), atol)
    kink = (err > rtol) & inside & split
    if narrow_kink_test is not None:
        for i in map(tuple, np.argwhere((err > rtol) & inside & ~split)):
            kink[i] = narrow_kink_test(i)
    bad = (err > rtol) & ~kink
    if kink_test is not None:
        for i in map(tuple, np.argwhere(bad & np.isfinite(err))):
            kink[i] = kink_test(i)
        bad &= ~kink
    err_nk = np.where(kink, 0.0, err)
    worst = np.unravel_index(int(np.argmax(err_nk)), a.shape) if a.size else ()
    worst = tuple(int(i) for i in worst)
    row = Row(name, tuple(a.shape), float(err_nk.max(initial=0.0)), worst,
              float(a[worst]) if a.size else 0.0, float(n[worst]) if a.size else 0.0,
              int(kink.sum()), int(bad.sum()), "FAIL" if bad.any() else "ok",
              kink_indices=[tuple(int(j) for j in i) for i in zip(*np.nonzero(kink))],
              n_loose=int((kink & ~inside).sum()))
    if bad.any():
        order = np.argsort(-err_nk, axis=None)[:min(N_WORST, int(bad.sum()))]
        for flat in order:
            i = tuple(int(j) for j in np.unravel_index(int(flat), a.shape))
            ratio = a[i] / n[i] if n[i] != 0 and np.isfinite(n[i]) else float("nan")
            row.worst.append((i, float(a[i]), float(n[i]), float(ratio)))
        row.hints = hints(a, n, bad, rtol=rtol, atol=atol, batch_size=batch_size,
                          batch_axis=batch_axis)
    return row


def _near(c: float, target: float, tol: float = 0.02) -> bool:
    return abs(c - target) <= tol * abs(target)


def _ratio_hints(a, n, bad, atol, batch_size) -> list[str]:
    """Hints from a constant ratio analytic/numeric over the failing elements."""
    use = bad & (np.abs(n) > atol)
    if use.sum() < 2:                    # one element: any ratio is "constant", so no evidence
        return []
    r = a[use] / n[use]
    c = float(np.median(r))
    if not np.all(np.abs(r - c) <= 0.02 * abs(c) + 1e-12):
        return []
    out = []
    if _near(c, 2.0) or _near(c, 0.5):
        out.append(f"analytic/numeric = {c:.3g}: a missing/extra factor of 2 "
                   f"(d(x**2) = 2x? a 1/2 in the loss?)")
    if _near(c, -1.0):
        out.append("analytic/numeric = -1: a sign error (x - y vs y - x? a minus dropped?)")
    if batch_size and batch_size > 1 and (_near(c, batch_size) or _near(c, 1.0 / batch_size)):
        out.append(f"analytic/numeric = {c:.3g} ~ {'N' if c > 1 else '1/N'} (batch N = "
                   f"{batch_size}): a missing/extra sum or mean over the batch axis")
    if not out and abs(c) > 1e-12:
        out.append(f"analytic = {c:.4g} * numeric everywhere it fails: a constant factor is off")
    return out


def hints(a, n, bad, *, rtol=RTOL, atol=ATOL, batch_size=None, batch_axis=False) -> list[str]:
    """Guesses at the cause of a failing tensor, most specific first.

    Looks for: one single wrong element; a transposed 2-D gradient; an analytic 0 where the
    numerical value is not (a path the gradient never takes); a constant ratio (2 or 1/2, -1,
    N or 1/N); failures confined to some rows of the batch axis.
    """
    out = []
    if not (np.isfinite(a[bad]).all() and np.isfinite(n[bad]).all()):
        out.append("NaN or inf: in the analytic gradient (backward) or the numeric one (forward)"
                   " -- an overflow, log(0) or 0/0? make the formula stable")
    if bad.sum() == 1 and a.size > 1:
        i = tuple(int(j) for j in np.argwhere(bad)[0])
        out.append(f"a single element is wrong (index {i}); all the others agree")
    if a.ndim == 2 and a.shape[0] == a.shape[1] > 1 and np.all(rel_error(a.T, n, rtol, atol) <= rtol):
        out.append("transposed? analytic.T matches numeric (x.T @ dy vs dy.T @ x?)")
    zero = bad & (np.abs(a) <= atol) & (np.abs(n) > atol)
    if zero.sum() >= max(1, 0.9 * bad.sum()):
        out.append(f"missing path (gradient never reaches here): analytic is 0 where numeric is "
                   f"not, at {int(zero.sum())} of {int(bad.sum())} failing elements")
    out += _ratio_hints(a, n, bad, atol, batch_size)
    if batch_axis and batch_size and batch_size > 1 and a.ndim >= 1 and a.shape[0] == batch_size:
        rows = np.nonzero(bad.reshape(batch_size, -1).any(axis=1))[0]
        if 0 < len(rows) < batch_size:
            out.append(f"errors only in batch rows {rows.tolist()} of {batch_size}: "
                       f"something treats some examples differently")
    return out


@dataclass
class Check:
    """One structural check: what was checked, whether it held, and a message if not."""
    what: str
    ok: bool
    message: str = ""


class Report:
    """The result of a gradient check.

    passed:  True when every structural check holds and every tensor agrees (kinks allowed).
    skipped: True for a layer marked `differentiable = False` (Step): nothing was checked and
             passed is False, because nothing was proven; `status` is then "SKIP", not "FAIL".
    rows:    one Row per tensor (name, shape, max_err, worst_index, analytic, numeric,
             n_kinks, n_bad, status, hints, worst).
    checks:  the structural checks (Check objects).
    kinks:   [(tensor name, index)] of every element accepted as a kink.
    notes:   extra findings (for example from re-checking with a batch of 1).
    str(report) is an aligned table with a PASS/FAIL line and hints for failing tensors.
    """

    def __init__(self, title: str, rows=(), checks=(), *, rtol=RTOL, atol=ATOL,
                 skipped: bool = False, reason: str = ""):
        self.title, self.rows, self.checks = title, list(rows), list(checks)
        self.rtol, self.atol = rtol, atol
        self.skipped, self.reason = skipped, reason
        self.notes: list[str] = []

    @property
    def passed(self) -> bool:
        if self.skipped:
            return False
        return all(c.ok for c in self.checks) and all(r.status == "ok" for r in self.rows)

    @property
    def status(self) -> str:
        return "SKIP" if self.skipped else ("PASS" if self.passed else "FAIL")

    @property
    def kinks(self) -> list[tuple]:
        return [(r.name, i) for r in self.rows for i in r.kink_indices]

    @property
    def max_err(self) -> float:
        return max((r.max_err for r in self.rows), default=0.0)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"<Report {self.title}: {self.status}, max err {self.max_err:.2e}>"

    def __str__(self) -> str:
        lines = [f"gradcheck {self.title}   (rtol={self.rtol:g}, atol={self.atol:g})"]
        if self.skipped:
            return "\n".join(lines + [f"SKIP: {self.reason}"])
        for c in self.checks:
            if not c.ok:
                lines.append(f"  structural FAIL: {c.what}: {c.message}")
        n_ok = sum(c.ok for c in self.checks)
        lines.append(f"  structural checks: {n_ok} of {len(self.checks)} hold")
        lines += _table(self.rows)
        for r in self.rows:
            if r.status != "ok":
                lines += _explain(r)
        lines += [f"  note: {r.name}: {r.n_loose} element(s) sit where several kinks meet; their "
                  f"analytic value is outside the one-sided slopes (the chain rule may pick so "
                  f"there), not counted as failures; check at inputs off the kinks to verify them"
                  for r in self.rows if r.n_loose]
        lines += [f"  note: {t}" for t in self.notes]
        n_bad = sum(r.status != "ok" for r in self.rows) + sum(not c.ok for c in self.checks)
        verdict = "PASS" if self.passed else f"FAIL ({n_bad} problem{'s' * (n_bad != 1)})"
        tensors = f"{len(self.rows)} tensor{'s' * (len(self.rows) != 1)}"
        lines.append(f"{verdict}: {tensors}, max error {self.max_err:.2e}, {len(self.kinks)} kinks")
        return "\n".join(lines)


def _table(rows) -> list[str]:
    head = ("tensor", "shape", "max err", "worst index", "analytic", "numeric", "kinks", "status")
    cells = [head] + [(r.name, str(r.shape), f"{r.max_err:.2e}", str(r.worst_index),
                       f"{r.analytic:.6g}", f"{r.numeric:.6g}", str(r.n_kinks), r.status)
                      for r in rows]
    widths = [max(len(c[k]) for c in cells) for k in range(len(head))]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]


def _explain(r: Row) -> list[str]:
    lines = [f"  {r.name}: {r.n_bad} of {int(np.prod(r.shape))} elements wrong"]
    lines += [f"    hint: {h}" for h in r.hints] or ["    hint: no simple pattern; see the worst "
                                                      "elements, and sweep_eps to rule out the step"]
    lines.append(f"    {'index':<14} {'analytic':>13} {'numeric':>13} {'ratio':>10}")
    for i, a, n, ratio in r.worst:
        lines.append(f"    {str(i):<14} {a:>13.6g} {n:>13.6g} {ratio:>10.4g}")
    return lines
