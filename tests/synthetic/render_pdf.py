"""Render a report as the PDF an office exports: reportlab with its built-in CJK CID font.

The tables are the national templates' grids with ruled cells (see grid.py) and
break across pages where they do not fit; every page carries a running header and
a page number in one of the styles real reports use. `invariant=1` and fixed
metadata make the bytes deterministic.
"""

from __future__ import annotations

import io
import random
from functools import cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from tests.synthetic.forms import FormRendering, blocks, choose_blanks, with_blanks
from tests.synthetic.generate import random_report
from tests.synthetic.grid import (
    Grid,
    applications_grid,
    clause_grid,
    disclosures_grid,
    place,
    reviews_grid,
    width,
)
from tests.synthetic.render_text import Block, Line, Para
from tests.synthetic.render_text import Table as TextTable

FONT = "STSong-Light"
MARGIN = 48
PAGE_NUMBERS = ["- {n} -", "—{n}—", "第 {n} 页", "{n}"]
"""Footer styles; a bare number is what most Word exports print."""


class _Para(Paragraph):
    """A paragraph that never ends on a line of one character: PDFium drops a text run of
    a single character in reportlab's non-embedded CID font (zero-width box), so such a
    line would vanish from the text layer the reader sees."""

    def wrap(self, availWidth, availHeight):
        size = self.style.fontSize
        width, height = super().wrap(availWidth, availHeight)
        while _last_line_chars(self) == 1 and availWidth > 2 * size:
            availWidth -= size
            width, height = super().wrap(availWidth, availHeight)
        return width, height


def _last_line_chars(p: Paragraph) -> int:
    lines = p.blPara.lines
    if len(lines) < 2:
        return 0
    last = lines[-1]
    words = last[1] if isinstance(last, tuple) else getattr(last, "words", [])
    return len("".join(w if isinstance(w, str) else getattr(w, "text", "") for w in words).strip())


@cache
def font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def render_pdf(
    report: dict,
    rng: random.Random,
    blanks=frozenset(),
    *,
    thousands: bool = False,
    split: bool | None = None,
) -> bytes:
    """The report as PDF bytes; cells in `blanks` (and null cells) left empty inside their rules.
    With `split`, section 三's table starts near the foot of a page and breaks across pages."""
    return draw_pdf(blocks(report, rng, blanks, thousands), report["report"], rng, split=split)


def draw_pdf(doc: list[Block], meta: dict, rng: random.Random, *, split: bool | None = None) -> bytes:
    """Blocks as PDF bytes; `meta` is the report's year and publisher."""
    return _Document(meta, rng, split).render(doc)


def synthetic_pdf(seed: int, template: str | None = None, *, split: bool | None = None) -> FormRendering:
    """The report and file the property tests build from `seed`."""
    rng = random.Random(seed)
    report = random_report(rng, template)
    blanks = choose_blanks(report, rng)
    data = render_pdf(report, rng, blanks, thousands=rng.random() < 0.3, split=split)
    return FormRendering(data, with_blanks(report, blanks), blanks)


class _Leave(Flowable):
    """Fills the frame but `points` of its height, so that what follows starts near the page foot."""

    def __init__(self, points: float):
        super().__init__()
        self.points = points

    def wrap(self, availWidth, availHeight):
        if availHeight < self.points + 20:  # too little left here: fill the next page instead
            return availWidth, availHeight + 1
        return availWidth, availHeight - self.points

    def draw(self) -> None:
        pass


