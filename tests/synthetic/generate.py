"""Random reports in the gold JSON shape of spec/report-model.md, internally consistent.

Every code comes from schemas/codes.yaml; nothing here lists codes a second time.
"""

from __future__ import annotations

import random
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

CODES_PATH = Path(__file__).resolve().parents[2] / "schemas" / "codes.yaml"
YEAR_BOUNDS = (2010, 2025)
"""Years used where codes.yaml leaves a template's range open."""

TABLE_KEYS = {
    "disclosures": ("item", "measure", "value"),
    "applications": ("row", "applicant", "count"),
    "reviews": ("proceeding", "outcome", "count"),
}
"""Each table's two key fields and its value field."""


@cache
def codes() -> dict[str, Any]:
    """schemas/codes.yaml, parsed."""
    return yaml.safe_load(CODES_PATH.read_text(encoding="utf-8"))


def template_codes() -> list[str]:
    return list(codes()["templates"])


def year_range(template: str) -> tuple[int, int]:
    lo, hi = codes()["templates"][template]["years"]
    return lo or YEAR_BOUNDS[0], hi or YEAR_BOUNDS[1]


def items(template: str) -> list[tuple[str, list[str]]]:
    """(item, measures) of section 二 in print order."""
    return [(k, v["measures"][template]) for k, v in codes()["items"].items() if template in v["measures"]]


def rows(template: str) -> list[str]:
    """Rows of section 三 that `template` prints, in print order."""
    return [k for k, v in codes()["rows"].items() if template in v["templates"]]


def rows_in(template: str, prefix: str) -> list[str]:
    """Rows of `template` whose `section` starts with `prefix` (e.g. "outcome_")."""
    return [r for r in rows(template) if codes()["rows"][r]["section"].startswith(prefix)]


def applicants() -> list[str]:
    return list(codes()["applicants"])


def proceedings() -> list[str]:
    return list(codes()["proceedings"])


def outcomes() -> list[str]:
    return list(codes()["outcomes"])


def fact_codes() -> list[str]:
    return list(codes()["facts"])


def is_signed(measure: str) -> bool:
    return bool(codes()["measures"][measure].get("signed"))


# Place names and suffixes for publishers; realistic, not a register of real bodies.
CITIES = [
    "资阳", "淮安", "泸州", "漳州", "赣州", "绵阳", "宜宾", "南充", "常州", "扬州", "盐城", "湖州",
    "嘉兴", "金华", "台州", "九江", "上饶", "吉安", "洛阳", "开封", "南阳", "襄阳", "荆州", "岳阳",
    "常德", "衡阳", "桂林", "柳州", "遵义", "曲靖", "天水", "榆林", "延安", "保定", "邯郸", "临沂",
    "潍坊", "烟台", "齐齐哈尔", "牡丹江", "哈尔滨", "呼伦贝尔",
]  # fmt: skip
DISTRICTS = [
    "雁江", "洪泽", "纳溪", "清江浦", "淮阴", "江阳", "龙马潭", "翠屏", "顺庆", "涪城", "武进", "邗江",
    "亭湖", "吴兴", "南湖", "婺城", "椒江", "浔阳", "信州", "吉州", "涧西", "宛城", "沙市", "岳阳楼",
    "武陵", "雁峰", "秀峰", "红花岗", "麒麟", "秦州", "榆阳", "宝塔", "莲池", "丛台", "兰山", "奎文",
    "芝罘", "龙沙", "阿城", "海拉尔",
]  # fmt: skip
COUNTIES = [
    "东山", "安岳", "乐至", "合江", "叙永", "古蔺", "长宁", "仪陇", "盐亭", "宝应", "射阳", "长兴",
    "嘉善", "浦江", "天台", "修水", "婺源", "永丰", "宜阳", "兰考", "西峡", "南漳", "公安", "华容",
    "桃源", "祁东", "阳朔", "融安", "湄潭", "陆良", "甘谷", "米脂", "延川", "涞源", "涉县", "沂南",
    "临朐", "龙江", "林口",
]  # fmt: skip
COUNTY_CITIES = ["瑞金", "简阳", "义乌", "昆山", "江阴", "溧阳", "邳州", "醴陵", "都江堰", "峨眉山"]


