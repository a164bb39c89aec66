"""Tests of weights files and atomic writes: Sequential.save / load and the helpers under them.

A weights file is an .npz read without pickle. Whatever is in it, load either fills the model
or raises a clear error naming the file, and then the model is unchanged; a hostile file must
cost no more to refuse than its names and headers (a few hundred bytes each). Saving never
leaves a half file, honours the umask for a new file and keeps the mode of a file it replaces.
"""
import contextlib
import io
import json
import os
import re
import sys
import tempfile
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

from scratchnet import Sequential
from scratchnet.layers import Dense, ReLU
from scratchnet.io import atomic_write_bytes

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
MB = 1 << 20


def mlp(seed=0, dtype=np.float64):
    """Dense(2, 8) / ReLU / Dense(8, 2): parameters 0.W (2, 8), 0.b (8,), 2.W (8, 2), 2.b (2,)."""
    return Sequential([Dense(2, 8, rng=seed), ReLU(), Dense(8, 2, rng=seed + 1)]).astype(dtype)


def params_of(model):
    return {k: p.copy() for k, p in model.parameters().items()}


def assert_unchanged(model, before):
    for key, p in model.parameters().items():
        np.testing.assert_array_equal(p, before[key], err_msg=key)


def good_arrays(tmp_path):
    """The arrays of a good save of mlp(seed=1), by key (meta included)."""
    path = tmp_path / "good.npz"
    mlp(seed=1).save(path)
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def npy_header(shape, descr="<f8", fortran_order=False) -> bytes:
    """The bytes of a version 1.0 .npy header that claims this shape and dtype."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": fortran_order, "shape": tuple(shape)})
    return buffer.getvalue()


def write_zip(path, entries, compression=zipfile.ZIP_STORED):
    """A zip file of (name, bytes or a callable that writes into the entry's stream)."""
    with zipfile.ZipFile(path, "w", compression=compression, compresslevel=1) as zf:
        for name, content in entries:
            with zf.open(name, "w", force_zip64=True) as f:
                content(f) if callable(content) else f.write(content)
    return path


def npy_bytes(array) -> bytes:
    """The bytes of np.save(array)."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def zeros_member(shape, chunk=MB):
    """A writer for an .npy entry of float64 zeros of `shape`, streamed in 1 MB chunks."""
    def write(f):
        f.write(npy_header(shape))
        left = int(np.prod(shape)) * 8
        block = bytes(chunk)
        while left > 0:
            f.write(block[:min(left, chunk)])
            left -= chunk
    return write


def load_measured(model, path):
    """model.load(path) -> (the ValueError it raised, seconds, peak traced bytes)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ValueError) as info:
            model.load(path)
        return info.value, time.perf_counter() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ----- 1. file modes -----------------------------------------------------------------------------
@pytest.fixture
def umask():
    """Set the process umask for one test, and put the old one back afterwards."""
    old = os.umask(0o022)
    yield os.umask
    os.umask(old)


@posix_only
@pytest.mark.parametrize("mask,mode", [(0o077, 0o600), (0o022, 0o644), (0o027, 0o640)])
def test_new_files_honour_the_umask(tmp_path, umask, mask, mode):
    # Every saved file was chmod 0o644, whatever the umask: 0o077 asks for private files.
    umask(mask)
    mlp().save(tmp_path / "w.npz")
    atomic_write_bytes(tmp_path / "b.bin", b"data")
    assert oct(os.stat(tmp_path / "w.npz").st_mode & 0o777) == oct(mode)
    assert oct(os.stat(tmp_path / "b.bin").st_mode & 0o777) == oct(mode)


@posix_only
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_saving_over_a_file_keeps_its_mode(tmp_path, umask, mode):
    # Saving over a private 0o600 file made it world-readable (0o644).
    umask(0o022)
    path = tmp_path / "w.npz"
    path.write_bytes(b"old")
    os.chmod(path, mode)
    mlp().save(path)
    assert oct(os.stat(path).st_mode & 0o777) == oct(mode)
    np.testing.assert_array_equal(mlp(seed=5).load(path).parameters()["0.W"],
                                  mlp().parameters()["0.W"])


def test_reading_the_umask_leaves_it_as_it_was(tmp_path, umask):
    umask(0o027)
    mlp().save(tmp_path / "w.npz")
    assert os.umask(0o027) == 0o027


# ----- 5. odd paths are refused before any temporary file is made --------------------------------
def no_temp_files(monkeypatch):
    """Make tempfile.mkstemp fail the test if anything calls it."""
    def forbidden(*args, **kwargs):
        raise AssertionError(f"a temporary file was made: mkstemp{args}{kwargs}")
    monkeypatch.setattr(tempfile, "mkstemp", forbidden)


