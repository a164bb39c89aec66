"""Tests of the gradcheck package: it must CATCH planted bugs and NEVER FAIL correct layers.

Every layer here is written in this file on purpose (not scratchnet's own), so that the checker
is tested against layers whose bugs we know: a correct reference, and copies with one bug each.
"""
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import gradcheck
from gradcheck import (check_function, check_layer, check_loss, check_model, numerical_gradient,
                       sweep_eps)
from scratchnet.layers import Layer

# ----- correct reference layers ---------------------------------------------------------------------


class RefDense(Layer):
    """Correct y = x @ W + b. x: (N, D), W: (D, M), b: (M,). Subclasses plant one bug each."""

    def __init__(self, d, m, rng=0):
        super().__init__()
        rng = np.random.default_rng(rng)
        self._add_param("W", rng.normal(size=(d, m)))
        self._add_param("b", rng.normal(size=m))

    def forward(self, x):
        self._save(x=x)
        return x @ self.params["W"] + self.params["b"]

    def gradients(self, x, dy):
        """Correct: dx = dy @ W.T, dW = x.T @ dy, db = dy.sum(axis=0)."""
        return dy @ self.params["W"].T, x.T @ dy, dy.sum(axis=0)

    def backward(self, dy):
        dx, dW, db = self.gradients(self._load()["x"], dy)
        self.grads["W"] = dW
        self.grads["b"] = db
        return dx


class RefReLU(Layer):
    """Correct ReLU: dx = dy * [x > 0] (derivative 0 at x == 0, a valid subgradient)."""

    def forward(self, x):
        self._save(x=x)
        return np.maximum(x, 0)

    def backward(self, dy):
        return np.where(self._load()["x"] > 0, dy, 0.0)


class RefTanh(Layer):
    """Correct tanh: dx = dy * (1 - y**2). Smooth, with curvature (for the eps sweep)."""

    def forward(self, x):
        y = np.tanh(x)
        self._save(y=y)
        return y

    def backward(self, dy):
        return dy * (1 - self._load()["y"] ** 2)


class PairMax(Layer):
    """Correct max over pairs of columns: x (N, 2P) -> y (N, P), y = max(x[:, 0::2], x[:, 1::2]).
    On a tie the first of the pair gets all of dy."""

    def forward(self, x):
        first_wins = x[:, 0::2] >= x[:, 1::2]
        self._save(first=first_wins)
        return np.where(first_wins, x[:, 0::2], x[:, 1::2])

    def backward(self, dy):
        first = self._load()["first"]
        dx = np.zeros((dy.shape[0], 2 * dy.shape[1]))
        dx[:, 0::2] = np.where(first, dy, 0.0)
        dx[:, 1::2] = np.where(first, 0.0, dy)
        return dx


class DenseReLU(Layer):
    """Correct y = relu(x @ W) in one layer. x: (N, D), W: (D, M). An all-zero row of x puts
    every output of that row on its kink at once."""

    def __init__(self, d, m, rng=0):
        super().__init__()
        self._add_param("W", np.random.default_rng(rng).normal(size=(d, m)))

    def forward(self, x):
        z = x @ self.params["W"]
        self._save(x=x, z=z)
        return np.maximum(z, 0)

    def backward(self, dy):
        """dz = dy * [z > 0];  dx = dz @ W.T;  dW = x.T @ dz."""
        cache = self._load()
        dz = np.where(cache["z"] > 0, dy, 0.0)
        self.grads["W"] = cache["x"].T @ dz
        return dz @ self.params["W"].T


class Dropoutish(Layer):
    """Correct inverted dropout with a reseedable generator: y = x * mask / (1 - p)."""

    def __init__(self, p=0.5):
        super().__init__()
        self.p, self.rng = p, np.random.default_rng()

    def reseed(self, seed):
        self.rng = np.random.default_rng(seed)

    def forward(self, x):
        mask = (self.rng.random(x.shape) >= self.p) / (1 - self.p)
        self._save(mask=mask)
        return x * mask

    def backward(self, dy):
        return dy * self._load()["mask"]


class Container(Layer):
    """A minimal Sequential: children() are the layers, run in order and backward in reverse."""

    def __init__(self, layers):
        super().__init__()
        self.layers = list(layers)

    def children(self):
        return self.layers

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dy):
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy


class MeanSquared:
    """Correct loss: L = (1/N) sum_n sum_k (p - t)**2; dL/dp = 2 (p - t) / N."""

    def forward(self, p, t):
        self.p, self.t = p, t
        return float(np.sum((p - t) ** 2) / p.shape[0])

    def backward(self):
        return 2 * (self.p - self.t) / self.p.shape[0]


