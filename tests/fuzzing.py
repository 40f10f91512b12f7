"""Mutated report bytes in every input form, and the oracle every parse of them must satisfy.

Seeds are real and synthetic reports: the bundled seed texts and the real
pdftotext texts in several encodings, the real PDFs (read in place from
../shared/real/pdf), the sample reports and fresh renderings of the synthetic
generator as web page, Word file and PDF. A mutation is a list of operations,
each a name and an integer that seeds its choices, so an input is reproduced
from (form, seed index, operations) alone.

The oracle (`check`): the parser returns a report or raises a typed
`ParseError`, nothing else; and it never guesses a number: every non-null cell,
extra cell and narrative fact it outputs is printed in the decoded input at the
span its provenance records (cells: exactly that number; facts: a number of the
stated sentence, or a negation stating zero), and for a PDF cell the page and
bounding box it records hold that number too.
"""

from __future__ import annotations

import io
import random
import re
import traceback
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from orchestration.model import Report
from orchestration.parse import errors, parse_source
from orchestration.parse.readers import read_source
from orchestration.parse.source import Source
from orchestration.parse.text import fold

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "real"
FORMS = ("text", "html", "docx", "pdf")
TEXT_ENCODINGS = ("utf-8", "gb18030", "utf-16", "utf-8-sig")

ASCII_DIGITS = "0123456789"
UNICODE_DIGITS = "٠١٢٣٤٥٦٧٨٩۰۴۵०१२३४५६७८९০১২৩๑๒๓᠐᠑𝟎𝟏𝟐𝟗¹²³⁴⁰₀₁₂①②③⑴⒈〇一二三四五六七八九十百千万"
FULLWIDTH_DIGITS = "０１２３４５６７８９"
SEPARATORS = [",", ".", "，", "、", "。", " ", "\t", "\n", "\r", "\f", "\u3000", "\u00a0", "|", "—", "-", "−"]
SEPARATORS += [
    "/",
    "%",
    "\ue000",
    "\u200b",
    "\ufeff",
    "件",
    "条",
    "万",
    "年",
    "未",
    ":",
    "(",
    ")",
    "'",
    "\x00",
]


@dataclass(frozen=True)
class Seed:
    form: str
    name: str
    data: bytes
    encoding: str | None = None
    """The encoding of a text seed (mutations of its characters are re-encoded with it)."""


@cache
def seeds(form: str) -> tuple[Seed, ...]:
    """The seeds of one form; built once per process (synthetic PDFs take a second each)."""
    return tuple(_BUILDERS[form]())


def _text_seeds() -> list[Seed]:
    from tests.synthetic.render_text import Style, synthetic

    texts = [
        (p.name, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "tests/fixtures/seeds").glob("*.txt"))
    ]
    texts += [(p.name, p.read_text(encoding="utf-8")) for p in sorted((REAL / "text").glob("*.txt"))]
    for i, style in enumerate(Style):
        template = ("gb2021", "gb2019")[i % 2]
        texts.append((f"synthetic-{i}-{style}", synthetic(1000 + i, template, style, lossy=i % 3 == 2).text))
    out = []
    for i, (name, text) in enumerate(texts):
        encoding = TEXT_ENCODINGS[i % len(TEXT_ENCODINGS)]
        out.append(Seed("text", f"{name}@{encoding}", text.encode(encoding, errors="replace"), encoding))
    return out


def _html_seeds() -> list[Seed]:
    from tests.synthetic.render_html import synthetic_html

    out = [Seed("html", p.name, p.read_bytes()) for p in sorted((ROOT / "data/samples").glob("*.html"))]
    return out + [Seed("html", f"synthetic-{s}", synthetic_html(s).data) for s in range(2000, 2006)]


def _docx_seeds() -> list[Seed]:
    from tests.synthetic.render_docx import synthetic_docx

    out = [Seed("docx", p.name, p.read_bytes()) for p in sorted((ROOT / "data/samples").glob("*.docx"))]
    return out + [Seed("docx", f"synthetic-{s}", synthetic_docx(s).data) for s in range(3000, 3004)]


