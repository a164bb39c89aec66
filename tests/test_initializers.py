"""Tests of scratchnet.initializers: fans, the variance each initializer promises, get(name)."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scratchnet import initializers as init
from scratchnet._config import get_default_dtype, set_default_dtype
from scratchnet.layers import Dense, Maxout


@pytest.fixture
def float32_default():
    """Make float32 the default dtype for one test, then restore it."""
    old = get_default_dtype()
    set_default_dtype(np.float32)
    yield
    set_default_dtype(old)


# ----- fans -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, expected", [
    ((7,), (7, 7)),
    ((3, 5), (3, 5)),                  # Dense (n_in, n_out)
    ((4, 3, 5), (3, 5)),               # Maxout (k, n_in, n_out)
    ((8, 3, 3, 3), (27, 72)),          # Conv (C_out, C_in, KH, KW)
    ((16, 2, 5, 1), (10, 80)),
])
def test_fans_of_known_shapes(shape, expected):
    assert init.fans(shape) == expected


@given(c_out=st.integers(1, 9), c_in=st.integers(1, 9), kh=st.integers(1, 5), kw=st.integers(1, 5))
def test_fans_of_conv_shapes(c_out, c_in, kh, kw):
    assert init.fans((c_out, c_in, kh, kw)) == (c_in * kh * kw, c_out * kh * kw)


@pytest.mark.parametrize("shape, error", [
    ((2, 3, 4, 5, 6), ValueError), ((), ValueError), ((3, 0), ValueError), ((-1, 2), ValueError),
    ((2.0, 3), ValueError), ((True, 3), ValueError), ("3,4", TypeError), (None, TypeError),
])
def test_fans_rejects_bad_shapes(shape, error):
    with pytest.raises(error, match="fans"):
        init.fans(shape)


# ----- statistics on a large sample ---------------------------------------------------------
# Shapes have fan_in != fan_out so that using the wrong fan gives a clearly wrong std.
BIG = (400, 100)
CONV = (64, 8, 5, 5)          # fan_in = 200, fan_out = 1600


def _close(a, b, rel=0.03):
    return abs(a - b) <= rel * abs(b)


@pytest.mark.parametrize("shape", [BIG, CONV, (3, 400, 100)])
def test_he_normal_std_is_sqrt_2_over_fan_in(shape):
    W = init.he_normal(shape, rng=0)
    fan_in, _ = init.fans(shape)
    assert W.shape == shape
    assert _close(W.std(), math.sqrt(2 / fan_in)), (W.std(), math.sqrt(2 / fan_in))
    assert abs(W.mean()) < 0.05 * math.sqrt(2 / fan_in)


@pytest.mark.parametrize("shape", [BIG, CONV])
def test_he_uniform_bounds_and_std(shape):
    W = init.he_uniform(shape, rng=1)
    fan_in, _ = init.fans(shape)
    a = math.sqrt(6 / fan_in)
    assert W.min() >= -a and W.max() <= a
    assert W.max() > 0.95 * a and W.min() < -0.95 * a        # it fills the whole interval
    assert _close(W.std(), math.sqrt(2 / fan_in))


@pytest.mark.parametrize("shape", [BIG, CONV])
def test_xavier_normal_std(shape):
    W = init.xavier_normal(shape, rng=2)
    fan_in, fan_out = init.fans(shape)
    assert _close(W.std(), math.sqrt(2 / (fan_in + fan_out)))


@pytest.mark.parametrize("shape", [BIG, CONV])
def test_xavier_uniform_bounds_and_std(shape):
    W = init.xavier_uniform(shape, rng=3)
    fan_in, fan_out = init.fans(shape)
    a = math.sqrt(6 / (fan_in + fan_out))
    assert W.min() >= -a and W.max() <= a and W.max() > 0.95 * a
    assert _close(W.std(), math.sqrt(2 / (fan_in + fan_out)))


def test_fan_overrides_change_the_scale():
    W = init.he_normal(BIG, rng=0, fan_in=50)
    assert _close(W.std(), math.sqrt(2 / 50))
    W = init.xavier_uniform(BIG, rng=0, fan_in=30, fan_out=20)
    assert _close(W.std(), math.sqrt(2 / 50))


def test_he_keeps_relu_activations_at_unit_scale():
    """The reason for He: through 10 ReLU layers the mean square activation stays about 1."""
    rng = np.random.default_rng(0)
    h = rng.standard_normal((2000, 256))
    for _ in range(10):
        h = np.maximum(h @ init.he_normal((256, 256), rng=rng), 0)
    assert 0.5 < np.mean(h ** 2) < 2.0


def test_normal_uniform_zeros():
    W = init.normal(BIG, std=0.2, rng=0)
    assert _close(W.std(), 0.2) and abs(W.mean()) < 0.01
    U = init.uniform(BIG, low=1.0, high=3.0, rng=0)
    assert U.min() >= 1.0 and U.max() < 3.0 and _close(U.mean(), 2.0, rel=0.01)
    Z = init.zeros((3, 4), rng=0)
    assert Z.shape == (3, 4) and not Z.any()
    assert init.zeros(5).shape == (5,)


@pytest.mark.parametrize("call", [
    lambda: init.normal((2, 2), std=-1.0),
    lambda: init.normal((2, 2), std=float("nan")),
    lambda: init.uniform((2, 2), low=1.0, high=0.0),
    lambda: init.uniform((2, 2), low=float("-inf"), high=0.0),
])
def test_bad_parameters_raise_value_error(call):
    with pytest.raises(ValueError, match="normal|uniform"):
        call()


# ----- dtype and rng --------------------------------------------------------------------------
ALL_FUNCS = [init.zeros, init.normal, init.uniform, init.xavier_normal, init.xavier_uniform,
             init.he_normal, init.he_uniform]


@pytest.mark.parametrize("fn", ALL_FUNCS)
def test_dtype_default_and_explicit(fn):
    assert fn((3, 4), rng=0).dtype == np.float64
    assert fn((3, 4), rng=0, dtype=np.float32).dtype == np.float32
    with pytest.raises(TypeError, match="float32 or float64"):
        fn((3, 4), rng=0, dtype=np.int32)


@pytest.mark.parametrize("fn", ALL_FUNCS)
def test_dtype_follows_set_default_dtype(fn, float32_default):
    assert fn((3, 4), rng=0).dtype == np.float32


@pytest.mark.parametrize("fn", ALL_FUNCS[1:])
def test_rng_seed_reproduces_and_generator_streams(fn):
    assert np.array_equal(fn((5, 6), rng=7), fn((5, 6), rng=7))
    g = np.random.default_rng(7)
    first, second = fn((5, 6), rng=g), fn((5, 6), rng=g)
    assert not np.array_equal(first, second)       # a shared Generator moves on
    with pytest.raises(TypeError, match="rng"):
        fn((5, 6), rng="seed")


@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=4).map(tuple),
       name=st.sampled_from(["he", "he_uniform", "xavier", "xavier_normal", "normal", "uniform", "zeros"]))
def test_any_shape_gives_that_shape_and_finite_values(shape, name):
    W = init.get(name)(shape, rng=0, dtype=np.float32)
    assert W.shape == shape and W.dtype == np.float32 and np.all(np.isfinite(W))


# ----- get ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, fn", [
    ("he", init.he_normal), ("he_normal", init.he_normal), ("he_uniform", init.he_uniform),
    ("xavier", init.xavier_uniform), ("glorot", init.xavier_uniform),
    ("xavier_normal", init.xavier_normal), ("xavier_uniform", init.xavier_uniform),
    ("normal", init.normal), ("uniform", init.uniform), ("zeros", init.zeros), ("HE", init.he_normal),
])
def test_get_maps_names(name, fn):
    assert init.get(name) is fn


def test_get_accepts_a_callable():
    def ones(shape, rng=None, dtype=None):
        return np.ones(shape, dtype=dtype)
    assert init.get(ones) is ones
    layer = Dense(3, 2, init=ones)
    assert np.all(layer.params["W"] == 1.0)
    assert "ones" in repr(layer)


def test_get_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match="kaiming") as info:
        init.get("kaiming")
    for name in ("he", "xavier", "glorot", "zeros", "uniform"):
        assert repr(name) in str(info.value)
    with pytest.raises(TypeError, match="initializers.get"):
        init.get(3)


@pytest.mark.parametrize("name", ["he", "he_uniform", "xavier", "xavier_normal", "normal", "uniform", "zeros"])
def test_layers_take_every_name(name):
    dense, maxout = Dense(6, 4, init=name, rng=0), Maxout(6, 4, 3, init=name, rng=0)
    assert dense.params["W"].shape == (6, 4) and maxout.params["W"].shape == (3, 6, 4)
    assert not dense.params["b"].any() and not maxout.params["b"].any()


@pytest.mark.parametrize("fn", [init.he_normal, init.he_uniform, init.xavier_normal,
                                init.xavier_uniform])
@pytest.mark.parametrize("fan_in", [0, -3, 2.5, True])
def test_bad_fan_override_is_a_clear_error(fn, fan_in):
    # fan_in=0 used to end in a ZeroDivisionError, a negative one in "math domain error".
    with pytest.raises((ValueError, TypeError), match=fn.__name__ + ".*fan_in"):
        fn((3, 4), rng=0, fan_in=fan_in)


@pytest.mark.parametrize("make", [lambda f: Dense(3, 2, init=f), lambda f: Maxout(3, 2, 2, init=f)])
def test_layers_check_what_a_callable_initializer_returns(make, float32_default):
    # A callable that ignores dtype used to leave float64 params in a float32 world, and one
    # that returns the wrong shape failed only later, inside forward.
    def ignores_dtype(shape, rng=None, dtype=None):
        return np.full(shape, 0.5)
    layer = make(ignores_dtype)
    assert layer.params["W"].dtype == np.float32 and np.all(layer.params["W"] == 0.5)
    assert layer.grads["W"].dtype == np.float32

    def wrong_shape(shape, rng=None, dtype=None):
        return np.zeros((7,), dtype=dtype)
    with pytest.raises(ValueError, match=r"wrong_shape.*\(7,\)"):
        make(wrong_shape)
