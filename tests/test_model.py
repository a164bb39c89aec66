"""Tests of Sequential: the container, forward/backward, fit, evaluate, predict, summary,
save/load, History and metrics."""
import json
import os
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gradcheck
from scratchnet import History, Sequential, TrainingDiverged, metrics
from scratchnet.datasets import moons, xor
from scratchnet.layers import Dense, Layer, ReLU, Sigmoid, Softmax, Tanh
from scratchnet.losses import MSE, BinaryCrossEntropy, CategoricalCrossEntropy
from scratchnet.optimizers import SGD, Adam


def mlp(sizes=(2, 16, 2), seed=0, act=ReLU):
    """Dense/act/.../Dense with seeded weights."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Dense(a, b, rng=seed + i))
        if i < len(sizes) - 2:
            layers.append(act())
    return Sequential(layers)


def param_copies(model):
    return {k: p.copy() for k, p in model.parameters().items()}


def assert_same_params(model, saved):
    now = model.parameters()
    assert now.keys() == saved.keys()
    for k in saved:
        np.testing.assert_array_equal(now[k], saved[k], err_msg=k)


class ModeProbe(Layer):
    """y = 2x in training mode, y = x in eval mode: shows which mode a forward ran in."""

    def forward(self, x):
        x = self._check_input(x)
        self._save(scale=2.0 if self.training else 1.0, shape=x.shape)
        return x * self._cache["scale"]

    def backward(self, dy):
        cache = self._load()
        return self._check_grad(dy, cache["shape"]) * cache["scale"]


# ----- the container ----------------------------------------------------------------------------
def test_container_names_positions_and_qualified_parameters():
    inner = Sequential([ReLU(), Dense(4, 3, rng=1)])
    model = Sequential([Dense(2, 4, rng=0), inner])
    model.add(Dense(3, 1, rng=2, name="head"))
    assert len(model) == 3 and model[0].name == "Dense[0]" and model[1].name == "Sequential[1]"
    assert inner[0].name == "ReLU[0]" and model[2].name == "head"
    assert list(model) == model.layers == model.children()
    params = model.parameters()
    assert list(params) == ["0.W", "0.b", "1.1.W", "1.1.b", "2.W", "2.b"]
    assert params["1.1.W"] is inner[1].params["W"]       # the arrays themselves, not copies
    assert model.n_params == 2 * 4 + 4 + 4 * 3 + 3 + 3 + 1
    part = model[0:2]
    assert isinstance(part, Sequential) and part.layers == model.layers[:2]


def test_container_rejects_non_layers():
    with pytest.raises(TypeError, match="layer 1 must be a scratchnet Layer.*ReLU\\(...\\)"):
        Sequential([Dense(2, 2), ReLU])
    with pytest.raises(TypeError, match="got int"):
        Sequential().add(3)
    with pytest.raises(TypeError, match="expected a list of layers"):
        Sequential(Dense(2, 2))
    with pytest.raises(ValueError, match="has no layers"):
        Sequential().forward(np.zeros((1, 2)))


def test_container_rejects_one_layer_object_twice():
    # Sequential([d, Tanh(), d]) trained with wrong gradients, silently: the second use
    # overwrote the first one's forward cache and its backward overwrote the first's grads.
    d = Dense(3, 3, rng=0)
    with pytest.raises(ValueError, match=r"layer 2 .*Dense\[0\].* already .*position 0"):
        Sequential([d, Tanh(), d])
    inner = Sequential([ReLU(), d])
    with pytest.raises(ValueError, match="already"):
        Sequential([inner, d])
    with pytest.raises(ValueError, match="already"):
        Sequential([Tanh(), inner]).add(inner)
    with pytest.raises(ValueError, match="itself"):
        inner.add(inner)


def test_backward_before_forward_raises():
    with pytest.raises(RuntimeError, match="before forward"):
        mlp().backward(np.zeros((3, 2)))


def test_failed_forward_leaves_no_backward_to_mix_caches():
    # A forward that failed in layer 2 had already replaced the caches of layers 0 and 1, but
    # backward still ran on the mix: dW of layer 0 came from the failed batch, silently.
    model = Sequential([Dense(3, 4, rng=0), ReLU(), Dense(4, 2, rng=1)])
    model.forward(np.ones((2, 3)))
    model.layers[2].forward = lambda x: (_ for _ in ()).throw(ValueError("boom"))
    with pytest.raises(ValueError, match="boom"):
        model.forward(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="before forward"):
        model.backward(np.ones((2, 2)))


def test_forward_backward_is_the_chain_of_layers():
    rng = np.random.default_rng(0)
    model = mlp((3, 5, 4), act=Tanh)
    x, dy = rng.normal(size=(6, 3)), rng.normal(size=(6, 4))
    dy_before = dy.copy()
    y = model.forward(x)
    dx = model.backward(dy)
    np.testing.assert_array_equal(dy, dy_before)                 # dy untouched
    h = model[1].forward(model[0].forward(x))
    np.testing.assert_allclose(y, model[2].forward(h))
    expected = model[0].backward(model[1].backward(model[2].backward(dy)))
    np.testing.assert_allclose(dx, expected)


@settings(max_examples=10)
@given(n=st.integers(1, 5), d=st.integers(1, 4), h=st.integers(1, 6), k=st.integers(1, 4),
       seed=st.integers(0, 10_000))
def test_gradcheck_nested_sequential_random_shapes(n, d, h, k, seed):
    """Finite differences with a random upstream gradient (check_layer uses L = sum(y * g))."""
    model = Sequential([Dense(d, h, rng=seed), Tanh(), Sequential([Dense(h, h, rng=seed + 1),
                                                                   Sigmoid()]),
                        Dense(h, k, rng=seed + 2)])
    x = np.random.default_rng(seed).normal(size=(n, d))
    report = gradcheck.check_layer(model, x, seed=seed)
    assert report.passed, report


def test_gradcheck_model_through_loss():
    x, y = moons(n=8, rng=0)
    report = gradcheck.check_model(mlp((2, 6, 2), act=Tanh), CategoricalCrossEntropy(), x, y)
    assert report.passed, report


def test_layer_errors_name_position_class_and_both_shapes():
    model = Sequential([Dense(3, 4), ReLU(), Dense(5, 2)])
    with pytest.raises(ValueError) as info:
        model.forward(np.zeros((7, 3)))
    text = str(info.value)
    assert "layer 2 (Dense)" in text and "(7, 4)" in text and "(N, 5)" in text
    ok = Sequential([Dense(3, 4), ReLU()])
    ok.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"layer 1 \(ReLU\) failed in backward on dy of shape \(2, 5\)"):
        ok.backward(np.zeros((2, 5)))


# ----- fit --------------------------------------------------------------------------------------
def test_linear_regression_reaches_least_squares():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 3))
    y = x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3 + 0.1 * rng.normal(size=(64, 1))
    model = Sequential([Dense(3, 1, rng=0)])
    model.fit(x, y, loss=MSE(), optimizer=SGD(0.2), epochs=400, batch_size=None, verbose=0)
    A = np.hstack([x, np.ones((64, 1))])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(model[0].params["W"], coef[:3], atol=1e-6)
    np.testing.assert_allclose(model[0].params["b"], coef[3], atol=1e-6)


def test_one_full_batch_epoch_is_one_gradient_step():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(10, 3)), rng.normal(size=(10, 2))
    model, lr = Sequential([Dense(3, 2, rng=0)]), 0.1
    W, b = model[0].params["W"].copy(), model[0].params["b"].copy()
    model.fit(x, y, loss="mse", optimizer=SGD(lr), epochs=1, batch_size=None, verbose=0)
    dy = 2 * (x @ W + b - y) / y.size                       # dMSE/dy_pred
    np.testing.assert_allclose(model[0].params["W"], W - lr * x.T @ dy)
    np.testing.assert_allclose(model[0].params["b"], b - lr * dy.sum(axis=0))


@pytest.mark.parametrize("batch_size, per_epoch", [(None, 1), (1, 20), (7, 3), (32, 1)])
def test_number_of_updates(batch_size, per_epoch):
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(20, 2)), rng.normal(size=(20, 1))
    opt = SGD(0.01)
    h = Sequential([Dense(2, 1, rng=0)]).fit(x, y, loss="mse", optimizer=opt, epochs=3,
                                              batch_size=batch_size, verbose=0)
    assert len(h.batch_loss) == 3 * per_epoch == opt.iterations
    assert len(h) == 3 and h.epoch == [0, 1, 2]


def test_fit_moons_high_accuracy_with_names():
    x, y = moons(n=200, noise=0.1, rng=0)
    model = mlp((2, 16, 16, 2))
    h = model.fit(x, y, loss="cce", optimizer=Adam(0.02), epochs=60, rng=0, verbose=0)
    assert h["accuracy"][-1] > 0.95
    assert model.evaluate(x, y)["accuracy"] > 0.95
    assert model.predict(x).argmax(axis=1).tolist() != [0] * 200


def test_fit_xor_with_logits_uses_threshold_zero():
    x, y = xor(n=40, noise=0.05, rng=0)
    model = Sequential([Dense(2, 8, rng=3), Tanh(), Dense(8, 1, rng=4)])
    h = model.fit(x, y, loss=BinaryCrossEntropy(from_logits=True), optimizer=Adam(0.05),
                  epochs=150, batch_size=None, verbose=0)
    assert h["accuracy"][-1] == 1.0


def test_accuracy_threshold_follows_from_logits():
    model = Sequential([Dense(1, 1, rng=0)])
    model[0].params["W"][...] = 0
    model[0].params["b"][...] = 0.3                  # every output is 0.3
    x, y = np.ones((4, 1)), np.ones(4, dtype=np.int64)
    assert model.evaluate(x, y, loss=BinaryCrossEntropy(from_logits=True))["accuracy"] == 1.0
    assert model.evaluate(x, y, loss=BinaryCrossEntropy())["accuracy"] == 0.0


def test_history_values_validation_and_export(tmp_path):
    x, y = moons(n=60, rng=1)
    model = mlp((2, 8, 2))
    h = model.fit(x, y, loss="cce", optimizer="adam", epochs=3, batch_size=16,
                  validation_split=0.25, verbose=0, rng=0)
    assert list(h.keys()) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert all(len(v) == 3 for v in h.history.values()) and model.history is h
    sizes = [16, 16, 13]                      # 45 training examples: the first 75 %
    assert len(h.batch_loss) == 9
    np.testing.assert_allclose(h["loss"][0], np.dot(sizes, h.batch_loss[:3]) / 45)
    last = model.evaluate(x[45:], y[45:])     # the LAST quarter was held out
    np.testing.assert_allclose([h["val_loss"][-1], h["val_accuracy"][-1]],
                               [last["loss"], last["accuracy"]])
    with pytest.raises(KeyError, match="recorded"):
        h["mse"]
    h.to_csv(tmp_path / "h.csv")
    rows = (tmp_path / "h.csv").read_text().splitlines()
    assert rows[0] == "epoch,loss,accuracy,val_loss,val_accuracy" and len(rows) == 4
    assert float(rows[3].split(",")[1]) == h["loss"][2]
    h.to_json(tmp_path / "h.json")
    back = History.from_json(tmp_path / "h.json")
    assert back.history == h.history and back.epoch == h.epoch and back.batch_loss == h.batch_loss
    (tmp_path / "bad.json").write_text('{"epoch": [0]}')
    with pytest.raises(ValueError, match="bad.json"):
        History.from_json(tmp_path / "bad.json")


def test_fit_is_reproducible_with_rng_and_continues():
    x, y = moons(n=50, rng=2)
    a, b = mlp(), mlp()
    ha = a.fit(x, y, loss="cce", optimizer="sgd", epochs=2, batch_size=8, rng=5, verbose=0)
    hb = b.fit(x, y, loss="cce", optimizer="sgd", epochs=2, batch_size=8, rng=5, verbose=0)
    assert ha.batch_loss == hb.batch_loss
    h2 = a.fit(x, y, epochs=1, verbose=0)           # the same loss and optimizer as before
    assert len(h2) == 1 and a.optimizer.iterations == 2 * 7 + 2   # then batch_size=32: 2 batches


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_names_epoch_and_batch():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(40, 3)), 100 * rng.normal(size=(40, 1))
    model = Sequential([Dense(3, 16, rng=0), ReLU(), Dense(16, 1, rng=1)])
    with pytest.raises(TrainingDiverged) as info:
        model.fit(x, y, loss="mse", optimizer=SGD(1e6), epochs=20, batch_size=10, verbose=0)
    text = str(info.value)
    assert isinstance(info.value, FloatingPointError)
    assert "epoch " in text and "/20, batch " in text and "/4" in text and "smaller learning rate" in text


def test_divergence_is_one_clear_error_without_numpy_warnings():
    # NumPy's overflow warnings used to leak out before the TrainingDiverged error.
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(40, 3)), 100 * rng.normal(size=(40, 1))
    model = Sequential([Dense(3, 16, rng=0), ReLU(), Dense(16, 1, rng=1)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TrainingDiverged, match="epoch"):
            model.fit(x, y, loss="mse", optimizer=SGD(1e6), epochs=20, batch_size=10, verbose=0)


@pytest.mark.parametrize("layers, loss", [
    (lambda: [Dense(2, 1, rng=0), Sigmoid()], BinaryCrossEntropy),
    (lambda: [Dense(2, 3, rng=0), Softmax()], lambda: CategoricalCrossEntropy(from_logits=False))])
def test_divergence_of_probability_outputs_is_training_diverged(layers, loss):
    # NaN probabilities used to reach the loss's range check: "expected y_pred in [0, 1]
    # (got logits?)", a wrong hint, instead of TrainingDiverged.
    x, y = np.ones((4, 2)), np.array([0, 1, 1, 0])
    model = Sequential(layers())
    model.layers[0].params["W"][0, 0] = np.nan           # as after an overflowing update
    with pytest.raises(TrainingDiverged, match=r"outputs became NaN or inf.*epoch 1/1, batch 1/1"):
        model.fit(x, y, loss=loss(), optimizer=SGD(0.1), epochs=1, batch_size=None, verbose=0)


def test_divergence_in_the_last_update_is_caught():
    # One full-batch step whose update overflows: the loss was finite when measured, so only
    # a check of the parameters after the epoch can see it (fit used to return inf weights).
    x, y = np.array([[1e3], [-1e3]]), np.array([1e3, -1e3])
    model = Sequential([Dense(1, 1, rng=0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TrainingDiverged, match="parameter became NaN or inf.*epoch 1/1"):
            model.fit(x, y, loss="mse", optimizer=SGD(1e306), epochs=1, batch_size=None,
                      verbose=0)


def test_a_metric_that_cannot_measure_fails_before_any_update():
    # metrics=["mse"] against (N,) labels failed only after the first update had changed W.
    x, y = moons(n=20, rng=0)
    model = mlp()
    before = param_copies(model)
    with pytest.raises(ValueError, match=r"fit: metric 'mse' cannot measure.*\(N, 2\).*same shape"):
        model.fit(x, y, loss="cce", optimizer="sgd", metrics=["mse"], verbose=0)
    assert_same_params(model, before)


def test_fit_error_paths():
    x, y = moons(n=20, rng=0)
    model = mlp()
    kw = dict(loss="cce", optimizer="sgd", verbose=0)
    with pytest.raises(ValueError, match=r"x of shape \(20, 2\).*y of shape \(19,\)"):
        model.fit(x, y[:19], **kw)
    with pytest.raises(ValueError, match=r"0\.\.1.*shape \(N, 2\).*from 0 to 2"):
        model.fit(x, np.where(y == 1, 2, 0), **kw)
    with pytest.raises(ValueError, match="from -1 to 1"):
        model.fit(x, y - (y == 0), **kw)
    with pytest.raises(ValueError, match=r"y of shape \(20, 3\).*\(N, 2\)"):
        model.fit(x, np.eye(3)[y], **kw)
    with pytest.raises(ValueError) as info:
        model.fit(np.zeros((20, 5)), y, **kw)
    assert "(20, 5)" in str(info.value) and "layer 0 (Dense)" in str(info.value)
    assert "(N, 2)" in str(info.value)
    with pytest.raises(ValueError, match="NaN"):
        model.fit(np.full((20, 2), np.nan), y, **kw)
    with pytest.raises(ValueError, match=r"targets y in \[0, 1\]"):
        Sequential([Dense(2, 1)]).fit(x, 2 * y, loss="bce", optimizer="sgd", verbose=0)
    for bad in (dict(epochs=0), dict(batch_size=0), dict(verbose=3),
                dict(validation_split=1.0), dict(validation_split=0.5, validation_data=(x, y))):
        with pytest.raises(ValueError):
            model.fit(x, y, **{**kw, **bad})
    with pytest.raises(ValueError, match="give a loss"):
        mlp().fit(x, y, optimizer="sgd")
    with pytest.raises(TypeError, match="Callback"):
        model.fit(x, y, callbacks=[print], **kw)
    with pytest.raises(ValueError, match="x_val.*y_val"):
        model.fit(x, y, validation_data=(x, y[:5]), **kw)


@pytest.mark.parametrize("bad_at", [0, 17])
def test_every_target_is_checked_before_the_first_update(bad_at):
    """Float labels out of range and one-hot rows that do not sum to 1 were found only when
    their batch came, after earlier batches had changed the parameters."""
    x, y = moons(n=20, rng=0)
    kw = dict(loss="cce", optimizer="sgd", batch_size=4, shuffle=False, verbose=0)
    labels = y.astype(float)
    labels[bad_at] = 5.0
    rows = np.eye(2)[y]
    rows[bad_at] = [0.5, 0.4]
    for bad, pattern in ((labels, r"labels in \[0, 2\).*5"), (rows, rf"row {bad_at} sums to 0\.9")):
        model = mlp()
        before = param_copies(model)
        with pytest.raises(ValueError, match="nothing was trained.*" + pattern):
            model.fit(x, bad, **kw)
        assert_same_params(model, before)
        with pytest.raises(ValueError, match=r"validation data.*nothing was trained"):
            model.fit(x, y, validation_data=(x, bad), **kw)
        assert_same_params(model, before)


class OrderProbe(Layer):
    """y = x; records, for every backward (so only for training steps), the mode it ran in and
    the rows of the batch. It holds a parameter (unused, its grad stays 0): fit runs backward
    only from the first layer with parameters on (Sequential.backward, need_dx=False), and
    this probe must be in that chain."""

    def __init__(self):
        super().__init__()
        self.add_param("unused", np.zeros(1))
        self.steps = []

    def forward(self, x):
        x = self._check_input(x)
        self._save(x=x, training=self.training)
        return x

    def backward(self, dy):
        cache = self._load()
        self.steps.append((cache["training"], cache["x"][:, 0].copy()))
        return self._check_grad(dy, cache["x"].shape)


class RecordingMSE(MSE):
    """MSE that records the targets of every batch it sees in training (a backward follows)."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, y_pred, y_true):
        self.last = np.array(y_true)[:, 0]
        return super().forward(y_pred, y_true)

    def backward(self):
        self.seen.append(self.last)
        return super().backward()


