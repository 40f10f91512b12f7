"""Section tables → cells: each row's printed tokens placed onto the template's columns.

The one rule for placement: a row whose printed tokens match its columns one
for one is taken as printed; any other count leaves every cell of the row
null with a reason, because no cell's position is then certain.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from orchestration.codes import Codes
from orchestration.model import Cell, ExtraCell, Finding, Span
from orchestration.parse.labels import Label, find_in_order
from orchestration.parse.sections import Region
from orchestration.parse.text import Lines, Token, squeeze, tokens


@dataclass
class TableResult:
    cells: list[Cell] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    extra: list[ExtraCell] = field(default_factory=list)
    variant: str | None = None
    """The template whose layout this section follows, when the section itself shows it."""
    used_fallback: bool = False
    """Some layout came from the caller's template, not from the section itself."""


@dataclass(frozen=True)
class Ctx:
    text: str
    lines: Lines
    codes: Codes
    locate_all: Callable[[Iterable[int]], list[dict[str, Any] | None]] | None = None
    """The reader's original location (page, element path, ...) of each offset, when it kept them."""

    def span(self, start: int, end: int) -> Span:
        return Span(self.lines.line(start), start, end)

    def cells(self, table: str, keys: Iterable[tuple[str, str]], toks: list[Token]) -> list[Cell]:
        """One cell per printed token, its span located as it is made (not rebuilt afterwards)."""
        line = self.lines.line
        wheres = [None] * len(toks) if self.locate_all is None else self.locate_all([t.start for t in toks])
        return [
            Cell(table, key, value, Span(line(start), start, end, where), blank)
            for key, (value, start, end, blank), where in zip(keys, toks, wheres, strict=True)
        ]

    def located(self, span: Span) -> Span:
        """A cell's span: with the reader's original location of its start."""
        if self.locate_all is None:
            return span
        return Span(*span[:3], self.locate_all((span.start,))[0])


def place_row(
    ctx: Ctx, table: str, row: str, columns: tuple[str, ...], label: Label, toks: list[Token]
) -> tuple[list[Cell], list[Finding]]:
    """Cells of one row from its printed tokens."""
    keys = row_keys(row, columns)
    if len(toks) == len(columns):
        return ctx.cells(table, keys, toks), []
    message = (
        f"{table} row {row} printed {len(toks)} values for {len(columns)} columns; all its cells are null"
    )
    cells, finding = unplaced(ctx, table, keys, len(toks), label, message, f"{table}:{row}")
    return cells, [finding]


def unplaced(
    ctx: Ctx,
    table: str,
    keys: Sequence[tuple[str, str]],
    printed: int,
    label: Label,
    message: str,
    scope: str,
) -> tuple[list[Cell], Finding]:
    """Cells that cannot be placed (too few or too many values printed): all null with the reason, pointing
    at their label, and the finding that says so. Never a guess at which value is whose."""
    reason = "cells_lost" if printed < len(keys) else "too_many_values"
    where = ctx.span(label.start, label.end)
    located = ctx.located(where)
    cells = [Cell(table, key, None, located, reason) for key in keys]
    return cells, Finding("cells_unplaced", message, scope, where)


