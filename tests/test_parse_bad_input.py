"""Bad input ends as a typed error or a report with findings: never an uncaught exception or a hang."""

from __future__ import annotations

import contextlib
import random

import pytest

from orchestration.parse import errors, parse_bytes, parse_text
from tests.gold import SEEDS

SEED = (SEEDS / "002_4a271a9a9156ab49.txt").read_text(encoding="utf-8")


def test_empty_input_is_a_typed_error():
    with pytest.raises(errors.EmptyInput):
        parse_bytes(b"")
    with pytest.raises(errors.EmptyInput):
        parse_text(" \n\t ")


def test_binary_junk_is_a_typed_error():
    junk = random.Random(7).randbytes(20000)
    with pytest.raises(errors.ParseError):
        parse_bytes(junk)


def test_a_report_of_another_kind_is_rejected():
    text = "关于做好2023年防汛工作的通知\n各乡镇人民政府：为切实做好防汛工作，现将有关事项通知如下。\n" * 20
    with pytest.raises(errors.NotAReport):
        parse_text(text)


def test_huge_text_is_cut_with_a_finding():
    huge = SEED + "一是加强组织领导，二是强化督查考核。" * 2_800_000
    assert len(huge) > 50_000_000
    report = parse_text(huge)
    assert "input_truncated" in {f.code for f in report.findings}
    assert report.year == 2022


def test_huge_bytes_are_refused_before_decoding():
    with pytest.raises(errors.InputTooLarge):
        parse_bytes(SEED.encode("utf-8") + b" " * 50_000_000)


@pytest.mark.parametrize("fraction", [0.15, 0.35, 0.5, 0.62, 0.8])
def test_truncated_report_never_guesses(fraction):
    gold = parse_text(SEED).as_dict()
    cut = parse_text(SEED[: int(len(SEED) * fraction)]).as_dict()
    truth = {(t, *_keys(r)): _value(r) for t in ("disclosures", "applications", "reviews") for r in gold[t]}
    for table in ("disclosures", "applications", "reviews"):
        for rec in cut[table]:
            value = _value(rec)
            assert value is None or value == truth[(table, *_keys(rec))]
            if value is None:
                assert rec["null_reason"]


def test_every_byte_mutation_is_typed_or_parsed():
    rng = random.Random(11)
    data = bytearray(SEED.encode("utf-8"))
    for _ in range(200):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 40)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        with contextlib.suppress(errors.ParseError):
            parse_bytes(bytes(mutated))


def test_control_characters_and_nul_bytes():
    noisy = SEED.replace("\n", "\n\x00\x0b", 30)
    report = parse_text(noisy)
    assert report.template == "gb2021"
    assert [c.value for c in report.cells] == [c.value for c in parse_text(SEED).cells]


def _keys(rec):
    return [
        v for k, v in rec.items() if k in ("item", "measure", "row", "applicant", "proceeding", "outcome")
    ]


def _value(rec):
    return rec.get("value", rec.get("count"))


def _numbers(report) -> set[float]:
    found = {c.value for c in report.cells if c.value is not None}
    found |= {f.value for f in report.facts if f.value is not None}
    return found


@pytest.mark.parametrize(
    "digit", ["\uabf7", "\u0667", "\u096d", "\U0001d7d5"], ids=["meetei", "arabic", "devanagari", "math"]
)
def test_non_ascii_digits_are_never_read_into_a_number(digit):
    """Python's int() accepts any Unicode digit: a stray one before 623 once read as 7623."""
    import re

    mutated = re.sub(r"(?<![0-9])(?=[0-9])", digit, SEED)
    assert _numbers(parse_text(mutated)) <= _numbers(parse_text(SEED))


SOFT_404 = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>
<div class="nav"><a href="/">首页</a> | <a href="/zwgk/">政府信息公开</a>
| <a href="/zwgk/zn/">政府信息公开指南</a> | <a href="/zwgk/nb/">政府信息公开年度报告</a>
| <a href="/bs/">政务服务</a></div>
<div class="main">{body}</div>
<div class="side">相关链接 政府信息公开制度 法定主动公开内容 2023年政府信息公开工作年度报告</div>
<div class="foot">主办：某县人民政府办公室 网站标识码：5209738354</div></body></html>"""


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("页面不存在", "<h1>404</h1><p>抱歉，您访问的页面不存在或已被删除！</p><p>5秒后返回首页</p>"),
        ("错误", "<h1>系统错误</h1><p>服务器繁忙，请稍后再试。error code: 500</p>"),
        ("政府信息公开年度报告", "<ul><li>2023年度报告</li><li>2022年度报告</li><li>2021年度报告</li></ul>"),
    ],
    ids=["soft-404", "error-page", "index-page"],
)
def test_a_page_that_only_names_the_report_is_not_a_report(title, body):
    """Served with status 200, its navigation says 政府信息公开 and 年度报告: no all-null report from it."""
    with pytest.raises(errors.NotAReport):
        parse_bytes(SOFT_404.format(title=title, body=body).encode("utf-8"))


def test_a_report_with_the_same_navigation_is_still_a_report():
    nav = "首页 | 政府信息公开 | 政府信息公开指南 | 政府信息公开年度报告 | 页面不存在请返回首页\n"
    assert [c.value for c in parse_text(nav + SEED).cells] == [c.value for c in parse_text(SEED).cells]
