"""The reconciliation rules of `schemas/codes.yaml`, evaluated over one report's cells.

Used by the parser (its own verdicts) and by the checks over staged tables, so
a rule is defined once. `holds` is None when any operand is null; sums are
compared with a small tolerance because fees have decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from orchestration.codes import Code, Codes

Number = int | float
Cells = Mapping[tuple[str, str], Number | None]
"""One table of one report: (row, column) → value."""

TOLERANCE = 1e-6


class Verdict(NamedTuple):
    """One rule over one scope (a tuple: a report has dozens)."""

    rule: str
    scope: str
    holds: bool | None
    lhs: Number | None
    rhs: Number | None


def _sum(values: Iterable[Number | None]) -> Number | None:
    total: Number = 0
    for v in values:
        if v is None:
            return None
        total += v
    return total


def _pick(side: dict, rows_or_cols: list[str], codes: Codes) -> list[str]:
    if "rows" in side:
        return [r for r in side["rows"] if r in rows_or_cols]
    if "row_sections" in side:
        return [r for r in rows_or_cols if codes.rows[r].get("section") in side["row_sections"]]
    if "columns" in side:
        return [c for c in side["columns"] if c in rows_or_cols]
    return [c for c in rows_or_cols if c not in side["columns_except"]]


def verdict(rule: str, scope: str, lhs: Number | None, rhs: Number | None) -> Verdict:
    holds = None if lhs is None or rhs is None else abs(lhs - rhs) < TOLERANCE
    if isinstance(lhs, float) or isinstance(rhs, float):
        lhs = None if lhs is None else round(lhs, 6)
        rhs = None if rhs is None else round(rhs, 6)
    return Verdict(rule, scope, holds, lhs, rhs)


def evaluate(
    rule: Code, cells: Cells, codes: Codes, axes: tuple[list[str], list[str]] | None = None
) -> list[Verdict]:
    """One verdict per scope of a table rule, over the rows and columns the report has.

    A per-column rule sums rows within each column, a per-row rule columns within each row.
    `axes` are the table's rows and columns (from `table_axes`), when the caller has them.
    """
    rows, columns = axes or table_axes(cells)
    get = cells.get
    code, lhs_side, rhs_side = rule.code, rule.get("lhs"), rule.get("rhs")
    if rule.get("scope") == "column":
        lhs, rhs = _pick(lhs_side, rows, codes), _pick(rhs_side, rows, codes)
        return [
            verdict(code, c, _sum([get((r, c)) for r in lhs]), _sum([get((r, c)) for r in rhs]))
            for c in columns
        ]
    lhs, rhs = _pick(lhs_side, columns, codes), _pick(rhs_side, columns, codes)
    return [
        verdict(code, r, _sum([get((r, c)) for c in lhs]), _sum([get((r, c)) for c in rhs])) for r in rows
    ]


def table_axes(cells: Cells) -> tuple[list[str], list[str]]:
    """The table's rows and its columns, each in the order the cells first name them."""
    return list(dict.fromkeys([r for r, _ in cells])), list(dict.fromkeys([c for _, c in cells]))


def non_negative(values: list[Number | None]) -> Verdict:
    """One verdict over every cell: the lowest printed value against 0."""
    present = [v for v in values if v is not None]
    lowest = min(present) if present else None
    if lowest is not None and lowest < 0:
        return Verdict("values.non_negative", "all", False, lowest, 0)
    return Verdict("values.non_negative", "all", None if len(present) < len(values) else True, lowest, 0)


def evaluate_report(tables: Mapping[str, Cells], codes: Codes) -> list[Verdict]:
    """Every rule over one report's tables (each table: (row or item, column or measure) → value)."""
    out: list[Verdict] = []
    axes = {name: table_axes(cells) for name, cells in tables.items() if cells}
    for rule in codes.rules.values():
        table = rule.get("table")
        if table in axes:
            out += evaluate(rule, tables[table], codes, axes[table])
    excluded = set(codes.rules["values.non_negative"].get("except_measures", ()))
    values = [
        v
        for name, cells in tables.items()
        for key, v in cells.items()
        if not (name == "disclosures" and key[1] in excluded)
    ]
    if values:
        out.append(non_negative(values))
    return out
