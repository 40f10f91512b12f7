"""Scale: parsing on every core writes what the serial path writes; staging in batches changes no row;
a re-run does only what changed (a new year, a deleted release), nothing else."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration import parse_pool, pipeline, tables
from orchestration.build import build
from orchestration.checks import contracts
from orchestration.fetch import Fetcher, fetch_catalog, load_catalog, plan
from orchestration.layout import DEFAULT_CATALOG, Layout


@pytest.fixture(scope="module")
def fetched(tmp_path_factory) -> Path:
    """The bundled catalog fetched into a data dir, nothing parsed yet."""
    data = tmp_path_factory.mktemp("fetched")
    layout = Layout(data)
    with Fetcher() as client:
        results = fetch_catalog(
            load_catalog(DEFAULT_CATALOG), pipeline.archive(layout), pipeline.manifest(layout), client
        )
    assert results and all(r.ok for r in results)
    return data


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_parallel_parse_writes_exactly_what_serial_parse_writes(fetched, tmp_path):
    serial, parallel = _copy(fetched, tmp_path / "serial"), _copy(fetched, tmp_path / "parallel")
    rows = load_catalog(DEFAULT_CATALOG)
    one = pipeline.parse_rows(Layout(serial), rows, workers=1)
    two = pipeline.parse_rows(Layout(parallel), rows, workers=2)
    assert one.parsed == two.parsed == len(rows) and one.failed == two.failed
    written = _files(serial / "parsed")
    assert len(written) == len({p for p in written if not p.startswith(".")}) == len(rows)
    assert _files(parallel / "parsed") == written
    again = pipeline.parse_rows(Layout(parallel), rows, workers=2)
    assert (again.parsed, again.cached) == (0, len(rows))


def test_the_pool_reports_each_documents_outcome_in_order(fetched, tmp_path):
    data = _copy(fetched, tmp_path / "d")
    ids = [r.report_id for r in load_catalog(DEFAULT_CATALOG)]
    shas = sorted(r.sha256 for r in pipeline.manifest(Layout(data)).latest_for(ids).values())
    outcomes = parse_pool.parse_all(data, str(data), shas, 2)
    assert [o[0] for o in outcomes] == shas
    assert all(error is None for _, error, _ in outcomes)


def test_staging_in_small_batches_gives_the_same_rows_in_key_order(fetched, tmp_path):
    data = _copy(fetched, tmp_path / "d")
    layout, rows = Layout(data), load_catalog(DEFAULT_CATALOG)
    year = 2021
    year_rows = [r for r in rows if r.year == year]
    assert len(year_rows) == 2
    whole = {n: pq.read_table(p) for n, p in pipeline.stage_year(layout, year, year_rows).items()}
    paths = pipeline.stage_year(layout, year, year_rows, batch=1)
    for name, path in paths.items():
        batched = pq.ParquetFile(path)
        assert batched.read() == whole[name], name
        if whole[name].num_rows:
            reports = len(set(whole[name].column("report_id").to_pylist()))
            assert batched.num_row_groups == reports, name
            keys = tables.primary_key(name)
            listed = [tuple(r[k] for k in keys) for r in whole[name].select(keys).to_pylist()]
            assert listed == sorted(listed, key=lambda t: tuple((v is None, v or 0) for v in t))
        assert contracts.file_failures(name, path) == (whole[name].num_rows, None)


def test_a_contract_break_in_any_row_group_is_found(fetched, tmp_path):
    data = _copy(fetched, tmp_path / "d")
    layout = Layout(data)
    year_rows = [r for r in load_catalog(DEFAULT_CATALOG) if r.year == 2021]
    path = pipeline.stage_year(layout, 2021, year_rows, batch=1)["reports"]
    good = pq.ParquetFile(path)
    first, second = good.read_row_group(0), good.read_row_group(1).to_pylist()
    second[0]["cells"] = -1
    with pq.ParquetWriter(path, good.schema_arrow) as out:
        out.write_table(first)
        out.write_table(pa.Table.from_pylist(second, schema=good.schema_arrow))
    rows, failed = contracts.file_failures("reports", path)
    assert rows == 2 and failed is not None and "cells" in set(failed["column"])


def _materialized(results) -> list[tuple[str, str | None]]:
    return sorted(
        ("/".join(e.asset_key.path), e.partition)
        for r in results
        for e in r.get_asset_materialization_events()
        if e.asset_key.path[0] != "staging" or e.asset_key.path == ["staging", "reports"]
    )


def test_a_new_year_processes_only_that_year_and_what_follows(sample_build, tmp_path):
    built, _ = sample_build
    data = _copy(built, tmp_path / "data")
    catalog = tmp_path / "catalog.csv"
    text = DEFAULT_CATALOG.read_text(encoding="utf-8")
    seed = next(line for line in text.splitlines() if line.startswith("seed-001"))
    catalog.write_text(text + seed.replace("seed-001", "again-001").replace(",2021,", ",2019,") + "\n")
    staged = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted((data / "staged").rglob("*.parquet"))}
    results = build(data, catalog)
    assert results and all(r.success for r in results)
    done = _materialized(results)
    assert {p for _, p in done if p} == {"2019"}
    assert {a for a, _ in done} >= {"raw_documents", "staged_tables", "staging/reports", "release"}
    for path, before in staged.items():
        assert (path.read_bytes(), path.stat().st_mtime_ns) == before, path
    assert Layout(data).staged("reports", 2019).exists()
    assert multiprocessing.active_children() == [], "the year steps' workers outlive them"
    assert build(data, catalog) == []


def test_a_year_dropped_from_the_catalog_leaves_the_warehouse_and_the_release(sample_build, tmp_path):
    built, _ = sample_build
    data = _copy(built, tmp_path / "data")
    catalog = tmp_path / "catalog.csv"
    lines = DEFAULT_CATALOG.read_text(encoding="utf-8").splitlines()
    catalog.write_text("\n".join(line for line in lines if ",2017," not in line) + "\n", encoding="utf-8")
    results = build(data, catalog)
    assert results and all(r.success for r in results)
    done = _materialized(results)
    assert ("staging/reports", None) in done and ("release", None) in done
    assert not any(partition for _, partition in done)
    assert Layout(data).staged("reports", 2017).exists()
    with duckdb.connect(str(Layout(data).warehouse), read_only=True) as con:
        years = [
            y
            for (y,) in con.execute(
                "SELECT DISTINCT catalog_year FROM marts.dim_reports ORDER BY 1"
            ).fetchall()
        ]
    assert years and 2017 not in years
    release = max((data / "dist").iterdir(), key=lambda p: [int(x) for x in p.name.split(".")])
    published = pq.read_table(release / "dim_reports.parquet").column("catalog_year").to_pylist()
    assert 2017 not in published and len(published) == len(lines) - 2
    assert build(data, catalog) == []


def test_a_deleted_release_is_published_again_alone(sample_build, tmp_path):
    built, _ = sample_build
    data = _copy(built, tmp_path / "data")
    shutil.rmtree(data / "dist")
    results = build(data, DEFAULT_CATALOG)
    assert [a for a, _ in _materialized(results)] == ["release"]
    assert any((data / "dist").iterdir())


def test_raw_documents_can_live_in_an_object_store(fetched, tmp_path, monkeypatch):
    from orchestration.fetch.archive import CorruptRaw
    from orchestration.fetch.object_archive import ROOT_ENV, ObjectArchive

    bucket = tmp_path / "bucket"
    monkeypatch.setenv(ROOT_ENV, f"file://{bucket}")
    layout, rows = Layout(tmp_path / "data"), load_catalog(DEFAULT_CATALOG)
    store = pipeline.archive(layout)
    assert isinstance(store, ObjectArchive)
    with Fetcher() as client:
        results = fetch_catalog(rows, store, pipeline.manifest(layout), client)
    assert all(r.ok for r in results) and not (layout.data_dir / "raw").exists()
    assert sorted(p.name for p in bucket.rglob("*") if p.is_file()) == sorted({r.sha256 for r in results})
    summary = pipeline.parse_rows(layout, rows, workers=2)
    assert (summary.parsed, summary.failed, summary.not_fetched) == (len(rows), {}, [])
    paths = pipeline.stage_year(layout, 2021, [r for r in rows if r.year == 2021], workers=2)
    assert pq.read_table(paths["reports"]).num_rows == 2
    asked: list[str] = []
    monkeypatch.setattr(store.fs, "exists", lambda key, **_: asked.append(key) or True)
    assert plan(rows, store, pipeline.manifest(layout)) == []
    assert asked == [], "the no-change check asks the store once per document"
    victim = next(p for p in bucket.rglob("*") if p.is_file())
    victim.unlink()
    assert [row.report_id for row, _ in plan(rows, store, pipeline.manifest(layout))] == [
        r.report_id for r, res in zip(rows, results, strict=True) if res.sha256 == victim.name
    ]
    victim = next(p for p in bucket.rglob("*") if p.is_file())
    victim.write_bytes(b"tampered")
    with pytest.raises(CorruptRaw):
        store.get(victim.name)
