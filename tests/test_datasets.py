"""Tests of scratchnet.datasets: bundled sets, toy sets, and the MNIST / CIFAR-10 loaders.

The loaders are tested on tiny IDX and CIFAR files that the tests write, and the downloads on
bytes served by a fake urlopen: no test touches the network.
"""
import gzip
import hashlib
import io
import os
import re
import struct
import sys
import tarfile
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scratchnet.datasets import (BREAST_CANCER_CLASSES, BREAST_CANCER_FEATURES, CIFAR10_CLASSES,
                                 HOUSE_BASE_PRICE, HOUSE_PRICE_PER_100M2, blobs, circles, curve,
                                 house_prices, load_breast_cancer, load_cifar10, load_digits,
                                 load_mnist, moons, park, read_idx, spirals, xor)
from scratchnet.datasets import _download, cifar, mnist


# ----- bundled sets --------------------------------------------------------------------------
def test_digits_shapes_range_and_classes():
    x, y = load_digits()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert np.all(x * 16 == np.round(x * 16))             # counts 0..16 divided by 16
    # class counts of the UCI optdigits test part, as published with the data set
    assert np.bincount(y).tolist()[:5] == [178, 182, 177, 183, 181]
    assert sorted(set(y.tolist())) == list(range(10))


def test_digits_flat_matches_images():
    x, _ = load_digits()
    flat, _ = load_digits(flat=True)
    assert flat.shape == (1797, 64)
    np.testing.assert_array_equal(flat, x.reshape(1797, 64))


def test_breast_cancer_shapes_labels_names():
    x, y, features, classes = load_breast_cancer(return_names=True)
    assert x.shape == (569, 30) and x.dtype == np.float64 and np.all(np.isfinite(x))
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [212, 357]
    assert classes == BREAST_CANCER_CLASSES == ("malignant", "benign")
    assert len(features) == 30 == len(set(features)) and features == BREAST_CANCER_FEATURES
    assert features[0] == "radius (mean)" and features[20] == "radius (worst)"
    # first sample of the UCI file is malignant with mean radius 17.99 (label 0)
    assert x[0, 0] == 17.99 and y[0] == 0
    # malignant tumours are larger on average: a check that 0 really means malignant
    assert x[y == 0, 0].mean() > x[y == 1, 0].mean()
    x2, y2 = load_breast_cancer()
    np.testing.assert_array_equal(x2, x)


# ----- toy sets --------------------------------------------------------------------------------
CLASSIFIERS = [(spirals, 3), (moons, 2), (circles, 2), (xor, 2), (blobs, 3)]


@pytest.mark.parametrize("make,k", CLASSIFIERS)
@given(n=st.integers(1, 60), seed=st.integers(0, 2**31))
def test_toy_classification_shapes_balance_determinism(make, k, n, seed):
    x, y = make(n=n, rng=seed)
    assert x.shape == (n, 2) and x.dtype == np.float64 and np.all(np.isfinite(x))
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=k)
    assert len(counts) == k and counts.max() - counts.min() <= 1
    x2, y2 = make(n=n, rng=seed)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)


@pytest.mark.parametrize("make,k", CLASSIFIERS)
def test_toy_different_seeds_differ_and_generator_accepted(make, k):
    x0, _ = make(rng=0)
    x1, _ = make(rng=1)
    assert not np.allclose(x0, x1)
    x2, _ = make(rng=np.random.default_rng(0))
    np.testing.assert_array_equal(x0, x2)


def test_spirals_k_arms_radius_bounded():
    x, y = spirals(n=301, k=5, noise=0.0, rng=0)
    assert np.bincount(y).tolist() == [61, 60, 60, 60, 60]
    assert np.all(np.linalg.norm(x, axis=1) <= 1.0 + 1e-12)


def test_circles_radii_without_noise():
    x, y = circles(n=100, noise=0.0, factor=0.3, rng=0)
    r = np.linalg.norm(x, axis=1)
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)


