"""Render a report as the web page a government site publishes.

The tables are the national templates' grids (rowspan/colspan headers, see grid.py);
around them what real pages carry: navigation, scripts, a layout table holding the
article and a sidebar, a footer. Pages are encoded UTF-8, GBK or GB18030, and the
<meta charset> often lies (a GBK page declaring utf-8 or iso-8859-1), as on real sites.
"""

from __future__ import annotations

import html
import random

from tests.synthetic.forms import FormRendering, blocks, choose_blanks, with_blanks
from tests.synthetic.generate import random_report
from tests.synthetic.grid import Cell, Grid, applications_grid, clause_grid, disclosures_grid, reviews_grid
from tests.synthetic.render_text import Block, Line, Para, Table

ENCODINGS = [
    ("utf-8", "utf-8"),
    ("utf-8", "gb2312"),
    ("gbk", "utf-8"),
    ("gbk", "gb2312"),
    ("gbk", None),
    ("gb18030", "iso-8859-1"),
    ("gb18030", "utf-8"),
]
"""(bytes, declared charset): the declaration is right, wrong, or missing."""

SIDEBAR = ["相关链接", "政府信息公开指南", "政府信息公开制度", "法定主动公开内容", "政府信息公开年报"]


def render_html(report: dict, rng: random.Random, blanks=frozenset(), *, thousands: bool = False) -> bytes:
    """The report as page bytes; cells in `blanks` (and null cells) printed as empty <td>."""
    return draw_html(blocks(report, rng, blanks, thousands), report["report"], rng)


def draw_html(
    doc: list[Block], meta: dict, rng: random.Random, *, charset: tuple[str, str | None] | None = None
) -> bytes:
    """Blocks as page bytes; `meta` is the report's year and publisher; `charset` is
    (the encoding, the charset the page declares), else one of ENCODINGS at random."""
    return _Page(meta, rng, charset).render(doc)


def synthetic_html(seed: int, template: str | None = None) -> FormRendering:
    """The report and page the property tests build from `seed`."""
    rng = random.Random(seed)
    report = random_report(rng, template)
    blanks = choose_blanks(report, rng)
    data = render_html(report, rng, blanks, thousands=rng.random() < 0.3)
    return FormRendering(data, with_blanks(report, blanks), blanks)