def _pdf_seeds() -> list[Seed]:
    from tests.synthetic.render_pdf import synthetic_pdf

    out = [Seed("pdf", p.name, p.read_bytes()) for p in sorted((REAL / "pdf").glob("*.pdf"))]
    out += [Seed("pdf", p.name, p.read_bytes()) for p in sorted((ROOT / "data/samples").glob("*.pdf"))]
    return out + [Seed("pdf", f"synthetic-{s}", synthetic_pdf(s).data) for s in range(4000, 4003)]


_BUILDERS: dict[str, Callable[[], list[Seed]]] = {
    "text": _text_seeds,
    "html": _html_seeds,
    "docx": _docx_seeds,
    "pdf": _pdf_seeds,
}


# --- mutations ---------------------------------------------------------------------------------------


def _position(data: bytes | str, rng: random.Random) -> int:
    """Half the time next to a digit (where a mutation can change a number), else anywhere."""
    if data and rng.random() < 0.5:
        digits = [
            m.start() for m in re.finditer(rb"[0-9]" if isinstance(data, bytes) else r"[0-9０-９]", data)
        ]
        if digits:
            return rng.choice(digits) + rng.choice((0, 1))
    return rng.randint(0, len(data))


def _payload(rng: random.Random) -> str:
    pool = rng.choice((ASCII_DIGITS, UNICODE_DIGITS, FULLWIDTH_DIGITS, SEPARATORS))
    return "".join(rng.choice(pool) for _ in range(rng.randint(1, 4)))


def flip(data: bytes, rng: random.Random, seed: Seed) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def insert_bytes(data: bytes, rng: random.Random, seed: Seed) -> bytes:
    at = _position(data, rng)
    payload = _payload(rng).encode(seed.encoding or rng.choice(("utf-8", "gb18030")), errors="replace")
    return data[:at] + payload + data[at:]


def truncate(data: bytes, rng: random.Random, seed: Seed) -> bytes:
    return data[: rng.randint(0, len(data))]


def delete_chunk(data: bytes, rng: random.Random, seed: Seed) -> bytes:
    a = rng.randint(0, len(data))
    return data[:a] + data[a + rng.randint(1, 64) :]


def duplicate_chunk(data: bytes, rng: random.Random, seed: Seed) -> bytes:
    a = rng.randint(0, len(data))
    b = min(len(data), a + rng.randint(1, 256))
    return data[:b] + data[a:b] + data[b:]


def splice(data: bytes, rng: random.Random, seed: Seed) -> bytes:
    """A random chunk of another seed of the same form pasted over a random chunk of this one."""
    other = rng.choice(seeds(seed.form)).data
    a, c = rng.randint(0, len(other)), rng.randint(0, len(data))
    chunk = other[a : a + rng.randint(1, 4096)]
    return data[:c] + chunk + data[c + rng.randint(0, len(chunk)) :]


def _on_text(edit: Callable[[str, random.Random], str]) -> Callable[[bytes, random.Random, Seed], bytes]:
    """A character-level edit of a text seed, re-encoded in the seed's encoding."""

    def mutate(data: bytes, rng: random.Random, seed: Seed) -> bytes:
        encoding = seed.encoding or "utf-8"
        text = data.decode(encoding, errors="replace")
        return edit(text, rng).encode(encoding, errors="replace")

    mutate.__name__ = edit.__name__
    return mutate


def insert_chars(text: str, rng: random.Random) -> str:
    at = _position(text, rng)
    return text[:at] + _payload(rng) + text[at:]


def replace_digit(text: str, rng: random.Random) -> str:
    """A printed digit replaced by a Unicode, full-width or other digit (or a separator)."""
    digits = [m.start() for m in re.finditer(r"[0-9]", text)]
    if not digits:
        return text
    at = rng.choice(digits)
    return text[:at] + rng.choice(UNICODE_DIGITS + FULLWIDTH_DIGITS + ASCII_DIGITS + ",. ") + text[at + 1 :]