# ----- planted bugs ---------------------------------------------------------------------------------


class DoubledW(RefDense):
    def gradients(self, x, dy):
        dx, dW, db = super().gradients(x, dy)
        return dx, 2 * dW, db


class SignDx(RefDense):
    def gradients(self, x, dy):
        dx, dW, db = super().gradients(x, dy)
        return -dx, dW, db


class TransposedW(RefDense):
    def gradients(self, x, dy):
        dx, dW, db = super().gradients(x, dy)
        return dx, dW.T, db                      # D == M in the tests, so the shape still fits


class FirstRowDb(RefDense):
    def gradients(self, x, dy):
        dx, dW, _ = super().gradients(x, dy)
        return dx, dW, dy[0].copy()               # forgot the sum over the batch


class MeanDb(RefDense):
    def gradients(self, x, dy):
        dx, dW, _ = super().gradients(x, dy)
        return dx, dW, dy.mean(axis=0)            # mean where a sum belongs


class OneWrongElement(RefDense):
    def gradients(self, x, dy):
        dx, dW, db = super().gradients(x, dy)
        dW = dW.copy()
        dW[0, 1] *= 3.0
        return dx, dW, db


class MissingPath(RefDense):
    def gradients(self, x, dy):
        dx, dW, db = super().gradients(x, dy)
        dx = dx.copy()
        dx[:, 0] = 0.0                           # the path to x[:, 0] forgotten
        return dx, dW, db


class OneExampleDx(RefDense):
    def gradients(self, x, dy):
        dx, dW, db = super().gradients(x, dy)
        dx = dx.copy()
        dx[0] *= 3.0                              # example 0 treated differently
        return dx, dW, db


class UpdatesParams(RefDense):
    def gradients(self, x, dy):
        dx, dW, db = super().gradients(x, dy)
        self.params["W"] -= 0.1 * dW              # the optimizer's job, not backward's
        return dx, dW, db


class InPlaceReLU(RefReLU):
    def backward(self, dy):
        dy[self._load()["x"] <= 0] = 0            # the classic trap: writes into the caller's dy
        return dy


class NoReseed(Dropoutish):
    def reseed(self, seed):                       # forgets to reset its generator
        pass


class WrongKinkReLU(RefReLU):
    def backward(self, dy):
        x = self._load()["x"]
        return np.where(x > 0, dy, np.where(x == 0, -dy, 0.0))   # -1 at 0: no valid subgradient


class ForgotMeanLoss(MeanSquared):
    def backward(self):
        return 2 * (self.p - self.t)


class HalfLoss(MeanSquared):
    def backward(self):
        return (self.p - self.t) / self.p.shape[0]


# ----- helpers ----------------------------------------------------------------------------------------


def row(report, name):
    return next(r for r in report.rows if r.name == name)


def hint_text(report, name):
    return " | ".join(row(report, name).hints)


