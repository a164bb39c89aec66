"""Dropout and batch norm: gradients against finite differences (train and eval mode, random
shapes and settings), the running statistics' convention, inverted scaling, and bad input."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gradcheck import check_layer
from scratchnet import Sequential
from scratchnet.layers import BatchNorm1D, BatchNorm2D, Dense, Dropout
from scratchnet.layers.normalization import (batchnorm_backward, batchnorm_backward_steps,
                                             batchnorm_forward)
from scratchnet.optimizers import SGD, Adam


def _random_bn(layer, rng):
    layer.params["gamma"][...] = rng.normal(size=layer.n)
    layer.params["beta"][...] = rng.normal(size=layer.n)
    layer.buffers["running_mean"][...] = rng.normal(size=layer.n)
    layer.buffers["running_var"][...] = rng.uniform(0.2, 3.0, size=layer.n)
    return layer


@given(n=st.integers(2, 6), f=st.integers(1, 5), train=st.booleans(),
       momentum=st.floats(0.0, 1.0), seed=st.integers(0, 2**16))
def test_batchnorm1d_gradients_in_both_modes(n, f, train, momentum, seed):
    rng = np.random.default_rng(seed)
    layer = _random_bn(BatchNorm1D(f, momentum=momentum), rng)
    layer.train() if train else layer.eval()
    report = check_layer(layer, 3 * rng.normal(size=(n, f)) + 1, seed=seed)
    assert report.passed, str(report)


@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(1, 4), w=st.integers(2, 4),
       train=st.booleans(), seed=st.integers(0, 2**16))
def test_batchnorm2d_gradients_in_both_modes(n, c, h, w, train, seed):
    rng = np.random.default_rng(seed)
    layer = _random_bn(BatchNorm2D(c), rng)
    layer.train() if train else layer.eval()
    report = check_layer(layer, rng.normal(size=(n, c, h, w)), seed=seed)
    assert report.passed, str(report)


@given(m=st.integers(2, 9), c=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_compact_backward_equals_the_step_by_step_one(m, c, seed):
    rng = np.random.default_rng(seed)
    x, dy, gamma = rng.normal(size=(m, c)) * 2, rng.normal(size=(m, c)), rng.normal(size=c)
    _, cache, _, _ = batchnorm_forward(x, gamma, rng.normal(size=c))
    for a, b in zip(batchnorm_backward(dy, cache), batchnorm_backward_steps(dy, x, gamma)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_batchnorm_normalizes_per_channel_and_keeps_running_statistics():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3, 4, 5)) * np.array([1.0, 5.0, 0.1])[None, :, None, None] + 7
    layer = BatchNorm2D(3, momentum=0.25)
    y = layer.forward(x)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-3)      # eps = 1e-5
    per_channel = x.transpose(1, 0, 2, 3).reshape(3, -1)
    np.testing.assert_allclose(layer.buffers["running_mean"], 0.25 * per_channel.mean(axis=1))
    np.testing.assert_allclose(layer.buffers["running_var"],
                               0.75 + 0.25 * per_channel.var(axis=1, ddof=1))   # unbiased
    layer.eval()
    one = layer.forward(x[:1])                # eval: no dependence on the rest of the batch
    expected = (x[:1] - layer.buffers["running_mean"][None, :, None, None]) / np.sqrt(
        layer.buffers["running_var"][None, :, None, None] + 1e-5)
    np.testing.assert_allclose(one, expected)
    before = {k: v.copy() for k, v in layer.buffers.items()}
    layer.forward(x)
    assert all(np.array_equal(before[k], layer.buffers[k]) for k in before)   # eval: no update


def test_optimizers_leave_buffers_alone_and_backward_changes_nothing_given():
    rng = np.random.default_rng(1)
    model = Sequential([Dense(4, 3, rng=0), BatchNorm1D(3)])
    x, dy = rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    model.forward(x)
    running = model.layers[1].buffers["running_mean"].copy()
    dy_before = dy.copy()
    model.backward(dy)
    assert np.array_equal(dy, dy_before)
    SGD(0.1).step(model)
    assert np.array_equal(model.layers[1].buffers["running_mean"], running)




@pytest.mark.parametrize("bad, error", [(0, ValueError), (-1, ValueError), (2.5, TypeError)])
def test_batchnorm_rejects_bad_sizes(bad, error):
    with pytest.raises(error, match="BatchNorm1D: expected n_features"):
        BatchNorm1D(bad)
    with pytest.raises(error, match="BatchNorm2D: expected n_channels"):
        BatchNorm2D(bad)


def test_batchnorm_rejects_bad_settings_and_input():
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm1D(3, momentum=1.5)
    with pytest.raises(ValueError, match="eps"):
        BatchNorm2D(3, eps=0)
    with pytest.raises(ValueError, match=r"BatchNorm2D.*shape\[1\] == 3"):
        BatchNorm2D(3).forward(np.zeros((2, 4, 2, 2)))
    with pytest.raises(ValueError, match="BatchNorm1D.*2 dimensions"):
        BatchNorm1D(3).forward(np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match="more than one value per channel"):
        BatchNorm1D(3).forward(np.zeros((1, 3)))
    BatchNorm1D(3).eval().forward(np.zeros((1, 3)))          # eval mode: one example is fine


@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), p=st.floats(0.0, 0.9),
       seed=st.integers(0, 2**16))
def test_dropout_gradients_with_the_mask_fixed(shape, p, seed):
    rng = np.random.default_rng(seed)
    report = check_layer(Dropout(p, rng=seed), rng.normal(size=(2, *shape)), seed=seed)
    assert report.passed, str(report)


def test_dropout_is_inverted_scaled_at_train_time_and_the_identity_in_eval():
    x = np.ones((200, 500))
    layer = Dropout(0.3, rng=0)
    y = layer.forward(x)
    assert set(np.unique(y)) == {0.0, 1 / 0.7}
    assert abs((y == 0).mean() - 0.3) < 0.01                # about p of the units dropped
    assert abs(y.mean() - 1.0) < 0.01                       # E[y] = x
    dx = layer.backward(np.full_like(x, 2.0))
    np.testing.assert_array_equal(dx, 2.0 * (y != 0) / 0.7)  # gradient through kept units only
    layer.eval()
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)


def test_dropout_reseed_repeats_the_mask_and_new_forwards_draw_new_ones():
    x = np.ones((4, 50))
    layer = Dropout(0.5, rng=3)
    first, second = layer.forward(x), layer.forward(x)
    assert not np.array_equal(first, second)
    layer.reseed(7)
    a = layer.forward(x)
    layer.reseed(7)
    assert np.array_equal(a, layer.forward(x))


@pytest.mark.parametrize("p, error", [(1.0, ValueError), (-0.1, ValueError), ("0.5", TypeError),
                                      (float("nan"), ValueError)])
def test_dropout_rejects_bad_p(p, error):
    with pytest.raises(error, match="Dropout: expected p"):
        Dropout(p)


@pytest.mark.torch
def test_batchnorm_matches_torch_in_both_modes(torch):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3, 4, 4)) * 2 + 1
    dy = rng.normal(size=x.shape)
    ours = BatchNorm2D(3, momentum=0.2)
    theirs = torch.nn.BatchNorm2d(3, momentum=0.2, eps=1e-5).double()
    for _ in range(2):
        y = ours.forward(x)
        xt = torch.tensor(x, requires_grad=True)
        yt = theirs(xt)
        yt.backward(torch.tensor(dy))
        np.testing.assert_allclose(y, yt.detach().numpy(), atol=1e-10)
        np.testing.assert_allclose(ours.backward(dy), xt.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(ours.grads["gamma"], theirs.weight.grad.numpy(), atol=1e-10)
        theirs.weight.grad = None
        theirs.bias.grad = None
    np.testing.assert_allclose(ours.buffers["running_mean"], theirs.running_mean.numpy())
    np.testing.assert_allclose(ours.buffers["running_var"], theirs.running_var.numpy())
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(ours.forward(x), theirs(torch.tensor(x)).detach().numpy(),
                               atol=1e-10)


def _frozen_setup(eval_mode):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)) * 3 + 1, rng.integers(0, 3, size=64)
    features = Sequential([Dense(4, 8, rng=0), BatchNorm1D(8), Dropout(0.5, rng=1)])
    model = Sequential([features, Dense(8, 3, rng=2)])
    features.freeze(eval_mode=eval_mode)
    params = {k: v.copy() for k, v in features.parameters().items()}
    running = features.layers[1].buffers["running_mean"].copy()
    head = model.layers[1].params["W"].copy()
    model.fit(x, y, loss="cce", optimizer=Adam(0.01), epochs=2, batch_size=16, verbose=0, rng=0)
    return model, features, params, running, head


@pytest.mark.parametrize("eval_mode", [False, True])
def test_frozen_layers_do_not_move_while_the_head_trains(eval_mode):
    model, features, params, running, head = _frozen_setup(eval_mode)
    for key, value in params.items():
        assert np.array_equal(features.parameters()[key], value), key
    assert not np.array_equal(model.layers[1].params["W"], head)          # the head learned
    moved = not np.array_equal(features.layers[1].buffers["running_mean"], running)
    # PyTorch's rule without eval_mode (statistics keep updating); Keras' with it
    assert moved is (not eval_mode)
    assert features.layers[1].training is (not eval_mode)                  # after fit
    features.unfreeze()
    model.train()
    assert features.trainable and features.layers[1].training
