"""LayerNorm and Residual: gradients against finite differences on random shapes (hypothesis),
what each computes, that a Residual's two paths are reached by modes, freezing, optimizers,
summary and save/load, and clear errors for bad input."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck import check_layer, check_model
from scratchnet import Sequential
from scratchnet.layers import (BatchNorm1D, BatchNorm2D, Conv2D, Dense, Dropout, GlobalAvgPool2D,
                               LayerNorm, ReLU, Residual, Tanh)
from scratchnet.layers.normalization import (batchnorm_forward, layernorm_backward,
                                             layernorm_forward)
from scratchnet.losses import CategoricalCrossEntropy
from scratchnet.optimizers import SGD


# ----- LayerNorm -------------------------------------------------------------------------------------
@given(lead=st.lists(st.integers(1, 3), min_size=1, max_size=2),
       norm=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=st.integers(0, 2**16))
def test_layernorm_gradients_on_random_shapes(lead, norm, seed):
    rng = np.random.default_rng(seed)
    layer = LayerNorm(tuple(norm))
    layer.params["gamma"][...] = rng.normal(size=norm)
    layer.params["beta"][...] = rng.normal(size=norm)
    x = 2 * rng.normal(size=(*lead, *norm)) + rng.normal()
    report = check_layer(layer, x, seed=seed)
    assert report.passed, str(report)


def test_layernorm_normalizes_each_example_on_its_own():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5, 6)) * np.arange(1, 5)[:, None, None] + 3
    layer = LayerNorm(6)
    y = layer.forward(x)
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=-1), 1, rtol=1e-3)
    np.testing.assert_allclose(layer.forward(x[:1]), y[:1])      # no dependence on the others
    layer.eval()
    np.testing.assert_array_equal(layer.forward(x), y)           # eval is the same function
    whole = LayerNorm((5, 6)).forward(x)                          # over the last two axes
    np.testing.assert_allclose(whole.mean(axis=(1, 2)), 0, atol=1e-12)


def test_layernorm_is_batchnorm_of_the_transpose():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(7, 5)) * 3 + 1
    y, _ = layernorm_forward(x, np.ones(5), np.zeros(5))
    y_bn, _, _, _ = batchnorm_forward(x.T, np.ones(7), np.zeros(7))
    np.testing.assert_allclose(y, y_bn.T, rtol=1e-12, atol=1e-12)


def test_layernorm_backward_sums_to_zero_per_example_and_changes_nothing():
    rng = np.random.default_rng(2)
    x, dy = rng.normal(size=(3, 4, 5)), rng.normal(size=(3, 4, 5))
    gamma, beta = np.ones(5), rng.normal(size=5)
    kept = dy.copy()
    _, cache = layernorm_forward(x, gamma, beta)
    dx, dgamma, dbeta = layernorm_backward(dy, cache)
    np.testing.assert_allclose(dx.sum(axis=-1), 0, atol=1e-12)   # the mean is removed
    np.testing.assert_array_equal(dy, kept)
    np.testing.assert_allclose(dbeta, dy.sum(axis=(0, 1)))
    assert dgamma.shape == dbeta.shape == (5,)


def test_layernorm_keeps_float32_and_refuses_bad_input():
    import scratchnet
    old = scratchnet.get_default_dtype()
    scratchnet.set_default_dtype(np.float32)
    try:
        layer = LayerNorm((2, 3))
    finally:
        scratchnet.set_default_dtype(old)
    y = layer.forward(np.ones((4, 2, 3)))
    assert y.dtype == layer.backward(np.ones_like(y)).dtype == np.float32
    with pytest.raises(ValueError, match=r"LayerNorm: expected x of shape \(N, \.\.\., 2, 3\)"):
        layer.forward(np.ones((4, 3, 2)))
    with pytest.raises(ValueError, match=r"LayerNorm: expected x of shape"):
        layer.forward(np.ones((2, 3)))                    # no batch axis
    with pytest.raises(TypeError, match="LayerNorm: expected normalized_shape"):
        LayerNorm("4")
    with pytest.raises(TypeError, match="LayerNorm: expected normalized_shape"):
        LayerNorm(())
    with pytest.raises(ValueError, match="LayerNorm: expected normalized_shape of positive"):
        LayerNorm((3, 0))
    with pytest.raises(ValueError, match="LayerNorm: expected eps"):
        LayerNorm(3, eps=-1.0)
    with pytest.raises(RuntimeError, match="before forward"):
        LayerNorm(3).backward(np.ones((2, 3)))


@pytest.mark.torch
def test_layernorm_matches_torch(torch):
    rng = np.random.default_rng(3)
    x, dy = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(2, 3, 4, 5))
    ours = LayerNorm((4, 5))
    ours.params["gamma"][...] = rng.normal(size=(4, 5))
    ours.params["beta"][...] = rng.normal(size=(4, 5))
    theirs = torch.nn.LayerNorm((4, 5)).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.params["gamma"]))
        theirs.bias.copy_(torch.tensor(ours.params["beta"]))
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    yt.backward(torch.tensor(dy))
    np.testing.assert_allclose(ours.forward(x), yt.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(ours.backward(dy), xt.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ours.grads["gamma"], theirs.weight.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ours.grads["beta"], theirs.bias.grad.numpy(), atol=1e-10)


# ----- Residual: gradients ---------------------------------------------------------------------------
def conv_block(c, rng, out=None, stride=1):
    """conv-BN-ReLU-conv-BN on the reference kernels (gradcheck runs in float64)."""
    out = out or c
    return Sequential([Conv2D(c, out, 3, stride=stride, padding=1, rng=rng, backend="reference"),
                       BatchNorm2D(out), ReLU(),
                       Conv2D(out, out, 3, padding=1, rng=rng, backend="reference"),
                       BatchNorm2D(out)])


@settings(max_examples=10)
@given(n=st.integers(2, 3), c=st.integers(1, 3), h=st.integers(2, 4), w=st.integers(2, 4),
       seed=st.integers(0, 2**16))
def test_identity_residual_with_batchnorm_in_train_mode(n, c, h, w, seed):
    rng = np.random.default_rng(seed)
    layer = Residual(conv_block(c, rng))
    report = check_layer(layer, rng.normal(size=(n, c, h, w)), seed=seed)
    assert report.passed, str(report)
    assert all(bn.training for bn in layer.block.layers if isinstance(bn, BatchNorm2D))


@settings(max_examples=10)
@given(n=st.integers(2, 3), c=st.integers(1, 2), out=st.integers(1, 3), h=st.integers(3, 5),
       seed=st.integers(0, 2**16))
def test_conv_projection_residual_with_stride_2(n, c, out, h, seed):
    rng = np.random.default_rng(seed)
    layer = Residual(conv_block(c, rng, out, stride=2),
                     shortcut=Conv2D(c, out, 1, stride=2, rng=rng, backend="reference"))
    report = check_layer(layer, rng.normal(size=(n, c, h, h + 1)), seed=seed)
    assert report.passed, str(report)


@given(n=st.integers(2, 5), d=st.integers(1, 4), m=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_dense_projection_residual_with_batchnorm1d(n, d, m, seed):
    rng = np.random.default_rng(seed)
    layer = Residual(Sequential([Dense(d, m, rng=rng), BatchNorm1D(m), Tanh()]),
                     shortcut=Dense(d, m, rng=rng))
    report = check_layer(layer, rng.normal(size=(n, d)), seed=seed)
    assert report.passed, str(report)


def test_a_model_of_residual_blocks_passes_check_model():
    rng = np.random.default_rng(4)
    model = Sequential([Conv2D(1, 2, 3, padding=1, rng=0, backend="reference"), ReLU(),
                        Residual(conv_block(2, rng)), ReLU(), GlobalAvgPool2D(),
                        Residual(Sequential([Dense(2, 3, rng=1), Dropout(0.3, rng=2)]),
                                 shortcut=Dense(2, 3, rng=3))])
    report = check_model(model, CategoricalCrossEntropy(), rng.normal(size=(3, 1, 4, 4)),
                         np.array([0, 2, 1]))
    assert report.passed, str(report)


def test_backward_is_the_sum_of_both_paths():
    rng = np.random.default_rng(5)
    x, dy = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    block, proj = Dense(3, 3, rng=0), Dense(3, 3, rng=1)
    kept = dy.copy()
    y = Residual(block).forward(x)
    np.testing.assert_allclose(y, block.forward(x) + x)
    res = Residual(block)
    res.forward(x)
    np.testing.assert_allclose(res.backward(dy), dy @ block.params["W"].T + dy)
    both = Residual(block, shortcut=proj)
    np.testing.assert_allclose(both.forward(x), x @ block.params["W"] + block.params["b"]
                               + x @ proj.params["W"] + proj.params["b"])
    np.testing.assert_allclose(both.backward(dy),
                               dy @ block.params["W"].T + dy @ proj.params["W"].T)
    np.testing.assert_allclose(proj.grads["W"], x.T @ dy)
    np.testing.assert_array_equal(dy, kept)


# ----- Residual: the container -----------------------------------------------------------------------
def small_resnet():
    return Sequential([Dense(4, 6, rng=0), ReLU(),
                       Residual(Sequential([Dense(6, 6, rng=1), ReLU(), Dense(6, 6, rng=2)])),
                       Residual(Sequential([Dense(6, 3, rng=3), Dropout(0.5, rng=4)]),
                                shortcut=Dense(6, 3, rng=5)),
                       Dense(3, 2, rng=6)])


def test_children_expose_both_paths_to_modes_and_parameter_names():
    model = small_resnet()
    res = model.layers[3]
    assert res.children() == [res.block, res.shortcut]
    assert model.layers[2].children() == [model.layers[2].block]
    assert "3.1.W" in model.parameters() and "2.0.2.W" in model.parameters()
    model.eval()
    assert not res.block.layers[1].training and not res.shortcut.training
    model.train()
    assert res.block.layers[1].training
    assert model.n_params == 4 * 6 + 6 + 2 * (6 * 6 + 6) + 2 * (6 * 3 + 3) + 3 * 2 + 2


def test_freezing_a_path_keeps_its_weights_and_summary_counts_them():
    rng = np.random.default_rng(6)
    model = small_resnet()
    model.layers[3].shortcut.trainable = False
    model.layers[2].trainable = False
    frozen = {k: v.copy() for k, v in model.parameters().items() if k.startswith(("2.", "3.1."))}
    others = {k: v.copy() for k, v in model.parameters().items() if k not in frozen}
    model.forward(rng.normal(size=(5, 4)))
    model.backward(rng.normal(size=(5, 2)))
    SGD(0.1).step(model)
    params = model.parameters()
    assert all(np.array_equal(params[k], v) for k, v in frozen.items())
    assert all(not np.array_equal(params[k], v) for k, v in others.items() if k != "3.0.0.b")
    text = model.summary((4,))
    n_frozen = sum(v.size for v in frozen.values())
    assert f"frozen params: {n_frozen:,}" in text and "Residual[2]" in text


def test_save_and_load_reach_inside(tmp_path):
    rng = np.random.default_rng(7)
    model = small_resnet()
    x = rng.normal(size=(5, 4))
    model.save(tmp_path / "m.npz")
    other = small_resnet()
    for p in other.parameters().values():
        p[...] = 0
    other.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(other.predict(x), model.predict(x))


def test_a_residual_network_trains():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(64, 4))
    y = (x[:, 0] * x[:, 1] > 0).astype(int)
    model = small_resnet()
    history = model.fit(x, y, loss="cce", optimizer=SGD(0.1), epochs=30, batch_size=16, rng=0,
                        verbose=0)
    assert history["loss"][-1] < 0.7 * history["loss"][0]


def test_residual_refuses_bad_blocks_and_mismatched_shapes():
    with pytest.raises(TypeError, match="Residual: expected block to be a scratchnet Layer"):
        Residual(np.ones(3))
    with pytest.raises(TypeError, match=r"pass an instance: Dense\(\.\.\.\)"):
        Residual(Dense)
    with pytest.raises(TypeError, match="expected shortcut to be a scratchnet Layer or None"):
        Residual(Dense(2, 2), shortcut="identity")
    shared = Dense(2, 2)
    with pytest.raises(ValueError, match="also in the block"):
        Residual(Sequential([shared, ReLU()]), shortcut=shared)
    with pytest.raises(ValueError, match=r"maps x of shape \(N, 3\) to \(N, 2\), but the "
                                         r"identity shortcut keeps \(N, 3\).*projection"):
        Residual(Dense(3, 2)).forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"but the shortcut gives \(N, 4\)"):
        Residual(Dense(3, 2), shortcut=Dense(3, 4)).forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"maps x of shape \(N, 2, 4, 4\) to \(N, 2, 2, 2\)"):
        Residual(Conv2D(2, 2, 3, stride=2, padding=1)).forward(np.ones((1, 2, 4, 4)))
    with pytest.raises(RuntimeError, match="before forward"):
        Residual(Dense(2, 2)).backward(np.ones((1, 2)))
    res = Residual(Dense(2, 2))
    res.forward(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"expected dy of shape \(3, 2\)"):
        res.backward(np.ones((3, 3)))


def test_a_residual_shared_by_two_models_backpropagates_its_own_forward():
    """Each model hands its layers their own caches back (as Sequential does): the Residual
    keeps its children's caches with its own."""
    rng = np.random.default_rng(9)
    res = Residual(Sequential([Dense(3, 3, rng=0), Tanh()]))
    a, b = Sequential([res]), Sequential([Dense(3, 3, rng=1), res])
    xa, xb, dy = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    a.forward(xa)
    expected = a.backward(dy)
    a.forward(xa)
    b.forward(xb)                       # runs res again on other numbers
    np.testing.assert_allclose(a.backward(dy), expected)
