"""Staged rows → one Parquet file per table and a DuckDB database holding them all.

Rows are sorted by the table's primary key and written with a fixed Arrow
schema, so the same inputs give byte-identical files. Every file is written to
a temporary name and renamed into place. DuckDB has one writer: this module,
called from one asset.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration import tables
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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp, compression="zstd", write_statistics=False)
    os.replace(tmp, path)
    return path


class TableStreams:
    """One Parquet file per table, written a batch at a time (a row group each) to a temp name,
    renamed into place when all went well; a batch must follow the previous one in key order."""

    def __init__(self, paths: dict[str, Path]):
        self.paths = paths
        self._writers: dict[str, pq.ParquetWriter] = {}

    def _tmp(self, name: str) -> Path:
        path = self.paths[name]
        return path.with_name(f".{path.name}.tmp")

    def __enter__(self) -> TableStreams:
        for name, path in self.paths.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            self._writers[name] = pq.ParquetWriter(
                self._tmp(name), tables.arrow_schema(name), compression="zstd", write_statistics=False
            )
        return self

    def write(self, batch: dict[str, pa.Table]) -> None:
        """One row group per non-empty table of the batch (tables as `to_arrow` gives them)."""
        for name, table in batch.items():
            if table.num_rows:
                self._writers[name].write_table(table)

    def __exit__(self, exc_type, *_) -> None:
        for writer in self._writers.values():
            writer.close()
        for name, path in self.paths.items():
            if exc_type is None:
                os.replace(self._tmp(name), path)
            else:
                self._tmp(name).unlink(missing_ok=True)


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