def normal(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


dims = st.integers(2, 5)
seeds = st.integers(0, 2 ** 16)


# ----- numerical_gradient -------------------------------------------------------------------------------


def test_numerical_gradient_of_known_functions():
    x = normal((3, 4))
    assert np.allclose(numerical_gradient(lambda z: np.sum(z ** 3), x), 3 * x ** 2, rtol=1e-8)
    assert np.allclose(numerical_gradient(lambda z: np.sum(np.sin(z)), x), np.cos(x), rtol=1e-8)
    w = normal(4, seed=1)
    assert np.allclose(numerical_gradient(lambda z: float(np.sum(z @ w)), x),
                       np.broadcast_to(w, x.shape), rtol=1e-8)


def test_numerical_gradient_large_values_use_a_relative_step():
    x = np.array([1e4, -3e3, 2e3])       # h = 6e-6 would lose every digit of f ~ 1e8 here
    assert np.allclose(numerical_gradient(lambda z: np.sum(z ** 2), x), 2 * x, rtol=1e-8)


def test_numerical_gradient_restores_x_exactly_and_reads_it_in_place():
    x = normal((2, 3)) * 1e3 + 0.1
    before = x.copy()
    w = normal((2, 3), seed=2)
    grad = numerical_gradient(lambda _: float(np.sum(w * x ** 2)), x)   # f reads x from outside
    assert np.array_equal(x, before)
    assert np.allclose(grad, 2 * w * x, rtol=1e-7)


def test_numerical_gradient_restores_x_when_f_raises():
    x = normal(5)
    before = x.copy()
    calls = []

    def f(z):
        calls.append(1)
        if len(calls) == 4:
            raise ArithmeticError("boom")
        return np.sum(z)

    with pytest.raises(ArithmeticError):
        numerical_gradient(f, x)
    assert np.array_equal(x, before)


def test_numerical_gradient_bad_input():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(np.sum, np.ones(3, dtype=np.float32))
    with pytest.raises(TypeError, match="numpy array"):
        numerical_gradient(np.sum, [1.0, 2.0])
    with pytest.raises(ValueError, match="scalar"):
        numerical_gradient(lambda z: z * 2, np.ones(3))
    with pytest.raises(ValueError, match="eps"):
        numerical_gradient(np.sum, np.ones(3), eps=0.0)


# ----- correct layers never fail ----------------------------------------------------------------------


@given(n=dims, d=dims, m=dims, seed=seeds)
def test_correct_dense_passes(n, d, m, seed):
    report = check_layer(RefDense(d, m, rng=seed), normal((n, d), seed), seed=seed)
    assert report.passed, str(report)
    assert [r.name for r in report.rows] == ["dx", "W", "b"]
    assert report.max_err < 1e-6


@given(n=dims, d=dims, seed=seeds)
def test_correct_relu_passes_exactly_at_kinks(n, d, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, size=(n, d)).astype(float)       # many entries exactly 0
    x[0, 0] = 0.0
    report = check_layer(RefReLU(), x, seed=seed)
    assert report.passed, str(report)
    assert len(report.kinks) == np.count_nonzero(x == 0)     # every zero is a kink...
    assert all(x[i] == 0 for _, i in report.kinks)           # ...and nothing else is


class SlightlyOffTanh(RefTanh):
    """Bug: dx is 1.0001 times too large, a 1e-4 relative error (10 times rtol)."""

    def backward(self, dy):
        return super().backward(dy) * 1.0001


@given(n=dims, d=dims, seed=seeds)
def test_smooth_points_are_not_kinks(n, d, seed):
    # The kink band [left, right] was widened by 1e-4 relative even where the one-sided slopes
    # agree (a smooth point): a correct tanh reported every element as a "kink", and a 1e-4
    # relative error passed as one, so the effective tolerance was ten times rtol.
    x = normal((n, d), seed)
    good = check_layer(RefTanh(), x, seed=seed)
    assert good.passed and good.kinks == [], str(good)
    bad = check_layer(SlightlyOffTanh(), x, seed=seed)
    assert not bad.passed and bad.kinks == [], str(bad)


class NearlyLinearLeaky(Layer):
    """Correct leaky ReLU with slope 0.999 below 0: a kink whose two slopes nearly agree."""

    def forward(self, x):
        self._save(x=x)
        return np.where(x > 0, x, 0.999 * x)

    def backward(self, dy):
        return np.where(self._load()["x"] > 0, dy, 0.999 * dy)


@given(n=dims, d=dims, seed=seeds)
def test_kink_with_nearly_equal_slopes_passes(n, d, seed):
    # The slopes 1 and 0.999 split by less than KINK_SPLIT, so only has_kink can tell this
    # kink from a smooth point; a correct layer must pass, its zeros counted as kinks.
    x = np.random.default_rng(seed).integers(-2, 3, size=(n, d)).astype(float)
    x[0, 0] = 0.0
    report = check_layer(NearlyLinearLeaky(), x, seed=seed)
    assert report.passed, str(report)
    assert sorted(i for _, i in report.kinks) == sorted(map(tuple, np.argwhere(x == 0)))


@given(n=dims, p=dims, seed=seeds)
def test_correct_pair_max_passes_with_ties(n, p, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2 * p))
    tie = rng.random((n, p)) < 0.5
    x[:, 1::2] = np.where(tie, x[:, 0::2], x[:, 1::2])
    report = check_layer(PairMax(), x, seed=seed)
    assert report.passed, str(report)
    assert len(report.kinks) >= 2 * np.count_nonzero(tie)    # both members of a tie


@given(n=dims, d=dims, seed=seeds)
def test_correct_random_layer_with_reseed_passes(n, d, seed):
    report = check_layer(Dropoutish(0.5), normal((n, d), seed), seed=seed)
    assert report.passed, str(report)


@given(n=dims, d=dims, m=dims, seed=seeds)
def test_correct_layer_passes_where_many_kinks_meet(n, d, m, seed):
    x = normal((n, d), seed)
    x[0] = 0.0                                     # every output of row 0 sits on its kink
    report = check_layer(DenseReLU(d, m, rng=seed), x, seed=seed)
    assert report.passed, str(report)
    assert any(name == "dx" and i[0] == 0 for name, i in report.kinks)