def test_save_to_an_empty_path_is_refused_at_once(tmp_path, monkeypatch):
    # save("") made its temporary file in the parent of the current folder, then failed.
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    no_temp_files(monkeypatch)
    with pytest.raises(ValueError, match=r"Sequential.*\.save: the path is empty \(''\)"):
        mlp().save("")
    assert sorted(os.listdir(tmp_path)) == ["here"] and os.listdir(tmp_path / "here") == []


@pytest.mark.parametrize("name", ["folder", "folder_slash", "missing_slash"])
def test_save_to_a_folder_is_refused_before_any_temp_file(tmp_path, monkeypatch, name):
    (tmp_path / "d").mkdir()
    path = {"folder": tmp_path / "d", "folder_slash": f"{tmp_path / 'd'}{os.sep}",
            "missing_slash": f"{tmp_path / 'new'}{os.sep}"}[name]
    no_temp_files(monkeypatch)
    with pytest.raises(IsADirectoryError, match=r"\.save: .*(is a folder|names a folder)"):
        mlp().save(path)
    assert sorted(os.listdir(tmp_path)) == ["d"] and os.listdir(tmp_path / "d") == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_save_over_a_pipe_is_refused(tmp_path, monkeypatch):
    os.mkfifo(tmp_path / "pipe")
    no_temp_files(monkeypatch)
    with pytest.raises(ValueError, match="pipe.*not a regular file"):
        mlp().save(tmp_path / "pipe")
    assert os.listdir(tmp_path) == ["pipe"]


def test_odd_path_values_are_clear_errors(tmp_path):
    with pytest.raises(TypeError, match=r"\.save: expected a file path .* got int"):
        mlp().save(3)
    with pytest.raises(ValueError, match="NUL"):
        mlp().save(f"{tmp_path}/w\0.npz")
    mlp().save(os.fsencode(tmp_path / "bytes.npz"))          # a bytes path is a path
    assert os.listdir(tmp_path) == ["bytes.npz"]


def test_no_permission_names_the_folder_not_the_temp_file(tmp_path, monkeypatch):
    # The error named only the hidden temporary file (".w.npz.abc123.tmp").
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", f"{tmp_path}/.w.npz.abc123.tmp")
    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(PermissionError, match=r"cannot write .*w.npz: no permission .* folder"):
        mlp().save(tmp_path / "w.npz")


def test_file_helpers_are_still_importable_from_model():
    # They moved to scratchnet/io.py; code that imported them from scratchnet.model still works.
    from scratchnet import io as files, model
    for name in ("atomic_write", "atomic_savez", "atomic_write_text", "atomic_write_bytes",
                 "NpzReader", "read_npz"):
        assert getattr(model, name) is getattr(files, name), name
    assert callable(model.read_meta)


