"""The fetch manifest: one row per fetch of a catalog report, columns from the schema.

Stored as Parquet, chosen over CSV because nulls stay nulls (an absent ETag is
not an empty string), integers and the UTC timestamp keep their types, and
DuckDB or pyarrow read it as is. Parquet cannot be appended in place, so each
append is a file of its own in the manifest's directory, named by the range of
appends it holds (`00000007-00000007.parquet`) and written through a temp file
and a rename: a reader or a crash never sees half an append, and an append
costs what it adds, not the size of the manifest. Every COMPACT_AT appends the
files are streamed into one (`00000001-00000064.parquet`) before the ones it
covers are removed; a reader skips a file another covers, so a crash between
the two steps double-counts nothing. Writers are serialised within the process
by a lock and across processes by an exclusive `flock` on a sidecar lock file,
readers take it shared. Readers stream the files in batches and keep the rows
they asked for: a year's step holds its year, never the whole manifest.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import fields
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from orchestration import atomic, tables
from orchestration.fetch.client import MANIFEST_SCHEMA, FetchResult, format_utc

COMPACT_AT = 32
"""Append files after which they are merged into one."""
_PART = re.compile(r"^(?P<first>[0-9]{8})-(?P<last>[0-9]{8})\.parquet$")


@cache
def schema() -> dict[str, Any]:
    """The Frictionless table schema of the manifest (the only list of its columns)."""
    return json.loads(MANIFEST_SCHEMA.read_text(encoding="utf-8"))


def columns() -> tuple[str, ...]:
    return tuple(f["name"] for f in schema()["fields"])


@cache
def arrow_schema() -> pa.Schema:
    """The Parquet schema, derived from the Frictionless one (required → not nullable)."""
    return tables.to_arrow_schema(schema())


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
    """Append-only record of fetches in a directory of Parquet files; `latest_for` gives last good fetches."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._adopt_single_file()

    def append(self, rows: Iterable[tuple[str, FetchResult]]) -> int:
        """Append (report_id, result) rows atomically as one file; return how many were added."""
        new = pa.Table.from_pylist([to_row(rid, result) for rid, result in rows], schema=arrow_schema())
        if new.num_rows == 0:
            return 0
        with self._lock, self._file_lock(fcntl.LOCK_EX):
            parts, covered = self._scan()
            for path in covered:
                path.unlink()
            n = max((last for _, last, _ in parts), default=0) + 1
            parts.append((n, n, atomic.write_parquet(self.path / _part_name(n, n), new)))
            if len(parts) >= COMPACT_AT:
                self._compact(parts)
        return new.num_rows

    def read(self) -> pa.Table:
        """All rows in append order, conformed to the current schema (new columns → null)."""
        return pa.Table.from_batches(list(self.batches()), schema=arrow_schema())

    def rows(self) -> list[dict[str, Any]]:
        return self.read().to_pylist()

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The rows in append order, a batch at a time, read under the shared lock."""
        with self._file_lock(fcntl.LOCK_SH):
            for _, _, path in self._parts():
                for batch in pq.ParquetFile(path).iter_batches():
                    yield _conformed(batch)

    def latest_for(self, report_ids: Iterable[str]) -> dict[str, FetchResult]:
        """The last good fetch (a body was kept) of each of these reports that has one.

        Remembered for the last set asked, per state of the files: a year's steps
        all ask for its reports, and the manifest changes only on fetch.
        """
        wanted = frozenset(report_ids)
        key = (self._version(), wanted)
        if _LATEST.get(self.path, (None,))[0] == key:
            return dict(_LATEST[self.path][1])
        value_set = pa.array(sorted(wanted), pa.string())
        found: dict[str, dict[str, Any]] = {}
        for batch in self.batches():
            good = pc.and_(
                pc.is_in(batch.column("report_id"), value_set=value_set),
                pc.and_(pc.is_null(batch.column("error")), pc.is_valid(batch.column("sha256"))),
            )
            for row in batch.filter(good).to_pylist():
                found[row["report_id"]] = row
        latest = {rid: to_result(row) for rid, row in found.items()}
        _LATEST[self.path] = (key, latest)
        return dict(latest)

    def latest(self, report_id: str) -> FetchResult | None:
        """The last good fetch of one report: its sha256 and validators for a conditional request."""
        return self.latest_for([report_id]).get(report_id)

    def _parts(self) -> list[tuple[int, int, Path]]:
        """The append files in order, without those a merged file covers."""
        return self._scan()[0]

    def _scan(self) -> tuple[list[tuple[int, int, Path]], list[Path]]:
        """(live files, files a merged one covers: left by a crash mid-compaction)."""
        found = []
        if self.path.is_dir():
            for path in self.path.iterdir():
                if (m := _PART.match(path.name)) is not None:
                    found.append((int(m["first"]), int(m["last"]), path))
        live, covered, upto = [], [], 0
        for first, last, path in sorted(found, key=lambda p: (p[0], -p[1])):
            if last > upto:
                live.append((first, last, path))
                upto = last
            else:
                covered.append(path)
        return live, covered

    def _compact(self, parts: list[tuple[int, int, Path]]) -> None:
        """Stream the append files into one, then remove them (under the exclusive lock)."""
        first, last = parts[0][0], parts[-1][1]
        target = self.path / _part_name(first, last)
        with atomic.replacing(target) as tmp, pq.ParquetWriter(tmp, arrow_schema()) as writer:
            for _, _, path in parts:
                for batch in pq.ParquetFile(path).iter_batches():
                    writer.write_batch(_conformed(batch))
        for _, _, path in parts:
            if path != target:
                path.unlink()

    def _version(self) -> tuple[tuple[str, int, int], ...]:
        with self._file_lock(fcntl.LOCK_SH):
            return tuple((p.name, (st := p.stat()).st_ino, st.st_mtime_ns) for _, _, p in self._parts())

    def _adopt_single_file(self) -> None:
        """A manifest from before the directory (`<name>.parquet`, one file) becomes its first append."""
        single = self.path.with_name(self.path.name + ".parquet")
        if not single.is_file():
            return
        with self._lock, self._file_lock(fcntl.LOCK_EX):
            if single.is_file() and not self._parts():
                os.replace(single, self.path / _part_name(1, 1))

    @contextlib.contextmanager
    def _file_lock(self, kind: int) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as fh:
            fcntl.flock(fh, kind)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


_LATEST: dict[Path, tuple[Any, dict[str, FetchResult]]] = {}


def _part_name(first: int, last: int) -> str:
    return f"{first:08d}-{last:08d}.parquet"


def _conformed(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A batch in the current schema: columns cast, a column added since the file was written → null."""
    target = arrow_schema()
    arrays = [
        batch.column(f.name).cast(f.type)
        if f.name in batch.schema.names
        else pa.nulls(batch.num_rows, f.type)
        for f in target
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=target)


def _check_result_matches_schema() -> None:
    """Fail at import if FetchResult and the manifest schema disagree about the columns."""
    carried = {f.name for f in fields(FetchResult)} - {"body"}
    if carried != set(_result_columns()):
        raise RuntimeError(f"FetchResult fields {sorted(carried)} differ from {MANIFEST_SCHEMA} columns")


_check_result_matches_schema()
