"""DuckDB as the pipeline opens it: every database held to one memory limit, spilling to disk past it."""

from __future__ import annotations

from pathlib import Path

import duckdb

MEMORY_LIMIT = "1GiB"
"""What one DuckDB database may hold in memory: the warehouse build and its checks, the dbt models (passed
to dbt as a var), a release's writing, checks and diff. Past it DuckDB spills to disk, so the memory of
these steps does not grow with the data (DuckDB's default is 80 % of the machine's)."""


def connect(
    path: Path | str, *, read_only: bool = False, spill: Path | None = None
) -> duckdb.DuckDBPyConnection:
    """A connection to the database at `path` under MEMORY_LIMIT; it spills into `spill` (default: DuckDB's
    `<path>.tmp`)."""
    config = {"memory_limit": MEMORY_LIMIT}
    if spill is not None:
        config["temp_directory"] = str(spill)
    return duckdb.connect(str(path), read_only=read_only, config=config)
