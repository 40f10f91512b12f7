"""Readers: form detection, decoding, HTML/DOCX grids, PDF layout and typed failures."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import docx
import pytest
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

from orchestration.parse.detect import detect_form
from orchestration.parse.errors import (
    EmptyInput,
    EncryptedDocument,
    InputTooLarge,
    NoTextLayer,
    NotText,
    UnreadableDocument,
    UnsupportedForm,
)
from orchestration.parse.readers import read_source
from orchestration.parse.readers.decode import decode_bytes
from orchestration.parse.readers.docx import read_docx
from orchestration.parse.readers.html import read_html
from orchestration.parse.readers.pdf import read_pdf
from orchestration.parse.source import BLANK_CELL

REAL = Path(__file__).resolve().parents[2] / "shared" / "real"
REAL_STEMS = sorted(p.stem for p in (REAL / "pdf").glob("*.pdf")) if REAL.is_dir() else []


def needs_real(test):
    """Tests over ../shared/real, read in place; CI has it, so its absence is a failure, not a skip."""
    return test


def test_real_pdfs_are_present() -> None:
    assert REAL_STEMS, "../shared/real/pdf is read in place and must exist"


REPORT = "某区人民政府2023年政府信息公开工作年度报告\n一、总体情况\n本年新收政府信息公开申请 21 件。\n"
B = BLANK_CELL


def docx_bytes(document: docx.document.Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_bytes(draw, pages: int = 1, encrypt=None) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out, encrypt=encrypt)
    for page in range(pages):
        draw(pdf, page)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def text_page(pdf: canvas.Canvas, page: int) -> None:
    pdf.drawString(72, 720, f"Annual report page {page + 1}")
    pdf.drawString(72, 700, "Row A")
    for i, value in enumerate((12, 0, 7)):
        pdf.drawString(250 + 60 * i, 700, str(value))


def image_page(pdf: canvas.Canvas, page: int) -> None:
    """What a scan looks like to a text extractor: marks on the page, no characters."""
    pdf.rect(72, 72, 400, 600, fill=1)


# --- detect -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "form"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "pdf"),
        (b"\r\n<html>junk from a proxy</html>\n%PDF-1.4\n", "pdf"),
        (bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 100, "doc"),
        (b"<!DOCTYPE html><html><body>x</body></html>", "html"),
        (b"\xef\xbb\xbf  \n<meta charset=gbk><p>x", "html"),
        ("\ufeff<html><body>报告</body></html>".encode("utf-16-le"), "html"),
        ("<table><tr><td>报告</td></tr></table>".encode("utf-16-be"), "html"),
        ("一、总体情况\n行政许可 12\n".encode("gbk"), "text"),
        (b"x < y and <b> is not enough", "text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image"),
        (b"{\\rtf1\\ansi report}", "rtf"),
    ],
)
def test_detect_form_from_magic_bytes(data: bytes, form: str) -> None:
    assert detect_form(data) == form


def test_detect_docx_vs_plain_zip() -> None:
    assert detect_form(docx_bytes(docx.Document())) == "docx"
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("data.csv", "a,b\n1,2\n")
    assert detect_form(plain.getvalue()) == "zip"
    with pytest.raises(UnsupportedForm):
        read_source(plain.getvalue())


def test_legacy_doc_and_empty_input_are_typed_errors() -> None:
    with pytest.raises(UnsupportedForm):
        read_source(bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 512)
    with pytest.raises(EmptyInput):
        read_source(b"")
    with pytest.raises(EmptyInput):
        read_source(b" \r\n\t ")


# --- decode -------------------------------------------------------------------------------------


def test_gbk_page_declaring_utf8_decodes_as_gbk() -> None:
    assert decode_bytes(REPORT.encode("gbk"), declared="utf-8") == REPORT


def test_utf8_page_declaring_gb2312_decodes_as_utf8() -> None:
    assert decode_bytes(REPORT.encode("utf-8"), declared="gb2312") == REPORT


def test_big5_is_not_mistaken_for_gbk() -> None:
    traditional = "某區人民政府2023年政府資訊公開工作年度報告\n一、總體情況\n本年新收申請 21 件。\n"
    assert decode_bytes(traditional.encode("big5")) == traditional
    assert decode_bytes(traditional.encode("big5"), declared="gbk") == traditional


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_utf16_and_boms(encoding: str) -> None:
    assert decode_bytes(REPORT.encode(encoding)) == REPORT


def test_binary_junk_is_not_text() -> None:
    junk = bytes(range(256)) * 40
    with pytest.raises(NotText):
        decode_bytes(junk)
    with pytest.raises(NotText):
        decode_bytes(bytes((i * 7919 + 13) % 256 or 1 for i in range(4000)))
    with pytest.raises(NotText):
        read_source(junk)


def test_plain_text_source() -> None:
    source = read_source(REPORT.replace("\n", "\r\n").encode("gb18030"))
    assert source.form == "text"
    assert source.text == REPORT


# --- HTML ---------------------------------------------------------------------------------------

SECTION3_HTML = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>某区2023年政府信息公开工作年度报告</title><style>p {color: red}</style>
<script>document.write("junk")</script></head><body>
<nav>首页 &gt; 政务公开</nav>
<div class="content"><p>&nbsp;&nbsp;三、收到和处理政府信息公开申请情况</p>
<table border="1"><tbody>
<tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，<br>等于第三项加第四项之和）</td>
    <th colspan="7">申请人情况</th></tr>
<tr><th rowspan="2">自然人</th><th colspan="5">法人或其他组织</th><th rowspan="2">总&nbsp;&nbsp;计</th></tr>
<tr><th>商业企业</th><th>科研机构</th><th>社会公益组织</th><th>法律服务机构</th><th>其他</th></tr>
<tr><td colspan="3">一、本年新收政府信息公开申请数量</td>
    <td>4</td><td>0</td><td></td><td>&nbsp;</td><td>0</td><td>0</td><td>4</td></tr>
<tr><td rowspan="3">三、本年度办理结果</td><td colspan="2">（一）予以公开</td>
    <td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>1</td></tr>
<tr><td rowspan="2">（三）不予公开</td><td>1.属于国家秘密</td>
    <td>2</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>2</td></tr>
<tr><td>2.其他法律行政法规禁止公开</td>
    <td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td></tr>
<tr><td></td><td></td><td></td><td></td><td></td><td></td><td></td><td></td><td></td><td></td></tr>
</tbody></table></div></body></html>"""


