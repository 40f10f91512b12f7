"""Publishing: a valid, checksummed, byte-reproducible and immutable data package, versioned by the rule.

The warehouses here are built from the published schemas by tests/marts.py
(nulls next to zeros, text with quotes and newlines). One history is
published once per module: 1.0.0, then a corrected value (patch), then a
grown catalog (minor).
"""

from __future__ import annotations

import contextlib
import copy
import csv
import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import frictionless
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration import codes, tables
from orchestration.build import build
from orchestration.cli import main
from orchestration.defs.resources import OgiResource
from orchestration.fetch import load_catalog
from orchestration.layout import DEFAULT_CATALOG, Layout
from orchestration.parse import parse_bytes
from orchestration.publish import dictionary, package, publish, write
from orchestration.publish.diff import diff
from orchestration.publish.errors import ChecksumMismatch, InvalidData, MartMismatch, ReleaseExists
from orchestration.publish.release import Release, open_release
from orchestration.publish.validate import validate
from orchestration.publish.version import Version, level
from orchestration.publish.write import differing_files
from tests.gold import ROOT
from tests.marts import REPORTS, marts, write_warehouse

CREATED = "2026-11-23"


def _corrected() -> dict[str, list[dict]]:
    """REPORTS with report r-b corrected: one count, and the rule verdict and finding it implies."""
    rows = marts(REPORTS)
    for r in rows["fct_applications"]:
        if (r["report_id"], r["row"], r["applicant"]) == ("r-b", "new_received", "total"):
            r["count"] = 9
    for r in rows["fct_reconciliation"]:
        if (r["report_id"], r["rule"]) == ("r-b", "applications.row_total"):
            r.update(lhs=9.0, holds=False)
    rows["fct_findings"].append(
        {
            "report_id": "r-b",
            "seq": 1,
            "code": "rule_violation",
            "severity": "warning",
            "message": "applications.row_total: 9 != 7",
            "scope": "applications.row_total:new_received",
        }
    )
    return rows


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """A repository root with dist/ holding 1.0.0, 1.0.1 (r-b corrected), 1.1.0 (r-d added)."""
    root = tmp_path_factory.mktemp("repo")
    dist = root / "dist"
    first = write_warehouse(root / "w1" / "ogi.duckdb", marts(REPORTS))
    second = write_warehouse(root / "w2" / "ogi.duckdb", _corrected())
    grown = _corrected()
    for name, part in marts([("r-d", "丙市人民政府", 2023)]).items():
        if name != "dim_codes":
            grown[name] += part
    third = write_warehouse(root / "w3" / "ogi.duckdb", grown)
    results = [
        publish(first, dist, CREATED),
        publish(second, dist, "2026-12-01"),
        publish(third, dist, "2027-02-01"),
    ]
    return root, results, (first, second, third)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_versions_follow_the_rule(history):
    _, (first, patch, minor), _ = history
    assert (first.version, first.new, first.previous) == ("1.0.0", True, None)
    assert (patch.version, patch.level, patch.previous) == ("1.0.1", "patch", "1.0.0")
    assert (minor.version, minor.level, minor.previous) == ("1.1.0", "minor", "1.0.1")
    assert [r[0] for r in minor.changes.reports_added] == ["r-d"]
    assert not minor.changes.cells and not minor.changes.reports_removed


def test_frictionless_validates_every_release(history):
    root, results, _ = history
    for r in results:
        report = frictionless.validate(str(r.path / "datapackage.json"))
        assert report.valid, report.flatten(["type", "message"])[:5]
        assert validate(r.path) == []
    pointer = frictionless.validate(str(root / "datapackage.json"))
    assert pointer.valid and len(pointer.tasks) == len(tables.PUBLISHED)


