"""Where the report's table sections (二 disclosures, 三 applications, 四 reviews) lie.

A section starts at its heading: a short line (not prose) holding one of the
section's keywords from `schemas/codes.yaml`. Prose that names the sections
(as many preambles do) is long and punctuated, so it is never taken for one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from orchestration.codes import Codes
from orchestration.parse.text import squeeze

_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.]|\([一二三四五六七八九十]{1,3}\)|[0-9]{1,2}[、.])"
)
_SIX = re.compile(r"^(?:六[、.]|\(六\))")
ORDER = ("disclosures", "applications", "reviews", "problems")
_MAX_EXTRA = 14


@dataclass(frozen=True)
class Region:
    start: int
    end: int


def headings(text: str, codes: Codes) -> dict[str, int]:
    """Offset of each section heading's line, in template order."""
    found: dict[str, int] = {}
    pending = list(ORDER)
    for m in _keyword_regex(codes).finditer(text):
        if not pending:
            break
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        if len(line) >= 200:
            continue
        squeezed = squeeze(line)
        if "。" in squeezed or "," in squeezed:
            continue
        body = _NUMBERING.sub("", squeezed)
        for i, name in enumerate(pending):
            if _is_heading(body, codes.sections[name].match):
                found[name] = line_start
                del pending[: i + 1]
                break
    return found


@cache
def _keyword_regex(codes: Codes) -> re.Pattern[str]:
    keywords = sorted({k for n in ORDER for k in codes.sections[n].match}, key=len, reverse=True)
    return re.compile("|".join(r"\s*".join(map(re.escape, k)) for k in keywords))


def _is_heading(body: str, keywords: tuple[str, ...]) -> bool:
    return any(k in body and len(body) <= len(k) + _MAX_EXTRA for k in keywords)


_FALLBACK = {
    "disclosures": re.compile(r"第\s*二\s*十\s*条"),
    "applications": re.compile(r"本\s*年\s*新\s*收"),
    "reviews": re.compile(r"结\s*果\s*维\s*持"),
}
"""Without its heading, a section starts at the line of its first unmistakable table text."""


def regions(text: str, codes: Codes) -> dict[str, Region]:
    """Each table section's span: from its heading to the next heading found."""
    marks = headings(text, codes)
    after = 0
    for name in ORDER:
        if name in marks:
            after = marks[name]
        elif name == "reviews" and "applications" not in marks:
            continue
        elif name in _FALLBACK and (m := _FALLBACK[name].search(text, after)):
            marks[name] = after = text.rfind("\n", 0, m.start()) + 1
    out: dict[str, Region] = {}
    names = sorted((n for n in ORDER if n in marks), key=lambda n: marks[n])
    for i, name in enumerate(names):
        if name == "problems":
            continue
        end = marks[names[i + 1]] if i + 1 < len(names) else _fallback_end(text, marks[name])
        out[name] = Region(marks[name], end)
    return out


def _fallback_end(text: str, start: int) -> int:
    """Without a following heading, stop at a 六、 heading or a bounded distance."""
    limit = min(len(text), start + 20000)
    nl = text.find("\n", start)
    pos = limit if nl < 0 else nl + 1
    while pos < limit:
        nl = text.find("\n", pos)
        line_end = len(text) if nl < 0 else nl
        if _SIX.match(text[pos:line_end].strip()):
            return pos
        pos = line_end + 1
    return limit
