"""Tests of scratchnet.losses: known values, gradchecks on random shapes, fused vs unfused
cross-entropy, stability for extreme logits, float32, the loss contract and every error path."""
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import gradcheck
from scratchnet import losses
from scratchnet.losses import (MAE, MSE, BinaryCrossEntropy, CategoricalCrossEntropy, Huber,
                               KLDivergence)

seeds = st.integers(0, 2**31 - 1)
batch = st.integers(1, 6)
classes = st.integers(2, 5)


# ----- random inputs for each loss, away from kinks ------------------------------------------
def away_from(rng, y_true, kinks, shape, gap=0.05):
    """y_pred = y_true + e with every |e| at least `gap` away from each value in kinks."""
    e = rng.normal(size=shape) * 2
    for k in kinks:
        close = np.abs(np.abs(e) - k) < gap
        e[close] = np.sign(e[close] + 1e-12) * (k + 2 * gap)
    return y_true + e


def regression_case(loss, rng, shape):
    y_true = rng.normal(size=shape)
    kinks = {MSE: [], MAE: [0.0], Huber: [0.0, getattr(loss, "delta", 0.0)]}[type(loss)]
    return away_from(rng, y_true, kinks, shape), y_true


def rows(rng, N, K):
    """N random probability rows of width K (some exact zeros, to test the y = 0 terms)."""
    p = rng.dirichlet(np.ones(K), size=N)
    p[rng.random((N, K)) < 0.2] = 0
    p[np.arange(N), rng.integers(0, K, N)] += 0.1      # never an all-zero row
    return p / p.sum(axis=1, keepdims=True)


def classification_cases(rng, N, K):
    """(loss, y_pred, y_true) for every classification loss and target form."""
    z = rng.normal(size=(N, K)) * 2
    labels = rng.integers(0, K, N)
    q = rng.dirichlet(np.ones(K), size=N) * 0.9 + 0.1 / K     # probabilities away from 0
    p_bin = rng.uniform(0.05, 0.95, size=(N, 1))
    p_multi = rng.uniform(0.05, 0.95, size=(N, K))            # multi-label: K > 1 columns
    return [
        (BinaryCrossEntropy(), p_bin, rng.uniform(0, 1, size=N)),
        (BinaryCrossEntropy(), p_multi, rng.integers(0, 2, (N, K)).astype(np.float64)),
        (BinaryCrossEntropy(from_logits=True), z[:, 0], rng.integers(0, 2, N)),
        (BinaryCrossEntropy(from_logits=True), z, rng.uniform(0, 1, size=(N, K))),
        (CategoricalCrossEntropy(), z, labels),
        (CategoricalCrossEntropy(), z, rows(rng, N, K)),
        (CategoricalCrossEntropy(from_logits=False), q, labels),
        (CategoricalCrossEntropy(from_logits=False), q, rows(rng, N, K)),
        (KLDivergence(), q, rows(rng, N, K)),
        (KLDivergence(from_logits=True), z, rows(rng, N, K)),
    ]


def all_cases(seed, N=3, K=4):
    rng = np.random.default_rng(seed)
    shape = (N, K)
    regression = [(loss, *regression_case(loss, rng, shape))
                  for loss in (MSE(), MAE(), Huber(), Huber(delta=0.3))]
    return regression + classification_cases(rng, N, K)


N_CASES = len(all_cases(seed=0))


# ----- gradients ------------------------------------------------------------------------------
def assert_gradcheck(loss, y_pred, y_true):
    report = gradcheck.check_loss(loss, y_pred, y_true)
    assert report.passed, str(report)


@given(seed=seeds, N=batch, D=st.integers(1, 4))
def test_regression_losses_gradcheck(seed, N, D):
    rng = np.random.default_rng(seed)
    for loss in (MSE(), MAE(), Huber(), Huber(delta=0.3)):
        assert_gradcheck(loss, *regression_case(loss, rng, (N, D)))


@given(seed=seeds, N=batch, K=classes)
def test_classification_losses_gradcheck(seed, N, K):
    for loss, y_pred, y_true in classification_cases(np.random.default_rng(seed), N, K):
        assert_gradcheck(loss, y_pred, y_true)


