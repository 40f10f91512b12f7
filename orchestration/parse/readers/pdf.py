"""PDF reports → `Source` laid out like `pdftotext -layout`: one visual line per text line.

The parser core finds a table row as its label followed by its numbers on the same
line (or the numbers alone on a neighbouring line when the label wraps), so what
matters is grouping characters into visual lines by baseline and keeping column gaps
as runs of spaces at roughly their horizontal position. PDFium (pypdfium2) supplies
the characters with their boxes and this module lays them out: ~100-140 pages/s on
the real reports, where pdfplumber (extract_words or extract_text(layout=True))
managed 8-12 pages/s, below the 20 pages/s/core target. PDFium's own text order is
content-stream order, which is not reading order in general, so it is not used.

Anchors are per word: {"page": n (1-based), "bbox": [x0, top, x1, bottom]} in PDF
points with the origin at the top-left of the page as displayed.
"""

from __future__ import annotations

import ctypes
import math
import statistics
import unicodedata
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from orchestration.parse.errors import EncryptedDocument, InputTooLarge, NoTextLayer, UnreadableDocument
from orchestration.parse.readers import SourceBuilder, cell_text, check_size
from orchestration.parse.readers.pdf_cells import (
    Cell,
    NumericColumns,
    Rules,
    blank_cells,
    find_cells,
    read_rules,
)
from orchestration.parse.source import BLANK_CELL, Source

MAX_PDF_BYTES = 200 * 1024 * 1024
MAX_PAGES = 500
"""Annual reports run 3-30 pages; a 500-page PDF is a compilation or junk, refused up front."""
MAX_CHARS_PER_PAGE = 100_000
MIN_CHARS_PER_PAGE = 10
"""Fewer real characters than this per page on average means scanned images (maybe a page number)."""
MAX_LAYOUT_COLUMN = 400

ROW_TOLERANCE = 0.15
"""Characters whose baselines differ by less than this × their size were set on one line."""
LINE_TOLERANCE = 0.4
"""Words whose baselines differ by less than this × their size share a visual line: table cells
of one row are often vertically centred a few points apart (measured up to ~0.3 × size)."""
WORD_GAP = 0.25
"""A horizontal gap above this × font size between characters separates words."""
COLUMN_GAP = 1.0
"""A gap wider than this × font size is a column gap (padded to position), not a word space."""
MARGIN_BAND = 0.12
"""Running headers and footers sit in the top and bottom eighth of the page."""
BLANK_LINE_GAP = 2.0
"""A vertical gap above this × font size becomes one empty line, like pdftotext's paragraph breaks."""


@dataclass(slots=True)
class _Char:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    baseline: float
    size: float
    space: bool
    gap_before: bool


@dataclass(slots=True)
class _Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    baseline: float
    size: float
    row: int
    """The tight row (`tight_rows`) it was read from."""


def read_pdf(data: bytes) -> Source:
    """Open with PDFium (bounded), lay out each page's characters as lines of words."""
    check_size(data, MAX_PDF_BYTES)
    document = open_document(data)
    pages = len(document)
    real_chars = unmapped = 0
    broken: list[int] = []
    read: list[_Page] = []
    try:
        for index in range(pages):
            try:
                chars, page_unmapped, rules, height = page_content(document, index)
            except pdfium.PdfiumError:
                broken.append(index + 1)
                continue
            real_chars += sum(1 for ch in chars if not ch.space)
            unmapped += page_unmapped
            read.append(_Page.layout(index + 1, height, chars, rules))
    finally:
        document.close()
    columns = NumericColumns(cell for page in read for cell in page.cells)
    furniture = running_lines(read)
    builder = SourceBuilder()
    for page in read:
        if page.number > 1:
            builder.add("\f")  # a page break, as pdftotext marks it: the core masks page numbers by it
        render_page(builder, page, columns, furniture)
        builder.blank_line()
    if len(broken) == pages:
        raise UnreadableDocument(f"none of the {pages} pages could be loaded")
    if real_chars < MIN_CHARS_PER_PAGE * pages:
        raise NoTextLayer(f"{real_chars} characters on {pages} pages: scanned images, no text layer")
    return builder.build("pdf", pdf_notes(data, real_chars, unmapped, broken))


