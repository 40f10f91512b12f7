"""The fetch manifest: one row per fetch of a catalog report, columns from the schema.

Stored as one Parquet file (`fetch_manifest.parquet`), chosen over CSV because:
nulls stay nulls (an absent ETag is not an empty string), integers and the UTC
timestamp keep their types, and DuckDB reads it as is when staged rows are joined
back to their raw bytes. Parquet cannot be appended in place, so an append reads
the file, adds the rows and replaces the file through a temp file and a rename:
a reader or a crash never sees half a manifest. That costs a rewrite per append,
so callers append in batches (`fetch_catalog` does); the manifest stays small
(one row per report per fetch). Appends are serialised within the process by a
lock and across processes by `flock` on a sidecar lock file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import fields
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration import atomic
from orchestration.fetch.client import MANIFEST_SCHEMA, FetchResult, format_utc

_ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "datetime": pa.timestamp("us", tz="UTC"),
}


@cache
def schema() -> dict[str, Any]:
    """The Frictionless table schema of the manifest (the only list of its columns)."""
    return json.loads(MANIFEST_SCHEMA.read_text(encoding="utf-8"))


def columns() -> tuple[str, ...]:
    return tuple(f["name"] for f in schema()["fields"])


@cache
def arrow_schema() -> pa.Schema:
    """The Parquet schema, derived from the Frictionless one (required → not nullable)."""
    return pa.schema(
        pa.field(f["name"], _ARROW_TYPES[f["type"]], nullable=not f.get("constraints", {}).get("required"))
        for f in schema()["fields"]
    )


def _result_columns() -> tuple[str, ...]:
    """The manifest columns a FetchResult carries (all but report_id)."""
    return tuple(c for c in columns() if c != "report_id")


def to_row(report_id: str, result: FetchResult) -> dict[str, Any]:
    row = {"report_id": report_id, **{c: getattr(result, c) for c in _result_columns()}}
    row["retrieved_at"] = datetime.fromisoformat(result.retrieved_at)
    return row


def to_result(row: dict[str, Any]) -> FetchResult:
    """A manifest row as a FetchResult (without its body, which lives in the archive)."""
    values = {c: row.get(c) for c in _result_columns()}
    values["retrieved_at"] = format_utc(values["retrieved_at"])
    return FetchResult(**values)


class Manifest:
    """Append-only record of fetches; `latest` gives the last good fetch of a report."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()

    def append(self, rows: Iterable[tuple[str, FetchResult]]) -> int:
        """Append (report_id, result) rows atomically; return how many were added."""
        new = pa.Table.from_pylist([to_row(rid, result) for rid, result in rows], schema=arrow_schema())
        if new.num_rows == 0:
            return 0
        with self._lock, self._file_lock():
            table = pa.concat_tables([self.read(), new])
            atomic.write_parquet(self.path, table)
        return new.num_rows

    def read(self) -> pa.Table:
        """All rows in append order, conformed to the current schema (new columns → null)."""
        if not self.path.exists():
            return arrow_schema().empty_table()
        table = pq.read_table(self.path)
        target = arrow_schema()
        arrays = [
            table.column(f.name).cast(f.type)
            if f.name in table.column_names
            else pa.nulls(table.num_rows, f.type)
            for f in target
        ]
        return pa.Table.from_arrays(arrays, schema=target)

    def rows(self) -> list[dict[str, Any]]:
        return self.read().to_pylist()

    def latest_by_report(self) -> dict[str, FetchResult]:
        """The last good fetch (a body was kept) of every report that has one.

        Remembered per file version (every write renames a new file into place, so a
        new inode): every step of every year asks, the manifest changes only on fetch.
        """
        key = _version_key(self.path)
        if key is not None and _LATEST.get(self.path, (None,))[0] == key:
            return dict(_LATEST[self.path][1])
        latest: dict[str, FetchResult] = {}
        for row in self.rows():
            if row["error"] is None and row["sha256"] is not None:
                latest[row["report_id"]] = to_result(row)
        if key is not None:
            _LATEST[self.path] = (key, latest)
        return dict(latest)

    def latest(self, report_id: str) -> FetchResult | None:
        """The last good fetch of one report: its sha256 and validators for a conditional request."""
        return self.latest_by_report().get(report_id)

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


_LATEST: dict[Path, tuple[tuple[int, int, int], dict[str, FetchResult]]] = {}


def _version_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


def _check_result_matches_schema() -> None:
    """Fail at import if FetchResult and the manifest schema disagree about the columns."""
    carried = {f.name for f in fields(FetchResult)} - {"body"}
    if carried != set(_result_columns()):
        raise RuntimeError(f"FetchResult fields {sorted(carried)} differ from {MANIFEST_SCHEMA} columns")


_check_result_matches_schema()
