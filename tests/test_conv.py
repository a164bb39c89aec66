"""Conv2D: gradients proven by finite differences on every backend, output sizes for every
padding mode, agreement with PyTorch (if installed), the layer contract and clear errors."""
import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradcheck
import scratchnet
from scratchnet.kernels import backend as backend_mod
from scratchnet.layers import Conv2D


@pytest.fixture(autouse=True)
def _restore_global_state():
    saved_backend, saved_dtype = backend_mod._backend, scratchnet.get_default_dtype()
    yield
    backend_mod._backend = saved_backend
    scratchnet.set_default_dtype(saved_dtype)


def central_differences(f, a, h=1e-6):
    """d f / d a by central differences, one element at a time (f returns a float)."""
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + h
        up = f()
        a[idx] = old - h
        down = f()
        a[idx] = old
        grad[idx] = (up - down) / (2 * h)
    return grad


@st.composite
def conv_layers(draw, tiny=False):
    """(Conv2D, x) with random geometry, including 'same' and 'full' padding."""
    C_in, C_out = draw(st.integers(1, 2)), draw(st.integers(1, 2 if tiny else 3))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from([0, 1, (1, 0), ((0, 1), (1, 0)), "valid", "same", "full"]))
    stride = 1 if padding == "same" else (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    H, W = (dilation[a] * (k[a] - 1) + 1 + draw(st.integers(0, 1 if tiny else 3)) for a in (0, 1))
    seed = draw(st.integers(0, 2**31))
    layer = Conv2D(C_in, C_out, k, stride=stride, padding=padding, dilation=dilation, rng=seed)
    x = np.random.default_rng(seed + 1).standard_normal((draw(st.integers(1, 2)), C_in, H, W))
    return layer, x


@pytest.mark.parametrize("backend", ["reference", "numba"])
@settings(max_examples=10)
@given(case=conv_layers())
def test_gradcheck_every_cpu_backend(backend, case):
    layer, x = case
    layer.backend = backend
    report = gradcheck.check_layer(layer, x)
    assert report.passed, report


@pytest.mark.parametrize("path", ["im2col", "wide", "direct"])
@settings(max_examples=6)
@given(case=conv_layers())
def test_gradcheck_every_numba_path(path, case):
    """The numba backend picks one of three paths per call (conv_numba._path); small drawn
    filters would all go one way, so each path is forced here (stride-1 paths fall back to
    im2col on strided cases)."""
    from scratchnet.kernels import conv_numba
    layer, x = case
    layer.backend = "numba"
    saved = conv_numba._path
    conv_numba._path = lambda W, stride: path if stride == (1, 1) else "im2col"
    try:
        report = gradcheck.check_layer(layer, x)
    finally:
        conv_numba._path = saved
    assert report.passed, report


def test_gradcheck_cuda_backend():
    layer = Conv2D(1, 2, (2, 3), stride=(2, 1), padding=((1, 0), (0, 1)), dilation=(1, 2),
                   rng=0, backend="cuda")
    x = np.random.default_rng(1).standard_normal((1, 1, 4, 4))
    report = gradcheck.check_layer(layer, x)
    assert report.passed, report


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_own_central_differences_with_random_upstream_gradient(backend):
    """Independent of gradcheck: L = sum(out * g) with a random g, all three gradients."""
    rng = np.random.default_rng(7)
    layer = Conv2D(2, 3, (3, 2), stride=(2, 1), padding="full", dilation=(1, 2), rng=3,
                   backend=backend)
    layer.params["b"][...] = rng.standard_normal(3)
    x = rng.standard_normal((2, 2, 5, 4))
    g = rng.standard_normal(layer.forward(x).shape)
    dx = layer.backward(g)

    def loss():
        return float(np.sum(layer.forward(x) * g))

    np.testing.assert_allclose(dx, central_differences(loss, x), rtol=1e-6, atol=1e-8)
    for key in ("W", "b"):
        analytic = layer.grads[key].copy()
        np.testing.assert_allclose(analytic, central_differences(loss, layer.params[key]),
                                   rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("k,d", [(1, 1), (3, 1), (3, 2), (4, 1), (2, 3), (5, 2)])
def test_same_padding_keeps_the_size_even_kernels_pad_more_at_the_end(k, d):
    layer = Conv2D(1, 1, k, padding="same", dilation=d, rng=0)
    assert layer.forward(np.zeros((1, 1, 7, 6))).shape == (1, 1, 7, 6)
    total = d * (k - 1)
    assert layer.padding == ((total // 2, total - total // 2),) * 2


def test_full_and_valid_output_sizes():
    x = np.zeros((2, 1, 8, 9))
    assert Conv2D(1, 4, (3, 2), padding="valid", rng=0)(x).shape == (2, 4, 6, 8)
    assert Conv2D(1, 4, (3, 2), padding="full", rng=0)(x).shape == (2, 4, 10, 10)
    assert Conv2D(1, 4, 3, padding="full", dilation=2, rng=0)(x).shape == (2, 4, 12, 13)
    # H' = (H + pt + pb - dh*(KH-1) - 1) // sh + 1 = (8 + 3 - 4 - 1) // 2 + 1 = 4
    # W' = (9 + 0 + 0 - 1*(1-1) - 1) // 2 + 1 = 5
    assert Conv2D(1, 1, (3, 1), stride=2, padding=((1, 2), (0, 0)), dilation=(2, 1),
                  rng=0)(x).shape == (2, 1, 4, 5)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.torch
@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_matches_pytorch(backend, torch):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 9, 8))
    for kw in [dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 2), dilation=(2, 1)),
               dict(kernel_size=4, padding="same", dilation=1),      # even kernel: asymmetric
               dict(kernel_size=(2, 3), padding="same", dilation=(3, 1))]:
        layer = Conv2D(3, 4, rng=1, backend=backend, **kw)
        layer.params["b"][...] = rng.standard_normal(4)
        out = layer.forward(x)
        g = rng.standard_normal(out.shape)
        dx = layer.backward(g)
        xt = torch.tensor(x, requires_grad=True)
        Wt = torch.tensor(layer.params["W"], requires_grad=True)
        bt = torch.tensor(layer.params["b"], requires_grad=True)
        ot = torch.nn.functional.conv2d(xt, Wt, bt, stride=layer.stride, dilation=layer.dilation,
                                        padding=kw["padding"])
        ot.backward(torch.tensor(g))
        np.testing.assert_allclose(out, ot.detach().numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(layer.grads["W"], Wt.grad.numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(layer.grads["b"], bt.grad.numpy(), rtol=1e-10, atol=1e-10)


# ----- the layer contract -----------------------------------------------------------------

def test_params_shapes_init_and_dtype():
    layer = Conv2D(3, 8, (5, 3), rng=0)
    assert layer.params["W"].shape == (8, 3, 5, 3) and layer.params["b"].shape == (8,)
    assert set(layer.grads) == {"W", "b"}
    np.testing.assert_array_equal(layer.params["b"], 0)
    std = np.sqrt(2.0 / (3 * 5 * 3))                             # He: Var(W) = 2 / fan_in
    assert 0.7 * std < layer.params["W"].std() < 1.3 * std
    np.testing.assert_array_equal(Conv2D(3, 8, (5, 3), rng=0).params["W"], layer.params["W"])
    scratchnet.set_default_dtype(np.float32)
    assert Conv2D(3, 8, 3, rng=0).params["W"].dtype == np.float32


@pytest.mark.parametrize("backend", ["reference", "numba", "cuda"])
def test_float32_layer_converts_x_and_returns_float32(backend):
    layer = Conv2D(2, 3, 3, padding=1, rng=0, backend=backend).astype(np.float32)
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))           # float64 input
    out = layer.forward(x)
    assert out.dtype == np.float32
    dx = layer.backward(np.ones_like(out, dtype=np.float64))
    assert dx.dtype == np.float32 and layer.grads["W"].dtype == np.float32
    ref = Conv2D(2, 3, 3, padding=1, rng=0, backend="reference")
    np.testing.assert_allclose(out, ref.forward(x), rtol=1e-5, atol=1e-5)


