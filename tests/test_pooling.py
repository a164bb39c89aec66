"""MaxPool2D, AvgPool2D, GlobalAvgPool2D: gradients by finite differences on every backend,
tie routing, count_include_pad, agreement with PyTorch (if installed) and clear errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradcheck
import scratchnet
from scratchnet.kernels import backend as backend_mod
from scratchnet.layers import AvgPool2D, GlobalAvgPool2D, MaxPool2D


@pytest.fixture(autouse=True)
def _restore_backend():
    saved = backend_mod._backend
    yield
    backend_mod._backend = saved


@st.composite
def pool_layers(draw, cls):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)),
             k[0] + draw(st.integers(0, 3)), k[1] + draw(st.integers(0, 3)))
    # distinct values (a permutation), so that no max sits exactly on a tie
    x = np.random.default_rng(draw(st.integers(0, 2**31))).permutation(np.prod(shape))
    return cls(k, stride, padding), (x.reshape(shape) * 0.1).astype(np.float64)


@pytest.mark.parametrize("kernel", [2, (2, 3)])
def test_gradcheck_avgpool_numba_tiled_path(kernel):
    """stride = kernel, no padding: numba's backward takes its one-write-per-cell path. A 5x7
    input leaves rows and columns that no window covers; their gradient must be exactly 0."""
    x = np.random.default_rng(4).standard_normal((2, 2, 5, 7))
    report = gradcheck.check_layer(AvgPool2D(kernel, backend="numba"), x)
    assert report.passed, report


@pytest.mark.parametrize("backend", ["reference", "numba"])
@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@settings(max_examples=10)
@given(data=st.data())
def test_gradcheck_every_cpu_backend(backend, cls, data):
    layer, x = data.draw(pool_layers(cls))
    layer.backend = backend
    report = gradcheck.check_layer(layer, x)
    assert report.passed, report


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
def test_gradcheck_cuda_backend(cls):
    x = np.random.default_rng(0).permutation(12).reshape(1, 1, 3, 4) * 0.1
    report = gradcheck.check_layer(cls((2, 3), (1, 2), (1, 1), backend="cuda"), x)
    assert report.passed, report


def test_gradcheck_global_avg_pool():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    report = gradcheck.check_layer(GlobalAvgPool2D(), x)
    assert report.passed, report


def test_own_central_differences_with_random_upstream_gradient():
    rng = np.random.default_rng(4)
    x = rng.permutation(40).reshape(1, 2, 4, 5) * 0.3
    for layer in (MaxPool2D((2, 3), 1, (1, 1)), AvgPool2D(3, 2, 1), GlobalAvgPool2D()):
        g = rng.standard_normal(layer.forward(x).shape)
        dx = layer.backward(g)
        numeric = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            xp, xm = x.copy(), x.copy()
            xp[idx] += 1e-6
            xm[idx] -= 1e-6
            numeric[idx] = (np.sum(layer.forward(xp) * g) - np.sum(layer.forward(xm) * g)) / 2e-6
        np.testing.assert_allclose(dx, numeric, rtol=1e-6, atol=1e-8, err_msg=repr(layer))


@pytest.mark.parametrize("backend", ["reference", "numba", "cuda"])
def test_max_pool_tie_sends_the_gradient_to_the_first_maximum(backend):
    x = np.zeros((1, 1, 2, 4))                 # every window is a 4-way tie
    layer = MaxPool2D(2, backend=backend)
    layer.forward(x)
    dx = layer.backward(np.array([[[[3.0, 5.0]]]]))
    np.testing.assert_array_equal(dx[0, 0], [[3, 0, 5, 0], [0, 0, 0, 0]])


# the winner rule of maxpool_reference's docstring: first NaN, else first maximum, padding never

@pytest.mark.parametrize("backend", ["reference", "numba", "cuda"])
@pytest.mark.parametrize("padding", [0, 1])
def test_max_pool_nan_wins_and_its_first_nan_gets_the_gradient(backend, padding):
    nan, inf = np.nan, np.inf
    x = np.array([[[[1.0, nan, inf, 2.0, -inf, 5.0],      # windows: NaN before NaN; inf and NaN;
                    [nan, 3.0, -inf, nan, inf, 7.0]]]])   # +inf beats finite, -inf loses
    layer = MaxPool2D(2, stride=2, padding=(0, padding) if padding else 0, backend=backend)
    out = layer.forward(x)
    dx = layer.backward(np.arange(1.0, out.size + 1).reshape(out.shape))
    if padding:     # windows over columns -1..0, 1..2, 3..4, 5..6 (column -1 and 6: padding)
        np.testing.assert_array_equal(out[0, 0], [[nan, nan, nan, 7.0]])
        expected = [[0, 2, 0, 0, 0, 0], [1, 0, 0, 3, 0, 4]]
    else:           # windows over columns 0..1, 2..3, 4..5
        np.testing.assert_array_equal(out[0, 0], [[nan, nan, inf]])
        expected = [[0, 1, 0, 0, 0, 0], [0, 0, 0, 2, 3, 0]]
    np.testing.assert_array_equal(dx[0, 0], expected)


@pytest.mark.parametrize("backend", ["reference", "numba", "cuda"])
def test_max_pool_padding_never_wins_against_a_real_minus_inf(backend):
    x = np.full((1, 1, 2, 2), -np.inf)
    layer = MaxPool2D(2, stride=1, padding=1, backend=backend)
    out = layer.forward(x)              # 3 x 3 windows, each with 1 to 4 padded cells
    np.testing.assert_array_equal(out, np.full((1, 1, 3, 3), -np.inf))
    dy = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    dx = layer.backward(dy)
    # window (i, j) covers rows i-1..i, cols j-1..j: its first REAL cell is (max(i-1, 0), max(j-1, 0))
    np.testing.assert_array_equal(dx[0, 0], [[1 + 2 + 4 + 5, 3 + 6], [7 + 8, 9]])
    assert dx.sum() == dy.sum()         # no window's gradient fell on padding


@pytest.mark.parametrize("backend", ["reference", "numba", "cuda"])
def test_max_pool_nan_beats_padding_and_minus_inf(backend):
    x = np.array([[[[-np.inf, -np.inf], [-np.inf, np.nan]]]])
    layer = MaxPool2D(2, stride=1, padding=1, backend=backend)
    out = layer.forward(x)
    np.testing.assert_array_equal(out[0, 0], [[-np.inf, -np.inf, -np.inf],
                                              [-np.inf, np.nan, np.nan],
                                              [-np.inf, np.nan, np.nan]])
    dx = layer.backward(np.arange(1.0, 10.0).reshape(1, 1, 3, 3))
    np.testing.assert_array_equal(dx[0, 0], [[1 + 2 + 4, 3], [7, 5 + 6 + 8 + 9]])


@pytest.mark.parametrize("backend", ["reference", "numba", "cuda"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_max_pool_sends_an_infinite_or_nan_gradient_to_the_winner_only(backend, bad):
    """The other cells get exactly 0 (no 0 * inf = NaN from a one-hot product)."""
    layer = MaxPool2D(2, backend=backend)
    layer.forward(np.array([[[[1.0, 2.0], [4.0, 3.0]]]]))
    dx = layer.backward(np.array([[[[bad]]]]))
    np.testing.assert_array_equal(dx[0, 0], [[0.0, 0.0], [bad, 0.0]])


def test_avg_pool_counts_padding_in_the_mean():
    x = np.ones((1, 1, 2, 2))
    out = AvgPool2D(3, stride=1, padding=1).forward(x)
    # the top-left window covers 4 real ones and 5 padded zeros: 4 / 9
    np.testing.assert_allclose(out[0, 0], [[4 / 9, 4 / 9], [4 / 9, 4 / 9]])


@pytest.mark.parametrize("backend", ["reference", "numba", "cuda"])
def test_avg_pool_sums_in_float64_on_every_backend(backend):
    """Four float32 3e38s sum past float32's largest number (3.4e38); the mean, 3e38, does not."""
    x = np.full((1, 1, 2, 4), 3e38, dtype=np.float32)
    x[0, 0, :, 2:] = -3e38
    out = AvgPool2D(2, backend=backend).forward(x)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out[0, 0], np.array([[3e38, -3e38]], dtype=np.float32))