@pytest.mark.parametrize("shuffle", [True, False])
def test_fit_trains_in_training_mode_and_keeps_x_paired_with_y(shuffle):
    """After model.eval(), fit must still train in training mode; shuffle visits every example
    once per epoch in a new order (or in order); x and y stay paired in every batch."""
    n, epochs, batch = 12, 3, 5
    x = np.column_stack([np.arange(n, dtype=float), np.zeros(n)])   # x[:, 0] = the index
    y = np.arange(n, dtype=float)[:, None] * 10                      # y = 10 * index
    probe, loss = OrderProbe(), RecordingMSE()
    model = Sequential([probe, Dense(2, 1, rng=0)]).eval()
    model.fit(x, y, loss=loss, optimizer=SGD(1e-4), epochs=epochs, batch_size=batch,
              shuffle=shuffle, rng=1, verbose=0)
    assert len(probe.steps) == epochs * 3 == len(loss.seen)
    assert all(training for training, _ in probe.steps)
    for (_, rows), targets in zip(probe.steps, loss.seen):
        np.testing.assert_array_equal(targets, 10 * rows)            # still pairs
    orders = [np.concatenate([rows for _, rows in probe.steps[e * 3:(e + 1) * 3]])
              for e in range(epochs)]
    for order in orders:
        np.testing.assert_array_equal(np.sort(order), np.arange(n))  # each example once
    if shuffle:
        assert len({tuple(o) for o in orders}) == epochs and tuple(orders[0]) != tuple(range(n))
    else:
        assert all(tuple(o) == tuple(range(n)) for o in orders)
    assert model.training and probe.training


