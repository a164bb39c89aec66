"""BatchNorm2D's kernels: the fused numba one equals the NumPy reference (random and odd
shapes, float32 and float64, training and eval, NaN and inf), both equal the column-wise
batchnorm_forward/backward that BatchNorm1D uses, bad input fails before compiled code, and
several threads get only right answers. The benchmark script's quick mode runs."""
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck import check_layer
from scratchnet.kernels import batchnorm_numba, batchnorm_reference, threads
from scratchnet.layers import BatchNorm2D
from scratchnet.layers.normalization import batchnorm_backward, batchnorm_forward

ROOT = Path(__file__).resolve().parent.parent
TOL = {np.float32: dict(rtol=2e-5, atol=2e-5), np.float64: dict(rtol=1e-11, atol=1e-11)}
nan_on_purpose = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")


@st.composite
def bn_cases(draw, max_side=9):
    """(x, gamma, beta, dy, mean, var): mean and var None (training) or running statistics."""
    N, C = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    H, W = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    if N * H * W < 2:
        W += 1
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    scale = draw(st.sampled_from([1e-3, 1.0, 50.0]))
    x = (scale * rng.standard_normal((N, C, H, W)) + rng.normal(size=(1, C, 1, 1))).astype(dtype)
    gamma, beta = rng.normal(size=C).astype(dtype), rng.normal(size=C).astype(dtype)
    dy = rng.standard_normal(x.shape).astype(dtype)
    if draw(st.booleans()):
        return x, gamma, beta, dy, None, None
    return x, gamma, beta, dy, rng.normal(size=C), rng.uniform(0.1, 3.0, size=C)


def _both(case):
    """Forward and backward of the reference and of the numba kernel on one case."""
    x, gamma, beta, dy, mean, var = case
    out = {}
    for name, mod in (("reference", batchnorm_reference), ("numba", batchnorm_numba)):
        y, cache, m, v = mod.forward(x, gamma, beta, 1e-5, mean, var)
        out[name] = (y, m, v) + mod.backward(dy, cache)
    return out


WHAT = ("y", "mean", "var", "dx", "dgamma", "dbeta")


def _assert_equal(out, dtype, what=WHAT):
    tol = TOL[dtype]
    for name, a, b in zip(what, out["numba"], out["reference"]):
        assert a.shape == b.shape, name
        if name not in ("mean", "var"):
            assert a.dtype == b.dtype == dtype, name
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=f"{name}: NaN places")
        np.testing.assert_allclose(a, b, equal_nan=True, err_msg=name, **tol)


@settings(max_examples=60)
@given(case=bn_cases())
def test_numba_kernel_equals_the_reference(case):
    _assert_equal(_both(case), case[0].dtype.type)


