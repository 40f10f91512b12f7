"""The dbt marts, built through Dagster on the bundled catalog: tests pass, nulls survive, no drift."""

from __future__ import annotations

import json

import duckdb
import pytest
import yaml

from orchestration import tables
from orchestration.layout import Layout
from orchestration.modelling import generate, project
from tests.gold import SEEDS, TABLES, load

MARTS = {"disclosures": "fct_disclosures", "applications": "fct_applications", "reviews": "fct_litigation"}
_DUCK_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}


@pytest.fixture
def con(sample_build):
    data, _ = sample_build
    with duckdb.connect(str(Layout(data).warehouse), read_only=True) as con:
        yield con


def _dbt_checks(results):
    return [
        e
        for r in results
        for e in r.get_asset_check_evaluations()
        if e.asset_key.path[-1] in tables.PUBLISHED or e.asset_key.path[-1].startswith("stg_")
    ]


def test_every_mart_is_materialised_and_every_error_level_test_passes(sample_build):
    _, results = sample_build
    keys = {m.asset_key.path[-1] for r in results for m in r.get_asset_materialization_events()}
    assert set(tables.PUBLISHED) <= keys
    checks = _dbt_checks(results)
    assert len(checks) > 50
    failing = [c.check_name for c in checks if not c.passed and c.severity.value == "ERROR"]
    assert failing == []


def test_warn_level_rule_tests_report_exactly_the_parsers_violations(sample_build, con):
    _, results = sample_build
    warned = {c.check_name for c in _dbt_checks(results) if not c.passed} - {"carryover_holds"}
    stored = set()
    for name in generate.rule_tests():
        relation = f"audit.{name.removesuffix('.sql')}"
        stored |= set(con.execute(f"SELECT report_id, rule, scope FROM {relation}").fetchall())
    parser = set(
        con.execute("SELECT report_id, rule, scope FROM staging.reconciliation WHERE NOT holds").fetchall()
    )
    assert parser, "the bundled catalog has known violations (seed 000)"
    assert stored == parser
    assert {rule.replace(".", "__") for _, rule, _ in parser} == warned


def test_marts_hold_the_gold_cells_nulls_and_all(con):
    for path in sorted((SEEDS / "gold").glob("*.json")):
        gold = load(path)
        report_id = f"seed-{path.stem}"
        for table, (keys, field) in TABLES.items():
            got = con.execute(
                f"SELECT {', '.join(keys)}, {field} FROM marts.{MARTS[table]} WHERE report_id = ?",
                [report_id],
            ).fetchall()
            expected = {tuple(rec[k] for k in keys): rec[field] for rec in gold[table]}
            assert {tuple(row[:-1]): row[-1] for row in got} == expected, (report_id, table)
    n = con.execute(
        "SELECT count(*) FROM marts.fct_applications WHERE report_id = 'seed-002_4a271a9a9156ab49'"
    ).fetchone()
    assert n == (175,)


def test_a_null_stays_null_with_its_reason(con):
    for table, (_, field) in TABLES.items():
        staged = con.execute(f"SELECT count(*) FROM staging.{table} WHERE {field} IS NULL").fetchone()[0]
        mart = con.execute(f"SELECT count(*) FROM marts.{MARTS[table]} WHERE {field} IS NULL").fetchone()[0]
        assert mart == staged
        unexplained = con.execute(
            f"SELECT count(*) FROM marts.{MARTS[table]} WHERE {field} IS NULL AND null_reason IS NULL"
        ).fetchone()[0]
        assert unexplained == 0
    assert con.execute("SELECT count(*) FROM marts.fct_applications WHERE count IS NULL").fetchone()[0] > 0


def test_dim_reports_counts_findings_and_labels_rows(con):
    rows = con.execute("SELECT report_id, findings FROM marts.dim_reports ORDER BY 1").fetchall()
    staged = dict(con.execute("SELECT report_id, count(*) FROM staging.findings GROUP BY 1").fetchall())
    mismatches = dict(
        con.execute(
            "SELECT report_id, count(*) FROM marts.fct_findings WHERE code = 'carryover_mismatch' GROUP BY 1"
        ).fetchall()
    )
    assert len(rows) == len(list((SEEDS / "gold").glob("*.json"))) + _extra_reports(con)
    for report_id, findings in rows:
        assert findings == staged.get(report_id, 0) + mismatches.get(report_id, 0)
    single = con.execute(
        "SELECT DISTINCT row FROM marts.fct_applications WHERE single_template_row ORDER BY 1"
    ).fetchall()
    assert ("other_processing",) in single or ("other_misc",) in single
    assert ("granted",) not in single


