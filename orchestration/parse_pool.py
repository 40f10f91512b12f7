"""Parse many raw documents on every core (orchestration/workers.py); workers write the parse cache.

Each worker reads the raw bytes from the archive (on disk or in an object store) and writes its parse through
`parse_cache.parse_raw` (a temp file renamed into place), exactly what the
serial path writes, so the cache is byte-identical whichever path ran. Only the
outcome (error code and message) travels back to the parent.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from orchestration import parse_cache, workers
from orchestration.fetch.object_archive import open_archive

Outcome = tuple[str, str | None, str | None]
"""(sha256, error code or None, message or None)"""


def parse_one(data_dir: str, root: str, sha256: str) -> Outcome:
    parsed = parse_cache.parse_raw(Path(data_dir) / "parsed", sha256, open_archive(root).get(sha256))
    return sha256, parsed.error, parsed.message


def parse_all(data_dir: Path, root: str, shas: Sequence[str], n: int | None = None) -> list[Outcome]:
    """Parse every sha256 (distinct, in the archive at `root`) into the cache; outcomes in the order given."""
    n = workers.count(n)
    chunk = max(1, min(32, len(shas) // (n * 8)))
    return workers.starmap(parse_one, [(str(data_dir), root, s) for s in shas], n, chunk)
