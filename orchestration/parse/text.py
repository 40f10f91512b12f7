"""Low-level text handling shared by every part of the parser.

All transformations keep character offsets: folding is one character for one
character and masked spans are overwritten with spaces, so an offset into the
normalised text is an offset into the input.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from itertools import accumulate
from typing import NamedTuple

from orchestration.model import Number, Span
from orchestration.parse.source import BLANK_CELL

_FOLDS = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLDS.update({0x3000: 0x20, 0x00A0: 0x20, 0x2212: 0x2D, 0xFEFF: 0x20, 0x200B: 0x20})
_FOLDS.update({cp: 0x20 for cp in range(0x2000, 0x200B)})
_FOLDED = {chr(cp): chr(to) for cp, to in _FOLDS.items()}
_FOLDABLE = re.compile("([" + "".join(map(re.escape, _FOLDED)) + "])")


def fold(text: str) -> str:
    """Full-width ASCII to ASCII, odd spaces to plain spaces; same length.

    Only the foldable characters are touched (split out by one regex): `str.translate`
    costs a lookup for every character of the text, three times slower on Chinese text.
    """
    parts = _FOLDABLE.split(text)
    parts[1::2] = map(_FOLDED.__getitem__, parts[1::2])
    return "".join(parts)


_PAGE_MARK = re.compile(
    r"^[ \t]*(?:[-—–][ \t]*[0-9]{1,4}[ \t]*[-—–]"
    r"|第[ \t]*[0-9]{1,4}[ \t]*页(?:[ \t]*[,/][ \t]*共[ \t]*[0-9]{1,4}[ \t]*页)?"
    r"|共[ \t]*[0-9]{1,4}[ \t]*页[ \t]*第[ \t]*[0-9]{1,4}[ \t]*页"
    r"|[0-9]{1,4}[ \t]*/[ \t]*[0-9]{1,4}|[Pp]age[ \t]*[0-9]{1,4}"
    r"(?:[ \t]*of[ \t]*[0-9]{1,4})?)[ \t]*\r?$",
    re.MULTILINE,
)


_PAGE_FOOT = re.compile(r"^[ \t]*[0-9]{1,3}[ \t]*\r?(?=\n(?:[ \t]*\r?\n)*[ \t]*\f)", re.MULTILINE)
"""A bare page number: the last line of a page, just before a form feed."""


def mask_page_marks(text: str) -> str:
    """Blank out page-number lines (-3-, 第3页, 3/6, Page 3) so they never read as cells."""
    text = _PAGE_MARK.sub(_spaces, text)
    return _PAGE_FOOT.sub(_spaces, text) if "\f" in text else text


def _spaces(m: re.Match[str]) -> str:
    return " " * len(m.group())


class Lines:
    """Maps character offsets to 1-based line numbers."""

    def __init__(self, text: str):
        self._starts = list(accumulate((len(line) + 1 for line in text.split("\n")[:-1]), initial=0))
        self.line: Callable[[int], int] = partial(bisect.bisect_right, self._starts)
        """The line of an offset (a C call: it runs for every cell)."""

    def bounds(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._starts, offset) - 1
        end = self._starts[i + 1] - 1 if i + 1 < len(self._starts) else None
        return self._starts[i], end if end is not None else -1


_UNITS = frozenset("年月日号件条项个人次元万亿%页期篇份家所户宗笔张台套名位天")
"""A number followed on its line by one of these is a quantity in prose or a date (2023 年), not a cell."""
_WORD = re.compile(r"[^\s|" + BLANK_CELL + r"]+|" + BLANK_CELL)
_NUMBER = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|-?[0-9]+(?:\.[0-9]+)?")
_INLINE_SPACE = frozenset(" \t")
_PLACEHOLDERS = frozenset({"—", "–", "-", "--", "——", "/"})
_WORD_CHAR = re.compile(r"[^\s|" + BLANK_CELL + r"]")
_WORD_END = r"(?![^\s|" + BLANK_CELL + r"])"
_TOKEN = re.compile(
    r"(?=[-0-9" + "".join(sorted({re.escape(p[0]) for p in _PLACEHOLDERS})) + BLANK_CELL + r"])"
    r"(?:(?<![^\s|" + BLANK_CELL + r"])"
    r"(?:(" + _NUMBER.pattern + r")" + _WORD_END + r"(?![ \t]*[" + "".join(sorted(_UNITS)) + r"])"
    r"|("
    + "|".join(map(re.escape, sorted(_PLACEHOLDERS, reverse=True)))
    + r")"
    + _WORD_END
    + r")|"
    + BLANK_CELL
    + ")"
)
"""A whole word that is a number (group 1) with no unit after it, or a placeholder (group 2),
or a blank cell. The leading lookahead only lets positions that can start one through (the
cheapest test first). The unit lookahead cannot see past the end of the searched range: a
number the range's trailing spaces follow is checked again by `_no_unit`."""


