"""Data augmentation (scratchnet/augment.py) and its affine warp kernels.

- warp_numba equals warp_reference to the last bit: random shapes (odd ones, 1 and 3 channels),
  random matrices, both sampling orders, both dtypes, NaN / inf pixels and fills.
- The warp does what its docstring says: the identity and whole-pixel shifts copy exactly,
  a 90-degree turn is np.rot90, a half-pixel point is the mean of its neighbours, and with
  fill 0 bilinear sampling is PyTorch's grid_sample (align_corners=True, zeros padding).
- Every transform keeps shape and dtype, never changes its input, returns a new array, is
  reproducible from its seed, and names itself in the errors of bad arguments.
- Compose fuses neighbouring warps into one, and Sequential.fit(augment=...) sees training
  batches only.
- benchmarks/bench_augment.py runs (--quick) and prints its tables.
"""
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import scratchnet
from scratchnet import Sequential
from scratchnet import augment as A
from scratchnet.kernels import backend as backend_mod
from scratchnet.kernels import threads, warp_numba, warp_reference
from scratchnet.layers import Dense, Flatten

ROOT = Path(__file__).resolve().parent.parent
DTYPES = (np.float32, np.float64)


@pytest.fixture(autouse=True)
def _restore_backend():
    saved = backend_mod._backend
    yield
    backend_mod._backend = saved


def identity(n):
    return np.tile(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), (n, 1, 1))


def images(rng, shape, dtype=np.float64, specials=True):
    """Random images, with a few NaN, +inf and -inf pixels when `specials`."""
    x = rng.standard_normal(shape).astype(dtype)
    if specials and x.size >= 3:
        flat = x.reshape(-1)
        idx = rng.choice(x.size, size=3, replace=False)
        flat[idx] = [np.nan, np.inf, -np.inf]
    return x


# ----- the kernels: numba against the reference -------------------------------------------------
@st.composite
def warp_cases(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    N = draw(st.integers(1, 4))
    C = draw(st.sampled_from([1, 3]))
    H, W = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    dtype = draw(st.sampled_from(DTYPES))
    x = images(rng, (N, C, H, W), dtype, specials=draw(st.booleans()))
    kind = draw(st.sampled_from(["random", "integer shift", "half shift", "identity"]))
    Am = identity(N)
    if kind == "random":
        Am = Am + rng.normal(scale=0.4, size=Am.shape)
        Am[:, :, 2] = rng.uniform(-3, 3, size=(N, 2))
    elif kind == "integer shift":
        Am[:, :, 2] = rng.integers(-3, 4, size=(N, 2))
    elif kind == "half shift":
        Am[:, :, 2] = rng.integers(-6, 7, size=(N, 2)) / 2
    fill = draw(st.sampled_from([0.0, -1.5, 0.25, np.nan]))
    order = draw(st.sampled_from(["bilinear", "nearest"]))
    return x, Am, fill, order


@given(warp_cases())
def test_numba_warp_equals_the_reference_bit_for_bit(case):
    x, Am, fill, order = case
    x0 = x.copy()
    ref = warp_reference.warp(x, Am, fill, order)
    fast = warp_numba.warp(x, Am, fill, order)
    assert fast.dtype == ref.dtype == x.dtype and fast.shape == ref.shape == x.shape
    np.testing.assert_array_equal(fast, ref)           # NaN where NaN, inf where inf
    np.testing.assert_array_equal(x, x0)               # the input is untouched


@pytest.mark.parametrize("order", ["bilinear", "nearest"])
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 3, 1, 7), (3, 1, 6, 1), (2, 3, 28, 28),
                                   (1, 1, 5, 12)])
def test_numba_warp_equals_the_reference_on_odd_shapes(shape, order):
    rng = np.random.default_rng(1)
    x = images(rng, shape, np.float32)
    Am = identity(shape[0]) + rng.normal(scale=0.2, size=(shape[0], 2, 3))
    np.testing.assert_array_equal(warp_numba.warp(x, Am, 0.5, order),
                                  warp_reference.warp(x, Am, 0.5, order))


def test_far_points_read_fill_exactly_in_both_kernels():
    """Shifted far away (even by 1e11 pixels), every pixel is the fill itself."""
    x = np.ones((2, 1, 4, 5))
    Am = identity(2)
    Am[0, 0, 2], Am[1, 1, 2] = 1e11, -7.5
    for mod in (warp_reference, warp_numba):
        for order in ("bilinear", "nearest"):
            out = mod.warp(x, Am, 0.3, order)
            assert np.all(out == 0.3), (mod.__name__, order)


