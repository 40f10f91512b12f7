"""The pipeline's steps as plain functions over a data directory; Dagster assets (defs/) only call these.

catalog → fetch (raw archive + manifest) → parse (cache keyed by sha256 and
parser version) → stage (Parquet per table and year) → warehouse (DuckDB)
→ checks (pandera contracts, Great Expectations reconciliation suites).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration import atomic, codes, duck, fingerprints, parse_cache, parse_pool, tables
from orchestration import workers as pool
from orchestration.fetch import plan
from orchestration.fetch.archive import Archive
from orchestration.fetch.catalog import CatalogRow
from orchestration.fetch.client import FetchResult
from orchestration.fetch.manifest import Manifest
from orchestration.fetch.object_archive import ObjectArchive, archive_root, open_archive
from orchestration.layout import Layout
from orchestration.stage.codes import code_rows
from orchestration.stage.rows import Origin, failure_rows, report_rows
from orchestration.stage.write import TableStreams, merge, to_arrow

if TYPE_CHECKING:
    import pandas as pd

OPERAND_CHUNK = 500_000
"""Rule operand rows checked by Great Expectations at a time (about 110 MiB as a DataFrame)."""
_DUCKDB_VECTOR = 2048
"""Rows in a DuckDB vector: `fetch_df_chunk` counts in vectors."""


def archive(layout: Layout) -> Archive | ObjectArchive:
    return open_archive(archive_root(layout.data_dir))


def manifest(layout: Layout) -> Manifest:
    return Manifest(layout.manifest / "fetch_manifest")


def latest_fetches(layout: Layout, rows: Sequence[CatalogRow]) -> dict[str, FetchResult]:
    """The last good fetch of each of these catalog rows that has one (only their manifest rows are kept)."""
    return manifest(layout).latest_for(r.report_id for r in rows)


@dataclass
class ParseSummary:
    parsed: int = 0
    cached: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    not_fetched: list[str] = field(default_factory=list)


def _origin(row: CatalogRow, sha256: str, retrieved_at: str | None) -> Origin:
    return Origin(
        report_id=row.report_id,
        source=row.source,
        raw_sha256=sha256,
        catalog_publisher=row.publisher,
        catalog_year=row.year,
        division_code=row.division_code,
        retrieved_at=retrieved_at,
    )


def parse_rows(layout: Layout, rows: Sequence[CatalogRow], workers: int | None = None) -> ParseSummary:
    """Parse the latest good raw document of each row not parsed by this parser version, on every core.

    A cached parse is seen by its file name alone (sha256 + parser version); only
    a cached failure is read, for its reason.
    """
    store, fetched = archive(layout), latest_fetches(layout, rows)
    summary, todo = ParseSummary(), {}
    for row in rows:
        result = fetched.get(row.report_id)
        if result is None or not store.has(result.sha256):
            summary.not_fetched.append(row.report_id)
            continue
        state = parse_cache.state(layout.parsed, result.sha256)
        if state is None:
            todo.setdefault(result.sha256, []).append(row.report_id)
            continue
        summary.cached += 1
        if state == "failed":
            error = parse_cache.cached(layout.parsed, result.sha256).error
            summary.failed[error] = summary.failed.get(error, 0) + 1
    root = archive_root(layout.data_dir)
    for sha256, error, _ in parse_pool.parse_all(layout.data_dir, root, list(todo), workers):
        summary.parsed += len(todo[sha256])
        if error is not None:
            summary.failed[error] = summary.failed.get(error, 0) + len(todo[sha256])
    return summary


STAGE_BATCH = 500
"""Reports per batch: one row group of each table."""
WINDOW = 8
"""Batches in flight at once; with STAGE_BATCH, what staging holds in memory."""


def stage_batch(data_dir: str, root: str, fetched: Sequence[tuple[CatalogRow, FetchResult | None]]) -> dict:
    """The staged rows of a batch of reports as Arrow tables, sorted by key (runs in a worker).

    Reports not fetched or not archived have no rows; one not parsed yet is parsed now.
    """
    layout, store, parts = Layout(Path(data_dir)), open_archive(root), []
    for row, result in fetched:
        if result is None or not store.has(result.sha256):
            continue
        parsed = parse_cache.cached(layout.parsed, result.sha256)
        if parsed is None:
            parsed = parse_cache.parse_raw(layout.parsed, result.sha256, store.get(result.sha256))
        origin = _origin(row, result.sha256, result.retrieved_at)
        if parsed.doc is None:
            parts.append(failure_rows(origin, parse_cache.PARSER_VERSION, parsed.error, parsed.message))
        else:
            parts.append(report_rows(origin, parsed.doc))
    return {name: to_arrow(name, rows) for name, rows in merge(parts).items() if rows}


def stage_year(
    layout: Layout,
    year: int,
    rows: Sequence[CatalogRow],
    batch: int = STAGE_BATCH,
    workers: int | None = None,
) -> dict[str, Path]:
    """Write the staged tables of one report year (every table, possibly empty), `batch` reports at a time.

    Batches are staged on every core and written by this process in order.
    Reports go in report_id order and every primary key starts with report_id,
    so the row groups, each sorted by the key, make one sorted file.
    """
    fetched = latest_fetches(layout, rows)
    ordered = [(r, fetched.get(r.report_id)) for r in sorted(rows, key=lambda r: r.report_id)]
    where = (str(layout.data_dir), archive_root(layout.data_dir))
    jobs = [(*where, ordered[i : i + batch]) for i in range(0, len(ordered), batch)]
    paths = {name: layout.staged(name, year) for name in tables.STAGED}
    with TableStreams(paths) as out:
        for start in range(0, len(jobs), WINDOW):  # a window at a time: memory stays bounded
            for staged in pool.starmap(stage_batch, jobs[start : start + WINDOW], workers):
                out.write(staged)
    return paths


def year_fingerprint(layout: Layout, rows: Sequence[CatalogRow]) -> str:
    return fingerprints.year(rows, latest_fetches(layout, rows), parse_cache.PARSER_VERSION)


def year_is_current(layout: Layout, year: int, rows: Sequence[CatalogRow]) -> bool:
    """Nothing to fetch, and the year was staged from exactly these inputs."""
    if plan(rows, archive(layout), manifest(layout)):
        return False
    return fingerprints.recorded(layout, f"staged-{year}") == year_fingerprint(layout, rows)


def build_warehouse(layout: Layout, years: Sequence[int]) -> dict[str, int]:
    """Load the staged Parquet files of `years` (the catalog's) into a new DuckDB file replacing the
    warehouse; row counts per table. A year no longer in the catalog stays out, though its files remain."""
    counts = {}
    with atomic.replacing(layout.warehouse) as tmp, duck.connect(tmp) as con:
        con.execute("CREATE SCHEMA staging")
        for name in tables.STAGED:
            files = [p for p in (layout.staged(name, y) for y in sorted(years)) if p.is_file()]
            if files:
                con.execute(
                    f"CREATE TABLE staging.{name} AS SELECT * FROM read_parquet(?) ORDER BY ALL",
                    [[str(f) for f in files]],
                )
            else:
                empty = to_arrow(name, [])  # noqa: F841 (read by DuckDB's replacement scan)
                con.execute(f"CREATE TABLE staging.{name} AS SELECT * FROM empty")
            counts[name] = con.execute(f"SELECT count(*) FROM staging.{name}").fetchone()[0]
        code_table = to_arrow("dim_codes", code_rows(codes.load()))
        con.execute("CREATE TABLE staging.codes AS SELECT * FROM code_table")
        counts["codes"] = len(code_table)
        con.close()
        _stale_wal(layout.warehouse).unlink(missing_ok=True)
    return counts


def _stale_wal(warehouse: Path) -> Path:
    """The write-ahead log a killed dbt run may have left: it belongs to the file being replaced."""
    return warehouse.with_name(warehouse.name + ".wal")


def rule_operands(layout: Layout, rows: int = OPERAND_CHUNK) -> Iterator[pd.DataFrame]:
    """The reconciliation rules' operands of every report (`rule_sql`), about `rows` rows at a time."""
    from orchestration.checks.rule_sql import all_rules_query

    with duck.connect(layout.warehouse, read_only=True) as con:
        result = con.sql(all_rules_query(codes.load()))
        while len(chunk := result.fetch_df_chunk(max(1, rows // _DUCKDB_VECTOR))):
            yield chunk


def parser_violations(layout: Layout) -> set[tuple[str, str, str]]:
    """(report_id, rule, scope) of every rule the parser found broken."""
    with duck.connect(layout.warehouse, read_only=True) as con:
        return set(
            con.execute(
                "SELECT report_id, rule, scope FROM staging.reconciliation WHERE NOT holds"
            ).fetchall()
        )


def write_reconciliation_findings(layout: Layout, violations: list[tuple[str, str, str]]) -> int:
    """The rules the Great Expectations suites found broken, as a findings table beside the staged ones."""
    with duck.connect(layout.warehouse) as con:
        con.execute(
            "CREATE OR REPLACE TABLE staging.reconciliation_findings "
            "(report_id VARCHAR, rule VARCHAR, scope VARCHAR, checked_by VARCHAR)"
        )
        if violations:
            con.executemany(
                "INSERT INTO staging.reconciliation_findings VALUES (?, ?, ?, 'great_expectations')",
                [list(v) for v in violations],
            )
    return len(violations)