def central_differences(loss, y_pred, y_true, h=1e-6):
    """dL/dy_pred by central differences: the tests do not rely on gradcheck alone."""
    g = np.zeros_like(y_pred)
    for i in np.ndindex(y_pred.shape):
        up, down = y_pred.copy(), y_pred.copy()
        up[i] += h
        down[i] -= h
        g[i] = (loss.forward(up, y_true) - loss.forward(down, y_true)) / (2 * h)
    return g


@pytest.mark.parametrize("i", range(N_CASES))
def test_gradient_matches_own_central_differences(i):
    loss, y_pred, y_true = all_cases(seed=i)[i]
    loss.forward(y_pred, y_true)
    analytic = loss.backward()
    numeric = central_differences(loss, y_pred, y_true)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("i", range(N_CASES))
def test_float32_in_float32_out(i):
    loss, y_pred, y_true = all_cases(seed=100 + i)[i]
    value64 = loss.forward(y_pred, y_true)
    grad64 = loss.backward()
    value32 = loss.forward(y_pred.astype(np.float32), y_true)
    grad32 = loss.backward()
    assert isinstance(value32, float) and isinstance(value64, float)
    assert grad64.dtype == np.float64 and grad32.dtype == np.float32
    assert grad32.shape == y_pred.shape
    np.testing.assert_allclose(value32, value64, rtol=1e-5)
    np.testing.assert_allclose(grad32, grad64, rtol=1e-4, atol=1e-6)


# ----- the contract ---------------------------------------------------------------------------
@pytest.mark.parametrize("i", range(N_CASES))
def test_contract_inputs_untouched_new_gradient_each_time(i):
    loss, y_pred, y_true = all_cases(seed=200 + i)[i]
    y_pred_copy, y_true_copy = y_pred.copy(), np.array(y_true, copy=True)
    value = loss(y_pred, y_true)                        # __call__ is forward
    assert value == loss.forward(y_pred, y_true)
    g1 = loss.backward()
    g2 = loss.backward()
    assert g1 is not g2 and not np.shares_memory(g1, g2)
    assert not np.shares_memory(g1, y_pred)
    np.testing.assert_array_equal(g1, g2)
    g1 += 1                                             # the caller may change what it got
    np.testing.assert_array_equal(loss.backward(), g2)
    np.testing.assert_array_equal(y_pred, y_pred_copy)
    np.testing.assert_array_equal(y_true, y_true_copy)


@pytest.mark.parametrize("loss", [MSE(), MAE(), Huber(), BinaryCrossEntropy(),
                                  CategoricalCrossEntropy(), KLDivergence()])
def test_backward_before_forward_raises(loss):
    with pytest.raises(RuntimeError, match=f"{type(loss).__name__}.*before forward"):
        loss.backward()


def test_gradient_is_batch_mean():
    """Doubling the batch with a copy of itself keeps the value and halves each gradient."""
    for loss, y_pred, y_true in all_cases(seed=3):
        value = loss.forward(y_pred, y_true)
        grad = loss.backward()
        y_true = np.asarray(y_true)
        value2 = loss.forward(np.concatenate([y_pred, y_pred]), np.concatenate([y_true, y_true]))
        grad2 = loss.backward()
        assert value2 == pytest.approx(value, rel=1e-12), repr(loss)
        np.testing.assert_allclose(grad2[:len(y_pred)], grad / 2, rtol=1e-12, err_msg=repr(loss))


# ----- known values ---------------------------------------------------------------------------
Y_PRED = np.array([[1.0, 2.0], [3.0, -4.0]])
Y_TRUE = np.array([[1.0, 1.0], [1.0, 1.0]])      # errors e = [[0, 1], [2, -5]]


def test_mse_by_hand():
    loss = MSE()
    assert loss.forward(Y_PRED, Y_TRUE) == pytest.approx((0 + 1 + 4 + 25) / 4)
    np.testing.assert_allclose(loss.backward(), 2 * np.array([[0, 1], [2, -5]]) / 4)


def test_mae_by_hand_and_zero_derivative_at_zero():
    loss = MAE()
    assert loss.forward(Y_PRED, Y_TRUE) == pytest.approx((0 + 1 + 2 + 5) / 4)
    np.testing.assert_array_equal(loss.backward(), np.array([[0, 1], [1, -1]]) / 4)


