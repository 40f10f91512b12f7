"""The year a report covers and who published it, read from the report's own text."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from orchestration.parse.text import Compact, compact, squeeze

_YEAR = r"((?:19|20)[0-9]{2})"
_PERIOD = re.compile(
    r"统计(?:期限|时限|时间|期间|区间)[^。]{0,12}?"
    + _YEAR
    + r"年(?:度)?(?:1月1日|01月01日|1月|全年|$|[^0-9])"
)
_TITLE_TAIL = re.compile(
    r"^年度?([\u4e00-\u9fff]{0,30}?)(?:政府信息公开|政务公开|信息公开)(?:工作)?(?:年度)?(?:报告|年报)"
)
_YEAR_AT = re.compile(_YEAR + r"\s*年")
_ORG = re.compile(
    r"^[\u4e00-\u9fff()·]{1,40}(?:政府|办公室|办公厅|局|委员会|委|厅|院|办|中心|署|部|会|处|所|站|队|馆|公司|区|县|市|州"
    r"|盟|旗|镇|乡|街道|办事处|管委会|集团|银行|学校|大学|医院|分局|支队|大队|总队)$"
)
_ABOUT = re.compile(r"(?:关于|的)$")
_PLACE_END = "省市区县州旗盟镇乡"
_HEAD_LINES = 80
_FUNCTION_CHARS = set("由经对向与请在是据了的和及为将把被让从于按")


@dataclass(frozen=True)
class Meta:
    year: int | None
    title_year: int | None
    period_year: int | None
    publisher: str | None
    year_at: tuple[int, int] | None
    publisher_at: tuple[int, int] | None


def read_meta(text: str, prose: Compact) -> Meta:
    title = _title(text)
    period = _PERIOD.search(prose.text)
    period_year = int(period.group(1)) if period else None
    title_year = title[0] if title else None
    year = period_year if period_year is not None else title_year
    year_at = None
    if period:
        year_at = (prose.origin(period.start(1)), prose.origin(period.end(1) - 1) + 1)
    elif title:
        year_at = title[2]
    publisher, publisher_at = (None, None)
    if title and title[1]:
        publisher = _expand(title[1], prose.text)
        publisher_at = title[3]
    return Meta(year, title_year, period_year, publisher, year_at, publisher_at)


def _title(text: str) -> tuple[int, str | None, tuple[int, int], tuple[int, int]] | None:
    """The first line shaped like a report title: (year, organisation, year span, organisation span).

    The organisation is either before the year on the same line, the whole
    previous line when the year starts its line, or between the year and
    政府信息公开 (as in '2017年区政府办公室政府信息公开工作年度报告').
    """
    lines = _head_lines(text)
    for i, (start, line) in enumerate(lines):
        for m in _YEAR_AT.finditer(line):
            following = " ".join(x for _, x in lines[i + 1 : i + 3])
            tail = squeeze(line[m.end() - 1 :] + following)
            t = _TITLE_TAIL.match(tail)
            if not t:
                continue
            before = _ABOUT.sub("", squeeze(line[: m.start()]))
            year = int(m.group(1))
            year_span = (start + m.start(1), start + m.end(1))
            if before:
                if _ORG.match(before):
                    org_start = start + len(line) - len(line.lstrip())
                    return year, before, year_span, (org_start, start + m.start())
                continue
            if i > 0 and _ORG.match(squeeze(lines[i - 1][1])):
                prev_start, prev = lines[i - 1]
                return year, squeeze(prev), year_span, (prev_start, prev_start + len(prev))
            org = t.group(1) if t.group(1) and _ORG.match(t.group(1)) else None
            return year, org, year_span, year_span
    return None


def _head_lines(text: str) -> list[tuple[int, str]]:
    out = []
    offset = 0
    for line in text.split("\n", _HEAD_LINES)[:_HEAD_LINES]:
        if line.strip():
            out.append((offset, line))
        offset += len(line) + 1
    return out


def _expand(org: str, prose: str) -> str:
    """A place name or an abbreviated office, completed from the report's own prose.

    '阿城区' → '阿城区人民政府' and '区政府办公室' → '泸州市纳溪区人民政府办公室' only when
    the prose itself prints the full name.
    """
    if org[-1] in _PLACE_END:
        full = org + "人民政府"
        return full if full in prose else org
    if org[0] in _PLACE_END and org[1:3] == "政府":
        tail = "人民" + org[1:]
        place = re.compile(
            r"(?:[\u4e00-\u9fff]{2,6}?(?:省|自治区|市|州|盟|地区))*[\u4e00-\u9fff]{1,6}?" + org[0] + "$"
        )
        names: Counter[str] = Counter()
        at = prose.find(tail)
        while at >= 0:
            m = place.search(prose, max(0, at - 24), at)
            if m:
                names[_trim(m.group()) + tail] += 1
            at = prose.find(tail, at + 1)
        if names:
            return max(names.items(), key=lambda kv: (kv[1], -prose.find(kv[0])))[0]
    return org


def _trim(place: str) -> str:
    while len(place) > 2 and place[0] in _FUNCTION_CHARS:
        place = place[1:]
    return place


def prose_text(text: str) -> Compact:
    return compact(text)
