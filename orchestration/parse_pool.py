"""Parse many raw documents on every core: a process pool whose workers write the parse cache.

Each worker reads the raw bytes from the archive and writes its parse through
`parse_cache.parse_raw` (a temp file renamed into place), exactly what the
serial path writes, so the cache is byte-identical whichever path ran. Only the
outcome (error code and message) travels back to the parent.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from orchestration import parse_cache
from orchestration.fetch.archive import Archive

Outcome = tuple[str, str | None, str | None]
"""(sha256, error code or None, message or None)"""

_POOLS: dict[int, ProcessPoolExecutor] = {}


def workers(configured: int | None = None) -> int:
    """Processes to parse with: the configured number, else $OGI_PARSE_WORKERS, else every core."""
    return max(1, configured or int(os.environ.get("OGI_PARSE_WORKERS") or 0) or os.cpu_count() or 1)


def parse_one(data_dir: str, sha256: str) -> Outcome:
    parsed = parse_cache.parse_raw(Path(data_dir) / "parsed", sha256, Archive(data_dir).get(sha256))
    return sha256, parsed.error, parsed.message


def _parse_star(args: tuple[str, str]) -> Outcome:
    return parse_one(*args)


def _pool(n: int) -> ProcessPoolExecutor:
    """One pool per size, kept for the life of the process (worker start-up imports the parser).

    Spawned, not forked: the parent runs Dagster's threads, whose locks a fork would copy mid-use.
    """
    if n not in _POOLS:
        _POOLS[n] = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))
    return _POOLS[n]


def parse_all(data_dir: Path, shas: Sequence[str], n: int | None = None) -> list[Outcome]:
    """Parse every sha256 (distinct, archived) into the cache; outcomes in the order given."""
    n = workers(n)
    if n == 1 or len(shas) <= 1:
        return [parse_one(str(data_dir), s) for s in shas]
    chunk = max(1, min(32, len(shas) // (n * 8)))
    try:
        return list(_pool(n).map(_parse_star, [(str(data_dir), s) for s in shas], chunksize=chunk))
    except BrokenProcessPool:
        _POOLS.pop(n, None)  # a worker died (killed, out of memory): the next call starts a fresh pool
        raise
