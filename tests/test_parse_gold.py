"""Every cell, null, fact and verdict of the seeds and the real reports, exactly as gold."""

from __future__ import annotations

import subprocess
import sys

import pytest

from orchestration.parse import parse_bytes, parse_text
from tests.gold import REAL, ROOT, SEEDS, SHARED, differences, load

SEED_TEXTS = sorted(SEEDS.glob("*.txt"))
REAL_TEXTS = sorted((REAL / "text").glob("*.txt"))


def test_fixtures_present():
    assert len(SEED_TEXTS) == 5
    assert len(REAL_TEXTS) == 3, "../shared/real/text is read in place and must exist"


@pytest.mark.parametrize("path", SEED_TEXTS, ids=lambda p: p.stem)
def test_seed_matches_gold(path):
    parsed = parse_text(path.read_text(encoding="utf-8")).as_dict()
    assert differences(load(SEEDS / "gold" / f"{path.stem}.json"), parsed) == []


@pytest.mark.parametrize("path", REAL_TEXTS, ids=lambda p: p.stem)
def test_real_text_matches_gold(path):
    parsed = parse_bytes(path.read_bytes()).as_dict()
    assert differences(load(REAL / "gold" / f"{path.stem}.json"), parsed) == []


@pytest.mark.parametrize(
    ("inputs", "gold"),
    [(SEED_TEXTS, SEEDS / "gold"), (REAL_TEXTS, REAL / "gold")],
    ids=["seeds", "real-text"],
)
def test_cli_output_scores_strict(tmp_path, inputs, gold):
    ogi = ROOT / ".venv" / "bin" / "ogi"
    subprocess.run([str(ogi), "parse", *map(str, inputs), "--out", str(tmp_path)], check=True)
    score = subprocess.run(
        [sys.executable, str(SHARED / "tools" / "score_parse.py"), str(gold), str(tmp_path), "--strict"],
        capture_output=True,
        text=True,
    )
    assert score.returncode == 0, score.stdout


def test_every_cell_carries_provenance_or_reason():
    report = parse_text((SEEDS / "004_1517837ce4499e82.txt").read_text(encoding="utf-8"))
    for cell in report.cells:
        assert cell.span is not None
        assert (cell.value is None) == (cell.null_reason is not None)
    text = (SEEDS / "004_1517837ce4499e82.txt").read_text(encoding="utf-8")
    placed = [c for c in report.cells if c.value is not None]
    assert placed
    for cell in placed:
        assert text[cell.span.start : cell.span.end].strip().replace(",", "") == str(cell.value)


def test_seed_000_violations_are_findings_not_corrections():
    report = parse_text((SEEDS / "000_b423b0293a9d3bd4.txt").read_text(encoding="utf-8"))
    broken = {f.scope for f in report.findings if f.code == "rule_violation"}
    assert broken == {
        "applications.balance:natural_person",
        "applications.balance:total",
        "applications.outcomes_sum:natural_person",
        "applications.outcomes_sum:total",
    }
    total = {c.keys[1]: c.value for c in report.cells if c.keys[0] == "total_processed"}
    assert total["natural_person"] == 0


def test_prose_table_disagreement_is_a_finding():
    report = parse_bytes((REAL / "text" / "hongze_district_2024.txt").read_bytes())
    found = [f for f in report.findings if f.code == "prose_table_disagreement"]
    assert [f.scope for f in found] == ["narrative:applications_received"]
    assert "17" in found[0].message and "95" in found[0].message


def test_a_group_label_between_a_wrapped_row_and_its_numbers_does_not_move_them():
    """（六）其他处理 printed inside the wrapped label of 三（六）2: its numbers stay with that row."""
    lines = (SEEDS / "002_4a271a9a9156ab49.txt").read_text(encoding="utf-8").split("\n")
    start, end = lines.index("(六)其他处理"), lines.index("(七)总计")
    block = [
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请  2 0 0 0 0 0 2",
        "2.申请人逾期未按收费通知要求缴纳费",
        "(六)其他处理",
        "用、行政机关不再处理其政府信息公  3 0 0 0 0 0 3",
        "开申请",
        "3.其他  149 0 0 0 0 0 149",
    ]
    doc = parse_text("\n".join([*lines[:start], *block, *lines[end:]])).as_dict()
    got = {(c["row"], c["applicant"]): c["count"] for c in doc["applications"]}
    assert got[("other_no_correction", "total")] == 2
    assert got[("other_unpaid_fee", "total")] == 3
    assert got[("other_misc", "total")] == 149
