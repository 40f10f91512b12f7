"""One parsed report (its `ogi parse` JSON) → rows of every staged table.

Staging reads the parse JSON, not the Python objects, so the parse cache on
disk is exactly what `ogi parse` prints and a cached parse restages without
reparsing. Columns follow `schemas/tables/`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

Rows = dict[str, list[dict[str, Any]]]

CELL_TABLES = {
    "disclosures": ("item", "measure", "value"),
    "applications": ("row", "applicant", "count"),
    "reviews": ("proceeding", "outcome", "count"),
}


@dataclass(frozen=True)
class Origin:
    """What the catalog and the archive know about a report."""

    report_id: str
    source: str
    raw_sha256: str
    catalog_publisher: str | None = None
    catalog_year: int | None = None
    division_code: str | None = None
    retrieved_at: str | None = None


def _where(source: dict[str, Any] | None) -> dict[str, Any]:
    source = source or {}
    where = source.get("where")
    return {
        "source_line": source.get("line"),
        "source_start": source.get("start"),
        "source_end": source.get("end"),
        "source_where": json.dumps(where, ensure_ascii=False, sort_keys=True) if where else None,
    }


def report_rows(origin: Origin, doc: dict[str, Any]) -> Rows:
    rid = origin.report_id
    out: Rows = {}
    for table, (k1, k2, field) in CELL_TABLES.items():
        out[table] = [
            {
                "report_id": rid,
                k1: rec[k1],
                k2: rec[k2],
                field: rec[field],
                "null_reason": rec.get("null_reason"),
                **_where(rec.get("source")),
            }
            for rec in doc[table]
        ]
    sources = doc.get("narrative_sources", {})
    out["narrative_facts"] = []
    for fact, value in doc["narrative"].items():
        where = _where(sources.get(fact))
        where.pop("source_where")
        out["narrative_facts"].append(
            {
                "report_id": rid,
                "fact": fact,
                "value": value,
                "text": sources.get(fact, {}).get("text", ""),
                **where,
            }
        )
    out["reconciliation"] = [
        {
            "report_id": rid,
            "rule": r["rule"],
            "scope": r["scope"],
            "holds": r["holds"],
            "lhs": r.get("lhs"),
            "rhs": r.get("rhs"),
        }
        for r in doc["reconciliation"]
    ]
    out["findings"] = [
        {
            "report_id": rid,
            "seq": i,
            "code": f["code"],
            "message": f["message"],
            "scope": f.get("scope"),
            "source_line": (f.get("source") or {}).get("line"),
        }
        for i, f in enumerate(doc.get("findings", []))
    ]
    out["extra_cells"] = [
        {
            "report_id": rid,
            "table": e["table"],
            "row_label": e["row_label"],
            "column": e["column"],
            "value": e["value"],
            "source_line": (e.get("source") or {}).get("line"),
        }
        for e in doc.get("extra_cells", [])
    ]
    cells = [rec for table in CELL_TABLES for rec in out[table]]
    meta, parser = doc["report"], doc.get("parser", {})
    out["reports"] = [
        {
            "report_id": rid,
            "publisher": meta["publisher"],
            "catalog_publisher": origin.catalog_publisher,
            "year": meta["year"],
            "catalog_year": origin.catalog_year,
            "template": meta["template"],
            "form": parser.get("form", "text"),
            "division_code": origin.division_code,
            "source": origin.source,
            "raw_sha256": origin.raw_sha256,
            "retrieved_at": origin.retrieved_at,
            "parser_version": parser.get("version", ""),
            "cells": len(cells),
            "null_cells": sum(1 for c in cells if c.get("value", c.get("count")) is None),
            "findings": len(out["findings"]),
        }
    ]
    return out


def failure_rows(origin: Origin, parser_version: str, error: str, message: str) -> Rows:
    return {
        "parse_failures": [
            {
                "report_id": origin.report_id,
                "raw_sha256": origin.raw_sha256,
                "parser_version": parser_version,
                "error": error,
                "message": message,
            }
        ]
    }