@dataclass(slots=True)
class _Page:
    number: int
    height: float
    words: list[_Word]
    cells: list[Cell]
    """Cells of the page's ruled tables, with the words inside them."""
    lines: list[list[_Word]]
    """Visual lines of the words outside those tables."""

    @classmethod
    def layout(cls, number: int, height: float, chars: list[_Char], rules: Rules) -> _Page:
        rows = tight_rows(chars)
        words = mark_overprints([word for i, row in enumerate(rows) for word in split_words(row, i)])
        cells = find_cells(rules, words) if rules.horizontal and rules.vertical else []
        for cell in cells:
            cell.words = glue_to_digits(cell.words)
        boxed = {id(word) for cell in cells for word in cell.words}
        free = glue_to_digits([w for w in words if id(w) not in boxed])
        return cls(number, height, words, cells, merge_lines(free))


def running_lines(pages: list[_Page]) -> set[tuple[str, int]]:
    """Running headers and footers: a line in a page's top or bottom margin band that is
    printed the same at the same height on several pages. It is page furniture, and left
    in it would split sentences running across pages. Page numbers differ from page to
    page and are kept (the core masks them)."""
    seen: dict[tuple[str, int], set[int]] = {}
    for page in pages:
        for line in page.lines:
            top = min(w.top for w in line)
            if top < MARGIN_BAND * page.height or top > (1 - MARGIN_BAND) * page.height:
                seen.setdefault(_line_key(line), set()).add(page.number)
    return {key for key, numbers in seen.items() if len(numbers) >= 2}


def _line_key(line: list[_Word]) -> tuple[str, int]:
    return "".join(w.text for w in line), round(min(w.top for w in line) / 3)


def pdf_notes(data: bytes, chars: int, unmapped: int, broken: list[int]) -> tuple[str, ...]:
    """Warnings the pipeline may want to act on; the text is still returned as read."""
    notes = [f"page {n} could not be loaded and is missing from the text" for n in broken]
    if unmapped > chars * 0.05:
        notes.append(f"{unmapped} of {chars} characters have no Unicode mapping (garbled font)")
    if b"%%EOF" not in data[-2048:]:
        notes.append("no %%EOF at the end of the file: it may be truncated")
    return tuple(notes)


def open_document(data: bytes) -> pdfium.PdfDocument:
    """PdfDocument with PDFium's load errors mapped to typed errors and the page count bounded."""
    if b"%PDF-" not in data[:1024]:
        raise UnreadableDocument("no %PDF header in the first KB")
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise EncryptedDocument(f"password-protected PDF: {exc}") from exc
        raise UnreadableDocument(f"corrupt or truncated PDF: {exc}") from exc
    pages = len(document)
    if pages == 0:
        document.close()
        raise UnreadableDocument("PDF has no pages")
    if pages > MAX_PAGES:
        document.close()
        raise InputTooLarge(f"{pages} pages exceeds the {MAX_PAGES} page limit")
    return document


def page_content(document: pdfium.PdfDocument, index: int) -> tuple[list[_Char], int, Rules, float]:
    """The page's characters in display coordinates (PDFium-generated spaces/newlines
    dropped), how many of them had no Unicode mapping in their font, its rules and
    its height as displayed."""
    page = document[index]
    try:
        transform = _display_transform(page)
        rules = read_rules(page, transform)
        _, top, _, bottom = transform(*page.get_bbox())
        textpage = page.get_textpage()
        try:
            reader = _CharReader(textpage.raw, transform)
            return reader.read(), reader.unmapped, rules, abs(bottom - top)
        finally:
            textpage.close()
    finally:
        page.close()