def test_moons_without_noise_lie_on_their_arcs():
    x, y = moons(n=50, noise=0.0, rng=0)
    np.testing.assert_allclose(np.linalg.norm(x[y == 0], axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(x[y == 1] - [1.0, 0.5], axis=1), 1.0)
    assert np.all(x[y == 0, 1] >= 0) and np.all(x[y == 1, 1] <= 0.5)


def test_xor_without_noise_is_the_truth_table():
    x, y = xor(n=40, noise=0.0, rng=0)
    assert set(map(tuple, x.tolist())) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    np.testing.assert_array_equal(y, np.logical_xor(x[:, 0], x[:, 1]).astype(int))


def test_blobs_given_centers_any_dimension():
    centers = np.array([[0.0, 0, 0, 0], [100, 100, 100, 100]])
    x, y = blobs(n=30, centers=centers, std=0.5, rng=0)
    assert x.shape == (30, 4)
    assert np.all(np.abs(x - centers[y]) < 5)


def test_park_truth_table_and_samples():
    x, y = park()
    np.testing.assert_array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 0, 0, 1])
    assert x.dtype == y.dtype == np.float64
    xs, ys = park(n=10, rng=0)
    assert xs.shape == (10, 2) and ys.shape == (10,)
    np.testing.assert_array_equal(ys, xs[:, 0] * xs[:, 1])
    xn, yn = park(n=10, noise=0.1, rng=0)
    assert not np.array_equal(xn, xs) and set(yn.tolist()) <= {0.0, 1.0}


def test_park_course_table_in_the_course_order():
    x, y = park(table="course")
    np.testing.assert_array_equal(x, [[1, 0], [1, 1], [0, 1], [-1, 0], [-1, -1], [0, -1]])
    np.testing.assert_array_equal(y, [1, 1, 1, 0, 0, 0])
    assert x.dtype == y.dtype == np.float64
    # the line x1 + x2 = 0 separates it: every "go" row above, every "stay" row below
    assert np.all((x.sum(axis=1) > 0) == (y == 1))
    # the course's new point, raining but rich, is not one of its rows
    assert not any((row == [-1, 1]).all() for row in x)


def test_park_course_samples_repeat_its_rows_balanced():
    x, y = park(n=13, rng=0, table="course")
    assert x.shape == (13, 2) and y.shape == (13,)
    tx, ty = park(table="course")
    index = [int(np.flatnonzero((tx == row).all(axis=1))[0]) for row in x]
    np.testing.assert_array_equal(y, ty[index])
    counts = np.bincount(index, minlength=6)
    assert counts.max() - counts.min() <= 1
    x2, y2 = park(n=13, rng=0, table="course")
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    xn, yn = park(n=13, noise=0.1, rng=0, table="course")
    assert not np.array_equal(xn, x) and set(yn.tolist()) <= {0.0, 1.0}


def test_park_default_table_is_still_and():
    np.testing.assert_array_equal(park()[0], park(table="and")[0])
    np.testing.assert_array_equal(park(n=10, rng=3)[1], park(n=10, rng=3, table="and")[1])


def test_park_returns_fresh_arrays():
    x, y = park(table="course")
    x[0, 0], y[0] = 99.0, 99.0
    x2, y2 = park(table="course")
    assert x2[0, 0] == 1.0 and y2[0] == 1.0


def test_park_table_argument_checked():
    with pytest.raises(ValueError, match=r"park: expected table to be one of .*'xor'"):
        park(table="xor")
    with pytest.raises(TypeError, match=r"park: expected table .* got int"):
        park(table=1)