def test_html_table_grid_with_spans_and_blank_cells() -> None:
    source = read_html(SECTION3_HTML.encode("gbk"))
    lines = source.text.splitlines()
    assert "junk" not in source.text and "首页" not in source.text and "color" not in source.text
    assert lines[0] == "某区2023年政府信息公开工作年度报告"
    assert lines[1] == "三、收到和处理政府信息公开申请情况"
    grid = [line for line in lines[2:] if line]
    assert grid == [
        "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t申请人情况",
        "自然人\t法人或其他组织\t总计",
        "商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他",
        f"一、本年新收政府信息公开申请数量\t4\t0\t{B}\t{B}\t0\t0\t4",
        "三、本年度办理结果\t（一）予以公开\t1\t0\t0\t0\t0\t0\t1",
        "（三）不予公开\t1.属于国家秘密\t2\t0\t0\t0\t0\t0\t2",
        "2.其他法律行政法规禁止公开\t0\t0\t0\t0\t0\t0\t0",
    ]


def test_html_anchors_point_at_cells() -> None:
    source = read_html(SECTION3_HTML.encode("utf-8"))
    offset = source.text.index("1.属于国家秘密")
    assert source.locate(offset) == {"path": "table[1]/tr[6]/td[2]"}
    blank = source.text.index(B)
    assert source.locate(blank) == {"path": "table[1]/tr[4]/td[4]"}


def test_html_hidden_elements_are_not_read() -> None:
    page = (
        '<p>年度报告</p><p hidden>隐藏 1</p><div style="DISPLAY : none">提示 2</div>'
        '<table><tr><td>行政许可</td><td style="visibility:hidden">9</td><td>12</td>'
        '<td><span hidden>7</span></td><td><b style="display:none">3</b>4</td></tr></table>'
        '<p style="color:red">可见 5</p>'
    )
    lines = [line for line in read_html(page.encode()).text.splitlines() if line]
    assert lines == ["年度报告", f"行政许可\t12\t{B}\t4", "可见 5"]