class _Document:
    def __init__(self, meta: dict, rng: random.Random, split: bool | None = None):
        self.rng, self.meta = rng, meta
        self.split = rng.random() < 0.3 if split is None else split
        self.title = f"{self.meta['publisher']}{self.meta['year']}年政府信息公开工作年度报告"
        size = rng.choice([10, 10.5, 12])
        self.body = ParagraphStyle("body", fontName=font(), fontSize=size, leading=size * 1.6, wordWrap="CJK")
        self.prose = ParagraphStyle("prose", parent=self.body, firstLineIndent=2 * size)
        self.heading = ParagraphStyle("heading", parent=self.body, fontSize=size + 1, leading=size * 2)
        self.center = ParagraphStyle("center", parent=self.body, alignment=TA_CENTER)
        self.big = ParagraphStyle("big", parent=self.center, fontSize=size + 6, leading=(size + 6) * 1.6)
        self.cell_size = rng.choice([7.5, 8, 9])
        self.cell = ParagraphStyle(
            "cell", fontName=font(), fontSize=self.cell_size, leading=self.cell_size * 1.25, wordWrap="CJK"
        )
        self.number = ParagraphStyle("number", parent=self.cell, alignment=TA_CENTER)
        self.page_number = rng.choice(PAGE_NUMBERS)
        self.running_header = rng.random() < 0.7
        self.repeat_header = rng.random() < 0.3
        self.one_disclosure_table = rng.random() < 0.7

    def render(self, doc: list[Block]) -> bytes:
        out = io.BytesIO()
        template = SimpleDocTemplate(
            out,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN + 12,
            bottomMargin=MARGIN + 12,
            title=self.title,
            author="synthetic",
            creator="synthetic",
            producer="synthetic",
            invariant=1,
        )
        template.build(self.flowables(doc), onFirstPage=self.decorate, onLaterPages=self.decorate)
        return out.getvalue()

    def decorate(self, canvas, doc) -> None:
        """Running header and page number, drawn outside the frame on every page."""
        canvas.saveState()
        canvas.setFont(font(), 8)
        width, height = A4
        if self.running_header:
            canvas.drawCentredString(width / 2, height - MARGIN + 4, self.title)
            canvas.line(MARGIN, height - MARGIN, width - MARGIN, height - MARGIN)
        canvas.setFont(font(), 9)
        canvas.drawCentredString(width / 2, MARGIN - 16, self.page_number.format(n=doc.page))
        canvas.restoreState()

    def flowables(self, doc: list[Block]) -> list[Flowable]:
        out: list[Flowable] = []
        pending: list[TextTable] = []
        for block in doc:
            if isinstance(block, TextTable) and block.kind == "disclosures":
                pending.append(block)
                continue
            if pending:
                out += self.disclosures(pending)
                pending = []
            if isinstance(block, TextTable):
                if block.kind == "applications":
                    if self.split:
                        out.append(_Leave(self.rng.uniform(140, 220)))
                    out.append(self.table(applications_grid(block), [36, 60, 127], 3))
                else:
                    out.append(self.table(reviews_grid(block), [], 3))
            elif isinstance(block, Para):
                out.append(_Para(escape(block.text), self.prose))
                if self.rng.random() < 0.15:  # moves the tables around the page breaks
                    out.append(Spacer(1, self.rng.randint(20, 200)))
            elif isinstance(block, Line):
                out.append(self.line(block))
        return out

    def line(self, line: Line) -> Flowable:
        if not line.text:
            return Spacer(1, 6)
        if line.center:
            return _Para(escape(line.text), self.big if "年度报告" in line.text else self.center)
        return _Para(escape(line.text), self.heading)

    def disclosures(self, tables: list[TextTable]) -> list[Flowable]:
        widths = [130, 120, 120, 120]
        if self.one_disclosure_table:
            return [self.table(disclosures_grid(tables), widths, 0)]
        out: list[Flowable] = []
        for t in tables:
            out += [_Para(escape(t.caption), self.body), self.table(clause_grid(t, False), widths, 0)]
        return out

    def table(self, grid: Grid, label_widths: list[int], header_rows: int) -> Table:
        """A ruled table; `label_widths` fix the leading label columns, the rest share the page."""
        columns = width(grid)
        rest = columns - len(label_widths)
        free = A4[0] - 2 * MARGIN - sum(label_widths) - 4
        widths = [*label_widths, *[free / rest] * rest] if rest > 0 else label_widths
        # a cell whose text fits its width exactly loses its last wrapped line in reportlab 4.4
        widths = [w + 0.3 for w in widths]
        data: list[list] = [[""] * columns for _ in grid]
        style = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("FONT", (0, 0), (-1, -1), font(), self.cell_size),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]
        for r, row in enumerate(place(grid)):
            for c, cell in row:
                if cell.text:
                    data[r][c] = _Para(
                        escape(cell.text), self.number if cell.number or cell.head else self.cell
                    )
                if cell.colspan > 1 or cell.rowspan > 1:
                    style.append(("SPAN", (c, r), (c + cell.colspan - 1, r + cell.rowspan - 1)))
        repeat = header_rows if self.repeat_header else 0
        return Table(data, colWidths=widths, style=TableStyle(style), repeatRows=repeat, hAlign="CENTER")