def test_huber_is_half_mse_inside_delta_and_linear_outside():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(5, 3))
    e_small = rng.uniform(-0.9, 0.9, size=(5, 3))
    huber, mse, mae = Huber(delta=1.0), MSE(), MAE()
    assert huber(y + e_small, y) == pytest.approx(mse(y + e_small, y) / 2)
    np.testing.assert_allclose(huber.backward(), mse.backward() / 2)
    e_big = np.sign(e_small) * (3 + np.abs(e_small))              # every |e| > delta = 2
    huber = Huber(delta=2.0)
    assert huber(y + e_big, y) == pytest.approx(2.0 * mae(y + e_big, y) - 2.0 ** 2 / 2)
    np.testing.assert_allclose(huber.backward(), 2.0 * mae.backward())


def test_huber_by_hand():
    # errors [[0, 1], [2, -5]] with delta 1.5: 0, 0.5, 1.5 * (2 - 0.75), 1.5 * (5 - 0.75)
    loss = Huber(delta=1.5)
    assert loss.forward(Y_PRED, Y_TRUE) == pytest.approx((0 + 0.5 + 1.875 + 6.375) / 4)
    np.testing.assert_allclose(loss.backward(), np.array([[0, 1], [1.5, -1.5]]) / 4)


def test_bce_known_values():
    y = np.array([0.0, 1.0, 0.3, 1.0])
    assert BinaryCrossEntropy()(np.full(4, 0.5), y) == pytest.approx(np.log(2))
    assert BinaryCrossEntropy(from_logits=True)(np.zeros(4), y) == pytest.approx(np.log(2))
    value = BinaryCrossEntropy()(np.array([0.9, 0.2]), np.array([1, 0]))
    assert value == pytest.approx(-(np.log(0.9) + np.log(0.8)) / 2)


# Multi-label: (N, K) = (2, 2), M = 4 elements, so every gradient is divided by M = N * K = 4.
P_MULTI = np.array([[0.9, 0.2], [0.6, 0.5]])
Y_MULTI = np.array([[1.0, 0.0], [0.0, 1.0]])


def test_bce_multilabel_by_hand():
    # L = -(log 0.9 + log 0.8 + log 0.4 + log 0.5) / 4: the mean over all N * K elements.
    expected = -(np.log(0.9) + np.log(0.8) + np.log(0.4) + np.log(0.5)) / 4
    plain = BinaryCrossEntropy()
    assert plain(P_MULTI, Y_MULTI) == pytest.approx(expected, rel=1e-12)
    # dL/dp = -(y / p - (1 - y) / (1 - p)) / 4
    np.testing.assert_allclose(plain.backward(),
                               np.array([[-1 / 0.9, 1 / 0.8], [1 / 0.4, -1 / 0.5]]) / 4, rtol=1e-10)
    fused = BinaryCrossEntropy(from_logits=True)
    z = np.log(P_MULTI / (1 - P_MULTI))                      # sigmoid(z) = P_MULTI
    assert fused(z, Y_MULTI) == pytest.approx(expected, rel=1e-12)
    # dL/dz = (p - y) / 4
    np.testing.assert_allclose(fused.backward(), np.array([[-0.1, 0.2], [0.6, -0.5]]) / 4,
                               rtol=1e-10)


@pytest.mark.parametrize("from_logits", [False, True])
@given(seed=seeds, N=batch, K=classes)
def test_bce_multilabel_is_the_mean_over_every_element(from_logits, seed, N, K):
    # A multi-label (N, K) batch must be the same loss as its N * K elements in a row: a
    # gradient divided by N instead of N * K passed every check on (N, 1) targets.
    rng = np.random.default_rng(seed)
    y_pred = rng.normal(size=(N, K)) * 2 if from_logits else rng.uniform(0.05, 0.95, (N, K))
    y_true = rng.integers(0, 2, (N, K)).astype(np.float64)
    table, flat = BinaryCrossEntropy(from_logits), BinaryCrossEntropy(from_logits)
    assert table(y_pred, y_true) == pytest.approx(flat(y_pred.ravel(), y_true.ravel()), rel=1e-12)
    np.testing.assert_allclose(table.backward(), flat.backward().reshape(N, K), rtol=1e-12)
    assert_gradcheck(BinaryCrossEntropy(from_logits), y_pred, y_true)