def test_backward_changes_no_input_and_no_param():
    layer = Conv2D(2, 3, 3, stride=2, padding=1, rng=0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 6, 6))
    out = layer.forward(x)
    dy = rng.standard_normal(out.shape)
    kept = [a.copy() for a in (x, out, dy, layer.params["W"], layer.params["b"])]
    layer.backward(dy)
    for before, after in zip(kept, (x, out, dy, layer.params["W"], layer.params["b"])):
        np.testing.assert_array_equal(before, after)


def test_backward_before_forward_raises():
    with pytest.raises(RuntimeError, match="before forward"):
        Conv2D(1, 1, 1).backward(np.zeros((1, 1, 1, 1)))


def test_backend_none_follows_the_global_choice_and_copies_work():
    layer = Conv2D(1, 2, 2, rng=0)
    x = np.random.default_rng(0).standard_normal((1, 1, 3, 3))
    scratchnet.set_backend("reference")
    out = layer.forward(x)
    assert layer._cache["backend"] == "reference"
    clone = copy.deepcopy(layer)                    # a cache with kernels in it must not block copies
    np.testing.assert_array_equal(clone.forward(x), out)
    scratchnet.set_backend("numba")
    np.testing.assert_allclose(layer.forward(x), out, rtol=1e-12)
    assert layer._cache["backend"] == "numba"