def test_astype_float32_trains():
    x, y = moons(n=100, noise=0.1, rng=3)
    model = mlp((2, 16, 2)).astype(np.float32)
    model.fit(x, y, loss="cce", optimizer=Adam(0.03), epochs=40, rng=0, verbose=0)
    assert all(p.dtype == np.float32 for p in model.parameters().values())
    assert model.dtype == np.float32 and model.predict(x).dtype == np.float32
    assert model.evaluate(x, y)["accuracy"] > 0.9


def test_predict_and_evaluate_run_in_eval_mode_and_restore_modes():
    probe = ModeProbe()
    model = Sequential([probe, Dense(2, 2, rng=0)])
    x = np.ones((3, 2))
    frozen_mode = Sequential([ModeProbe()]).eval()
    model.add(frozen_mode)                               # a part deliberately in eval mode
    train_out = model.forward(x)
    np.testing.assert_allclose(model.predict(x), model[1].forward(x))  # probe scaled by 1
    assert not np.allclose(train_out, model.predict(x))
    assert model.training and probe.training and not frozen_mode.training
    model.evaluate(x, np.zeros((3, 2)), loss="mse")
    assert model.training and probe.training and not frozen_mode.training
    np.testing.assert_allclose(model.predict(x, batch_size=2), model.predict(x))
    with pytest.raises(ValueError, match="nothing to measure"):
        model.evaluate(x, np.zeros((3, 2)), metrics=[])
    y_pred = model.predict(x)                    # no fit yet, so no loss: metrics only
    assert model.evaluate(x, 0 * x, metrics=["mae"]) == {"mae": metrics.mae(y_pred, 0 * x)}
    assert model.evaluate(x, 0 * x, loss="mse", metrics="mae", batch_size=2) == \
        pytest.approx({"loss": metrics.mse(y_pred, 0 * x), "mae": metrics.mae(y_pred, 0 * x)})


