""".docx reports → `Source`: body paragraphs and tables in document order.

The zip is vetted before python-docx inflates anything (a .docx is attacker-shaped
input: a few KB can declare gigabytes). Tables are read from the XML rather than
python-docx's `row.cells`, which repeats a merged cell once per grid column it covers
and would duplicate a spanned label or number; here a gridSpan/vMerge cell is written
once at its top-left slot, exactly like the HTML reader does.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import Any

import docx
from docx.oxml.ns import qn
from lxml import etree

from orchestration.parse.errors import EncryptedDocument, InputTooLarge, ParseError, UnreadableDocument
from orchestration.parse.readers import SourceBuilder, cell_text, check_size
from orchestration.parse.source import BLANK_CELL, Source

MAX_DOCX_BYTES = 100 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_DOCUMENT_XML_BYTES = 64 * 1024 * 1024
"""lxml needs several times the XML size in memory; reports' document.xml is < 1 MB."""
MAX_RATIO = 200
"""Deflate of ordinary XML and images stays far below this; zip bombs exceed 1000."""
RATIO_CHECK_MIN_BYTES = 1024 * 1024
MAX_MEMBERS = 10_000
MAX_NESTING = 16
_READ_STEP = 64 * 1024

_TEXT_XPATH = etree.XPath(
    ".//w:t[not(ancestor::mc:Fallback)] | .//w:tab[not(ancestor::mc:Fallback)]"
    " | .//w:br[not(ancestor::mc:Fallback)] | .//w:cr[not(ancestor::mc:Fallback)]",
    namespaces={
        "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
        "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    },
)
_W_P, _W_TBL, _W_TR, _W_TC = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
_W_T, _W_TAB = qn("w:t"), qn("w:tab")
_CONTAINERS = frozenset({qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml"), qn("w:ins"), qn("w:smartTag")})


def read_docx(data: bytes) -> Source:
    """Vet the archive, open it with python-docx, render the body."""
    check_size(data, MAX_DOCX_BYTES)
    vet_zip(data)
    try:
        body = docx.Document(io.BytesIO(data)).element.body
    except ParseError:
        raise
    except Exception as exc:  # python-docx/lxml/zipfile raise many types on damaged files
        raise UnreadableDocument(f"not a readable .docx: {type(exc).__name__}: {exc}") from exc
    builder = SourceBuilder()
    _BodyRenderer(builder).blocks(body, depth=0)
    return builder.build("docx")


def vet_zip(data: bytes) -> None:
    """Refuse corrupt archives and ones that would inflate beyond the bounds, before inflating.

    The declared sizes are checked first; then every member is inflated in small steps
    and thrown away, because a member may inflate far past the size it declares and
    zipfile's `read()` inflates all of it at once before it notices (a 350 KB file took
    630 MB).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            _check_declared(members)
            for member in members:
                _check_inflated(archive, member)
    except ParseError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, NotImplementedError) as exc:
        raise UnreadableDocument(f"corrupt zip archive: {type(exc).__name__}: {exc}") from exc
    except RuntimeError as exc:  # zipfile: "File ... is encrypted, password required for extraction"
        raise EncryptedDocument(f"encrypted zip member: {exc}") from exc


def _check_declared(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise InputTooLarge(f"{len(members)} archive members")
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InputTooLarge(f"archive inflates to {total} bytes")
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= RATIO_CHECK_MIN_BYTES and ratio > MAX_RATIO:
            raise InputTooLarge(f"{member.filename} compresses {member.file_size}:{member.compress_size}")
        if member.filename.startswith("word/document") and member.file_size > MAX_DOCUMENT_XML_BYTES:
            raise InputTooLarge(f"word/document.xml is {member.file_size} bytes")


def _check_inflated(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> None:
    """Inflate one member in bounded steps: zipfile stops at the declared size and checks the
    CRC there, so a member that lies about its size ends as BadZipFile, never in memory."""
    size = 0
    with archive.open(member) as fh:
        while chunk := fh.read(_READ_STEP):
            size += len(chunk)
            if size > member.file_size:
                raise InputTooLarge(f"{member.filename} inflates past its declared {member.file_size} bytes")


def paragraph_text(p: etree._Element) -> str:
    """Run text with tabs kept and breaks as newlines (the VML fallback copy of a text box skipped)."""
    parts = []
    for node in _TEXT_XPATH(p):
        if node.tag == _W_T:
            parts.append(node.text or "")
        else:
            parts.append("\t" if node.tag == _W_TAB else "\n")
    return "".join(parts)


def children(element: etree._Element, tag: str) -> list[etree._Element]:
    """Children with `tag`, looking through content controls and tracked insertions."""
    found = []
    for child in element:
        if child.tag == tag:
            found.append(child)
        elif child.tag in _CONTAINERS:
            found.extend(children(child, tag))
    return found


class _BodyRenderer:
    def __init__(self, builder: SourceBuilder) -> None:
        self.builder = builder
        self.paragraphs = 0
        self.tables = 0

    def blocks(self, element: etree._Element, depth: int, where: dict[str, Any] | None = None) -> None:
        """Paragraphs and tables in document order; `where` anchors text inside layout cells."""
        for child in element:
            if child.tag == _W_P:
                self.paragraph(child, where)
            elif child.tag == _W_TBL:
                self.table(child, depth)
            elif child.tag in _CONTAINERS:
                self.blocks(child, depth, where)

    def paragraph(self, p: etree._Element, where: dict[str, Any] | None) -> None:
        anchor = where or {"paragraph": self.paragraphs}
        if where is None:
            self.paragraphs += 1
        for line in paragraph_text(p).split("\n"):
            if line.strip():
                self.builder.line([(line.strip(), anchor)])

    def table(self, tbl: etree._Element, depth: int) -> None:
        number = self.tables
        self.tables += 1
        rows = children(tbl, _W_TR)
        if depth < MAX_NESTING and tbl.find(f"{_W_TR}//{_W_TBL}") is not None:
            self.layout_table(rows, number, depth)
            return
        self.builder.blank_line()
        for line in grid_lines(rows, number):
            self.builder.line(line)
        self.builder.blank_line()

    def layout_table(self, rows: list[etree._Element], number: int, depth: int) -> None:
        """A table holding tables is page layout: read its cells as blocks."""
        for r, tr in enumerate(rows):
            for c, tc, _ in placed_cells(tr):
                self.blocks(tc, depth + 1, {"table": number, "row": r, "cell": c})


def grid_lines(rows: list[etree._Element], number: int) -> list[list[tuple[str, dict[str, Any]]]]:
    """Per row, the cells that start in it (vMerge continuations are covered, not blank)."""
    lines = []
    for r, tr in enumerate(rows):
        line = []
        for c, tc, continues in placed_cells(tr):
            if continues:
                continue
            text = cell_text("\n".join(paragraph_text(p) for p in tc.iter(_W_P)))
            line.append((text or BLANK_CELL, {"table": number, "row": r, "cell": c}))
        if any(text != BLANK_CELL for text, _ in line):
            lines.append(line)
    return lines


def placed_cells(tr: etree._Element) -> list[tuple[int, etree._Element, bool]]:
    """(grid column, cell, continues a vertical/legacy horizontal merge) for each w:tc."""
    column = _int_val(tr.find(f"{qn('w:trPr')}/{qn('w:gridBefore')}"), 0)
    out = []
    for tc in children(tr, _W_TC):
        props = tc.find(qn("w:tcPr"))
        span = _int_val(props.find(qn("w:gridSpan")) if props is not None else None, 1)
        out.append((column, tc, _continues(props)))
        column += max(1, min(span, 64))
    return out


def _continues(props: etree._Element | None) -> bool:
    if props is None:
        return False
    for tag in ("w:vMerge", "w:hMerge"):
        merge = props.find(qn(tag))
        if merge is not None and merge.get(qn("w:val"), "continue") == "continue":
            return True
    return False


def _int_val(element: etree._Element | None, default: int) -> int:
    if element is None:
        return default
    try:
        return int(element.get(qn("w:val"), default))
    except ValueError:
        return default