def test_house_prices_follow_the_documented_line():
    area, price = house_prices(n=2000, noise=20.0, rng=0)
    assert area.shape == price.shape == (2000, 1)
    assert 0.4 <= area.min() and area.max() <= 2.0
    slope, intercept = np.polyfit(area[:, 0], price[:, 0], 1)
    assert abs(slope - HOUSE_PRICE_PER_100M2) < 10 and abs(intercept - HOUSE_BASE_PRICE) < 10
    a0, p0 = house_prices(n=5, noise=0.0, rng=1)
    np.testing.assert_allclose(p0, HOUSE_BASE_PRICE + HOUSE_PRICE_PER_100M2 * a0)


@pytest.mark.parametrize("name,f", [("sin", np.sin), ("abs", np.abs), ("square", np.square),
                                    ("step", lambda x: (x >= 0) * 1.0)])
def test_curve_names(name, f):
    x, y = curve(name, n=41, x_range=(-2, 2))
    assert x.shape == y.shape == (41, 1)
    assert x[0, 0] == -2 and x[-1, 0] == 2 and np.all(np.diff(x[:, 0]) > 0)
    np.testing.assert_allclose(y, f(x))


def test_curve_callable_and_noise():
    x, y = curve(lambda t: 3 * t[:, 0] + 1, n=10)          # (n,) output is accepted
    np.testing.assert_allclose(y, 3 * x + 1)
    _, y1 = curve("sin", n=10, noise=0.5, rng=0)
    _, y2 = curve("sin", n=10, noise=0.5, rng=0)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(y1, np.sin(x))


