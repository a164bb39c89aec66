"""The explicit L2 penalty: its value, its gradient, and its equality with SGD's weight decay."""
import numpy as np
import pytest

from gradcheck.numeric import numerical_gradient
from scratchnet import Sequential
from scratchnet.layers import Dense, ReLU
from scratchnet.optimizers import SGD
from scratchnet.regularizers import L2


def net(seed=0):
    return Sequential([Dense(3, 5, rng=seed), ReLU(), Dense(5, 2, rng=seed + 1)])


def test_l2_penalty_and_its_gradient():
    model = net()
    reg = L2(0.3)
    total = sum(float(np.sum(w ** 2)) for w in model.parameters().values())
    assert reg.penalty(model) == pytest.approx(0.15 * total)
    w = model.layers[0].params["W"]
    numeric = numerical_gradient(lambda _: reg.penalty(model), w)
    for layer in (model.layers[0], model.layers[2]):
        for g in layer.grads.values():
            g[...] = 0
    reg.add_gradients(model)
    np.testing.assert_allclose(model.layers[0].grads["W"], numeric, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(model.layers[0].grads["W"], 0.3 * w)


def test_l2_penalty_equals_sgd_weight_decay_step_for_step():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)), rng.normal(size=(32, 2))
    with_penalty, with_decay = net(0), net(0)
    h = with_penalty.fit(x, y, loss="mse", optimizer=SGD(0.05), epochs=5, batch_size=8, rng=1,
                         verbose=0, regularizer=L2(0.1))
    with_decay.fit(x, y, loss="mse", optimizer=SGD(0.05, weight_decay=0.1), epochs=5,
                   batch_size=8, rng=1, verbose=0)
    for key, value in with_penalty.parameters().items():
        np.testing.assert_allclose(value, with_decay.parameters()[key], rtol=1e-12, atol=1e-14)
    assert len(h.batch_loss) == 20


def test_the_logged_training_loss_includes_the_penalty_and_evaluate_does_not():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 2))
    model = net(3)
    data_loss = model.evaluate(x, y, loss="mse")["loss"]
    penalty = L2(0.5).penalty(model)
    h = model.fit(x, y, loss="mse", optimizer=SGD(0.01), epochs=1, batch_size=None,
                  verbose=0, regularizer=L2(0.5))     # one full batch, at the initial weights
    assert h["loss"][0] == pytest.approx(data_loss + penalty)
    assert penalty > 0.1 * data_loss                    # a visible share, not a rounding


def test_frozen_layers_are_not_penalized_and_bad_settings_are_refused():
    model = net()
    model.layers[0].trainable = False
    second = sum(float(np.sum(w ** 2)) for w in model.layers[2].params.values())
    assert L2(2.0).penalty(model) == pytest.approx(second)
    for bad, error in ((-1.0, ValueError), (float("inf"), ValueError), ("0.1", TypeError)):
        with pytest.raises(error, match="L2: expected lam"):
            L2(bad)
    with pytest.raises(TypeError, match="regularizer"):
        net().fit(np.zeros((4, 3)), np.zeros((4, 2)), loss="mse", optimizer="sgd", verbose=0,
                  regularizer=0.1)