def _display_transform(page: pdfium.PdfPage):
    """Map PDF user space (y up) to the page as displayed (y down, /Rotate applied)."""
    left, bottom, right, top = page.get_bbox()
    width, height = right - left, top - bottom
    rotation = page.get_rotation() % 360

    def transform(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        x0, x1, y0, y1 = x0 - left, x1 - left, top - y1, top - y0  # y down: y0 is now the top
        if rotation == 90:
            return height - y1, x0, height - y0, x1
        if rotation == 180:
            return width - x1, height - y1, width - x0, height - y0
        if rotation == 270:
            return y0, width - x1, y1, width - x0
        return x0, y0, x1, y1

    return transform


_UNKNOWN = "\ufffd"
"""A printed glyph whose font maps it to a control code, a non-character or half a surrogate
pair: its meaning is unknown, so a number with one inside (6?6) is not a number; dropping
it would read 66."""


class _CharReader:
    """Characters of one PDFium text page, with reusable ctypes out-parameters."""

    def __init__(self, tp, transform) -> None:
        self.tp, self.transform = tp, transform
        self.rect, self.matrix = pdfium_c.FS_RECTF(), pdfium_c.FS_MATRIX()
        self.doubles = [ctypes.c_double() for _ in range(4)]
        self.unmapped = 0

    def read(self) -> list[_Char]:
        tp = self.tp
        chars: list[_Char] = []
        high = 0
        gap_before = False
        for i in range(min(pdfium_c.FPDFText_CountChars(tp), MAX_CHARS_PER_PAGE)):
            code = pdfium_c.FPDFText_GetUnicode(tp, i)
            if 0xD800 <= code < 0xDC00:
                high = code
                continue
            if 0xDC00 <= code < 0xE000 and high:
                code, high = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00), 0
            if pdfium_c.FPDFText_IsGenerated(tp, i):
                gap_before = gap_before or code == 0x20
                continue
            if code in (0x09, 0x0A, 0x0D, 0xFEFF):
                continue
            known = code >= 0x20 and code not in (0xFFFE, 0xFFFF) and not 0xDC00 <= code < 0xE000
            char = self.char(i, chr(code) if known else _UNKNOWN, gap_before)
            if char is not None:
                self.unmapped += pdfium_c.FPDFText_HasUnicodeMapError(tp, i) == 1 or 0xE000 <= code <= 0xF8FF
                chars.append(char)
                gap_before = False
        return chars

    def char(self, i: int, text: str, gap_before: bool) -> _Char | None:
        size = self.size(i)
        box = self.box(i, size)
        if box is None:
            return None
        ox, oy = self.doubles[0], self.doubles[1]
        pdfium_c.FPDFText_GetCharOrigin(self.tp, i, ox, oy)
        x0, top, x1, bottom = self.transform(*box)
        _, baseline, _, _ = self.transform(ox.value, oy.value, ox.value, oy.value)
        size = size or max(bottom - top, 1.0)
        return _Char(text, x0, x1, top, bottom, baseline, size, text.isspace(), gap_before)

    def size(self, i: int) -> float:
        """Font size as printed: the nominal size scaled by the text matrix (the nominal
        size alone is often 100-400 with a 0.05 matrix)."""
        m = self.matrix
        if not pdfium_c.FPDFText_GetMatrix(self.tp, i, m):
            return 0.0
        return pdfium_c.FPDFText_GetFontSize(self.tp, i) * math.sqrt(abs(m.a * m.d - m.b * m.c))

    def box(self, i: int, size: float) -> tuple[float, float, float, float] | None:
        """(left, bottom, right, top): the loose box (advance width × font height) unless
        PDFium got it wrong (seen: 199 pt boxes for 10 pt glyphs), then the tight box."""
        r = self.rect
        if pdfium_c.FPDFText_GetLooseCharBox(self.tp, i, r) and (
            not size or (r.top - r.bottom <= 3 * size and r.right - r.left <= 3 * size)
        ):
            return r.left, r.bottom, r.right, r.top
        left, right, bottom, top = self.doubles
        if not pdfium_c.FPDFText_GetCharBox(self.tp, i, left, right, bottom, top):
            return None
        return left.value, bottom.value, right.value, top.value