def test_bce_from_logits_equals_sigmoid_then_bce():
    rng = np.random.default_rng(2)
    z, y = rng.normal(size=(6, 1)), rng.uniform(0, 1, size=6)
    fused, plain = BinaryCrossEntropy(from_logits=True), BinaryCrossEntropy()
    p = 1 / (1 + np.exp(-z))
    assert fused(z, y) == pytest.approx(plain(p, y), rel=1e-12)
    # chain rule: dL/dz = dL/dp * dp/dz = dL/dp * p (1 - p)
    np.testing.assert_allclose(fused.backward(), plain.backward() * p * (1 - p), rtol=1e-10)


def test_cce_known_values():
    for K in (2, 3, 10):
        labels = np.arange(4) % K
        assert CategoricalCrossEntropy()(np.zeros((4, K)), labels) == pytest.approx(np.log(K))
        uniform = np.full((4, K), 1 / K)
        plain = CategoricalCrossEntropy(from_logits=False)
        assert plain(uniform, labels) == pytest.approx(np.log(K))
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    value = CategoricalCrossEntropy(from_logits=False)(p, np.array([0, 2]))
    assert value == pytest.approx(-(np.log(0.7) + np.log(0.8)) / 2)


def test_cce_labels_and_one_hot_agree():
    rng = np.random.default_rng(3)
    z, labels = rng.normal(size=(5, 4)), rng.integers(0, 4, 5)
    a, b, c = CategoricalCrossEntropy(), CategoricalCrossEntropy(), CategoricalCrossEntropy()
    assert a(z, labels) == b(z, np.eye(4)[labels]) == c(z, labels.astype(np.float64))
    np.testing.assert_array_equal(a.backward(), b.backward())
    np.testing.assert_array_equal(a.backward(), c.backward())
    np.testing.assert_allclose(a.backward(), (losses.softmax(z) - np.eye(4)[labels]) / 5)


def test_kl_known_values_and_relation_to_cross_entropy():
    rng = np.random.default_rng(4)
    y, q = rows(rng, 6, 4), rng.dirichlet(np.ones(4), size=6)
    assert KLDivergence()(y, y) == pytest.approx(0, abs=1e-12)
    kl = KLDivergence()(q, y)
    assert kl > 0
    entropy = -np.sum(np.where(y > 0, y * np.log(np.where(y > 0, y, 1)), 0)) / 6
    cross_entropy = CategoricalCrossEntropy(from_logits=False)(q, y)
    assert cross_entropy == pytest.approx(entropy + kl, rel=1e-12)
    by_hand = np.array([[0.5, 0.5, 0.0]]), np.array([[0.25, 0.25, 0.5]])
    assert KLDivergence()(by_hand[1], by_hand[0]) == pytest.approx(np.log(2))


def test_kl_from_logits_equals_softmax_then_kl():
    rng = np.random.default_rng(5)
    z, y = rng.normal(size=(4, 3)), rows(rng, 4, 3)
    fused, plain = KLDivergence(from_logits=True), KLDivergence()
    assert fused(z, y) == pytest.approx(plain(losses.softmax(z), y), rel=1e-12)
    ce = CategoricalCrossEntropy()
    ce(z, y)
    np.testing.assert_allclose(fused.backward(), ce.backward())     # same gradient as CE


# ----- the plain path beside the fused one ----------------------------------------------------
@given(seed=seeds, N=batch, K=classes, one_hot=st.booleans())
def test_fused_cross_entropy_equals_softmax_layer_then_cross_entropy(seed, N, K, one_hot):
    from scratchnet.layers import Softmax

    rng = np.random.default_rng(seed)
    z = rng.normal(size=(N, K)) * 2
    y = rng.integers(0, K, N) if one_hot else rows(rng, N, K)
    fused = CategoricalCrossEntropy(from_logits=True)
    plain = CategoricalCrossEntropy(from_logits=False)
    softmax = Softmax()
    assert fused(z, y) == pytest.approx(plain(softmax(z), y), rel=1e-10)
    dz_plain = softmax.backward(plain.backward())           # Jacobian^T (-y / p / N)
    np.testing.assert_allclose(fused.backward(), dz_plain, rtol=1e-8, atol=1e-12)