@pytest.mark.parametrize("call,match", [
    (lambda: spirals(n=0), "spirals.*n >= 1"),
    (lambda: spirals(k=1), "spirals.*k >= 2"),
    (lambda: spirals(noise=-1), "spirals.*noise"),
    (lambda: moons(n=-5), "moons.*n >= 1"),
    (lambda: moons(noise=float("nan")), "moons.*noise"),
    (lambda: circles(factor=1.5), "circles.*factor"),
    (lambda: circles(factor=0.0), "circles.*factor"),
    (lambda: xor(noise=-0.1), "xor.*noise"),
    (lambda: blobs(centers=0), "blobs.*centers"),
    (lambda: blobs(centers=np.zeros(3)), "blobs.*centers"),
    (lambda: blobs(std=-1), "blobs.*std"),
    (lambda: park(n=0), "park.*n"),
    (lambda: house_prices(n=0), "house_prices.*n"),
    (lambda: curve("cube"), "curve.*unknown"),
    (lambda: curve("sin", x_range=(3, -3)), "curve.*x_range"),
    (lambda: curve(lambda t: t[:3]), "curve.*shape"),
    (lambda: curve(lambda t: np.full_like(t, np.inf)), "curve.*finite"),
])
def test_toy_argument_validation(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("call", [lambda: spirals(n=2.5), lambda: moons(n="10"),
                                  lambda: xor(noise="a"), lambda: curve(3),
                                  lambda: spirals(rng="seed")])
def test_toy_type_errors(call):
    with pytest.raises(TypeError):
        call()


# ----- MNIST IDX files -------------------------------------------------------------------------
def idx_bytes(array, magic=None):
    """An IDX file's bytes for a uint8 array (header: magic, then one uint32 per dim)."""
    array = np.asarray(array, dtype=np.uint8)
    magic = (0x0800 | array.ndim) if magic is None else magic
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_mnist(folder, n_train=6, n_test=4, gz=True, seed=0):
    """Write the four MNIST files for random images and labels; return the arrays."""
    rng = np.random.default_rng(seed)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
              "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
              "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test)}
    for name, a in arrays.items():
        data = idx_bytes(a)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return arrays


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_reads_own_files(tmp_path, gz):
    arrays = write_mnist(tmp_path, gz=gz)
    (x_tr, y_tr), (x_te, y_te) = load_mnist(tmp_path)
    assert x_tr.shape == (6, 1, 28, 28) and x_te.shape == (4, 1, 28, 28)
    assert x_tr.dtype == np.float32 and y_tr.dtype == np.int64
    assert 0.0 <= x_tr.min() and x_tr.max() <= 1.0
    np.testing.assert_allclose(x_tr[:, 0] * 255, arrays["train-images-idx3-ubyte"], atol=1e-3)
    np.testing.assert_array_equal(y_te, arrays["t10k-labels-idx1-ubyte"])


def test_load_mnist_uses_cache_folder_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRATCHNET_DATA", str(tmp_path))
    (tmp_path / "fashion-mnist").mkdir()
    write_mnist(tmp_path / "fashion-mnist", n_train=3, n_test=2)
    (x_tr, _), (x_te, _) = load_mnist(kind="fashion")
    assert len(x_tr) == 3 and len(x_te) == 2


def test_load_mnist_missing_file_message(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte.*download=True"):
        load_mnist(tmp_path)
    with pytest.raises(ValueError, match="kind"):
        load_mnist(tmp_path, kind="letters")


def idx_file(tmp_path, data, name="f-idx3-ubyte"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_read_idx_good_file(tmp_path):
    a = np.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(read_idx(idx_file(tmp_path, idx_bytes(a)), 2051), a)
    with pytest.raises(ValueError, match="2049 .labels. or 2051"):
        read_idx(idx_file(tmp_path, idx_bytes(a)), 2050)


@pytest.mark.parametrize("data,magic,match", [
    (idx_bytes(np.zeros((2, 3, 4)), magic=0x12340803), 2051, "bad magic number"),
    (idx_bytes(np.zeros((2, 3, 4)), magic=0x00000D03), 2051, "type byte 0x0d"),
    (idx_bytes(np.zeros(5)), 2051, "magic number 2049.*expected 2051"),   # labels as images
    (idx_bytes(np.zeros((2, 3, 4)))[:3], 2051, "truncated header"),
    (idx_bytes(np.zeros((3, 1, 1))), 2049, "magic number 2051.*expected 2049"),
    (idx_bytes(np.zeros((2, 3, 4)))[:10], 2051, "truncated header"),
    (idx_bytes(np.zeros((2, 3, 4)))[:-1], 2051, "truncated data"),
    (idx_bytes(np.zeros((2, 3, 4))) + b"\0", 2051, "extra bytes"),
    (b"", 2049, "truncated header"),
])
def test_read_idx_errors_name_the_file(tmp_path, data, magic, match):
    path = idx_file(tmp_path, data)
    with pytest.raises(ValueError, match=match) as info:
        read_idx(path, magic)
    assert str(path) in str(info.value)


def test_read_idx_bad_gzip(tmp_path):
    good = gzip.compress(idx_bytes(np.zeros((2, 3, 4))))
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        read_idx(idx_file(tmp_path, good[:len(good) // 2], "a.gz"), 2051)
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        read_idx(idx_file(tmp_path, good[:10] + b"\xff" * 30 + good[40:], "b.gz"), 2051)
    with pytest.raises(ValueError, match="not gzip data"):
        read_idx(idx_file(tmp_path, b"hello world", "c.gz"), 2051)


def test_load_mnist_count_mismatch_and_bad_images(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(5))))
    with pytest.raises(ValueError, match="6 images but .* 5 labels"):
        load_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.full(6, 12))))
    with pytest.raises(ValueError, match="label 12"):
        load_mnist(tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros((6, 20, 20)))))
    with pytest.raises(ValueError, match=r"\(20, 20\)"):
        load_mnist(tmp_path)


# ----- downloads, with a fake urlopen -----------------------------------------------------------
class FakeServer:
    """Stands in for urllib's urlopen: serves bytes per URL, records what was asked."""

    def __init__(self, files):
        self.files, self.asked = files, []

    def __call__(self, url, timeout=None):
        self.asked.append(url)
        if url not in self.files:
            raise OSError(f"404 for {url}")
        return io.BytesIO(self.files[url])