def render_page(builder: SourceBuilder, page: _Page, columns: NumericColumns, furniture: set) -> None:
    """Lines top to bottom. Text outside ruled tables is laid out with words placed at
    columns proportional to their x position; a ruled table becomes one line per row,
    its cells tab-separated with spans written once (as the HTML and DOCX readers
    write grids) and blank data cells as BLANK_CELL. Running headers are left out."""
    if not page.words:
        return
    left = min(word.x0 for word in page.words)
    lines = [line for line in page.lines if _line_key(line) not in furniture]
    items: list[tuple[float, int, list]] = [(min(w.top for w in line), 0, line) for line in lines]
    items += [(row[0].top, 1, row) for row in table_rows(page.cells)]
    items.sort(key=lambda item: (item[0], item[1]))
    pitches = dict(zip(map(id, lines), column_pitches(lines), strict=True)) if lines else {}
    blanks = blank_cells(page.cells, columns)
    previous: _Word | None = None
    in_table = False
    for _, is_row, item in items:
        if is_row:
            if not in_table:
                builder.blank_line()
            emit_row(builder, item, blanks, page.number)
            in_table, previous = True, None
            continue
        first = item[0]
        if in_table or (
            previous is not None and first.baseline - previous.baseline > BLANK_LINE_GAP * first.size
        ):
            builder.blank_line()
        emit_line(builder, item, page.number, left, pitches[id(item)])
        in_table, previous = False, first
    if in_table:
        builder.blank_line()


def table_rows(cells: list[Cell]) -> list[list[Cell]]:
    """Each table row's cells that start in it, left to right (a spanning cell in its first row)."""
    rows: dict[tuple[int, int], list[Cell]] = {}
    for cell in cells:
        rows.setdefault((cell.table, cell.rows[0]), []).append(cell)
    return [sorted(row, key=lambda c: c.x0) for row in rows.values()]


def emit_row(builder: SourceBuilder, row: list[Cell], blanks: set[Cell], page_no: int) -> None:
    """One table row as a line: each cell's text (its lines joined), BLANK_CELL for a blank data cell."""
    line = []
    for cell in row:
        if cell.words:
            words = [w for ln in merge_lines(cell.words) for w in ln]
            box = [min(w.x0 for w in words), min(w.top for w in words)]
            box += [max(w.x1 for w in words), max(w.bottom for w in words)]
            line.append((cell_text(" ".join(w.text for w in words)), _where(page_no, box)))
        elif cell in blanks:
            line.append((BLANK_CELL, _where(page_no, [cell.x0, cell.top, cell.x1, cell.bottom])))
    if line:
        builder.line(line)


def _where(page_no: int, box: list[float]) -> dict:
    return {"page": page_no, "bbox": [round(v, 2) for v in box]}


def column_pitch(lines: list[list[_Word]]) -> float:
    """Width of one layout column: half an em of the lines' typical font size (a CJK
    character is one em wide and counts two columns, a digit about half an em)."""
    sizes = [w.size for line in lines for w in line for _ in w.text]
    return max(statistics.median(sizes) / 2, 0.5)


def column_pitches(lines: list[list[_Word]]) -> list[float]:
    """One pitch per run of consecutive lines set in about the same font size.

    Not one per page: a table and the prose around it differ in size, and a single
    pitch would either squash the table's columns or spread prose words apart. Not
    one per line either: the rows of one table must share a pitch to stay aligned.
    """
    pitches: list[float] = []
    run: list[list[_Word]] = []
    run_size = 0.0
    for line in lines:
        size = statistics.median(w.size for w in line)
        if run and abs(size - run_size) > 0.2 * run_size:
            pitches += [column_pitch(run)] * len(run)
            run = []
        if not run:
            run_size = size
        run.append(line)
    return pitches + [column_pitch(run)] * len(run)