@given(n=dims, d=dims, seed=seeds)
@example(n=2, d=2, seed=2203)     # the chain rule's 0 at x[0, 1] is outside both one-sided slopes
@example(n=2, d=2, seed=7355)     # ...and here the slopes differ by only 2e-6 (a tiny kink)
def test_correct_model_passes_where_kinks_meet(n, d, seed):
    first = RefDense(d, 4, rng=seed)
    first.params["b"][...] = 0.0                   # with x[0] = 0 every hidden unit is at 0
    model = Container([first, RefReLU(), RefDense(4, 3, rng=seed + 1), RefReLU(),
                       RefDense(3, 2, rng=seed + 2)])
    x = np.round(normal((n, d), seed))
    x[0] = 0.0
    report = check_model(model, MeanSquared(), x, normal((n, 2), seed + 1), seed=seed)
    assert report.passed, str(report)


def test_block_layer_is_judged_like_a_model():
    first = RefDense(2, 4, rng=2203)
    first.params["b"][...] = 0.0
    block = Container([first, RefReLU(), RefDense(4, 3, rng=2204), RefReLU()])
    x = np.array([[0.0, 0.0], [-0.0, -1.0]])
    report = check_layer(block, x, seed=2203)
    assert report.passed, str(report)
    assert [r.name for r in report.rows][:2] == ["dx", "layer 0 (RefDense).W"]


def test_model_bug_is_caught_even_where_kinks_meet():
    first = RefDense(3, 4, rng=0)
    first.params["b"][...] = 0.0
    model = Container([first, RefReLU(), DoubledW(4, 2, rng=1)])
    x = normal((4, 3))
    x[0] = 0.0
    report = check_model(model, MeanSquared(), x, normal((4, 2), 1))
    assert [r.name for r in report.rows if r.status != "ok"] == ["layer 2 (DoubledW).W"]


def test_has_kink():
    at = np.zeros(1)
    assert gradcheck.has_kink(lambda z: np.sum(np.abs(z)), at, (0,))
    assert gradcheck.has_kink(lambda z: np.sum(np.maximum(z, 0) + 3 * z ** 2), at, (0,))
    assert not gradcheck.has_kink(lambda z: np.sum(np.abs(z)), np.ones(1), (0,))
    assert not gradcheck.has_kink(lambda z: np.sum(np.cos(5 * z)), np.full(1, 0.3), (0,))
    assert at[0] == 0.0


def test_has_kink_by_terms_proves_a_kink_too_small_for_the_whole_sum():
    # A kink of jump 1e-8 (|x0| weighted by 1e-8) inside a sum of size 10: below the rounding
    # noise of the sum, but not of the one term that x0 moves.
    x = np.zeros(3)
    big = np.full(2, 5.0)

    def terms(z):
        return np.concatenate([[1e-8 * abs(z[0])], big + z[1:] ** 2])
    assert not gradcheck.has_kink(lambda z: np.sum(terms(z)), x, (0,))
    assert gradcheck.has_kink(terms, x, (0,), terms=True)
    assert not gradcheck.has_kink(terms, x, (1,), terms=True)          # smooth there
    assert not gradcheck.has_kink(lambda z: np.cos(5 * z), np.full(2, 0.3), (0,), terms=True)
    assert not x.any()


def test_kink_under_a_tiny_upstream_gradient_passes():
    # hypothesis found it: the upstream gradient at the kink x[0, 0] = 0 is -3.8e-5, so the two
    # slopes split by 3.8e-8, below the rounding noise of the whole loss but above atol.
    x = np.random.default_rng(117).integers(-2, 3, size=(2, 2)).astype(float)
    x[0, 0] = 0.0
    report = check_layer(NearlyLinearLeaky(), x, seed=117)
    assert report.passed, str(report)
    assert report.kinks == [("dx", (0, 0))]


def test_wrong_derivative_at_a_kink_still_fails():
    report = check_layer(WrongKinkReLU(), np.array([[0.0, 1.0, -1.0], [0.0, 2.0, 0.5]]))
    assert not report.passed
    assert row(report, "dx").n_bad == 2


def test_caller_layer_and_x_are_untouched_and_float32_works():
    layer = RefDense(3, 2, rng=0).astype(np.float32)
    W0 = layer.params["W"].copy()
    x = normal((4, 3)).astype(np.float32)
    x0 = x.copy()
    report = check_layer(layer, x)
    assert report.passed, str(report)
    assert layer.params["W"].dtype == np.float32 and np.array_equal(layer.params["W"], W0)
    assert np.array_equal(x, x0) and layer._cache is None


