"""Readers: document bytes → `Source` (text with table rows on lines, plus anchors).

`read_source` picks the reader from the bytes themselves (`detect_form`), never from a
file name or a server's Content-Type, because both lie often in the wild. Readers
are imported lazily so that reading plain text never loads PDFium or python-docx.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

from orchestration.parse.detect import detect_form
from orchestration.parse.errors import EmptyInput, InputTooLarge, UnsupportedForm
from orchestration.parse.readers.decode import decode_bytes, looks_traditional, simplify
from orchestration.parse.source import Anchor, Source

MAX_TEXT_BYTES = 32 * 1024 * 1024
"""Plain text or HTML beyond this is not a report (reports are tens of KB)."""

UNSUPPORTED = {
    "doc": "legacy Word .doc (OLE)",
    "zip": "a zip archive that is not .docx",
    "image": "an image (OCR is out of scope)",
    "rtf": "RTF",
}


def read_source(data: bytes) -> Source:
    """Read any supported document; raise a typed `ParseError` for everything else."""
    if not data or not data.strip():
        raise EmptyInput("no bytes to read")
    form = detect_form(data)
    if form in UNSUPPORTED:
        raise UnsupportedForm(f"unsupported document form: {UNSUPPORTED[form]}")
    if form == "pdf":
        from orchestration.parse.readers.pdf import read_pdf

        return read_pdf(data)
    if form == "docx":
        from orchestration.parse.readers.docx import read_docx

        return read_docx(data)
    if form == "html":
        from orchestration.parse.readers.html import read_html

        return read_html(data)
    return read_text(data)


def read_text(data: bytes) -> Source:
    """Plain text: decode, normalise newlines, simplify traditional characters."""
    check_size(data, MAX_TEXT_BYTES)
    builder = SourceBuilder()
    builder.add(decode_bytes(data).replace("\r\n", "\n").replace("\r", "\n"))
    return builder.build("text")


_SPACES = re.compile(r"\s+")
_CJK = r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’]"
_CJK_GAP = re.compile(rf"(?<={_CJK}) (?={_CJK})")


def collapse(text: str) -> str:
    """Whitespace runs (incl. &nbsp; and the ideographic space) to one space, trimmed."""
    return _SPACES.sub(" ", text).strip()


def cell_text(text: str) -> str:
    """A table cell's text on one line; spaces between CJK characters (总&nbsp;&nbsp;计) dropped
    because they are layout, and the parser matches row labels without them."""
    return _CJK_GAP.sub("", collapse(text))


def check_size(data: bytes, limit: int) -> None:
    if len(data) > limit:
        raise InputTooLarge(f"{len(data)} bytes exceeds the {limit} byte limit")


class SourceBuilder:
    """Accumulates text pieces with their anchors, then builds one `Source`.

    Pieces are kept apart until `build` so that traditional→simplified conversion
    (decided once for the whole document) is applied piecewise and the anchor
    spans stay exact even if a conversion changed a piece's length. Texts and
    anchors are two parallel lists (a page has hundreds of pieces: no tuple each).
    """

    def __init__(self) -> None:
        self._texts: list[str] = []
        self._wheres: list[dict[str, Any] | None] = []

    def add(self, text: str, where: dict[str, Any] | None = None) -> None:
        if text:
            self._texts.append(text)
            self._wheres.append(where)

    def _tail(self) -> str:
        """The last two characters added (read from the last pieces, which are never empty)."""
        texts = self._texts
        if not texts:
            return ""
        last = texts[-1]
        return last[-2:] if len(last) > 1 or len(texts) == 1 else texts[-2][-1] + last

    def newline(self) -> None:
        """End the current line (no-op at the start of a line)."""
        if self._texts and not self._texts[-1].endswith("\n"):
            self._texts.append("\n")
            self._wheres.append(None)

    def blank_line(self) -> None:
        """End the current line and leave at most one empty line after it."""
        self.newline()
        tail = self._tail()
        if tail and tail != "\n\n":
            self.add("\n")

    def line(self, cells: list[tuple[str, dict[str, Any] | None]], sep: str = "\t") -> None:
        """One table row or text line: cells joined by `sep`, each cell anchored."""
        self.newline()
        texts, wheres = self._texts, self._wheres
        for i, (text, where) in enumerate(cells):
            if i and sep:
                texts.append(sep)
                wheres.append(None)
            if text:
                texts.append(text)
                wheres.append(where)
        self.newline()

    def row(self, texts: list[str], wheres: list[dict[str, Any]]) -> None:
        """One table row of non-empty cell texts, tab-separated, each anchored: `line` for a
        grid, the pieces interleaved by slicing (a page has thousands of cells)."""
        self.newline()
        n = 2 * len(texts) - 1
        if n > 0:
            pieces: list[Any] = ["\t"] * n
            pieces[0::2] = texts
            self._texts += pieces
            anchors: list[Any] = [None] * n
            anchors[0::2] = wheres
            self._wheres += anchors
        self.newline()

    def build(self, form: str, notes: tuple[str, ...] = ()) -> Source:
        texts, wheres = self._texts, self._wheres
        if looks_traditional("".join(texts[:5000])):
            texts = [simplify(t) for t in texts]
            notes = (*notes, "converted traditional characters to simplified (opencc t2s)")
        text = "".join(texts)
        if not text.strip():
            raise EmptyInput(f"the {form} document holds no text")
        starts = list(accumulate(map(len, texts), initial=0))
        anchors = tuple(
            [Anchor(starts[i], starts[i + 1], where) for i, where in enumerate(wheres) if where is not None]
        )
        return Source(text=text, form=form, anchors=anchors, notes=notes)
