"""Property tests: synthetic reports rendered as text parse back.

A fully printed rendering must parse back exactly; a rendering that lost empty
cells may leave cells null but must never carry a wrong or invented number.
The parser tests draw plain integer seeds (cheap to shrink); reproduce a failing
example with `python -m tests.synthetic.render_text SEED TEMPLATE STYLE [--lossy] [--thousands]`.
"""

from __future__ import annotations

import random
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from orchestration.parse import parse_text
from tests.synthetic.generate import (
    cells,
    random_report,
    reconcile,
    reports,
    rows,
    template_codes,
    year_range,
)
from tests.synthetic.render_text import Style, render_lossy, synthetic


def needs_parser(test):
    return test


META = ("year", "publisher", "template")
randoms = st.randoms(use_true_random=False)
seeds = st.integers(0, 2**32 - 1)
templates = st.sampled_from(template_codes())


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-9


def verdicts(doc: dict) -> dict[tuple[str, str], bool | None]:
    return {(r["rule"], r["scope"]): r["holds"] for r in doc.get("reconciliation") or []}


def meta_differences(truth: dict, parsed: dict) -> list[str]:
    return [
        f"report.{k}: expected {truth['report'][k]!r}, parsed {parsed['report'].get(k)!r}"
        for k in META
        if truth["report"][k] != parsed["report"].get(k)
    ]


def differences(truth: dict, parsed: dict) -> list[str]:
    """Everything that keeps `parsed` from being exactly `truth`."""
    out = meta_differences(truth, parsed)
    want, got = cells(truth), cells(parsed)
    for key in sorted(set(want) | set(got), key=str):
        if key not in got:
            out.append(f"cell {key}: expected {want[key]!r}, absent")
        elif key not in want:
            out.append(f"cell {key}: invented {got[key]!r}")
        elif not same(want[key], got[key]):
            out.append(f"cell {key}: expected {want[key]!r}, parsed {got[key]!r}")
    facts_want, facts_got = truth["narrative"], parsed.get("narrative") or {}
    for fact in sorted(set(facts_want) | set(facts_got)):
        if not same(facts_want.get(fact), facts_got.get(fact)):
            out.append(f"narrative.{fact}: expected {facts_want.get(fact)!r}, parsed {facts_got.get(fact)!r}")
    v_want, v_got = verdicts(truth), verdicts(parsed)
    for key in sorted(set(v_want) | set(v_got)):
        if v_want.get(key, "absent") != v_got.get(key, "absent"):
            out.append(f"rule {key}: expected {v_want.get(key, 'absent')}, parsed {v_got.get(key, 'absent')}")
    return out


def wrong_numbers(truth: dict, parsed: dict) -> list[str]:
    """Numbers in `parsed` that are not the truth: null is allowed, a different or invented value is not."""
    out = meta_differences(truth, parsed)
    want = cells(truth)
    for key, value in cells(parsed).items():
        if key not in want:
            out.append(f"cell {key}: invented {value!r}")
        elif value is not None and not same(value, want[key]):
            out.append(f"cell {key}: expected {want[key]!r} or null, parsed {value!r}")
    for fact, value in (parsed.get("narrative") or {}).items():
        if not same(value, truth["narrative"].get(fact)):
            out.append(
                f"narrative.{fact}: expected {truth['narrative'].get(fact)!r} or absent, parsed {value!r}"
            )
    v_want = verdicts(truth)
    for key, holds in verdicts(parsed).items():
        if holds is not None and v_want.get(key, "absent") != holds:
            out.append(f"rule {key}: expected {v_want.get(key, 'absent')} or null, parsed {holds}")
    return out


def check(problems: list[str], text: str) -> None:
    if problems:
        note(text)
        pytest.fail(f"{len(problems)} differences:\n  " + "\n  ".join(problems[:25]))


# --- the generator itself ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(report=reports())
def test_generated_reports_are_consistent(report):
    template, year = report["report"]["template"], report["report"]["year"]
    lo, hi = year_range(template)
    assert lo <= year <= hi
    assert report["reconciliation"] == reconcile(report)
    assert all(r["holds"] for r in report["reconciliation"])
    keys = cells(report)
    if template == "legacy":
        assert not keys and not report["reconciliation"]
    else:
        assert {k[1] for k in keys if k[0] == "applications"} == set(rows(template))
        assert all(v is not None for v in keys.values())


def test_every_template_is_generated():
    seen = {random_report(random.Random(seed))["report"]["template"] for seed in range(30)}
    assert seen == set(template_codes())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report=reports(), style=st.sampled_from(Style), rng=randoms)
def test_lossy_rendering_drops_only_zero_cells(report, style, rng):
    rendering = render_lossy(report, style, rng)
    assert rendering.truth is report
    assert all(cells(report)[k] == 0 for k in rendering.dropped)
    assert bool(rendering.dropped) == any(v == 0 for v in cells(report).values())


@settings(max_examples=60, deadline=None)
@given(template=templates, seed=seeds, style=st.sampled_from(Style), thousands=st.booleans())
def test_rendering_states_title_and_period(template, seed, style, thousands):
    rendering = synthetic(seed, template, style, thousands=thousands)
    folded = re.sub(r"\s", "", unicodedata.normalize("NFKC", rendering.text))
    year, publisher = rendering.truth["report"]["year"], rendering.truth["report"]["publisher"]
    assert f"{publisher}{year}年政府信息公开工作年度报告" in folded
    assert f"本报告中所列数据统计期限自{year}年1月1日起至{year}年12月31日止。" in folded


# --- the parser against the generator ---------------------------------------------------------------------


@needs_parser
@pytest.mark.parametrize("style", list(Style))
@settings(max_examples=250, deadline=None)
@given(template=templates, seed=seeds, thousands=st.booleans())
def test_full_rendering_parses_back_exactly(style, template, seed, thousands):
    rendering = synthetic(seed, template, style, thousands=thousands)
    check(differences(rendering.truth, parse_text(rendering.text).as_dict()), rendering.text)


@needs_parser
@pytest.mark.parametrize("style", list(Style))
@settings(max_examples=250, deadline=None)
@given(template=templates, seed=seeds, thousands=st.booleans())
def test_lossy_rendering_has_no_wrong_numbers(style, template, seed, thousands):
    rendering = synthetic(seed, template, style, lossy=True, thousands=thousands)
    check(wrong_numbers(rendering.truth, parse_text(rendering.text).as_dict()), rendering.text)
