"""MNIST and Fashion-MNIST from their IDX files: 28x28 grey images of 10 classes.

The IDX format is tiny: a 4-byte magic number (two zero bytes, a type byte, 0x08 for
unsigned bytes, and the number of dimensions), one big-endian uint32 per dimension, then the
data. Label files have magic 2049 (0x00000801: 1 dimension), image files 2051 (0x00000803:
3 dimensions N, rows, cols). Files may be gzip-compressed (.gz) or raw. We check every part
of the header and the data length, so a truncated or corrupt file gives a clear ValueError.

Files are read from `path`, or from the cache folder ~/.cache/scratchnet/mnist (or
fashion-mnist; $SCRATCHNET_DATA replaces ~/.cache/scratchnet). Your own IDX files (a subset,
say) load the same way. download=True fetches the four files and checks their published MD5.

MNIST: Y. LeCun, C. Cortes and C. J. C. Burges, http://yann.lecun.com/exdb/mnist/
(mirror used here: https://ossci-datasets.s3.amazonaws.com/mnist/), licence CC BY-SA 3.0.
Fashion-MNIST: H. Xiao, K. Rasul and R. Vollgraf (2017), "Fashion-MNIST: a Novel Image Dataset
for Benchmarking Machine Learning Algorithms", arXiv:1708.07747, Zalando Research, MIT licence.
"""
from __future__ import annotations

import contextlib
import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from scratchnet.datasets._download import data_home, download as _download

MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049
_UBYTE = 0x08
_CHUNK = 1 << 20  # bytes read at a time
_FILES = {  # part -> (stem, published MD5 of the .gz file) for each kind
    "digits": {"train-images": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
               "train-labels": "d53e105ee54ea40749a09fcbcd1e9432",
               "t10k-images": "9fb629c4189551a2d022fa330f9573f3",
               "t10k-labels": "ec29112dd5afa0611ce80d1b7f02629c"},
    "fashion": {"train-images": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "train-labels": "25c81989df183df01b3e8a0aad5dffbe",
                "t10k-images": "bef4ecab320f06d8554ea6380940ec79",
                "t10k-labels": "bb300cfdad3c16e7a12a480ee83cd310"},
}
MIRRORS = {
    "digits": ["https://ossci-datasets.s3.amazonaws.com/mnist/"],
    "fashion": ["https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
                "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
}
_CACHE_NAME = {"digits": "mnist", "fashion": "fashion-mnist"}
_MAX_DOWNLOAD = 64 << 20  # the largest file, Fashion-MNIST's train-images, is 26 MB


def _file_name(stem: str) -> str:
    """'train-images' -> 'train-images-idx3-ubyte' (labels: idx1)."""
    return f"{stem}-idx{3 if stem.endswith('images') else 1}-ubyte"


# A deflate stream expands at most 1032-fold (one 258-byte match per 2 bits), so a gzip file
# of n bytes can never hold more than this many times n: the bound checked before allocating.
_GZIP_MAX_RATIO = 1032


@contextlib.contextmanager
def _open_idx(path: Path):
    """Yield (stream, capacity): the file's IDX bytes, gunzipped on the fly if it is gzip data,
    and the most bytes the stream could possibly hold. Gzip errors become a ValueError."""
    size = path.stat().st_size
    with open(path, "rb") as raw:
        if raw.read(2) != b"\x1f\x8b":
            if path.suffix == ".gz":
                raise ValueError(f"read_idx: {path} is named .gz but is not gzip data")
            raw.seek(0)
            yield raw, size
            return
        raw.seek(0)
        try:
            with gzip.GzipFile(fileobj=raw) as stream:
                yield stream, _GZIP_MAX_RATIO * size
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"read_idx: {path} is a corrupt or truncated gzip file "
                             f"({exc})") from exc


def _read_up_to(stream, n: int) -> np.ndarray:
    """Read n bytes from stream into a new uint8 array, in chunks; fewer only if it ends."""
    out = np.empty(n, dtype=np.uint8)
    view, filled = memoryview(out), 0
    while filled < n:
        got = stream.readinto(view[filled:filled + _CHUNK])
        if not got:
            break
        filled += got
    return out[:filled]


def read_idx(path, magic: int) -> np.ndarray:
    """Read one IDX file of unsigned bytes: labels (magic 2049) -> (N,), images (2051) -> (N, R, C).

    Returns a uint8 array whose shape is the header's dimensions. The file is read as a
    stream: first the header, then exactly the bytes it promises, then one more byte to see
    whether anything follows; a .gz is never expanded beyond that. Raises ValueError naming
    the file if the magic number, type byte, header or data length is wrong, or if the
    header promises more than the file could hold.
    """
    if magic not in (_LABELS_MAGIC, _IMAGES_MAGIC):
        raise ValueError(f"read_idx: expected magic 2049 (labels) or 2051 (images), got {magic!r}")
    path = Path(path)
    with _open_idx(path) as (stream, capacity):
        dims = _read_header(path, stream, magic)
        size = math.prod(dims)
        _check_dims(path, dims, capacity - 4 * (1 + len(dims)))   # less the header's bytes
        data = _read_up_to(stream, size)
        if len(data) < size:
            raise ValueError(f"read_idx: {path} has truncated data: header says shape {dims} "
                             f"({size} bytes), found {len(data)} bytes")
        if stream.read(1):
            raise ValueError(f"read_idx: {path} has extra bytes after the data: header says "
                             f"shape {dims} ({size} bytes), and more follows")
    return data.reshape(dims)