def test_not_differentiable_layer_is_skipped():
    class NoGrad(RefReLU):
        differentiable = False
    report = check_layer(NoGrad(), normal((2, 3)))
    assert report.skipped and not report.passed and report.status == "SKIP"
    assert "SKIP" in str(report) and "not differentiable" in str(report)
    assert check_model(Container([RefDense(3, 3), NoGrad()]), MeanSquared(), normal((2, 3)),
                       normal((2, 3))).skipped


# ----- planted bugs are caught and explained ----------------------------------------------------------

BUGS = [  # (layer class, tensor that must fail, words the hint must contain)
    (DoubledW, "W", "factor of 2"),
    (SignDx, "dx", "sign error"),
    (TransposedW, "W", "transposed"),
    (FirstRowDb, "b", "batch"),
    (MeanDb, "b", "~ 1/N (batch N = 3): a missing/extra sum or mean over the batch"),
    (OneWrongElement, "W", "single element is wrong (index (0, 1))"),
    (MissingPath, "dx", "missing path"),
    (OneExampleDx, "dx", "errors only in batch rows [0] of 3"),
]


@pytest.mark.parametrize("cls, tensor, words", BUGS, ids=[b[0].__name__ for b in BUGS])
def test_planted_bug_fails_with_the_right_hint(cls, tensor, words):
    report = check_layer(cls(4, 4, rng=1), normal((3, 4)), seed=2)
    assert not report.passed
    assert row(report, tensor).status == "FAIL"
    assert words in hint_text(report, tensor), str(report)
    others = [r for r in report.rows if r.name != tensor]
    assert all(r.status == "ok" for r in others), str(report)   # the blame lands on one tensor
    assert all(c.ok for c in report.checks), str(report)        # linear, in place: fine
    assert "FAIL" in str(report) and words in str(report)


@given(n=dims, d=dims, seed=seeds)
def test_planted_factor_and_sign_bugs_fail_at_any_shape(n, d, seed):
    x = normal((n, d), seed)
    assert "factor of 2" in hint_text(check_layer(DoubledW(d, d, rng=seed), x, seed=seed), "W")
    assert "sign error" in hint_text(check_layer(SignDx(d, d, rng=seed), x, seed=seed), "dx")
    assert "batch" in hint_text(check_layer(FirstRowDb(d, d, rng=seed), x, seed=seed), "b")


def structural(report, words):
    return next(c for c in report.checks if words in c.what)


def test_nan_in_backward_fails():
    class NanDense(RefDense):
        def gradients(self, x, dy):
            dx, dW, db = super().gradients(x, dy)
            return dx, dW * np.nan, db
    report = check_layer(NanDense(3, 2), normal((4, 3)))
    assert not report.passed and row(report, "W").n_bad == 6
    assert "NaN" in hint_text(report, "W")


def test_backward_that_writes_into_dy_fails():
    report = check_layer(InPlaceReLU(), normal((3, 4)))
    check = structural(report, "unchanged")
    assert not report.passed and not check.ok and "dy" in check.message


class InPlaceForwardReLU(RefReLU):
    def forward(self, x):
        self._save(x=x)
        return np.maximum(x, 0, out=x)            # writes into the caller's x


def test_forward_that_writes_into_x_fails():
    # It used to PASS: the first forward zeroed the negative entries of the checker's own x,
    # so every later difference was taken at 0 and the zeros counted as kinks.
    report = check_layer(InPlaceForwardReLU(), normal((3, 4)))
    check = structural(report, "forward leaves x unchanged")
    assert not report.passed and not check.ok and "forward" in check.message
    assert structural(report, "backward leaves").ok      # backward is not to blame
    model = Container([InPlaceForwardReLU(), RefDense(3, 4)])     # writes into the model's x
    report = check_model(model, MeanSquared(), normal((2, 3)), normal((2, 4), 1))
    assert not report.passed and not structural(report, "forward leaves x unchanged").ok


def test_backward_that_updates_params_fails():
    report = check_layer(UpdatesParams(3, 2), normal((4, 3)))
    check = structural(report, "params unchanged")
    assert not report.passed and not check.ok and "W" in check.message


def test_random_layer_without_reseed_fails():
    report = check_layer(NoReseed(0.5), normal((4, 5)))
    assert not report.passed and not structural(report, "same seed").ok


def test_backward_that_accumulates_grads_fails():
    class Accumulates(RefDense):
        def backward(self, dy):
            dx, dW, db = self.gradients(self._load()["x"], dy)
            self.grads["W"] += dW
            self.grads["b"] += db
            return dx
    report = check_layer(Accumulates(3, 2), normal((4, 3)))
    assert not report.passed and not structural(report, "linear").ok


