"""The report parser: a report's text (or bytes) in, a typed `Report` out. No I/O.

parse_bytes → readers (form, encoding) → Source → parse_source:
normalise → sections → tables (二 disclosures, 三 applications, 四 reviews)
→ template, year, publisher → narrative facts → reconciliation → findings.
"""

from __future__ import annotations

import dataclasses
import re

from orchestration import codes as codes_mod
from orchestration import rules
from orchestration.model import Cell, Finding, Report, Span
from orchestration.parse import errors
from orchestration.parse.meta import read_meta
from orchestration.parse.narrative import read_facts
from orchestration.parse.reconcile import table_values, violations
from orchestration.parse.sections import Region, regions
from orchestration.parse.source import Source
from orchestration.parse.tables import Ctx, TableResult, applications, disclosures, null_table, reviews
from orchestration.parse.text import Lines, compact, fold, mask_page_marks, outside

PARSER_VERSION = "0.2.1"
"""Part of every parse cache key and every published row: bump it whenever some input's parse can change."""
MAX_CHARS = 2_000_000
"""Real reports are under 200,000 characters; longer input is cut here and the cut recorded."""

_REPORT_SIGNAL = re.compile(r"信\s*息\s*公\s*开|政\s*务\s*公\s*开")
_REPORT_KIND = re.compile(r"年\s*度\s*报\s*告|年\s*报|工\s*作\s*报\s*告")

__all__ = ["PARSER_VERSION", "Report", "errors", "parse_bytes", "parse_source", "parse_text"]


def parse_text(text: str) -> Report:
    return parse_source(Source(text=text))


def parse_bytes(data: bytes) -> Report:
    """Any supported form (text, HTML, PDF, DOCX), detected from the bytes."""
    from orchestration.parse.readers import read_source

    return parse_source(read_source(data))


def parse_source(source: Source) -> Report:
    """A report, or NotAReport when the text only names one: an error page or an index whose
    navigation mentions 政府信息公开 and 年度报告 holds no section heading, table, narrative
    figure or statistics period, while every report of the three templates holds one of them."""
    codes = codes_mod.load()
    findings: list[Finding] = []
    text = source.text
    if not text or not text.strip():
        raise errors.EmptyInput("the document holds no text")
    if len(text) > MAX_CHARS:
        findings.append(Finding("input_truncated", f"input cut from {len(text)} to {MAX_CHARS} characters"))
        text = text[:MAX_CHARS]
    norm = mask_page_marks(fold(text))
    if not (_REPORT_SIGNAL.search(norm) and _REPORT_KIND.search(norm)):
        raise errors.NotAReport("no 政府信息公开 … 年度报告 signal in the text")
    lines = Lines(norm)
    ctx = Ctx(norm, lines, codes, source.locate_all if source.anchors else None)
    regs = regions(norm, codes)

    disc, apps, revs = _tables(ctx, regs, "gb2021")
    tables = [(regs[n].start, regs[n].end) for n, t in _named(disc, apps, revs) if t.cells and n in regs]
    prose = compact(norm, outside(len(norm), tables))
    meta = read_meta(norm, prose)
    by_year = _template_for_year(meta.year, codes)
    has_tables = bool(disc.cells or apps.cells or revs.cells)
    template = disc.variant or apps.variant or by_year
    if not has_tables and (meta.year is None or by_year == "legacy"):
        template = "legacy"
    elif template == "legacy":
        template = "gb2019"
    if template != "gb2021" and (disc.used_fallback or apps.used_fallback):
        disc, apps, revs = _tables(ctx, regs, template)
    if disc.variant and apps.variant and disc.variant != apps.variant:
        findings.append(
            Finding("mixed_template", f"section 二 follows {disc.variant}, section 三 follows {apps.variant}")
        )

    facts = read_facts(prose, lines, tuple(codes.facts))
    if not (has_tables or regs or facts or meta.period_year is not None):
        raise errors.NotAReport("names a report but holds none of its sections, tables, figures or period")

    cells: list[Cell] = []
    if template != "legacy":
        cells = _with_missing_sections(ctx, template, disc, apps, revs, findings)
        for t in (disc, apps, revs):
            findings += t.findings

    values = table_values(tuple(cells))
    results = rules.evaluate_report(values, codes)
    findings += violations(results)
    findings += _meta_findings(meta)
    findings += _prose_vs_table(facts, values)

    report = Report(
        year=meta.year,
        publisher=meta.publisher,
        template=template,
        cells=tuple(cells),
        facts=tuple(facts),
        reconciliation=tuple(results),
        findings=tuple(findings),
        extra_cells=tuple(disc.extra + apps.extra + revs.extra),
        form=source.form,
        parser_version=PARSER_VERSION,
        meta_sources=_meta_sources(meta, lines),
    )
    return _locate(report, source)


