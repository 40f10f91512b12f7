"""Warehouse marts → the files of a release folder, every byte a function of the data.

Rows are in primary-key order and columns in schema order. CSV: UTF-8, `\\n`
line ends, minimal quoting, a null is an empty cell (the schema's only missing
value) and never 0, an integer never prints as `1.0`, a number prints in its
shortest round-trip form. Parquet: one fixed Arrow schema per table, zstd.
An empty string is published as null, so that the CSV and the Parquet file
say the same thing.

DuckDB database files are not byte-reproducible (DuckDB 1.5's FSST string
compression, string blocks and index serialisation differ from run to run for
the same rows), so a release holds no `.duckdb` file: it holds `schema.sql`
and `load.sql`, the layout of DuckDB's `EXPORT DATABASE`, over its Parquet
files. `IMPORT DATABASE '<release folder>'` gives every table with its keys.
"""

from __future__ import annotations

import csv
import hashlib
import math
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from orchestration import atomic, tables
from orchestration.publish import package
from orchestration.publish.errors import MartMismatch, PublishError, ReleaseExists
from orchestration.publish.package import FileInfo

SQL_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"
_CHUNK = 1 << 20


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_marts(warehouse: Path) -> dict[str, pa.Table]:
    """Every published table from schema `marts` of the warehouse, checked against its schema."""
    if not warehouse.is_file():
        raise MartMismatch(f"no warehouse at {warehouse}: run `ogi build` first")
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for name in tables.PUBLISHED:
            found = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'marts' AND table_name = ? ORDER BY ordinal_position",
                [name],
            ).fetchall()
            expected = [(f["name"], SQL_TYPES[f["type"]]) for f in tables.schema(name)["fields"]]
            if not found:
                raise MartMismatch(f"{warehouse}: table marts.{name} is missing")
            if found != expected:
                raise MartMismatch(f"marts.{name} has columns {found}; its schema says {expected}")
            cols = ", ".join(quote(c) for c, _ in expected)
            order = ", ".join(quote(k) for k in tables.primary_key(name))
            result = con.execute(f"SELECT {cols} FROM marts.{quote(name)} ORDER BY {order}")
            out[name] = normalise(name, result.to_arrow_table())
    return out


def normalise(name: str, table: pa.Table) -> pa.Table:
    """The table with the published Arrow schema, one chunk per column, empty strings as null."""
    schema = tables.arrow_schema(name)
    columns = []
    for field, column in zip(schema, table.columns, strict=True):
        column = column.cast(field.type)
        if pa.types.is_string(field.type):
            column = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)
        columns.append(column.combine_chunks())
    return pa.Table.from_arrays(columns, schema=schema)


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


def write_csv(table: pa.Table, path: Path) -> None:
    """The table as CSV, streamed batch by batch."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(table.column_names)
        for batch in table.to_batches(max_chunksize=65536):
            for row in zip(*(c.to_pylist() for c in batch.columns), strict=True):
                writer.writerow([cell(v) for v in row])


def file_info(path: Path, relative: str) -> FileInfo:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return FileInfo(relative, size, digest.hexdigest())


def schema_sql() -> str:
    """CREATE TABLE statements of every published table, with its keys and comments, for DuckDB."""
    out = [
        "-- The tables of this release for DuckDB: run IMPORT DATABASE '<this folder>'",
        "-- (reads schema.sql, then load.sql, which copies in the Parquet files).",
    ]
    for name in tables.PUBLISHED:
        doc = tables.schema(name)
        lines = []
        for f in doc["fields"]:
            required = " NOT NULL" if f.get("constraints", {}).get("required") else ""
            lines.append(f"{quote(f['name'])} {SQL_TYPES[f['type']]}{required}")
        lines.append(f"PRIMARY KEY ({', '.join(quote(k) for k in doc['primaryKey'])})")
        for fk in doc.get("foreignKeys", []):
            ref = fk["reference"]
            lines.append(
                f"FOREIGN KEY ({', '.join(quote(c) for c in fk['fields'])}) "
                f"REFERENCES {quote(ref['resource'])} ({', '.join(quote(c) for c in ref['fields'])})"
            )
        out.append(f"CREATE TABLE {quote(name)} (\n  " + ",\n  ".join(lines) + "\n);")
        out.append(f"COMMENT ON TABLE {quote(name)} IS {_literal(package.table_title(name))};")
        for f in doc["fields"]:
            text = f"{f.get('title', '')}: {f.get('description', '')}".strip(": ")
            out.append(f"COMMENT ON COLUMN {quote(name)}.{quote(f['name'])} IS {_literal(text)};")
    return "\n".join(out) + "\n"


def load_sql() -> str:
    return "".join(
        f"COPY {quote(name)} FROM '{name}.parquet' (FORMAT parquet);\n" for name in tables.PUBLISHED
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_files(data: dict[str, pa.Table], folder: Path) -> tuple[dict[str, FileInfo], list[dict]]:
    """Write every data file of a release into `folder`; their infos for the descriptor."""
    csvs: dict[str, FileInfo] = {}
    files: list[dict] = []
    for name in tables.PUBLISHED:
        table = data[name]
        write_csv(table, folder / f"{name}.csv")
        csvs[name] = file_info(folder / f"{name}.csv", f"{name}.csv")
        pq.write_table(table, folder / f"{name}.parquet", compression="zstd", write_statistics=True)
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
        ("schema.sql", schema_sql(), "DuckDB: the tables with their keys (for IMPORT DATABASE)."),
        ("load.sql", load_sql(), "DuckDB: loads the Parquet files (for IMPORT DATABASE)."),
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
