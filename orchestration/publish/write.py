"""Warehouse marts → the files of a release folder, every byte a function of the data.

Rows are in primary-key order and columns in schema order. CSV: UTF-8, `\\n`
line ends, minimal quoting, a null is an empty cell (the schema's only missing
value) and never 0, an integer never prints as `1.0`, a number prints in its
shortest round-trip form. Parquet: one fixed Arrow schema per table, zstd,
row groups of `ROW_GROUP` rows. An empty string is published as null, so that
the CSV and the Parquet file say the same thing. Each table streams from
DuckDB a batch at a time into both files, so memory does not grow with the data.

DuckDB database files are not byte-reproducible (DuckDB 1.5's FSST string
compression, string blocks and index serialisation differ from run to run for
the same rows), so a release holds no `.duckdb` file: it holds `schema.sql`
and `load.sql`, the layout of DuckDB's `EXPORT DATABASE`, over its Parquet
files. `IMPORT DATABASE '<release folder>'` gives every table with its columns'
types and NOT NULL constraints; `keys.sql`, run after it, adds the primary keys.
They are apart because DuckDB builds a key's index in memory and cannot spill
it: with the keys in `schema.sql` the import would need memory in proportion to
the largest table (about 1.6 GiB for 8.6 million rows), and the whole history
would not load on a laptop. The keys hold all the same: publish checks them.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import math
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration import atomic, duck, tables
from orchestration.publish import package
from orchestration.publish.errors import MartMismatch, PublishError, ReleaseExists
from orchestration.publish.package import FileInfo

SQL_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"
ROW_GROUP = 1024 * 1024
"""Rows per Parquet row group: pyarrow's `write_table` default, with which every release so far was
written. Another split gives other bytes for the same rows."""
_BATCH = 65536
_CHUNK = 1 << 20


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@contextlib.contextmanager
def duckdb_session() -> Iterator[tuple[duckdb.DuckDBPyConnection, Path]]:
    """A DuckDB database in a new temporary folder, held to `duck.MEMORY_LIMIT` (it spills into that folder).

    Yields the connection and the folder (for other databases to ATTACH there); both go afterwards.
    """
    scratch = Path(tempfile.gettempdir()) / "ogi-duckdb"
    atomic.sweep_siblings(scratch)  # what a killed publish left
    tmp = atomic.temporary_dir(scratch.parent, scratch.name)
    try:
        with duck.connect(tmp / "work.duckdb", spill=tmp / "spill") as con:
            yield con, tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def open_marts(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection where every published table is a view of its mart in schema `marts` of the warehouse.

    Each mart is checked against its schema first (MartMismatch). The views
    have the schema's columns and publish an empty string as null, so that
    the CSV and the Parquet file say the same thing.
    """
    if not warehouse.is_file():
        raise MartMismatch(f"no warehouse at {warehouse}: run `ogi build` first")
    with duckdb_session() as (con, _):
        con.execute(f"ATTACH {literal(str(warehouse))} AS warehouse (READ_ONLY)")
        for name in tables.PUBLISHED:
            found = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = "
                "'warehouse' AND table_schema = 'marts' AND table_name = ? ORDER BY ordinal_position",
                [name],
            ).fetchall()
            expected = [(f["name"], SQL_TYPES[f["type"]]) for f in tables.schema(name)["fields"]]
            if not found:
                raise MartMismatch(f"{warehouse}: table marts.{name} is missing")
            if found != expected:
                raise MartMismatch(f"marts.{name} has columns {found}; its schema says {expected}")
            cols = ", ".join(
                f"nullif({quote(c)}, '') AS {quote(c)}" if t == "VARCHAR" else quote(c) for c, t in expected
            )
            con.execute(f"CREATE VIEW {quote(name)} AS SELECT {cols} FROM warehouse.marts.{quote(name)}")
        yield con


def batches(con: duckdb.DuckDBPyConnection, name: str) -> Iterator[pa.RecordBatch]:
    """The rows of a table registered in `con`, in primary-key order, with the published Arrow schema."""
    schema = tables.arrow_schema(name)
    order = ", ".join(quote(k) for k in tables.primary_key(name))
    with con.sql(f"SELECT * FROM {quote(name)} ORDER BY {order}").to_arrow_reader(_BATCH) as reader:
        for batch in reader:
            columns = [column.cast(field.type) for field, column in zip(schema, batch.columns, strict=True)]
            yield pa.RecordBatch.from_arrays(columns, schema=schema)