def test_stride_defaults_to_kernel_and_windows_may_be_non_square():
    layer = MaxPool2D((2, 3))
    assert layer.stride == (2, 3)
    x = np.arange(48.0).reshape(1, 2, 4, 6)
    np.testing.assert_array_equal(layer.forward(x)[0, 0], [[8, 11], [20, 23]])
    assert GlobalAvgPool2D().forward(x).shape == (1, 2)


@pytest.mark.torch
@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_match_pytorch(backend, torch):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 7, 8))
    g_cases = [(MaxPool2D, torch.nn.functional.max_pool2d), (AvgPool2D, torch.nn.functional.avg_pool2d)]
    for cls, fn in g_cases:
        for k, s, p in [((3, 2), (2, 1), (1, 1)), (2, None, 0), (3, 2, 1)]:
            layer = cls(k, s, p, backend=backend)
            out = layer.forward(x)
            g = rng.standard_normal(out.shape)
            xt = torch.tensor(x, requires_grad=True)
            ot = fn(xt, k, s, p)
            ot.backward(torch.tensor(g))
            np.testing.assert_allclose(out, ot.detach().numpy(), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(layer.backward(g), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
def test_float32_stays_float32_and_nothing_given_is_changed(cls):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 5, 5)).astype(np.float32)
    layer = cls(3, 2, 1)
    out = layer.forward(x)
    dy = rng.standard_normal(out.shape).astype(np.float32)
    kept = (x.copy(), out.copy(), dy.copy())
    dx = layer.backward(dy)
    assert out.dtype == dx.dtype == np.float32
    for before, after in zip(kept, (x, out, dy)):
        np.testing.assert_array_equal(before, after)


