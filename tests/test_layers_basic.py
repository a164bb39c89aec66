"""Tests of Dense, the activations, Maxout, Step and Flatten: gradients, the layer contract,
known values, numerical stability and every error path."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gradcheck
from scratchnet._config import get_default_dtype, set_default_dtype
from scratchnet.layers import (ELU, Dense, Flatten, Identity, LeakyReLU, Maxout, NotDifferentiableError,
                               ReLU, Sigmoid, Softmax, Step, Tanh, dense_backward, dense_forward,
                               sigmoid, softmax, softmax_jacobian)


def check_layer(layer, x, seed=0):
    """Gradient check with the project's gradcheck package (random upstream gradient).
    A broken gradcheck import fails these tests: it must never turn them into skips."""
    return gradcheck.check_layer(layer, x, seed=seed)


# A catalogue: name -> (make the layer, shape of x). Used by every contract test.
CATALOGUE = {
    "Dense": (lambda: Dense(4, 3, rng=0), (5, 4)),
    "ReLU": (ReLU, (3, 4, 2)),
    "LeakyReLU": (lambda: LeakyReLU(0.1), (3, 4)),
    "ELU": (lambda: ELU(0.5), (2, 3, 4)),
    "Sigmoid": (Sigmoid, (6,)),
    "Tanh": (Tanh, (3, 5)),
    "Softmax": (Softmax, (4, 5)),
    "Softmax(axis=1)": (lambda: Softmax(axis=1), (2, 3, 4)),
    "Identity": (Identity, (3, 2)),
    "Maxout": (lambda: Maxout(4, 3, 3, rng=0), (5, 4)),
    "Flatten": (Flatten, (2, 3, 2, 2)),
}
DIFFERENTIABLE = sorted(CATALOGUE)


def _make(name, seed=0):
    factory, shape = CATALOGUE[name]
    layer = factory()
    rng = np.random.default_rng(seed)
    for key, p in layer.params.items():          # random biases too, not only zeros
        p[...] = rng.standard_normal(p.shape)
    return layer, rng.standard_normal(shape)


# ----- gradients ----------------------------------------------------------------------------
# Each kind of layer gets its own hypothesis test with its own examples. One test drawing the
# kind among ten spread 25 examples thin (2 or 3 per kind), often at batch 1, where a mean over
# the batch equals the sum: it missed a Dense `db = dy.mean(axis=0)` in 6 of 15 runs. Now the
# batch is at least 2 and every kind gets the profile's max_examples to itself (25 by default,
# 500 with HYPOTHESIS_PROFILE=thorough; see conftest.py): about 0.5 s for all ten.
batches, dims = st.integers(2, 5), st.integers(1, 5)


def _dense(draw, n):
    d, m = draw(dims), draw(dims)
    return Dense(d, m, rng=0), (n, d)


def _maxout(draw, n):
    d, m, k = draw(dims), draw(dims), draw(st.integers(1, 4))
    return Maxout(d, m, k, rng=0), (n, d)


def _softmax(draw, n):
    """Softmax along any axis of a 2-D or 3-D x; that axis has at least 2 entries (along an
    axis of length 1 softmax is the constant 1, and any backward would pass)."""
    shape = [n] + [draw(dims) for _ in range(draw(st.integers(1, 2)))]
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    shape[axis] = draw(st.integers(2, 5))
    return Softmax(axis=axis), tuple(shape)


def _elementwise(make):
    """An activation of (n, d, m) inputs; make(draw) builds the layer."""
    def build(draw, n):
        return make(draw), (n, draw(dims), draw(dims))
    return build


GRADIENT_KINDS = {
    "Dense": _dense,
    "Maxout": _maxout,
    "Softmax": _softmax,
    "ReLU": _elementwise(lambda draw: ReLU()),
    "LeakyReLU": _elementwise(lambda draw: LeakyReLU(draw(st.floats(0.0, 0.5)))),
    "ELU": _elementwise(lambda draw: ELU(draw(st.floats(0.1, 2.0)))),
    "Sigmoid": _elementwise(lambda draw: Sigmoid()),
    "Tanh": _elementwise(lambda draw: Tanh()),
    "Identity": _elementwise(lambda draw: Identity()),
    "Flatten": lambda draw, n: (Flatten(), (n, draw(dims), draw(dims), draw(dims))),
}


@pytest.mark.parametrize("kind", sorted(GRADIENT_KINDS))
@given(data=st.data(), n=batches, seed=st.integers(0, 2**16))
def test_gradients_match_finite_differences(kind, data, n, seed):
    layer, shape = GRADIENT_KINDS[kind](data.draw, n)
    rng = np.random.default_rng(seed)
    for p in layer.params.values():              # random weights and biases, not zero biases
        p[...] = rng.standard_normal(p.shape)
    report = check_layer(layer, rng.standard_normal(shape) * 2, seed=seed)
    assert report.passed, str(report)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_gradients_of_catalogue_layers(name):
    layer, x = _make(name)
    report = check_layer(layer, x)
    assert report.passed, str(report)


# ----- the layer contract -------------------------------------------------------------------
@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_backward_changes_nothing_it_was_given(name):
    layer, x = _make(name)
    params = {k: v.copy() for k, v in layer.params.items()}
    x0 = x.copy()
    y = layer.forward(x)
    y0 = y.copy()
    dy = np.random.default_rng(1).standard_normal(y.shape)
    dy0 = dy.copy()
    dx = layer.backward(dy)
    assert np.array_equal(x, x0) and np.array_equal(y, y0) and np.array_equal(dy, dy0)
    for k in params:                                   # backward never updates a parameter
        assert np.array_equal(layer.params[k], params[k])
    dx[...] = 12345.0                                  # the caller owns dx: changing it
    assert np.array_equal(dy, dy0) and np.array_equal(x, x0)   # must not reach dy or x
    assert dx.shape == x.shape


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_caller_owns_the_output(name):
    # Sigmoid, Tanh and Softmax used to keep the very array they returned and read it in
    # backward: `p = softmax.forward(z); p[rows, labels] -= 1` then gave a silently wrong dx.
    layer, x = _make(name)
    dy = np.random.default_rng(1).standard_normal(layer.forward(x).shape)
    dx_expected = layer.backward(dy)
    y = layer.forward(x)
    y[...] = 0.5                                       # the caller changes its output in place
    np.testing.assert_array_equal(layer.backward(dy), dx_expected)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_backward_before_forward_raises(name):
    layer, x = _make(name)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((5, 3)))


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_params_and_grads_match(name):
    layer, x = _make(name)
    layer.backward(np.random.default_rng(2).standard_normal(layer.forward(x).shape))
    assert layer.params.keys() == layer.grads.keys()
    for k in layer.params:
        assert layer.grads[k].shape == layer.params[k].shape
        assert layer.grads[k].dtype == layer.params[k].dtype
    assert getattr(layer, "differentiable", True) is True


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_float32_in_float32_out(name):
    layer, x = _make(name)
    layer.astype(np.float32)
    x = x.astype(np.float32)
    y = layer.forward(x)
    dx = layer.backward(np.ones_like(y) * np.float32(0.5))
    assert y.dtype == np.float32 and dx.dtype == np.float32
    for k in layer.params:
        assert layer.params[k].dtype == np.float32 and layer.grads[k].dtype == np.float32


@pytest.mark.parametrize("name", ["Dense", "Maxout"])
def test_float32_layer_computes_in_float32_for_float64_input(name):
    # A float32 Dense/Maxout fed float64 x (model.forward on a plain NumPy array) silently
    # computed, returned and passed back float64: the whole model ran at float64 cost.
    layer, x = _make(name)
    layer.astype(np.float32)
    y = layer.forward(x)                                     # x is float64
    dx = layer.backward(np.random.default_rng(3).standard_normal(y.shape))
    assert y.dtype == np.float32 and dx.dtype == np.float32


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_float32_agrees_with_float64(name):
    layer, x = _make(name)
    y64 = layer.forward(x)
    dx64 = layer.backward(np.linspace(-1, 1, y64.size).reshape(y64.shape))
    layer.astype(np.float32)
    for k, p in _make(name)[0].params.items():
        layer.params[k][...] = p
    y32 = layer.forward(x.astype(np.float32))
    dx32 = layer.backward(np.linspace(-1, 1, y64.size).reshape(y64.shape).astype(np.float32))
    np.testing.assert_allclose(y32, y64, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dx32, dx64, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_integer_input_is_accepted_as_float(name):
    layer, x = _make(name)
    y = layer.forward(np.rint(x).astype(np.int64))
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, layer.forward(np.rint(x)))


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_bad_input_types_and_dy_shapes(name):
    layer, x = _make(name)
    with pytest.raises(TypeError, match=type(layer).__name__):
        layer.forward({"x": 1})
    with pytest.raises(TypeError, match="float32 or float64"):
        layer.forward(x.astype(np.complex128))
    y = layer.forward(x)
    with pytest.raises(ValueError, match=rf"{type(layer).__name__}.*{y.shape[0] + 1}"):
        layer.backward(np.zeros((y.shape[0] + 1,) + y.shape[1:]))


def test_defaults_follow_default_dtype():
    old = get_default_dtype()
    try:
        set_default_dtype(np.float32)
        for layer in (Dense(3, 2, rng=0), Maxout(3, 2, 2, rng=0)):
            assert layer.params["W"].dtype == np.float32 and layer.params["b"].dtype == np.float32
    finally:
        set_default_dtype(old)


# ----- Dense ----------------------------------------------------------------------------------
def test_dense_known_values_and_pure_functions():
    layer = Dense(2, 3, rng=0)
    assert not layer.params["b"].any()                    # b starts at zero
    W = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = np.array([0.5, -1.0, 2.0])
    layer.params["W"][...], layer.params["b"][...] = W, b
    x = np.array([[1.0, -1.0], [2.0, 0.5]])
    y_expected = np.array([[-2.5, -4.0, -1.0], [4.5, 5.5, 11.0]])
    np.testing.assert_allclose(layer.forward(x), y_expected)
    dy = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0]])
    dx = layer.backward(dy)
    np.testing.assert_allclose(dx, [[-2.0, -2.0], [7.5, 18.0]])
    np.testing.assert_allclose(layer.grads["W"], [[2.0, 4.0, 1.0], [-0.75, 1.0, 1.5]])
    np.testing.assert_allclose(layer.grads["b"], [1.5, 2.0, 0.0])
    y, cache = dense_forward(x, W, b)
    dx2, dW2, db2 = dense_backward(dy, cache)
    np.testing.assert_allclose(y, y_expected)
    np.testing.assert_allclose(dx2, dx)
    np.testing.assert_allclose(dW2, layer.grads["W"])
    np.testing.assert_allclose(db2, layer.grads["b"])
    # out=: the same numbers, written into the arrays given, which are what it returns
    dW3, db3 = np.full_like(dW2, np.nan), np.full_like(db2, np.nan)
    dx3, dW4, db4 = dense_backward(dy, cache, out=(dW3, db3))
    assert dW4 is dW3 and db4 is db3
    np.testing.assert_array_equal(dx3, dx2)
    np.testing.assert_array_equal(dW3, dW2)
    np.testing.assert_array_equal(db3, db2)
    with pytest.raises(TypeError, match=r"dense_backward: expected out to be None or a pair"):
        dense_backward(dy, cache, out=dW3)
    with pytest.raises(ValueError, match=r"out\[0\] \(dW\).*\(2, 3\).*\(3, 2\)"):
        dense_backward(dy, cache, out=(np.zeros((3, 2)), db3))
    with pytest.raises(ValueError, match=r"out\[1\] \(db\).*float64.*float32"):
        dense_backward(dy, cache, out=(dW3, db3.astype(np.float32)))
    read_only = dW3.copy()
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match=r"out\[0\].*read-only"):
        dense_backward(dy, cache, out=(read_only, db3))


def test_dense_seed_reproduces_and_repr():
    assert np.array_equal(Dense(5, 4, rng=3).params["W"], Dense(5, 4, rng=3).params["W"])
    assert not np.array_equal(Dense(5, 4, rng=3).params["W"], Dense(5, 4, rng=4).params["W"])
    assert repr(Dense(784, 256)) == "Dense(784, 256, init='he')"
    assert repr(Dense(3, 2, init="xavier")) == "Dense(3, 2, init='xavier')"


def test_dense_input_errors_name_shapes_and_suggest_flatten():
    layer = Dense(12, 3, rng=0)
    with pytest.raises(ValueError, match=r"Dense.*\(N, 12\).*\(2, 3, 4\).*Flatten"):
        layer.forward(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"Dense.*\(N, 12\).*\(2, 5\)"):
        layer.forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"Dense.*\(N, 12\).*\(12,\)"):
        layer.forward(np.zeros(12))


@pytest.mark.parametrize("args, error", [
    ((0, 3), ValueError), ((3, -1), ValueError), ((2.5, 3), TypeError), ((True, 3), TypeError),
    ((3, 3, "kaiming"), ValueError), ((3, 3, "he", "seed"), TypeError),
])
def test_dense_bad_constructor_args(args, error):
    with pytest.raises(error):
        Dense(*args)


def test_dense_pure_function_errors():
    W, b = np.zeros((4, 3)), np.zeros(3)
    with pytest.raises(ValueError, match=r"dense_forward.*x.*\(2, 5\)"):
        dense_forward(np.zeros((2, 5)), W, b)
    with pytest.raises(ValueError, match=r"dense_forward.*b.*\(4,\)"):
        dense_forward(np.zeros((2, 4)), W, np.zeros(4))
    with pytest.raises(ValueError, match="dense_forward.*W"):
        dense_forward(np.zeros((2, 4)), np.zeros(4), b)
    _, cache = dense_forward(np.zeros((2, 4)), W, b)
    with pytest.raises(ValueError, match=r"dense_backward.*\(2, 3\).*\(2, 4\)"):
        dense_backward(np.zeros((2, 4)), cache)


# ----- elementwise activations: known values ---------------------------------------------------
X = np.array([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]])


def test_relu_values_and_derivative_at_zero():
    relu = ReLU()
    np.testing.assert_array_equal(relu.forward(X), [[0, 0, 0], [0.5, 1, 3]])
    np.testing.assert_array_equal(relu.backward(np.full(X.shape, 2.0)), [[0, 0, 0], [2, 2, 2]])


def test_leaky_relu_values_and_derivative_at_zero():
    layer = LeakyReLU(alpha=0.1)
    np.testing.assert_allclose(layer.forward(X), [[-0.2, -0.05, 0], [0.5, 1, 3]])
    np.testing.assert_allclose(layer.backward(np.full(X.shape, 2.0)), [[0.2, 0.2, 0.2], [2, 2, 2]])
    assert repr(LeakyReLU()) == "LeakyReLU(alpha=0.01)"


def test_elu_values_and_derivative_at_zero():
    layer = ELU(alpha=0.5)
    np.testing.assert_allclose(layer.forward(X), [[0.5 * np.expm1(-2), 0.5 * np.expm1(-0.5), 0], [0.5, 1, 3]])
    dx = layer.backward(np.ones(X.shape))
    np.testing.assert_allclose(dx, [[0.5 * np.exp(-2), 0.5 * np.exp(-0.5), 0.5], [1, 1, 1]])
    assert repr(ELU()) == "ELU(alpha=1.0)"


def test_sigmoid_and_tanh_known_values():
    assert Sigmoid().forward(np.zeros(3)).tolist() == [0.5, 0.5, 0.5]
    np.testing.assert_allclose(sigmoid(np.array([np.log(3.0)])), [0.75])
    np.testing.assert_allclose(Tanh().forward(X), np.tanh(X))
    s = Sigmoid()
    s.forward(np.zeros(2))
    np.testing.assert_allclose(s.backward(np.array([1.0, -4.0])), [0.25, -1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layer", [Sigmoid(), Tanh(), ELU(), LeakyReLU(), ReLU(), Softmax()])
def test_extreme_inputs_are_finite_without_warnings(layer, dtype):
    x = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            y = layer.forward(x)
            dx = layer.backward(np.ones_like(y))
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx)) and y.dtype == dtype
    if isinstance(layer, Sigmoid):
        assert y[0, 0] == 0.0 and y[0, -1] == 1.0


# ----- softmax ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_rows_sum_to_one_for_huge_logits(dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    y = Softmax().forward(x)
    assert np.all(np.isfinite(y)) and y.dtype == dtype
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(y, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0]], atol=1e-7)


def test_softmax_is_shift_invariant_and_respects_axis():
    x = np.random.default_rng(0).standard_normal((3, 4, 5))
    np.testing.assert_allclose(softmax(x + 100.0), softmax(x))
    y = Softmax(axis=1).forward(x)
    np.testing.assert_allclose(y.sum(axis=1), 1.0)
    np.testing.assert_allclose(y, np.exp(x) / np.exp(x).sum(axis=1, keepdims=True))
    assert repr(Softmax(axis=0)) == "Softmax(axis=0)"


@given(k=st.integers(1, 8), n=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_softmax_jacobian_agrees_with_fused_backward(k, n, seed):
    rng = np.random.default_rng(seed)
    x, dy = rng.standard_normal((n, k)) * 3, rng.standard_normal((n, k))
    layer = Softmax()
    y = layer.forward(x)
    dx = layer.backward(dy)
    for i in range(n):
        J = softmax_jacobian(y[i])
        assert J.shape == (k, k)
        np.testing.assert_allclose(J, J.T)
        np.testing.assert_allclose(J.T @ dy[i], dx[i], atol=1e-12)


def test_softmax_jacobian_matches_finite_differences():
    x = np.array([0.3, -1.2, 2.0, 0.1])
    J = softmax_jacobian(softmax(x))
    h = 1e-6
    numeric = np.stack([(softmax(x + h * e) - softmax(x - h * e)) / (2 * h) for e in np.eye(4)], axis=1)
    np.testing.assert_allclose(J, numeric, atol=1e-9)


def test_softmax_errors():
    with pytest.raises(ValueError, match=r"Softmax.*axis 2.*\(3, 4\)"):
        Softmax(axis=2).forward(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="Softmax"):
        Softmax().forward(np.float64(1.0))
    with pytest.raises(TypeError, match="Softmax.*axis"):
        Softmax(axis="last")
    with pytest.raises(ValueError, match=r"softmax_jacobian.*\(2, 3\)"):
        softmax_jacobian(np.full((2, 3), 1 / 3))


@pytest.mark.parametrize("cls", [LeakyReLU, ELU])
@pytest.mark.parametrize("alpha, error", [(-0.1, ValueError), (float("nan"), ValueError),
                                          (float("inf"), ValueError), ("0.1", TypeError)])
def test_bad_alpha(cls, alpha, error):
    with pytest.raises(error, match=cls.__name__):
        cls(alpha)


# ----- Maxout ----------------------------------------------------------------------------------
@given(n=st.integers(1, 5), d=st.integers(1, 5), m=st.integers(1, 5), k=st.integers(1, 4),
       seed=st.integers(0, 2**16))
def test_maxout_equals_max_of_k_dense_layers(n, d, m, k, seed):
    rng = np.random.default_rng(seed)
    layer = Maxout(d, m, k, rng=seed)
    layer.params["b"][...] = rng.standard_normal((k, m))
    x = rng.standard_normal((n, d))
    pieces = []
    for j in range(k):
        dense = Dense(d, m)
        dense.params["W"][...], dense.params["b"][...] = layer.params["W"][j], layer.params["b"][j]
        pieces.append(dense.forward(x))
    np.testing.assert_allclose(layer.forward(x), np.max(pieces, axis=0))


def test_maxout_tie_sends_gradient_to_lowest_piece():
    layer = Maxout(3, 2, 3, rng=0)
    layer.params["W"][...] = layer.params["W"][0]       # all three pieces identical: a tie
    x = np.random.default_rng(0).standard_normal((4, 3))
    dy = np.random.default_rng(1).standard_normal((4, 2))
    layer.forward(x)
    dx = layer.backward(dy)
    np.testing.assert_allclose(layer.grads["W"][0], x.T @ dy)
    np.testing.assert_allclose(layer.grads["b"][0], dy.sum(axis=0))
    assert not layer.grads["W"][1:].any() and not layer.grads["b"][1:].any()
    np.testing.assert_allclose(dx, dy @ layer.params["W"][0].T)


def test_maxout_repr_and_errors():
    assert repr(Maxout(784, 256, 2)) == "Maxout(784, 256, k=2, init='he')"
    with pytest.raises(ValueError, match="Maxout.*k"):
        Maxout(3, 2, 0)
    with pytest.raises(ValueError, match="Maxout.*n_in"):
        Maxout(0, 2, 2)
    with pytest.raises(ValueError, match=r"Maxout.*\(N, 3\).*\(4, 5\)"):
        Maxout(3, 2, 2).forward(np.zeros((4, 5)))


# ----- Step --------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_step_values(dtype):
    step = Step()
    y = step.forward(np.array([[-1e4, -0.1, 0.0], [1e-30, 2.0, 1e4]], dtype=dtype))
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])   # x == 0 gives 0


def test_step_is_not_differentiable():
    step = Step()
    assert Step.differentiable is False
    step.forward(np.array([1.0, -1.0]))
    with pytest.raises(NotDifferentiableError, match="(?s)Step.*not differentiable.*perceptron.*Sigmoid"):
        step.backward(np.ones(2))
    assert issubclass(NotDifferentiableError, RuntimeError)
    with pytest.raises(RuntimeError):
        Step().backward(np.ones(2))


# ----- Flatten -------------------------------------------------------------------------------------
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=5).map(tuple))
def test_flatten_roundtrip(shape):
    x = np.random.default_rng(0).standard_normal(shape)
    layer = Flatten()
    y = layer.forward(x)
    assert y.shape == (shape[0], int(np.prod(shape[1:])))
    np.testing.assert_array_equal(y[-1], x[-1].ravel())
    dx = layer.backward(y * 2)
    assert dx.shape == x.shape
    np.testing.assert_array_equal(dx, x * 2)


def test_flatten_errors():
    with pytest.raises(ValueError, match=r"Flatten.*at least 2.*\(5,\)"):
        Flatten().forward(np.zeros(5))
    layer = Flatten()
    layer.forward(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"Flatten.*\(2, 12\).*\(2, 3, 4\)"):
        layer.backward(np.zeros((2, 3, 4)))


def test_layer_writing_helpers_are_public_and_documented():
    import pydoc
    from scratchnet.layers.base import Layer
    text = pydoc.render_doc(Layer, renderer=pydoc.plaintext)
    for name in ("add_param", "save_cache", "load_cache", "check_input", "check_grad"):
        assert f"{name}(" in text, name
        assert getattr(Layer, name).__doc__, name
    # the first names stay, as aliases of the same functions
    assert Layer._add_param is Layer.add_param and Layer._save is Layer.save_cache
    assert Layer._load is Layer.load_cache and Layer._check_grad is Layer.check_grad
    assert Layer._check_input is Layer.check_input


def test_the_layer_written_in_the_base_docstring_passes_gradcheck():
    import re
    import textwrap
    import gradcheck
    from scratchnet.layers import base
    source = re.search(r"\n(    class Scale\(Layer\):.*?)\n\n", base.__doc__, re.S)[1]
    namespace = {"Layer": base.Layer, "np": np}
    exec(textwrap.dedent(source), namespace)
    report = gradcheck.check_layer(namespace["Scale"](3), np.random.default_rng(0).normal(size=(4, 3)))
    assert report.passed, report


def test_identity_backward_derives_its_gradient():
    from scratchnet.layers import Identity
    assert "identity" in Identity.backward.__doc__ and "dL/dx" in Identity.backward.__doc__