class _Page:
    def __init__(self, meta: dict, rng: random.Random, charset: tuple[str, str | None] | None = None):
        self.rng, self.meta = rng, meta
        r = rng.random
        self.encoding, self.declared = charset or rng.choice(ENCODINGS)
        self.http_equiv = r() < 0.5
        self.layout_table = r() < 0.6
        self.one_disclosure_table = r() < 0.7
        self.corner_note = r() < 0.8
        self.th = r() < 0.4
        self.tbody = r() < 0.5
        self.wrap_cells = r() < 0.4  # <td><p><span>…</span></p></td>, as Word-to-HTML pages do
        self.title_suffix = rng.choice(["", "", f"_{self.meta['publisher']}门户网站"])

    # the page

    def render(self, doc: list[Block]) -> bytes:
        title = f"{self.meta['publisher']}{self.meta['year']}年政府信息公开工作年度报告"
        article = "\n".join(self.blocks(doc))
        body = self.navigation() + (self.in_layout(article) if self.layout_table else article) + self.footer()
        page = f"<!DOCTYPE html>\n<html>\n<head>\n{self.meta_charset()}<title>{esc(title)}{self.title_suffix}"
        page += "</title>\n<style>td {border: 1px solid #000} .hide {display:none}</style>\n"
        page += '<script>var _hmt = _hmt || []; document.write("<span>统计</span>");</script>\n'
        page += f"</head>\n<body>\n{body}\n</body>\n</html>\n"
        return page.encode(self.encoding, errors="xmlcharrefreplace")

    def meta_charset(self) -> str:
        if self.declared is None:
            return ""
        if self.http_equiv:
            return f'<meta http-equiv="Content-Type" content="text/html; charset={self.declared}">\n'
        return f'<meta charset="{self.declared}">\n'

    def navigation(self) -> str:
        return (
            '<div class="top"><nav><a href="/">首页</a> | <a href="/zwgk/">政务公开</a></nav>'
            '<div class="hide">隐藏的提示 2024</div></div>\n'
        )

    def footer(self) -> str:
        code = self.rng.randint(10**9, 10**10 - 1)
        return (
            f'\n<div class="footer"><p>主办：{esc(self.meta["publisher"])}办公室</p>'
            f"<p>网站标识码：{code}</p></div>"
        )

    def in_layout(self, article: str) -> str:
        """The article in the cell of a layout table beside a sidebar (tables nested in tables)."""
        side = "".join(f"<p><a>{s}</a></p>" for s in SIDEBAR)
        cells = [f'<td class="main" width="760">{article}</td>', f'<td class="side" width="240">{side}</td>']
        if self.rng.random() < 0.3:
            cells.reverse()
        inner = f'<table width="1000" border="0"><tr>{"".join(cells)}</tr></table>'
        if self.rng.random() < 0.4:
            inner = f'<table class="outer"><tr><td>{inner}</td></tr></table>'
        return inner

    def blocks(self, doc: list[Block]) -> list[str]:
        out: list[str] = []
        pending: list[Table] = []
        for block in doc:
            if isinstance(block, Table) and block.kind == "disclosures":
                pending.append(block)
                continue
            if pending:
                out += self.disclosures(pending)
                pending = []
            if isinstance(block, Table):
                out.append(self.table(block))
            elif isinstance(block, Para):
                out.append(f'<p style="text-indent:2em">{esc(block.text)}</p>')
            elif isinstance(block, Line):
                out.append(self.line(block))
        return out

    def line(self, line: Line) -> str:
        if not line.text:
            return self.rng.choice(["<p>&nbsp;</p>", "<br>", ""])
        if line.center:
            tag = self.rng.choice(["h1", "p", "div"]) if "年度报告" in line.text else "p"
            return f'<{tag} style="text-align:center">{esc(line.text)}</{tag}>'
        if line.text[:2] in {f"{n}、" for n in "一二三四五六七八"}:
            return self.rng.choice(
                [f"<h3>{esc(line.text)}</h3>", f"<p><strong>{esc(line.text)}</strong></p>"]
            )
        return f"<p>{esc(line.text)}</p>"

    # tables

    def disclosures(self, tables: list[Table]) -> list[str]:
        if self.one_disclosure_table:
            return [self.grid(disclosures_grid(tables))]
        out = []
        for t in tables:
            caption_row = self.rng.random() < 0.5
            if not caption_row:
                out.append(f"<p>{esc(t.caption)}</p>")
            out.append(self.grid(clause_grid(t, caption_row)))
        return out

    def table(self, table: Table) -> str:
        if table.kind == "applications":
            return self.grid(applications_grid(table, self.corner_note))
        return self.grid(reviews_grid(table))

    def grid(self, grid: Grid) -> str:
        rows = "\n".join("<tr>" + "".join(self.cell(c) for c in row) + "</tr>" for row in grid)
        if self.tbody:
            rows = f"<tbody>\n{rows}\n</tbody>"
        style = self.rng.choice(['border="1" cellspacing="0"', 'class="MsoNormalTable" style="width:100%"'])
        return f"<table {style}>\n{rows}\n</table>"

    def cell(self, cell: Cell) -> str:
        tag = "th" if cell.head and self.th else "td"
        attrs = ""
        if cell.colspan > 1:
            attrs += f' colspan="{cell.colspan}"'
        if cell.rowspan > 1:
            attrs += f' rowspan="{cell.rowspan}"'
        return f"<{tag}{attrs}>{self.content(cell)}</{tag}>"

    def content(self, cell: Cell) -> str:
        rng = self.rng
        if not cell.text:
            return rng.choice(["", "", "&nbsp;", " ", "<p><br></p>", "<p><span>&nbsp;</span></p>"])
        text = esc(cell.text)
        if not cell.number and len(cell.text) > 8 and rng.random() < 0.2:
            cut = rng.randint(3, len(cell.text) - 3)
            text = esc(cell.text[:cut]) + "<br>" + esc(cell.text[cut:])
        if self.wrap_cells:
            text = f'<p align="center"><span style="font-size:14px">{text}</span></p>'
        elif cell.number and rng.random() < 0.1:
            text = f"&nbsp;{text}&nbsp;"
        return text


def esc(text: str) -> str:
    return html.escape(text, quote=False)
