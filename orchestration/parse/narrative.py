"""Narrative facts from the report's prose (the text outside its tables).

A fact is read only from a sentence that states it; a stated figure is taken as
printed (5500余条 → 5500). Negations ("未收取信息处理费", "未发生行政复议")
state zero. A number stated positively wins over a negation elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestration.model import Fact, Number, Span
from orchestration.parse.text import Compact, Lines

_NUM = r"([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
_NOT_REVIEW = r"(?:(?!复议|诉讼)[^。;0-9])"
_NEG = r"(?:未|没有|无|不曾)(?:发生|出现|被|收到|接到|产生|有)?"


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    negative: bool = False
    scale: int = 1


def _p(pattern: str, negative: bool = False) -> Pattern:
    return Pattern(re.compile(pattern), negative)


PATTERNS: dict[str, tuple[Pattern, ...]] = {
    "proactive_items_total": (
        _p(r"主动(?:公开|发布)[^。;0-9]{0,30}?信息(?:共|合计)?" + _NUM + r"(?:余|多)?条"),
    ),
    "applications_received": (
        _p(
            r"(?:收到|受理|接收|接到|办理|新收)"
            + _NOT_REVIEW
            + r"{0,25}?(?:申请|依申请公开)(?:共|合计)?"
            + _NOT_REVIEW
            + r"{0,4}?"
            + _NUM
            + r"件"
        ),
        _p(r"有" + _NUM + r"件(?:依申请公开|政府信息公开申请|信息公开申请)"),
        _p(
            r"(?:未|没有)(?:收到|受理|接到|接收)" + _NOT_REVIEW + r"{0,12}?(?:申请|依申请公开)", negative=True
        ),
    ),
    "reconsideration_cases": (
        _p(r"行政复议(?:申请|案件)?[^。;,0-9]{0,6}?" + _NUM + r"(?:件|起|宗|次)"),
        _p(_NEG + r"[^。;,0-9]{0,24}?行政复议", negative=True),
    ),
    "litigation_cases": (
        _p(r"行政诉讼(?:案件)?[^。;,0-9]{0,6}?" + _NUM + r"(?:件|起|宗|次)"),
        _p(_NEG + r"[^。;,0-9]{0,24}?行政诉讼", negative=True),
    ),
    "fees_collected_cny": (
        _p(r"收取(?:(?!行政事业性)[^。;0-9]){0,20}?(?:费|费用)[^。;0-9]{0,3}?" + _NUM + r"(万)?元"),
        _p(r"(?:未|没有|无|不)[^。;,0-9]{0,12}?(?:收取|收费)", negative=True),
    ),
}


def read_facts(prose: Compact, lines: Lines, order: tuple[str, ...]) -> list[Fact]:
    facts = []
    for name in order:
        fact = _first(name, prose, lines)
        if fact is not None:
            facts.append(fact)
    return facts


def _first(name: str, prose: Compact, lines: Lines) -> Fact | None:
    best = None
    for pattern in PATTERNS[name]:
        m = pattern.regex.search(prose.text)
        if not m:
            continue
        rank = (pattern.negative, m.start())
        if best is None or rank < best[0]:
            best = (rank, pattern, m)
    if best is None:
        return None
    _, pattern, m = best
    value: Number = 0 if pattern.negative else _value(m)
    start, end = prose.origin(m.start()), prose.origin(m.end() - 1) + 1
    return Fact(name, value, Span(lines.line(start), start, end), m.group())


def _value(m: re.Match[str]) -> Number:
    raw = m.group(1).replace(",", "")
    value: Number = float(raw) if "." in raw else int(raw)
    if m.lastindex and m.lastindex >= 2 and m.group(2) == "万":
        value = round(value * 10000, 2)
        if float(value).is_integer():
            value = int(value)
    return value
