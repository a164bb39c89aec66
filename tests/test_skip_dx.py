"""backward(dy, need_dx=False): a model's first layer fills its grads and skips dL/dx.

fit trains with Sequential.backward(dy, need_dx=False): x is data, so nothing needs dL/dx,
which for the first conv or dense layer costs as much as its dL/dW. These tests hold that
every grad comes out as with need_dx=True, that the chain stops where it should, that bad
flags get a clear error, and that gradcheck catches a layer that breaks the promise.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gradcheck
from scratchnet import Sequential
from scratchnet.kernels.backend import check_backend
from scratchnet.layers import (BatchNorm1D, Conv2D, Dense, Dropout, Embedding, Flatten,
                               GlobalAvgPool1D, Layer, MaxPool2D, ReLU, Residual, Tanh)
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import SGD


class CallLog(Layer):
    """Identity that records each backward call's need_dx (None: called without it)."""

    def __init__(self, can_skip):
        super().__init__()
        self.can_skip_dx = can_skip
        self.calls = []

    def forward(self, x):
        return x

    def backward(self, dy, **kw):
        self.calls.append(kw.get("need_dx"))
        return None if kw.get("need_dx") is False else dy


def grads_of(model):
    return {k: g.copy() for k, g in _grads(model).items()}


def _grads(model):
    from scratchnet.layers.base import iter_layers
    return {f"{id(layer)}.{k}": g for layer in iter_layers(model) for k, g in layer.grads.items()}


def backward_both_ways(model, x, seed=0):
    """(grads with need_dx=True, dx, grads with need_dx=False, what need_dx=False returned)."""
    y = model.forward(x)
    dy = np.random.default_rng(seed).standard_normal(y.shape)
    dy_given = dy.copy()
    dx = model.backward(dy)
    full = grads_of(model)
    out = model.backward(dy, need_dx=False)
    np.testing.assert_array_equal(dy, dy_given)            # dy itself is never changed
    return full, dx, grads_of(model), out


