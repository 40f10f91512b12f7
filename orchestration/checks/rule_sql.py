"""The reconciliation rules of `schemas/codes.yaml` as SQL over the staged long tables.

An independent path to the parser's verdicts: the operands are summed from the
staged Parquet/DuckDB rows, not from the parser's objects. A sum with a null
operand is null (SQL's SUM would skip it, so nulls are counted explicitly).
"""

from __future__ import annotations

from orchestration.codes import Code, Codes
from orchestration.rules import TOLERANCE
from orchestration.stage.rows import CELL_TABLES


def _rows(side: dict, codes: Codes) -> list[str]:
    if "rows" in side:
        return list(side["rows"])
    return [r for r, c in codes.rows.items() if c.get("section") in side["row_sections"]]


def _columns(side: dict, all_columns: list[str]) -> list[str]:
    if "columns" in side:
        return list(side["columns"])
    return [c for c in all_columns if c not in side["columns_except"]]


def _in(values: list[str]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"({quoted})" if values else "(NULL)"


def _side(key: str, values: list[str], field: str) -> str:
    members = f"{key} IN {_in(values)}"
    return (
        f"CASE WHEN count(*) FILTER (WHERE {members} AND {field} IS NULL) > 0 "
        f"OR count(*) FILTER (WHERE {members}) = 0 THEN NULL "
        f"ELSE sum({field}) FILTER (WHERE {members}) END"
    )


def _relation(table: str, schema: str, relations: dict[str, str] | None) -> str:
    return relations[table] if relations else f"{schema}.{table}"


def violated(rule: Code) -> str:
    """SQL condition on lhs and rhs for a row where the rule does not hold (never true for a null)."""
    if rule.get("scope") == "all":
        return "lhs < rhs"
    return f"abs(lhs - rhs) >= {TOLERANCE}"


def rule_query(
    rule: Code, codes: Codes, schema: str = "staging", relations: dict[str, str] | None = None
) -> str:
    """report_id, rule, scope, lhs, rhs for one table rule.

    `relations` maps a staged table name to the relation to read instead (a
    dbt ref of the mart that holds the same columns).
    """
    table = rule.get("table")
    k1, k2, field = CELL_TABLES[table]
    if rule.get("scope") == "column":
        key, scope = k1, k2
        lhs, rhs = _rows(rule.get("lhs"), codes), _rows(rule.get("rhs"), codes)
    else:
        columns = list(codes.applicants if table == "applications" else codes.outcomes)
        key, scope = k2, k1
        lhs, rhs = _columns(rule.get("lhs"), columns), _columns(rule.get("rhs"), columns)
    return (
        f"SELECT report_id, '{rule.code}' AS rule, {scope} AS scope, "
        f"{_side(key, lhs, field)}::DOUBLE AS lhs, {_side(key, rhs, field)}::DOUBLE AS rhs "
        f"FROM {_relation(table, schema, relations)} GROUP BY report_id, {scope}"
    )


def non_negative_query(codes: Codes, schema: str = "staging", relations: dict[str, str] | None = None) -> str:
    """The lowest value of each report (outside the signed measures) against 0."""
    excluded = codes.rules["values.non_negative"].get("except_measures", [])
    disclosures = _relation("disclosures", schema, relations)
    parts = [f"SELECT report_id, value::DOUBLE AS v FROM {disclosures} WHERE measure NOT IN {_in(excluded)}"]
    parts += [
        f"SELECT report_id, count::DOUBLE AS v FROM {_relation(t, schema, relations)}"
        for t in ("applications", "reviews")
    ]
    return (
        "SELECT report_id, 'values.non_negative' AS rule, 'all' AS scope, "
        "CASE WHEN min(v) < 0 THEN min(v) WHEN count(*) FILTER (WHERE v IS NULL) > 0 THEN NULL "
        "ELSE min(v) END AS lhs, "
        "0.0 AS rhs FROM (" + " UNION ALL ".join(parts) + ") GROUP BY report_id"
    )


def all_rules_query(codes: Codes, schema: str = "staging") -> str:
    parts = [rule_query(r, codes, schema) for r in codes.rules.values() if r.get("table")]
    return (
        " UNION ALL ".join([*parts, non_negative_query(codes, schema)]) + " ORDER BY report_id, rule, scope"
    )
