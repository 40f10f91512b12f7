"""The raw archive in an object store: the same content-addressed keys, through fsspec.

`OGI_ARCHIVE_ROOT` (an fsspec URL such as `s3://ogi-raw`, with the store's
fsspec package installed, e.g. s3fs) moves the raw documents out of the data
directory, so pods or machines that share no disk share the archive. A key is
`raw/<sha256[:2]>/<sha256>` under the root, as on disk. It is written once by
a single PUT (an object appears whole or not at all, no rename needed), never
rewritten, and checked against its name on read. Unset, the archive is the
data directory's `raw/` folder (fetch/archive.py).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from orchestration.fetch.archive import Archive, CorruptRaw, NotArchived

ROOT_ENV = "OGI_ARCHIVE_ROOT"


def archive_root(data_dir: Path | str) -> str:
    """Where the raw archive lives: $OGI_ARCHIVE_ROOT, else the data directory."""
    return os.environ.get(ROOT_ENV) or str(data_dir)


def open_archive(root: str) -> Archive | ObjectArchive:
    """An object-store archive for a URL, the on-disk one for a data directory."""
    return ObjectArchive(root) if "://" in root else Archive(root)


class ObjectArchive:
    """Raw bytes keyed by their SHA-256 in an fsspec file system; the interface of `Archive`."""

    def __init__(self, root: str):
        import fsspec

        self.fs, base = fsspec.core.url_to_fs(root)
        self.base = base.rstrip("/")
        self._names = Archive("/")  # validates a hash and lays out its key

    def key(self, sha256: str) -> str:
        return f"{self.base}/{self._names.path(sha256).relative_to('/').as_posix()}"

    def has(self, sha256: str) -> bool:
        return self.fs.exists(self.key(sha256))

    def present(self, shas: Iterable[str]) -> set[str]:
        """Which of the hashes are archived: one listing of the store, not a request per hash."""
        wanted = set(shas)
        if not wanted:
            return set()
        try:
            listed = self.fs.find(f"{self.base}/raw")
        except FileNotFoundError:
            return set()
        return wanted & {key.rsplit("/", 1)[-1] for key in listed}

    def put(self, data: bytes) -> str:
        """Store data (unless already there) and return its SHA-256."""
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.has(sha256):
            key = self.key(sha256)
            self.fs.makedirs(key.rsplit("/", 1)[0], exist_ok=True)  # folders where the store has them
            self.fs.pipe_file(key, data)
        return sha256

    def get(self, sha256: str) -> bytes:
        """The bytes of sha256, verified; NotArchived or CorruptRaw otherwise."""
        try:
            data = self.fs.cat_file(self.key(sha256))
        except FileNotFoundError:
            raise NotArchived(sha256) from None
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise CorruptRaw(f"{self.key(sha256)} hashes to {actual}")
        return data