def random_publisher(rng: random.Random) -> str:
    """A plausible 人民政府 / 人民政府办公室 name."""
    city, district, county = rng.choice(CITIES), rng.choice(DISTRICTS), rng.choice(COUNTIES)
    body = rng.choice(
        [
            f"{city}市",
            f"{city}市{district}区",
            f"{district}区",
            f"{county}县",
            f"{city}市{county}县",
            f"{rng.choice(COUNTY_CITIES)}市",
        ]
    )
    return body + rng.choice(["人民政府", "人民政府", "人民政府办公室"])


def _count(rng: random.Random, top: int, zeros: float = 0.5) -> int:
    """A count: many zeros, mostly small, now and then up to `top`."""
    r = rng.random()
    if r < zeros:
        return 0
    r = (r - zeros) / (1 - zeros)
    if r < 0.6:
        return rng.randint(1, min(9, top))
    if r < 0.9:
        return rng.randint(1, min(999, top))
    return rng.randint(1, top)


def _amount(rng: random.Random) -> int | float:
    """A money amount with up to two decimals (an int when it has none)."""
    if rng.random() < 0.3:
        return 0
    whole = rng.choice([rng.randint(0, 99), rng.randint(100, 99_999), rng.randint(100_000, 3_000_000)])
    digits = rng.choice([0, 0, 1, 2])
    if digits == 0:
        return whole or 1
    return float(f"{whole}.{rng.randint(1, 10**digits - 1):0{digits}d}")


def _measure_value(rng: random.Random, measure: str, previous: int) -> int | float:
    if measure in ("amount_10k_cny", "procurement_amount"):
        return _amount(rng)
    if is_signed(measure):
        return 0 if rng.random() < 0.5 else rng.randint(-previous, 60)
    if measure == "decisions":
        return _count(rng, 5_000_000, zeros=0.35)
    return _count(rng, 2_000)


def _disclosures(rng: random.Random, template: str) -> list[dict]:
    out = []
    for item, measures in items(template):
        previous = 0
        for measure in measures:
            value = _measure_value(rng, measure, previous)
            if measure == "previous_year_items":
                previous = int(value)
            out.append({"item": item, "measure": measure, "value": value})
    return out


def _applications(rng: random.Random, template: str) -> list[dict]:
    *columns, total = applicants()
    outcome_rows = rows_in(template, "outcome_")
    (processed,) = rows_in(template, "processed_total")
    (forward,) = rows_in(template, "carried_forward")
    new, over = rows_in(template, "received")
    table: dict[str, dict[str, int]] = {r: {} for r in rows(template)}
    for i, col in enumerate(columns):
        active = i == 0 or rng.random() < 0.35
        top = rng.choice([3, 30, 300, 3_000]) if active else 0
        for row in outcome_rows:
            table[row][col] = _count(rng, top, zeros=0.6) if top else 0
        table[processed][col] = sum(table[r][col] for r in outcome_rows)
        table[forward][col] = _count(rng, top, zeros=0.6) if top else 0
        handled = table[processed][col] + table[forward][col]
        table[over][col] = 0 if rng.random() < 0.6 else rng.randint(0, handled)
        table[new][col] = handled - table[over][col]
    for row in table.values():
        row[total] = sum(row[c] for c in columns)
    return [{"row": r, "applicant": a, "count": table[r][a]} for r in rows(template) for a in applicants()]


def _reviews(rng: random.Random) -> list[dict]:
    *parts, total = outcomes()
    out = []
    for proceeding in proceedings():
        counts = {o: _count(rng, rng.choice([5, 50, 400]), zeros=0.75) for o in parts}
        counts[total] = sum(counts.values())
        out += [{"proceeding": proceeding, "outcome": o, "count": counts[o]} for o in outcomes()]
    return out


