"""Low-level text handling shared by every part of the parser.

All transformations keep character offsets: folding is one character for one
character and masked spans are overwritten with spaces, so an offset into the
normalised text is an offset into the input.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from orchestration.model import Number, Span
from orchestration.parse.source import BLANK_CELL

_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD.update({0x3000: 0x20, 0x00A0: 0x20, 0x2212: 0x2D, 0xFEFF: 0x20, 0x200B: 0x20})
_FOLD.update({cp: 0x20 for cp in range(0x2000, 0x200B)})


def fold(text: str) -> str:
    """Full-width ASCII to ASCII, odd spaces to plain spaces; same length."""
    return text.translate(_FOLD)


_PAGE_MARK = re.compile(
    r"^[ \t]*(?:[-—–][ \t]*\d{1,4}[ \t]*[-—–]"
    r"|第[ \t]*\d{1,4}[ \t]*页(?:[ \t]*[,/][ \t]*共[ \t]*\d{1,4}[ \t]*页)?"
    r"|共[ \t]*\d{1,4}[ \t]*页[ \t]*第[ \t]*\d{1,4}[ \t]*页|\d{1,4}[ \t]*/[ \t]*\d{1,4}|[Pp]age[ \t]*\d{1,4}"
    r"(?:[ \t]*of[ \t]*\d{1,4})?)[ \t]*\r?$",
    re.MULTILINE,
)


def mask_page_marks(text: str) -> str:
    """Blank out page-number lines (-3-, 第3页, 3/6, Page 3) so they never read as cells."""
    return _PAGE_MARK.sub(lambda m: " " * len(m.group()), text)


class Lines:
    """Maps character offsets to 1-based line numbers."""

    def __init__(self, text: str):
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)

    def bounds(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._starts, offset) - 1
        end = self._starts[i + 1] - 1 if i + 1 < len(self._starts) else None
        return self._starts[i], end if end is not None else -1


# A cell value or a printed placeholder; whether it stands alone is checked in code.
_TOKEN = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?|[—–-]{1,2}|/|" + BLANK_CELL)
_CELL_SEP = " \t\r\n\f|" + BLANK_CELL
# A number followed (on its line) by one of these is a quantity in prose or a date, not a cell.
_UNITS = set("年月日号件条项个人次元万亿%页期篇份家所户宗笔张台套名位天")


@dataclass(frozen=True)
class Token:
    """A standalone number, or a placeholder printed in a cell (value None, `blank` says which)."""

    value: Number | None
    start: int
    end: int
    blank: str | None = None


def _number(raw: str) -> Number:
    raw = raw.replace(",", "")
    return float(raw) if "." in raw else int(raw)


def tokens(text: str, start: int, end: int) -> list[Token]:
    """The standalone numbers and cell placeholders in text[start:end]."""
    out = []
    for m in _TOKEN.finditer(text, start, end):
        s, e = m.span()
        if s > 0 and text[s - 1] not in _CELL_SEP:
            continue
        if e < len(text) and text[e] not in _CELL_SEP:
            continue
        raw = m.group()
        if raw == BLANK_CELL:
            out.append(Token(None, s, e, "blank_cell"))
        elif raw[-1].isdigit():
            if _unit_follows(text, e):
                continue
            out.append(Token(_number(raw), s, e))
        else:
            out.append(Token(None, s, e, "printed_blank"))
    return out


def _unit_follows(text: str, pos: int) -> bool:
    n = len(text)
    while pos < n and text[pos] in " \t":
        pos += 1
    return pos < n and text[pos] in _UNITS


@dataclass(frozen=True)
class Compact:
    """Text with whitespace removed (a single space kept between digits), mapped back to offsets."""

    text: str
    _starts: tuple[int, ...]
    _origins: tuple[int, ...]

    def origin(self, offset: int) -> int:
        i = bisect.bisect_right(self._starts, offset) - 1
        return self._origins[i] + (offset - self._starts[i])


def compact(text: str, start: int = 0, end: int | None = None) -> Compact:
    parts: list[str] = []
    starts: list[int] = []
    origins: list[int] = []
    pos = 0
    for m in re.finditer(r"\S+", text[start:end] if end is not None or start else text):
        run = m.group()
        if parts and parts[-1][-1].isdigit() and run[0].isdigit():
            parts.append(" ")
            starts.append(pos)
            origins.append(start + m.start() - 1)
            pos += 1
        parts.append(run)
        starts.append(pos)
        origins.append(start + m.start())
        pos += len(run)
    if not parts:
        return Compact("", (0,), (start,))
    return Compact("".join(parts), tuple(starts), tuple(origins))


def span(lines: Lines, start: int, end: int) -> Span:
    return Span(lines.line(start), start, end)