def assert_same_grads(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_allclose(b[k], a[k], rtol=1e-12, atol=1e-12, err_msg=k)


# Models whose first layers are data-only (Flatten, Dropout), skip-capable (Dense, Conv2D, a
# nested Sequential) or not (BatchNorm1D, Residual), each with an input of the right shape.
FRONTS = {
    "dense": (lambda r: [Dense(6, 5, rng=r)], (4, 6)),
    "flatten+dense": (lambda r: [Flatten(), Dense(12, 5, rng=r)], (4, 3, 2, 2)),
    "dropout+dense": (lambda r: [Dropout(0.3, rng=r), Dense(6, 5, rng=r)], (4, 6)),
    "conv": (lambda r: [Conv2D(2, 3, 3, padding=1, rng=r), ReLU(), Flatten(), Dense(48, 5, rng=r)],
             (3, 2, 4, 4)),
    "conv stride 2": (lambda r: [Conv2D(2, 3, 3, stride=2, padding=1, rng=r), MaxPool2D(2),
                                 Flatten(), Dense(3, 5, rng=r)], (3, 2, 4, 4)),
    "nested": (lambda r: [Sequential([Flatten(), Dense(12, 5, rng=r), Tanh()])], (4, 3, 2, 2)),
    "batchnorm": (lambda r: [BatchNorm1D(6), Dense(6, 5, rng=r)], (4, 6)),
    "residual": (lambda r: [Residual(Sequential([Dense(6, 6, rng=r), Tanh()])), Dense(6, 5, rng=r)],
                 (4, 6)),
}


@settings(max_examples=40, deadline=None)
@given(front=st.sampled_from(sorted(FRONTS)), seed=st.integers(0, 2**16),
       backend=st.sampled_from(["reference", "numba"]))
def test_need_dx_false_gives_the_same_grads_and_returns_none(front, seed, backend):
    make, shape = FRONTS[front]
    layers = make(seed) + [Tanh(), Dense(5, 3, rng=seed + 1)]
    for layer in layers:
        if isinstance(layer, Conv2D):
            layer.backend = check_backend(backend, layer.name)
    model = Sequential(layers).astype(np.float64)
    x = np.random.default_rng(seed).standard_normal(shape)
    x_given = x.copy()
    for layer in model.layers:
        layer.reseed(seed)
    full, dx, skipped, out = backward_both_ways(model, x, seed)
    assert out is None
    assert isinstance(dx, np.ndarray) and dx.shape == x.shape     # the default is unchanged
    assert_same_grads(full, skipped)
    np.testing.assert_array_equal(x, x_given)


def test_the_chain_stops_at_the_first_layer_with_params():
    before, first, after = CallLog(can_skip=True), Dense(3, 3, rng=0), CallLog(can_skip=True)
    model = Sequential([before, first, after])
    model.forward(np.ones((2, 3)))
    model.backward(np.ones((2, 3)), need_dx=False)
    assert before.calls == []                  # no params before the first Dense: not run
    assert after.calls == [None]               # not the first with params: plain backward


@pytest.mark.parametrize("can_skip", [True, False])
def test_the_first_layer_with_params_is_asked_only_if_it_can_skip(can_skip):
    class Weighted(CallLog):
        def __init__(self):
            super().__init__(can_skip)
            self.add_param("w", np.ones(3))

    first = Weighted()
    model = Sequential([first, Dense(3, 2, rng=0)])
    model.forward(np.ones((2, 3)))
    assert model.backward(np.ones((2, 2)), need_dx=False) is None
    assert first.calls == ([False] if can_skip else [None])


def test_embedding_first_still_works():
    model = Sequential([Embedding(7, 4, rng=0), GlobalAvgPool1D(), Dense(4, 2, rng=1)])
    model.astype(np.float64)
    full, dx, skipped, out = backward_both_ways(model, np.array([[1, 2, 3], [4, 5, 6]]))
    assert dx is None and out is None
    assert_same_grads(full, skipped)


def test_a_model_without_params_runs_no_backward():
    log = CallLog(can_skip=True)
    model = Sequential([log, ReLU()])
    model.forward(np.ones((2, 3)))
    assert model.backward(np.ones((2, 3)), need_dx=False) is None
    assert log.calls == []


@pytest.mark.parametrize("make, shape", [(lambda: Dense(3, 2), (4, 3)),
                                         (lambda: Conv2D(1, 2, 3), (2, 1, 5, 5)),
                                         (lambda: Sequential([Dense(3, 2)]), (4, 3))])
@pytest.mark.parametrize("flag", [None, 0, 1, "no", np.array([True, False])])
def test_need_dx_must_be_a_bool(make, shape, flag):
    layer = make()
    y = layer.forward(np.ones(shape, dtype=layer.dtype))
    with pytest.raises(TypeError, match=r"expected need_dx to be True or False"):
        layer.backward(np.ones_like(y), need_dx=flag)


def test_need_dx_is_keyword_only():
    layer = Dense(3, 2)
    layer.forward(np.ones((1, 3), dtype=layer.dtype))
    with pytest.raises(TypeError):
        layer.backward(np.ones((1, 2), dtype=layer.dtype), False)


def test_fit_trains_as_the_loop_with_dx_does():
    """fit (need_dx=False inside) lands on exactly the weights of the textbook loop."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 1, 6, 6)), rng.integers(0, 3, 16)

    def net():
        return Sequential([Conv2D(1, 2, 3, rng=1), ReLU(), Flatten(), Dense(32, 3, rng=2)]
                          ).astype(np.float64)

    fitted = net()
    fitted.fit(x, y, loss="cce", optimizer=SGD(0.1), epochs=2, batch_size=8, shuffle=False,
               verbose=0)
    by_hand, loss, opt = net(), CategoricalCrossEntropy(), SGD(0.1)
    for _ in range(2):
        for s in (slice(0, 8), slice(8, 16)):
            loss.forward(by_hand.forward(x[s]), y[s])
            by_hand.backward(loss.backward())          # need_dx=True: dx computed, unused
            opt.step(by_hand)
    for k, p in fitted.parameters().items():
        np.testing.assert_allclose(p, by_hand.parameters()[k], rtol=1e-12, atol=1e-12, err_msg=k)


def test_fit_asks_the_first_layer_for_grads_only():
    class Spy(Dense):
        def backward(self, dy, *, need_dx=True):
            self.flags = getattr(self, "flags", []) + [need_dx]
            return super().backward(dy, need_dx=need_dx)

    first = Spy(4, 3, rng=0)
    model = Sequential([first, ReLU(), Dense(3, 2, rng=1)])
    x, y = np.random.default_rng(0).standard_normal((6, 4)), np.array([0, 1, 0, 1, 1, 0])
    model.fit(x, y, loss="cce", optimizer="sgd", epochs=1, batch_size=3, verbose=0)
    assert first.flags == [False, False]


# ----- gradcheck holds every layer that can_skip_dx to its promise ---------------------------
class Promise(Dense):
    """A Dense that can break the need_dx=False promise in one of two ways."""

    def __init__(self, fault):
        super().__init__(3, 2, rng=0)
        self.fault = fault

    def backward(self, dy, *, need_dx=True):
        dx = super().backward(dy, need_dx=True)
        if need_dx:
            return dx
        if self.fault == "grads":
            self.grads["W"] = self.grads["W"] * 0.5
        return dx if self.fault == "returns dx" else None


@pytest.mark.parametrize("fault", ["returns dx", "grads"])
def test_gradcheck_catches_a_broken_need_dx_promise(fault):
    report = gradcheck.check_layer(Promise(fault), np.random.default_rng(0).standard_normal((4, 3)))
    check = next(c for c in report.checks if "need_dx=False" in c.what)
    assert not check.ok and not report.passed
    assert ("not None" if fault == "returns dx" else "grads of W differ") in check.message


def test_gradcheck_passes_a_kept_promise():
    report = gradcheck.check_layer(Promise(None), np.random.default_rng(0).standard_normal((4, 3)))
    assert report.passed
    assert any("need_dx=False" in c.what and c.ok for c in report.checks)
