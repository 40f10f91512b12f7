"""Content-addressed store of raw documents: `raw/<sha256[:2]>/<sha256>` under a data dir.

Every published number is traced back to these bytes, so they are written once
(atomically, read-only), never rewritten, and checked against their name on read.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from orchestration import atomic

_SHA256 = re.compile(r"[0-9a-f]{64}")


class ArchiveError(Exception):
    """Base class of archive failures."""


class NotArchived(ArchiveError, KeyError):
    """No raw file of that hash."""


class CorruptRaw(ArchiveError):
    """The stored bytes no longer hash to their name (disk error or tampering)."""


class Archive:
    """Raw bytes keyed by their SHA-256; safe to share between threads and processes."""

    def __init__(self, data_dir: Path | str):
        self.root = Path(data_dir) / "raw"

    def path(self, sha256: str) -> Path:
        """Where the bytes of sha256 live (validated, so a hash can never name another file)."""
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a lower-case hex SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def present(self, shas: Iterable[str]) -> set[str]:
        """Which of the hashes are archived (one stat each: cheap on a local disk)."""
        return {s for s in shas if self.has(s)}

    def put(self, data: bytes) -> str:
        """Store data (unless already there) and return its SHA-256."""
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path(sha256)
        if target.is_file():
            return sha256
        atomic.write_bytes(target, data, mode=0o444)
        return sha256

    def get(self, sha256: str) -> bytes:
        """The bytes of sha256, verified; NotArchived or CorruptRaw otherwise."""
        try:
            data = self.path(sha256).read_bytes()
        except FileNotFoundError:
            raise NotArchived(sha256) from None
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise CorruptRaw(f"raw/{sha256[:2]}/{sha256} hashes to {actual}")
        return data