def test_empty_batch():
    x = np.zeros((0, 1, 4, 4))
    for mod in (warp_reference, warp_numba):
        assert mod.warp(x, np.zeros((0, 2, 3))).shape == (0, 1, 4, 4)


# ----- what the warp computes ---------------------------------------------------------------------
@pytest.mark.parametrize("mod", [warp_reference, warp_numba], ids=["reference", "numba"])
@pytest.mark.parametrize("order", ["bilinear", "nearest"])
def test_identity_and_whole_pixel_shifts_copy_exactly(mod, order):
    rng = np.random.default_rng(2)
    x = images(rng, (2, 3, 5, 6))
    np.testing.assert_array_equal(mod.warp(x, identity(2), 0.0, order), x)
    Am = identity(2)
    Am[:, 0, 2], Am[:, 1, 2] = -1, 2          # output (i, j) reads (i - 1, j + 2)
    out = mod.warp(x, Am, 9.0, order)
    expected = np.full_like(x, 9.0)
    expected[:, :, 1:, :-2] = x[:, :, :-1, 2:]
    np.testing.assert_array_equal(out, expected)


def test_a_quarter_turn_is_rot90():
    rng = np.random.default_rng(3)
    x = rng.random((2, 3, 7, 7))
    M = A.rotation(np.full(2, 90.0), 7, 7)
    np.testing.assert_array_equal(A.warp(x, A.inverse_2x3(M), order="nearest"),
                                  np.rot90(x, 1, axes=(2, 3)))
    np.testing.assert_allclose(A.warp(x, A.inverse_2x3(M)), np.rot90(x, 1, axes=(2, 3)),
                               atol=1e-14)


def test_bilinear_at_half_pixels_is_the_mean_of_the_neighbours():
    x = np.arange(20.0).reshape(1, 1, 4, 5)
    Am = identity(1)
    Am[0, 0, 2] = Am[0, 1, 2] = 0.5           # (i + 0.5, j + 0.5): the middle of 4 pixels
    out = A.warp(x, Am, fill=0.0)
    mean4 = (x[0, 0, :-1, :-1] + x[0, 0, :-1, 1:] + x[0, 0, 1:, :-1] + x[0, 0, 1:, 1:]) / 4
    np.testing.assert_allclose(out[0, 0, :-1, :-1], mean4, rtol=1e-15)
    # the last row and column blend the image with the fill: half of it is outside
    np.testing.assert_allclose(out[0, 0, -1, :-1], (x[0, 0, -1, :-1] + x[0, 0, -1, 1:]) / 4)


def test_a_constant_image_with_the_same_fill_stays_constant():
    """The four bilinear weights add up to 1, so a warp of a constant is that constant."""
    rng = np.random.default_rng(4)
    x = np.full((3, 1, 6, 6), 0.7)
    Am = identity(3) + rng.normal(scale=0.3, size=(3, 2, 3))
    np.testing.assert_allclose(A.warp(x, Am, fill=0.7), 0.7, rtol=1e-14)


def test_nan_spreads_only_to_pixels_that_read_it():
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 2] = np.nan
    Am = identity(1)
    Am[0, 1, 2] = 0.5                          # reads between columns j and j + 1
    out = A.warp(x, Am)
    assert set(zip(*np.nonzero(np.isnan(out[0, 0])))) == {(2, 1), (2, 2)}


@pytest.mark.torch
def test_bilinear_matches_torch_grid_sample(torch):
    """For finite images and fill 0, our bilinear warp is grid_sample(align_corners=True,
    padding_mode="zeros"), whose grid holds (x, y) = (column, row) scaled to [-1, 1]."""
    rng = np.random.default_rng(5)
    N, C, H, W = 3, 2, 7, 9
    x = rng.standard_normal((N, C, H, W))
    Am = identity(N) + rng.normal(scale=0.3, size=(N, 2, 3))
    ours = A.warp(x, Am, fill=0.0)
    i, j = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    r = Am[:, 0, 0, None, None] * i + Am[:, 0, 1, None, None] * j + Am[:, 0, 2, None, None]
    c = Am[:, 1, 0, None, None] * i + Am[:, 1, 1, None, None] * j + Am[:, 1, 2, None, None]
    grid = np.stack([2 * c / (W - 1) - 1, 2 * r / (H - 1) - 1], axis=-1)       # (N, H, W, 2)
    theirs = torch.nn.functional.grid_sample(torch.from_numpy(x), torch.from_numpy(grid),
                                             mode="bilinear", padding_mode="zeros",
                                             align_corners=True).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