def _extra_reports(con) -> int:
    """Reports of the bundled catalog that are not seeds (rendered samples)."""
    return con.execute("SELECT count(*) FROM marts.dim_reports WHERE report_id NOT LIKE 'seed-%'").fetchone()[
        0
    ]


def test_generated_dbt_files_are_current():
    for path, text in generate.files().items():
        assert path.read_text(encoding="utf-8") == text, f"run `ogi docs` and commit {path.name}"


def test_columns_agree_in_schemas_dbt_yml_and_warehouse(con):
    declared = yaml.safe_load(
        (generate.DBT_DIR / "models" / "marts" / "_marts.yml").read_text(encoding="utf-8")
    )
    models = {m["name"]: m for m in declared["models"]}
    manifest = json.loads(project.MANIFEST.read_text(encoding="utf-8"))
    for name in tables.PUBLISHED:
        fields = tables.schema(name)["fields"]
        expected = [(f["name"], _DUCK_TYPES[f["type"]]) for f in fields]
        assert [c["name"] for c in models[name]["columns"]] == [n for n, _ in expected]
        node = manifest["nodes"][f"model.ogi_reports.{name}"]
        assert list(node["columns"]) == [n for n, _ in expected]
        built = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'marts' AND table_name = ? ORDER BY ordinal_position",
            [name],
        ).fetchall()
        assert built == expected, name


def test_a_drifted_column_is_caught(monkeypatch):
    """The drift check is real: a column renamed in a schema no longer matches the generated yml."""
    original = tables.schema("fct_litigation")
    drifted = {**original, "fields": [{**original["fields"][0], "name": "report"}, *original["fields"][1:]]}
    monkeypatch.setattr(tables, "schema", lambda name: drifted if name == "fct_litigation" else original)
    marts = {m["name"]: m for m in generate.marts_yml()["models"]}
    assert marts["fct_litigation"]["columns"][0]["name"] == "report"
    committed = (generate.DBT_DIR / "models" / "marts" / "_marts.yml").read_text(encoding="utf-8")
    assert generate.files()[generate.DBT_DIR / "models" / "marts" / "_marts.yml"] != committed


def test_the_manifest_is_not_reparsed_when_current():
    project.ensure_manifest()
    stamp = project.MANIFEST.stat().st_mtime_ns
    assert project.manifest_is_current()
    project.ensure_manifest()
    assert project.MANIFEST.stat().st_mtime_ns == stamp


def test_definitions_load_with_the_dbt_assets():
    from dagster import AssetKey

    from orchestration.defs import defs

    keys = defs.resolve_asset_graph().get_all_asset_keys()
    assert {AssetKey(["marts", name]) for name in tables.PUBLISHED} <= keys
    assert {AssetKey(["staging", name]) for name in generate.STAGED_SOURCES} <= keys
    graph = defs.resolve_asset_graph()
    downstream = [AssetKey(["staging", "reports"]), AssetKey(["marts", "dim_reports"])]
    assert all(graph.get(key).automation_condition is not None for key in downstream)


def test_a_carry_over_mismatch_between_years_is_a_finding(sample_build, con):
    """The bundled sample county's 2024 report carries over 3 more natural-person requests than 2023 left."""
    _, results = sample_build
    pairs = con.execute(
        "SELECT report_id, next_report_id, applicant, carried_forward, next_carried_over "
        "FROM marts.fct_carryover WHERE NOT holds ORDER BY applicant"
    ).fetchall()
    assert pairs == [
        ("sample_county_2023", "sample_county_2024", "natural_person", 5, 8),
        ("sample_county_2023", "sample_county_2024", "total", 5, 8),
    ]
    findings = con.execute(
        "SELECT report_id, scope FROM marts.fct_findings WHERE code = 'carryover_mismatch' ORDER BY scope"
    ).fetchall()
    assert findings == [
        ("sample_county_2024", "carryover:natural_person"),
        ("sample_county_2024", "carryover:total"),
    ]
    assert "carryover_holds" in {c.check_name for c in _dbt_checks(results) if not c.passed}
    holds = con.execute("SELECT count(*) FROM marts.fct_carryover WHERE holds").fetchone()[0]
    assert holds > 0