def cell(value) -> str:
    """A value as a CSV cell: null → empty, true/false, integers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PublishError(f"not a publishable number: {value!r}")
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    return str(value)


def csv_rows(batch: pa.RecordBatch) -> Iterator[list[str]]:
    for row in zip(*(c.to_pylist() for c in batch.columns), strict=True):
        yield [cell(v) for v in row]


def row_groups(stream: Iterable[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.Table]:
    """The batches regrouped into tables of ROW_GROUP rows (the last one shorter), one chunk per column.

    An empty stream gives one empty table: a Parquet file of no rows still has its one row group.
    """
    pending: list[pa.RecordBatch] = []
    held = 0
    done = False
    for batch in stream:
        while batch.num_rows:
            take = min(ROW_GROUP - held, batch.num_rows)
            pending.append(batch.slice(0, take))
            held += take
            batch = batch.slice(take)
            if held == ROW_GROUP:
                yield pa.Table.from_batches(pending, schema).combine_chunks()
                pending, held, done = [], 0, True
    if held or not done:
        yield pa.Table.from_batches(pending, schema).combine_chunks()


def write_table(con: duckdb.DuckDBPyConnection, name: str, folder: Path) -> None:
    """`<name>.csv` and `<name>.parquet` in folder, both written a batch at a time from the table in `con`."""
    schema = tables.arrow_schema(name)
    with (
        (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as f,
        pq.ParquetWriter(folder / f"{name}.parquet", schema, compression="zstd", write_statistics=True) as pw,
    ):
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(schema.names)

        def written() -> Iterator[pa.RecordBatch]:
            for batch in batches(con, name):
                writer.writerows(csv_rows(batch))
                yield batch

        for group in row_groups(written(), schema):
            pw.write_table(group)


def file_info(path: Path, relative: str) -> FileInfo:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return FileInfo(relative, size, digest.hexdigest())


def schema_sql() -> str:
    """CREATE TABLE statements of every published table, with types, NOT NULL and comments, for DuckDB."""
    out = [
        "-- The tables of this release for DuckDB: run IMPORT DATABASE '<this folder>'",
        "-- (reads schema.sql, then load.sql, which copies in the Parquet files).",
        "-- The primary keys are in keys.sql, to run afterwards if wanted (see there).",
    ]
    for name in tables.PUBLISHED:
        doc = tables.schema(name)
        lines = []
        for f in doc["fields"]:
            required = " NOT NULL" if f.get("constraints", {}).get("required") else ""
            lines.append(f"{quote(f['name'])} {SQL_TYPES[f['type']]}{required}")
        out.append(f"CREATE TABLE {quote(name)} (\n  " + ",\n  ".join(lines) + "\n);")
        out.append(f"COMMENT ON TABLE {quote(name)} IS {literal(package.table_title(name))};")
        for f in doc["fields"]:
            text = f"{f.get('title', '')}: {f.get('description', '')}".strip(": ")
            out.append(f"COMMENT ON COLUMN {quote(name)}.{quote(f['name'])} IS {literal(text)};")
    return "\n".join(out) + "\n"


def keys_sql() -> str:
    """ALTER TABLE statements adding each table's primary key; its foreign keys as comments."""
    out = [
        "-- Primary keys of the tables, for DuckDB, after IMPORT DATABASE: .read keys.sql",
        "-- DuckDB holds each key's index in memory (about 200 bytes a row), so this is",
        "-- left out of the import. Every key was checked when the release was published;",
        "-- the foreign keys (DuckDB cannot add them to a filled table) are listed as comments.",
    ]
    for name in tables.PUBLISHED:
        doc = tables.schema(name)
        out.append(
            f"ALTER TABLE {quote(name)} ADD PRIMARY KEY ({', '.join(quote(k) for k in doc['primaryKey'])});"
        )
        for fk in doc.get("foreignKeys", []):
            ref = fk["reference"]
            out.append(
                f"-- {quote(name)} ({', '.join(quote(c) for c in fk['fields'])}) "
                f"REFERENCES {quote(ref['resource'])} ({', '.join(quote(c) for c in ref['fields'])})"
            )
    return "\n".join(out) + "\n"


def load_sql() -> str:
    return "".join(
        f"COPY {quote(name)} FROM '{name}.parquet' (FORMAT parquet);\n" for name in tables.PUBLISHED
    )


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_files(con: duckdb.DuckDBPyConnection, folder: Path) -> tuple[dict[str, FileInfo], list[dict]]:
    """Write every data file of a release into `folder` from the tables of `open_marts`; their infos."""
    csvs: dict[str, FileInfo] = {}
    files: list[dict] = []
    for name in tables.PUBLISHED:
        write_table(con, name, folder)
        csvs[name] = file_info(folder / f"{name}.csv", f"{name}.csv")
        files.append(
            package.file_entry(
                file_info(folder / f"{name}.parquet", f"{name}.parquet"),
                "parquet",
                PARQUET_MEDIATYPE,
                f"The table {name} as Parquet: the same rows, columns and types as {name}.csv.",
                table=name,
            )
        )
    for script, text, what in (
        ("schema.sql", schema_sql(), "DuckDB: the tables, their types and NOT NULLs (for IMPORT DATABASE)."),
        ("load.sql", load_sql(), "DuckDB: loads the Parquet files (for IMPORT DATABASE)."),
        ("keys.sql", keys_sql(), "DuckDB: adds the primary keys after IMPORT DATABASE, when wanted."),
    ):
        (folder / script).write_text(text, encoding="utf-8")
        files.append(package.file_entry(file_info(folder / script, script), "sql", "application/sql", what))
    return csvs, files


def differing_files(a: Path, b: Path) -> list[str]:
    """Files that are not byte-identical between two release folders (or exist in only one)."""
    names_a = {p.name for p in a.iterdir()}
    names_b = {p.name for p in b.iterdir()}
    out = sorted(names_a ^ names_b)
    for name in sorted(names_a & names_b):
        if file_info(a / name, name) != file_info(b / name, name):
            out.append(name)
    return sorted(out)


def install(staging: Path, target: Path) -> bool:
    """Move a complete release folder into place in one rename; True when it is new.

    An existing release is never changed: identical bytes make this a no-op
    (False), anything else raises ReleaseExists.
    """
    if not target.exists():
        try:
            atomic.install_dir(staging, target)
            return True
        except OSError:
            if not target.exists():
                raise
    differing = differing_files(staging, target)
    if differing:
        raise ReleaseExists(target.name, str(target), differing)
    shutil.rmtree(staging, ignore_errors=True)
    return False
