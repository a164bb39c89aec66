"""Files, written all or nothing and read with care; checking one against a model is model.py's.

Writing: atomic_write(path, fill) and its wrappers atomic_savez, atomic_write_text and
atomic_write_bytes fill a temporary file next to `path`, fsync it, then rename it over `path`
in one step, so a crash never leaves half a file under that name. A new file gets the mode
open() would give it (0o666 less the umask); a file written over keeps its own mode.

Reading: NpzReader opens an .npz archive without trusting it: first the entry names, then each
.npy header (shape, dtype), the data only on request and never through pickle. read_npz reads
every array that way; read_json_object reads a JSON object kept in one entry.

The writers and NpzReader take `who`, the name that starts their errors ("Sequential.save: ...").
Users: scratchnet/model.py (Sequential.save/load, which check a file against the model, and
History), scratchnet/plot.py, gradcheck/sweep.py, scratchnet/datasets/_download.py.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import tempfile
import threading
import zipfile

import numpy as np


# ===== writing: all or nothing ==================================================================
def atomic_savez(path, arrays: dict, who: str = "atomic_savez") -> None:
    """np.savez to a temporary file next to `path`, fsync it, then os.replace it onto `path`.

    Either the old file (or none) or the complete new one is at `path`, never a partial one;
    on any error the temporary file is removed and the error is raised again. `who` starts
    the error messages ("Sequential.save: ...").
    """
    atomic_write(path, lambda f: np.savez(f, **arrays), who)


def atomic_write_text(path, text: str, who: str = "atomic_write_text") -> None:
    """Write `text` (UTF-8) to `path` in the same all-or-nothing way as atomic_savez."""
    atomic_write_bytes(path, text.encode("utf-8"), who)


def atomic_write_bytes(path, data: bytes, who: str = "atomic_write_bytes") -> None:
    """Write `data` to `path` in the same all-or-nothing way as atomic_savez."""
    atomic_write(path, lambda f: f.write(data), who)


def atomic_write(path, fill, who: str = "atomic_write") -> None:
    """fill(f) writes into a binary temporary file next to `path`; then fsync and rename.

    `path` is checked before anything is made (empty, a folder, a device: a clear error).
    The file gets the mode a plain open() would give it (0o666 less the umask), or, when it
    replaces a file, that file's mode: a private 0o600 file stays private.
    """
    path = _target_path(who, path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{who}: cannot write {path}: the folder {folder} does not exist")
    mode = _mode_for(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                                   dir=folder)
    except PermissionError as exc:
        raise PermissionError(f"{who}: cannot write {path}: no permission to create a file "
                              f"in the folder {folder}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            fill(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable, where possible
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _target_path(who: str, path) -> str:
    """`path` as a str, refused at once (before any temporary file) unless it can name a file."""
    try:
        path = os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(f"{who}: expected a file path (str or os.PathLike), "
                        f"got {type(path).__name__}") from None
    if path == "":
        raise ValueError(f"{who}: the path is empty (''); give a file name")
    if "\0" in path:
        raise ValueError(f"{who}: the path {path!r} contains a NUL character")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{who}: {path} is a folder; give a file name inside it")
    if path.endswith(os.sep) or (os.altsep and path.endswith(os.altsep)):
        raise IsADirectoryError(f"{who}: {path} ends with a separator, so it names a folder, "
                                f"not a file")
    if os.path.exists(path) and not os.path.isfile(path):
        raise ValueError(f"{who}: {path} exists and is not a regular file (a device, a pipe?); "
                         f"refusing to replace it")
    return path


def _mode_for(path: str) -> int:
    """Permission bits for the file about to be written at `path`: those of the file it
    replaces, or, for a new file, 0o666 less the umask (what open() would give it)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode) & 0o777
    except FileNotFoundError:
        return 0o666 & ~_current_umask()


_umask_lock = threading.Lock()


def _current_umask() -> int:
    """The process's umask. It can only be read by setting a new one, so set the strictest
    (0o077: a file another thread makes in that instant is private, never too open) and put
    the old one back at once; the lock keeps two of our own threads from interleaving."""
    with _umask_lock:
        old = os.umask(0o077)
        os.umask(old)
    return old


