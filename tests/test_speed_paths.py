"""The fast paths of issue 14: reused memory (threads.empty_reused), the 2x2 pooling kernels,
ReLU into reused buffers, conv outputs from reused memory. Each must give the numbers of the
plain code, and a reused buffer must never be one that anybody still holds.
Nothing here is timed (benchmarks/bench_standalone.py times them).
"""
import threading

import numpy as np
import pytest

from scratchnet import Sequential
from scratchnet.kernels import kernels, threads
from scratchnet.layers import AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D, ReLU

BIG = (8, 6, 28, 28)          # float64: 300 KB, over threads.REUSE_MIN_BYTES


def owner(a):
    return a if a.base is None else a.base


# ----- threads.empty_reused -------------------------------------------------------------------
def test_empty_reused_never_hands_out_a_buffer_that_is_still_held():
    threads.clear_reused()
    a = threads.empty_reused("t.held", BIG, np.float64)
    b = threads.empty_reused("t.held", BIG, np.float64)
    assert owner(a) is not owner(b)
    view = a[1:, 2]                         # a view keeps its buffer alive
    ident = id(owner(a))
    del a
    c = threads.empty_reused("t.held", BIG, np.float64)
    assert id(owner(c)) != ident
    del view, c
    d = threads.empty_reused("t.held", BIG, np.float64)
    assert d.shape == BIG and d.dtype == np.float64


def test_empty_reused_reuses_a_dropped_buffer_and_keeps_slots_apart():
    threads.clear_reused()
    a = threads.empty_reused("t.reuse", BIG, np.float64)
    ident = id(owner(a))
    del a
    assert id(owner(threads.empty_reused("t.reuse", BIG, np.float64))) == ident
    assert id(owner(threads.empty_reused("t.other", BIG, np.float64))) != ident
    assert threads.empty_reused("t.reuse", BIG, np.float32).dtype == np.float32
    small = threads.empty_reused("t.reuse", (3, 4), np.float64)     # plain np.empty
    assert small.shape == (3, 4) and small.base is None


def test_empty_reused_gives_each_thread_its_own_buffers():
    threads.clear_reused()
    a = threads.empty_reused("t.thread", BIG, np.float64)
    ident = id(owner(a))
    del a
    seen = []
    t = threading.Thread(target=lambda: seen.append(
        id(owner(threads.empty_reused("t.thread", BIG, np.float64)))))
    t.start()
    t.join()
    assert seen[0] != ident


def test_outputs_held_by_the_caller_are_never_overwritten():
    """Two forwards of one layer: the first output, still held, keeps its numbers."""
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal(BIG), rng.standard_normal(BIG)
    for layer in (ReLU(), MaxPool2D(2), AvgPool2D(2), Conv2D(6, 4, 3, padding=1, rng=0)):
        y1 = layer.forward(x1)
        kept = y1.copy()
        y2 = layer.forward(x2)
        assert owner(y1) is not owner(y2)
        np.testing.assert_array_equal(y1, kept, err_msg=type(layer).__name__)
        d1 = layer.backward(np.ones_like(y2))
        kept_d = d1.copy()
        layer.backward(np.full_like(y2, 2.0))
        np.testing.assert_array_equal(d1, kept_d, err_msg=type(layer).__name__)


def test_a_training_loop_gives_the_same_parameters_as_plain_numpy_arithmetic():
    """Steps of a small LeNet: with reused buffers the weights follow exactly the path they
    follow when every buffer is fresh (clear_reused before every call)."""
    def run(clear):
        rng = np.random.default_rng(1)
        model = Sequential([Conv2D(1, 6, 5, padding=2, rng=0), ReLU(), MaxPool2D(2),
                            Conv2D(6, 4, 5, rng=1), ReLU(), AvgPool2D(2), Flatten(),
                            Dense(4 * 5 * 5, 10, rng=2)])
        for _ in range(3):
            x = rng.standard_normal((4, 1, 28, 28))
            if clear:
                threads.clear_reused()
            out = model.forward(x)
            model.backward(out - 1.0)
            for layer in model.layers:
                for k in layer.params:
                    layer.params[k] -= 0.01 * layer.grads[k]
        return [p.copy() for layer in model.layers for p in layer.params.values()]
    for a, b in zip(run(False), run(True)):
        np.testing.assert_array_equal(a, b)


