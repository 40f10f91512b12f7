"""The parser's own reconciliation verdicts, from the rules of `schemas/codes.yaml`.

A violated rule becomes a finding; the numbers are never changed.
"""

from __future__ import annotations

from itertools import groupby
from operator import attrgetter

from orchestration import rules
from orchestration.model import Cell, Finding, RuleResult


def table_values(cells: tuple[Cell, ...]) -> dict[str, rules.Cells]:
    """Each table's values by their keys: what the rules and the prose checks read."""
    tables: dict[str, dict] = {}
    for name, run in groupby(cells, attrgetter("table")):
        tables.setdefault(name, {}).update([(c.keys, c.value) for c in run])
    return tables


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
