"""What changed between two releases: reports, schema, cells (old → new), findings.

Rows are matched on their table's primary key. Cell changes are listed only
for rows present in both releases; the rows of an added or removed report
count as that report. Findings are matched on (report, code, scope, message),
not on their sequence number, so a finding that moves in the list is neither
added nor resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from orchestration import tables
from orchestration.publish.package import FILES
from orchestration.publish.release import Release
from orchestration.publish.write import cell, duckdb_session, quote

FINDINGS = "fct_findings"
FINDING_KEY = ("report_id", "code", "scope", "message")
_DOC_KEYS = ("title", "description")
_SKIP_META = {"$schema", "version", "created", "resources", FILES}


@dataclass(frozen=True)
class SchemaChange:
    table: str
    column: str | None
    what: str
    level: str


@dataclass(frozen=True)
class CellChange:
    table: str
    key: tuple[tuple[str, Any], ...]
    column: str
    old: Any
    new: Any


@dataclass(frozen=True)
class RowChange:
    table: str
    key: tuple[tuple[str, Any], ...]


@dataclass
class Diff:
    old_version: str
    new_version: str
    data_compared: bool = True
    metadata: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    schema: list[SchemaChange] = field(default_factory=list)
    reports_added: list[tuple] = field(default_factory=list)
    reports_removed: list[tuple] = field(default_factory=list)
    cells: list[CellChange] = field(default_factory=list)
    rows_added: list[RowChange] = field(default_factory=list)
    rows_removed: list[RowChange] = field(default_factory=list)
    findings_added: list[tuple] = field(default_factory=list)
    findings_resolved: list[tuple] = field(default_factory=list)


def _schemas(release: Release) -> dict[str, dict]:
    return {r["name"]: r for r in release.descriptor["resources"]}


def metadata_changes(old: Release, new: Release) -> list[str]:
    a, b = old.descriptor, new.descriptor
    return sorted(k for k in (set(a) | set(b)) - _SKIP_META if a.get(k) != b.get(k))


def file_changes(old: Release, new: Release) -> list[str]:
    """The files beside the tables' (the DuckDB scripts) added, removed or changed."""
    a, b = (
        {Path(f["path"]).name: f["hash"] for f in r.descriptor.get(FILES, []) if not f.get("table")}
        for r in (old, new)
    )
    return sorted(n for n in a.keys() | b.keys() if a.get(n) != b.get(n))


def schema_changes(old: Release, new: Release) -> list[SchemaChange]:
    a, b = _schemas(old), _schemas(new)
    out = [SchemaChange(n, None, "table removed", "major") for n in a if n not in b]
    out += [SchemaChange(n, None, "table added", "minor") for n in b if n not in a]
    for name in (n for n in b if n in a):
        out += _table_changes(name, a[name], b[name])
    return out


def _table_changes(name: str, old: dict, new: dict) -> list[SchemaChange]:
    out = [
        SchemaChange(name, None, f"{key} changed", "patch")
        for key in _DOC_KEYS
        if old.get(key) != new.get(key)
    ]
    os_, ns = old["schema"], new["schema"]
    ofields = {f["name"]: f for f in os_["fields"]}
    nfields = {f["name"]: f for f in ns["fields"]}
    out += [SchemaChange(name, c, "column removed", "major") for c in ofields if c not in nfields]
    kept = [c for c in ofields if c in nfields]
    if list(nfields)[: len(kept)] != kept:
        out.append(SchemaChange(name, None, "columns moved (a column inserted or reordered)", "major"))
    out += [SchemaChange(name, c, "column added", "minor") for c in nfields if c not in ofields]
    for col in kept:
        f, g = ofields[col], nfields[col]
        if f["type"] != g["type"]:
            out.append(SchemaChange(name, col, f"type {f['type']} → {g['type']}", "major"))
        if f.get("constraints") != g.get("constraints"):
            out.append(SchemaChange(name, col, "constraints changed", "minor"))
        out += [
            SchemaChange(name, col, f"{key} changed", "patch")
            for key in _DOC_KEYS
            if f.get(key) != g.get(key)
        ]
    for key, level in (("primaryKey", "major"), ("missingValues", "major"), ("foreignKeys", "minor")):
        if os_.get(key) != ns.get(key):
            out.append(SchemaChange(name, None, f"{key} changed", level))
    return out


