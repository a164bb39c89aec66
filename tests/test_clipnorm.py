"""Gradient clipping by global norm (clipnorm=) on every optimizer: the step uses gradients
scaled by min(1, clipnorm / global_norm), the layers' grads stay as they were."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scratchnet import Sequential
from scratchnet.layers import Dense, Tanh
from scratchnet.optimizers import SGD, Adam, AdamW, Momentum, Nesterov, RMSprop, get

ALL = [SGD, Momentum, Nesterov, RMSprop, Adam, AdamW]


def model_with_grads(seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    model = Sequential([Dense(3, 4, rng=1), Tanh(), Dense(4, 2, rng=2)])
    for layer in model.layers:
        for key, g in layer.grads.items():
            g[...] = scale * rng.normal(size=g.shape)
    return model


def global_norm(model):
    return math.sqrt(sum(float(np.sum(layer.grads[k] ** 2))
                         for layer in model.layers for k in layer.grads))


def stepped(cls, model, **kwargs):
    opt = cls(lr=0.1, **kwargs)
    opt.step(model)
    return opt, {f"{i}.{k}": p.copy() for i, layer in enumerate(model.layers)
                 for k, p in layer.params.items()}


@pytest.mark.parametrize("cls", ALL)
def test_clipping_equals_a_step_on_gradients_scaled_to_the_clip_norm(cls):
    clipped = model_with_grads(scale=10.0)
    norm = global_norm(clipped)
    grads_before = {(i, k): g.copy() for i, layer in enumerate(clipped.layers)
                    for k, g in layer.grads.items()}
    opt, params_clipped = stepped(cls, clipped, clipnorm=1.0)
    assert opt.last_grad_norm == pytest.approx(norm)
    for (i, k), g in grads_before.items():                  # grads themselves unchanged
        np.testing.assert_array_equal(clipped.layers[i].grads[k], g)
    by_hand = model_with_grads(scale=10.0)
    for layer in by_hand.layers:
        for g in layer.grads.values():
            g *= 1.0 / norm                                   # min(1, 1 / norm) = 1 / norm
    _, params_by_hand = stepped(cls, by_hand)
    for key in params_clipped:
        np.testing.assert_allclose(params_clipped[key], params_by_hand[key], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("cls", ALL)
def test_gradients_below_the_clip_norm_are_left_alone(cls):
    model = model_with_grads(scale=0.01)
    assert global_norm(model) < 1.0
    _, clipped = stepped(cls, model, clipnorm=1.0)
    _, plain = stepped(cls, model_with_grads(scale=0.01))
    for key in clipped:
        np.testing.assert_array_equal(clipped[key], plain[key])


@given(st.floats(0.01, 100.0), st.floats(0.001, 1000.0), st.integers(0, 1000))
def test_the_step_moves_sgd_by_exactly_lr_times_min_1_c_over_norm(clipnorm, scale, seed):
    model = model_with_grads(seed, scale)
    norm = global_norm(model)
    before = [p.copy() for layer in model.layers for p in layer.params.values()]
    SGD(lr=1.0, clipnorm=clipnorm).step(model)
    after = [p for layer in model.layers for p in layer.params.values()]
    moved = math.sqrt(sum(float(np.sum((a - b) ** 2)) for a, b in zip(after, before)))
    assert moved == pytest.approx(min(norm, clipnorm), rel=1e-9)


def test_weight_decay_is_added_after_clipping_and_frozen_layers_do_not_count():
    model = model_with_grads(scale=10.0)
    model.layers[2].freeze()
    norm = math.sqrt(sum(float(np.sum(g ** 2)) for g in model.layers[0].grads.values()))
    W0, g0 = model.layers[0].params["W"].copy(), model.layers[0].grads["W"].copy()
    opt = SGD(lr=0.1, weight_decay=0.5, clipnorm=2.0)
    opt.step(model)
    assert opt.last_grad_norm == pytest.approx(norm)
    np.testing.assert_allclose(model.layers[0].params["W"],
                               W0 - 0.1 * (g0 * 2.0 / norm + 0.5 * W0), rtol=1e-12)


def test_a_shared_layer_counts_once_and_float32_stays_float32():
    shared = Dense(3, 3, rng=0).astype(np.float32)
    shared.grads["W"][...] = 3.0
    shared.grads["b"][...] = 4.0
    norm = math.sqrt(9 * 9 + 3 * 16)
    opt = SGD(lr=1.0, clipnorm=1.0)
    W = shared.params["W"].copy()
    opt.step([shared, shared])
    assert opt.last_grad_norm == pytest.approx(norm)
    assert shared.params["W"].dtype == np.float32
    np.testing.assert_allclose(shared.params["W"], W - 3.0 / norm, rtol=1e-6)


def test_a_non_finite_norm_is_not_hidden():
    model = model_with_grads()
    model.layers[0].grads["W"][0, 0] = np.inf
    opt = SGD(lr=0.1, clipnorm=1.0)
    opt.step(model)
    assert math.isinf(opt.last_grad_norm)
    assert not np.all(np.isfinite(model.layers[0].params["W"]))      # fit's check sees it


def test_clipnorm_is_checked_by_name_and_reaches_every_optimizer_via_get():
    for cls in ALL:
        with pytest.raises(ValueError, match=f"{cls.__name__}: expected clipnorm"):
            cls(lr=0.1, clipnorm=0.0)
        with pytest.raises(TypeError, match="clipnorm"):
            cls(lr=0.1, clipnorm="1")
        assert cls(lr=0.1).clipnorm is None and cls(lr=0.1).last_grad_norm is None
    assert get("adam", clipnorm=5.0).clipnorm == 5.0
    assert get("sgd", clipnorm=1).clipnorm == 1.0


def test_fit_trains_with_clipnorm():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    y = (x[:, 0] > 0).astype(np.int64)
    model = Sequential([Dense(3, 8, rng=1), Tanh(), Dense(8, 2, rng=2)])
    opt = Adam(0.05, clipnorm=0.5)
    history = model.fit(x, y, loss="cce", optimizer=opt, epochs=20, rng=0, verbose=0)
    assert history["loss"][-1] < history["loss"][0] and opt.last_grad_norm is not None