def shuffle_lines(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    if len(lines) > 2:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        op = rng.randrange(3)
        if op == 0:
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 1:
            lines.insert(j, lines[i])
        else:
            del lines[i]
    return "\n".join(lines)


def join_or_split_line(text: str, rng: random.Random) -> str:
    """A line break removed or added (cells of a row lost or run into the next)."""
    breaks = [m.start() for m in re.finditer("\n", text)]
    if breaks and rng.random() < 0.5:
        at = rng.choice(breaks)
        return text[:at] + rng.choice(("", " ", "\t")) + text[at + 1 :]
    at = _position(text, rng)
    return text[:at] + "\n" + text[at:]


_MARKUP_NUMBER = re.compile(rb'((?:colspan|rowspan|w:val|gridSpan)\s*=\s*["\']?)([^"\'\s>/]*)')


def _markup_value(rng: random.Random) -> bytes:
    return rng.choice(
        (b"0", b"-1", b"1", b"2", b"3", b"7", b"65535", b"999999999", b"abc", b"2.5", b"", b"\xef\xbc\x93")
    )


def span_values(data: bytes, rng: random.Random, seed: Seed) -> bytes:
    """colspan / rowspan / gridSpan values set to odd ones (0, negative, huge, not a number)."""
    found = list(_MARKUP_NUMBER.finditer(data))
    if not found:
        return data
    for m in rng.sample(found, min(len(found), rng.randint(1, 5))):
        data = data[: m.start(2)] + _markup_value(rng) + data[m.end(2) :]
        found = list(_MARKUP_NUMBER.finditer(data))
        if not found:
            break
    return data


_TAG = re.compile(rb"</?[A-Za-z][A-Za-z0-9:]*[^<>]*>")


def tags(data: bytes, rng: random.Random, seed: Seed) -> bytes:
    """A tag deleted or duplicated, a cell or row inserted, or elements nested deeply."""
    found = list(_TAG.finditer(data))
    if not found:
        return data
    m = rng.choice(found)
    op = rng.randrange(5)
    if op == 0:
        return data[: m.start()] + data[m.end() :]
    if op == 1:
        return data[: m.end()] + m.group() + data[m.end() :]
    if op == 2:
        cell = b"<td>" + _payload(rng).encode("utf-8") + b"</td>"
        return data[: m.end()] + cell + data[m.end() :]
    if op == 3:
        depth = rng.choice((50, 500, 5000))
        return data[: m.end()] + b"<div>" * depth + data[m.end() :]
    end = data.find(b">", m.end())
    return data[: m.start()] + data[m.end() : end + 1] + m.group() + data[end + 1 :] if end > 0 else data


def _docx_edit(
    edit: Callable[[bytes, random.Random, Seed], bytes],
) -> Callable[[bytes, random.Random, Seed], bytes]:
    """An edit of word/document.xml (or another member) inside the Word file, re-zipped."""

    def mutate(data: bytes, rng: random.Random, seed: Seed) -> bytes:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as src:
                members = [(info, src.read(info.filename)) for info in src.infolist()]
        except Exception:  # a broken archive (bad CRC, bad deflate data, ...): edit its bytes instead
            return edit(data, rng, seed)
        names = [info.filename for info, _ in members]
        target = (
            "word/document.xml" if "word/document.xml" in names and rng.random() < 0.85 else rng.choice(names)
        )
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info, content in members:
                if info.filename == target:
                    content = edit(content, rng, seed)
                dst.writestr(zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0)), content)
        return out.getvalue()

    mutate.__name__ = f"docx_{edit.__name__}"
    return mutate


def xml_text(data: bytes, rng: random.Random, seed: Seed) -> bytes:
    """Characters inserted into a run's text (<w:t>), where the numbers are."""
    runs = [m.end() for m in re.finditer(rb"<w:t(?: [^>]*)?>", data)]
    if not runs:
        return insert_bytes(data, rng, seed)
    at = rng.choice(runs)
    close = data.find(b"<", at)
    at = rng.randint(at, close if close > at else at)
    return data[:at] + _payload(rng).encode("utf-8").replace(b"<", b"").replace(b"&", b"") + data[at:]


