"""The reconciliation rules of `schemas/codes.yaml`, evaluated over one report's cells.

Used by the parser (its own verdicts) and by the checks over staged tables, so
a rule is defined once. `holds` is None when any operand is null; sums are
compared with a small tolerance because fees have decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import itemgetter

from orchestration.codes import Code, Codes

Number = int | float
Cells = Mapping[tuple[str, str], Number | None]
"""One table of one report: (row, column) → value."""

TOLERANCE = 1e-6


@dataclass(frozen=True)
class Verdict:
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


def evaluate(rule: Code, cells: Cells, codes: Codes) -> list[Verdict]:
    """One verdict per scope of a table rule, over the rows and columns the report has.

    A per-row rule is the per-column rule of the transposed table, so one loop serves both.
    """
    if rule.get("scope") != "column":
        cells = {(c, r): v for (r, c), v in cells.items()}
    lines = list(dict.fromkeys(map(itemgetter(0), cells)))
    scopes = list(dict.fromkeys(map(itemgetter(1), cells)))
    lhs, rhs = _pick(rule.get("lhs"), lines, codes), _pick(rule.get("rhs"), lines, codes)
    get = cells.get
    return [
        verdict(rule.code, s, _sum([get((x, s)) for x in lhs]), _sum([get((x, s)) for x in rhs]))
        for s in scopes
    ]


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
    for rule in codes.rules.values():
        table = rule.get("table")
        if table is not None and tables.get(table):
            out += evaluate(rule, tables[table], codes)
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
