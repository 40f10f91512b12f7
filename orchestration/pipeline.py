"""The pipeline's steps as plain functions over a data directory; Dagster assets (defs/) only call these.

catalog → fetch (raw archive + manifest) → parse (cache keyed by sha256 and
parser version) → stage (Parquet per table and year) → warehouse (DuckDB)
→ checks (pandera contracts, Great Expectations reconciliation suites).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration import atomic, codes, parse_cache, tables
from orchestration.fetch.archive import Archive
from orchestration.fetch.catalog import CatalogRow
from orchestration.fetch.manifest import Manifest
from orchestration.layout import Layout
from orchestration.stage.codes import code_rows
from orchestration.stage.rows import Origin, failure_rows, report_rows
from orchestration.stage.write import merge, to_arrow, write_parquet


def archive(layout: Layout) -> Archive:
    return Archive(layout.data_dir)


def manifest(layout: Layout) -> Manifest:
    return Manifest(layout.manifest / "fetch_manifest.parquet")


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


def parse_rows(layout: Layout, rows: Sequence[CatalogRow]) -> tuple[ParseSummary, list]:
    """Parse the latest good raw document of each row (cached by sha256 + parser version)."""
    store, fetched = archive(layout), manifest(layout).latest_by_report()
    summary, staged = ParseSummary(), []
    for row in rows:
        result = fetched.get(row.report_id)
        if result is None or not store.has(result.sha256):
            summary.not_fetched.append(row.report_id)
            continue
        parsed = parse_cache.cached(layout.parsed, result.sha256)
        if parsed is None:
            parsed = parse_cache.parse_raw(layout.parsed, result.sha256, store.get(result.sha256))
            summary.parsed += 1
        else:
            summary.cached += 1
        origin = _origin(row, result.sha256, result.retrieved_at)
        if parsed.doc is None:
            summary.failed[parsed.error] = summary.failed.get(parsed.error, 0) + 1
            staged.append(failure_rows(origin, parse_cache.PARSER_VERSION, parsed.error, parsed.message))
        else:
            staged.append(report_rows(origin, parsed.doc))
    return summary, staged


def stage_year(layout: Layout, year: int, parts: list) -> dict[str, Path]:
    """Write the staged tables of one report year (every table, possibly empty)."""
    rows = merge(parts)
    return {
        name: write_parquet(to_arrow(name, rows[name]), layout.staged(name, year)) for name in tables.STAGED
    }


def build_warehouse(layout: Layout) -> dict[str, int]:
    """Load every staged Parquet file into a new DuckDB file replacing the warehouse; row counts per table."""
    counts = {}
    with atomic.replacing(layout.warehouse) as tmp, duckdb.connect(str(tmp)) as con:
        con.execute("CREATE SCHEMA staging")
        for name in tables.STAGED:
            files = sorted(Path(layout.data_dir / "staged" / name).glob("*.parquet"))
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


def rule_operands(layout: Layout):
    from orchestration.checks.rule_sql import all_rules_query

    with duckdb.connect(str(layout.warehouse), read_only=True) as con:
        return con.sql(all_rules_query(codes.load())).df()


def parser_verdicts(layout: Layout):
    with duckdb.connect(str(layout.warehouse), read_only=True) as con:
        return con.sql("SELECT report_id, rule, scope, holds FROM staging.reconciliation ORDER BY ALL").df()


def write_reconciliation_findings(layout: Layout, violations: list[tuple[str, str, str]]) -> int:
    """The rules the Great Expectations suites found broken, as a findings table beside the staged ones."""
    with duckdb.connect(str(layout.warehouse)) as con:
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
