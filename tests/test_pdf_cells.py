"""PDF ruled tables: cells from the drawn rules, blank data cells only where the geometry is certain."""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from orchestration.parse.readers.pdf import read_pdf
from orchestration.parse.source import BLANK_CELL
from tests.synthetic.render_pdf import _Document, font

B = BLANK_CELL


def pdf(rows: list[list[str]], widths: list[float], grid: bool = True, spans=()) -> bytes:
    style = [("FONT", (0, 0), (-1, -1), font(), 9), *(("SPAN", a, b) for a, b in spans)]
    if grid:
        style.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, invariant=1)
    doc.build([Table(rows, colWidths=widths, style=TableStyle(style))])
    return out.getvalue()


def lines(data: bytes) -> list[str]:
    return [line for line in read_pdf(data).text.splitlines() if line.strip() and line != "\f"]


def test_ruled_table_rows_are_lines_with_blank_data_cells():
    rows = [
        ["信息内容", "", "甲类", "乙类", "丙类"],
        ["三类", "一号行", "1", "", "3"],
        ["", "二号行", "", "5", ""],
        ["四类", "三号行", "", "", ""],
    ]
    data = pdf(rows, [50, 60, 40, 40, 40], spans=[((0, 0), (1, 0)), ((0, 1), (0, 2))])
    assert lines(data) == [
        "信息内容\t甲类\t乙类\t丙类",
        f"三类\t一号行\t1\t{B}\t3",
        f"二号行\t{B}\t5\t{B}",
        f"四类\t三号行\t{B}\t{B}\t{B}",
    ]
    source = read_pdf(data)
    where = source.locate(source.text.index(B))
    assert where is not None and where["page"] == 1 and len(where["bbox"]) == 4


def test_empty_cell_of_a_split_label_column_is_not_a_blank():
    """A label printed in the subgroup column leaves the row-label cell empty: not a data cell."""
    rows = [
        ["（三）不予公开", "1.属于国家秘密", "1", "2"],
        ["（六）其他处理", "", "3", "4"],
    ]
    assert lines(pdf(rows, [70, 90, 40, 40])) == [
        "（三）不予公开\t1.属于国家秘密\t1\t2",
        "（六）其他处理\t3\t4",
    ]


def test_sliver_between_double_rules_is_not_a_cell():
    rows = [["行政复议", "", "1", "2"], ["行政诉讼", "", "3", "4"]]
    assert lines(pdf(rows, [70, 2, 40, 40])) == ["行政复议\t1\t2", "行政诉讼\t3\t4"]


def test_unruled_table_keeps_only_printed_numbers():
    """Without rules nothing makes an empty cell's column certain: no blank is invented."""
    rows = [["一号行", "1", "", "3"], ["二号行", "4", "5", "6"]]
    text = read_pdf(pdf(rows, [60, 40, 40, 40], grid=False)).text
    assert B not in text
    assert [line.split() for line in text.splitlines() if line.strip()] == [
        ["一号行", "1", "3"],
        ["二号行", "4", "5", "6"],
    ]


def test_a_framed_paragraph_is_not_a_table():
    document = _Document({"publisher": "样例县人民政府", "year": 2023}, __import__("random").Random(0))
    text = "框内文字，" * 40
    framed = Table(
        [[Paragraph(text, document.body)]],
        colWidths=[300],
        style=[("BOX", (0, 0), (-1, -1), 1, colors.black)],
    )
    out = io.BytesIO()
    SimpleDocTemplate(out, invariant=1).build([framed])
    assert len(lines(out.getvalue())) > 3
