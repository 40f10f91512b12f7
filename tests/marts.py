"""A small warehouse with schema `marts` shaped exactly like the published schemas, for publish tests.

Rows are built from codes.yaml (valid enums, resolvable keys) and hold nulls
next to zeros, negative changes, fractional amounts and text with commas,
quotes and newlines, so that a format that confused any of them would show.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration import codes, tables
from orchestration.publish.write import SQL_TYPES, quote


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def report_rows(report_id: str, publisher: str, year: int) -> dict[str, list[dict]]:
    """The rows of one report in every fact table."""
    c = codes.load()
    item = next(iter(c.items))
    m1, m2, m3 = c.item_measures(item, "gb2021")[:3]
    rows = {name: [] for name in tables.PUBLISHED}
    rows["dim_reports"].append(
        {
            "report_id": report_id,
            "publisher": publisher,
            "catalog_publisher": publisher,
            "year": year,
            "catalog_year": year,
            "template": "gb2021",
            "level": "county",
            "division_code": "510502",
            "form": "text",
            "source": f"tests/fixtures/{report_id}.txt",
            "raw_sha256": _sha(report_id),
            "retrieved_at": "2026-11-20T08:00:00.000000Z",
            "parser_version": "1",
            "cells": 6,
            "null_cells": 2,
            "findings": 1,
        }
    )
    unit = c.measures[m1].get("unit")
    rows["fct_disclosures"] += [
        {"report_id": report_id, "item": item, "measure": m1, "value": 0.0, "unit": unit, "source_line": 10},
        {
            "report_id": report_id,
            "item": item,
            "measure": m2,
            "value": None,
            "unit": unit,
            "null_reason": "cells_lost",
            "source_line": 10,
        },
        {
            "report_id": report_id,
            "item": item,
            "measure": m3,
            "value": 12.5,
            "unit": unit,
            "source_line": 10,
            "source_where": '{"page": 2, "bbox": [1.5, 2, 3, 4]}',
        },
    ]
    rows["fct_applications"] += [
        {
            "report_id": report_id,
            "row": "new_received",
            "applicant": "total",
            "count": 7,
            "row_section": "received",
            "single_template_row": False,
            "source_line": 20,
        },
        {
            "report_id": report_id,
            "row": "new_received",
            "applicant": "natural_person",
            "count": 0,
            "row_section": "received",
            "single_template_row": False,
            "source_line": 20,
        },
        {
            "report_id": report_id,
            "row": "carried_over",
            "applicant": "total",
            "count": None,
            "row_section": "received",
            "single_template_row": False,
            "null_reason": "printed_blank",
            "source_line": 21,
        },
    ]
    rows["fct_litigation"] += [
        {
            "report_id": report_id,
            "proceeding": "reconsideration",
            "outcome": "total",
            "count": 0,
            "source_line": 30,
        },
        {
            "report_id": report_id,
            "proceeding": "reconsideration",
            "outcome": "upheld",
            "count": None,
            "null_reason": "row_not_found",
        },
    ]
    rows["fct_narrative"].append(
        {
            "report_id": report_id,
            "fact": "applications_received",
            "value": 7.0,
            "unit": "applications",
            "text": '收到申请7件，"其中"\n依申请公开, 共7件',
            "source_line": 5,
        }
    )
    rows["fct_reconciliation"] += [
        {"report_id": report_id, "rule": "applications.balance", "scope": "total", "holds": None},
        {
            "report_id": report_id,
            "rule": "applications.row_total",
            "scope": "new_received",
            "holds": True,
            "lhs": 7.0,
            "rhs": 7.0,
        },
    ]
    rows["fct_findings"].append(
        {
            "report_id": report_id,
            "seq": 0,
            "code": "cells_unplaced",
            "severity": "info",
            "message": "carried_over: 1 cell(s) printed as —",
            "scope": "applications:carried_over",
            "source_line": 21,
        }
    )
    return rows


def code_rows() -> list[dict]:
    c = codes.load()
    out = []
    for name in (
        "templates",
        "items",
        "measures",
        "rows",
        "applicants",
        "proceedings",
        "outcomes",
        "facts",
        "rules",
        "null_reasons",
        "findings",
    ):
        for code in getattr(c, name).values():
            section = code.get("section") if name == "rows" else code.get("severity")
            templates = ",".join(code.get("templates", ())) if name == "rows" else None
            out.append(
                {
                    "list": name,
                    "code": code.code,
                    "zh": code.zh or None,
                    "en": code.en,
                    "unit": code.get("unit"),
                    "section": section,
                    "templates": templates or None,
                }
            )
    return out


def marts(reports: list[tuple[str, str, int]]) -> dict[str, list[dict]]:
    """Every published table for these (report_id, publisher, year), with carry-over across years."""
    rows = {name: [] for name in tables.PUBLISHED}
    for report in reports:
        for name, part in report_rows(*report).items():
            rows[name] += part
    for a in reports:
        for b in reports:
            if a[1] == b[1] and b[2] == a[2] + 1:
                rows["fct_carryover"] += [
                    {
                        "report_id": a[0],
                        "next_report_id": b[0],
                        "catalog_publisher": a[1],
                        "year": a[2],
                        "applicant": "total",
                        "carried_forward": 0,
                        "next_carried_over": None,
                        "holds": None,
                    },
                    {
                        "report_id": a[0],
                        "next_report_id": b[0],
                        "catalog_publisher": a[1],
                        "year": a[2],
                        "applicant": "natural_person",
                        "carried_forward": 2,
                        "next_carried_over": 2,
                        "holds": True,
                    },
                ]
    rows["dim_codes"] = code_rows()
    return rows


REPORTS = [("r-a", "甲区人民政府", 2021), ("r-b", "甲区人民政府", 2022), ("r-c", "乙县人民政府办公室", 2022)]


def write_warehouse(path: Path, rows: dict[str, list[dict]], *, reverse: bool = False) -> Path:
    """A DuckDB file with schema marts; `reverse` inserts rows backwards (row order must not matter)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts")
        for name in tables.PUBLISHED:
            fields = tables.schema(name)["fields"]
            cols = ", ".join(f"{quote(f['name'])} {SQL_TYPES[f['type']]}" for f in fields)
            con.execute(f"CREATE TABLE marts.{name} ({cols})")
            data = [{f["name"]: r.get(f["name"]) for f in fields} for r in rows[name]]
            if reverse:
                data.reverse()
            arrow = pa.Table.from_pylist(data, schema=tables.arrow_schema(name))
            con.register("src", arrow)
            con.execute(f"INSERT INTO marts.{name} SELECT * FROM src")
            con.unregister("src")
    return path