@given(seed=seeds, N=batch, K=classes)
def test_unfused_gradient_function_equals_fused(seed, N, K):
    rng = np.random.default_rng(seed)
    z, y = rng.normal(size=(N, K)) * 2, rows(rng, N, K)
    fused = CategoricalCrossEntropy()
    fused(z, y)
    np.testing.assert_allclose(losses.cross_entropy_grad_unfused(z, y), fused.backward(),
                               rtol=1e-8, atol=1e-12)


def test_unfused_path_loses_the_gradient_of_a_saturated_wrong_prediction():
    # What the docstrings of Softmax and CategoricalCrossEntropy promise, in numbers. Label 1
    # in every row: row 0 is confidently wrong (p_1 = 2.1e-9 < eps), row 1 so wrong that p_1
    # underflows to 0, row 2 is moderate (p_1 = 0.63). The fused path gives the exact
    # (p - y) / N on every row. The plain one, Softmax then CategoricalCrossEntropy(
    # from_logits=False), caps the loss of a clipped row at -log(eps) = 16.1 and scales its
    # gradient by p_1 / eps: 2% of the truth in row 0, exactly 0 in row 1.
    from scratchnet.layers import Softmax

    z = np.array([[20.0, 0.0, 0.0], [800.0, 0.0, 0.0], [1.0, 2.0, 0.5]])
    labels, N = np.array([1, 1, 1]), 3
    p, y = losses.softmax(z), np.eye(3)[labels]
    fused = CategoricalCrossEntropy(from_logits=True)
    value_fused = fused(z, labels)
    dz_fused = fused.backward()
    np.testing.assert_allclose(dz_fused, (p - y) / N, rtol=1e-12)
    softmax, plain = Softmax(), CategoricalCrossEntropy(from_logits=False)
    value_plain = plain(softmax.forward(z), labels)
    dz_plain = softmax.backward(plain.backward())

    true_losses = -losses.log_softmax(z)[:, 1]
    np.testing.assert_allclose(true_losses[:2], [20.0, 800.0], rtol=1e-8)
    assert -np.log(losses.EPS) == pytest.approx(16.118, rel=1e-4)
    assert value_fused == pytest.approx(true_losses.mean(), rel=1e-12)
    assert value_plain == pytest.approx((2 * -np.log(losses.EPS) + true_losses[2]) / N, rel=1e-12)

    shrink = np.minimum(p[:, 1] / losses.EPS, 1.0)             # 1 where the clip does not bind
    np.testing.assert_allclose(shrink, [0.0206, 0.0, 1.0], rtol=1e-3)
    np.testing.assert_allclose(dz_plain, shrink[:, None] * dz_fused, rtol=1e-6)
    assert p[1, 1] == 0 and np.all(dz_plain[1] == 0)           # nothing left to learn from
    assert np.abs(dz_fused[1]).max() == pytest.approx(1 / N)   # while the truth is (p - y) / N

    # The docstrings teach exactly these numbers; change them together.
    for doc in (Softmax.__doc__, CategoricalCrossEntropy.__doc__):
        for claim in ("z = (20, 0, 0)", "p_c = 2.1e-9", "(p_c / eps) * (p - y) / N", "2%",
                      "exactly 0 once p_c underflows", "z = (800, 0, 0)", "from_logits=True"):
            assert claim in " ".join(doc.split()), claim
    assert "-log(eps) = 16.1 (the true loss is 20.0)" in " ".join(
        CategoricalCrossEntropy.__doc__.split())


def test_log_softmax_matches_log_of_softmax():
    z = np.random.default_rng(6).normal(size=(3, 5))
    np.testing.assert_allclose(losses.log_softmax(z), np.log(losses.softmax(z)), rtol=1e-12)


