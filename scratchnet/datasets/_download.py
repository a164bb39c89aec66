"""Where downloaded data sets live, and a safe downloader (urllib only, checksum, atomic move).

Cache folder: $SCRATCHNET_DATA/<name> if the environment variable SCRATCHNET_DATA is set,
else ~/.cache/scratchnet/<name>. A download goes to a hidden temporary file in the target
folder, its MD5 is checked against the published one, and only then is it renamed into place
with os.replace, so a failed or interrupted download never leaves a half file under the real name.
A server that sends more than the file's expected size is cut off there.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import sys
from pathlib import Path
from urllib.request import urlopen  # tests replace this name to serve bytes without network

from scratchnet.io import atomic_write

_CHUNK = 1 << 20


def data_home(name: str) -> Path:
    """The cache folder for data set `name` (not created here)."""
    root = os.environ.get("SCRATCHNET_DATA")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "scratchnet"
    return base / name


def file_md5(path) -> str:
    """Hex MD5 digest of a file, read in chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch_once(url: str, dest: Path, md5: str, timeout: float, max_bytes: int, who: str) -> None:
    """Download url to dest through a temporary file (scratchnet.io.atomic_write: fsync,
    rename, the umask's permissions); raise ValueError on a bad checksum or a file that grows
    past max_bytes, and then nothing is left."""
    def fill(out) -> None:
        digest, received = hashlib.md5(usedforsecurity=False), 0
        with urlopen(url, timeout=timeout) as response:
            announced = getattr(response, "headers", {}).get("Content-Length")
            if announced is not None and announced.isdigit() and int(announced) > max_bytes:
                raise ValueError(f"{url} announces {announced} bytes, more than the "
                                 f"{max_bytes} expected")
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                received += len(chunk)
                if received > max_bytes:
                    raise ValueError(f"{url} sent more than the {max_bytes} bytes expected")
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != md5.lower():
            raise ValueError(f"checksum mismatch for {url}: expected MD5 {md5}, "
                             f"got {digest.hexdigest()}")

    atomic_write(dest, fill, who)


def download(urls: list[str], dest, md5: str, who: str, timeout: float = 60.0,
             max_bytes: int = 1 << 30) -> Path:
    """Fetch a file from the first of `urls` that works, verify its MD5, move it to `dest`.

    Mirrors are tried in order; a network error, a wrong checksum or a file larger than
    max_bytes (a runaway server) moves on to the next. Raises OSError naming `dest` and every
    attempt if none gave the right file; nothing is left at dest.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    problems = []
    for url in urls:
        print(f"{who}: downloading {url} -> {dest}", file=sys.stderr)
        try:
            _fetch_once(url, dest, md5, timeout, max_bytes, who)
            return dest
        except (OSError, ValueError, http.client.HTTPException) as exc:
            problems.append(f"{url}: {exc}")
    raise OSError(f"{who}: could not download {dest}; tried " + "; ".join(problems))
