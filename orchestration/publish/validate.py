"""Is a release valid? Frictionless validation plus the project's own checks.

Own checks: the descriptor is Data Package v2 with a SemVer version and an
RFC 3339 date; every listed file has its recorded size and sha256 and nothing
unlisted sits in the release folder; every CSV has its schema's header; primary
keys are unique and not null, required columns hold no null, foreign keys
resolve; each Parquet file holds exactly the rows of its CSV; DuckDB's IMPORT
DATABASE loads the release, and `keys.sql` runs on the empty tables of
`schema.sql` (the keys themselves are checked above). The own checks are DuckDB queries over the files
in databases on disk held to a memory limit (`write.duckdb_session`), so they
need no more memory for more rows.

Frictionless checks every cell of every table against its field (type,
constraints, code lists) and each file's size and hash, one table per worker
process. It is given the schemas without their keys: it would hold every key
of a table in a Python dict (about 3 GiB at 8.6 million rows), and the keys
are checked by the DuckDB queries on the same CSV files.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from orchestration import workers
from orchestration.publish import package
from orchestration.publish.errors import BadRelease
from orchestration.publish.release import checksum_problems, descriptor_path
from orchestration.publish.version import Version
from orchestration.publish.write import SQL_TYPES, duckdb_session, literal, quote

_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_FRICTIONLESS_SHOWN = 50


@dataclass(frozen=True)
class Problem:
    check: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.check}: {self.message}"


def key_problems(con: duckdb.DuckDBPyConnection, schemas: dict[str, dict]) -> list[Problem]:
    """Required columns, primary keys and foreign keys of tables registered in `con` under their names."""
    out = []
    for name, schema in schemas.items():
        for f in schema["fields"]:
            if f.get("constraints", {}).get("required") or f["name"] in schema["primaryKey"]:
                n = con.execute(
                    f"SELECT count(*) FROM {quote(name)} WHERE {quote(f['name'])} IS NULL"
                ).fetchone()[0]
                if n:
                    out.append(Problem("required", name, f"{n} null(s) in {f['name']}"))
        key = ", ".join(quote(k) for k in schema["primaryKey"])
        dup = con.execute(
            f"SELECT count(*), min(concat_ws(' · ', {key})) FROM "
            f"(SELECT {key} FROM {quote(name)} GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()
        if dup[0]:
            out.append(Problem("primary-key", name, f"{dup[0]} duplicated key(s), e.g. {dup[1]}"))
        for fk in schema.get("foreignKeys", []):
            ref = fk["reference"]
            if ref["resource"] not in schemas:
                out.append(Problem("foreign-key", name, f"references a missing table {ref['resource']}"))
                continue
            on = " AND ".join(
                f"t.{quote(a)} = r.{quote(b)}" for a, b in zip(fk["fields"], ref["fields"], strict=True)
            )
            notnull = " AND ".join(f"t.{quote(a)} IS NOT NULL" for a in fk["fields"])
            miss = con.execute(
                f"SELECT count(*), min(concat_ws(' · ', {', '.join('t.' + quote(a) for a in fk['fields'])})) "
                f"FROM {quote(name)} t ANTI JOIN {quote(ref['resource'])} r ON {on} WHERE {notnull}"
            ).fetchone()
            if miss[0]:
                out.append(
                    Problem(
                        "foreign-key",
                        name,
                        f"{miss[0]} row(s) whose {', '.join(fk['fields'])} is not in {ref['resource']}, "
                        f"e.g. {miss[1]}",
                    )
                )
    return out


def _descriptor_problems(doc: dict[str, Any]) -> list[Problem]:
    out = []
    if doc.get("$schema") != package.PROFILE:
        out.append(Problem("descriptor", "$schema", f"not the Data Package v2 profile: {doc.get('$schema')}"))
    try:
        Version.parse(doc.get("version", ""))
    except BadRelease as exc:
        out.append(Problem("descriptor", "version", str(exc)))
    if not _RFC3339.fullmatch(str(doc.get("created", ""))):
        out.append(Problem("descriptor", "created", f"not an RFC 3339 date-time: {doc.get('created')!r}"))
    return out


def _stray_files(doc: dict[str, Any], base: Path) -> list[Problem]:
    listed = {e["path"] for e in package.entries(doc)} | {package.DESCRIPTOR}
    if any("/" in p for p in listed):
        return []
    return [
        Problem("files", p.name, "not listed in datapackage.json")
        for p in base.iterdir()
        if p.name not in listed
    ]


def _read_csv(con, name: str, resource: dict, path: Path) -> list[Problem]:
    fields = resource["schema"]["fields"]
    with path.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f), [])
    names = [fd["name"] for fd in fields]
    if header != names:
        return [Problem("header", name, f"columns {header}, the schema says {names}")]
    columns = "{" + ", ".join(f"'{fd['name']}': '{SQL_TYPES[fd['type']]}'" for fd in fields) + "}"
    try:
        con.execute(
            f"CREATE TABLE {quote(name)} AS SELECT * FROM read_csv(?, header = true, auto_detect = false, "
            f"delim = ',', quote = '\"', escape = '\"', nullstr = '', columns = {columns})",
            [str(path)],
        )
    except duckdb.Error as exc:
        return [Problem("csv", name, str(exc).splitlines()[0])]
    return []


def _same_rows(con, a: str, b: str) -> int:
    return con.execute(
        f"SELECT (SELECT count(*) FROM (FROM {a} EXCEPT ALL FROM {b})) + "
        f"(SELECT count(*) FROM (FROM {b} EXCEPT ALL FROM {a}))"
    ).fetchone()[0]


def _data_problems(doc: dict[str, Any], base: Path) -> list[Problem]:
    out: list[Problem] = []
    schemas = {r["name"]: r["schema"] for r in doc["resources"]}
    parquets = {f["table"]: f["path"] for f in doc.get(package.FILES, []) if f.get("table")}
    with duckdb_session() as (con, scratch):
        for r in doc["resources"]:
            out += _read_csv(con, r["name"], r, base / r["path"])
        if out:
            return out
        out += key_problems(con, schemas)
        for name in schemas:
            if name not in parquets:
                out.append(Problem("files", name, "no Parquet file listed"))
                continue
            path = str(base / parquets[name]).replace("'", "''")
            con.execute(f"CREATE VIEW {quote('pq_' + name)} AS FROM read_parquet('{path}')")
            try:
                n = _same_rows(con, quote(name), quote("pq_" + name))
            except duckdb.Error as exc:
                out.append(Problem("parquet", name, str(exc).splitlines()[0]))
                continue
            if n:
                out.append(
                    Problem("parquet", name, f"{n} row(s) differ between the CSV and the Parquet file")
                )
        out += _import_problems(con, doc, base, schemas, scratch)
    return out


def _import_problems(
    con, doc: dict[str, Any], base: Path, schemas: dict[str, dict], scratch: Path
) -> list[Problem]:
    """IMPORT DATABASE of the release into an empty database beside `con`'s, then its tables against the CSV
    tables; and keys.sql on the empty tables of schema.sql."""
    listed = {Path(f["path"]).name: base / f["path"] for f in doc.get(package.FILES, [])}
    missing = [s for s in ("schema.sql", "load.sql", "keys.sql") if s not in listed]
    if missing:
        return [Problem("duckdb", s, "not listed") for s in missing]
    work = con.execute("SELECT current_database()").fetchone()[0]
    con.execute(f"ATTACH {literal(str(scratch / 'imported.duckdb'))} AS imported")
    try:
        con.execute("USE imported")
        con.execute(f"IMPORT DATABASE {literal(str(listed['schema.sql'].parent))}")
        with duckdb.connect() as empty:
            empty.execute(listed["schema.sql"].read_text(encoding="utf-8"))
            empty.execute(listed["keys.sql"].read_text(encoding="utf-8"))
    except duckdb.Error as exc:
        return [Problem("duckdb", "IMPORT DATABASE", str(exc).splitlines()[0])]
    finally:
        con.execute(f"USE {quote(work)}")
    out = []
    for name in schemas:
        n = _same_rows(con, quote(name), f"imported.main.{quote(name)}")
        if n:
            out.append(Problem("duckdb", name, f"{n} row(s) differ between the CSV and the imported table"))
    return out


def frictionless_problems(path: Path, processes: int | None = None) -> list[Problem]:
    """Frictionless on a release: its descriptor against the profile, then every table (keys left out)."""
    import frictionless

    target = descriptor_path(path)
    try:
        frictionless.Package(str(target)).to_descriptor(validate=True)
    except frictionless.FrictionlessException as exc:
        return [Problem(f"frictionless:{e.type}", str(target), e.message) for e in exc.to_errors()]
    doc = package.load(target)
    resources = sorted(doc["resources"], key=lambda r: -(r.get("bytes") or 0))
    jobs = [(_keyless(r), str(target.parent)) for r in resources]
    found = dict(
        zip(
            (r["name"] for r in resources),
            workers.starmap(_table_problems, jobs, processes, keep=False),
            strict=True,
        )
    )
    out = [p for r in doc["resources"] for p in found[r["name"]]]
    if len(out) > _FRICTIONLESS_SHOWN:
        out = [*out[:_FRICTIONLESS_SHOWN], Problem("frictionless", str(path), f"… {len(out)} errors in all")]
    return out


def _keyless(resource: dict[str, Any]) -> dict[str, Any]:
    schema = {k: v for k, v in resource["schema"].items() if k not in ("primaryKey", "foreignKeys")}
    return {**resource, "schema": schema}


def _table_problems(resource: dict[str, Any], basepath: str) -> list[Problem]:
    import frictionless

    report = frictionless.Resource(resource, basepath=basepath).validate(limit_errors=_FRICTIONLESS_SHOWN + 1)
    errors = [*report.errors, *(e for task in report.tasks for e in task.errors)]
    return [Problem(f"frictionless:{e.type}", resource["name"], e.message) for e in errors]


def validate(path: Path, *, frictionless: bool = True) -> list[Problem]:
    """Every problem of the release at `path` (a release folder or a datapackage.json); [] when valid."""
    target = descriptor_path(path)
    try:
        doc = package.load(target)
    except BadRelease as exc:
        return [Problem("descriptor", str(target), str(exc))]
    base = target.parent
    out = _descriptor_problems(doc)
    out += [Problem("checksum", str(target), p) for p in checksum_problems(doc, base)]
    out += _stray_files(doc, base)
    if out:
        return out
    out += _data_problems(doc, base)
    if frictionless:
        out += frictionless_problems(target)
    return out