def _template_for_year(year: int | None, codes: codes_mod.Codes) -> str:
    if year is None:
        return "gb2021"
    for name, t in codes.templates.items():
        lo, hi = t.get("years")
        if (lo is None or year >= lo) and (hi is None or year <= hi):
            return name
    return "gb2021"


def _tables(ctx: Ctx, regs: dict[str, Region], template: str) -> tuple[TableResult, TableResult, TableResult]:
    fallback = "gb2021" if template == "legacy" else template
    return (
        disclosures(ctx, regs.get("disclosures"), fallback),
        applications(ctx, regs.get("applications"), fallback),
        reviews(ctx, regs.get("reviews")),
    )


def _named(disc: TableResult, apps: TableResult, revs: TableResult) -> list[tuple[str, TableResult]]:
    return [("disclosures", disc), ("applications", apps), ("reviews", revs)]


def _with_missing_sections(
    ctx: Ctx, template: str, disc: TableResult, apps: TableResult, revs: TableResult, findings: list[Finding]
) -> list[Cell]:
    """Every template cell appears: a section that is not in the report is null, with its reason."""
    codes = ctx.codes
    out: list[Cell] = []
    for name, table in _named(disc, apps, revs):
        if table.cells:
            out += table.cells
            continue
        findings.append(Finding("section_missing", f"section {codes.sections[name].zh} not found", name))
        if name == "disclosures":
            for item in codes.items:
                measures = codes.item_measures(item, template)
                out += null_table(ctx, name, (item,), measures, "section_not_found")
        elif name == "applications":
            out += null_table(
                ctx, name, codes.template_rows(template), tuple(codes.applicants), "section_not_found"
            )
        else:
            for p in codes.proceedings:
                out += null_table(ctx, name, (p,), tuple(codes.outcomes), "section_not_found")
    return out


def _meta_findings(meta) -> list[Finding]:
    out = []
    if meta.year is None:
        out.append(Finding("year_unknown", "neither a statistics period nor a titled year was found"))
    elif meta.title_year is not None and meta.period_year is not None and meta.title_year != meta.period_year:
        out.append(
            Finding(
                "year_conflict", f"title says {meta.title_year}, statistics period says {meta.period_year}"
            )
        )
    if meta.publisher is None:
        out.append(Finding("publisher_unknown", "no report title naming the publisher was found"))
    return out


def _meta_sources(meta, lines: Lines) -> dict[str, Span]:
    out = {}
    if meta.year_at:
        out["year"] = Span(lines.line(meta.year_at[0]), *meta.year_at)
    if meta.publisher_at:
        out["publisher"] = Span(lines.line(meta.publisher_at[0]), *meta.publisher_at)
    return out


_FACT_VS_TABLE = {
    "applications_received": (("applications", ("new_received", "total")),),
    "reconsideration_cases": (("reviews", ("reconsideration", "total")),),
    "litigation_cases": (
        ("reviews", ("litigation_direct", "total")),
        ("reviews", ("litigation_after_reconsideration", "total")),
    ),
}


def _prose_vs_table(facts, values: dict[str, dict]) -> list[Finding]:
    """Where the prose states a figure the table also holds, and they differ."""
    out = []
    for fact in facts:
        refs = _FACT_VS_TABLE.get(fact.name)
        if not refs or any(values.get(t, {}).get(k) is None for t, k in refs):
            continue
        table_value = sum(values[t][k] for t, k in refs)
        if table_value != fact.value:
            out.append(
                Finding(
                    "prose_table_disagreement",
                    f"prose states {fact.name} = {fact.value}, the table holds {table_value}",
                    f"narrative:{fact.name}",
                    fact.span,
                )
            )
    return out


def _locate(report: Report, source: Source) -> Report:
    """Attach the reader's original locations (page, element path, ...) to the facts' spans
    (cells are located as the tables make them: `Ctx.cells`)."""
    if not source.anchors:
        return report
    facts = tuple(
        dataclasses.replace(f, span=Span(*f.span[:3], source.locate(f.span.start))) for f in report.facts
    )
    return dataclasses.replace(report, facts=facts)