def test_backward_with_the_wrong_shape_fails_cleanly():
    class Flat(RefReLU):
        def backward(self, dy):
            return super().backward(dy).ravel()
    report = check_layer(Flat(), normal((3, 4)))
    assert not report.passed and not structural(report, "dx.shape").ok
    assert "expected shape (3, 4)" in hint_text(report, "dx")


# ----- losses, models, functions ------------------------------------------------------------------------


@given(n=dims, k=dims, seed=seeds)
def test_check_loss_passes_a_correct_loss(n, k, seed):
    report = check_loss(MeanSquared(), normal((n, k), seed), normal((n, k), seed + 1))
    assert report.passed, str(report)


def test_check_loss_catches_broken_losses():
    p, t = normal((4, 3)), normal((4, 3), 1)
    forgot = check_loss(ForgotMeanLoss(), p, t)
    assert not forgot.passed and "batch" in hint_text(forgot, "dy_pred")
    half = check_loss(HalfLoss(), p, t)
    assert not half.passed and "factor of 2" in hint_text(half, "dy_pred")


def test_check_model_passes_and_names_every_layer():
    model = Container([RefDense(3, 4, rng=0), RefReLU(), RefDense(4, 2, rng=1)])
    report = check_model(model, MeanSquared(), normal((5, 3)), normal((5, 2), 1))
    assert report.passed, str(report)
    assert [r.name for r in report.rows] == ["dx", "layer 0 (RefDense).W", "layer 0 (RefDense).b",
                                             "layer 2 (RefDense).W", "layer 2 (RefDense).b"]


def test_check_model_blames_the_broken_layer():
    model = Container([RefDense(3, 4, rng=0), RefTanh(), DoubledW(4, 2, rng=1)])
    report = check_model(model, MeanSquared(), normal((5, 3)), normal((5, 2), 1))
    assert not report.passed
    failing = [r.name for r in report.rows if r.status != "ok"]
    assert failing == ["layer 2 (DoubledW).W"], str(report)
    assert "factor of 2" in hint_text(report, "layer 2 (DoubledW).W")


def test_check_function():
    x = np.linspace(-2, 2, 7)
    assert check_function(lambda z: np.sum(np.sin(z)), np.cos, x).passed
    bad = check_function(lambda z: np.sum(np.sin(z)), lambda z: -np.cos(z), x)
    assert not bad.passed and "sign error" in hint_text(bad, "dx")


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(TypeError, match="check_layer: expected a scratchnet Layer"):
        check_layer(np.tanh, normal((2, 3)))
    with pytest.raises(TypeError, match="check_model: expected a loss"):
        check_model(Container([RefReLU()]), np.mean, normal((2, 3)), normal((2, 3)))
    with pytest.raises(TypeError, match="check_loss: expected y_pred to be a numeric array"):
        check_loss(MeanSquared(), np.array(["a", "b"]), np.zeros(2))


def test_current_training_mode_is_used():
    layer = Dropoutish(0.5).eval()

    class EvalIdentity(Dropoutish):
        def forward(self, x):
            return super().forward(x) if self.training else x.copy()

        def backward(self, dy):
            return super().backward(dy) if self.training else dy.copy()
    report = check_layer(EvalIdentity(0.5).eval(), normal((3, 4)))
    assert report.passed and "eval mode" in str(report)
    assert "train mode" in str(check_layer(layer.train(), normal((3, 4))))


def test_real_sequential():
    from scratchnet import Sequential
    model = Sequential([RefDense(3, 4, rng=0), RefTanh(), RefDense(4, 2, rng=1)])
    report = check_model(model, MeanSquared(), normal((5, 3)), normal((5, 2), 1))
    assert report.passed, str(report)
    assert "layer 2 (RefDense).W" in [r.name for r in report.rows]


# ----- the report and the eps sweep ---------------------------------------------------------------------


def test_report_str_is_a_readable_table():
    good = str(check_layer(RefDense(3, 2), normal((4, 3))))
    lines = good.splitlines()
    assert "RefDense" in lines[0] and "x (4, 3) -> y (4, 2)" in lines[0]
    header = next(line for line in lines if "tensor" in line)
    for col in ("shape", "max err", "worst index", "analytic", "numeric", "kinks", "status"):
        assert col in header
    assert lines[-1].startswith("PASS")
    bad = str(check_layer(DoubledW(3, 2), normal((4, 3))))
    assert bad.splitlines()[-1].startswith("FAIL")
    assert "hint:" in bad and "ratio" in bad and "2" in bad