def test_download_mnist_verifies_and_places_files(tmp_path, monkeypatch):
    made = tmp_path / "made"
    made.mkdir()
    write_mnist(made)
    served, md5s = {}, {}
    for stem in mnist._FILES["digits"]:
        blob = (made / f"{mnist._file_name(stem)}.gz").read_bytes()
        served[mnist.MIRRORS["digits"][0] + f"{mnist._file_name(stem)}.gz"] = blob
        md5s[stem] = hashlib.md5(blob).hexdigest()
    monkeypatch.setitem(mnist._FILES, "digits", md5s)
    monkeypatch.setattr(_download, "urlopen", FakeServer(served))
    target = tmp_path / "cache"
    (x_tr, y_tr), _ = load_mnist(target, download=True)
    assert x_tr.shape == (6, 1, 28, 28)
    assert sorted(p.name for p in target.iterdir()) == sorted(f"{mnist._file_name(s)}.gz" for s in md5s)


def test_download_bad_checksum_leaves_no_file(tmp_path, monkeypatch):
    url = "https://example.invalid/f.gz"
    monkeypatch.setattr(_download, "urlopen", FakeServer({url: b"tampered bytes"}))
    dest = tmp_path / "f.gz"
    with pytest.raises(OSError, match="checksum mismatch"):
        _download.download([url], dest, hashlib.md5(b"real bytes").hexdigest(), "test")
    assert list(tmp_path.iterdir()) == []                 # no file, no leftover temp file


def test_download_tries_next_mirror(tmp_path, monkeypatch):
    blob = b"the real file"
    server = FakeServer({"https://b.invalid/f": blob})
    monkeypatch.setattr(_download, "urlopen", server)
    dest = _download.download(["https://a.invalid/f", "https://b.invalid/f"], tmp_path / "f",
                              hashlib.md5(blob).hexdigest(), "test")
    assert dest.read_bytes() == blob and len(server.asked) == 2
    with pytest.raises(OSError, match="a.invalid.*404"):
        _download.download(["https://a.invalid/f"], tmp_path / "g", "0" * 32, "test")
    assert not (tmp_path / "g").exists()


def test_data_home_default_and_env(monkeypatch, tmp_path):
    monkeypatch.delenv("SCRATCHNET_DATA", raising=False)
    assert _download.data_home("mnist").parts[-3:] == (".cache", "scratchnet", "mnist")
    monkeypatch.setenv("SCRATCHNET_DATA", str(tmp_path))
    assert _download.data_home("mnist") == tmp_path / "mnist"