def vmerge(data: bytes, rng: random.Random, seed: Seed) -> bytes:
    """A vertical merge added to or removed from a table cell."""
    found = [m.end() for m in re.finditer(rb"<w:tcPr>", data)]
    if found and rng.random() < 0.6:
        at = rng.choice(found)
        mark = rng.choice((b'<w:vMerge w:val="restart"/>', b"<w:vMerge/>", b'<w:gridSpan w:val="3"/>'))
        return data[:at] + mark + data[at:]
    return re.sub(rb"<w:vMerge[^>]*/>", b"", data, count=rng.randint(1, 5))


_STREAM = re.compile(rb"(/Length\s+)(\d+)(\s*(?:/[^>]*)?>>\s*stream\r?\n)", re.DOTALL)


def pdf_stream(data: bytes, rng: random.Random, seed: Seed) -> bytes:
    """A content stream inflated, edited (numbers and strings in its operators), deflated and put back."""
    found = list(_STREAM.finditer(data))
    rng.shuffle(found)
    for m in found:
        start = m.end()
        length = int(m.group(2))
        raw = data[start : start + length]
        try:
            content = zlib.decompress(raw)
        except zlib.error:
            continue
        edited = _edit_content(content, rng)
        packed = zlib.compress(edited)
        head = data[: m.start(2)] + str(len(packed)).encode() + data[m.end(2) : m.end()]
        return head + packed + data[start + length :]
    return flip(data, rng, seed)


def _edit_content(content: bytes, rng: random.Random) -> bytes:
    op = rng.randrange(4)
    numbers = list(re.finditer(rb"-?[0-9]+(?:\.[0-9]+)?", content))
    if op == 0 and numbers:
        m = rng.choice(numbers)
        value = rng.choice((b"0", b"-1", b"1e9", b"99999", b"3.5", b"-0.001", b"1000000000000"))
        return content[: m.start()] + value + content[m.end() :]
    if op == 1:
        strings = [m.end() - 1 for m in re.finditer(rb"\((?:[^()\\]|\\.)*\)", content)]
        strings += [m.end() - 1 for m in re.finditer(rb"<[0-9A-Fa-f]+>", content)]
        if strings:
            at = rng.choice(strings)
            if content[at : at + 1] == b">":
                return content[:at] + rng.choice((b"0013", b"001400150016", b"0", b"zz")) + content[at:]
            return content[:at] + rng.choice(ASCII_DIGITS).encode() * rng.randint(1, 3) + content[at:]
    if op == 2:
        return content[: rng.randint(0, len(content))]
    out = bytearray(content)
    for _ in range(rng.randint(1, 4)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


Mutation = Callable[[bytes, random.Random, Seed], bytes]
_COMMON: tuple[Mutation, ...] = (flip, insert_bytes, truncate, delete_chunk, duplicate_chunk, splice)
_TEXT_EDITS = tuple(_on_text(e) for e in (insert_chars, replace_digit, shuffle_lines, join_or_split_line))
MUTATIONS: dict[str, tuple[Mutation, ...]] = {
    "text": _COMMON + _TEXT_EDITS + _TEXT_EDITS,
    "html": _COMMON + _TEXT_EDITS + (span_values, tags, span_values, tags),
    "docx": (
        flip,
        truncate,
        splice,
        *(
            _docx_edit(e)
            for e in (xml_text, xml_text, span_values, tags, vmerge, truncate, flip, insert_bytes)
        ),
    ),
    "pdf": (
        flip,
        truncate,
        delete_chunk,
        duplicate_chunk,
        splice,
        insert_bytes,
        pdf_stream,
        pdf_stream,
        pdf_stream,
    ),
}


@dataclass(frozen=True)
class Input:
    """A reproducible fuzz input: a seed and the mutations applied to it, in order."""

    form: str
    seed: int
    ops: tuple[tuple[int, int], ...]
    """(index into MUTATIONS[form], the integer seeding that mutation's choices)."""

    def seed_of(self) -> Seed:
        pool = seeds(self.form)
        return pool[self.seed % len(pool)]

    def describe(self) -> str:
        names = [MUTATIONS[self.form][i % len(MUTATIONS[self.form])].__name__ for i, _ in self.ops]
        return f"{self.form} seed {self.seed_of().name}: {' → '.join(names)}"

    def build(self) -> bytes:
        seed = self.seed_of()
        data = seed.data
        for index, salt in self.ops:
            mutation = MUTATIONS[self.form][index % len(MUTATIONS[self.form])]
            data = mutation(data, random.Random(salt), seed)
        return data


def random_input(rng: random.Random, weights: dict[str, float]) -> Input:
    form = rng.choices(list(weights), list(weights.values()))[0]
    ops = tuple((rng.randrange(64), rng.getrandbits(32)) for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))))
    return Input(form, rng.randrange(1024), ops)