# ----- ReLU --------------------------------------------------------------------------------------
def test_relu_equals_its_formula_with_nan_and_inf():
    rng = np.random.default_rng(2)
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal(BIG).astype(dtype)
        dy = rng.standard_normal(BIG).astype(dtype)
        x.flat[::7], x.flat[1::11], x.flat[2::13] = np.nan, np.inf, -np.inf
        x.flat[3::19], x.flat[4::23] = -0.0, 0.0
        x.flat[5::29], x.flat[6::31] = np.finfo(dtype).smallest_subnormal, -np.finfo(dtype).tiny
        dy.flat[::5], dy.flat[3::17] = np.nan, np.inf
        layer = ReLU()
        y = layer.forward(x)
        bits = np.uint32 if dtype == np.float32 else np.uint64     # -0.0 and 0.0 told apart
        np.testing.assert_array_equal(y.view(bits), np.maximum(x, 0).view(bits))
        with np.errstate(invalid="ignore"):
            np.testing.assert_array_equal(layer.backward(dy), dy * (x > 0))
        assert y.dtype == dtype


def test_zeros_shared_is_zeros_read_only_and_grows():
    small = threads.zeros_shared((2, 3), np.float32)
    assert small.shape == (2, 3) and small.dtype == np.float32 and not small.any()
    with pytest.raises(ValueError):
        small[0, 0] = 1.0                   # nothing may write into the shared zeros
    big = threads.zeros_shared((5, 7, 11), np.float32)
    assert big.shape == (5, 7, 11) and not big.any() and not big.flags.writeable
    assert threads.zeros_shared((4,), np.float64).dtype == np.float64
    assert not small.any()                  # the view handed out before is still zeros


# ----- the 2x2 pooling kernels --------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # inf - inf
@pytest.mark.parametrize("op", ["maxpool", "avgpool"])
@pytest.mark.parametrize("shape", [(2, 3, 8, 8), (2, 2, 7, 9), (1, 1, 2, 2), (3, 2, 5, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pool_2x2_kernels_equal_the_reference(op, shape, dtype):
    """stride 2, no padding: numba's own 2x2 kernels, odd sizes (a last row or column in no
    window, whose dx must be 0 in uninitialised memory), ties, NaN and inf."""
    rng = np.random.default_rng(3)
    x = rng.integers(-2, 3, size=shape).astype(dtype)        # many ties
    x.flat[::9], x.flat[4::13], x.flat[5::15] = np.nan, np.inf, -np.inf
    ref, fast = kernels(op, "reference"), kernels(op, "numba")
    out_r, cache_r = ref.forward(x, 2)
    for _ in range(3):                 # reused memory holds the last call's numbers: all cleared
        out_f, cache_f = fast.forward(x, 2)
        np.testing.assert_array_equal(np.isnan(out_f), np.isnan(out_r))
        np.testing.assert_allclose(out_f, out_r, rtol=1e-6, equal_nan=True)
        dout = rng.integers(1, 5, size=out_r.shape).astype(dtype)
        dout.flat[::7] = np.nan
        dout.flat[1::8] = -0.0
        dx_r, dx_f = ref.backward(dout, cache_r), fast.backward(dout, cache_f)
        np.testing.assert_array_equal(np.isnan(dx_f), np.isnan(dx_r))
        np.testing.assert_allclose(dx_f, dx_r, rtol=1e-6, equal_nan=True)
        if op == "maxpool":
            np.testing.assert_array_equal(np.signbit(dx_f), np.signbit(dx_r))   # 0 + -0.0 = 0.0


def test_maxpool_2x2_keeps_the_first_maximum_and_the_first_nan():
    x = np.array([[[[1.0, 3.0], [3.0, 2.0]]]])
    out, cache = kernels("maxpool", "numba").forward(x, 2)
    dx = kernels("maxpool", "numba").backward(np.ones_like(out), cache)
    np.testing.assert_array_equal(dx[0, 0], [[0, 1], [0, 0]])
    x = np.array([[[[1.0, np.nan], [np.nan, 5.0]]]])
    out, cache = kernels("maxpool", "numba").forward(x, 2)
    assert np.isnan(out).all()
    dx = kernels("maxpool", "numba").backward(np.ones_like(out), cache)
    np.testing.assert_array_equal(dx[0, 0], [[0, 1], [0, 0]])