def test_html_hidden_rows_are_not_read_and_later_rows_keep_their_paths() -> None:
    page = (
        "<table><tr><td>行政许可</td><td>12</td></tr>"
        '<tr style="display: none"><td>行政处罚</td><td>99</td></tr>'
        "<tbody hidden><tr><td>行政强制</td><td>98</td></tr></tbody>"
        "<tbody><tr><td>行政事业性收费</td><td>3</td></tr></tbody></table>"
    )
    source = read_html(page.encode())
    lines = [line for line in source.text.splitlines() if line]
    assert lines == ["行政许可\t12", "行政事业性收费\t3"]
    assert source.locate(source.text.index("3")) == {"path": "table[1]/tr[4]/td[2]"}


def test_html_layout_table_recurses_into_data_table() -> None:
    page = (
        "<table><tr><td><p>年度报告</p><table><tr><td>行政许可</td><td>12</td><td></td></tr></table>"
        "</td><td>侧栏</td></tr></table>"
    )
    lines = [line for line in read_html(page.encode()).text.splitlines() if line]
    assert lines == ["年度报告", f"行政许可\t12\t{B}", "侧栏"]


def test_html_big5_traditional_is_simplified() -> None:
    page = (
        "<html><meta charset=big5><p>政府資訊公開工作年度報告</p>"
        "<table><tr><td>行政許可</td><td>15</td></tr></table>"
    )
    source = read_source(page.encode("big5"))
    assert source.form == "html"
    assert "政府资讯公开工作年度报告" in source.text
    assert "行政许可\t15" in source.text
    assert any("t2s" in note for note in source.notes)


def test_html_without_text_is_empty() -> None:
    with pytest.raises(EmptyInput):
        read_html(b"<html><body><script>var a = 1;</script></body></html>")


# --- DOCX ---------------------------------------------------------------------------------------


def merged_table_document() -> docx.document.Document:
    document = docx.Document()
    document.add_paragraph("某区2023年政府信息公开工作年度报告")
    table = document.add_table(rows=5, cols=5)
    table.cell(0, 0).merge(table.cell(1, 1)).text = "勾稽关系"
    table.cell(0, 2).merge(table.cell(0, 4)).text = "申请人情况"
    for col, text in zip((2, 3, 4), ("自然人", "商业企业", "总计"), strict=True):
        table.cell(1, col).text = text
    table.cell(2, 0).merge(table.cell(3, 0)).text = "三、本年度办理结果"
    table.cell(2, 1).text = "（一）予以公开"
    table.cell(2, 2).text, table.cell(2, 4).text = "1", "1"
    table.cell(3, 1).text = "（二）部分公开"
    table.cell(3, 2).text, table.cell(3, 3).text, table.cell(3, 4).text = "2", "0", "2"
    document.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    return document


def test_docx_merged_cells_render_once_and_blank_cells_show() -> None:
    source = read_docx(docx_bytes(merged_table_document()))
    lines = [line for line in source.text.splitlines() if line]
    assert lines == [
        "某区2023年政府信息公开工作年度报告",
        "勾稽关系\t申请人情况",
        "自然人\t商业企业\t总计",
        f"三、本年度办理结果\t（一）予以公开\t1\t{B}\t1",
        "（二）部分公开\t2\t0\t2",
        "四、政府信息公开行政复议、行政诉讼情况",
    ]
    assert source.locate(source.text.index("（二）部分公开")) == {"table": 0, "row": 3, "cell": 1}
    assert source.locate(source.text.index("四、")) == {"paragraph": 1}
    assert read_source(docx_bytes(merged_table_document())).text == source.text


def test_docx_zip_bomb_is_refused_before_inflating() -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (8 * 1024 * 1024))
    with pytest.raises(InputTooLarge):
        read_source(bomb.getvalue())