def test_sweep_eps_shows_the_v(tmp_path):
    eps, errors, fig = sweep_eps(RefTanh(), normal((3, 4)), path=tmp_path / "v.png")
    err = dict(zip(eps, errors))
    assert err[1e-6] < 1e-3 * err[1e-1]           # truncation error on the big-step side
    assert err[1e-6] < 1e-3 * err[1e-12]          # rounding error on the small-step side
    assert (tmp_path / "v.png").stat().st_size > 0 and fig.axes
    eps2, errors2, _ = sweep_eps(lambda z: np.sum(np.sin(z)), np.linspace(-1, 1, 5),
                                 eps_values=[1e-1, 1e-6], df=np.cos)
    assert list(eps2) == [1e-1, 1e-6] and errors2[1] < errors2[0]
    with pytest.raises(ValueError, match="df"):
        sweep_eps(np.sum, np.ones(3))


# ----- python -m gradcheck ------------------------------------------------------------------------------


def test_python_m_gradcheck_passes_on_the_builtins():
    out = subprocess.run([sys.executable, "-m", "gradcheck"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Dense" in out.stdout and "SKIP" in out.stdout and "KLDivergence" in out.stdout


def test_python_m_gradcheck_options():
    listed = subprocess.run([sys.executable, "-m", "gradcheck", "--list"], capture_output=True,
                            text=True, timeout=60)
    assert listed.returncode == 0 and "Dense" in listed.stdout and "MSE" in listed.stdout
    from gradcheck.catalog import CASES
    assert len(listed.stdout.splitlines()) == len(CASES)
    verbose = subprocess.run([sys.executable, "-m", "gradcheck", "-k", "Identity", "--verbose",
                              "--seed", "3"], capture_output=True, text=True, timeout=60)
    assert "== Identity" in verbose.stdout and "tensor" in verbose.stdout


def test_sweep_eps_leaves_no_pyplot_figures():
    # sweep_eps drew with pyplot, so every call left a figure open in pyplot's global list
    # (RuntimeWarning "More than 20 figures have been opened" in a loop) and could switch
    # the process's matplotlib backend.
    import warnings

    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(22):
            sweep_eps(lambda z: np.sum(z ** 2), np.ones(2), eps_values=[1e-3], df=lambda z: 2 * z)
    assert plt.get_fignums() == before


def run_gradcheck(*args):
    return subprocess.run([sys.executable, "-m", "gradcheck", *args], capture_output=True,
                          text=True, timeout=60)


def test_python_m_gradcheck_that_matches_nothing_is_an_error():
    # -k NoSuchLayer used to check nothing, print "0 of 0 cases pass" and exit 0: a typo in
    # the name looked like a pass.
    from gradcheck.catalog import CASES
    for extra in ([], ["--list"]):
        out = run_gradcheck("-k", "NoSuchLayer", *extra)
        assert out.returncode == 2, out.stdout + out.stderr
        assert "'NoSuchLayer' matches no case" in out.stderr
        assert all(case.name in out.stderr for case in CASES)     # the names to choose from


@pytest.mark.parametrize("seed", ["-1", "three", "1.5"])
def test_python_m_gradcheck_rejects_a_bad_seed(seed):
    # --seed -1 used to end in a NumPy traceback from deep inside default_rng.
    out = run_gradcheck("--seed", seed, "-k", "Identity")
    assert out.returncode == 2, out.stdout + out.stderr
    assert "argument --seed: expected an integer >= 0, got" in out.stderr
    assert "Traceback" not in out.stderr


# ----- a check of nothing must not pass ------------------------------------------------------------


EMPTY_INPUTS = [(lambda: RefDense(4, 2), (0, 4)), (lambda: RefDense(4, 2), (3, 0)),
                (RefReLU, (0, 4)), (RefReLU, (3, 0)), (RefReLU, (0,))]   # RefReLU: no params


@pytest.mark.parametrize("make, shape", EMPTY_INPUTS)
def test_check_layer_refuses_an_empty_input(make, shape):
    # check_layer(Dense(4, 2), np.zeros((0, 4))) said PASS: every gradient was empty or zero on
    # both sides, so every comparison "agreed" without a single number checked.
    with pytest.raises(ValueError, match=rf"check_layer: .*x .*shape {re.escape(str(shape))}"
                                         rf".*nothing to check"):
        check_layer(make(), np.zeros(shape))


def test_check_layer_refuses_an_empty_output():
    class Nothing(Layer):
        """y has no features: L = sum(y * g) = 0, so any dx "agrees" with the numbers."""
        def forward(self, x):
            self._save(x=x)
            return np.zeros((x.shape[0], 0))

        def backward(self, dy):
            return np.zeros_like(self._load()["x"])
    with pytest.raises(ValueError, match=r"check_layer: .*y of shape \(2, 0\).*nothing to check"):
        check_layer(Nothing(), normal((2, 3)))


def test_check_loss_model_and_function_refuse_empty_inputs():
    with pytest.raises(ValueError, match=r"check_loss: .*y_pred .*shape \(0, 3\).*nothing to check"):
        check_loss(MeanSquared(), np.zeros((0, 3)), np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"check_model: .*x .*shape \(0, 3\).*nothing to check"):
        check_model(Container([RefDense(3, 2)]), MeanSquared(), np.zeros((0, 3)), np.zeros((0, 2)))
    with pytest.raises(ValueError, match=r"check_function: .*x .*shape \(0,\).*nothing to check"):
        check_function(np.sum, np.ones_like, np.zeros(0))


@pytest.mark.parametrize("shape", [(0, 4), (3, 0), (0,)])
def test_sweep_eps_refuses_an_empty_input(shape):
    # sweep_eps(RefReLU(), np.zeros((0, 4))) drew a "perfect" V: with no elements the error was
    # 0 / tiny = 0 at every step, a check of nothing that looked like a pass.
    with pytest.raises(ValueError, match=rf"sweep_eps: .*x .*shape {re.escape(str(shape))}"
                                         rf".*nothing to check"):
        sweep_eps(RefReLU(), np.zeros(shape))
    with pytest.raises(ValueError, match=r"sweep_eps: .*nothing to check"):
        sweep_eps(lambda z: np.sum(z ** 2), np.zeros(shape), df=lambda z: 2 * z)


def test_sweep_eps_refuses_an_empty_output():
    class Nothing(Layer):
        def forward(self, x):
            self._save(x=x)
            return np.zeros((x.shape[0], 0))

        def backward(self, dy):
            return np.zeros_like(self._load()["x"])
    with pytest.raises(ValueError, match=r"sweep_eps: .*y of shape \(2, 0\).*nothing to check"):
        sweep_eps(Nothing(), normal((2, 3)))


def test_check_layer_and_model_reject_a_negative_seed():
    with pytest.raises(ValueError, match="check_layer: expected seed to be an integer >= 0, got -1"):
        check_layer(RefReLU(), normal((2, 3)), seed=-1)
    with pytest.raises(TypeError, match="check_model: expected seed to be an integer >= 0"):
        check_model(Container([RefReLU()]), MeanSquared(), normal((2, 3)), normal((2, 3)), seed=0.5)


# ----- the upstream gradient g must be random --------------------------------------------------------


class MeanSoftmax(Layer):
    """Softmax over the last axis with a planted bug: backward subtracts mean(dy) where
    sum(dy * y) belongs, dx = y * (dy - mean(dy)). Right whenever dy is constant along a row
    (dy = ones: both give the true dx, 0), wrong for any other dy. It is linear in dy and
    touches nothing, so the structural checks pass: only a random g can catch it."""

    def forward(self, x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        y = e / e.sum(axis=-1, keepdims=True)
        self._save(y=y)
        return y

    def backward(self, dy):
        y = self._load()["y"]
        return y * (dy - dy.mean(axis=-1, keepdims=True))


class RecordsDy(RefTanh):
    """A correct tanh that records every dy it is given (in a class attribute, because
    check_layer works on a deep copy of the layer)."""
    seen = []

    def backward(self, dy):
        RecordsDy.seen.append(np.array(dy, copy=True))
        return super().backward(dy)


def test_a_bug_that_hides_under_dy_ones_fails():
    # Under g = ones, L = sum(softmax(x)) = N for every x: the numeric gradient is 0, so is
    # this layer's dx, and the check would pass. Only a random g exposes the bug.
    x = normal((3, 4))
    ones = np.ones((3, 4))
    layer = MeanSoftmax()
    layer.forward(x)
    assert np.allclose(layer.backward(ones), 0)              # correct for dy = ones...
    report = check_layer(MeanSoftmax(), x)
    assert not report.passed and row(report, "dx").status == "FAIL", str(report)
    assert all(c.ok for c in report.checks), str(report)     # ...and structurally sound


def test_upstream_gradient_is_random_and_set_by_seed():
    def g_of(seed):
        RecordsDy.seen.clear()
        assert check_layer(RecordsDy(), normal((3, 4)), seed=seed).passed
        return RecordsDy.seen[0]
    g = g_of(0)
    assert g.shape == (3, 4) and np.unique(g).size == g.size   # no two entries alike: not ones
    assert abs(g.mean()) < 1.5 and 0.3 < g.std() < 3            # standard-normal-like
    assert np.array_equal(g_of(0), g) and not np.array_equal(g_of(1), g)