def tight_rows(chars: list[_Char]) -> list[list[_Char]]:
    """Characters sharing a baseline (within a sliver of their size), each row left to right."""
    rows: list[list[_Char]] = []
    reference = 0.0
    for ch in sorted(chars, key=lambda ch: (ch.baseline, ch.x0)):
        if rows and ch.baseline - reference <= ROW_TOLERANCE * ch.size:
            rows[-1].append(ch)
        else:
            rows.append([ch])
            reference = ch.baseline
    for row in rows:
        row.sort(key=lambda ch: ch.x0)
    return rows


def merge_lines(words: list[_Word]) -> list[list[_Word]]:
    """Visual lines: a word joins the nearest line whose baselines it is close to and
    which it does not overlap horizontally (cells of one table row sit a little higher
    or lower than each other; two lines of one paragraph always overlap)."""
    lines: list[_Line] = []
    active: list[_Line] = []
    for word in sorted(words, key=lambda w: (w.baseline, w.x0)):
        tolerance = LINE_TOLERANCE * word.size
        active = [line for line in active if word.baseline - line.last_baseline <= 2 * tolerance + 1]
        fits = [
            line
            for line in active
            if word.baseline - line.last_baseline <= tolerance and not line.overlaps(word)
        ]
        if fits:
            min(fits, key=lambda line: word.baseline - line.last_baseline).add(word)
        else:
            line = _Line([word], word.baseline)
            lines.append(line)
            active.append(line)
    return [sorted(line.words, key=lambda w: w.x0) for line in lines]


@dataclass(slots=True)
class _Line:
    words: list[_Word]
    last_baseline: float

    def add(self, word: _Word) -> None:
        self.words.append(word)
        self.last_baseline = max(self.last_baseline, word.baseline)

    def overlaps(self, word: _Word) -> bool:
        return any(w.x0 < word.x1 - 0.5 and word.x0 < w.x1 - 0.5 for w in self.words)


def split_words(row: list[_Char], index: int) -> list[_Word]:
    """Words split at spaces and at horizontal gaps; overprinted duplicates (fake bold) dropped."""
    words: list[_Word] = []
    current: list[_Char] = []
    for ch in row:
        if ch.space:
            _close_word(words, current, index)
            current = []
            continue
        if current:
            last = current[-1]
            if ch.text == last.text and abs(ch.x0 - last.x0) < 0.3 * (last.x1 - last.x0 or 1.0):
                continue
            if ch.x0 - last.x0 < 0.5 * (last.x1 - last.x0):  # another glyph printed over this one
                last.text, last.x1 = _UNKNOWN, max(last.x1, ch.x1)
                continue
            if ch.gap_before or ch.x0 - last.x1 > WORD_GAP * max(ch.size, last.size):
                _close_word(words, current, index)
                current = []
        current.append(ch)
    _close_word(words, current, index)
    return words


def mark_overprints(words: list[_Word]) -> list[_Word]:
    """Words printed over other words (their boxes mostly cover each other; fake bold aside):
    what shows there is unknown, so both read as unknown marks, never as either word (a 2
    printed over an 8 is not 8, nor is a tall 0 drawn across 16 nothing)."""
    ordered = sorted(words, key=lambda w: w.top)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b.top >= a.bottom:
                break
            if a.text != b.text and _covers(a, b):
                a.text, b.text = _UNKNOWN * len(a.text), _UNKNOWN * len(b.text)
    return words