@pytest.mark.parametrize("bad, error, words", [
    (dict(x=[[1.0]]), TypeError, "NumPy array"),
    (dict(x=np.zeros((1, 1, 2, 2), np.int64)), TypeError, "float32 or float64"),
    (dict(x=np.zeros((1, 2, 2))), ValueError, "(N, C, H, W)"),
    (dict(inverse=np.zeros((2, 2, 3))), ValueError, "(N, 2, 3) = (1, 2, 3)"),
    (dict(inverse=np.full((1, 2, 3), np.nan)), ValueError, "finite"),
    (dict(inverse=np.full((1, 2, 3), 1e13)), ValueError, "at most"),
    (dict(inverse=np.array([[["a", "b", "c"]] * 2])), TypeError, "real numbers"),
    (dict(fill="zero"), TypeError, "fill"),
    (dict(order="cubic"), ValueError, "'nearest' or 'bilinear'"),
])
@pytest.mark.parametrize("mod", [warp_reference, warp_numba], ids=["reference", "numba"])
def test_warp_rejects_bad_arguments_by_name(mod, bad, error, words):
    args = dict(x=np.zeros((1, 1, 2, 2)), inverse=identity(1), fill=0.0, order="bilinear")
    args.update(bad)
    with pytest.raises(error, match=re.escape(words)) as info:
        mod.warp(**args)
    assert mod.__name__.rsplit(".", 1)[1] + ".warp" in str(info.value)


def test_warp_from_four_threads_on_workqueue():
    """workqueue aborts the process when two threads launch parallel work at once: the
    kernel takes turns through threads.serialized, and every thread gets its own numbers."""
    code = textwrap.dedent("""
        import threading
        import numpy as np
        from scratchnet import augment as A
        from scratchnet.kernels import threads
        rng = np.random.default_rng(0)
        xs = [rng.random((8, 3, 12, 12)) for _ in range(4)]
        Ms = [A.inverse_2x3(A.rotation(rng.uniform(-30, 30, 8), 12, 12)) for _ in range(4)]
        expected = [A.warp(x, M, backend="reference") for x, M in zip(xs, Ms)]
        wrong = []
        def work(t):
            for r in range(40):
                k = (t + r) % 4
                if not np.array_equal(A.warp(xs[k], Ms[k], backend="numba"), expected[k]):
                    wrong.append(k)
        ws = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        [w.start() for w in ws]
        [w.join() for w in ws]
        print("layer", threads.threading_layer(), "wrong", len(wrong))
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_THREADING_LAYER")}
    env["NUMBA_THREADING_LAYER"] = "workqueue"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "layer workqueue wrong 0" in done.stdout, done.stdout


# ----- the transforms ---------------------------------------------------------------------------
def every_transform(seed=0):
    return [A.RandomTranslate(1.5, rng=seed), A.RandomRotate(20, rng=seed),
            A.RandomShear(15, rng=seed), A.RandomZoom((0.8, 1.2), rng=seed),
            A.RandomHorizontalFlip(rng=seed), A.Cutout(3, rng=seed),
            A.GaussianNoise(0.1, rng=seed),
            A.Compose([A.RandomRotate(10), A.Cutout(2), A.RandomTranslate(1)], rng=seed)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("t", every_transform(), ids=lambda t: t.name)
def test_every_transform_keeps_shape_dtype_and_input(t, dtype):
    x = np.random.default_rng(6).random((16, 3, 9, 10)).astype(dtype)
    x0 = x.copy()
    out = t(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert not np.shares_memory(out, x)
    np.testing.assert_array_equal(x, x0)
    assert not np.array_equal(out, x), "the transform changed nothing"


@pytest.mark.parametrize("k", range(len(every_transform())), ids=lambda k: every_transform()[k].name)
def test_the_same_seed_gives_the_same_batch_and_reseed_restarts(k):
    x = np.random.default_rng(7).random((8, 1, 8, 8))
    a, b, c = every_transform(3)[k], every_transform(3)[k], every_transform(4)[k]
    first = a(x)
    np.testing.assert_array_equal(first, b(x))
    assert not np.array_equal(first, c(x))
    assert not np.array_equal(first, a(x)), "the second batch drew the same numbers"
    a.reseed(3)
    np.testing.assert_array_equal(a(x), first)


@pytest.mark.parametrize("t", every_transform()[:-1], ids=lambda t: t.name)
def test_p_zero_changes_nothing(t):
    x = np.random.default_rng(8).random((6, 2, 7, 7))
    t.p = 0.0
    out = t(x)
    np.testing.assert_array_equal(out, x)
    assert out is not x


@pytest.mark.parametrize("t", [A.RandomTranslate(0), A.RandomRotate(0), A.RandomShear(0),
                               A.RandomZoom((1, 1))], ids=lambda t: t.name)
def test_zero_ranges_are_the_identity(t):
    x = images(np.random.default_rng(9), (4, 3, 6, 7))
    np.testing.assert_array_equal(t(x), x)


def test_geometric_transforms_use_their_matrices():
    """Each transform's output is warp() with the matrices it draws (same seed)."""
    x = np.random.default_rng(10).random((5, 1, 8, 8))
    for make in (lambda: A.RandomTranslate(2, p=0.6, rng=1, order="nearest"),
                 lambda: A.RandomRotate(30, rng=1, fill=0.5), lambda: A.RandomShear(20, rng=1),
                 lambda: A.RandomZoom(0.3, rng=1)):
        t, twin = make(), make()
        M = twin.matrices(x.shape)
        np.testing.assert_array_equal(t(x), A.warp(x, A.inverse_2x3(M), t.fill, t.order))


def test_rotation_turns_counter_clockwise_about_the_centre():
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, 2, 4] = 1.0                         # right of the centre
    M = A.rotation(np.array([90.0]), 5, 5)
    out = A.warp(x, A.inverse_2x3(M), order="nearest")
    assert out[0, 0, 0, 2] == 1.0 and out.sum() == 1.0     # now above the centre