# --- the oracle --------------------------------------------------------------------------------------


@dataclass
class Outcome:
    form: str | None = None
    """The form the parser detected (None when it raised before reading one)."""
    result: str = "report"
    """"report", "typed:<code>" or "exception"."""
    violations: list[str] = field(default_factory=list)
    error: str | None = None


_CELL_NUMBER = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|-?[0-9]+(?:\.[0-9]+)?")
_PROSE_NUMBER = re.compile(r"[0-9][0-9,]*(?:\.[0-9]+)?")
_NEGATION = re.compile(r"未|没有|无|不")


def check(data: bytes) -> Outcome:
    """Parse data and hold the result to the oracle; never raises."""
    outcome = Outcome()
    try:
        source = read_source(data)
        outcome.form = source.form
        report = parse_source(source)
    except errors.ParseError as exc:
        outcome.result = f"typed:{exc.code}"
        return outcome
    except BaseException as exc:  # any other exception is the finding
        if isinstance(exc, KeyboardInterrupt):
            raise
        outcome.result = "exception"
        outcome.error = "".join(traceback.format_exception(exc, limit=-6))
        return outcome
    outcome.violations = violations(report, source, data)
    return outcome


def _as_number(text: str) -> float | None:
    return float(text.replace(",", "")) if _CELL_NUMBER.fullmatch(text) else None


def _printed_size(textpage, i: int) -> float:
    """A glyph's font size as printed (nominal size times the text matrix's scale)."""
    import math

    import pypdfium2.raw as pdfium_c

    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFText_GetMatrix(textpage.raw, i, m):
        return math.inf
    size = pdfium_c.FPDFText_GetFontSize(textpage.raw, i) * math.sqrt(abs(m.a * m.d - m.b * m.c))
    return size or math.inf


def _words(chars: list[tuple[str, float, float, float, float]]) -> list[str]:
    """Glyphs (char, x0, top, x1, bottom) as words: lines by vertical overlap, left to right,
    split at a visible gap (a fifth of the glyph height); a glyph printed twice in one place
    (fake bold) counts once, two different glyphs printed over each other both stay (so 2
    over 8 reads 28, never 8)."""
    lines: list[list] = []
    for c in sorted(chars, key=lambda c: (c[2] + c[4]) / 2):
        if lines and _same_line(lines[-1], c):
            lines[-1][0], lines[-1][1] = min(lines[-1][0], c[2]), max(lines[-1][1], c[4])
            lines[-1][2].append(c)
        else:
            lines.append([c[2], c[4], [c]])
    words = []
    for _, _, line in lines:
        word, last = "", None
        for c in sorted(line, key=lambda c: c[1]):
            if c[0].isspace():  # a space glyph draws nothing: only the gaps between glyphs count
                continue
            width = max(c[3] - c[1], 0.1)
            if last is not None and c[0] == last[0] and abs(c[1] - last[1]) < 0.3 * width:
                continue
            if last is not None and c[1] - last[3] > 0.2 * max(min(c[4] - c[2], last[4] - last[2]), 1.0):
                word = _flush(words, word)
            word, last = word + c[0], c
        _flush(words, word)
    return words


def _same_line(line: list, c: tuple) -> bool:
    """The glyph's middle lies within the line's vertical extent (a point or comma is shorter than digits)."""
    return line[0] - 0.5 <= (c[2] + c[4]) / 2 <= line[1] + 0.5