# ----- numerical stability --------------------------------------------------------------------
def no_warnings():
    """A context that turns every floating-point problem and every warning into an error."""
    import contextlib
    stack = contextlib.ExitStack()
    stack.enter_context(np.errstate(all="raise"))
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("error")
    return stack


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_extreme_logits_are_finite_and_right(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]], dtype=dtype)
    labels = np.array([1, 2])
    with no_warnings():
        cce = CategoricalCrossEntropy()
        value = cce(z, labels)
        dz = cce.backward()
        assert value == pytest.approx(2e4 / 2)         # row 0 loses 2e4 nats, row 1 nothing
        np.testing.assert_allclose(dz, np.array([[1, -1, 0], [0, 0, 0]]) / 2, atol=1e-7)

        bce = BinaryCrossEntropy(from_logits=True)
        value = bce(np.array([1e4, -1e4, 1e4, -1e4], dtype=dtype), np.array([0, 1, 1, 0]))
        assert value == pytest.approx(2e4 / 4)
        np.testing.assert_allclose(bce.backward(), np.array([1, -1, 0, 0]) / 4, atol=1e-7)

        kl = KLDivergence(from_logits=True)
        value = kl(z, np.eye(3)[labels])
        assert np.isfinite(value) and np.all(np.isfinite(kl.backward()))


def test_probabilities_at_exactly_zero_and_one_are_finite():
    with no_warnings():
        bce = BinaryCrossEntropy()
        assert np.isfinite(bce(np.array([0.0, 1.0, 0.0, 1.0]), np.array([1, 0, 0, 1])))
        g = bce.backward()
        assert np.all(np.isfinite(g)) and g[0] < 0 and g[1] > 0
        p = np.array([[1.0, 0.0], [0.0, 1.0]])
        for loss in (CategoricalCrossEntropy(from_logits=False), KLDivergence()):
            assert np.isfinite(loss(p, np.array([1, 1])))
            assert np.all(np.isfinite(loss.backward()))


# ----- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [MSE, MAE, Huber])
def test_regression_column_and_vector_mix_but_other_shapes_do_not(cls):
    y_pred, y_true = np.arange(4.0).reshape(4, 1), np.array([1.0, 0.0, 2.0, 5.0])
    a, b = cls(), cls()
    assert a(y_pred, y_true) == b(y_pred, y_true.reshape(4, 1))
    np.testing.assert_array_equal(a.backward(), b.backward())
    assert a.backward().shape == (4, 1)
    assert a(y_true, y_pred) == b(y_true, y_pred.ravel())         # (4,) vs (4, 1)
    for bad in (np.zeros((4, 4)), np.zeros((1, 4)), np.zeros(3), np.zeros((4, 1, 1))):
        with pytest.raises(ValueError, match=rf"{cls.__name__}.*\(4, 1\).*{bad.shape}"):
            cls()(y_pred, bad)


@pytest.mark.parametrize("loss", [MSE(), MAE(), Huber(), BinaryCrossEntropy(),
                                  CategoricalCrossEntropy(), KLDivergence()])
def test_non_arrays_are_type_errors(loss):
    name = type(loss).__name__
    with pytest.raises(TypeError, match=name):
        loss.forward({"a": 1}, np.zeros((2, 2)))
    with pytest.raises(TypeError, match=name):
        loss.forward(np.full((2, 2), 0.5), object())
    with pytest.raises(TypeError, match=name):
        loss.forward(np.array([["a", "b"]]), np.zeros((1, 2)))


def test_empty_batch_is_an_error():
    with pytest.raises(ValueError, match="MSE.*non-empty"):
        MSE()(np.zeros((0, 3)), np.zeros((0, 3)))


def test_bce_bad_targets_and_probabilities():
    with pytest.raises(ValueError, match=r"BinaryCrossEntropy.*y_true in \[0, 1\]"):
        BinaryCrossEntropy()(np.full(3, 0.5), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"BinaryCrossEntropy.*y_true in \[0, 1\]"):
        BinaryCrossEntropy(from_logits=True)(np.zeros(3), np.array([0, -1, 1]))
    with pytest.raises(ValueError, match="y_pred in .*from_logits=True"):
        BinaryCrossEntropy()(np.array([0.5, 1.5, -2.0]), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match=r"BinaryCrossEntropy.*\(3,\).*\(2,\)"):
        BinaryCrossEntropy()(np.full(3, 0.5), np.array([0, 1]))


PROBABILITY_LOSSES = [lambda: BinaryCrossEntropy(), lambda: BinaryCrossEntropy(from_logits=True),
                      lambda: CategoricalCrossEntropy(), lambda: KLDivergence()]


