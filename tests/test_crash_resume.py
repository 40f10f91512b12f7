"""Crash and resume: `ogi build` killed (SIGKILL) at points in every step, then started again,
ends where an uninterrupted build ends, with no duplicate rows and nothing half-written in sight.

The builds run as subprocesses of their own (own data dir, so own dist/). The
deterministic kills use the test-only hook of `orchestration.atomic` (the nth
write whose path contains a part, killed with its temporary file written and
not yet renamed) and, for dbt (a subprocess writing DuckDB itself), a kill a
fixed delay after dbt starts; the random kills come from a seeded generator.

Some files differ between any two builds by design: the fetch time
(`retrieved_at`) in the manifest and in the staged `reports` table, and the
step fingerprints under `state/`, which are made from it. The two tables are
compared without that column; the fingerprints by what they promise (a build
started now would run nothing); every other file byte for byte; the DuckDB
warehouse (not byte-reproducible) table by table.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration import atomic, pipeline, tables
from orchestration.build import stale_tail
from orchestration.defs.resources import OgiResource
from orchestration.fetch.manifest import Manifest
from orchestration.layout import DEFAULT_CATALOG, Layout

ROOT = Path(__file__).resolve().parents[1]
OGI = Path(sys.executable).with_name("ogi")
TIMEOUT = 900
CLOCKED = {f"staged/reports/{y}.parquet" for y in range(1990, 2100)}
"""Files holding the fetch time, compared without it."""
MANIFEST = "manifest/fetch_manifest/"
"""The manifest's append files: compared as one table without the fetch time (the appends may fall
differently)."""
NOT_OURS = ("dbt/", "warehouse/", "manifest/fetch_manifest.lock", MANIFEST)
"""dbt's own target/ and logs, the DuckDB file (compared by contents), the manifest's lock file and
its appends."""
STATE = "state/"
"""Step fingerprints: they hash the fetch times, so they are checked against the data, not the reference."""


def _build(data: Path, *, crash_at: str | None = None, kill_when: Callable[[], bool] | None = None) -> int:
    """Run `ogi build` on the bundled catalog into `data`; its exit code (-9 when killed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OGI_")}
    if crash_at:
        env["OGI_TEST_CRASH_AT"] = crash_at
    with (data.parent / f"{data.name}.log").open("ab") as log:
        proc = subprocess.Popen(
            [str(OGI), "build", "--data-dir", str(data)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        deadline = time.monotonic() + TIMEOUT
        while proc.poll() is None:
            if kill_when is not None and kill_when():
                os.killpg(proc.pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                raise AssertionError(f"ogi build into {data} took over {TIMEOUT} s")
            time.sleep(0.05)
        with_group_gone(proc.pid)
    return proc.returncode


def with_group_gone(pgid: int) -> None:
    """Wait until no process of the build's group (dbt, its threads) is left writing."""
    for _ in range(200):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.killpg(pgid, signal.SIGKILL)


def _after(seconds: float) -> Callable[[], bool]:
    start = time.monotonic()
    return lambda: time.monotonic() - start >= seconds


def _once_dbt_ran_for(data: Path, seconds: float) -> Callable[[], bool]:
    """True a fixed time after dbt wrote its first file (it parses, then builds the models)."""
    seen: list[float] = []

    def ready() -> bool:
        if not seen and (data / "dbt" / "target").exists():
            seen.append(time.monotonic())
        return bool(seen) and time.monotonic() - seen[0] >= seconds

    return ready


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, float]:
    """One uninterrupted build: its data dir and how long it took."""
    data = tmp_path_factory.mktemp("crash") / "reference"
    start = time.monotonic()
    assert _build(data) == 0
    return data, time.monotonic() - start


def _files(data: Path) -> dict[str, Path]:
    return {p.relative_to(data).as_posix(): p for p in sorted(data.rglob("*")) if p.is_file()}


def _visible(rel: str) -> bool:
    return not any(part.startswith(".") for part in rel.split("/"))


def _ours(rel: str) -> bool:
    return not rel.startswith(NOT_OURS)


def _without_clock(path: Path | pa.Table) -> list[dict]:
    """The rows without the fetch time, sorted (the manifest's rows are in fetch completion order)."""
    table = path if isinstance(path, pa.Table) else pq.read_table(path)
    if "retrieved_at" in table.column_names:
        table = table.drop_columns(["retrieved_at"])
    return sorted(table.to_pylist(), key=repr)


def assert_nothing_half_written(data: Path, reference: Path) -> None:
    """After a kill: every hidden file is a temporary of atomic.py, and every visible file is
    complete (a file of the uninterrupted build, byte for byte, or a readable Parquet file)."""
    ref = _files(reference)
    for rel, path in _files(data).items():
        if not _visible(rel):
            hidden = next(part for part in rel.split("/") if part.startswith("."))
            assert atomic.is_temporary(Path(hidden)), f"a hidden file that is no temporary: {rel}"
            continue
        if rel.startswith(MANIFEST):
            assert pq.read_table(path).num_rows > 0, rel
        if not _ours(rel):
            continue
        assert rel in ref, f"a file the uninterrupted build does not write: {rel}"
        if rel in CLOCKED:
            assert pq.read_table(path).num_rows > 0, rel
        elif rel.startswith(STATE):
            assert len(json.loads(path.read_text(encoding="utf-8"))["fingerprint"]) == 64, rel
        else:
            assert path.read_bytes() == ref[rel].read_bytes(), f"{rel} differs from the uninterrupted build"
    warehouse = data / "warehouse" / "ogi.duckdb"
    if warehouse.exists():
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM staging.reports").fetchone()[0] > 0


def _manifest(data: Path) -> Manifest:
    return pipeline.manifest(Layout(data))


def _warehouse(data: Path) -> dict[str, list]:
    """Every table and view of the warehouse, rows sorted (the fetch time left out)."""
    out = {}
    with duckdb.connect(str(data / "warehouse" / "ogi.duckdb"), read_only=True) as con:
        names = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables ORDER BY ALL"
        ).fetchall()
        for schema, name in names:
            columns = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                    [schema, name],
                ).fetchall()
                if c != "retrieved_at"
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            out[f"{schema}.{name}"] = con.execute(
                f'SELECT {select} FROM "{schema}"."{name}" ORDER BY ALL'
            ).fetchall()
    return out


def _duplicate_keys(con: duckdb.DuckDBPyConnection, relation: str, key: list[str]) -> int:
    cols = ", ".join(f'"{k}"' for k in key)
    return con.execute(f"SELECT count(*) - count(DISTINCT ({cols})) FROM {relation}").fetchone()[0]


def assert_every_step_current(data: Path) -> None:
    """Every recorded fingerprint is the one the data dir gives now: a new build would run nothing."""
    ogi = OgiResource(data_dir=str(data), catalog=str(DEFAULT_CATALOG))
    stale_years = [y for y in ogi.years() if not pipeline.year_is_current(ogi.layout, y, ogi.rows(y))]
    assert stale_years == []
    assert stale_tail(ogi) == []


def assert_same_as_uninterrupted(data: Path, reference: Path) -> None:
    ours, ref = _files(data), _files(reference)
    assert [r for r in ours if not _visible(r)] == [], "files left hidden (temporaries)"
    assert {r for r in ours if _ours(r)} == {r for r in ref if _ours(r)}
    for rel in (r for r in ref if _ours(r)):
        if rel in CLOCKED:
            assert _without_clock(ours[rel]) == _without_clock(ref[rel]), rel
        elif rel.startswith(STATE):
            continue
        else:
            assert ours[rel].read_bytes() == ref[rel].read_bytes(), (
                f"{rel} differs from the uninterrupted build"
            )
    assert _without_clock(_manifest(data).read()) == _without_clock(_manifest(reference).read())
    manifest = _manifest(data).rows()
    assert len({r["report_id"] for r in manifest}) == len(manifest), "a report fetched twice"
    assert all(r["error"] is None for r in manifest)
    assert _warehouse(data) == _warehouse(reference)
    assert_every_step_current(data)
    with duckdb.connect(str(data / "warehouse" / "ogi.duckdb"), read_only=True) as con:
        for name in tables.STAGED:
            files = str(data / "staged" / name / "*.parquet")
            assert _duplicate_keys(con, f"read_parquet('{files}')", tables.primary_key(name)) == 0, name
            assert _duplicate_keys(con, f"staging.{name}", tables.primary_key(name)) == 0, name
        for name in tables.PUBLISHED:
            assert _duplicate_keys(con, f"marts.{name}", tables.primary_key(name)) == 0, name


CRASHES = [
    ("fetch: before the 3rd raw file is renamed into the archive", "/raw/:3"),
    ("fetch: before the first manifest append lands", "fetch_manifest/:1"),
    ("parse: before the 2nd parse is cached", "/parsed/:2"),
    ("stage: before the 4th staged table is renamed", "/staged/:4"),
    ("warehouse: before the new DuckDB file replaces the old", "ogi.duckdb:1"),
    ("dbt: 3 s into dbt build", None),
    ("publish: before the release folder is renamed into dist/", "/dist/:1"),
    ("publish: before datapackage.json points at the installed release", "datapackage.json:1"),
]


def test_a_build_killed_in_every_step_resumes_to_the_uninterrupted_output(reference, tmp_path):
    """One data dir, killed once in each step in turn (each start resumes the previous kill's state)."""
    ref, _ = reference
    data = tmp_path / "data"
    for what, crash_at in CRASHES:
        kill = None if crash_at else _once_dbt_ran_for(data, 3.0)
        assert _build(data, crash_at=crash_at, kill_when=kill) == -signal.SIGKILL, f"not killed: {what}"
        if crash_at:  # killed with the new file written under its temporary name
            assert any(not _visible(r) for r in _files(data)), what
        assert_nothing_half_written(data, ref)
    assert _build(data) == 0
    assert_same_as_uninterrupted(data, ref)


def test_a_build_killed_at_random_times_resumes_to_the_uninterrupted_output(reference, tmp_path):
    ref, seconds = reference
    rng = random.Random(20261202)
    data = tmp_path / "data"
    for _ in range(2):
        at = rng.uniform(0.5, seconds)
        assert _build(data, kill_when=_after(at)) in (0, -signal.SIGKILL)
        assert_nothing_half_written(data, ref)
    assert _build(data) == 0
    assert_same_as_uninterrupted(data, ref)


def test_a_stale_temporary_file_is_swept_and_a_live_one_kept(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stale = tmp_path / "staged" / f".2022.parquet.{int(dead.stdout)}.0badc0de.tmp"
    stale.parent.mkdir()
    stale.write_bytes(b"half")
    live = atomic.temporary_name(tmp_path / "x.json")
    live.write_bytes(b"in progress")
    kept = tmp_path / ".keep"
    kept.write_bytes(b"")
    assert atomic.sweep(tmp_path) == [stale]
    assert live.exists() and kept.exists() and not stale.exists()


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = atomic.write_text(tmp_path / "a.json", "old")
    with pytest.raises(RuntimeError), atomic.replacing(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]
    atomic.write_bytes(target, b"new", mode=0o444)
    assert target.read_bytes() == b"new" and (target.stat().st_mode & 0o777) == 0o444


def test_a_killed_publish_leaves_no_scratch_folder_behind(tmp_path, monkeypatch):
    """Publish's DuckDB scratch folders live in the system temp dir; the next publish sweeps dead ones."""
    from orchestration.publish.write import duckdb_session

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stale = tmp_path / f".ogi-duckdb.{int(dead.stdout)}.0badc0de.tmp"
    (stale / "spill").mkdir(parents=True)
    other = tmp_path / f".other.{int(dead.stdout)}.0badc0de.tmp"
    other.mkdir()
    with duckdb_session() as (con, scratch):
        assert con.execute("SELECT 1").fetchone() == (1,)
        assert scratch.parent == tmp_path and scratch.is_dir() and not stale.exists()
    assert not scratch.exists() and other.exists()