def _covers(a: _Word, b: _Word) -> bool:
    """Over 40% of the narrower word's width and of the shorter one's height overlap."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.bottom, b.bottom) - max(a.top, b.top)
    narrower, shorter = min(a.x1 - a.x0, b.x1 - b.x0), min(a.bottom - a.top, b.bottom - b.top)
    return narrower > 0 and shorter > 0 and width > 0.4 * narrower and height > 0.4 * shorter


_DIGITS = frozenset("0123456789０１２３４５６７８９")
_NUMBER_MARKS = frozenset(",.-−，．－")
"""Glyphs that are part of a number when glued to its digits (so gluing one on could make another number)."""


def glue_to_digits(words: list[_Word]) -> list[_Word]:
    """Words of different tight rows that touch a digit are one word: a 投 drawn at another
    size and baseline against a 1 (no visible gap, boxes side by side on one line) shows 投1,
    a number glued to another glyph, which the parser never reads as a cell. Set on separate
    rows, the two read "投 1" and the 1 passed for a clean number. Only a digit and a glyph
    that cannot extend a number are glued (a - or a digit glued on would make a different
    number); words of one row stayed apart for a space or a gap."""
    group = {id(w): [w] for w in words}
    glued = False
    ordered = sorted(words, key=lambda w: w.top)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b.top >= a.bottom:
                break
            if a.row != b.row and group[id(a)] is not group[id(b)] and (_glued(a, b) or _glued(b, a)):
                merged = group[id(a)] + group[id(b)]
                for w in merged:
                    group[id(w)] = merged
                glued = True
    if not glued:
        return words
    return [_joined(group[id(w)]) if len(group[id(w)]) > 1 else w for w in words if group[id(w)][0] is w]


def _glued(left: _Word, right: _Word) -> bool:
    """`right` touches `left` on its right (no word gap, not printed over it), their boxes
    overlap over half the shorter one's height, and a digit meets a glyph that is no part
    of a number."""
    a, b = left.text[-1], right.text[0]
    if (a in _DIGITS) == (b in _DIGITS) or a in _NUMBER_MARKS or b in _NUMBER_MARKS:
        return False
    if not left.x0 < right.x0 or not left.x1 < right.x1:
        return False
    if right.x0 - left.x1 > WORD_GAP * max(left.size, right.size):
        return False
    height = min(left.bottom, right.bottom) - max(left.top, right.top)
    return height > 0.5 * min(left.bottom - left.top, right.bottom - right.top)


def _joined(words: list[_Word]) -> _Word:
    """One word of glued words, left to right, on the line of the largest of them."""
    ordered = sorted(words, key=lambda w: w.x0)
    main = max(ordered, key=lambda w: w.size)
    return _Word(
        "".join(w.text for w in ordered),
        ordered[0].x0,
        max(w.x1 for w in ordered),
        min(w.top for w in ordered),
        max(w.bottom for w in ordered),
        main.baseline,
        main.size,
        main.row,
    )


def _close_word(words: list[_Word], chars: list[_Char], row: int) -> None:
    if chars:
        words.append(
            _Word(
                "".join(ch.text for ch in chars),
                chars[0].x0,
                max(ch.x1 for ch in chars),
                min(ch.top for ch in chars),
                max(ch.bottom for ch in chars),
                chars[0].baseline,
                max(ch.size for ch in chars),
                row,
            )
        )


def emit_line(builder: SourceBuilder, words: list[_Word], page_no: int, left: float, pitch: float) -> None:
    """Words separated by one space when the gap is an ordinary word space, and padded to
    their column (display width: CJK counts 2; at least two spaces) across a column gap."""
    builder.newline()
    width = 0
    previous: _Word | None = None
    for word in words:
        if previous is None:
            pad = min(round((word.x0 - left) / pitch), MAX_LAYOUT_COLUMN)
        elif word.x0 - previous.x1 < COLUMN_GAP * max(word.size, previous.size):
            pad = 1
        else:
            pad = max(min(round((word.x0 - left) / pitch), MAX_LAYOUT_COLUMN) - width, 2)
        builder.add(" " * pad)
        bbox = [round(word.x0, 2), round(word.top, 2), round(word.x1, 2), round(word.bottom, 2)]
        builder.add(word.text, {"page": page_no, "bbox": bbox})
        width += pad + display_width(word.text)
        previous = word
    builder.newline()


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