def test_docx_truncated_or_corrupt_is_unreadable() -> None:
    data = docx_bytes(merged_table_document())
    with pytest.raises(UnreadableDocument):
        read_source(data[: len(data) // 2])
    with pytest.raises(UnreadableDocument):
        read_docx(b"PK\x03\x04" + b"\x00" * 200)


# --- PDF ----------------------------------------------------------------------------------------


def test_pdf_text_rows_and_word_anchors() -> None:
    source = read_pdf(pdf_bytes(text_page, pages=2))
    rows = [line.split() for line in source.text.splitlines() if line.startswith("Row")]
    assert rows == [["Row", "A", "12", "0", "7"]] * 2
    where = source.locate(source.text.rindex("12"))
    assert where is not None and where["page"] == 2
    x0, top, x1, bottom = where["bbox"]
    baseline_from_top = 842 - 700  # reportlab's default A4 page, text drawn at y=700
    assert 249 < x0 < 251 < x1 and top < baseline_from_top < bottom and bottom - top < 20


def test_truncated_pdf_is_unreadable() -> None:
    data = pdf_bytes(text_page, pages=3)
    with pytest.raises(UnreadableDocument):
        read_pdf(data[: len(data) // 2])
    with pytest.raises(UnreadableDocument):
        read_source(b"%PDF-1.4\n" + b"garbage " * 100)


def test_encrypted_pdf() -> None:
    data = pdf_bytes(text_page, encrypt=StandardEncryption("secret"))
    with pytest.raises(EncryptedDocument):
        read_source(data)


def test_owner_password_only_pdf_is_read() -> None:
    data = pdf_bytes(text_page, encrypt=StandardEncryption("", ownerPassword="owner", canCopy=0))
    assert "Row A" in read_pdf(data).text


def test_image_only_pdf_has_no_text_layer() -> None:
    with pytest.raises(NoTextLayer):
        read_source(pdf_bytes(image_page, pages=2))


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def numbers(line: str) -> tuple[str, ...]:
    """The standalone numbers of a line, in order (a label's "1." is not one)."""
    return tuple(token for token in line.split() if _NUMBER.fullmatch(token))


def label(line: str) -> str:
    """The longest non-number token of a line: its row label when it has one."""
    return max((t for t in line.split() if not _NUMBER.fullmatch(t)), key=len, default="")


def section_three(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "收到和处理政府信息公开申请情况" in line)
    end = next(i for i, line in enumerate(lines) if i > start and "行政复议、行政诉讼情况" in line)
    return lines[start:end]


@needs_real
@pytest.mark.parametrize("stem", REAL_STEMS)
def test_real_pdf_keeps_table_rows_like_pdftotext(stem: str) -> None:
    """Every pdftotext -layout line with numbers has a line of ours with the same numbers
    in the same order, and with its row label too when pdftotext has one there."""
    source = read_pdf((REAL / "pdf" / f"{stem}.pdf").read_bytes())
    reference = (REAL / "text" / f"{stem}.txt").read_text(encoding="utf-8")
    ours = source.text.splitlines()
    by_numbers: dict[tuple[str, ...], list[str]] = {}
    for line in ours:
        by_numbers.setdefault(numbers(line), []).append(line)
    wanted = [line for line in section_three(reference) if numbers(line)]
    assert len(wanted) >= 20
    assert [line for line in wanted if numbers(line) not in by_numbers] == []
    everywhere = [line for line in reference.splitlines() if numbers(line)]
    assert [line for line in everywhere if numbers(line) not in by_numbers] == []
    labelled = [line for line in everywhere if len(label(line)) >= 2]
    split = [line for line in labelled if not any(label(line) in o for o in by_numbers[numbers(line)])]
    assert split == []
    assert all(a.where["page"] >= 1 and len(a.where["bbox"]) == 4 for a in source.anchors)


def gold_cells(doc: dict) -> dict[tuple, object]:
    keys = {"disclosures": ("item", "measure", "value"), "applications": ("row", "applicant", "count")}
    keys["reviews"] = ("proceeding", "outcome", "count")
    return {
        (table, rec[a], rec[b]): rec[value]
        for table, (a, b, value) in keys.items()
        for rec in doc.get(table) or []
    }


@needs_real
@pytest.mark.parametrize("stem", REAL_STEMS)
def test_real_pdf_parses_to_gold(stem: str) -> None:
    """End to end through the parser core: the reader's lines are what the core expects."""
    parse = pytest.importorskip("orchestration.parse")
    gold = json.loads((REAL / "gold" / f"{stem}.json").read_text(encoding="utf-8"))
    parsed = parse.parse_source(read_pdf((REAL / "pdf" / f"{stem}.pdf").read_bytes())).as_dict()
    assert gold_cells(parsed) == gold_cells(gold)
    assert {key: parsed["report"].get(key) for key in gold["report"]} == gold["report"]
