"""Where downloaded data sets live, and a safe downloader (urllib only, checksum, atomic move).

Cache folder: $SCRATCHNET_DATA/<name> if the environment variable SCRATCHNET_DATA is set,
else ~/.cache/scratchnet/<name>. A download goes to a hidden temporary file in the target
folder, its MD5 is checked against the published one, and only then is it renamed into place
with os.replace, so a failed or interrupted download never leaves a half file under the real name.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import sys
import tempfile
from pathlib import Path
from urllib.request import urlopen  # tests replace this name to serve bytes without network

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


def _fetch_once(url: str, dest: Path, md5: str, timeout: float) -> None:
    """Download url to dest through a temporary file; raise ValueError on a bad checksum."""
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        digest = hashlib.md5(usedforsecurity=False)
        with os.fdopen(fd, "wb") as out, urlopen(url, timeout=timeout) as response:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != md5.lower():
            raise ValueError(f"checksum mismatch for {url}: expected MD5 {md5}, "
                             f"got {digest.hexdigest()}")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def download(urls: list[str], dest, md5: str, who: str, timeout: float = 60.0) -> Path:
    """Fetch a file from the first of `urls` that works, verify its MD5, move it to `dest`.

    Mirrors are tried in order; a network error or a wrong checksum moves on to the next.
    Raises OSError naming every attempt if none gave the right file; nothing is left at dest.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    problems = []
    for url in urls:
        print(f"{who}: downloading {url} -> {dest}", file=sys.stderr)
        try:
            _fetch_once(url, dest, md5, timeout)
            return dest
        except (OSError, ValueError, http.client.HTTPException) as exc:
            problems.append(f"{url}: {exc}")
    raise OSError(f"{who}: could not download {dest.name}; tried " + "; ".join(problems))