# ----- CIFAR-10 binary files --------------------------------------------------------------------
def cifar_records(n, seed):
    """n random CIFAR records: labels (n,), pixels (n, 3, 32, 32) uint8, and their bytes."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n).astype(np.uint8)
    x = rng.integers(0, 256, (n, 3, 32, 32)).astype(np.uint8)
    return y, x, np.concatenate([y[:, None], x.reshape(n, -1)], axis=1).tobytes()


def cifar_files(with_meta=True):
    """{file name: bytes} for a tiny CIFAR-10: 2 images per training batch, 3 test images."""
    files = {f"data_batch_{i}.bin": cifar_records(2, i)[2] for i in range(1, 6)}
    files["test_batch.bin"] = cifar_records(3, 99)[2]
    if with_meta:
        files["batches.meta.txt"] = ("\n".join(CIFAR10_CLASSES) + "\n\n").encode()
    return files


def write_tar(path, files, prefix="cifar-10-batches-bin/"):
    with tarfile.open(path, "w:gz") as tar:
        for name, blob in files.items():
            info = tarfile.TarInfo(prefix + name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))


def check_tiny_cifar(result):
    (x_tr, y_tr), (x_te, y_te), names = result
    assert x_tr.shape == (10, 3, 32, 32) and x_te.shape == (3, 3, 32, 32)
    assert x_tr.dtype == np.float32 and y_tr.dtype == np.int64
    assert 0.0 <= x_tr.min() and x_tr.max() <= 1.0
    y, x, _ = cifar_records(3, 99)
    np.testing.assert_array_equal(y_te, y)
    np.testing.assert_allclose(x_te * 255, x, atol=1e-3)       # channel-major R, G, B planes
    y1, _, _ = cifar_records(2, 1)
    np.testing.assert_array_equal(y_tr[:2], y1)                 # batches in order 1..5
    assert names == CIFAR10_CLASSES


def test_cifar_from_extracted_folder(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    for name, blob in cifar_files().items():
        (folder / name).write_bytes(blob)
    check_tiny_cifar(load_cifar10(folder))
    check_tiny_cifar(load_cifar10(tmp_path))                    # parent of the extracted folder


def test_cifar_from_archive_without_extracting(tmp_path):
    write_tar(tmp_path / cifar.ARCHIVE, cifar_files())
    check_tiny_cifar(load_cifar10(tmp_path / cifar.ARCHIVE))
    check_tiny_cifar(load_cifar10(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == [cifar.ARCHIVE]   # nothing extracted


def test_cifar_hostile_member_paths_are_never_written(tmp_path):
    archive = tmp_path / "a.tar.gz"
    write_tar(archive, cifar_files(), prefix="../../evil/")
    check_tiny_cifar(load_cifar10(archive))
    assert not (tmp_path.parent.parent / "evil").exists()


def test_cifar_without_meta_uses_standard_names(tmp_path):
    write_tar(tmp_path / "c.tar.gz", cifar_files(with_meta=False))
    assert load_cifar10(tmp_path / "c.tar.gz")[2] == CIFAR10_CLASSES


def test_cifar_wrong_size_and_bad_label(tmp_path):
    files = cifar_files()
    files["data_batch_3.bin"] = files["data_batch_3.bin"][:-7]
    write_tar(tmp_path / "c.tar.gz", files)
    with pytest.raises(ValueError, match=r"data_batch_3.bin has 6139 bytes.*multiple of 3073"):
        load_cifar10(tmp_path / "c.tar.gz")
    with pytest.raises(ValueError, match="label 200"):
        cifar.parse_batch(bytes([200]) + bytes(3072), "x.bin")
    with pytest.raises(ValueError, match="0 bytes"):
        cifar.parse_batch(b"", "empty.bin")


def test_cifar_corrupt_or_incomplete_archive(tmp_path):
    write_tar(tmp_path / "c.tar.gz", cifar_files())
    blob = (tmp_path / "c.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(blob[:len(blob) // 2])
    with pytest.raises(ValueError, match="cut.tar.gz is not a readable"):
        load_cifar10(tmp_path / "cut.tar.gz")
    files = cifar_files()
    del files["test_batch.bin"]
    write_tar(tmp_path / "part.tar.gz", files)
    with pytest.raises(ValueError, match="lacks test_batch.bin"):
        load_cifar10(tmp_path / "part.tar.gz")


def test_cifar_missing_files_message(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"cifar-10-binary.tar.gz.*download=True"):
        load_cifar10(tmp_path)
    (tmp_path / "test_batch.bin").write_bytes(cifar_files()["test_batch.bin"])
    with pytest.raises(FileNotFoundError, match="data_batch_1.bin"):
        load_cifar10(tmp_path)


def test_cifar_download_checked_and_atomic(tmp_path, monkeypatch):
    write_tar(tmp_path / "made.tar.gz", cifar_files())
    blob = (tmp_path / "made.tar.gz").read_bytes()
    monkeypatch.setattr(_download, "urlopen", FakeServer({cifar.CIFAR10_URL: blob}))
    target = tmp_path / "bad"
    with pytest.raises(OSError, match="checksum mismatch"):      # the real MD5 cannot match
        load_cifar10(target, download=True)
    assert list(target.iterdir()) == []
    monkeypatch.setattr(cifar, "CIFAR10_MD5", hashlib.md5(blob).hexdigest())
    check_tiny_cifar(load_cifar10(tmp_path / "good", download=True))
    assert (tmp_path / "good" / cifar.ARCHIVE).read_bytes() == blob


# ----- reading only what the header promises (IDX), or what the index says (CIFAR) --------------
def gzip_stream(path, parts, total_zeros=0):
    """Write a .gz of the bytes `parts`, then `total_zeros` zero bytes streamed in 1 MB blocks."""
    block = bytes(1 << 20)
    with gzip.open(path, "wb", compresslevel=6) as f:
        for part in parts:
            f.write(part)
        while total_zeros > 0:
            f.write(block[:min(total_zeros, len(block))])
            total_zeros -= len(block)
    return path


def traced_peak(call):
    """(what call() raised, peak bytes traced by tracemalloc while it ran)."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as info:
            call()
        return info.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_read_idx_gz_with_trailing_data(tmp_path):
    path = gzip_stream(tmp_path / "t.gz", [idx_bytes(np.arange(10)), b"\x00" * 100])
    with pytest.raises(ValueError, match=r"extra bytes after the data: header says shape \(10,\)"):
        read_idx(path, 2049)