def diff(old: Release, new: Release) -> Diff:
    """The changes from `old` to `new`; values are compared only when both releases' files are at hand."""
    d = Diff(
        str(old.version) if old.descriptor.get("version") else "", str(new.descriptor.get("version", ""))
    )
    d.metadata = metadata_changes(old, new)
    d.files = file_changes(old, new)
    d.schema = schema_changes(old, new)
    if not (old.has_data and new.has_data):
        d.data_compared = False
        return d
    a, b = _schemas(old), _schemas(new)
    with duckdb_session() as (con, _):
        for name in tables.PUBLISHED:
            if name in a and name in b:
                for prefix, rel in (("o", old), ("n", new)):
                    path = str(rel.parquet(name)).replace("'", "''")
                    con.execute(f"CREATE VIEW {prefix}_{name} AS FROM read_parquet('{path}')")
        _reports(con, d)
        gone = [r[0] for r in d.reports_added + d.reports_removed]
        con.execute("CREATE TABLE gone AS SELECT unnest(?::VARCHAR[]) AS report_id", [gone])
        for name in tables.PUBLISHED:
            if name not in a or name not in b or name == FINDINGS:
                continue
            if a[name]["schema"]["primaryKey"] != b[name]["schema"]["primaryKey"]:
                continue
            _table(con, d, name, a[name]["schema"], b[name]["schema"])
        if FINDINGS in a and FINDINGS in b:
            _findings(con, d)
    return d


def _reports(con: duckdb.DuckDBPyConnection, d: Diff) -> None:
    cols = "report_id, catalog_publisher, catalog_year"
    for target, x, y in ((d.reports_added, "n", "o"), (d.reports_removed, "o", "n")):
        target += con.execute(
            f"SELECT {cols} FROM {x}_dim_reports WHERE report_id NOT IN "
            f"(SELECT report_id FROM {y}_dim_reports) ORDER BY report_id"
        ).fetchall()


def _report_columns(schema: dict) -> list[str]:
    """The columns of a table that name a report (foreign keys to dim_reports, or its own key)."""
    out = [
        c
        for fk in schema.get("foreignKeys", [])
        if fk["reference"]["resource"] == "dim_reports"
        for c in fk["fields"]
    ]
    return out or (["report_id"] if schema["primaryKey"] == ["report_id"] else [])


def _kept(columns: list[str]) -> str:
    """SQL: the row names no report added or removed (table `gone`) in any of these key columns."""
    return (
        " AND ".join(f"coalesce({quote(c)} NOT IN (SELECT report_id FROM gone), true)" for c in columns)
        or "true"
    )


def _table(con, d: Diff, name: str, old: dict, new: dict) -> None:
    key = new["primaryKey"]
    types = {f["name"]: f["type"] for f in old["fields"]}
    join = " AND ".join(f"o.{quote(k)} = n.{quote(k)}" for k in key)
    keys = ", ".join(f"n.{quote(k)}" for k in key)
    order = ", ".join(quote(k) for k in key)
    position = {f["name"]: i for i, f in enumerate(new["fields"])}
    changed: list[CellChange] = []
    for f in new["fields"]:
        col = f["name"]
        if col in key or types.get(col) != f["type"]:
            continue
        rows = con.execute(
            f"SELECT {keys}, o.{quote(col)}, n.{quote(col)} FROM o_{name} o JOIN n_{name} n ON {join} "
            f"WHERE o.{quote(col)} IS DISTINCT FROM n.{quote(col)} ORDER BY {keys}"
        ).fetchall()
        for r in rows:
            changed.append(CellChange(name, tuple(zip(key, r[: len(key)], strict=True)), col, r[-2], r[-1]))
    d.cells += sorted(changed, key=lambda c: (c.key, position[c.column]))
    kept = _kept([c for c in _report_columns(new) if c in key])
    for target, x, y in ((d.rows_added, "n", "o"), (d.rows_removed, "o", "n")):
        rows = con.execute(
            f"SELECT {order} FROM {x}_{name} ANTI JOIN {y}_{name} USING ({order}) "
            f"WHERE {kept} ORDER BY {order}"
        ).fetchall()
        target += [RowChange(name, tuple(zip(key, r, strict=True))) for r in rows]