@pytest.mark.parametrize("shape", [(1, 1, 1, 2), (2, 1, 1, 1), (1, 3, 7, 1), (5, 2, 1, 13),
                                   (3, 1, 17, 19), (64, 3, 2, 2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("train", [True, False])
def test_odd_shapes(shape, dtype, train):
    rng = np.random.default_rng(sum(shape))
    C = shape[1]
    x, dy = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    stats = (None, None) if train else (rng.normal(size=C), rng.uniform(0.5, 2, size=C))
    case = (x, rng.normal(size=C).astype(dtype), rng.normal(size=C).astype(dtype), dy) + stats
    _assert_equal(_both(case), dtype)


def _sprinkle(a, rng, share, values):
    a = a.copy()
    hit = rng.random(a.shape) < share
    a[hit] = rng.choice(values, size=int(hit.sum()))
    return a


nonfinite = st.tuples(st.sampled_from([0.0, 0.05, 0.3, 1.0]),
                      st.sampled_from([(np.nan,), (np.inf,), (-np.inf,), (np.inf, -np.inf),
                                       (np.nan, np.inf, -np.inf)]))


@nan_on_purpose
@settings(max_examples=60)
@given(case=bn_cases(max_side=5), x_spec=nonfinite, dy_spec=nonfinite,
       zero_gamma=st.booleans(), seed=st.integers(0, 2**16))
def test_nan_and_inf_land_where_the_reference_puts_them(case, x_spec, dy_spec, zero_gamma, seed):
    """NaN or inf in x (a whole channel goes NaN in training; one element in eval) and in dy;
    gamma = 0 turns an inf into NaN in eval. Same places, same signs, on both kernels."""
    rng = np.random.default_rng(seed)
    x, gamma, beta, dy, mean, var = case
    x, dy = _sprinkle(x, rng, *x_spec), _sprinkle(dy, rng, *dy_spec)
    if zero_gamma:
        gamma = np.where(rng.random(gamma.shape) < 0.5, 0, gamma).astype(gamma.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        _assert_equal(_both((x, gamma, beta, dy, mean, var)), x.dtype.type)


@nan_on_purpose
def test_an_inf_in_training_makes_its_channel_nan_and_leaves_the_others():
    x = np.random.default_rng(0).standard_normal((2, 3, 2, 2))
    x[1, 1, 0, 1] = np.inf
    for mod in (batchnorm_reference, batchnorm_numba):
        with np.errstate(invalid="ignore"):
            y, _, mean, var = mod.forward(x, np.ones(3), np.zeros(3))
        assert np.isnan(y[:, 1]).all() and np.isfinite(y[:, [0, 2]]).all()
        assert mean[1] == np.inf and np.isnan(var[1])


def test_kernels_equal_the_column_formulas_of_batchnorm1d():
    """Channel c of (N, C, H, W) is one column of (N*H*W, C): batchnorm_forward/backward."""
    rng = np.random.default_rng(4)
    x, dy = rng.normal(size=(3, 4, 5, 6)) * 3 + 1, rng.normal(size=(3, 4, 5, 6))
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    cols = lambda a: a.transpose(0, 2, 3, 1).reshape(-1, 4)               # noqa: E731
    y_cols, cache_cols, mu, var = batchnorm_forward(cols(x), gamma, beta)
    dx_cols, dgamma, dbeta = batchnorm_backward(cols(dy), cache_cols)
    for mod in (batchnorm_reference, batchnorm_numba):
        y, cache, m, v = mod.forward(x, gamma, beta)
        dx, dg, db = mod.backward(dy, cache)
        for a, b in ((cols(y), y_cols), (m, mu), (v, var), (cols(dx), dx_cols), (dg, dgamma),
                     (db, dbeta)):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_kernels_take_views_and_change_nothing_given():
    rng = np.random.default_rng(5)
    base = rng.normal(size=(4, 3, 6, 5)).astype(np.float32)
    x = base.transpose(0, 1, 3, 2)[:, :, ::2]           # not contiguous: (4, 3, 3, 6)
    dy = rng.normal(size=x.shape).astype(np.float32)
    gamma, beta = np.full(3, 2.0, np.float32), np.ones(3, np.float32)
    kept = [a.copy() for a in (x, dy, gamma, beta)]
    ref_y, ref_cache, _, _ = batchnorm_reference.forward(np.ascontiguousarray(x), gamma, beta)
    ref_grads = batchnorm_reference.backward(dy, ref_cache)
    y, cache, _, _ = batchnorm_numba.forward(x, gamma, beta)
    grads = batchnorm_numba.backward(dy[:, :, ::-1][:, :, ::-1], cache)
    np.testing.assert_allclose(y, ref_y, **TOL[np.float32])
    for a, b in zip(grads, ref_grads):
        np.testing.assert_allclose(a, b, **TOL[np.float32])
    for a, b in zip((x, dy, gamma, beta), kept):
        np.testing.assert_array_equal(a, b)


def test_results_do_not_depend_on_the_number_of_threads():
    rng = np.random.default_rng(6)
    x, dy = rng.normal(size=(8, 6, 9, 9)), rng.normal(size=(8, 6, 9, 9))
    before = numba.get_num_threads()
    outs = []
    try:
        for n in (1, before):
            numba.set_num_threads(n)
            y, cache, m, v = batchnorm_numba.forward(x, np.ones(6), np.zeros(6))
            outs.append((y, m, v) + batchnorm_numba.backward(dy, cache))
    finally:
        numba.set_num_threads(before)
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("mod", [batchnorm_reference, batchnorm_numba],
                         ids=["reference", "numba"])
def test_bad_input_is_refused_before_any_compiled_code(mod):
    who = mod.__name__.rsplit(".", 1)[1]
    x, g = np.zeros((2, 3, 2, 2)), np.ones(3)
    with pytest.raises(ValueError, match=rf"{who}.forward: expected x of shape \(N, C, H, W\)"):
        mod.forward(np.zeros((2, 3)), g, g)
    with pytest.raises(ValueError, match=rf"{who}.forward: expected gamma of shape \(3,\)"):
        mod.forward(x, np.ones(4), g)
    with pytest.raises(ValueError, match=r"expected beta of shape \(3,\)"):
        mod.forward(x, g, np.ones((3, 1)))
    with pytest.raises(TypeError, match="expected x with a float32 or float64 dtype, got int64"):
        mod.forward(x.astype(np.int64), g, g)
    with pytest.raises(TypeError, match="expected x to be a numpy array, got list"):
        mod.forward([[1.0]], g, g)
    with pytest.raises(ValueError, match="eps to be a number > 0"):
        mod.forward(x, g, g, eps=0.0)
    with pytest.raises(ValueError, match="both mean and var"):
        mod.forward(x, g, g, 1e-5, np.zeros(3))
    with pytest.raises(ValueError, match=r"expected var of shape \(3,\)"):
        mod.forward(x, g, g, 1e-5, np.zeros(3), np.ones(2))
    with pytest.raises(ValueError, match="at least one value per channel"):
        mod.forward(np.zeros((0, 3, 2, 2)), g, g)
    y, cache, _, _ = mod.forward(x, g, g)
    with pytest.raises(ValueError, match=rf"{who}.backward: expected dy of shape \(2, 3, 2, 2\)"):
        mod.backward(np.zeros((2, 3, 2, 1)), cache)
    empty, _, _, _ = mod.forward(np.zeros((0, 3, 2, 2)), g, g, 1e-5, np.zeros(3), np.ones(3))
    assert empty.shape == (0, 3, 2, 2)                  # eval mode: an empty batch is fine


# ----- the layer on each backend -------------------------------------------------------------------
@settings(max_examples=20)
@given(case=bn_cases(max_side=6), momentum=st.floats(0.0, 1.0))
def test_the_layer_gives_the_same_numbers_on_both_backends(case, momentum):
    x, gamma, beta, dy, mean, var = case
    outs = []
    for backend in ("reference", "numba"):
        with_dtype = x.dtype.type
        layer = BatchNorm2D(x.shape[1], momentum=momentum, backend=backend).astype(with_dtype)
        layer.params["gamma"][...], layer.params["beta"][...] = gamma, beta
        if mean is not None:
            layer.buffers["running_mean"][...], layer.buffers["running_var"][...] = mean, var
            layer.eval()
        y = layer.forward(x)
        dx = layer.backward(dy)
        outs.append((y, dx, layer.grads["gamma"], layer.grads["beta"],
                     layer.buffers["running_mean"], layer.buffers["running_var"]))
        assert y.dtype == dx.dtype == layer.buffers["running_mean"].dtype == with_dtype
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, **TOL[x.dtype.type])


@pytest.mark.parametrize("backend", ["reference", "numba"])
@pytest.mark.parametrize("train", [True, False])
def test_the_layer_passes_gradcheck_on_each_backend(backend, train):
    rng = np.random.default_rng(7)
    layer = BatchNorm2D(3, backend=backend)
    layer.params["gamma"][...] = rng.normal(size=3)
    layer.params["beta"][...] = rng.normal(size=3)
    layer.forward(rng.normal(size=(4, 3, 3, 3)) * 2 + 1)     # non-trivial running statistics
    layer.train() if train else layer.eval()
    report = check_layer(layer, rng.normal(size=(2, 3, 3, 4)))
    assert report.passed, str(report)


def test_the_layer_follows_the_global_backend_and_names_bad_ones(monkeypatch):
    import scratchnet
    from scratchnet.kernels import backend as backend_mod
    monkeypatch.setattr(backend_mod, "_backend", None)
    layer = BatchNorm2D(2)
    scratchnet.set_backend("reference")
    layer.forward(np.ones((2, 2, 2, 2)))
    assert layer.load_cache()["backend"] == "reference"
    monkeypatch.setattr(backend_mod, "_backend", None)
    layer.forward(np.ones((2, 2, 2, 2)))
    assert layer.load_cache()["backend"] == "numba"
    with pytest.raises(ValueError, match="BatchNorm2D: unknown backend 'fast'"):
        BatchNorm2D(2, backend="fast")


@pytest.mark.torch
def test_the_numba_layer_matches_torch_in_float32(torch):
    rng = np.random.default_rng(8)
    x = (rng.normal(size=(16, 4, 8, 8)) * 3 + 2).astype(np.float32)
    dy = rng.normal(size=x.shape).astype(np.float32)
    ours = BatchNorm2D(4, backend="numba").astype(np.float32)
    theirs = torch.nn.BatchNorm2d(4)
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    yt.backward(torch.tensor(dy))
    np.testing.assert_allclose(ours.forward(x), yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours.backward(dy), xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours.grads["gamma"], theirs.weight.grad.numpy(), rtol=1e-4)
    np.testing.assert_allclose(ours.buffers["running_var"], theirs.running_var.numpy(),
                               rtol=1e-5)


# ----- threads ---------------------------------------------------------------------------------------
HAMMER = """
import threading
import numpy as np
from scratchnet.kernels import batchnorm_numba, threads

rng = np.random.default_rng(0)
cases = [(rng.standard_normal((8, 4, 9, 9)), rng.standard_normal((8, 4, 9, 9))) for _ in range(4)]
g, b = np.full(4, 1.5), np.full(4, 0.5)

def run(x, dy):
    y, cache, m, v = batchnorm_numba.forward(x, g, b)
    return (y, m, v) + batchnorm_numba.backward(dy, cache)

expected = [run(x, dy) for x, dy in cases]
wrong, errors = [], []

def hammer(t):
    try:
        for r in range(40):
            i = (t + r) % 4
            if not all(np.array_equal(a, e) for a, e in zip(run(*cases[i]), expected[i])):
                wrong.append(i)
    except Exception as exc:
        errors.append(repr(exc))

workers = [threading.Thread(target=hammer, args=(t,)) for t in range(4)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print("layer", threads.threading_layer())
print("wrong", len(wrong), "errors", errors)
"""


@pytest.mark.parametrize("layer", ["workqueue", "tbb"])
def test_threads_calling_the_kernel_at_once_get_only_right_answers(layer):
    """Four threads call forward and backward together, each on its own arrays; on workqueue
    (which aborts the process on concurrent parallel launches) the calls take turns."""
    if layer == "tbb" and threads.tbb_library_path() is None:
        pytest.skip("the tbb wheel is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_THREADING_LAYER")}
    env["NUMBA_THREADING_LAYER"] = layer
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(HAMMER)], env=env,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"the process died: {done.returncode}\n{done.stderr[-2000:]}"
    assert f"layer {layer}" in done.stdout
    assert "wrong 0 errors []" in done.stdout, done.stdout


def test_one_layer_object_in_threads_forward_in_eval_mode():
    """forward alone (predict) on one eval-mode layer from several threads: right answers."""
    rng = np.random.default_rng(9)
    layer = BatchNorm2D(3).eval()
    layer.buffers["running_var"][...] = [0.5, 1.0, 2.0]
    xs = [rng.normal(size=(4, 3, 5, 5)) for _ in range(3)]
    expected = [layer.forward(x) for x in xs]
    wrong = []

    def work(t):
        for r in range(30):
            i = (t + r) % 3
            if not np.array_equal(layer.forward(xs[i]), expected[i]):
                wrong.append(i)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not wrong


# ----- the benchmark does not rot --------------------------------------------------------------------
def test_the_regularization_benchmark_runs_in_quick_mode():
    env = dict(os.environ, SCRATCHNET_BACKEND="numba")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_regularization.py"),
                           "--quick"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for row in ("BatchNorm2D fwd+bwd", "ResNet step", "Dropout fwd+bwd"):
        line = next((ln for ln in out.splitlines() if ln.startswith(row)), None)
        assert line is not None, f"no row {row!r} in:\n{out}"
    assert "torch: not used" in out