def test_predict_keeps_a_pending_backward():
    rng = np.random.default_rng(5)
    model, x, dy = mlp((2, 4, 3)), rng.normal(size=(5, 2)), rng.normal(size=(5, 3))
    model.forward(x)
    expected = model.backward(dy)
    model.forward(x)
    model.predict(rng.normal(size=(9, 2)))
    model.summary(input_shape=(2,))
    np.testing.assert_allclose(model.backward(dy), expected)


# ----- summary ----------------------------------------------------------------------------------
def test_summary_counts_and_shapes(capsys):
    model = Sequential([Dense(2, 16), ReLU(), Dense(16, 3)])
    assert "?" in model.summary()                         # no forward yet, no input_shape
    model[0].trainable = False
    text = model.summary(input_shape=(2,), show=True)
    assert capsys.readouterr().out.strip() == text.strip()
    assert "(N, 16)" in text and "(N, 3)" in text and "Dense[2]" in text
    assert "total params: 99" in text and "trainable params: 51" in text
    assert "frozen params: 48" in text
    assert model.summary(input_shape=2) == text            # an int is the shape (2,)
    row0 = next(line for line in text.splitlines() if "Dense[0]" in line)
    assert row0.split()[-2:] == ["48", "no"]


# ----- save / load ------------------------------------------------------------------------------
def test_save_load_roundtrip(tmp_path):
    x, y = moons(n=40, rng=0)
    model = mlp((2, 8, 2), seed=0)
    model.fit(x, y, loss="cce", optimizer="adam", epochs=2, verbose=0)
    path = tmp_path / "w.npz"
    model.save(path)
    fresh = mlp((2, 8, 2), seed=9)
    assert not np.allclose(fresh.predict(x), model.predict(x))
    assert fresh.load(path) is fresh
    np.testing.assert_array_equal(fresh.predict(x), model.predict(x))
    with np.load(path, allow_pickle=False) as data:
        meta = data["__meta__"]
        assert meta.ndim == 0 and meta.dtype.kind == "U"
        info = json.loads(str(meta))
        assert sorted(data.files) == ["0.W", "0.b", "2.W", "2.b", "__meta__"]
    assert [d["class"] for d in info["layers"]] == ["Dense", "ReLU", "Dense"]
    assert info["layers"][0]["params"] == {"W": [2, 8], "b": [8]} and info["version"] == 2
    small = mlp((2, 8, 2), seed=3).astype(np.float32).load_weights(path)
    np.testing.assert_allclose(small.predict(x), model.predict(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("failing", ["fsync", "savez"])
def test_save_is_atomic(tmp_path, monkeypatch, failing):
    model, path = mlp(), tmp_path / "w.npz"
    mlp(seed=5).save(path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        if failing == "savez":
            args[0].write(b"PK partial")
        raise OSError("disk full")

    monkeypatch.setattr(os if failing == "fsync" else np, failing, boom)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["w.npz"]          # no temporary file left behind


def test_history_keeps_one_value_per_epoch_for_every_key(tmp_path):
    # A key that appeared in a later epoch made its list shorter than `epoch`: to_csv then
    # died with IndexError and to_json wrote a file that from_json refuses.
    h = History()
    h.append(0, {"loss": 1.0})
    h.append(1, {"loss": 0.5, "val_loss": 0.7})
    h.append(2, {"val_loss": 0.6})
    assert np.isnan(h["val_loss"][0]) and h["val_loss"][1:] == [0.7, 0.6]
    assert np.isnan(h["loss"][2]) and h["loss"][:2] == [1.0, 0.5]
    h.to_csv(tmp_path / "h.csv")
    assert (tmp_path / "h.csv").read_text().splitlines()[1] == "0,1.0,nan"
    h.to_json(tmp_path / "h.json")
    assert History.from_json(tmp_path / "h.json").epoch == [0, 1, 2]


@pytest.mark.parametrize("method", ["to_csv", "to_json"])
def test_history_export_is_atomic(tmp_path, monkeypatch, method):
    # to_csv/to_json used to open the target with "w": a failed write left it empty or cut.
    h = History()
    for epoch in range(3):
        h.append(epoch, {"loss": 1.0 / (epoch + 1)})
    path = tmp_path / "h.out"
    path.write_text("the previous run")
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        getattr(h, method)(path)
    monkeypatch.undo()
    assert path.read_text() == "the previous run"
    assert os.listdir(tmp_path) == ["h.out"]          # no temporary file left behind
    getattr(h, method)(path)
    assert "0.5" in path.read_text()


def test_writing_into_a_missing_folder_names_the_folder(tmp_path):
    # The error used to name only the hidden temporary file: ".w.npz.abc123.tmp".
    for write in (mlp().save, History().to_json, History().to_csv):
        with pytest.raises(FileNotFoundError, match=r"folder .*nowhere does not exist"):
            write(tmp_path / "nowhere" / "w.npz")


def broken_files(tmp_path):
    """(name, path) of files that load must reject; made from a good save of mlp((2, 8, 2))."""
    good = tmp_path / "good.npz"
    mlp((2, 8, 2), seed=1).save(good)
    data = dict(np.load(good, allow_pickle=False))
    out = {}

    def write(name, arrays):
        out[name] = tmp_path / f"{name}.npz"
        np.savez(out[name], **arrays)

    (tmp_path / "garbage.npz").write_bytes(b"this is not a zip file" * 10)
    out["garbage"] = tmp_path / "garbage.npz"
    (tmp_path / "truncated.npz").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    out["truncated"] = tmp_path / "truncated.npz"
    write("missing_key", {k: v for k, v in data.items() if k != "2.b"})
    write("no_meta", {k: v for k, v in data.items() if k != "__meta__"})
    write("wrong_shape", {**data, "2.W": np.zeros((8, 3))})
    meta = json.loads(str(data["__meta__"]))
    meta["version"] = 99
    write("wrong_version", {**data, "__meta__": np.array(json.dumps(meta))})
    write("pickled", {**data, "__meta__": np.array([{"code": 1}], dtype=object)})
    np.save(tmp_path / "single.npy", np.zeros(3))
    out["single_npy"] = tmp_path / "single.npy"
    other = tmp_path / "other.npz"
    mlp((2, 8, 2), seed=1, act=Tanh).save(other)
    out["other_classes"] = other
    return out


def test_load_rejects_bad_files_and_changes_nothing(tmp_path):
    model = mlp((2, 8, 2), seed=0)
    before = param_copies(model)
    expected = {"garbage": "not a readable", "truncated": "not a readable",
                "missing_key": r"missing \['2.b'\]", "no_meta": "__meta__",
                "wrong_shape": r"'2.W'.*\(8, 3\).*\(8, 2\)", "wrong_version": "version 99",
                "pickled": "not a readable", "single_npy": "not a readable",
                "other_classes": "layer 1 is Tanh in the file but ReLU"}
    for name, path in broken_files(tmp_path).items():
        with pytest.raises(ValueError, match=expected[name]) as info:
            model.load(path)
        assert str(path) in str(info.value), name
        assert_same_params(model, before)
    bigger = tmp_path / "bigger.npz"
    mlp((2, 8, 2, 2), seed=1).save(bigger)
    with pytest.raises(ValueError, match="the file has 5 layers, the model 3"):
        mlp((2, 8, 2, 2), seed=1)[0:3].load(bigger)
    with pytest.raises(FileNotFoundError, match="no such file"):
        model.load(tmp_path / "nope.npz")
    assert_same_params(model, before)


# ----- metrics ----------------------------------------------------------------------------------
def test_metrics_values_and_errors():
    scores = np.array([[2.0, 1.0, 0.0], [0.0, 0.1, 3.0], [1.0, 5.0, 0.0], [0.0, 0.0, 1.0]])
    labels = np.array([0, 2, 0, 1])
    assert metrics.accuracy(scores, labels) == 0.5
    assert metrics.accuracy(scores, np.eye(3)[labels]) == 0.5
    p = np.array([0.2, 0.7, 0.55, 0.4])
    assert metrics.accuracy(p, np.array([0, 1, 0, 0])) == 0.75
    assert metrics.accuracy(p[:, None], np.array([[0], [1], [1], [0]])) == 1.0
    assert metrics.accuracy(np.array([-0.1, 0.2]), np.array([0, 1]), threshold=0.0) == 1.0
    assert metrics.mse(np.array([[1.0], [3.0]]), np.array([0.0, 1.0])) == 2.5
    assert metrics.mae(np.array([1.0, -3.0]), np.array([0.0, 1.0])) == 2.5
    assert metrics.get("acc") is metrics.accuracy and metrics.get("MSE") is metrics.mse
    assert metrics.name_of("acc") == "accuracy"
    with pytest.raises(ValueError, match="unknown metric"):
        metrics.get("f1")
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(3,\)"):
        metrics.accuracy(scores, labels[:3])
    with pytest.raises(ValueError, match=r"\(4, 2\)"):
        metrics.accuracy(scores, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="same shape"):
        metrics.mse(np.zeros((4, 2)), np.zeros((4, 3)))


def test_fit_augments_training_batches_only():
    from scratchnet.layers import Dense
    seen = []

    def augment(xb):
        seen.append(xb.copy())
        return xb + 100.0                       # an obvious change

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    x_before = x.copy()
    model = Sequential([Dense(3, 1, rng=0)])
    model.fit(x, y, loss="mse", optimizer="sgd", epochs=2, batch_size=8, verbose=0,
              validation_data=(x[:4], y[:4]), augment=augment, rng=0)
    assert len(seen) == 2 * 3                               # every training batch, not validation
    assert sum(len(b) for b in seen) == 2 * 20
    np.testing.assert_array_equal(x, x_before)              # the training set is untouched
    with pytest.raises(TypeError, match="augment"):
        model.fit(x, y, epochs=1, verbose=0, augment="flip")
    with pytest.raises(ValueError, match="augment must return .* shape"):
        model.fit(x, y, epochs=1, verbose=0, augment=lambda xb: xb[:, :2])


# ----- the whole state: buffers, nested layers, version 1 files ---------------------------------
def bn_model(seed=0):
    from scratchnet.layers import BatchNorm1D, Dense, Dropout
    return Sequential([Dense(4, 6, rng=seed), BatchNorm1D(6), ReLU(), Dropout(0.3, rng=seed),
                       Sequential([Dense(6, 6, rng=seed + 1), BatchNorm1D(6)]), Dense(6, 2, rng=seed + 2)])


def test_save_and_load_round_trip_buffers_and_nested_layers_bit_for_bit(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 4)), rng.integers(0, 2, size=40)
    model = bn_model(0)
    model.fit(x, y, loss="cce", optimizer="adam", epochs=3, batch_size=8, verbose=0, rng=0)
    path = tmp_path / "bn.npz"
    model.save(path)
    with np.load(path, allow_pickle=False) as data:
        assert {"1.running_mean", "1.running_var", "4.1.running_mean", "4.0.W"} <= set(data.files)
        info = json.loads(str(data["__meta__"]))
    assert info["version"] == 2 and info["layers"][1]["buffers"] == {
        "running_mean": [6], "running_var": [6]}
    twin = bn_model(7).load(path)
    for key, value in model._state().items():
        assert np.array_equal(twin._state()[key], value), key
    np.testing.assert_array_equal(twin.predict(x), model.predict(x))     # eval: bit-identical


def test_version_1_files_still_load_into_models_without_buffers(tmp_path):
    model = mlp((2, 8, 2), seed=1)
    path = tmp_path / "v1.npz"
    meta = {"format": "scratchnet.Sequential weights", "version": 1, "dtype": "float64",
            "layers": [{"path": d["path"], "class": d["class"], "params": d["params"]}
                       for d in model._description()]}
    np.savez(path, **model.parameters(), __meta__=np.array(json.dumps(meta)))
    x = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_array_equal(mlp((2, 8, 2), seed=5).load(path).predict(x), model.predict(x))
    # a version 1 file cannot fill a model that has buffers
    from scratchnet.layers import BatchNorm1D, Dense
    with_bn = Sequential([Dense(2, 8, rng=0), BatchNorm1D(8), Dense(8, 2, rng=1)])
    meta["layers"] = [{"path": d["path"], "class": d["class"], "params": d["params"]}
                      for d in with_bn._description()]
    np.savez(path, **with_bn.parameters(), __meta__=np.array(json.dumps(meta)))
    before = {k: v.copy() for k, v in with_bn._state().items()}
    with pytest.raises(ValueError, match="version 1 file .* has buffers"):
        with_bn.load(path)
    assert all(np.array_equal(before[k], v) for k, v in with_bn._state().items())


def test_bad_buffers_are_refused_and_change_nothing(tmp_path):
    model = bn_model(0)
    path = tmp_path / "m.npz"
    model.save(path)
    data = dict(np.load(path, allow_pickle=False))
    target = bn_model(3)
    before = {k: v.copy() for k, v in target._state().items()}
    cases = {"nan": ({**data, "1.running_var": np.full(6, np.nan)}, "buffer '1.running_var' holds NaN"),
             "shape": ({**data, "1.running_mean": np.zeros(5)}, r"buffer '1.running_mean' .* shape \(5,\)"),
             "missing": ({k: v for k, v in data.items() if k != "4.1.running_var"},
                         r"missing \['4.1.running_var'\]")}
    for name, (arrays, message) in cases.items():
        bad = tmp_path / f"{name}.npz"
        np.savez(bad, **arrays)
        with pytest.raises(ValueError, match=message):
            target.load(bad)
        assert all(np.array_equal(before[k], v) for k, v in target._state().items()), name
    meta = json.loads(str(data["__meta__"]))
    meta["layers"][1]["buffers"] = {"running_mean": "six"}
    bad = tmp_path / "meta.npz"
    np.savez(bad, **{**data, "__meta__": np.array(json.dumps(meta))})
    with pytest.raises(ValueError, match=r"malformed metadata: layers\[1\]\['buffers'\]"):
        target.load(bad)


def test_summary_reaches_inside_nested_layers():
    from scratchnet.layers import BatchNorm1D, Dense, Residual
    block = Sequential([Dense(4, 4, rng=0), BatchNorm1D(4)])
    model = Sequential([Dense(3, 4, rng=1), Residual(block), Dense(4, 2, rng=2)])
    block.layers[1].freeze()
    text = model.summary(input_shape=(3,))
    lines = text.splitlines()
    paths = [line.split()[0] for line in lines if line[:1].isdigit()]
    assert paths == ["0", "1", "1.0", "1.0.0", "1.0.1", "2"]
    row = next(line for line in lines if line.startswith("1.0.1"))
    assert "BatchNorm1D" in row and row.rstrip().endswith("no") and " 8 " in f" {row} "
    assert "total params: 54" in text and "frozen params: 8" in text
