"""Tests of the bundled regression set, load_penguins (scratchnet/datasets/bundled.py), and of the
part of tools/make_bundled_data.py that builds it from palmerpenguins' CSV.

The rebuild from the real wheel needs the wheel, which the tests never download:
    pip download palmerpenguins==0.1.6 --no-deps -d /tmp/pp
    SCRATCHNET_PENGUINS_WHEEL=/tmp/pp/palmerpenguins-0.1.6-py3-none-any.whl python -m pytest \
        tests/test_bundled_regression.py
Without it that one test is skipped; the others pin the committed values (a digest of the
arrays, the first row of the CSV, the published counts) so that any change to the file shows.
"""
import hashlib
import importlib.util
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

import scratchnet.datasets as datasets
from scratchnet.datasets import PENGUINS_FEATURES, PENGUINS_TARGET, load_penguins
from scratchnet.datasets.bundled import _DATA

ROOT = Path(__file__).resolve().parent.parent
NPZ = _DATA / "penguins.npz"
# sha256(x.tobytes() + y.tobytes()) of the committed arrays (C order, float64, little-endian)
ARRAYS_SHA256 = "6c454f7930fb83919f806d5dd7e57b62c07d5eb1c5352f1df33fc03d9d854fba"


def make_script():
    """tools/make_bundled_data.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("make_bundled_data",
                                                  ROOT / "tools" / "make_bundled_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def arrays_digest(x: np.ndarray, y: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(x, "<f8").tobytes()
                          + np.ascontiguousarray(y, "<f8").tobytes()).hexdigest()


# ----- the loader ------------------------------------------------------------------------------
def test_shapes_dtypes_and_names():
    x, y, features, target = load_penguins(return_names=True)
    assert x.shape == (333, 10) and x.dtype == np.float64
    assert y.shape == (333,) and y.dtype == np.float64
    assert features == PENGUINS_FEATURES and len(features) == x.shape[1]
    assert features[:4] == ("bill length (mm)", "bill depth (mm)", "flipper length (mm)", "male")
    assert target == PENGUINS_TARGET == "body mass (g)"
    x2, y2 = load_penguins()
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)


def test_exported_from_scratchnet_datasets():
    for name in ("load_penguins", "PENGUINS_FEATURES", "PENGUINS_TARGET"):
        assert name in datasets.__all__ and hasattr(datasets, name)


def test_values_match_the_source():
    x, y = load_penguins()
    # the CSV's first row: Adelie,Torgersen,39.1,18.7,181,3750,male,2007
    np.testing.assert_array_equal(x[0], [39.1, 18.7, 181, 1, 1, 0, 0, 0, 0, 1])
    assert y[0] == 3750.0
    # the 333 complete cases of palmerpenguins: 146 Adelie, 68 Chinstrap, 119 Gentoo;
    # 168 male and 165 female; islands Biscoe 163, Dream 123, Torgersen 47
    assert x[:, 4:7].sum(axis=0).tolist() == [146, 68, 119]
    assert x[:, 7:10].sum(axis=0).tolist() == [163, 123, 47]
    assert int(x[:, 3].sum()) == 168
    np.testing.assert_array_equal(x[:, 4:7].sum(axis=1), 1.0)     # one species per bird
    np.testing.assert_array_equal(x[:, 7:10].sum(axis=1), 1.0)    # one island per bird
    assert set(np.unique(x[:, 3:])) == {0.0, 1.0}
    assert y.min() == 2700 and y.max() == 6300 and abs(y.mean() - 4207.057) < 1e-3
    assert 32.1 <= x[:, 0].min() and x[:, 0].max() <= 59.6          # bill length, mm
    assert 172 <= x[:, 2].min() and x[:, 2].max() <= 231            # flipper length, mm
    assert np.all(np.isfinite(x)) and np.all(np.isfinite(y))


def test_committed_arrays_are_pinned():
    x, y = load_penguins()
    assert arrays_digest(x, y) == ARRAYS_SHA256


def test_file_loads_without_pickle_and_holds_only_x_and_y():
    with np.load(NPZ, allow_pickle=False) as f:
        assert sorted(f.files) == ["x", "y"]
        assert f["x"].dtype == np.float64 and f["y"].dtype == np.float64
    with zipfile.ZipFile(NPZ) as z:
        assert sorted(z.namelist()) == ["x.npy", "y.npy"]
    assert NPZ.stat().st_size < 200_000


def test_loader_returns_fresh_arrays():
    x, y = load_penguins()
    x[:] = 0
    y[:] = 0
    x2, y2 = load_penguins()
    assert x2[0, 0] == 39.1 and y2[0] == 3750.0


# ----- the script that made the file -----------------------------------------------------------
CSV_HEAD = "species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year\n"


def test_script_parses_rows_and_skips_missing_values():
    script = make_script()
    text = (CSV_HEAD + "Adelie,Torgersen,39.1,18.7,181,3750,male,2007\n"
            "Adelie,Torgersen,NA,NA,NA,NA,NA,2007\n"
            "Gentoo,Biscoe,44.5,14.3,216,4100,NA,2007\n"
            "Chinstrap,Dream,46.5,17.9,192,3500,female,2007\n")
    x, y = script.penguin_arrays(text.encode("ascii"))
    np.testing.assert_array_equal(x, [[39.1, 18.7, 181, 1, 1, 0, 0, 0, 0, 1],
                                      [46.5, 17.9, 192, 0, 0, 1, 0, 0, 1, 0]])
    np.testing.assert_array_equal(y, [3750, 3500])
    assert x.dtype == y.dtype == np.float64


@pytest.mark.parametrize("text, message", [
    ("species,island\nAdelie,Dream\n", "expected the header"),
    (CSV_HEAD + "Adelie,Torgersen,39.1,18.7,181,3750,male\n", "expected 8 fields"),
    (CSV_HEAD + "Emperor,Torgersen,39.1,18.7,181,3750,male,2007\n", "unexpected species"),
])
def test_script_rejects_a_csv_of_another_shape(text, message):
    with pytest.raises(ValueError, match=message):
        make_script().penguin_arrays(text.encode("ascii"))


def test_script_refuses_a_csv_with_another_checksum(tmp_path):
    script = make_script()
    script.OUT = tmp_path
    with pytest.raises(ValueError, match="sha256"):
        script.make_penguins((CSV_HEAD + "Adelie,Torgersen,39.1,18.7,181,3750,male,2007\n").encode())
    assert not (tmp_path / "penguins.npz").exists()


def test_script_and_docstring_record_source_licence_and_checksum():
    script_text = (ROOT / "tools" / "make_bundled_data.py").read_text()
    loader_doc = datasets.bundled.__doc__
    sha = make_script().PENGUINS_SHA256
    for text in (script_text, loader_doc):
        assert sha in text
        assert "palmerpenguins/data/penguins.csv" in text and "0.1.6" in text
        assert "CC0" in text and "10.1371/journal.pone.0090081" in text


@pytest.mark.skipif(not os.environ.get("SCRATCHNET_PENGUINS_WHEEL"),
                    reason="set SCRATCHNET_PENGUINS_WHEEL to palmerpenguins-0.1.6-py3-none-any.whl "
                           "to rebuild penguins.npz from it (the tests never download)")
def test_script_rebuilds_the_committed_file_value_for_value(tmp_path):
    script = make_script()
    script.OUT = tmp_path
    script.main([os.environ["SCRATCHNET_PENGUINS_WHEEL"]])
    with np.load(tmp_path / "penguins.npz", allow_pickle=False) as new, \
            np.load(NPZ, allow_pickle=False) as old:
        assert sorted(new.files) == sorted(old.files)
        for key in old.files:
            assert new[key].dtype == old[key].dtype
            np.testing.assert_array_equal(new[key], old[key])
        assert arrays_digest(new["x"], new["y"]) == ARRAYS_SHA256