def test_read_idx_gz_bomb_is_refused_without_expanding_it(tmp_path):
    # A small .gz expanding to 64 MB after a 10-label header was expanded whole (twice the
    # memory at the peak) before its length was compared with the header's.
    path = gzip_stream(tmp_path / "bomb.gz", [idx_bytes(np.arange(10))], total_zeros=64 << 20)
    assert path.stat().st_size < 200_000
    error, peak = traced_peak(lambda: read_idx(path, 2049))
    assert "extra bytes after the data" in str(error) and str(path) in str(error)
    assert peak < 4 << 20, peak


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_header_promising_more_than_the_file_holds(tmp_path, gz):
    data = struct.pack(">IIII", 2051, 2**32 - 1, 28, 28) + bytes(5000)
    path = tmp_path / ("big.gz" if gz else "big-idx3-ubyte")
    path.write_bytes(gzip.compress(data) if gz else data)
    error, peak = traced_peak(lambda: read_idx(path, 2051))
    assert re.search(r"truncated data: header says shape \(4294967295, 28, 28\).*at most",
                     str(error)) and str(path) in str(error)
    assert peak < 1 << 20, peak


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_impossible_header_names_file_and_dims(tmp_path, gz):
    # (0, 2**32-1, 2**32-1) gave NumPy's "array is too big", without the file's name.
    data = struct.pack(">IIII", 2051, 0, 2**32 - 1, 2**32 - 1)
    path = tmp_path / ("zero.gz" if gz else "zero-idx3-ubyte")
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(ValueError, match=r"impossible header: dimensions "
                                         r"\(0, 4294967295, 4294967295\)") as info:
        read_idx(path, 2051)
    assert str(path) in str(info.value)


def test_read_idx_empty_set_and_bad_crc(tmp_path):
    empty = read_idx(idx_file(tmp_path, idx_bytes(np.zeros((0, 28, 28)))), 2051)
    assert empty.shape == (0, 28, 28)
    good = bytearray(gzip.compress(idx_bytes(np.arange(24).reshape(2, 3, 4))))
    good[-8] ^= 0xFF                                  # the CRC in the gzip trailer
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        read_idx(idx_file(tmp_path, bytes(good), "crc.gz"), 2051)