def _read_header(path: Path, stream, magic: int) -> tuple[int, ...]:
    """The dimensions from the header at the start of stream (magic checked first)."""
    ndim = magic & 0xFF
    header_len = 4 + 4 * ndim
    head = stream.read(4)
    if len(head) < 4:
        raise ValueError(f"read_idx: {path} has a truncated header: {len(head)} bytes")
    _check_magic(path, head, magic)
    head += stream.read(header_len - 4)
    if len(head) < header_len:
        raise ValueError(f"read_idx: {path} has a truncated header: {len(head)} bytes, "
                         f"expected at least {header_len}")
    return struct.unpack(f">{ndim}I", head[4:])


def _check_dims(path: Path, dims: tuple[int, ...], capacity: int) -> None:
    """Refuse, before allocating anything, a header that promises more bytes than the file
    could hold, or a shape no array can have (N = 0 with absurd rows and columns, say)."""
    size = math.prod(dims)
    if size > capacity:
        raise ValueError(f"read_idx: {path} has truncated data: header says shape {dims} "
                         f"({size} bytes), but the file can hold at most {capacity} bytes")
    nonzero = math.prod(d for d in dims if d)   # what NumPy checks, even for an empty array
    if nonzero > np.iinfo(np.intp).max:
        raise ValueError(f"read_idx: {path} has an impossible header: dimensions {dims} "
                         f"describe items of {math.prod(dims[1:])} bytes, more than any "
                         f"array can hold")


def _check_magic(path: Path, data: bytes, magic: int) -> None:
    """The first 4 bytes must be 0, 0, the type byte 0x08 and the expected number of dims."""
    found = struct.unpack(">I", data[:4])[0]
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"read_idx: {path} has bad magic number {found} (0x{found:08x}), "
                         f"expected {magic} (0x{magic:08x}); is it an IDX file?")
    if data[2] != _UBYTE:
        raise ValueError(f"read_idx: {path} has type byte 0x{data[2]:02x}, expected 0x08 "
                         f"(unsigned byte), the only type MNIST uses")
    if found != magic:
        kind = {_LABELS_MAGIC: "a labels", _IMAGES_MAGIC: "an images"}[magic]
        raise ValueError(f"read_idx: {path} has magic number {found} ({data[3]} dimensions), "
                         f"expected {magic} for {kind} file")


def _find(folder: Path, stem: str) -> Path | None:
    """The first of <name>.gz, <name>, or the dotted <stem>.idxN-ubyte that exists in folder."""
    name = _file_name(stem)
    dotted = name.replace("-idx", ".idx", 1)
    for candidate in (f"{name}.gz", name, dotted):
        if (folder / candidate).is_file():
            return folder / candidate
    return None


def _locate(folder: Path, kind: str, download: bool) -> dict[str, Path]:
    """Paths of the four files, downloading the missing ones if allowed."""
    found = {}
    for stem, md5 in _FILES[kind].items():
        path = _find(folder, stem)
        if path is None and download:
            gz = f"{_file_name(stem)}.gz"
            path = _download([m + gz for m in MIRRORS[kind]], folder / gz, md5, "load_mnist",
                             max_bytes=_MAX_DOWNLOAD)
        if path is None:
            raise FileNotFoundError(
                f"load_mnist: no {_file_name(stem)}(.gz) in {folder}. Put the four IDX files "
                f"(train-images, train-labels, t10k-images, t10k-labels) there, or call "
                f"load_mnist(kind={kind!r}, download=True) to fetch them into {data_home(_CACHE_NAME[kind])}")
        found[stem] = path
    return found


def _images_and_labels(images_path: Path, labels_path: Path):
    """x (N, 1, 28, 28) float32 in [0, 1] and y (N,) int64 from one pair of files."""
    images = read_idx(images_path, _IMAGES_MAGIC)
    labels = read_idx(labels_path, _LABELS_MAGIC)
    if images.shape[1:] != (28, 28):
        raise ValueError(f"load_mnist: {images_path} holds images of {images.shape[1:]} "
                         f"pixels, expected (28, 28)")
    if len(images) != len(labels):
        raise ValueError(f"load_mnist: {images_path} has {len(images)} images but "
                         f"{labels_path} has {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"load_mnist: {labels_path} has label {labels.max()}, expected 0..9")
    x = images.reshape(-1, 1, 28, 28).astype(np.float32) / np.float32(255.0)
    return x, labels.astype(np.int64)


def load_mnist(path=None, kind: str = "digits", download: bool = False):
    """Load MNIST (kind="digits") or Fashion-MNIST (kind="fashion") from IDX files.

    path: folder holding train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz),
          t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz); default: the cache
          folder (~/.cache/scratchnet/mnist or .../fashion-mnist, or under $SCRATCHNET_DATA).
    download: fetch missing files into that folder (MD5-checked, atomic); needs the network.
    Returns ((x_train, y_train), (x_test, y_test)):
        x: (N, 1, 28, 28) float32 in [0, 1] (pixel / 255; float32 halves the memory of the
           60,000 training images: 188 MB instead of 376 MB), y: (N,) int64 in 0..9.
    Class names: MNIST_CLASSES, FASHION_CLASSES. Raises FileNotFoundError for missing files,
    ValueError (naming the file) for a corrupt one.
    """
    if kind not in _FILES:
        raise ValueError(f"load_mnist: expected kind 'digits' or 'fashion', got {kind!r}")
    folder = Path(path).expanduser() if path is not None else data_home(_CACHE_NAME[kind])
    files = _locate(folder, kind, download)
    train = _images_and_labels(files["train-images"], files["train-labels"])
    test = _images_and_labels(files["t10k-images"], files["t10k-labels"])
    return train, test