def test_load_from_a_folder_says_so(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        mlp().load(tmp_path)


# ----- 2. values: NaN, inf, overflow -------------------------------------------------------------
@pytest.mark.parametrize("key,value,dtype,match", [
    ("0.W", np.nan, np.float64, r"parameter '0.W' holds NaN/inf"),
    ("2.b", np.inf, np.float64, r"parameter '2.b' holds NaN/inf"),
    ("2.W", -np.inf, np.float32, r"parameter '2.W' holds NaN/inf"),
    ("0.b", 1e300, np.float32, r"parameter '0.b' holds values up to 1e\+300 that overflow float32"),
    ("0.W", -3.5e38, np.float32, r"parameter '0.W' holds values up to 3.5e\+38 that overflow"),
])
def test_load_refuses_values_the_model_cannot_hold(tmp_path, key, value, dtype, match):
    # load accepted NaN and inf, and float64 values that overflow a float32 model (to inf).
    arrays = good_arrays(tmp_path)
    arrays[key] = arrays[key].copy()
    arrays[key].flat[-1] = value
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    model = mlp(dtype=dtype)
    before = params_of(model)
    with pytest.raises(ValueError, match=match) as info:
        model.load(path)
    assert str(path) in str(info.value)
    assert_unchanged(model, before)


def test_large_values_that_fit_are_loaded(tmp_path):
    arrays = good_arrays(tmp_path)
    arrays["0.b"] = np.full(8, 3e38)                           # below float32's 3.4e38
    np.savez(tmp_path / "big.npz", **arrays)
    model = mlp(dtype=np.float32).load(tmp_path / "big.npz")
    assert np.all(np.isfinite(model.parameters()["0.b"]))


# ----- 3. names and headers are checked before any data is read ----------------------------------
def test_a_huge_extra_entry_is_refused_without_reading_it(tmp_path):
    # A 0.4 MB file with a 128 MB extra entry was read whole before "unexpected key".
    arrays = good_arrays(tmp_path)
    path = write_zip(tmp_path / "extra.npz",
                     [(f"{k}.npy", npy_bytes(v)) for k, v in arrays.items()]
                     + [("junk.npy", zeros_member((16 * MB,)))], zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < MB
    model = mlp()
    before = params_of(model)
    error, seconds, peak = load_measured(model, path)
    assert "unexpected ['junk']" in str(error) and str(path) in str(error)
    assert peak < 4 * MB and seconds < 0.5, (peak, seconds)
    assert_unchanged(model, before)


def test_a_huge_entry_of_the_wrong_shape_is_refused_from_its_header(tmp_path):
    # The 128 MB entry was read whole before its shape was compared with the model's.
    arrays = good_arrays(tmp_path)
    entries = [(f"{k}.npy", npy_bytes(v)) for k, v in arrays.items() if k != "0.W"]
    path = write_zip(tmp_path / "wide.npz", entries + [("0.W.npy", zeros_member((4096, 4096)))],
                     zipfile.ZIP_DEFLATED)
    error, seconds, peak = load_measured(mlp(), path)
    assert re.search(r"'0.W' is float64 of shape \(4096, 4096\).*\(2, 8\)", str(error))
    assert peak < 4 * MB and seconds < 0.5, (peak, seconds)


def test_a_header_claiming_a_huge_shape_allocates_nothing(tmp_path):
    arrays = good_arrays(tmp_path)
    entries = [(f"{k}.npy", npy_bytes(v)) for k, v in arrays.items() if k != "0.W"]
    path = write_zip(tmp_path / "claim.npz",
                     entries + [("0.W.npy", npy_header((10**6, 10**6)) + bytes(128))])
    error, _, peak = load_measured(mlp(), path)
    assert re.search(r"'0.W' is float64 of shape \(1000000, 1000000\)", str(error))
    assert peak < 4 * MB


def test_the_metadata_size_is_bounded_before_it_is_read(tmp_path):
    # A header claiming a 400 MB string was allocated (and then read) before any check.
    arrays = good_arrays(tmp_path)
    entries = [(f"{k}.npy", npy_bytes(v)) for k, v in arrays.items() if k != "__meta__"]
    path = write_zip(tmp_path / "meta.npz",
                     entries + [("__meta__.npy", npy_header((), descr="<U100000000") + b"{}")])
    error, _, peak = load_measured(mlp(), path)
    assert re.search(r"entry '__meta__' is <U100000000 .*more than the \d+ allowed", str(error))
    assert peak < 4 * MB


def entries_but(arrays, key, content):
    """The good entries, with entry `key` replaced by `content` (bytes)."""
    return [(f"{k}.npy", content if k == key else npy_bytes(v)) for k, v in arrays.items()]


def malformed_archives(tmp_path):
    """name -> (path, expected message) for archives whose structure is wrong."""
    arrays = good_arrays(tmp_path)
    w = arrays["0.W"]
    cases = {
        "short_entry": (entries_but(arrays, "0.W", npy_bytes(w)[:-8]),
                        r"entry '0.W': its header promises float64 of shape \(2, 8\) "
                        r"\(128 bytes\) but it holds 120 bytes"),
        "trailing_bytes": (entries_but(arrays, "0.W", npy_bytes(w) + b"junk"),
                           r"entry '0.W': .* but it holds 132 bytes"),
        "fortran_order": (entries_but(arrays, "0.W", npy_bytes(np.asfortranarray(w))),
                          r"entry '0.W' is stored in Fortran order"),
        "object_param": (entries_but(arrays, "0.b", npy_header((8,), descr="|O") + bytes(64)),
                         r"entry '0.b' holds Python objects"),
        "not_npy": (entries_but(arrays, "0.b", b"not an npy file at all"),
                    r"entry '0.b': ValueError"),
        "stray_entry": ([(f"{k}.npy", npy_bytes(v)) for k, v in arrays.items()]
                        + [("README.txt", b"hello")], r"entry 'README.txt' is not an .npy array"),
        "duplicate": ([(f"{k}.npy", npy_bytes(v)) for k, v in arrays.items()]
                      + [("0.W.npy", npy_bytes(w * 0))], r"two entries are named '0.W.npy'"),
    }
    out = {}
    for name, (entries, match) in cases.items():
        with pytest.warns(UserWarning) if name == "duplicate" else contextlib.nullcontext():
            out[name] = (write_zip(tmp_path / f"{name}.npz", entries), match)
    return out


def test_malformed_archives_are_clear_errors_and_change_nothing(tmp_path):
    model = mlp()
    before = params_of(model)
    for name, (path, match) in malformed_archives(tmp_path).items():
        with pytest.raises(ValueError, match=match) as info:
            model.load(path)
        message = str(info.value)
        assert str(path) in message and "not a readable weights file" in message, name
        assert_unchanged(model, before)


def test_a_corrupt_entry_is_caught_by_its_crc(tmp_path):
    arrays = good_arrays(tmp_path)
    path = write_zip(tmp_path / "crc.npz", [(f"{k}.npy", npy_bytes(v)) for k, v in arrays.items()])
    blob = bytearray(path.read_bytes())
    at = blob.index(npy_bytes(arrays["0.W"])) + len(npy_header((2, 8))) + 3
    blob[at] ^= 0xFF                                           # one byte of 0.W's data
    path.write_bytes(bytes(blob))
    with pytest.raises(ValueError, match=r"entry '0.W': BadZipFile: Bad CRC-32"):
        mlp().load(path)


def test_many_extra_names_are_listed_briefly(tmp_path):
    arrays = good_arrays(tmp_path)
    arrays.update({f"x{i:03d}": np.zeros(1) for i in range(50)})
    np.savez(tmp_path / "many.npz", **arrays)
    with pytest.raises(ValueError, match=r"unexpected \['x000', .*'x009'\] and 40 more"):
        mlp().load(tmp_path / "many.npz")


# ----- 7. malformed metadata ---------------------------------------------------------------------
def meta_with(tmp_path, **changes):
    """A good file whose metadata has `changes` applied (the value _REMOVE: the key removed)."""
    arrays = good_arrays(tmp_path)
    meta = json.loads(str(arrays["__meta__"]))
    for key, value in changes.items():
        if value is _REMOVE:
            del meta[key]
        else:
            meta[key] = value
    path = tmp_path / "meta.npz"
    np.savez(path, **{**arrays, "__meta__": np.array(json.dumps(meta))})
    return path


_REMOVE = object()
ENTRY = {"path": "0", "class": "Dense", "params": {"W": [2, 8], "b": [8]}}


@pytest.mark.parametrize("layers,match", [
    (None, r"'layers' is null, expected a list"),
    (_REMOVE, r"no 'layers' entry"),
    ("Dense", r"'layers' is a string \('Dense'\), expected a list"),
    ({"0": ENTRY}, r"'layers' is an object, expected a list"),
    ([ENTRY, 7], r"layers\[1\] is a number \(7\), expected an object with 'path'"),
    ([{**ENTRY, "params": [2, 8]}], r"layers\[0\]\['params'\] is a list .* expected an object"),
    ([{**ENTRY, "class": None}], r"layers\[0\]\['class'\] is null, expected a string"),
    ([{"class": "Dense", "params": {}}], r"layers\[0\]\['path'\] is null, expected a string"),
    ([{**ENTRY, "params": {"W": "2x8"}}], r"layers\[0\]\['params'\]\['W'\] is a string"),
    ([{**ENTRY, "params": {"W": [2, True]}}],
     r"layers\[0\]\['params'\]\['W'\] is a list .* expected a shape"),
])
def test_malformed_metadata_is_a_clear_value_error(tmp_path, layers, match):
    # "layers": null gave a bare TypeError; other shapes of nonsense gave odd messages.
    path = meta_with(tmp_path, layers=layers)
    model = mlp()
    before = params_of(model)
    with pytest.raises(ValueError, match="malformed metadata: " + match) as info:
        model.load(path)
    assert str(path) in str(info.value)
    assert_unchanged(model, before)


@pytest.mark.parametrize("text,match", [
    ("[" * 100_000 + "]" * 100_000, "RecursionError"),
    ("[1, 2]", r"expected a JSON object, got a list"),
    ("{'single': 'quotes'}", "JSONDecodeError"),
])
def test_unreadable_metadata_text_is_a_clear_value_error(tmp_path, text, match):
    arrays = good_arrays(tmp_path)
    path = tmp_path / "m.npz"
    np.savez(path, **{**arrays, "__meta__": np.array(text)})
    with pytest.raises(ValueError, match="unreadable metadata.*" + match) as info:
        mlp().load(path)
    assert str(path) in str(info.value)


def test_metadata_with_a_huge_format_string_gives_a_short_message(tmp_path):
    path = meta_with(tmp_path, format="x" * 10**6)
    with pytest.raises(ValueError, match="format 'xxx") as info:
        mlp().load(path)
    assert len(str(info.value)) < 1000

