"""Finding row labels in a table section, in template order.

A label is found by its keywords from `schemas/codes.yaml`. Keywords tolerate
what copies of tables do to labels: whitespace and line breaks inside them,
and (in column layouts) a row's numbers printed in the middle of its wrapped
label. A keyword written "^其他" must follow a list marker (3.其他).
"""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

from orchestration.parse.source import BLANK_CELL

_GAP = r"[\s0-9.,\-—/" + BLANK_CELL + r"]*?"
_MARKER = r"(?:[0-9]{1,2}\s*[.、]|\(\s*[0-9]{1,2}\s*\))\s*"
LIST_MARKER = re.compile(
    r"(?:[一二三四五六七八九十]{1,3}\s*[、.]|\(\s*[一二三四五六七八九十]{1,3}\s*\)|\(\s*[0-9]{1,2}\s*\)|[0-9]{1,2}\s*[.、](?![0-9]))"
)


_MARKER_AT = re.compile(_MARKER)


class Label(NamedTuple):
    """A row label found in the text (a tuple: a report has dozens)."""

    code: str
    start: int
    """Where the row begins: its list marker if one precedes the keyword, else the keyword."""
    keyword_start: int
    end: int


@cache
def keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = []
    for k in keywords:
        body = _GAP.join(re.escape(ch) for ch in k.lstrip("^"))
        alternatives.append(_MARKER + body if k.startswith("^") else body)
    return re.compile("|".join(f"(?:{a})" for a in alternatives))


def find_in_order(
    text: str, start: int, end: int, candidates: list[tuple[str, tuple[str, ...]]], markers: bool = True
) -> list[Label]:
    """Each candidate's first label after the previous one found; missing candidates are skipped.

    With `markers`, a row begins at the list marker (1. / (一) / 四、) before its keyword;
    a keyword matched together with its own marker (^其他 → 3.其他) begins there, so a
    group label printed between a wrapped row and its numbers cannot claim them.
    """
    found: list[Label] = []
    pos = start
    for code, keywords in candidates:
        m = keyword_pattern(keywords).search(text, pos, end)
        if not m:
            continue
        own_marker = _MARKER_AT.match(text, m.start()) is not None
        row_start = _row_start(text, pos, m.start()) if markers and not own_marker else m.start()
        found.append(Label(code, row_start, m.start(), m.end()))
        pos = m.end()
    return found


def _row_start(text: str, lower: int, keyword_start: int) -> int:
    """The last list marker between the previous label and this keyword, else the keyword itself."""
    last = None
    for m in LIST_MARKER.finditer(text, lower, keyword_start):
        last = m
    return last.start() if last else keyword_start
