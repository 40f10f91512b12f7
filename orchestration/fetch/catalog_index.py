"""The validated catalog kept on disk, one Parquet file per year, so a step reads its own year only.

Every step of every year asks for its year's catalog rows. Validating the CSV
for each would cost O(N) a step; remembering the validated rows would keep the
whole catalog in the Dagster process as Python objects (about 1 KB a row) for
the whole run. So the CSV is validated once per content, streaming, into
`<data>/catalog/<key>/<year>.parquet`, and a step reads its year's file. The
key hashes the CSV's bytes and the root its paths are confined to. An invalid
catalog leaves nothing behind: the files are written in a temporary directory
that is renamed into place only once the whole CSV has validated.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration import atomic, tables
from orchestration.fetch.catalog import REPO_ROOT, CatalogRow, columns, read_catalog, schema

BUFFERED = 20_000
"""Validated rows held before they are written out, each year's as a row group of its file."""


class CatalogIndex:
    """A catalog CSV's valid rows by year; built under `store` on first use, then read from there."""

    def __init__(self, catalog: Path, store: Path, root: Path = REPO_ROOT):
        self.catalog, self.store, self.root = Path(catalog), Path(store), Path(root)

    def years(self) -> list[int]:
        return sorted(int(p.stem) for p in self.directory().glob("*.parquet"))

    def rows(self, year: int) -> list[CatalogRow]:
        """The year's rows in catalog order (none for a year the catalog does not have)."""
        path = self.directory() / f"{year}.parquet"
        if not path.is_file():
            return []
        return [CatalogRow(**r) for r in pq.read_table(path).to_pylist()]

    def directory(self) -> Path:
        """The index of the catalog as it is now; CatalogError if it does not validate."""
        target = self.store / _content_key(self.catalog, self.root)
        if not target.is_dir():
            _build(self.catalog, self.root, target)
            _remove_others(target)
        return target


def _build(catalog: Path, root: Path, target: Path) -> None:
    tmp = atomic.temporary_dir(target.parent, target.name)
    try:
        _write_years(catalog, root, tmp)
        try:
            atomic.install_dir(tmp, target)
        except OSError:
            if not target.is_dir():  # else another process installed the same index first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_years(catalog: Path, root: Path, out: Path) -> None:
    """Stream the valid rows into one file per year, BUFFERED rows at a time."""
    arrow = _arrow_schema()
    writers: dict[int, pq.ParquetWriter] = {}
    buffered: dict[int, list[dict]] = {}

    def flush() -> None:
        for year, rows in sorted(buffered.items()):
            if year not in writers:
                writers[year] = pq.ParquetWriter(out / f"{year}.parquet", arrow)
            writers[year].write_table(pa.Table.from_pylist(rows, schema=arrow))
        buffered.clear()

    try:
        held = 0
        for row in read_catalog(catalog, root):
            buffered.setdefault(row.year, []).append({c: getattr(row, c) for c in columns()})
            held += 1
            if held == BUFFERED:
                flush()
                held = 0
        flush()
    finally:
        for writer in writers.values():
            writer.close()


def _arrow_schema() -> pa.Schema:
    return tables.to_arrow_schema(schema())


_KEYS: dict[tuple[Path, Path], tuple[tuple[int, int, int], str]] = {}


def _content_key(catalog: Path, root: Path) -> str:
    """A hash of the catalog's bytes and the root, recomputed only when the file changes."""
    st = catalog.stat()
    version = (st.st_ino, st.st_size, st.st_mtime_ns)
    known = _KEYS.get((catalog, root))
    if known is not None and known[0] == version:
        return known[1]
    digest = hashlib.sha256(os.fsencode(os.path.abspath(root)) + b"\0")
    with open(catalog, "rb") as fh:
        digest.update(hashlib.file_digest(fh, "sha256").digest())
    key = digest.hexdigest()[:32]
    _KEYS[(catalog, root)] = (version, key)
    return key


def _remove_others(current: Path) -> None:
    """Indexes of earlier contents of the catalog: no step reads them again."""
    for path in current.parent.iterdir():
        if path != current and path.is_dir() and not atomic.is_temporary(path):
            with contextlib.suppress(FileNotFoundError):
                shutil.rmtree(path)