class Token(NamedTuple):
    """A standalone number, or a placeholder printed in a cell (value None, `blank` says which)."""

    value: Number | None
    start: int
    end: int
    blank: str | None = None


def _number(raw: str) -> Number:
    raw = raw.replace(",", "")
    return float(raw) if "." in raw else int(raw)


def tokens(text: str, start: int, end: int) -> list[Token]:
    """The standalone numbers and cell placeholders in text[start:end].

    Standalone means a whole word between separators (whitespace, |, a blank
    cell): a number glued to a label or a unit is never a cell. One regex finds
    only such words, so the words of labels and prose cost no Python work.
    """
    out: list[Token] = []
    pos = start
    if 0 < start < end and _WORD_CHAR.match(text, start - 1) and _WORD_CHAR.match(text, start):
        pos = _cut_word(text, start, end, out)
    last = pos + len(text[pos:end].rstrip(" \t"))
    append = out.append
    for m in _TOKEN.finditer(text, pos, end):
        kind = m.lastindex
        s, e = m.span()
        if kind == 1:
            number = m.group()
            if e < last or _no_unit(text, number, e):
                append(Token(int(number) if number.isdigit() else _number(number), s, e))
        else:
            append(Token(None, s, e, "printed_blank" if kind == 2 else "blank_cell"))
    return out


def _cut_word(text: str, start: int, end: int, out: list[Token]) -> int:
    """A word cut by `start` counts from `start` on (the regex's lookbehind would see its head)."""
    word_end = _WORD.match(text, start, end).end()
    word = text[start:word_end]
    if _NUMBER.fullmatch(word):
        if _no_unit(text, word, word_end):
            out.append(Token(_number(word), start, word_end))
    elif word in _PLACEHOLDERS:
        out.append(Token(None, start, word_end, "printed_blank"))
    return word_end


def _no_unit(text: str, number: str, end: int) -> bool:
    """No unit follows the number on its line; plain digits cut off by the range's end
    (not followed by a space) are not checked."""
    if number.isdigit() and text[end : end + 1] not in _INLINE_SPACE:
        return True
    return not _unit_follows(text, end)


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


_DROP = re.compile(r"(?=\s)((?<![0-9,.])\s+|\s++(?![0-9,.])|(?<![0-9])\s++(?![0-9]))")
"""Whitespace to drop: every run except one between a digit and a digit, comma or point (so
2 0 0 never reads as 200, nor 3 ,940 or 3, 940 as 3940). The leading lookahead lets only
whitespace positions try the alternatives (three times faster on Chinese text)."""


def compact(text: str, spans: list[tuple[int, int]] | None = None) -> Compact:
    """The text (or just the given spans of it, joined by a full stop) without whitespace."""
    pieces: list[str] = []
    starts: list[int] = []
    origins: list[int] = []
    pos = 0
    for start, end in spans if spans is not None else [(0, len(text))]:
        if pieces:
            pieces.append("。")
            starts.append(pos)
            origins.append(start)
            pos += 1
        parts = _DROP.split(text[start:end])
        kept = parts[0::2]
        origins += [start + o for o in accumulate(map(len, parts), initial=0)][0::2]
        starts += [pos + o for o in accumulate(map(len, kept), initial=0)][:-1]
        pieces += kept
        pos = starts[-1] + len(kept[-1])
    return Compact("".join(pieces), tuple(starts), tuple(origins))


_WHITESPACE = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """The text without any whitespace (labels and headers are matched so)."""
    return _WHITESPACE.sub("", text)


def outside(length: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of [0, length) not covered by the given sorted, disjoint spans."""
    out, pos = [], 0
    for start, end in sorted(spans):
        if start > pos:
            out.append((pos, start))
        pos = max(pos, end)
    if pos < length:
        out.append((pos, length))
    return out


def span(lines: Lines, start: int, end: int) -> Span:
    return Span(lines.line(start), start, end)
