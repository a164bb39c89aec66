"""CIFAR-10 from its binary version: 60,000 colour images of 32x32 pixels in 10 classes.

We read cifar-10-binary.tar.gz (plain bytes; the python version is pickled and unpickling
downloaded files can run code, so we never use it). Each .bin file is a list of records of
3,073 bytes: 1 label byte (0..9), then 3,072 pixel bytes: the 1,024 red values row by row,
then the 1,024 green, then the 1,024 blue. So a file of N records reshapes straight to
(N, 1 + 3 * 32 * 32), and the pixels to (N, 3, 32, 32).

Files: data_batch_1.bin .. data_batch_5.bin (10,000 training images each), test_batch.bin
(10,000 test images) and batches.meta.txt (the class names, one a line). They are read from an
extracted folder, or straight from the .tar.gz without extracting anything to disk.

CIFAR-10: A. Krizhevsky (2009), "Learning Multiple Layers of Features from Tiny Images",
https://www.cs.toronto.edu/~kriz/cifar.html (please cite the report when you use the data).
"""
from __future__ import annotations

import tarfile
import zlib
from pathlib import Path

import numpy as np

from scratchnet.datasets._download import data_home, download as _download

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
CIFAR10_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
ARCHIVE = "cifar-10-binary.tar.gz"
_RECORD = 1 + 3 * 32 * 32
_TRAIN = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
_TEST = "test_batch.bin"
_META = "batches.meta.txt"


_MAX_IMAGES = 10_000    # every CIFAR-10 batch file holds exactly 10,000 images
_MAX_META_BYTES = 1 << 16
_MAX_MEMBERS = 64       # the archive has 9 entries: a folder, 7 data files and a readme
_MAX_DOWNLOAD = 256 << 20   # the archive is 170,052,171 bytes


