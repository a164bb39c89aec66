"""Every kernel backend (numba, cuda) equals the readable NumPy reference, forward and backward.

Random shapes, strides, paddings (symmetric and not), dilations and dtypes via hypothesis.
CUDA runs on numba's CPU simulator (tests/conftest.py sets NUMBA_ENABLE_CUDASIM=1 unless
SCRATCHNET_REAL_CUDA=1), which is slow: its cases are tiny and few.
"""
import contextlib
import tracemalloc

import numba.cuda
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scratchnet
from scratchnet.kernels import backend as backend_mod
from scratchnet.kernels import kernels

DTYPES = (np.float32, np.float64)
TOL = {np.float32: dict(rtol=2e-4, atol=2e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}


@pytest.fixture(autouse=True)
def _restore_backend():
    saved = backend_mod._backend
    yield
    backend_mod._backend = saved


@st.composite
def conv_cases(draw, tiny=False):
    """(x, W, b, stride, padding, dilation, dtype) with a non-empty output."""
    hi = 2 if tiny else 3
    N, C_in, C_out = (draw(st.integers(1, hi)) for _ in range(3))
    KH, KW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.one_of(st.integers(0, 2), st.tuples(st.tuples(st.integers(0, 2), st.integers(0, 2)),
                                                          st.tuples(st.integers(0, 2), st.integers(0, 2)))))
    pads = ((padding, padding), (padding, padding)) if isinstance(padding, int) else padding
    # the smallest H that still gives one output row, plus a little more
    H = max(1, dilation[0] * (KH - 1) + 1 - sum(pads[0])) + draw(st.integers(0, 2 if tiny else 4))
    Wd = max(1, dilation[1] * (KW - 1) + 1 - sum(pads[1])) + draw(st.integers(0, 2 if tiny else 4))
    dtype = draw(st.sampled_from(DTYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    x = rng.standard_normal((N, C_in, H, Wd)).astype(dtype)
    W = rng.standard_normal((C_out, C_in, KH, KW)).astype(dtype)
    b = rng.standard_normal(C_out).astype(dtype)
    return x, W, b, stride, padding, dilation, rng


def _compare_conv(backend, case):
    x, W, b, stride, padding, dilation, rng = case
    ref, fast = kernels("conv", "reference"), kernels("conv", backend)
    out_r, cache_r = ref.forward(x, W, b, stride, padding, dilation)
    out_f, cache_f = fast.forward(x, W, b, stride, padding, dilation)
    tol = TOL[x.dtype.type]
    assert out_f.dtype == x.dtype and out_f.shape == out_r.shape
    np.testing.assert_allclose(out_f, out_r, **tol)
    dout = rng.standard_normal(out_r.shape).astype(x.dtype)
    saved = [a.copy() for a in (x, W, b, dout)]
    for g_f, g_r in zip(fast.backward(dout, cache_f), ref.backward(dout, cache_r)):
        assert g_f.dtype == x.dtype and g_f.shape == g_r.shape
        np.testing.assert_allclose(g_f, g_r, **tol)
    _compare_without_dx(ref, fast, dout, cache_r, cache_f,
                        lambda f, r, what: np.testing.assert_allclose(f, r, **tol, err_msg=what))
    for before, after in zip(saved, (x, W, b, dout)):
        np.testing.assert_array_equal(before, after)          # nothing given was changed


def _compare_without_dx(ref, fast, dout, cache_r, cache_f, assert_same):
    """backward(..., need_dx=False) on both backends: dx is None, dW and db as with dx (the
    reference's full backward is the yardstick, so a dW-only kernel is held to it too)."""
    _, dW_r, db_r = ref.backward(dout, cache_r)
    for name, kernel, cache in (("reference", ref, cache_r), ("fast", fast, cache_f)):
        dx, dW, db = kernel.backward(dout, cache, need_dx=False)
        assert dx is None, f"{name}: need_dx=False returned a dx"
        assert dW.dtype == dW_r.dtype and db.dtype == db_r.dtype
        assert_same(dW, dW_r, f"{name} dW without dx")
        assert_same(db, db_r, f"{name} db without dx")


@given(conv_cases())
def test_conv_numba_equals_reference(case):
    _compare_conv("numba", case)


@contextlib.contextmanager
def conv_numba_path(path):
    """Send every conv_numba call through `path` ("im2col", "wide", "direct"), or through
    im2col when `path` cannot take the call's stride (wide and direct need stride 1)."""
    conv = kernels("conv", "numba")
    saved = conv._path
    conv._path = lambda W, stride: path if stride == (1, 1) else "im2col"
    try:
        yield
    finally:
        conv._path = saved


@pytest.mark.parametrize("path", ["im2col", "wide", "direct"])
@settings(max_examples=40)
@given(case=conv_cases())
def test_conv_numba_every_path_equals_reference(path, case):
    """conv_numba has three paths (im2col + BLAS for any stride; wide im2col + BLAS and direct
    loops for stride 1). Its _path() would send most drawn cases (small filters) direct; here
    every case goes through `path`, or through im2col when `path` cannot take its stride."""
    with conv_numba_path(path):
        _compare_conv("numba", case)


@settings(max_examples=4)
@given(conv_cases(tiny=True))
def test_conv_cuda_equals_reference(case):
    _compare_conv("cuda", case)


@st.composite
def pool_cases(draw, tiny=False):
    """(x, kernel, stride, padding, dy) with integer-valued x, so max pooling sees many ties."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 2 if tiny else 3))
    H = kernel[0] + draw(st.integers(0, 3 if tiny else 5))
    W = kernel[1] + draw(st.integers(0, 3 if tiny else 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    dtype = draw(st.sampled_from(DTYPES))
    x = rng.integers(-2, 3, size=(N, C, H, W)).astype(dtype)
    if draw(st.booleans()):
        x = -np.abs(x) - 1.0                    # all negative: padding must never win a max
    return x, kernel, stride, padding, rng


def _compare_pool(op, backend, case):
    x, kernel, stride, padding, rng = case
    ref, fast = kernels(op, "reference"), kernels(op, backend)
    out_r, cache_r = ref.forward(x, kernel, stride, padding)
    out_f, cache_f = fast.forward(x, kernel, stride, padding)
    assert out_f.dtype == x.dtype
    np.testing.assert_allclose(out_f, out_r, **TOL[x.dtype.type])
    # small integer dout: every sum is exact in any order, so gradient ROUTING must match exactly
    dout = rng.integers(1, 5, size=out_r.shape).astype(x.dtype)
    dx_r, dx_f = ref.backward(dout, cache_r), fast.backward(dout, cache_f)
    assert dx_f.dtype == x.dtype and dx_f.shape == x.shape
    if op == "maxpool":
        np.testing.assert_array_equal(dx_f, dx_r)
        assert dx_r.sum() == dout.sum()          # each window sends its gradient to ONE element
    else:
        np.testing.assert_allclose(dx_f, dx_r, **TOL[x.dtype.type])


@pytest.mark.parametrize("op", ["maxpool", "avgpool"])
@given(case=pool_cases())
def test_pool_numba_equals_reference(op, case):
    _compare_pool(op, "numba", case)


@pytest.mark.parametrize("op", ["maxpool", "avgpool"])
@settings(max_examples=4)
@given(case=pool_cases(tiny=True))
def test_pool_cuda_equals_reference(op, case):
    _compare_pool(op, "cuda", case)


@pytest.mark.parametrize("shape, kernel", [((2, 3, 7, 9), (3, 2)), ((1, 2, 8, 8), (2, 2)),
                                           ((2, 1, 5, 4), (2, 3))])
def test_avgpool_numba_tiled_backward_fills_every_cell(shape, kernel):
    """stride = kernel, no padding: numba's backward writes dx into uninitialised memory, so
    cells that no window covers (H, W not multiples of the kernel) must be set to 0 too."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape)
    ref, fast = kernels("avgpool", "reference"), kernels("avgpool", "numba")
    out_r, cache_r = ref.forward(x, kernel, None, 0)
    out_f, cache_f = fast.forward(x, kernel, None, 0)
    np.testing.assert_allclose(out_f, out_r, rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out_r.shape)
    for _ in range(3):        # fresh np.empty blocks may hold old numbers: every call must clear them
        np.testing.assert_allclose(fast.backward(dout, cache_f), ref.backward(dout, cache_r),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("backend", ["reference", "numba", "cuda"])
def test_maxpool_tie_goes_to_first_in_row_major_order(backend):
    x = np.ones((1, 1, 4, 4))
    x[0, 0, 1, 1] = x[0, 0, 1, 0] = 5.0                 # a tie inside the top-left window
    out, cache = kernels("maxpool", backend).forward(x, 2)
    dx = kernels("maxpool", backend).backward(np.ones_like(out), cache)
    expected = np.zeros((4, 4))
    expected[1, 0] = 1.0                                 # (1, 0) comes before (1, 1)
    expected[0, 2] = expected[2, 0] = expected[2, 2] = 1.0   # all-ones windows: their first cell
    np.testing.assert_array_equal(dx[0, 0], expected)


@pytest.mark.parametrize("backend", ["reference", "numba"])
def test_maxpool_extreme_values_stay_finite(backend):
    x = np.array([[[[1e4, -1e4], [-1e4, -1e4]]]])
    out, cache = kernels("maxpool", backend).forward(x, 2, 1, 1)
    assert np.isfinite(out).all()
    assert np.isfinite(kernels("maxpool", backend).backward(np.ones_like(out), cache)).all()


# ----- NaN and inf: every backend puts them where the reference does --------------------

# inf - inf and 0 * inf are NaN here on purpose. (A mark, not np.errstate: errstate holds for
# one thread, and the CUDA simulator runs each GPU thread as a Python thread.)
nan_on_purpose = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")

# (share of the cells, values): which cells become NaN, +inf or -inf. Share 1.0 with -inf
# alone makes every window all -inf, where only the padding rule decides the max's winner.
nonfinite_specs = st.tuples(st.sampled_from([0.0, 0.1, 0.3, 0.6, 1.0]),
                            st.sampled_from([(np.nan, np.inf, -np.inf), (np.nan,), (np.inf,),
                                             (-np.inf,), (np.inf, -np.inf)]))


def _sprinkle(a, rng, spec):
    """A copy of `a` in which each cell, with probability share, is one of the spec's values."""
    share, values = spec
    a = a.copy()
    hit = rng.random(a.shape) < share
    a[hit] = rng.choice(values, size=int(hit.sum()))
    return a


def _assert_same_nonfinite(fast, ref, tol, what):
    """NaN exactly where ref has NaN, +-inf exactly where ref has it, elsewhere equal within tol."""
    assert fast.dtype == ref.dtype and fast.shape == ref.shape, what
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(ref), err_msg=f"{what}: NaN places")
    np.testing.assert_allclose(fast, ref, equal_nan=True, err_msg=what, **tol)   # inf: same sign


@st.composite
def nonfinite_pool_cases(draw, tiny=False):
    """pool_cases with NaN/inf sprinkled into x, and a spec for sprinkling dout too."""
    x, kernel, stride, padding, rng = draw(pool_cases(tiny))
    return _sprinkle(x, rng, draw(nonfinite_specs)), kernel, stride, padding, rng, draw(nonfinite_specs)


def _compare_pool_nonfinite(op, backend, case):
    x, kernel, stride, padding, rng, dout_spec = case
    ref, fast = kernels(op, "reference"), kernels(op, backend)
    tol = TOL[x.dtype.type]
    out_r, cache_r = ref.forward(x, kernel, stride, padding)
    out_f, cache_f = fast.forward(x, kernel, stride, padding)
    _assert_same_nonfinite(out_f, out_r, tol, f"{op} out")
    dout = _sprinkle(rng.integers(1, 5, size=out_r.shape).astype(x.dtype), rng, dout_spec)
    dx_r, dx_f = ref.backward(dout, cache_r), fast.backward(dout, cache_f)
    _assert_same_nonfinite(dx_f, dx_r, tol, f"{op} dx")
    if op == "maxpool":
        np.testing.assert_array_equal(out_f, out_r)        # a copy of the winner: exact
        np.testing.assert_array_equal(dx_f, dx_r)          # the same winners got the same dout
        if np.isfinite(dout).all():
            assert dx_r.sum() == dout.sum()                # no window's gradient fell on padding


@nan_on_purpose
@pytest.mark.parametrize("op", ["maxpool", "avgpool"])
@settings(max_examples=60)
@given(case=nonfinite_pool_cases())
def test_pool_numba_equals_reference_with_nan_and_inf(op, case):
    _compare_pool_nonfinite(op, "numba", case)


@nan_on_purpose
@pytest.mark.parametrize("op", ["maxpool", "avgpool"])
@settings(max_examples=8)
@given(case=nonfinite_pool_cases(tiny=True))
def test_pool_cuda_equals_reference_with_nan_and_inf(op, case):
    _compare_pool_nonfinite(op, "cuda", case)


@st.composite
def nonfinite_conv_cases(draw, tiny=False):
    """conv_cases with NaN/inf sprinkled into x and W, and a spec for sprinkling dout too."""
    x, W, b, stride, padding, dilation, rng = draw(conv_cases(tiny))
    x, W = _sprinkle(x, rng, draw(nonfinite_specs)), _sprinkle(W, rng, draw(nonfinite_specs))
    return x, W, b, stride, padding, dilation, rng, draw(nonfinite_specs)


def _compare_conv_nonfinite(backend, case):
    x, W, b, stride, padding, dilation, rng, dout_spec = case
    ref, fast = kernels("conv", "reference"), kernels("conv", backend)
    tol = TOL[x.dtype.type]
    out_r, cache_r = ref.forward(x, W, b, stride, padding, dilation)
    out_f, cache_f = fast.forward(x, W, b, stride, padding, dilation)
    _assert_same_nonfinite(out_f, out_r, tol, "conv out")
    dout = _sprinkle(rng.standard_normal(out_r.shape).astype(x.dtype), rng, dout_spec)
    grads_r, grads_f = ref.backward(dout, cache_r), fast.backward(dout, cache_f)
    for name, g_f, g_r in zip(("dx", "dW", "db"), grads_f, grads_r):
        _assert_same_nonfinite(g_f, g_r, tol, f"conv {name}")
    _compare_without_dx(ref, fast, dout, cache_r, cache_f,
                        lambda f, r, what: _assert_same_nonfinite(f, r, tol, what))


@nan_on_purpose
@pytest.mark.parametrize("path", ["im2col", "wide", "direct"])
@settings(max_examples=40)
@given(case=nonfinite_conv_cases())
def test_conv_numba_paths_equal_reference_with_nan_and_inf(path, case):
    """Each of conv_numba's three paths (wide and direct need stride 1: other strides go to
    im2col, which is then tested again), held to the reference on NaN and inf."""
    with conv_numba_path(path):
        _compare_conv_nonfinite("numba", case)


@nan_on_purpose
@settings(max_examples=6)
@given(case=nonfinite_conv_cases(tiny=True))
def test_conv_cuda_equals_reference_with_nan_and_inf(case):
    _compare_conv_nonfinite("cuda", case)


@nan_on_purpose
@pytest.mark.parametrize("backend", ["reference", "numba", "cuda"])
def test_conv_zero_padding_is_a_real_zero(backend):
    """A padded cell is 0 and is multiplied like any input (np.pad in the reference, as in
    PyTorch): 0 * inf = NaN, so an infinite weight makes NaN every output that reads padding
    with it, and an infinite dout makes NaN every dW tap that read padding for that output."""
    x, W, b = np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), np.zeros(1)
    W[0, 0, 0, 0] = np.inf                      # tap (0, 0) reads padding except for out (1, 1)
    conv = kernels("conv", backend)
    out, cache = conv.forward(x, W, b, 1, 1)
    dx, dW, db = conv.backward(np.array([[[[np.inf, 1.0], [1.0, 1.0]]]]), cache)
    np.testing.assert_array_equal(out[0, 0], [[np.nan, np.nan], [np.nan, np.inf]])
    # out (0, 0) has dout inf; its tap (kh, kw) reads padding where kh == 0 or kw == 0
    np.testing.assert_array_equal(dW[0, 0], [[np.nan, np.nan, np.nan],
                                             [np.nan, np.inf, np.inf],
                                             [np.nan, np.inf, np.inf]])
    np.testing.assert_array_equal(dx[0, 0], [[np.inf, np.inf], [np.inf, np.inf]])
    np.testing.assert_array_equal(db, [np.inf])


@nan_on_purpose
@pytest.mark.parametrize("backend", ["reference", "numba", "cuda"])
def test_conv_batch_of_one_keeps_zero_times_inf_nan(backend):
    """dW sums over the batch, an axis of length 1 here. np.dot (which np.tensordot uses)
    returned 0 for that 0 * inf, so the reference once had no NaN where the kernels did."""
    x, W, b = np.full((1, 1, 1, 1), 0.5), np.array([[[[2.0]]], [[[3.0]]]]), np.zeros(2)
    conv = kernels("conv", backend)
    out, cache = conv.forward(x, W, b, 1, 1)                # out (1, 2, 3, 3); only (1, 1) is real
    dout = np.ones(out.shape)
    dout[0, 0, 0, 0] = np.inf                              # over padding: dW[0] gets inf * 0
    dx, dW, db = conv.backward(dout, cache)
    np.testing.assert_array_equal(dW.ravel(), [np.nan, 0.5])
    np.testing.assert_array_equal(dx.ravel(), [2.0 + 3.0])
    np.testing.assert_array_equal(db, [np.inf, 9.0])


@nan_on_purpose
@pytest.mark.parametrize("path", [
    "im2col",
    "wide", "direct"])
@pytest.mark.parametrize("infinite", ["x", "W"])
def test_conv_numba_junk_columns_add_no_nan(monkeypatch, path, infinite):
    """conv_numba's wide and direct paths also compute junk outputs past each row's end (their
    inputs wrap into the next row) and give them dout 0. Here x is 3x3 and W 1x2, so the junk
    output of row 0, tap kw=1, reads x[1, 0], and tap kw=0's junk output writes to dx[0, 2].
    An inf there must not reach dW (or dx) through 0 * inf: the reference has finite numbers."""
    monkeypatch.setattr(kernels("conv", "numba"), "_path", lambda W, stride: path)
    x, W, b = np.zeros((1, 1, 3, 3)), np.ones((1, 1, 1, 2)), np.zeros(1)
    if infinite == "x":
        x[0, 0, 1, 0] = np.inf      # dW[..., 0, 1] is sum dout * x[:, 1:3]: finite
    else:
        W[0, 0, 0, 0] = np.inf      # dx[0, 2] is W[0, 1] * dout[0, 1] alone: finite
    dout = np.ones((1, 1, 3, 2))
    ref, fast = kernels("conv", "reference"), kernels("conv", "numba")
    grads_r = ref.backward(dout, ref.forward(x, W, b)[1])
    grads_f = fast.backward(dout, fast.forward(x, W, b)[1])
    for name, g_f, g_r in zip(("dx", "dW", "db"), grads_f, grads_r):
        _assert_same_nonfinite(g_f, g_r, TOL[np.float64], f"conv numba {path} {name}")


@pytest.mark.parametrize("path", ["im2col", "wide", "direct"])
def test_numba_conv_is_deterministic(monkeypatch, path):
    """Parallel loops must not make results depend on thread timing (bit-for-bit equal)."""
    rng = np.random.default_rng(1)
    x, W, b = rng.standard_normal((5, 3, 9, 9)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    conv = kernels("conv", "numba")
    monkeypatch.setattr(conv, "_path", lambda W, stride: path)
    runs = []
    for _ in range(2):
        out, cache = conv.forward(x, W, b, 1, 1, 1)
        runs.append((out,) + conv.backward(out, cache))
    for a, b2 in zip(*runs):
        np.testing.assert_array_equal(a, b2)


@pytest.mark.parametrize("path", ["im2col", "wide"])
@pytest.mark.parametrize("padding", [0, 1, ((2, 0), (1, 3))])
def test_numba_conv_chunks_the_batch(monkeypatch, path, padding):
    """A tiny chunk budget forces one image per chunk; the result must not change. Both col
    paths, with and without (uneven) padding; the im2col path also with its col kept."""
    conv = kernels("conv", "numba")
    monkeypatch.setattr(conv, "_path", lambda W, stride: path)
    rng = np.random.default_rng(2)
    x, W, b = rng.standard_normal((4, 2, 6, 7)), rng.standard_normal((3, 2, 3, 2)), rng.standard_normal(3)
    out1, c1 = conv.forward(x, W, b, 1, padding)
    assert (c1[-1] is not None) == (path == "im2col")      # one chunk; only im2col keeps col
    dout = rng.standard_normal(out1.shape)
    grads1 = conv.backward(dout, c1)
    monkeypatch.setattr(conv, "KEEP_BYTES", 0)
    monkeypatch.setattr(conv, "CHUNK_BYTES", 1)
    out2, c2 = conv.forward(x, W, b, 1, padding)
    assert c2[-1] is None                                   # chunks: col rebuilt in backward
    np.testing.assert_allclose(out2, out1, rtol=1e-12, atol=1e-12)
    for g2, g1 in zip(conv.backward(dout, c2), grads1):
        np.testing.assert_allclose(g2, g1, rtol=1e-12, atol=1e-12)


def test_numba_conv_memory_stays_small():
    """N=64, 32 channels of 32x32, 64 filters 3x3, pad 1, float64: fwd + bwd must allocate less
    than 64 MB beyond x, out and the gradients (no whole-batch im2col, which would be 150 MB)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 32, 32, 32))
    W, b = rng.standard_normal((64, 32, 3, 3)) * 0.1, np.zeros(64)
    conv = kernels("conv", "numba")
    out, cache = conv.forward(x[:1], W, b, 1, 1)              # compile outside the trace
    conv.backward(out, cache)
    conv.clear_scratch()      # its reused work buffers count: make them anew in the trace
    tracemalloc.start()
    out, cache = conv.forward(x, W, b, 1, 1)
    dx, dW, db = conv.backward(out, cache)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kept = out.nbytes + dx.nbytes + dW.nbytes + db.nbytes
    assert peak - kept < 64 * 2**20, f"extra memory {(peak - kept) / 2**20:.1f} MB"
    assert peak - kept > 2 * 2**20        # the trace did see the col buffers (one image: 2.5 MB each)


# ----- errors -----------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["reference", "numba", "cuda"])
def test_conv_kernels_reject_bad_input_before_compiled_code(backend):
    conv = kernels("conv", backend)
    x, W, b = np.zeros((2, 3, 5, 5)), np.zeros((4, 3, 3, 3)), np.zeros(4)
    with pytest.raises(ValueError, match=r"x of shape \(N, 3, H, W\).*\(2, 2, 5, 5\)"):
        conv.forward(x[:, :2], W, b)
    with pytest.raises(ValueError, match="b of shape"):
        conv.forward(x, W, np.zeros(3))
    with pytest.raises(ValueError, match="output would be empty"):
        conv.forward(x, np.zeros((4, 3, 6, 6)), b)
    with pytest.raises(TypeError, match="float32 or float64"):
        conv.forward(x.astype(np.complex128), W, b)
    with pytest.raises(ValueError, match="stride"):
        conv.forward(x, W, b, stride=0)
    out, cache = conv.forward(x, W, b)
    with pytest.raises(ValueError, match=r"dout of shape \(2, 4, 3, 3\)"):
        conv.backward(np.zeros((2, 4, 3, 4)), cache)


@pytest.mark.parametrize("op", ["maxpool", "avgpool"])
@pytest.mark.parametrize("backend", ["reference", "numba", "cuda"])
def test_pool_kernels_reject_bad_input(op, backend):
    pool = kernels(op, backend)
    with pytest.raises(ValueError, match=r"x of shape \(N, C, H, W\)"):
        pool.forward(np.zeros((3, 4, 4)), 2)
    with pytest.raises(ValueError, match="padding <= kernel_size // 2"):
        pool.forward(np.zeros((1, 1, 4, 4)), 2, 1, 2)
    with pytest.raises(ValueError, match="output would be empty"):
        pool.forward(np.zeros((1, 1, 2, 2)), 3)
    out, cache = pool.forward(np.zeros((1, 1, 4, 4)), 2)
    with pytest.raises(ValueError, match=r"dout of shape \(1, 1, 2, 2\)"):
        pool.backward(np.zeros((1, 1, 2, 3)), cache)


def test_unknown_backend_lists_valid_ones():
    with pytest.raises(ValueError, match="reference, numba, cuda"):
        scratchnet.set_backend("torch")
    with pytest.raises(ValueError, match="unknown op"):
        kernels("softmax")


def test_backend_from_set_backend_and_env(monkeypatch):
    monkeypatch.setattr(backend_mod, "_backend", None)
    monkeypatch.setenv("SCRATCHNET_BACKEND", "reference")
    assert scratchnet.get_backend() == "reference"
    assert kernels("conv").__name__.endswith("conv_reference")
    monkeypatch.setenv("SCRATCHNET_BACKEND", "nope")
    with pytest.raises(ValueError, match="SCRATCHNET_BACKEND"):
        scratchnet.get_backend()
    monkeypatch.delenv("SCRATCHNET_BACKEND")
    assert scratchnet.get_backend() == "numba"
    scratchnet.set_backend("reference")
    assert scratchnet.get_backend() == "reference"


def test_cuda_without_gpu_names_the_simulator(monkeypatch):
    monkeypatch.setattr(numba.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="NUMBA_ENABLE_CUDASIM=1"):
        scratchnet.set_backend("cuda")
    with pytest.raises(RuntimeError, match="NUMBA_ENABLE_CUDASIM=1"):
        kernels("conv", "cuda")
    from scratchnet.layers import Conv2D, MaxPool2D
    with pytest.raises(RuntimeError, match="NUMBA_ENABLE_CUDASIM=1"):
        Conv2D(1, 1, 1, backend="cuda")
    with pytest.raises(RuntimeError, match="NUMBA_ENABLE_CUDASIM=1"):
        MaxPool2D(2, backend="cuda")


def test_numba_runs_on_tbb_or_else_workqueue():
    """scratchnet.kernels asks numba for its tbb threading layer, or workqueue where TBB cannot
    load (unless the user set NUMBA_THREADING_LAYER[_PRIORITY]); see kernels/__init__.py.
    Neither spins for long against BLAS's threads, as numba's default omp layer does."""
    import os

    import numba
    if os.environ.get("NUMBA_THREADING_LAYER_PRIORITY") != "tbb workqueue omp" or \
            os.environ.get("NUMBA_THREADING_LAYER") != "default":
        pytest.skip("the threading layer was chosen by the user")
    try:                                   # numba's own test of whether its tbb layer can load
        from numba.np.ufunc import parallel
        parallel._check_tbb_version_compatible()
        from numba.np.ufunc import tbbpool  # noqa: F401
        expected = "tbb"
    except ImportError:
        expected = "workqueue"
    kernels("maxpool", "numba").forward(np.zeros((1, 1, 2, 2)), 2)
    assert numba.threading_layer() == expected