def _flush(words: list[str], word: str) -> str:
    if word:
        words.append(word)
    return ""


def violations(report: Report, source: Source, data: bytes) -> list[str]:
    """Every number of the report that its recorded place in the input does not hold."""
    text = fold(source.text)
    out = []
    cells = [(f"{c.table}{c.keys}", c.value, c.span) for c in report.cells if c.value is not None]
    cells += [
        (f"extra {e.table} {e.row_label!r} {e.column}", e.value, e.span)
        for e in report.extra_cells
        if e.value is not None
    ]
    pdf = _PdfPlaces(data) if source.form == "pdf" else None
    try:
        for name, value, span in cells:
            if span is None:
                out.append(f"{name} = {value} has no source")
                continue
            printed = text[span.start : span.end].strip()
            if _as_number(printed) != value:
                out.append(f"{name} = {value}, but the input holds {printed!r} at [{span.start}, {span.end})")
            elif pdf is not None and span.where:
                out += pdf.check(name, value, span.where)
    finally:
        if pdf is not None:
            pdf.close()
    for fact in report.facts:
        stated = text[fact.span.start : fact.span.end]
        numbers = {
            float(n.replace(",", "")) for n in _PROSE_NUMBER.findall(stated) if _CELL_NUMBER.fullmatch(n)
        }
        numbers |= {n * 10000 for n in numbers} if "万" in stated else set()
        if not (fact.value in numbers or (fact.value == 0 and _NEGATION.search(stated))):
            out.append(f"fact {fact.name} = {fact.value}, but the input states {stated!r}")
    return out


class _PdfPlaces:
    """The words PDFium's glyphs make in the box a PDF cell's provenance names (the reader's
    display coordinates, origin top-left), read on their own: a glyph is in the box when the
    centre of its box is; the box may be a word's or a table cell's, so the cell's number
    must be one of the words printed in it."""

    def __init__(self, data: bytes):
        import pypdfium2 as pdfium

        self.pdf = pdfium.PdfDocument(data)
        self.pages: dict[int, list | None] = {}

    def check(self, name: str, value: float, where: dict) -> list[str]:
        x0, top, x1, bottom = where["bbox"]
        chars = self._chars(where["page"] - 1)
        if chars is None:
            return []

        def within(c: tuple) -> bool:
            return (
                x0 - 0.5 <= (c[1] + c[3]) / 2 <= x1 + 0.5 and top - 0.5 <= (c[2] + c[4]) / 2 <= bottom + 0.5
            )

        inside = [c for c in chars if within(c)]
        words = _words(inside)
        if value not in {_as_number(fold(w)) for w in words}:
            return [f"{name} = {value}, but page {where['page']} box {where['bbox']} prints {words!r}"]
        return []

    def _chars(self, index: int) -> list | None:
        """(char, x0, top, x1, bottom) per glyph of a page: its loose box, or its tight box when the
        loose one is implausibly large (PDFium's, seen 199 pt tall); None for a rotated page."""
        if index not in self.pages:
            import pypdfium2.raw as pdfium_c

            page = self.pdf[index]
            chars = None
            if not page.get_rotation() % 360:
                left, _, _, page_top = page.get_bbox()
                textpage = page.get_textpage()
                chars = []
                for i in range(textpage.count_chars()):
                    if pdfium_c.FPDFText_IsGenerated(textpage.raw, i) == 1:
                        continue
                    ch = chr(min(pdfium_c.FPDFText_GetUnicode(textpage.raw, i), 0x10FFFF))
                    cl, cb, cr, ct = textpage.get_charbox(i, loose=True)
                    if max(cr - cl, ct - cb) > 3 * _printed_size(textpage, i):  # an implausible loose box
                        cl, cb, cr, ct = textpage.get_charbox(i)
                    chars.append((ch, cl - left, page_top - ct, cr - left, page_top - cb))
                textpage.close()
            page.close()
            self.pages[index] = chars
        return self.pages[index]

    def close(self) -> None:
        self.pdf.close()