def test_hashes_and_sizes_are_those_of_the_files(history):
    _, (first, *_), _ = history
    doc = json.loads((first.path / "datapackage.json").read_text(encoding="utf-8"))
    listed = [*doc["resources"], *doc["ogi:files"]]
    for entry in listed:
        path = first.path / entry["path"]
        assert entry["bytes"] == path.stat().st_size
        assert entry["hash"] == f"sha256:{_sha(path)}"
    on_disk = {p.name for p in first.path.iterdir()}
    assert on_disk == {e["path"] for e in listed} | {"datapackage.json"}
    assert {e["path"] for e in listed} >= {
        f"{n}.{ext}" for n in tables.PUBLISHED for ext in ("csv", "parquet")
    }


def test_descriptor_is_a_v2_package_from_the_schemas(history):
    _, (first, *_), _ = history
    doc = json.loads((first.path / "datapackage.json").read_text(encoding="utf-8"))
    assert doc["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert (doc["version"], doc["created"]) == ("1.0.0", "2026-11-23T00:00:00Z")
    for key in ("name", "title", "description", "licenses", "sources", "contributors", "keywords"):
        assert doc[key] == package.metadata()[key]
    assert [r["name"] for r in doc["resources"]] == list(tables.PUBLISHED)
    for r in doc["resources"]:
        assert (r["type"], r["format"], r["mediatype"], r["encoding"]) == (
            "table",
            "csv",
            "text/csv",
            "utf-8",
        )
        schema = tables.schema(r["name"])
        assert r["schema"]["fields"] == schema["fields"]
        assert r["schema"]["primaryKey"] == schema["primaryKey"]
        assert r["schema"].get("foreignKeys") == schema.get("foreignKeys")
        assert r["schema"]["missingValues"] == [""]
        assert not any("codes" in f or "zh" in f for f in r["schema"]["fields"])
    enum = next(f for f in doc["resources"][2]["schema"]["fields"] if f["name"] == "row")
    assert enum["constraints"]["enum"] == list(codes.load().rows)


def _csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_nulls_stay_apart_from_zeros_and_integers_print_as_integers(history):
    _, (first, *_), _ = history
    apps = {(r["report_id"], r["row"], r["applicant"]): r for r in _csv(first.path / "fct_applications.csv")}
    assert apps[("r-a", "new_received", "natural_person")]["count"] == "0"
    assert apps[("r-a", "carried_over", "total")]["count"] == ""
    assert apps[("r-a", "carried_over", "total")]["null_reason"] == "printed_blank"
    disclosures = _csv(first.path / "fct_disclosures.csv")
    assert sorted({r["value"] for r in disclosures}) == ["", "0", "12.5"]
    rec = _csv(first.path / "fct_reconciliation.csv")
    assert {(r["holds"], r["lhs"]) for r in rec} == {("", ""), ("true", "7")}
    package_ = frictionless.Package(str(first.path / "datapackage.json"))
    counts = {
        (r["report_id"], r["row"], r["applicant"]): r["count"]
        for r in package_.get_resource("fct_applications").read_rows()
    }
    assert counts[("r-a", "carried_over", "total")] is None
    assert counts[("r-a", "new_received", "natural_person")] == 0


def test_columns_in_schema_order_rows_in_key_order_text_round_trips(history):
    _, (first, *_), _ = history
    for name in tables.PUBLISHED:
        with (first.path / f"{name}.csv").open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        assert rows[0] == tables.columns(name)
        key = [rows[0].index(k) for k in tables.primary_key(name)]
        types = {f["name"]: f["type"] for f in tables.schema(name)["fields"]}
        keyed = [tuple(int(r[i]) if types[rows[0][i]] == "integer" else r[i] for i in key) for r in rows[1:]]
        assert keyed == sorted(keyed) and len(set(keyed)) == len(keyed)
    narrative = _csv(first.path / "fct_narrative.csv")
    assert narrative[0]["text"] == '收到申请7件，"其中"\n依申请公开, 共7件'


def test_building_twice_gives_byte_identical_releases(tmp_path):
    rows = marts(REPORTS)
    a = publish(write_warehouse(tmp_path / "a" / "ogi.duckdb", rows), tmp_path / "a" / "dist", CREATED)
    b = publish(
        write_warehouse(tmp_path / "b" / "ogi.duckdb", rows, reverse=True), tmp_path / "b" / "dist", CREATED
    )
    assert (a.version, b.version) == ("1.0.0", "1.0.0")
    assert differing_files(a.path, b.path) == []
    for name in ("datapackage.json", "CHANGELOG.md"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_same_data_reuse_the_latest_release(history):
    root, results, (_, _, third) = history
    before = {p.name: p.read_bytes() for p in results[-1].path.iterdir()}
    again = publish(third, root / "dist", "2028-01-01")
    assert (again.version, again.new, again.created) == ("1.1.0", False, "2027-02-01T00:00:00Z")
    assert {p.name: p.read_bytes() for p in results[-1].path.iterdir()} == before
    assert sorted(p.name for p in (root / "dist").iterdir()) == ["1.0.0", "1.0.1", "1.1.0"]


def test_changed_data_under_an_existing_version_is_refused(history):
    root, results, (first, second, _) = history
    before = {p.name: p.read_bytes() for p in results[0].path.iterdir()}
    with pytest.raises(ReleaseExists, match=r"1\.0\.0 already exists.*fct_applications\.csv.*immutable"):
        publish(second, root / "dist", CREATED, version_="1.0.0")
    assert {p.name: p.read_bytes() for p in results[0].path.iterdir()} == before
    assert not [p for p in (root / "dist").iterdir() if p.name.startswith(".")]
    same = publish(first, root / "dist", "2030-01-01", version_="1.0.0")
    assert (same.version, same.new) == ("1.0.0", False)


def test_diff_lists_exactly_the_corrected_report_cells(history, capsys):
    root, results, _ = history
    changes = results[1].changes
    cells = {(c.table, tuple(v for _, v in c.key), c.column, c.old, c.new) for c in changes.cells}
    assert cells == {
        ("fct_applications", ("r-b", "new_received", "total"), "count", 7, 9),
        ("fct_reconciliation", ("r-b", "applications.row_total", "new_received"), "lhs", 7.0, 9.0),
        ("fct_reconciliation", ("r-b", "applications.row_total", "new_received"), "holds", True, False),
    }
    assert changes.findings_added == [
        ("r-b", "rule_violation", "applications.row_total:new_received", "applications.row_total: 9 != 7")
    ]
    assert not (changes.findings_resolved or changes.rows_added or changes.rows_removed or changes.schema)
    assert main(["diff", "1.0.0", "1.0.1", "--dist", str(root / "dist")]) == 0
    out = capsys.readouterr().out
    table = out.split("### Cells changed (3)", 1)[1].split("###", 1)[0]
    listed = [line for line in table.splitlines() if line.startswith("| fct_")]
    assert listed == [
        "| fct_applications | r-b · new_received · total | count | 7 | 9 |",
        "| fct_reconciliation | r-b · applications.row_total · new_received | holds | true | false |",
        "| fct_reconciliation | r-b · applications.row_total · new_received | lhs | 7 | 9 |",
    ]
    changelog = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    assert [m for m in re.findall(r"^## (\S+)", changelog, re.MULTILINE)] == ["1.1.0", "1.0.1", "1.0.0"]
    assert "| fct_applications | r-b · new_received · total | count | 7 | 9 |" in changelog


def test_schema_changes_set_the_level(history):
    _, (first, *_), _ = history
    old = open_release(first.path)
    doc = copy.deepcopy(old.descriptor)
    fields = doc["resources"][0]["schema"]["fields"]
    fields.append({"name": "extra", "type": "string"})
    appended = diff(Release(old.descriptor, None), Release(doc, None))
    assert [(c.table, c.column, c.level) for c in appended.schema] == [("dim_reports", "extra", "minor")]
    assert level(appended) == "minor"
    fields[3]["type"] = "number"
    retyped = diff(Release(old.descriptor, None), Release(doc, None))
    assert level(retyped) == "major"
    del doc["resources"][1]
    assert level(diff(Release(old.descriptor, None), Release(doc, None))) == "major"
    assert Version.parse("1.2.3").bump("minor") == Version(1, 3, 0)


def test_a_changed_duckdb_script_is_a_patch_and_a_broken_one_fails_validation(history, tmp_path):
    _, (first, *_), _ = history
    copy_ = tmp_path / "1.0.0"
    shutil.copytree(first.path, copy_)
    keys = copy_ / "keys.sql"
    keys.write_text(keys.read_text(encoding="utf-8").replace('("report_id");', '("no_such_column");', 1))
    doc = package.load(copy_ / "datapackage.json")
    entry = next(f for f in doc[package.FILES] if f["path"] == "keys.sql")
    info = write.file_info(keys, "keys.sql")
    entry["bytes"], entry["hash"] = info.bytes, info.hash
    (copy_ / "datapackage.json").write_bytes(package.dumps(doc))
    changed = diff(open_release(first.path), open_release(copy_))
    assert changed.files == ["keys.sql"] and changed.data_compared
    assert level(changed) == "patch"
    problems = validate(copy_, frictionless=False)
    assert [(p.check, p.where) for p in problems] == [("duckdb", "IMPORT DATABASE")]
    assert "no_such_column" in problems[0].message


def test_checksums_are_verified_on_read(history, tmp_path):
    _, (first, *_), _ = history
    copy_ = tmp_path / "1.0.0"
    shutil.copytree(first.path, copy_)
    path = copy_ / "fct_applications.csv"
    path.write_bytes(path.read_bytes().replace(b",7,", b",8,", 1))
    with pytest.raises(ChecksumMismatch, match=r"fct_applications\.csv"):
        open_release(copy_)
    problems = validate(copy_)
    assert problems and all(p.check == "checksum" for p in problems)
    assert main(["validate", str(copy_), "--no-frictionless"]) == 1


def test_streamed_parquet_is_what_pyarrow_writes_for_the_whole_table(tmp_path, monkeypatch):
    """Tables stream in batches that do not line up with row groups; the bytes must not depend on it."""
    monkeypatch.setattr(write, "ROW_GROUP", 7)
    monkeypatch.setattr(write, "_BATCH", 5)
    rows = marts(REPORTS)
    rows["fct_carryover"] = []
    warehouse = write_warehouse(tmp_path / "w" / "ogi.duckdb", rows)
    with write.open_marts(warehouse) as con:
        for name in tables.PUBLISHED:
            folder = tmp_path / name
            folder.mkdir()
            write.write_table(con, name, folder)
            whole = pa.Table.from_batches(list(write.batches(con, name)), tables.arrow_schema(name))
            pq.write_table(
                whole.combine_chunks(),
                folder / "whole.parquet",
                compression="zstd",
                write_statistics=True,
                row_group_size=7,
            )
            streamed = pq.ParquetFile(folder / f"{name}.parquet")
            assert streamed.metadata.num_rows == len(rows[name])
            assert streamed.num_row_groups == max(1, -(-len(rows[name]) // 7))
            assert (folder / f"{name}.parquet").read_bytes() == (folder / "whole.parquet").read_bytes(), name
            assert len(_csv(folder / f"{name}.csv")) == len(rows[name])


def test_invalid_data_and_wrong_marts_are_refused(tmp_path):
    rows = marts(REPORTS)
    rows["fct_applications"].append(dict(rows["fct_applications"][0]))
    rows["fct_findings"][0]["report_id"] = "nobody"
    bad = write_warehouse(tmp_path / "bad" / "ogi.duckdb", rows)
    with pytest.raises(InvalidData) as err:
        publish(bad, tmp_path / "dist", CREATED)
    assert any("primary-key" in p and "fct_applications" in p for p in err.value.problems)
    assert any("foreign-key" in p and "fct_findings" in p for p in err.value.problems)
    assert not (tmp_path / "dist").exists()
    with duckdb.connect(str(bad)) as con:
        con.execute("ALTER TABLE marts.dim_reports ALTER cells TYPE DOUBLE")
    with pytest.raises(MartMismatch, match=r"marts\.dim_reports"):
        publish(bad, tmp_path / "dist", CREATED)
    with pytest.raises(MartMismatch, match="no warehouse"):
        publish(tmp_path / "none.duckdb", tmp_path / "dist", CREATED)


def test_an_out_of_range_value_fails_frictionless_and_is_not_installed(tmp_path):
    rows = marts(REPORTS)
    rows["dim_reports"][0]["catalog_year"] = 1999
    with pytest.raises(InvalidData, match="frictionless"):
        publish(write_warehouse(tmp_path / "w" / "ogi.duckdb", rows), tmp_path / "dist", CREATED)
    assert not any((tmp_path / "dist").iterdir())


def test_a_fresh_clone_rebuilds_the_committed_release_byte_for_byte(history, tmp_path):
    root, results, (_, _, third) = history
    clone = tmp_path / "clone"
    clone.mkdir()
    shutil.copy(root / "datapackage.json", clone / "datapackage.json")
    shutil.copy(root / "CHANGELOG.md", clone / "CHANGELOG.md")
    again = publish(third, clone / "dist", "2031-01-01")
    assert (again.version, again.created) == ("1.1.0", "2027-02-01T00:00:00Z")
    assert differing_files(again.path, results[-1].path) == []
    for name in ("datapackage.json", "CHANGELOG.md"):
        assert (clone / name).read_bytes() == (root / name).read_bytes()


def test_the_repository_descriptor_points_at_the_latest_release(history):
    root, results, _ = history
    pointer = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    inside = json.loads((results[-1].path / "datapackage.json").read_text(encoding="utf-8"))
    assert pointer["version"] == "1.1.0"
    assert [r["path"] for r in pointer["resources"]] == [
        f"dist/1.1.0/{r['path']}" for r in inside["resources"]
    ]
    assert validate(root / "datapackage.json", frictionless=False) == []


def test_duckdb_import_loads_every_table_and_keys_sql_adds_the_keys(history):
    _, (first, *_), _ = history
    keys = (first.path / "keys.sql").read_text(encoding="utf-8")
    with duckdb.connect() as con:
        con.execute(f"IMPORT DATABASE '{first.path}'")
        assert con.execute("SELECT count(*) FROM fct_applications WHERE count IS NULL").fetchone() == (3,)
        with pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO fct_findings (report_id, seq) VALUES ('nobody', NULL)")
        con.execute("INSERT INTO dim_codes SELECT * FROM dim_codes LIMIT 1")
        with pytest.raises(duckdb.ConstraintException):
            con.execute(keys)
    with duckdb.connect() as con:
        con.execute(f"IMPORT DATABASE '{first.path}'")
        con.execute(keys)
        with pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO fct_findings SELECT * FROM fct_findings LIMIT 1")
        found = "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
        assert con.execute(found).fetchone() == (len(tables.PUBLISHED),)


def test_cli_publish_then_validate(tmp_path, capsys):
    wh = write_warehouse(tmp_path / "w" / "ogi.duckdb", marts(REPORTS))
    dist = tmp_path / "dist"
    args = ["publish", "--warehouse", str(wh), "--dist", str(dist), "--created", CREATED]
    assert main(args) == 0
    assert "release 1.0.0 (new)" in capsys.readouterr().out
    assert main(args) == 0
    assert "release 1.0.0 (same data)" in capsys.readouterr().out
    assert main(["validate", str(dist / "1.0.0")]) == 0
    assert main(["validate", "--dist", str(dist)]) == 0


def test_release_asset_publishes_with_the_declared_date(tmp_path, monkeypatch):
    from orchestration.defs.publish import release

    data = tmp_path / "data"
    write_warehouse(data / "warehouse" / "ogi.duckdb", marts(REPORTS))
    monkeypatch.delenv("OGI_DIST_DIR", raising=False)
    monkeypatch.setenv("OGI_RELEASE_DATE", "2026-11-30")
    result = dg.materialize([release], resources={"ogi": OgiResource(data_dir=str(data))})
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert (meta["version"].value, meta["created"].value) == ("1.0.0", "2026-11-30T00:00:00Z")
    assert validate(data / "dist" / "1.0.0", frictionless=False) == []
    assert (data / "datapackage.json").is_file() and (data / "CHANGELOG.md").is_file()


def test_release_asset_depends_on_every_published_dbt_mart():
    from orchestration.defs.models import dbt_models
    from orchestration.defs.publish import release

    deps = release.asset_deps[release.key]
    assert deps <= set(dbt_models.keys)
    assert sorted(k.path[-1] for k in deps) == sorted(tables.PUBLISHED)


def test_release_date_is_declared_not_read_from_the_clock(tmp_path, monkeypatch):
    monkeypatch.delenv("OGI_RELEASE_DATE", raising=False)
    declared = tmp_path / "release.yaml"
    declared.write_text("created: 2026-11-23\n", encoding="utf-8")
    assert package.declared_date(declared) == "2026-11-23T00:00:00Z"
    monkeypatch.setenv("OGI_RELEASE_DATE", "2027-02-01")
    assert package.declared_date(declared) == "2027-02-01T00:00:00Z"
    assert package.created_at("2026-11-23T08:00:00+08:00") == "2026-11-23T00:00:00Z"


def _readme_snippets() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Use the data\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def test_readme_use_the_data_snippets_run_on_a_release(history, monkeypatch):
    """The snippets name the current release; they run here on the fixture's first release."""
    root, _, _ = history
    snippets = _readme_snippets()
    assert len(snippets) == 2
    current = f"dist/{package.load(ROOT / 'datapackage.json')['version']}"
    assert all(f'release = "{current}"' in code for code in snippets)
    monkeypatch.chdir(root)
    spaces = []
    for code in (c.replace(current, "dist/1.0.0") for c in snippets):
        space: dict = {}
        with contextlib.redirect_stdout(io.StringIO()) as out:
            exec(compile(code, "README.md", "exec"), space)
        spaces.append((space, out.getvalue()))
    (pandas_, printed), (duck, _) = spaces
    apps = pandas_["applications"]
    assert str(apps["count"].dtype) == "Int64"
    assert int(apps["count"].isna().sum()) == 3 and int((apps["count"] == 0).sum()) == 3
    received = pandas_["received"].set_index("report_id")["count"]
    assert received.to_dict() == {"r-a": 7, "r-b": 7, "r-c": 7}
    assert "甲区人民政府" in printed
    assert str(pandas_["facts"]["value"].dtype) == "Float64"
    con = duck["con"]
    assert con.execute("SELECT count(*) FROM dim_reports").fetchone() == (3,)
    assert con.execute("SELECT count(*) FROM fct_applications WHERE count IS NULL").fetchone() == (3,)


def test_data_dictionary_is_generated_from_the_schemas():
    committed = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == dictionary.page(codes.load()), "run `ogi docs` and commit docs/data-dictionary.md"
    for name in tables.PUBLISHED:
        assert f"### `{name}`" in committed
        for field in tables.schema(name)["fields"]:
            assert f"| `{field['name']}` | {field['title']} |" in committed
    assert all(f"`{r}`" in committed for r in codes.load().rules)
    assert all(f"`{r}`" in committed for r in codes.load().null_reasons)


# The real pipeline: `ogi build` on the bundled catalog, then publish.


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A fresh clone's build: the committed datapackage.json and CHANGELOG.md beside an empty dist/."""
    root = tmp_path_factory.mktemp("clone")
    for name in ("datapackage.json", "CHANGELOG.md"):
        shutil.copy(ROOT / name, root / name)
    data = root / "data"
    assert all(r.success for r in build(data, DEFAULT_CATALOG))
    done = publish(Layout(data).warehouse, root / "dist", package.declared_date())
    return root, done


def test_the_build_ends_with_a_valid_release(built):
    _, done = built
    report = frictionless.validate(str(done.path / "datapackage.json"))
    assert report.valid, report.flatten(["type", "message"])[:5]
    assert validate(done.path) == []
    with duckdb.connect() as con:
        con.execute(f"IMPORT DATABASE '{done.path}'")
        reports = len(load_catalog(DEFAULT_CATALOG))
        assert con.execute("SELECT count(*) FROM dim_reports").fetchone() == (reports,)


def test_committed_descriptor_and_changelog_are_what_the_build_produces(built):
    """A fresh build reproduces the committed release byte for byte (every file's sha256 is in it)."""
    root, done = built
    hint = "run `ogi build && ogi publish` (make build) and commit datapackage.json and CHANGELOG.md"
    assert not done.new or done.level is None, hint
    for name in ("datapackage.json", "CHANGELOG.md"):
        assert (root / name).read_bytes() == (ROOT / name).read_bytes(), hint


def test_diff_of_catalogs_differing_by_one_corrected_report(built, tmp_path, httpserver, monkeypatch, capsys):
    """One report re-published with one count corrected: the diff lists that report's cells only."""
    root, first = built
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    report_id = "seed-002_4a271a9a9156ab49"
    seed = ROOT / "tests" / "fixtures" / "seeds" / "002_4a271a9a9156ab49.txt"
    text = seed.read_bytes().decode("utf-8")
    parsed = parse_bytes(seed.read_bytes()).as_dict()
    cell = next(c for c in parsed["applications"] if c["count"] and c["count"] >= 10)
    start, end = cell["source"]["start"], cell["source"]["end"]
    assert text[start:end] == str(cell["count"])
    corrected = text[:start] + str(cell["count"] + 1) + text[end:]
    httpserver.expect_request("/corrected.txt").respond_with_data(
        corrected.encode("utf-8"), content_type="text/plain; charset=utf-8"
    )
    catalog = tmp_path / "catalog.csv"
    lines = DEFAULT_CATALOG.read_text(encoding="utf-8").splitlines()
    catalog.write_text(
        "\n".join(
            re.sub(r",tests/[^,]+,", f",{httpserver.url_for('/corrected.txt')},", line)
            if line.startswith(report_id)
            else line
            for line in lines
        )
        + "\n",
        encoding="utf-8",
    )
    copy_ = tmp_path / "repo"
    shutil.copytree(root, copy_)
    assert all(r.success for r in build(copy_ / "data", catalog))
    second = publish(Layout(copy_ / "data").warehouse, copy_ / "dist", "2026-12-01")
    assert (second.version, second.level) == (_next_patch(first.version), "patch")
    changes = second.changes
    assert not (changes.reports_added or changes.reports_removed or changes.schema)
    keyed = [c.key[0][1] for c in changes.cells] + [
        r.key[0][1] for r in changes.rows_added + changes.rows_removed
    ]
    assert set(keyed) == {report_id}
    assert {f[0] for f in changes.findings_added + changes.findings_resolved} <= {report_id}
    counts = [(c.key, c.old, c.new) for c in changes.cells if c.table == "fct_applications"]
    key = (("report_id", report_id), ("row", cell["row"]), ("applicant", cell["applicant"]))
    assert counts == [(key, cell["count"], cell["count"] + 1)]
    assert {c.column for c in changes.cells if c.table == "dim_reports"} <= {
        "source",
        "raw_sha256",
        "retrieved_at",
        "null_cells",
        "findings",
    }
    assert main(["diff", str(first.path), str(second.path)]) == 0
    out = capsys.readouterr().out
    listed = [line for line in out.splitlines() if line.startswith("| fct_") or line.startswith("| dim_")]
    assert len(listed) == len(changes.cells)
    assert all(f"| {report_id} · " in line or f"| {report_id} |" in line for line in listed)
    row = f"| fct_applications | {report_id} · {cell['row']} · {cell['applicant']} | count | "
    assert f"{row}{cell['count']} | {cell['count'] + 1} |" in out


def _next_patch(version: str) -> str:
    return str(Version.parse(version).bump("patch"))
