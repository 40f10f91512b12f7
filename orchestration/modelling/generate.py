"""dbt yml and tests generated from `schemas/`, so a column or code is declared once.

- `models/staging/_sources.yml`: the staged tables as dbt sources (columns from
  `schemas/tables/`), all upstream of the Dagster `warehouse` asset.
- `models/marts/_marts.yml`: the published tables with enforced contracts
  (types from the schemas), descriptions in English and Chinese, and tests:
  not_null for required columns, unique keys, accepted_values from the code
  lists, relationships for foreign keys.
- `tests/reconciliation/<rule>.sql`: each reconciliation rule of
  `schemas/codes.yaml` again, over the marts, as a warn-level test that stores
  its failing rows: a report that breaks a rule is published with its finding.

`ogi docs` writes them; a test fails when the committed files are stale.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from orchestration import atomic, codes, tables
from orchestration.checks import rule_sql

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
STAGED_SOURCES = (*tables.STAGED, "codes")
"""The pipeline's tables in the warehouse's `staging` schema (Dagster asset keys staging/<name>)."""

_DBT_TYPES = {"string": "varchar", "integer": "bigint", "number": "double", "boolean": "boolean"}
_HEADER = "# Generated from schemas/ by `ogi docs`; do not edit by hand.\n"
_RULE_TABLES = {
    "disclosures": "fct_disclosures",
    "applications": "fct_applications",
    "reviews": "fct_litigation",
}


def _schema_of(source: str) -> dict:
    return tables.schema("dim_codes" if source == "codes" else source)


def _describe(field: dict) -> str:
    zh = field.get("title")
    text = field.get("description", "")
    return f"{text} ({zh})" if zh else text


def sources_yml() -> dict:
    staged = []
    for name in STAGED_SOURCES:
        schema = _schema_of(name)
        staged.append(
            {
                "name": name,
                "description": schema.get("description", ""),
                "columns": [{"name": f["name"], "description": _describe(f)} for f in schema["fields"]],
            }
        )
    return {
        "version": 2,
        "sources": [
            {
                "name": "staging",
                "schema": "staging",
                "description": "Long tables staged by the pipeline from the parsed reports.",
                "tables": staged,
            }
        ],
    }


def _column(field: dict, key: list[str], foreign: dict[str, dict]) -> dict:
    constraints = field.get("constraints", {})
    column: dict = {
        "name": field["name"],
        "data_type": _DBT_TYPES[field["type"]],
        "description": _describe(field),
    }
    tests: list = []
    if constraints.get("required"):
        column["constraints"] = [{"type": "not_null"}]
        tests.append("not_null")
    if key == [field["name"]] or constraints.get("unique"):
        tests.append("unique")
    if "enum" in constraints:
        tests.append({"accepted_values": {"arguments": {"values": list(constraints["enum"])}}})
    if field["name"] in foreign:
        ref = foreign[field["name"]]["reference"]
        tests.append(
            {"relationships": {"arguments": {"to": f"ref('{ref['resource']}')", "field": ref["fields"][0]}}}
        )
    if tests:
        column["data_tests"] = tests
    return column


def marts_yml() -> dict:
    models = []
    for name in tables.PUBLISHED:
        schema = tables.schema(name)
        key = list(schema["primaryKey"])
        foreign = {fk["fields"][0]: fk for fk in schema.get("foreignKeys", []) if len(fk["fields"]) == 1}
        model: dict = {
            "name": name,
            "description": f"{schema['description']} ({schema.get('zh', '')})",
            "config": {"contract": {"enforced": True}},
            "columns": [_column(f, key, foreign) for f in schema["fields"]],
        }
        if len(key) > 1:
            model["data_tests"] = [{"unique_combination_of_columns": {"arguments": {"columns": key}}}]
        models.append(model)
    return {"version": 2, "models": models}


def rule_tests() -> dict[str, str]:
    """One singular test per rule: the (report, rule, scope) rows where the rule does not hold."""
    c = codes.load()
    relations = {table: f"{{{{ ref('{mart}') }}}}" for table, mart in _RULE_TABLES.items()}
    out = {}
    for rule in c.rules.values():
        if rule.get("table"):
            query = rule_sql.rule_query(rule, c, relations=relations)
            attached = _RULE_TABLES[rule.get("table")]
        else:
            query = rule_sql.non_negative_query(c, relations=relations)
            attached = "fct_reconciliation"
        out[f"{rule.code.replace('.', '__')}.sql"] = (
            f"-- Generated from schemas/codes.yaml by `ogi docs`: {rule.en}\n"
            f"-- Warn only: a report that breaks the rule is published with its finding.\n"
            f"{{{{ config(severity='warn', store_failures=true, meta={_meta(attached)}) }}}}\n"
            f"select report_id, rule, scope, lhs, rhs from ({query}) as operands\n"
            f"where {rule_sql.violated(rule)}\n"
        )
    return out


def _meta(model: str) -> str:
    """dagster-dbt attaches a singular test to the model named here (the rule's table)."""
    return repr({"dagster": {"ref": {"name": model}}})


def _dump(doc: dict) -> str:
    return _HEADER + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110)


def files() -> dict[Path, str]:
    """Every generated file of the dbt project, by path, with its content."""
    out = {
        DBT_DIR / "models" / "staging" / "_sources.yml": _dump(sources_yml()),
        DBT_DIR / "models" / "marts" / "_marts.yml": _dump(marts_yml()),
    }
    for name, sql in rule_tests().items():
        out[DBT_DIR / "tests" / "reconciliation" / name] = sql
    return out


def write() -> list[Path]:
    written = []
    for path, text in files().items():
        atomic.write_text(path, text)
        written.append(path)
    return written