@cache
def row_keys(row: str, columns: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The keys of a row's cells, made once per code (every report has the same few hundred)."""
    return tuple((row, col) for col in columns)


def null_table(
    ctx: Ctx, table: str, rows: tuple[str, ...], columns: tuple[str, ...], reason: str
) -> list[Cell]:
    return [Cell(table, (r, c), None, None, reason) for r in rows for c in columns]


def segment_tokens(ctx: Ctx, labels: list[Label], end: int) -> list[list[Token]]:
    """The tokens printed between each label's start and the next label's start."""
    if not labels:
        return []
    toks = tokens(ctx.text, labels[0].start, end)
    starts = [t.start for t in toks]
    bounds = [bisect.bisect_left(starts, lab.start) for lab in labels] + [len(toks)]
    return [toks[bounds[i] : bounds[i + 1]] for i in range(len(labels))]


# --- section 三: applications -------------------------------------------------------------

_OTHER_SUBROWS = ("other_no_correction", "other_unpaid_fee", "other_misc")


def applications(ctx: Ctx, region: Region | None, template: str) -> TableResult:
    codes = ctx.codes
    columns = tuple(codes.applicants)
    result = TableResult()
    labels = []
    if region is not None:
        candidates = [(code, c.match) for code, c in codes.rows.items()]
        labels = find_in_order(ctx.text, region.start, region.end, candidates)
    found = {lab.code for lab in labels}
    if not _is_table(found):
        return result
    result.variant = _applications_variant(found)
    result.used_fallback = result.variant is None
    rows = codes.template_rows(result.variant or template)
    header_end = labels[0].start
    header = squeeze(ctx.text[region.start : header_end])
    labels = [lab for lab in labels if lab.code in rows]
    segments = segment_tokens(ctx, labels, region.end)
    placed = {}
    for label, toks in zip(labels, segments, strict=True):
        toks = _split_unknown_row(ctx, label, toks, len(columns), result)
        if "小计" in header and len(toks) == len(columns) + 1:
            toks = _drop_subtotal(ctx, label, toks, header, result)
        cells, findings = place_row(ctx, "applications", label.code, columns, label, toks)
        placed[label.code] = cells
        result.findings += findings
    for row in rows:
        if row in placed:
            result.cells += placed[row]
        else:
            result.cells += null_table(ctx, "applications", (row,), columns, "row_not_found")
            result.findings.append(Finding("row_missing", f"row {row} not found", f"applications:{row}"))
    return result


def _is_table(found: set[str]) -> bool:
    return "new_received" in found and len(found) >= 3


def _applications_variant(found: set[str]) -> str | None:
    if found & set(_OTHER_SUBROWS):
        return "gb2021"
    if "other_processing" in found:
        return "gb2019"
    return None


def _split_unknown_row(ctx: Ctx, label: Label, toks: list[Token], n: int, result: TableResult) -> list[Token]:
    """A full run of values, then a labelled run: the second is a row outside the template."""
    if len(toks) <= n:
        return toks
    gap_text = ctx.text[toks[n - 1].end : toks[n].start]
    extra_label = squeeze(gap_text)
    if len(re.findall(r"[\u4e00-\u9fff]", extra_label)) < 2:
        return toks
    for i, tok in enumerate(toks[n:]):
        span = ctx.span(tok.start, tok.end)
        result.extra.append(ExtraCell("applications", extra_label, i, tok.value, span))
    result.findings.append(
        Finding(
            "unknown_row",
            f"values under '{extra_label}' after row {label.code} are outside the template",
            f"applications:{label.code}",
            ctx.span(toks[n - 1].end, toks[n].start),
        )
    )
    return toks[:n]


def _drop_subtotal(
    ctx: Ctx, label: Label, toks: list[Token], header: str, result: TableResult
) -> list[Token]:
    """A 小计 column (法人或其他组织 subtotal) kept as an extra cell when the header shows where it is."""
    index = _subtotal_index(header, ctx.codes)
    if index is None:
        result.findings.append(
            Finding("extra_column", "a 小计 column whose position the header does not show", "applications")
        )
        return toks
    tok = toks[index]
    result.extra.append(
        ExtraCell("applications", f"{label.code}/小计", index, tok.value, ctx.span(tok.start, tok.end))
    )
    return toks[:index] + toks[index + 1 :]


def _subtotal_index(header: str, codes: Codes) -> int | None:
    positions = []
    for c in codes.applicants.values():
        pos = min((header.find(k) for k in c.match if k in header), default=-1)
        if c.code == "other_org":
            pos = header.find("其他", header.find("法人或其他组织") + 7 if "法人或其他组织" in header else 0)
        if pos < 0:
            return None
        positions.append(pos)
    if positions != sorted(positions):
        return None
    sub = header.find("小计")
    return sum(1 for p in positions if p < sub)


# --- section 二: disclosures --------------------------------------------------------------


def disclosures(ctx: Ctx, region: Region | None, template: str) -> TableResult:
    codes = ctx.codes
    result = TableResult()
    labels = []
    if region is not None and _has_measure_header(ctx.text[region.start : region.end], codes):
        candidates = [(code, c.match) for code, c in codes.items.items()]
        labels = find_in_order(ctx.text, region.start, region.end, candidates, markers=False)
    if not labels:
        return result
    segments = segment_tokens(ctx, labels, region.end)
    placed: dict[str, list[Cell]] = {}
    variants = []
    previous_end = region.start
    variant = None
    for label, toks in zip(labels, segments, strict=True):
        header = squeeze(ctx.text[previous_end : label.start])
        shown = _measure_variant(label.code, header, codes) or variant
        result.used_fallback |= shown is None
        variant = shown or template
        columns = codes.item_measures(label.code, variant) or _any_measures(codes, label.code)
        cells, findings = place_row(ctx, "disclosures", label.code, columns, label, toks)
        placed[label.code] = cells
        result.findings += findings
        variants.append(variant)
        previous_end = toks[-1].end if toks else label.end
    result.variant = max(set(variants), key=variants.count) if variants else None
    for item in codes.items:
        if item in placed:
            result.cells += placed[item]
        elif codes.item_measures(item, result.variant or template):
            result.used_fallback = True
            columns = codes.item_measures(item, result.variant or template)
            result.cells += null_table(ctx, "disclosures", (item,), columns, "row_not_found")
            result.findings.append(Finding("row_missing", f"item {item} not found", f"disclosures:{item}"))
    return result


def _has_measure_header(section: str, codes: Codes) -> bool:
    squeezed = squeeze(section)
    return any(k in squeezed for m in codes.measures.values() for k in m.match)


def _measure_variant(item: str, header: str, codes: Codes) -> str | None:
    """The template whose measure headers for this item appear in the header text before it."""
    best, best_score = None, 0
    for template in codes.templates:
        measures = codes.item_measures(item, template)
        score = sum(1 for m in measures if any(k in header for k in codes.measures[m].match))
        if score > best_score:
            best, best_score = template, score
    return best


def _any_measures(codes: Codes, item: str) -> tuple[str, ...]:
    for template in codes.templates:
        if codes.item_measures(item, template):
            return codes.item_measures(item, template)
    return ()


# --- section 四: reviews ------------------------------------------------------------------

_REVIEW_HEADER = ("结果维持", "尚未审结", "复议后起诉", "直接起诉")


def reviews(ctx: Ctx, region: Region | None) -> TableResult:
    codes = ctx.codes
    result = TableResult()
    if region is None:
        return result
    body = squeeze(ctx.text[region.start : region.end])
    if not any(k in body for k in _REVIEW_HEADER):
        return result
    keys = [(p, o) for p in codes.proceedings for o in codes.outcomes]
    toks = tokens(ctx.text, region.start, region.end)
    heading_end = ctx.text.find("\n", region.start)
    label = Label("reviews", region.start, region.start, heading_end if heading_end > 0 else region.end)
    if len(toks) == len(keys):
        result.cells = ctx.cells("reviews", keys, toks)
        return result
    message = f"section 四 printed {len(toks)} values for {len(keys)} cells; all its cells are null"
    result.cells, finding = unplaced(ctx, "reviews", keys, len(toks), label, message, "reviews")
    result.findings.append(finding)
    return result