@pytest.mark.parametrize("make", PROBABILITY_LOSSES)
def test_targets_within_rounding_of_one_hot_are_accepted(make):
    # A one-hot row written as 1.00005 passed the row-sum check (1e-4) but not the range check
    # (exact), which then said "expected y_true in [0, 1], got values in [0, 1]".
    loss = make()
    y = np.array([[1.00005, 0.0, 0.0], [0.0, 0.99995, -0.00005]])
    y_pred = np.array([[2.0, -1.0, 0.5], [0.1, 1.5, -0.3]])
    if isinstance(loss, KLDivergence) or (isinstance(loss, BinaryCrossEntropy)
                                          and not loss.from_logits):
        y_pred = losses.softmax(y_pred)
    value = loss(y_pred, y)
    exact = make()(y_pred, np.clip(np.round(y), 0, 1))       # y is clipped to [0, 1], not refused
    assert np.isfinite(value) and value == pytest.approx(exact, abs=1e-3)


@pytest.mark.parametrize("make", PROBABILITY_LOSSES)
@pytest.mark.parametrize("bad, shown", [(1.0002, "1.0002"), (-0.00015, "-0.00015"),
                                        (3.0, "3")])
def test_targets_out_of_range_show_their_real_extremes(make, bad, shown):
    loss = make()
    y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    y[1, 1 if bad > 0.5 else 2] = bad
    with pytest.raises(ValueError, match=r"expected y_true in \[0, 1\] \(within 0.0001\)") as info:
        loss(np.full((2, 3), 1 / 3), y)
    low, high = (0, shown) if bad > 0.5 else (shown, 1)
    assert f"got values in [{low}, {high}]" in str(info.value)


