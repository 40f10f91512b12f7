"""The assets: raw_documents → parsed_reports → staged_tables (per report year) → warehouse."""

import json

import dagster as dg
import pandas as pd

from orchestration import codes, fingerprints, pipeline, tables, workers
from orchestration.checks import contracts
from orchestration.defs.partitions import after_upstream_updates, years
from orchestration.defs.resources import OgiResource
from orchestration.fetch import fetch_catalog
from orchestration.fetch.client import Fetcher

FLUSH_EVERY = 2000
"""Fetches recorded per manifest append (a file each)."""


@dg.asset(partitions_def=years, group_name="ingest", kinds={"python"})
def raw_documents(context: dg.AssetExecutionContext, ogi: OgiResource) -> dg.MaterializeResult:
    """Fetch the year's catalog rows; every raw byte is archived and every attempt is a manifest row."""
    year = int(context.partition_key)
    rows = ogi.rows(year)
    layout = ogi.layout
    with Fetcher(ogi.fetch_config()) as client:
        results = fetch_catalog(
            rows, pipeline.archive(layout), pipeline.manifest(layout), client, flush_every=FLUSH_EVERY
        )
    errors: dict[str, int] = {}
    for r in results:
        if r.error:
            errors[r.error] = errors.get(r.error, 0) + 1
    return dg.MaterializeResult(
        metadata={
            "catalog_rows": len(rows),
            "fetched": len(results),
            "skipped_unchanged": len(rows) - len(results),
            "errors": json.dumps(errors, sort_keys=True),
        }
    )


@dg.asset(partitions_def=years, deps=[raw_documents], group_name="ingest", kinds={"python"})
def parsed_reports(context: dg.AssetExecutionContext, ogi: OgiResource) -> dg.MaterializeResult:
    """Parse every raw document of the year not parsed before by this parser version."""
    summary = pipeline.parse_rows(ogi.layout, ogi.rows(int(context.partition_key)), ogi.parse_workers or None)
    return dg.MaterializeResult(
        metadata={
            "parsed": summary.parsed,
            "from_cache": summary.cached,
            "failed": json.dumps(summary.failed, sort_keys=True),
            "not_fetched": len(summary.not_fetched),
        }
    )


_CONTRACTS = [
    dg.AssetCheckSpec(
        f"contract_{name}", asset="staged_tables", blocking=True, description=f"pandera: {name}"
    )
    for name in tables.STAGED
]


@dg.asset(
    partitions_def=years, deps=[parsed_reports], check_specs=_CONTRACTS, group_name="stage", kinds={"parquet"}
)
def staged_tables(context: dg.AssetExecutionContext, ogi: OgiResource):
    """Long-form tables of the year as Parquet, streamed in batches; each checked against its contract.

    The contracts are blocking. The year's fingerprint is recorded once every
    contract holds, so `ogi build` skips the year until its inputs change.
    """
    year, layout = int(context.partition_key), ogi.layout
    rows = ogi.rows(year)
    fingerprint = pipeline.year_fingerprint(layout, rows)
    fingerprints.forget(layout, f"staged-{year}")
    n = ogi.parse_workers or None
    paths = pipeline.stage_year(layout, year, rows, workers=n)
    checked = workers.starmap(contracts.file_failures, list(paths.items()), n)
    counts, passed = {}, True
    for name, (counts[name], failed) in zip(paths, checked, strict=True):
        passed &= failed is None
        yield dg.AssetCheckResult(
            check_name=f"contract_{name}",
            passed=failed is None,
            metadata={"rows": counts[name], **_failure_metadata(failed)},
        )
    if passed:
        fingerprints.record(layout, f"staged-{year}", fingerprint)
    yield dg.MaterializeResult(metadata={f"rows_{k}": v for k, v in counts.items()})


def _failure_metadata(failed: pd.DataFrame | None) -> dict:
    if failed is None:
        return {}
    return {"failures": len(failed), "failure_cases": dg.MetadataValue.md(failed.head(50).to_markdown())}


WAREHOUSE_TABLES = (*tables.STAGED, "codes", "reconciliation_findings")
"""The warehouse's `staging` schema: every staged table, the code lists, and the GE findings."""


def _key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["staging", table])


_GE_TABLE = "reconciliation_findings"
_RULES = [
    dg.AssetCheckSpec(
        f"rule_{rule.replace('.', '_')}",
        asset=_key(spec.get("table") or _GE_TABLE),
        description=f"Great Expectations: {rule} ({spec.en})",
    )
    for rule, spec in codes.load().rules.items()
]
_AGREEMENT = dg.AssetCheckSpec(
    "rules_agree_with_parser",
    asset=_key(_GE_TABLE),
    blocking=True,
    description="GE verdicts = parser's own verdicts",
)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            _key(t),
            deps=[staged_tables],
            group_name="stage",
            kinds={"duckdb"},
            automation_condition=after_upstream_updates(),
        )
        for t in WAREHOUSE_TABLES
    ],
    check_specs=[*_RULES, _AGREEMENT],
    name="warehouse",
)
def warehouse(ogi: OgiResource):
    """All staged years in one DuckDB file; the reconciliation rules checked with Great Expectations.

    A report that breaks a rule is a finding (a WARN check with the reports
    listed), never a reason to stop: the numbers stay as printed.
    """
    from orchestration.checks.expectations import run_suites

    layout = ogi.layout
    years = ogi.years()
    fingerprint = fingerprints.warehouse(layout, years)
    fingerprints.forget(layout, "warehouse")
    counts = pipeline.build_warehouse(layout, years)
    rules = codes.load().rules
    results = run_suites(pipeline.rule_operands(layout), codes.load())
    ge_violations = set()
    for r in results:
        ge_violations |= {(rid, r.rule, scope) for rid, scope in r.violations}
        yield dg.AssetCheckResult(
            asset_key=_key(rules[r.rule].get("table") or _GE_TABLE),
            check_name=f"rule_{r.rule.replace('.', '_')}",
            passed=r.success,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "evaluated": r.evaluated,
                "violations": len(r.violations),
                "reports": _listing(r.violations),
            },
        )
    disagree = sorted(ge_violations ^ pipeline.parser_violations(layout))
    counts[_GE_TABLE] = pipeline.write_reconciliation_findings(layout, sorted(ge_violations))
    yield dg.AssetCheckResult(
        asset_key=_key(_GE_TABLE),
        check_name="rules_agree_with_parser",
        passed=not disagree,
        metadata={"violations": len(ge_violations), "disagreements": _listing(disagree)},
    )
    for table in WAREHOUSE_TABLES:
        yield dg.MaterializeResult(asset_key=_key(table), metadata={"rows": counts[table]})
    if not disagree:
        fingerprints.record(layout, "warehouse", fingerprint)


def _listing(items) -> str:
    return "\n".join(" ".join(map(str, i)) for i in list(items)[:100])
