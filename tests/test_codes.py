"""schemas/codes.yaml is the spec's contract, written once, and the docs are generated from it."""

from __future__ import annotations

import re

from orchestration import codes, docs
from tests.gold import ROOT, SHARED

SPEC = (SHARED / "spec" / "report-model.md").read_text(encoding="utf-8")


def _spec_codes(heading: str) -> set[str]:
    """The backticked codes in the first column of the table under a spec heading."""
    section = SPEC.split(heading, 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z0-9_.]+)`", section, re.MULTILINE))


def test_codes_match_the_spec():
    c = codes.load()
    assert set(c.templates) == _spec_codes("## Templates")
    assert set(c.items) == _spec_codes("## Table `disclosures`")
    assert set(c.rows) == _spec_codes("## Table `applications`")
    assert set(c.facts) == _spec_codes("## Narrative facts")
    assert set(c.rules) == _spec_codes("## Reconciliation rules")
    applicants = re.findall(
        r"`([a-z_]+)` [\u4e00-\u9fff]", SPEC.split("Applicant columns", 1)[1].split("\n\n")[0]
    )
    assert list(c.applicants) == applicants
    reviews = SPEC.split("## Table `reviews`", 1)[1].split("\n## ", 1)[0]
    assert list(c.proceedings) == re.findall(r"`([a-z_]+)` (?:行政复议|未经复议直接起诉|复议后起诉)", reviews)
    assert list(c.outcomes) == re.findall(r"`([a-z]+)` (?:结果|其他|尚未|总计)", reviews)


def test_measures_of_every_item_exist():
    c = codes.load()
    for item in c.items.values():
        for measures in item.get("measures").values():
            assert set(measures) <= set(c.measures)


def test_rows_in_template_order_have_keywords():
    c = codes.load()
    assert c.template_rows("gb2021")[-2:] == ("total_processed", "carried_forward")
    assert len(c.template_rows("gb2021")) == 25
    assert len(c.template_rows("gb2019")) == 23
    assert all(row.match for row in c.rows.values())


def test_docs_are_generated_from_codes():
    committed = (ROOT / "docs" / "codes.md").read_text(encoding="utf-8")
    assert committed == docs.codes_page(codes.load()), "run `ogi docs` and commit docs/codes.md"