# ===== reading .npz archives: names, then headers, then data ====================================
class NpzReader:
    """An .npz archive read with care: names first, then .npy headers, data only on request.

        with NpzReader("Sequential.load", "w.npz") as archive:
            archive.keys()            # ["0.W", "0.b", "__meta__"]: from the zip's directory
            archive.header("0.W")     # ((2, 8), dtype('float64')): a few hundred bytes read
            archive.read("0.W")       # the array itself

    np.load reads an entry whole as soon as it is asked for. Here a caller compares every name
    and every header (shape, dtype) with what it expects before any data is read, so a foreign
    or huge entry is refused at no cost. Entries must be .npy arrays, once each, in C order,
    without Python objects; data is read with allow_pickle=False. Every problem is a
    ValueError naming `who`, the file and the entry.
    """

    def __init__(self, who: str, path: str):
        self.who, self.path = who, path
        try:
            self._zip = zipfile.ZipFile(path)
        except Exception as exc:  # not a zip, cut short, unreadable: many ways to fail
            raise self._unreadable(f"{type(exc).__name__}: {exc}") from exc
        try:
            self._entries = self._index(self._zip.infolist())
        except BaseException:
            self._zip.close()
            raise
        self._headers = {}

    def __enter__(self) -> "NpzReader":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Close the zip file."""
        self._zip.close()

    def _unreadable(self, problem: str) -> ValueError:
        """The error for a file that is not a well-formed weights archive."""
        return ValueError(f"{self.who}: {self.path} is not a readable weights file ({problem})")

    def _index(self, infos) -> dict:
        """key -> ZipInfo, for entries named <key>.npy; anything else, or a name twice, is refused."""
        entries = {}
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise self._unreadable(f"entry {info.filename!r} is not an .npy array")
            key = info.filename[:-len(".npy")]
            if key in entries:
                raise self._unreadable(f"two entries are named {info.filename!r}")
            entries[key] = info
        return entries

    def keys(self) -> list[str]:
        """The entries' names, without ".npy", in the archive's order."""
        return list(self._entries)

    def header(self, key: str) -> tuple[tuple, np.dtype]:
        """(shape, dtype) of entry `key`, from its .npy header alone (no data is read)."""
        shape, dtype, _ = self._header(key)
        return shape, dtype

    def _header(self, key: str) -> tuple[tuple, np.dtype, int]:
        """(shape, dtype, offset of the data in the entry), read once and remembered."""
        if key not in self._headers:
            info = self._entries[key]
            try:
                with self._zip.open(info) as f:
                    version = np.lib.format.read_magic(f)
                    if version not in ((1, 0), (2, 0)):
                        raise ValueError(f".npy format version {version} is not supported")
                    read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                            else np.lib.format.read_array_header_2_0)
                    shape, fortran_order, dtype = read(f)
                    offset = f.tell()
            except Exception as exc:
                raise self._unreadable(f"entry {key!r}: {type(exc).__name__}: {exc}") from exc
            if dtype.hasobject:
                raise self._unreadable(f"entry {key!r} holds Python objects ({dtype}), "
                                       f"which only pickle could read")
            if fortran_order:
                raise self._unreadable(f"entry {key!r} is stored in Fortran order; "
                                       f"save() writes C order")
            self._headers[key] = (shape, dtype, offset)
        return self._headers[key]

    def read(self, key: str, max_bytes: int | None = None) -> np.ndarray:
        """The array of entry `key`, read only once its header and size check out.

        max_bytes: refuse (ValueError) an entry whose header promises more data than this.
        """
        shape, dtype, offset = self._header(key)
        needed = math.prod(shape) * dtype.itemsize
        if max_bytes is not None and needed > max_bytes:
            raise ValueError(f"{self.who}: {self.path}: entry {key!r} is {dtype} of shape "
                             f"{shape} ({needed} bytes), more than the {max_bytes} allowed")
        info = self._entries[key]
        held = info.file_size - offset
        if held != needed:
            raise self._unreadable(f"entry {key!r}: its header promises {dtype} of shape "
                                   f"{shape} ({needed} bytes) but it holds {held} bytes")
        try:
            with self._zip.open(info) as f:
                return np.lib.format.read_array(f, allow_pickle=False)
        except Exception as exc:  # a bad CRC, a cut zlib stream, ...
            raise self._unreadable(f"entry {key!r}: {type(exc).__name__}: {exc}") from exc


def read_npz(who: str, path: str) -> dict:
    """Every array of an .npz file, each header checked before its data is read (no pickle);
    any failure is a ValueError naming the file."""
    with NpzReader(who, path) as archive:
        return {key: archive.read(key) for key in archive.keys()}


def read_json_object(archive: NpzReader, key: str, max_bytes: int) -> dict:
    """The JSON object kept in entry `key` (one of archive.keys()) as a 0-d string, the way
    Sequential.save keeps its metadata: the header is checked, at most max_bytes are read, and
    anything but a JSON object is a ValueError ("unreadable metadata") naming the file."""
    who, path = archive.who, archive.path
    shape, dtype = archive.header(key)
    if shape != () or dtype.kind != "U":
        raise ValueError(f"{who}: {path}: unreadable metadata (expected a 0-d string, "
                         f"got {dtype} of shape {shape})")
    text = str(archive.read(key, max_bytes=max_bytes))
    try:
        info = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise ValueError(f"{who}: {path}: unreadable metadata ({type(exc).__name__}: "
                         f"{str(exc)[:200]})") from exc
    if not isinstance(info, dict):
        raise ValueError(f"{who}: {path}: unreadable metadata (expected a JSON object, "
                         f"got {json_kind(info)})")
    return info


def json_kind(value) -> str:
    """What a decoded JSON value is, in JSON's words, for messages: null, a string (...), ..."""
    if value is None:
        return "null"
    kinds = {bool: "a boolean", str: "a string", int: "a number", float: "a number",
             list: "a list", dict: "an object"}
    kind = kinds.get(type(value), type(value).__name__)
    return kind if isinstance(value, dict) else f"{kind} ({value!r:.60})"