@pytest.mark.parametrize("layer", [MaxPool2D(2), AvgPool2D(2), GlobalAvgPool2D()])
def test_backward_before_forward_raises(layer):
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.zeros((1, 1, 1, 1)))


@pytest.mark.parametrize("layer", [MaxPool2D(2), AvgPool2D(2), GlobalAvgPool2D()])
def test_bad_input(layer):
    name = type(layer).__name__
    with pytest.raises(ValueError, match=rf"{name}: expected x of shape \(N, C, H, W\).*\(4, 4\)"):
        layer.forward(np.zeros((4, 4)))
    with pytest.raises(TypeError, match=rf"{name}: expected x with a float32 or float64"):
        layer.forward(np.zeros((1, 1, 4, 4), dtype=np.complex128))
    layer.forward(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=rf"{name}.backward: expected dy of shape"):
        layer.backward(np.zeros((1, 1, 3, 3, 3)))


def test_window_larger_than_input():
    with pytest.raises(ValueError, match=r"MaxPool2D: input of shape \(1, 1, 2, 5\) is too small"):
        MaxPool2D(3).forward(np.zeros((1, 1, 2, 5)))


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("kwargs,error,match", [
    (dict(kernel_size=0), ValueError, "kernel_size to be >= 1"),
    (dict(kernel_size=(2, 2, 2)), TypeError, "kernel_size to be an int or a pair"),
    (dict(kernel_size=2, stride=0), ValueError, "stride to be >= 1"),
    (dict(kernel_size=2, padding=-1), ValueError, "padding to be >= 0"),
    (dict(kernel_size=2, padding=2), ValueError, r"padding <= kernel_size // 2"),
    (dict(kernel_size=2, backend="torch"), ValueError, "reference, numba, cuda"),
])
def test_bad_constructor_arguments(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls(**kwargs)


def test_global_backend_choice_is_used():
    scratchnet.set_backend("reference")
    layer = MaxPool2D(2)
    layer.forward(np.zeros((1, 1, 2, 2)))
    assert layer._cache["backend"] == "reference"