def _findings(con, d: Diff) -> None:
    cols = ", ".join(FINDING_KEY)
    for target, x, y in ((d.findings_added, "n", "o"), (d.findings_resolved, "o", "n")):
        target += con.execute(
            f"SELECT * FROM (SELECT {cols} FROM {x}_{FINDINGS} EXCEPT ALL SELECT {cols} FROM {y}_{FINDINGS}) "
            f"WHERE {_kept(['report_id'])} ORDER BY {cols}"
        ).fetchall()


def summary(d: Diff) -> str:
    parts = [
        f"{len(d.reports_added)} report(s) added",
        f"{len(d.reports_removed)} removed",
        f"{len(d.schema)} schema change(s)",
    ]
    if d.data_compared:
        parts += [
            f"{len(d.cells)} cell(s) changed",
            f"{len(d.rows_added)} row(s) added and {len(d.rows_removed)} removed in existing reports",
            f"{len(d.findings_added)} finding(s) added, {len(d.findings_resolved)} resolved",
        ]
    else:
        parts.append("values not compared (the previous release's files were not at hand)")
    if d.metadata:
        parts.append(f"package metadata changed: {', '.join(d.metadata)}")
    if d.files:
        parts.append(f"files changed: {', '.join(d.files)}")
    return "; ".join(parts)


def _md(value: Any) -> str:
    text = "null" if value is None else cell(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _key(key: tuple[tuple[str, Any], ...]) -> str:
    return " · ".join(cell(v) for _, v in key)


def _section(title: str, head: list[str], rows: list[list[Any]], limit: int | None, more: str) -> list[str]:
    if not rows:
        return []
    shown = rows if limit is None else rows[:limit]
    out = [f"### {title} ({len(rows)})", "", "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    out += ["| " + " | ".join(_md(v) for v in r) + " |" for r in shown]
    if len(shown) < len(rows):
        out += ["", f"… and {len(rows) - len(shown)} more: {more}"]
    return [*out, ""]


def render(d: Diff, heading: str, level: str | None, limit: int | None = None) -> str:
    """The changes as Markdown: a CHANGELOG section (with `limit` rows per list) or `ogi diff`'s output."""
    more = f"`ogi diff {d.old_version} {d.new_version}` lists them all."
    lines = [heading, ""]
    if d.old_version:
        lines += [f"Compared with {d.old_version} ({level or 'no change'}): {summary(d)}.", ""]
    lines += _section(
        "Reports added", ["report", "publisher", "year"], [list(r) for r in d.reports_added], limit, more
    )
    lines += _section(
        "Reports removed", ["report", "publisher", "year"], [list(r) for r in d.reports_removed], limit, more
    )
    lines += _section(
        "Schema changes",
        ["table", "column", "change", "level"],
        [[c.table, c.column or "", c.what, c.level] for c in d.schema],
        limit,
        more,
    )
    lines += _section("Files changed", ["file"], [[f] for f in d.files], limit, more)
    lines += _section(
        "Cells changed",
        ["table", "key", "column", "old", "new"],
        [[c.table, _key(c.key), c.column, c.old, c.new] for c in d.cells],
        limit,
        more,
    )
    lines += _section(
        "Rows added in existing reports",
        ["table", "key"],
        [[r.table, _key(r.key)] for r in d.rows_added],
        limit,
        more,
    )
    lines += _section(
        "Rows removed from existing reports",
        ["table", "key"],
        [[r.table, _key(r.key)] for r in d.rows_removed],
        limit,
        more,
    )
    for title, found in (("Findings added", d.findings_added), ("Findings resolved", d.findings_resolved)):
        lines += _section(
            title, ["report", "code", "scope", "message"], [list(f) for f in found], limit, more
        )
    return "\n".join(lines).rstrip() + "\n"
