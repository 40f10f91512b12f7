"""The typed report: what one parsed annual report is.

`Report.as_dict()` gives the spec's JSON shape (`report`, `disclosures`,
`applications`, `reviews`, `narrative`, `reconciliation`) plus provenance,
findings and extra cells under keys of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from orchestration.rules import Verdict as RuleResult

Number = int | float


class Span(NamedTuple):
    """Where something came from: 1-based line and [start, end) character offsets of the input."""

    line: int
    start: int
    end: int
    where: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "start": self.start, "end": self.end}
        if self.where:
            out["where"] = self.where
        return out


class Cell(NamedTuple):
    """One table cell. `value` is None exactly when `null_reason` says why."""

    table: str
    keys: tuple[str, str]
    value: Number | None
    span: Span | None = None
    null_reason: str | None = None


@dataclass(frozen=True)
class Fact:
    name: str
    value: Number
    span: Span
    text: str


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    scope: str | None = None
    span: Span | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.scope is not None:
            out["scope"] = self.scope
        if self.span is not None:
            out["source"] = self.span.as_dict()
        return out


@dataclass(frozen=True)
class ExtraCell:
    """A printed cell outside the template: kept with its printed labels, never mapped to a code."""

    table: str
    row_label: str
    column: int
    value: Number | None
    span: Span | None


_TABLE_KEYS = {
    "disclosures": (("item", "measure"), "value"),
    "applications": (("row", "applicant"), "count"),
    "reviews": (("proceeding", "outcome"), "count"),
}


@dataclass(frozen=True)
class Report:
    year: int | None
    publisher: str | None
    template: str
    cells: tuple[Cell, ...]
    facts: tuple[Fact, ...]
    reconciliation: tuple[RuleResult, ...]
    findings: tuple[Finding, ...]
    extra_cells: tuple[ExtraCell, ...] = ()
    form: str = "text"
    parser_version: str = ""
    meta_sources: dict[str, Span] = field(default_factory=dict)

    def table(self, name: str) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.table == name)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "report": {"year": self.year, "publisher": self.publisher, "template": self.template},
        }
        for name, ((k1, k2), field_name) in _TABLE_KEYS.items():
            out[name] = [_cell_dict(c, k1, k2, field_name) for c in self.table(name)]
        out["narrative"] = {f.name: f.value for f in self.facts}
        out["reconciliation"] = [
            {"rule": r.rule, "scope": r.scope, "holds": r.holds, "lhs": r.lhs, "rhs": r.rhs}
            for r in self.reconciliation
        ]
        out["narrative_sources"] = {f.name: {**f.span.as_dict(), "text": f.text} for f in self.facts}
        out["report_sources"] = {k: v.as_dict() for k, v in sorted(self.meta_sources.items())}
        out["findings"] = [f.as_dict() for f in self.findings]
        out["extra_cells"] = [
            {
                "table": e.table,
                "row_label": e.row_label,
                "column": e.column,
                "value": e.value,
                "source": e.span.as_dict() if e.span else None,
            }
            for e in self.extra_cells
        ]
        out["parser"] = {"name": "ogi-reports", "version": self.parser_version, "form": self.form}
        return out


def _cell_dict(cell: Cell, k1: str, k2: str, field_name: str) -> dict[str, Any]:
    out: dict[str, Any] = {k1: cell.keys[0], k2: cell.keys[1], field_name: cell.value}
    if cell.null_reason is not None:
        out["null_reason"] = cell.null_reason
    if cell.span is not None:
        out["source"] = cell.span.as_dict()
    return out