def test_cifar_errors_name_the_archive_and_member(tmp_path):
    files = cifar_files()
    files["data_batch_3.bin"] = files["data_batch_3.bin"][:-7]
    write_tar(tmp_path / "c.tar.gz", files)
    with pytest.raises(ValueError, match=r"c.tar.gz: cifar-10-batches-bin/data_batch_3.bin has "
                                         r"6139 bytes.*multiple of 3073"):
        load_cifar10(tmp_path / "c.tar.gz")
    files = cifar_files()
    files["batches.meta.txt"] = b"cat\ndog\nfrog\n"
    write_tar(tmp_path / "m.tar.gz", files)
    with pytest.raises(ValueError, match=r"m.tar.gz: cifar-10-batches-bin/batches.meta.txt "
                                         r"names 3 classes"):
        load_cifar10(tmp_path / "m.tar.gz")


def test_cifar_folder_errors_name_the_file(tmp_path):
    for name, blob in cifar_files().items():
        (tmp_path / name).write_bytes(blob)
    (tmp_path / "data_batch_2.bin").write_bytes(bytes(100))
    with pytest.raises(ValueError, match="has 100 bytes") as info:
        load_cifar10(tmp_path)
    assert str(tmp_path / "data_batch_2.bin") in str(info.value)


def test_cifar_oversized_member_is_refused_from_the_tar_header(tmp_path):
    # A 60 MB batch (20,000 images, compressed to 0.1 MB) was read whole, and accepted.
    files = cifar_files()
    files["data_batch_1.bin"] = bytes(20_000 * 3073)
    write_tar(tmp_path / "big.tar.gz", files)
    del files
    error, peak = traced_peak(lambda: load_cifar10(tmp_path / "big.tar.gz"))
    assert "data_batch_1.bin has 20000 images, more than the 10000" in str(error)
    assert peak < 4 << 20, peak


def test_cifar_archive_with_duplicates_or_too_many_entries(tmp_path):
    files = cifar_files()
    write_tar(tmp_path / "dup.tar.gz", {**files, "x/../data_batch_1.bin": files["test_batch.bin"]})
    with pytest.raises(ValueError, match="holds data_batch_1.bin twice"):
        load_cifar10(tmp_path / "dup.tar.gz")
    write_tar(tmp_path / "many.tar.gz", {**{f"junk{i}": b"" for i in range(100)}, **files})
    with pytest.raises(ValueError, match="many.tar.gz has more than 64 entries"):
        load_cifar10(tmp_path / "many.tar.gz")


def test_download_stops_a_server_that_sends_too_much(tmp_path, monkeypatch):
    url = "https://example.invalid/f.gz"
    monkeypatch.setattr(_download, "urlopen", FakeServer({url: bytes(3 << 20)}))
    dest = tmp_path / "f.gz"
    with pytest.raises(OSError, match=r"sent more than the 1048576 bytes expected") as info:
        _download.download([url], dest, "0" * 32, "test", max_bytes=1 << 20)
    assert str(dest) in str(info.value)                  # the full path, not just "f.gz"
    assert list(tmp_path.iterdir()) == []


def test_download_refuses_an_announced_size_that_is_too_big(tmp_path, monkeypatch):
    class Announcing(io.BytesIO):
        headers = {"Content-Length": str(5 << 20)}

    url = "https://example.invalid/f.gz"
    monkeypatch.setattr(_download, "urlopen", lambda u, timeout=None: Announcing(b"small"))
    with pytest.raises(OSError, match=r"announces 5242880 bytes"):
        _download.download([url], tmp_path / "f.gz", "0" * 32, "test", max_bytes=1 << 20)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_downloaded_file_honours_the_umask(tmp_path, monkeypatch):
    # The download kept mkstemp's private 0o600 mode: a shared data folder was unreadable.
    blob = b"the real file"
    monkeypatch.setattr(_download, "urlopen", FakeServer({"https://a.invalid/f": blob}))
    old = os.umask(0o022)
    try:
        dest = _download.download(["https://a.invalid/f"], tmp_path / "f",
                                  hashlib.md5(blob).hexdigest(), "test")
    finally:
        os.umask(old)
    assert oct(os.stat(dest).st_mode & 0o777) == oct(0o644)