def test_zoom_and_shear_keep_the_centre_pixel():
    x = np.random.default_rng(11).random((3, 1, 7, 7))
    for t in (A.RandomZoom((1.5, 2.0), rng=0), A.RandomShear(30, rng=0)):
        np.testing.assert_allclose(t(x)[:, 0, 3, 3], x[:, 0, 3, 3], rtol=1e-12)


def test_shear_leans_the_top_to_the_right():
    x = np.zeros((1, 1, 5, 5))
    x[0, 0, :, 2] = 1.0                          # a vertical stroke
    M = A.shear(np.array([45.0]), 5, 5)          # tan 45 = 1: one column per row
    out = A.warp(x, A.inverse_2x3(M), order="nearest")
    assert [int(np.argmax(row)) for row in out[0, 0]] == [4, 3, 2, 1, 0]


def test_horizontal_flip_mirrors_and_twice_is_the_identity():
    x = np.random.default_rng(12).random((4, 3, 5, 6))
    flip = A.RandomHorizontalFlip(p=1.0)
    np.testing.assert_array_equal(flip(x), x[..., ::-1])
    np.testing.assert_array_equal(flip(flip(x)), x)


def test_cutout_hides_one_square_in_all_channels():
    x = np.ones((200, 3, 10, 10))
    out = A.Cutout(4, rng=0)(x)
    hidden = out == 0
    assert np.array_equal(hidden[:, 0], hidden[:, 2])
    counts = hidden[:, 0].sum(axis=(1, 2))
    assert counts.max() == 16 and counts.min() >= 4        # cut by the border: at least 2 x 2
    for img in hidden[:, 0]:
        rows, cols = np.nonzero(img)
        assert img[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()   # a rectangle


def test_gaussian_noise_has_the_asked_std_and_respects_clip():
    x = np.full((50, 1, 20, 20), 0.5, dtype=np.float32)
    out = A.GaussianNoise(0.1, rng=0)(x)
    assert out.dtype == np.float32
    assert abs(float((out - x).std()) - 0.1) < 0.003 and abs(float((out - x).mean())) < 0.003
    clipped = A.GaussianNoise(1.0, rng=0, clip=(0.0, 1.0))(x)
    assert clipped.min() == 0.0 and clipped.max() == 1.0


def test_p_is_the_fraction_of_images_changed():
    x = np.random.default_rng(13).random((2000, 1, 4, 4))
    changed = np.any(A.GaussianNoise(0.1, p=0.3, rng=0)(x) != x, axis=(1, 2, 3))
    assert abs(changed.mean() - 0.3) < 0.04


@pytest.mark.parametrize("make, error, words", [
    (lambda: A.RandomTranslate(-1), ValueError, "RandomTranslate: expected max_shift in"),
    (lambda: A.RandomTranslate((1, 2, 3)), ValueError, "RandomTranslate: expected max_shift as"),
    (lambda: A.RandomTranslate("2"), TypeError, "RandomTranslate: expected max_shift to be a number"),
    (lambda: A.RandomRotate(200), ValueError, "RandomRotate: expected max_degrees in [0, 180]"),
    (lambda: A.RandomRotate(np.nan), ValueError, "RandomRotate: expected max_degrees to be a finite"),
    (lambda: A.RandomShear(85), ValueError, "RandomShear: expected max_degrees in [0, 80]"),
    (lambda: A.RandomZoom((1.2, 0.8)), ValueError, "RandomZoom: expected scale (lo, hi) with lo <= hi"),
    (lambda: A.RandomZoom(1.0), ValueError, "RandomZoom: expected scale in [0, 1)"),
    (lambda: A.RandomZoom((0, 1)), ValueError, "RandomZoom: expected scale in"),
    (lambda: A.RandomRotate(10, order="cubic"), ValueError, "RandomRotate: expected order"),
    (lambda: A.RandomRotate(10, fill="black"), TypeError, "RandomRotate: expected fill"),
    (lambda: A.RandomRotate(10, backend="gpu"), ValueError, "RandomRotate: unknown backend"),
    (lambda: A.RandomHorizontalFlip(p=1.5), ValueError, "RandomHorizontalFlip: expected p in [0, 1]"),
    (lambda: A.RandomHorizontalFlip(p=True), TypeError, "RandomHorizontalFlip: expected p to be"),
    (lambda: A.Cutout(0), ValueError, "Cutout: expected size >= 1"),
    (lambda: A.Cutout(2.5), TypeError, "Cutout: expected size as an int"),
    (lambda: A.GaussianNoise(-0.1), ValueError, "GaussianNoise: expected std in"),
    (lambda: A.GaussianNoise(0.1, clip=(1, 0)), ValueError, "GaussianNoise: expected clip (lo, hi) with"),
    (lambda: A.GaussianNoise(0.1, clip=0.5), TypeError, "GaussianNoise: expected clip as None"),
    (lambda: A.GaussianNoise(0.1, rng="seed"), TypeError, "rng: expected None"),
    (lambda: A.Compose(A.Cutout(2)), TypeError, "Compose: expected a list"),
    (lambda: A.Compose([A.Cutout(2), 3]), TypeError, "Compose: expected transforms"),
    (lambda: A.Compose([A.Cutout(2)], rng="x"), TypeError, "Compose: expected the seed"),
])
def test_bad_parameters_are_refused_by_name(make, error, words):
    with pytest.raises(error, match=re.escape(words)):
        make()


@pytest.mark.parametrize("bad, error, words", [
    ([[1.0]], TypeError, "a NumPy array"),
    (np.zeros((2, 1, 4, 4), np.uint8), TypeError, "float32 or float64, got uint8"),
    (np.zeros((2, 4, 4)), ValueError, "add the channel axis"),
    (np.zeros((2, 16)), ValueError, "(N, C, H, W)"),
])
@pytest.mark.parametrize("t", every_transform(), ids=lambda t: t.name)
def test_bad_batches_are_refused_by_name(t, bad, error, words):
    with pytest.raises(error, match=re.escape(words)) as info:
        t(bad)
    assert str(info.value).startswith(t.name + ":")


# ----- Compose ----------------------------------------------------------------------------------
def test_compose_fuses_neighbouring_warps_into_one():
    x = np.random.default_rng(14).random((6, 2, 9, 9))
    parts = lambda: [A.RandomRotate(25, rng=1), A.RandomZoom(0.2, rng=2),   # noqa: E731
                     A.RandomTranslate(1.5, rng=3)]
    fused = A.Compose(parts())(x)
    twins = parts()
    M = np.eye(3)
    for t in twins:
        M = t.matrices(x.shape) @ M
    np.testing.assert_array_equal(fused, A.warp(x, A.inverse_2x3(M)))
    # unfused: three warps; in the middle of a smooth image the two nearly agree
    y = np.sin(np.linspace(0, 1, 81)).reshape(1, 1, 9, 9).repeat(6, 0).repeat(2, 1)
    a, b = A.Compose(parts())(y), A.Compose(parts(), fuse=False)(y)
    assert np.abs(a - b)[:, :, 3:6, 3:6].max() < 0.02
    assert not np.array_equal(a, b)


def test_compose_does_not_fuse_warps_with_different_fill_or_order():
    x = np.random.default_rng(15).random((3, 1, 8, 8))
    ts = lambda: [A.RandomRotate(20, rng=1), A.RandomRotate(20, rng=2, fill=1.0)]  # noqa: E731
    a, b = ts()
    np.testing.assert_array_equal(A.Compose(ts())(x), b(a(x)))


def test_compose_applies_in_order_and_seeds_everything():
    x = np.random.default_rng(16).random((5, 1, 8, 8))
    flip, noise = A.RandomHorizontalFlip(p=1.0), A.GaussianNoise(0.1, rng=0)
    expected = A.GaussianNoise(0.1, rng=0)(x)[..., ::-1]
    np.testing.assert_allclose(A.Compose([noise, flip])(x), expected)
    a = A.Compose([A.RandomRotate(10), A.Cutout(2)], rng=5)
    b = A.Compose([A.RandomRotate(10), A.Cutout(2)], rng=5)
    np.testing.assert_array_equal(a(x), b(x))
    shared = np.random.default_rng(0)
    c = A.Compose([A.Cutout(2), A.Cutout(2)], rng=shared)
    assert c.transforms[0].rng is shared and c.transforms[1].rng is shared


def test_an_empty_compose_returns_a_copy():
    x = np.ones((2, 1, 3, 3))
    out = A.Compose([])(x)
    np.testing.assert_array_equal(out, x)
    assert out is not x


def test_compose_takes_plain_functions():
    x = np.ones((2, 1, 3, 3))
    np.testing.assert_array_equal(A.Compose([lambda b: b * 2, A.Cutout(1, p=0.0)])(x), 2 * x)


# ----- backends ---------------------------------------------------------------------------------
def test_transforms_follow_the_backend_choice():
    x = images(np.random.default_rng(17), (4, 3, 8, 8))
    make = lambda backend=None: A.RandomRotate(30, rng=0, backend=backend)   # noqa: E731
    ref, fast = make("reference")(x), make("numba")(x)
    np.testing.assert_array_equal(ref, fast)
    scratchnet.set_backend("reference")
    np.testing.assert_array_equal(make()(x), ref)
    with pytest.raises(ValueError, match="warp: unknown backend"):
        A.warp(x, identity(4), backend="tpu")


# ----- training ---------------------------------------------------------------------------------
def test_fit_augments_training_batches_only():
    rng = np.random.default_rng(18)
    x, y = rng.random((40, 1, 6, 6)), rng.integers(0, 3, 40)
    x_val, y_val = rng.random((13, 1, 6, 6)), rng.integers(0, 3, 13)
    seen = []
    aug = A.Compose([A.RandomTranslate(1), A.GaussianNoise(0.05)], rng=0)

    def recording(batch):
        seen.append(len(batch))
        return aug(batch)
    model = Sequential([Flatten(), Dense(36, 3, rng=0)])
    x0 = x.copy()
    model.fit(x, y, loss="cce", optimizer="sgd", epochs=3, batch_size=16,
              validation_data=(x_val, y_val), augment=recording, rng=0, verbose=0)
    assert seen == [16, 16, 8] * 3                       # 40 training images, 3 epochs
    np.testing.assert_array_equal(x, x0)


# ----- the benchmark ----------------------------------------------------------------------------
def test_the_benchmark_runs_quick():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_augment.py"),
                             "--quick"], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert re.search(r"^cpu: .+, os.cpu_count\(\) \d+", out, re.MULTILINE)
    for name in ("RandomTranslate", "RandomRotate", "RandomShear", "RandomZoom",
                 "RandomHorizontalFlip", "Cutout", "GaussianNoise", "Compose"):
        assert re.search(rf"^{name}\b.*\d+\.\d\d", out, re.MULTILINE), (name, out)
    assert re.search(r"^warp bilinear\s+reference\s+\d", out, re.MULTILINE), out
    assert re.search(r"^warp bilinear\s+numba\s+\d", out, re.MULTILINE), out
