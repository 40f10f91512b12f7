"""Render a report as the Word file (.docx) an office writes: paragraphs, and the
national templates' tables with merged cells (gridSpan/vMerge, see grid.py).

Bytes are deterministic: fixed core properties and zip entries with a fixed date,
so the same report and seed always give the same file.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

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
from tests.synthetic.render_text import FULLWIDTH, Block, Line, Para, Table

FIXED_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def render_docx(report: dict, rng: random.Random, blanks=frozenset(), *, thousands: bool = False) -> bytes:
    """The report as .docx bytes; cells in `blanks` (and null cells) left empty."""
    return draw_docx(blocks(report, rng, blanks, thousands), report["report"], rng)


def draw_docx(doc: list[Block], meta: dict, rng: random.Random) -> bytes:
    """Blocks as .docx bytes; `meta` is the report's year and publisher."""
    return _Document(meta, rng).render(doc)


def synthetic_docx(seed: int, template: str | None = None) -> FormRendering:
    """The report and file the property tests build from `seed`."""
    rng = random.Random(seed)
    report = random_report(rng, template)
    blanks = choose_blanks(report, rng)
    data = render_docx(report, rng, blanks, thousands=rng.random() < 0.3)
    return FormRendering(data, with_blanks(report, blanks), blanks)


class _Document:
    def __init__(self, meta: dict, rng: random.Random):
        self.rng, self.meta = rng, meta
        self.fullwidth = rng.random() < 0.3  # full-width digits, as Chinese input methods type them
        self.one_disclosure_table = rng.random() < 0.6
        self.doc = docx.Document()

    def render(self, doc: list[Block]) -> bytes:
        pending: list[Table] = []
        for block in doc:
            if isinstance(block, Table) and block.kind == "disclosures":
                pending.append(block)
                continue
            if pending:
                self.disclosures(pending)
                pending = []
            if isinstance(block, Table):
                grid = applications_grid(block) if block.kind == "applications" else reviews_grid(block)
                self.table(grid)
            elif isinstance(block, Para):
                p = self.doc.add_paragraph(block.text)
                p.paragraph_format.first_line_indent = Pt(24)
            elif isinstance(block, Line) and block.text:
                self.line(block)
        return self.save()

    def line(self, line: Line) -> None:
        p = self.doc.add_paragraph()
        run = p.add_run(line.text)
        if line.center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run.bold = "年度报告" in line.text
        elif line.text[:2] in {f"{n}、" for n in "一二三四五六七八"}:
            run.bold = True

    def disclosures(self, tables: list[Table]) -> None:
        if self.one_disclosure_table:
            self.table(disclosures_grid(tables))
            return
        for t in tables:
            self.doc.add_paragraph(t.caption)
            self.table(clause_grid(t, caption_row=False))

    def table(self, grid: Grid) -> None:
        table = self.doc.add_table(rows=len(grid), cols=width(grid))
        table.style = "Table Grid"
        slots = [row.cells for row in table.rows]  # before merging (table.cell() is O(cells) per call)
        for r, row in enumerate(place(grid)):
            for c, cell in row:
                target = slots[r][c]
                if cell.colspan > 1 or cell.rowspan > 1:
                    target = target.merge(slots[r + cell.rowspan - 1][c + cell.colspan - 1])
                text = cell.text
                if cell.number and self.fullwidth:
                    text = text.translate(FULLWIDTH)
                elif not cell.number and len(text) > 10 and self.rng.random() < 0.2:
                    cut = self.rng.randint(3, len(text) - 3)
                    text = text[:cut] + "\n" + text[cut:]
                if text:
                    target.text = text

    def save(self) -> bytes:
        props = self.doc.core_properties
        props.author = props.last_modified_by = "synthetic"
        props.title = f"{self.meta['publisher']}{self.meta['year']}年政府信息公开工作年度报告"
        props.created = props.modified = props.last_printed = FIXED_TIME
        props.revision = 1
        out = io.BytesIO()
        self.doc.save(out)
        return fixed_zip(out.getvalue())


def fixed_zip(data: bytes) -> bytes:
    """The same archive with every entry dated ZIP_TIME, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()
