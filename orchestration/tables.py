"""Table schemas (Frictionless Table Schema JSON in `schemas/tables/`), the one definition of every column.

A field may name a code list (`"codes": "rows"`); it is resolved here into an
`enum` constraint from `schemas/codes.yaml`, so code lists are never copied
into the table schemas.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import pyarrow as pa

from orchestration.codes import SCHEMAS_DIR, load

TABLES_DIR = SCHEMAS_DIR / "tables"
STAGED = (
    "reports",
    "disclosures",
    "applications",
    "reviews",
    "narrative_facts",
    "reconciliation",
    "findings",
    "extra_cells",
    "parse_failures",
)
"""The staged tables, in the order they are written and documented."""

PUBLISHED = (
    "dim_reports",
    "fct_disclosures",
    "fct_applications",
    "fct_litigation",
    "fct_narrative",
    "fct_reconciliation",
    "fct_findings",
    "fct_carryover",
    "dim_codes",
)
"""The published tables (dbt marts and data package resources), in the order they are documented."""

_ARROW = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "datetime": pa.timestamp("us", tz="UTC"),
}


@cache
def schema(name: str) -> dict[str, Any]:
    """The table schema with code lists resolved into enum constraints."""
    doc = json.loads((TABLES_DIR / f"{name}.json").read_text(encoding="utf-8"))
    codes = load()
    for field in doc["fields"]:
        ref = field.pop("codes", None)
        if ref:
            field.setdefault("constraints", {})["enum"] = list(getattr(codes, ref))
    return doc


def resolved(name: str) -> dict[str, Any]:
    """A copy safe to modify."""
    return copy.deepcopy(schema(name))


def columns(name: str) -> list[str]:
    return [f["name"] for f in schema(name)["fields"]]


def arrow_schema(name: str) -> pa.Schema:
    return to_arrow_schema(schema(name))


def to_arrow_schema(table_schema: dict[str, Any]) -> pa.Schema:
    """The Arrow schema of a Frictionless table schema (required → not nullable)."""
    return pa.schema(
        [
            pa.field(
                f["name"], _ARROW[f["type"]], nullable=not f.get("constraints", {}).get("required", False)
            )
            for f in table_schema["fields"]
        ]
    )


def primary_key(name: str) -> list[str]:
    return list(schema(name)["primaryKey"])
