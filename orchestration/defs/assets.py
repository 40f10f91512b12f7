"""The assets: raw_documents → parsed_reports → staged_tables (per report year) → warehouse."""

import json

import dagster as dg
import pandas as pd

from orchestration import codes, pipeline, tables
from orchestration.checks import contracts
from orchestration.defs.partitions import after_upstream_updates, years
from orchestration.defs.resources import OgiResource
from orchestration.fetch import fetch_catalog
from orchestration.fetch.client import Fetcher


@dg.asset(partitions_def=years, group_name="ingest", kinds={"python"})
def raw_documents(context: dg.AssetExecutionContext, ogi: OgiResource) -> dg.MaterializeResult:
    """Fetch the year's catalog rows; every raw byte is archived and every attempt is a manifest row."""
    year = int(context.partition_key)
    rows = ogi.rows(year)
    layout = ogi.layout
    with Fetcher() as client:
        results = fetch_catalog(rows, pipeline.archive(layout), pipeline.manifest(layout), client)
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
    summary, _ = pipeline.parse_rows(ogi.layout, ogi.rows(int(context.partition_key)))
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
    """Long-form tables of the year as Parquet; each checked against its contract (blocking)."""
    year = int(context.partition_key)
    _, parts = pipeline.parse_rows(ogi.layout, ogi.rows(year))
    paths = pipeline.stage_year(ogi.layout, year, parts)
    counts = {}
    for name, path in paths.items():
        frame = contracts.read_frame(path)
        counts[name] = len(frame)
        failed = contracts.failures(name, frame)
        yield dg.AssetCheckResult(
            check_name=f"contract_{name}",
            passed=failed is None,
            metadata={"rows": len(frame), **_failure_metadata(failed)},
        )
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
    counts = pipeline.build_warehouse(layout)
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
    verdicts = pipeline.parser_verdicts(layout)
    broken = verdicts[verdicts["holds"].eq(False).fillna(False)]
    parser_violations = set(zip(broken["report_id"], broken["rule"], broken["scope"], strict=True))
    disagree = sorted(ge_violations ^ parser_violations)
    counts[_GE_TABLE] = pipeline.write_reconciliation_findings(layout, sorted(ge_violations))
    yield dg.AssetCheckResult(
        asset_key=_key(_GE_TABLE),
        check_name="rules_agree_with_parser",
        passed=not disagree,
        metadata={"violations": len(ge_violations), "disagreements": _listing(disagree)},
    )
    for table in WAREHOUSE_TABLES:
        yield dg.MaterializeResult(asset_key=_key(table), metadata={"rows": counts[table]})


def _listing(items) -> str:
    return "\n".join(" ".join(map(str, i)) for i in list(items)[:100])
