"""Staged rows → one Parquet file per table and a DuckDB database holding them all.

Rows are sorted by the table's primary key and written with a fixed Arrow
schema, so the same inputs give byte-identical files. Every file is written to
a temporary name and renamed into place. DuckDB has one writer: this module,
called from one asset.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration import atomic, tables
from orchestration.stage.rows import Rows


def merge(parts: Iterable[Rows]) -> Rows:
    out: Rows = {name: [] for name in tables.STAGED}
    for part in parts:
        for name, rows in part.items():
            out[name].extend(rows)
    return out


def _sort_key(key: list[str]):
    def sort(row):
        return tuple((row[k] is None, row[k] if row[k] is not None else 0) for k in key)

    return sort


def to_arrow(name: str, rows: list[dict]) -> pa.Table:
    ordered = sorted(rows, key=_sort_key(tables.primary_key(name)))
    schema = tables.arrow_schema(name)
    return pa.Table.from_pylist(ordered, schema=schema)


def write_parquet(table: pa.Table, path: Path) -> Path:
    return atomic.write_parquet(path, table, compression="zstd", write_statistics=False)


def write_all(rows: Rows, out_dir: Path) -> dict[str, Path]:
    return {
        name: write_parquet(to_arrow(name, rows.get(name, [])), out_dir / f"{name}.parquet")
        for name in tables.STAGED
    }


def load_duckdb(parquet: dict[str, Path], db_path: Path) -> Path:
    """Replace the staging schema of the database with the Parquet files' contents."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db_path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS staging")
        for name, path in parquet.items():
            con.execute(
                f"CREATE OR REPLACE TABLE staging.{name} AS SELECT * FROM read_parquet(?)", [str(path)]
            )
    return db_path