# ----- errors -----------------------------------------------------------------------------

@pytest.mark.parametrize("x,match", [
    (np.zeros((3, 5, 5)), r"Conv2D: expected x of shape \(N, 2, H, W\).*\(3, 5, 5\)"),
    (np.zeros((1, 3, 5, 5)), r"expected x of shape \(N, 2, H, W\).*\(1, 3, 5, 5\)"),
    (np.zeros((1, 2, 2, 5)), r"Conv2D: input of shape \(1, 2, 2, 5\) is too small"),
    (np.zeros((0, 2, 5, 5)), r"no empty axis"),
])
def test_bad_input_shapes(x, match):
    with pytest.raises(ValueError, match=match):
        Conv2D(2, 1, 3).forward(x)


def test_bad_dtypes_and_dy():
    layer = Conv2D(1, 1, 2)
    with pytest.raises(TypeError, match="Conv2D: expected x with a float32 or float64"):
        layer.forward(np.zeros((1, 1, 3, 3), dtype=np.complex64))
    with pytest.raises(TypeError, match="Conv2D: expected x to be a numpy array"):
        layer.forward({"image": 1})
    with pytest.raises(TypeError, match="Conv2D: expected x with a float32 or float64"):
        layer.forward("image")
    out = layer.forward(np.zeros((1, 1, 3, 3), dtype=np.int64))       # integers are converted
    assert out.dtype == layer.dtype
    with pytest.raises(ValueError, match=r"expected dy of shape \(1, 1, 2, 2\)"):
        layer.backward(np.zeros((1, 1, 2, 3)))


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(kernel_size=0), ValueError, "kernel_size to be >= 1"),
    (dict(kernel_size=(3, 3, 3)), TypeError, "kernel_size to be an int or a pair"),
    (dict(kernel_size=2.5), TypeError, "kernel_size"),
    (dict(kernel_size=3, stride=0), ValueError, "stride"),
    (dict(kernel_size=3, dilation=(1, 0)), ValueError, "dilation"),
    (dict(kernel_size=3, padding=-1), ValueError, "padding to be >= 0"),
    (dict(kernel_size=3, padding="half"), ValueError, "'valid', 'same', 'full'"),
    (dict(kernel_size=3, padding="same", stride=2), ValueError, "'same' needs stride 1"),
    (dict(kernel_size=3, backend="gpu"), ValueError, "reference, numba, cuda"),
    (dict(kernel_size=3, init="nope"), ValueError, "nope"),
])
def test_bad_constructor_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        Conv2D(1, 1, **kwargs)


def test_bad_channel_counts():
    with pytest.raises(ValueError, match="in_channels"):
        Conv2D(0, 1, 3)
    with pytest.raises(TypeError, match="out_channels"):
        Conv2D(1, 2.0, 3)


@pytest.mark.parametrize("path", ["im2col", "wide"])
@pytest.mark.parametrize("keep_bytes", [16 << 20, 0], ids=["col-kept", "chunked"])
def test_numba_work_buffers_are_not_shared_between_pending_backwards(monkeypatch, path, keep_bytes):
    """conv_numba reuses scratch buffers between calls; a forward of a second layer between a
    layer's forward and backward must not change the first layer's gradients (col matrix
    kept in the cache in one case, batches in scratch-buffer chunks in the other)."""
    from scratchnet.kernels import conv_numba, conv_reference
    monkeypatch.setattr(conv_numba, "_path", lambda W, stride: path)
    monkeypatch.setattr(conv_numba, "KEEP_BYTES", keep_bytes)
    monkeypatch.setattr(conv_numba, "CHUNK_BYTES", 20_000)     # several images per chunk
    rng = np.random.default_rng(7)
    N, H = 12, 10
    x1, x2 = rng.normal(size=(N, 2, H, H)), rng.normal(size=(N, 2, H, H))
    W1, W2 = rng.normal(size=(3, 2, 3, 3)), rng.normal(size=(3, 2, 3, 3))
    b = np.zeros(3)
    out1, cache1 = conv_numba.forward(x1, W1, b, 1, 1, 1)
    assert (cache1[-1] is None) == (keep_bytes == 0 or path == "wide")   # wide never keeps
    conv_numba.forward(x2, W2, b, 1, 1, 1)                     # another layer runs in between
    dout = rng.normal(size=out1.shape)
    got = conv_numba.backward(dout, cache1)
    want = conv_reference.backward(dout, conv_reference.forward(x1, W1, b, 1, 1, 1)[1])
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-9)