def _narrative(rng: random.Random, template: str, applications: list, reviews: list) -> dict:
    """A random subset of the facts, mostly agreeing with the tables (as the prose of real reports does)."""
    table_total = {(r["row"], r["applicant"]): r["count"] for r in applications}
    review_total = {r["proceeding"]: r["count"] for r in reviews if r["outcome"] == "total"}
    new_received = rows_in(template, "received")[0] if template != "legacy" else None
    agree = template != "legacy" and rng.random() < 0.8
    (reconsideration, *litigation) = proceedings()
    value = {
        "proactive_items_total": rng.choice([rng.randint(1, 500), rng.randint(1, 50_000)]),
        "applications_received": table_total[(new_received, "total")] if agree else _count(rng, 4_000),
        "reconsideration_cases": review_total[reconsideration] if agree else _count(rng, 400, zeros=0.6),
        "litigation_cases": sum(map(review_total.get, litigation)) if agree else _count(rng, 99, zeros=0.6),
        "fees_collected_cny": 0 if rng.random() < 0.7 else rng.randint(1, 5_000),
    }
    keep = rng.random()
    return {fact: value[fact] for fact in fact_codes() if rng.random() < keep}


def cells(report: dict) -> dict[tuple[str, str, str], Any]:
    """Every table cell of a report keyed by (table, key1, key2), as score_parse.py keys them."""
    out = {}
    for table, (k1, k2, field) in TABLE_KEYS.items():
        for rec in report.get(table) or []:
            out[(table, rec.get(k1), rec.get(k2))] = rec.get(field)
    return out


def reconcile(report: dict) -> list[dict]:
    """The reconciliation verdicts of a report's own numbers (null where a needed cell is null)."""
    template = report["report"]["template"]
    if template == "legacy":
        return []
    c = cells(report)
    *columns, total = applicants()
    *parts, review_total = outcomes()

    def holds(left: list, right: list) -> bool | None:
        if any(v is None for v in left + right):
            return None
        return sum(left) == sum(right)

    def app(row: str, col: str):
        return c.get(("applications", row, col))

    received = rows_in(template, "received")
    (processed,) = rows_in(template, "processed_total")
    (forward,) = rows_in(template, "carried_forward")
    verdicts: list[tuple[str, str, bool | None]] = []
    for col in applicants():
        ends = [app(processed, col), app(forward, col)]
        verdicts.append(("applications.balance", col, holds([app(r, col) for r in received], ends)))
    for col in applicants():
        each = [app(r, col) for r in rows_in(template, "outcome_")]
        verdicts.append(("applications.outcomes_sum", col, holds([app(processed, col)], each)))
    for row in rows(template):
        each = [app(row, col) for col in columns]
        verdicts.append(("applications.row_total", row, holds([app(row, total)], each)))
    for p in proceedings():
        each = [c.get(("reviews", p, o)) for o in parts]
        verdicts.append(("reviews.total", p, holds([c.get(("reviews", p, review_total))], each)))
    signed = {m for m in codes()["measures"] if is_signed(m)}
    counts = [v for (t, _, k), v in c.items() if not (t == "disclosures" and k in signed)]
    present = [v for v in counts if v is not None]
    # a negative count breaks the rule whatever the nulls; otherwise every count is needed
    non_negative = False if any(v < 0 for v in present) else (None if len(present) < len(counts) else True)
    verdicts.append(("values.non_negative", "all", non_negative))
    return [{"rule": rule, "scope": scope, "holds": ok} for rule, scope, ok in verdicts]


def random_report(rng: random.Random, template: str | None = None) -> dict:
    """A random, internally consistent report in the gold JSON shape of the spec."""
    template = template or rng.choice(template_codes())
    tabled = template != "legacy"
    applications = _applications(rng, template) if tabled else []
    reviews = _reviews(rng) if tabled else []
    year = rng.randint(*year_range(template))
    report = {
        "report": {"year": year, "publisher": random_publisher(rng), "template": template},
        "disclosures": _disclosures(rng, template) if tabled else [],
        "applications": applications,
        "reviews": reviews,
        "narrative": _narrative(rng, template, applications, reviews),
    }
    report["reconciliation"] = reconcile(report)
    return report


def reports(template: str | None = None) -> st.SearchStrategy[dict]:
    """Hypothesis strategy of `random_report`, over every template unless one is given."""
    templates = st.just(template) if template else st.sampled_from(template_codes())
    return st.builds(random_report, st.randoms(use_true_random=False), templates)