def test_predictions_use_the_same_tolerance_and_nan_is_named():
    p = np.array([[1.00005, 0.0], [0.5, 0.5]])
    assert np.isfinite(CategoricalCrossEntropy(from_logits=False)(p, np.array([0, 1])))
    assert np.isfinite(BinaryCrossEntropy()(p, np.array([[1.0, 0.0], [1.0, 0.0]])))
    with pytest.raises(ValueError, match=r"y_pred in \[0, 1\].*got values in \[0.5, 1.0002\]"
                                         r".*from_logits=True"):
        BinaryCrossEntropy()(np.array([0.5, 1.0002]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"BinaryCrossEntropy: expected y_true in \[0, 1\], "
                                         r"got NaN at 1 of 3 entries"):
        BinaryCrossEntropy()(np.full(3, 0.5), np.array([0.0, np.nan, 1.0]))


def test_row_sum_uses_the_same_tolerance():
    z = np.zeros((2, 3))
    inside = np.array([[0.5, 0.50009, 0.0], [0.0, 0.0, 1.0]])    # sums to 1.00009: accepted
    assert np.isfinite(CategoricalCrossEntropy()(z, inside))
    outside = np.array([[0.5, 0.5002, 0.0], [0.0, 0.0, 1.0]])     # sums to 1.0002: refused
    with pytest.raises(ValueError, match=r"sum to 1 within 0.0001 .*row 0 sums to 1.0002"):
        CategoricalCrossEntropy()(z, outside)


def test_bce_accepts_column_and_vector():
    p = np.array([[0.2], [0.7], [0.9]])
    y = np.array([0, 1, 1])
    a, b = BinaryCrossEntropy(), BinaryCrossEntropy()
    assert a(p, y) == b(p.ravel(), y.reshape(3, 1))
    assert a.backward().shape == (3, 1) and b.backward().shape == (3,)


CCE_ERRORS = [
    (np.array([0, 1, 3]), "labels in \\[0, 3\\)"),          # out of range (K = 3)
    (np.array([0, -1, 2]), "labels in \\[0, 3\\)"),         # negative
    (np.array([0.0, 1.5, 2.0]), "non-integer"),             # not integers
    (np.array([0, 1]), "expected 3 labels"),                # wrong N
    (np.eye(4)[[0, 1, 2]], "shape \\(3, 3\\)"),             # one-hot with wrong K
    (np.eye(3)[[0, 1]], "shape \\(3, 3\\)"),                # one-hot with wrong N
    (np.full((3, 3), 0.5), "sum to 1"),                     # rows are not distributions
    (np.full((3, 3, 1), 0.5), "labels \\(3,\\) or rows"),   # 3-D
]


@pytest.mark.parametrize("cls", [CategoricalCrossEntropy, KLDivergence])
@pytest.mark.parametrize("y_true, message", CCE_ERRORS)
def test_cce_and_kl_bad_targets(cls, y_true, message):
    z = np.full((3, 3), 1 / 3)
    with pytest.raises(ValueError, match=message) as info:
        cls()(z, y_true)
    text = str(info.value)
    assert text.startswith(cls.__name__) and "(3, 3)" in text and str(y_true.shape) in text


def test_cce_bad_predictions():
    with pytest.raises(ValueError, match=r"CategoricalCrossEntropy.*2 dimensions.*\(3,\)"):
        CategoricalCrossEntropy()(np.zeros(3), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="y_pred in .*from_logits=True"):
        CategoricalCrossEntropy(from_logits=False)(np.array([[2.0, -1.0]]), np.array([0]))
    with pytest.raises(TypeError, match="integer labels"):
        CategoricalCrossEntropy()(np.zeros((2, 2)), np.array(["a", "b"]))


@pytest.mark.parametrize("make", [lambda: Huber(delta=0), lambda: Huber(delta=-1),
                                  lambda: Huber(delta=float("nan")),
                                  lambda: BinaryCrossEntropy(eps=0),
                                  lambda: CategoricalCrossEntropy(eps=0.7)])
def test_bad_hyperparameters(make):
    with pytest.raises(ValueError):
        make()


def test_non_number_hyperparameters():
    with pytest.raises(TypeError, match="Huber"):
        Huber(delta="1")
    with pytest.raises(TypeError, match="BinaryCrossEntropy"):
        BinaryCrossEntropy(eps=None)


# ----- get ------------------------------------------------------------------------------------
def test_get_by_name():
    expected = {"mse": MSE, "mae": MAE, "huber": Huber, "bce": BinaryCrossEntropy,
                "binary_crossentropy": BinaryCrossEntropy, "cce": CategoricalCrossEntropy,
                "categorical_crossentropy": CategoricalCrossEntropy, "kl": KLDivergence}
    for name, cls in expected.items():
        loss = losses.get(name)
        assert type(loss) is cls and losses.get(name) is not loss
    assert losses.get("BCE", from_logits=True).from_logits
    assert losses.get("huber", delta=2.0).delta == 2.0
    mse = MSE()
    assert losses.get(mse) is mse
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        losses.get("hinge")
    with pytest.raises(TypeError):
        losses.get(3)
    with pytest.raises(TypeError):
        losses.get(mse, delta=1)


# ----- help() tells the true default ----------------------------------------------------------
def _losses_with_from_logits():
    """Every Loss class in scratchnet.losses whose constructor takes from_logits, with that
    parameter's default."""
    import inspect
    found = []
    for cls in vars(losses).values():
        if isinstance(cls, type) and issubclass(cls, losses.Loss):
            parameter = inspect.signature(cls.__init__).parameters.get("from_logits")
            if parameter is not None:
                found.append((cls, parameter.default))
    return found


def test_every_from_logits_loss_is_found():
    assert {cls for cls, _ in _losses_with_from_logits()} == {
        BinaryCrossEntropy, CategoricalCrossEntropy, KLDivergence}


@pytest.mark.parametrize("cls, default", _losses_with_from_logits(),
                         ids=lambda v: getattr(v, "__name__", str(v)))
def test_class_attribute_from_logits_is_the_constructor_default(cls, default):
    # help(CategoricalCrossEntropy) used to list "from_logits = False", inherited from Loss,
    # while CategoricalCrossEntropy() takes logits by default.
    import pydoc
    assert cls.from_logits is default and cls().from_logits is default
    assert "from_logits" in vars(cls), f"{cls.__name__} inherits from_logits instead of stating it"
    text = " ".join(pydoc.render_doc(cls, renderer=pydoc.plaintext).split())
    assert f"from_logits = {default}" in text
    assert f"from_logits = {not default}" not in text


def test_losses_without_from_logits_keep_answering_false():
    # fit (accuracy threshold) and plot (decision boundaries) read loss.from_logits of any loss:
    # the regression losses compare outputs as they are, so they answer False.
    for loss in (MSE(), MAE(), Huber()):
        assert loss.from_logits is False
    assert CategoricalCrossEntropy(from_logits=False).from_logits is False
    assert KLDivergence(from_logits=True).from_logits is True
    assert CategoricalCrossEntropy.from_logits is True       # the instance did not change it
