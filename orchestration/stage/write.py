"""Staged rows → one Parquet file per table (pipeline.build_warehouse loads them into DuckDB).

Rows are sorted by the table's primary key and written with a fixed Arrow
schema, so the same inputs give byte-identical files. Every file is written to
a temporary name and renamed into place, a batch (row group) at a time when
streamed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

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


class TableStreams:
    """One Parquet file per table, written a batch at a time (a row group each) to a temp name,
    renamed into place when all went well; a batch must follow the previous one in key order."""

    def __init__(self, paths: dict[str, Path]):
        self.paths = paths
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._files = contextlib.ExitStack()

    def __enter__(self) -> TableStreams:
        with self._files as files:
            for name, path in self.paths.items():
                tmp = files.enter_context(atomic.replacing(path))
                self._writers[name] = pq.ParquetWriter(
                    tmp, tables.arrow_schema(name), compression="zstd", write_statistics=False
                )
            self._files = files.pop_all()
        return self

    def write(self, batch: dict[str, pa.Table]) -> None:
        """One row group per non-empty table of the batch (tables as `to_arrow` gives them)."""
        for name, table in batch.items():
            if table.num_rows:
                self._writers[name].write_table(table)

    def __exit__(self, *exc) -> None:
        """Close every writer, then rename each file into place (or remove it, after an error)."""
        for writer in self._writers.values():
            writer.close()
        self._files.__exit__(*exc)


def write_all(rows: Rows, out_dir: Path) -> dict[str, Path]:
    return {
        name: write_parquet(to_arrow(name, rows.get(name, [])), out_dir / f"{name}.parquet")
        for name in tables.STAGED
    }
