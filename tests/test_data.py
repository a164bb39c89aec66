"""Tests of scratchnet.data: train_test_split, the scalers, one_hot and batches."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scratchnet.data import MinMaxScaler, StandardScaler, batches, one_hot, train_test_split


# ----- train_test_split ---------------------------------------------------------------------------
@given(n=st.integers(2, 80), frac=st.floats(0.05, 0.95), seed=st.integers(0, 2**31))
def test_split_sizes_partition_and_pairing(n, frac, seed):
    x = np.arange(n * 3, dtype=float).reshape(n, 3)
    y = np.arange(n)
    n_test = int(np.ceil(frac * n))
    if not 1 <= n_test <= n - 1:
        with pytest.raises(ValueError, match="train_test_split"):
            train_test_split(x, y, test_size=frac, rng=seed)
        return
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=frac, rng=seed)
    assert len(x_te) == len(y_te) == n_test and len(x_tr) == len(y_tr) == n - n_test
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(n))   # a partition
    np.testing.assert_array_equal(x_tr[:, 0], 3 * y_tr)                       # rows stay paired
    np.testing.assert_array_equal(x_te[:, 0], 3 * y_te)
    again = train_test_split(x, y, test_size=frac, rng=seed)
    np.testing.assert_array_equal(again[3], y_te)


def test_split_without_shuffle_keeps_order_and_int_size():
    x, y = np.arange(10).reshape(10, 1), np.arange(10)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=3, shuffle=False)
    np.testing.assert_array_equal(y_tr, np.arange(7))
    np.testing.assert_array_equal(y_te, [7, 8, 9])


@given(counts=st.lists(st.integers(2, 40), min_size=2, max_size=5),
       frac=st.floats(0.1, 0.5), seed=st.integers(0, 2**31))
def test_stratified_split_keeps_class_proportions(counts, frac, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    x = np.arange(len(y)).reshape(-1, 1)
    _, x_te, y_tr, y_te = train_test_split(x, y, test_size=frac, stratify=True, rng=seed)
    n_test = int(np.ceil(frac * len(y)))
    assert len(y_te) == n_test
    share = np.bincount(y_te, minlength=len(counts))
    expected = n_test * np.array(counts) / len(y)
    assert np.all(np.abs(share - expected) < 1.0)           # each class within one sample
    np.testing.assert_array_equal(y[x_te[:, 0]], y_te)              # rows stay paired
    assert len(set(x_te[:, 0].tolist())) == n_test and len(y_tr) == len(y) - n_test


def test_stratified_split_on_imbalanced_labels():
    y = np.array([0] * 90 + [1] * 10)
    _, _, y_tr, y_te = train_test_split(np.zeros((100, 2)), y, test_size=0.2, stratify=True, rng=0)
    assert np.bincount(y_te).tolist() == [18, 2] and np.bincount(y_tr).tolist() == [72, 8]


@pytest.mark.parametrize("kwargs,match", [
    ({"y": np.arange(9)}, "same number of samples"),
    ({"test_size": 0.0}, "test_size"),
    ({"test_size": 1.5}, "test_size"),
    ({"test_size": 10}, "test samples out of 10"),
    ({"test_size": "half"}, "test_size"),
    ({"stratify": True, "shuffle": False}, "needs shuffle"),
    ({"stratify": True, "y": np.zeros((10, 2))}, r"\(N,\) labels"),
])
def test_split_validation(kwargs, match):
    args = {"x": np.zeros((10, 2)), "y": np.arange(10), **kwargs}
    with pytest.raises(ValueError, match=match):
        train_test_split(**args)


# ----- scalers --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_standard_scaler_statistics_and_round_trip(dtype):
    rng = np.random.default_rng(0)
    x = (rng.normal(5.0, 3.0, (50, 4)) * [1, 10, 100, 0.1]).astype(dtype)
    scaler = StandardScaler()
    z = scaler.fit_transform(x)
    assert z.dtype == dtype and z.shape == x.shape
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=0), 1, atol=1e-5)
    np.testing.assert_allclose(scaler.inverse_transform(z), x, rtol=1e-5)
    x_new = rng.normal(0, 1, (7, 4))
    np.testing.assert_allclose(scaler.transform(x_new), (x_new - scaler.mean_) / scaler.std_)


@pytest.mark.parametrize("lo,hi", [(0, 1), (-1, 1), (2, 5)])
def test_minmax_scaler_range_and_round_trip(lo, hi):
    x = np.random.default_rng(1).uniform(-50, 50, (30, 3))
    scaler = MinMaxScaler(feature_range=(lo, hi))
    s = scaler.fit_transform(x)
    np.testing.assert_allclose(s.min(axis=0), lo)
    np.testing.assert_allclose(s.max(axis=0), hi)
    np.testing.assert_allclose(scaler.inverse_transform(s), x)
    np.testing.assert_allclose(scaler.transform(x[:1] + 1000)[0] > hi, True)   # no clipping


@pytest.mark.parametrize("make", [StandardScaler, MinMaxScaler])
def test_scalers_constant_feature_and_images(make):
    x = np.column_stack([np.full(8, 3.0), np.arange(8.0)])
    with np.errstate(all="raise"):                      # no division by zero anywhere
        out = make().fit(x).transform(x)
    assert np.all(np.isfinite(out)) and np.all(out[:, 0] == out[0, 0])
    imgs = np.random.default_rng(0).uniform(0, 255, (6, 2, 3, 3))
    scaler = make().fit(imgs)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(imgs)), imgs)
    assert make().fit_transform(np.arange(6).reshape(3, 2)).dtype == np.float64   # ints -> float


@pytest.mark.parametrize("make", [StandardScaler, MinMaxScaler])
def test_scalers_errors(make):
    with pytest.raises(RuntimeError, match="fit"):
        make().transform(np.zeros((2, 3)))
    scaler = make().fit(np.random.default_rng(0).normal(size=(5, 3)))
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(4, 2\)"):
        scaler.transform(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="inverse_transform"):
        scaler.inverse_transform(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="nan"):
        make().fit(np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match="at least one sample"):
        make().fit(np.zeros((0, 3)))
    with pytest.raises(TypeError, match="dtype"):
        make().fit(np.array([["a"], ["b"]]))


def test_minmax_bad_range():
    for bad in [(1, 1), (2, 0), (0,), "ab", (0, np.inf)]:
        with pytest.raises(ValueError, match="MinMaxScaler"):
            MinMaxScaler(feature_range=bad)


# ----- one_hot ----------------------------------------------------------------------------------
def test_one_hot_values_and_dtype():
    y = np.array([2, 0, 1, 2])
    out = one_hot(y)
    assert out.shape == (4, 3) and out.dtype == np.float64
    np.testing.assert_array_equal(out.argmax(axis=1), y)
    np.testing.assert_array_equal(out.sum(axis=1), 1)
    assert one_hot(y, k=5, dtype=np.float32).shape == (4, 5)
    assert one_hot(y, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(one_hot(np.array([1.0, 0.0])), [[0, 1], [1, 0]])   # whole floats
    assert one_hot(np.array([], dtype=int), k=3).shape == (0, 3)


@pytest.mark.parametrize("y,k,err,match", [
    ([0, 3], 3, ValueError, r"0\.\.2"),
    ([-1, 0], None, ValueError, "0..0|from -1"),
    ([0.5, 1.0], None, ValueError, "non-integer"),
    ([[0, 1]], None, ValueError, r"shape \(N,\)"),
    (["a", "b"], None, TypeError, "integer labels"),
    ([0, 1], 0, ValueError, "k"),
    ([], None, ValueError, "empty"),
    ([0, 1], 2.5, ValueError, "k"),
])
def test_one_hot_errors(y, k, err, match):
    with pytest.raises(err, match=match):
        one_hot(np.array(y), k=k)
    with pytest.raises(TypeError, match="one_hot"):
        one_hot([0, 1], dtype=np.int32)


# ----- batches ----------------------------------------------------------------------------------
@given(n=st.integers(1, 50), b=st.integers(1, 20), shuffle=st.booleans(), drop=st.booleans(),
       seed=st.integers(0, 2**31))
def test_batches_cover_every_sample_once(n, b, shuffle, drop, seed):
    x = np.arange(n * 2).reshape(n, 2)
    y = np.arange(n)
    loader = batches(x, y, batch_size=b, shuffle=shuffle, rng=seed, drop_last=drop)
    got = list(loader)
    assert len(got) == len(loader) == (n // b if drop else -(-n // b))
    for xb, yb in got:
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)            # x and y stay paired
        assert len(xb) == b or (not drop and xb is got[-1][0])
    seen = np.concatenate([yb for _, yb in got]) if got else np.array([], int)
    if drop:
        assert len(seen) == (n // b) * b and len(set(seen.tolist())) == len(seen)
    else:
        assert sorted(seen.tolist()) == list(range(n))
    if not shuffle:
        np.testing.assert_array_equal(seen, np.arange(len(seen)))


def test_batches_seeded_epochs_repeat_and_differ():
    x = np.arange(100)
    first = [list(map(list, batches(x, batch_size=10, rng=7))) for _ in range(2)]
    assert first[0] == first[1]                                    # same seed, same order
    loader = batches(x, batch_size=10, rng=7)
    epoch1 = np.concatenate(list(loader))
    epoch2 = np.concatenate(list(loader))
    np.testing.assert_array_equal(epoch1, np.concatenate(first[0]))
    assert not np.array_equal(epoch1, epoch2)                      # a new order each epoch
    assert sorted(epoch2.tolist()) == list(range(100))


def test_batches_full_batch_without_y_and_copies():
    x = np.arange(12.0).reshape(6, 2)
    loader = batches(x, batch_size=None, shuffle=False)
    assert len(loader) == 1
    (xb,) = list(loader)
    np.testing.assert_array_equal(xb, x)
    xb[:] = -1                                                     # a copy, not a view
    assert x.min() == 0


@pytest.mark.parametrize("kwargs,match", [
    ({"batch_size": 0}, "batch_size"),
    ({"batch_size": 2.5}, "batch_size"),
    ({"y": np.arange(3)}, "same number of samples"),
    ({"x": np.float64(3.0)}, "sample axis"),
])
def test_batches_validation(kwargs, match):
    args = {"x": np.zeros((5, 2)), **kwargs}
    with pytest.raises(ValueError, match=match):
        batches(**args)
