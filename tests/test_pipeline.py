"""The whole pipeline in-process on the bundled catalog: every asset and check; a rebuild does nothing."""

from __future__ import annotations

import duckdb
import pytest

from orchestration import codes, pipeline
from orchestration.build import build
from orchestration.checks.expectations import run_suites
from orchestration.layout import DEFAULT_CATALOG, Layout
from tests.gold import SEEDS, load


@pytest.fixture
def built(sample_build):
    return sample_build


def _count(data, sql):
    with duckdb.connect(str(Layout(data).warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_run_and_check_succeeds(built):
    _, results = built
    assert results and all(r.success for r in results)
    checks = [e for r in results for e in r.get_asset_check_evaluations()]
    names = {c.check_name for c in checks}
    assert "contract_applications" in names and "rule_applications_balance" in names
    assert all(c.passed for c in checks if c.check_name.startswith("contract_"))
    agree = [c for c in checks if c.check_name == "rules_agree_with_parser"]
    assert agree and agree[0].passed


def test_row_counts_match_the_gold(built):
    data, _ = built
    golds = {p.stem: load(p) for p in sorted((SEEDS / "gold").glob("*.json"))}
    seeds = "report_id LIKE 'seed-%'"
    assert _count(data, f"SELECT count(*) FROM staging.reports WHERE {seeds}") == [(len(golds),)]
    for table in ("disclosures", "applications", "reviews"):
        expected = sum(len(g[table]) for g in golds.values())
        assert _count(data, f"SELECT count(*) FROM staging.{table} WHERE {seeds}") == [(expected,)]
    nulls = sum(1 for g in golds.values() for rec in g["applications"] if rec["count"] is None)
    got = _count(data, f"SELECT count(*) FROM staging.applications WHERE count IS NULL AND {seeds}")
    assert got == [(nulls,)]
    catalog = len(DEFAULT_CATALOG.read_text(encoding="utf-8").splitlines()) - 1
    assert _count(data, "SELECT count(*) FROM staging.reports") == [(catalog,)]
    assert _count(data, "SELECT count(*) FROM staging.parse_failures") == [(0,)]
    forms = _count(data, "SELECT DISTINCT form FROM staging.reports ORDER BY 1")
    assert forms == [("docx",), ("html",), ("pdf",), ("text",)]


def test_seed_000_violations_are_findings(built):
    data, _ = built
    rows = _count(
        data,
        "SELECT DISTINCT rule FROM staging.reconciliation_findings "
        "WHERE report_id = 'seed-000_b423b0293a9d3bd4' ORDER BY 1",
    )
    assert rows == [("applications.balance",), ("applications.outcomes_sum",)]
    parser = _count(
        data,
        "SELECT count(*) FROM staging.findings "
        "WHERE report_id = 'seed-000_b423b0293a9d3bd4' AND code = 'rule_violation'",
    )
    assert parser == [(4,)]


def test_the_suites_give_the_same_verdicts_a_chunk_at_a_time(built):
    """GE runs over the rule operands a chunk at a time: any split gives the verdicts of the whole."""
    data, _ = built
    layout = Layout(data)
    (operands,) = pipeline.rule_operands(layout)
    whole = run_suites([operands], codes.load())
    pieces = [operands.iloc[i : i + 37] for i in range(0, len(operands), 37)]
    assert len(pieces) > 3 and run_suites(pieces, codes.load()) == whole
    assert sum(r.evaluated for r in whole) == len(operands)
    violations = {(rid, r.rule, scope) for r in whole for rid, scope in r.violations}
    assert violations and violations == pipeline.parser_violations(layout)


def test_rebuild_runs_nothing_and_changes_nothing(built):
    data, _ = built
    layout = Layout(data)
    before = {p: p.read_bytes() for p in sorted((data / "staged").rglob("*.parquet"))}
    attempts = len(pipeline.manifest(layout).rows())
    assert build(data, DEFAULT_CATALOG) == []
    assert len(pipeline.manifest(layout).rows()) == attempts
    after = {p: p.read_bytes() for p in sorted((data / "staged").rglob("*.parquet"))}
    assert after == before


def test_a_deleted_raw_file_is_fetched_again_alone(built):
    data, _ = built
    layout = Layout(data)
    log = pipeline.manifest(layout)
    attempts = len(log.rows())
    victim = next((data / "raw").rglob("*"))
    while victim.is_dir():
        victim = next(victim.iterdir())
    victim.unlink()
    build(data, DEFAULT_CATALOG)
    rows = log.rows()
    assert len(rows) == attempts + 1
    assert rows[-1]["sha256"] == victim.name
    assert victim.exists()


def _sensor_runs(catalog, cursor):
    from dagster import build_sensor_context

    from orchestration.defs.resources import OgiResource
    from orchestration.defs.sensors import catalog_sensor

    ogi = OgiResource(catalog=str(catalog), data_dir=str(catalog.parent / "data"))
    context = build_sensor_context(cursor=cursor, resources={"ogi": ogi})
    requests = [r for r in catalog_sensor(context) if hasattr(r, "partition_key")]
    return sorted(r.partition_key for r in requests), context.cursor


def test_the_catalog_sensor_refreshes_only_years_with_new_rows(tmp_path):
    catalog = tmp_path / "catalog.csv"
    original = DEFAULT_CATALOG.read_text(encoding="utf-8")
    catalog.write_text(original, encoding="utf-8")
    years, cursor = _sensor_runs(catalog, None)
    assert years == sorted({line.split(",")[2] for line in original.splitlines()[1:]})
    assert _sensor_runs(catalog, cursor)[0] == []
    catalog.write_text(original + "new-report-2023,某县人民政府,2023,https://example.org/r.html,,html\n")
    assert _sensor_runs(catalog, cursor)[0] == ["2023"]