def parse_batch(data: bytes, source: str):
    """Records of one .bin file -> x (N, 3, 32, 32) float32 in [0, 1], y (N,) int64.

    source: the file's name, for error messages.
    """
    _check_batch_size(len(data), source)
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, _RECORD)
    y = records[:, 0].astype(np.int64)
    if y.max() > 9:
        raise ValueError(f"load_cifar10: {source} has label {y.max()}, expected 0..9")
    x = records[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / np.float32(255.0)
    return x, y


def _check_batch_size(size: int, source: str) -> None:
    """A .bin file must hold 1 to 10,000 whole records; checked before it is read."""
    if size == 0 or size % _RECORD != 0:
        raise ValueError(f"load_cifar10: {source} has {size} bytes, not a positive "
                         f"multiple of {_RECORD} (1 label byte + 3072 pixel bytes per image)")
    if size // _RECORD > _MAX_IMAGES:
        raise ValueError(f"load_cifar10: {source} has {size // _RECORD} images, more than "
                         f"the {_MAX_IMAGES} of a CIFAR-10 batch file")


def _check_size(name: str, size: int, source: str) -> None:
    """Check a file's size (from the folder or the archive's index) before reading it."""
    if name == _META:
        if size > _MAX_META_BYTES:
            raise ValueError(f"load_cifar10: {source} has {size} bytes; a list of 10 class "
                             f"names needs far fewer")
    else:
        _check_batch_size(size, source)


def _read_folder(folder: Path) -> dict[str, tuple[str, bytes]]:
    """name -> (source, bytes) for the .bin files (and batches.meta.txt if there) of an
    extracted folder; source is the file's path, for messages."""
    missing = [n for n in _TRAIN + (_TEST,) if not (folder / n).is_file()]
    if missing:
        raise FileNotFoundError(f"load_cifar10: {folder} lacks {', '.join(missing)}")
    names = _TRAIN + (_TEST,) + (((_META,)) if (folder / _META).is_file() else ())
    files = {}
    for name in names:
        path = folder / name
        _check_size(name, path.stat().st_size, str(path))
        files[name] = (str(path), path.read_bytes())
    return files


def _read_archive(archive: Path) -> dict[str, tuple[str, bytes]]:
    """The same files read from the .tar.gz into memory (members are matched by base name
    and must be regular files; nothing is written to disk, so no path in the archive matters).
    Each member's size is checked from its tar header before its data is read."""
    wanted, files = set(_TRAIN + (_TEST, _META)), {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for count, member in enumerate(tar, start=1):
                if count > _MAX_MEMBERS:
                    raise ValueError(f"load_cifar10: {archive} has more than {_MAX_MEMBERS} "
                                     f"entries; the CIFAR-10 archive has 9")
                name = member.name.rsplit("/", 1)[-1]
                if name not in wanted or not member.isfile():
                    continue
                source = f"{archive}: {member.name}"
                if name in files:
                    raise ValueError(f"load_cifar10: {archive} holds {name} twice "
                                     f"({files[name][0]} and {member.name}); which is meant?")
                _check_size(name, member.size, source)
                files[name] = (source, tar.extractfile(member).read())
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"load_cifar10: {archive} is not a readable .tar.gz ({exc})") from exc
    missing = [n for n in _TRAIN + (_TEST,) if n not in files]
    if missing:
        raise ValueError(f"load_cifar10: {archive} lacks {', '.join(missing)}")
    return files


def _class_names(files: dict[str, tuple[str, bytes]]) -> tuple[str, ...]:
    """Names from batches.meta.txt (one a line), else the standard CIFAR10_CLASSES."""
    if _META not in files:
        return CIFAR10_CLASSES
    source, data = files[_META]
    names = [line.strip() for line in data.decode("ascii", "replace").splitlines()]
    names = [n for n in names if n]
    if len(names) != 10:
        raise ValueError(f"load_cifar10: {source} names {len(names)} classes, expected 10")
    return tuple(names)


def _gather(path: Path, download: bool) -> dict[str, tuple[str, bytes]]:
    """Find the data in `path` (a .tar.gz, or a folder with the .bin files, a
    cifar-10-batches-bin subfolder or the archive): name -> (source, the file's bytes)."""
    if path.is_file():
        return _read_archive(path)
    for folder in (path, path / "cifar-10-batches-bin"):
        if (folder / _TEST).is_file():
            return _read_folder(folder)
    if not (path / ARCHIVE).is_file():
        if not download:
            raise FileNotFoundError(
                f"load_cifar10: found neither {ARCHIVE} nor the extracted .bin files "
                f"(data_batch_1..5.bin, test_batch.bin) in {path}. Put them there, or call "
                f"load_cifar10(download=True) to fetch {CIFAR10_URL} (162 MB) into "
                f"{data_home('cifar-10')}")
        _download([CIFAR10_URL], path / ARCHIVE, CIFAR10_MD5, "load_cifar10",
                  max_bytes=_MAX_DOWNLOAD)
    return _read_archive(path / ARCHIVE)


def load_cifar10(path=None, download: bool = False):
    """Load CIFAR-10 from the binary version.

    path: cifar-10-binary.tar.gz itself, or a folder holding it or its extracted files;
          default: the cache folder ~/.cache/scratchnet/cifar-10 (or $SCRATCHNET_DATA/cifar-10).
    download: fetch the archive into that folder if nothing is there (MD5-checked, atomic).
    Returns ((x_train, y_train), (x_test, y_test), class_names):
        x_train: (50000, 3, 32, 32) float32 in [0, 1] (pixel / 255), y_train: (50000,) int64;
        x_test: (10000, 3, 32, 32), y_test: (10000,); class_names: 10 strings, label order.
    Raises FileNotFoundError if nothing is found, ValueError (naming the file) if a file is
    corrupt, e.g. its size is not a multiple of 3073 bytes.
    """
    folder = Path(path).expanduser() if path is not None else data_home("cifar-10")
    files = _gather(folder, download)
    parts = [parse_batch(files[name][1], files[name][0]) for name in _TRAIN]
    x_train = np.concatenate([x for x, _ in parts])
    y_train = np.concatenate([y for _, y in parts])
    test = parse_batch(files[_TEST][1], files[_TEST][0])
    return (x_train, y_train), test, _class_names(files)
