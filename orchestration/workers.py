"""The process pool of the CPU-bound steps (parse, stage, contracts): every core, results in order.

One pool per size, kept for the life of the process: a worker's start-up
imports the parser and pandas, paid once, not per year. A one-off (a release's
Frictionless validation) gets a pool of its own that stops when it is done. Workers are spawned,
not forked: the parent runs Dagster's threads, whose locks a fork would copy
mid-use. The parent stays the only writer of anything shared (DuckDB, the
staged Parquet files); workers write only the parse cache, each file to a temp
name renamed into place.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")

_POOLS: dict[int, ProcessPoolExecutor] = {}


def count(configured: int | None = None) -> int:
    """Processes to use: the configured number, else $OGI_PARSE_WORKERS, else every core."""
    return max(1, configured or int(os.environ.get("OGI_PARSE_WORKERS") or 0) or os.cpu_count() or 1)


def _new_pool(n: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))


def _pool(n: int) -> ProcessPoolExecutor:
    if n not in _POOLS:
        _POOLS[n] = _new_pool(n)
    return _POOLS[n]


def shutdown() -> None:
    """Stop every pool: once the year steps are done, their workers' memory is not held through the rest."""
    while _POOLS:
        _POOLS.popitem()[1].shutdown(wait=True)


def _call(job: tuple[Callable[..., Any], tuple]) -> Any:
    fn, args = job
    return fn(*args)


def starmap(
    fn: Callable[..., T],
    arglists: Sequence[tuple],
    n: int | None = None,
    chunk: int = 1,
    *,
    keep: bool = True,
) -> list[T]:
    """fn(*args) for every args, on n processes (in this one when n is 1 or there is one job).

    keep=False runs them in a pool of their own that stops before this returns (a one-off, like a
    release's validation); otherwise in the kept pool of that size.
    """
    n = count(n)
    if n == 1 or len(arglists) <= 1:
        return [fn(*args) for args in arglists]
    if not keep:
        with _new_pool(n) as pool:
            return list(pool.map(_call, [(fn, args) for args in arglists], chunksize=chunk))
    try:
        return list(_pool(n).map(_call, [(fn, args) for args in arglists], chunksize=chunk))
    except BrokenProcessPool:
        _POOLS.pop(n, None)  # a worker died (killed, out of memory): the next call starts a fresh pool
        raise
