"""The reconciliation rules (勾稽关系) of the spec, computed per scope over the cells as printed.

`holds` is None when any operand is null. A violated rule becomes a finding;
the numbers are never changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from orchestration.codes import Codes
from orchestration.model import Cell, Finding, Number, RuleResult

_EPS = 1e-6


def _sum(values: Iterable[Number | None]) -> Number | None:
    total: Number = 0
    for v in values:
        if v is None:
            return None
        total += v
    return total


def _result(rule: str, scope: str, lhs: Number | None, rhs: Number | None) -> RuleResult:
    holds = None if lhs is None or rhs is None else abs(lhs - rhs) < _EPS
    if isinstance(lhs, float) or isinstance(rhs, float):
        lhs = None if lhs is None else round(lhs, 6)
        rhs = None if rhs is None else round(rhs, 6)
    return RuleResult(rule, scope, holds, lhs, rhs)


def reconcile(cells: tuple[Cell, ...], codes: Codes) -> list[RuleResult]:
    apps = {c.keys: c.value for c in cells if c.table == "applications"}
    reviews = {c.keys: c.value for c in cells if c.table == "reviews"}
    out: list[RuleResult] = []
    if apps:
        rows = list(dict.fromkeys(k[0] for k in apps))
        outcome_rows = [r for r in rows if codes.rows[r].get("section", "").startswith("outcome_")]
        applicants = list(codes.applicants)
        for a in applicants:
            lhs = _sum([apps.get(("new_received", a)), apps.get(("carried_over", a))])
            rhs = _sum([apps.get(("total_processed", a)), apps.get(("carried_forward", a))])
            out.append(_result("applications.balance", a, lhs, rhs))
        for a in applicants:
            rhs = _sum(apps.get((r, a)) for r in outcome_rows)
            out.append(_result("applications.outcomes_sum", a, apps.get(("total_processed", a)), rhs))
        for r in rows:
            parts = _sum(apps.get((r, a)) for a in applicants if a != "total")
            out.append(_result("applications.row_total", r, apps.get((r, "total")), parts))
    if reviews:
        for p in codes.proceedings:
            parts = _sum(reviews.get((p, o)) for o in codes.outcomes if o != "total")
            out.append(_result("reviews.total", p, reviews.get((p, "total")), parts))
    values = [c.value for c in cells if c.keys[1] != "change"]
    if values:
        out.append(_non_negative(values))
    return out


def _non_negative(values: list[Number | None]) -> RuleResult:
    """One verdict over every cell: the lowest printed value against 0."""
    present = [v for v in values if v is not None]
    lowest = min(present) if present else None
    if lowest is not None and lowest < 0:
        return RuleResult("values.non_negative", "all", False, lowest, 0)
    holds = None if len(present) < len(values) else True
    return RuleResult("values.non_negative", "all", holds, lowest, 0)


def violations(results: list[RuleResult]) -> list[Finding]:
    return [
        Finding(
            "rule_violation",
            f"{r.rule} does not hold for {r.scope}: {r.lhs} != {r.rhs}",
            f"{r.rule}:{r.scope}",
        )
        for r in results
        if r.holds is False
    ]
