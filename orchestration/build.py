"""`ogi build`: materialise every asset and check in-process (no Dagster server needed).

Each report year of the catalog is one partition run of the refresh assets;
the warehouse, the dbt marts and the release (unpartitioned) follow once all
years are staged. A year whose inputs did not change since it was staged
(nothing to fetch, same raw hashes, same parser and staging code) is skipped,
and so are the warehouse, the marts and the release when their fingerprints
(orchestration/fingerprints.py) are the recorded ones: a re-run with nothing
new runs nothing.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration import atomic, fingerprints, pipeline, workers
from orchestration.defs.assets import parsed_reports, raw_documents, staged_tables, warehouse
from orchestration.defs.models import dbt_models, dbt_resource
from orchestration.defs.publish import release
from orchestration.defs.resources import OgiResource
from orchestration.publish import dist_dir, package

_QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def build(
    data_dir: Path,
    catalog: Path,
    years: list[int] | None = None,
    instance=None,
    *,
    parse_workers: int = 0,
    fetch_min_interval: float | None = None,
) -> list:
    """Materialise the given years (default: every year in the catalog) that changed, then what follows."""
    atomic.sweep(Path(data_dir))  # what a killed run left half-written
    ogi = OgiResource(data_dir=str(data_dir), catalog=str(catalog), parse_workers=parse_workers)
    if fetch_min_interval is not None:
        ogi = ogi.model_copy(update={"fetch_min_interval": fetch_min_interval})
    resources = {"ogi": ogi, "dbt": dbt_resource()}
    instance = instance or dg.DagsterInstance.ephemeral()
    layout = ogi.layout
    results = []
    partitioned = [raw_documents, parsed_reports, staged_tables]
    for year in years if years is not None else ogi.years():
        if pipeline.year_is_current(layout, year, ogi.rows(year)):
            continue
        results.append(
            dg.materialize(
                partitioned,
                partition_key=str(year),
                resources=resources,
                instance=instance,
                run_config=_QUIET,
            )
        )
    workers.shutdown()  # only the year steps use the pool
    tail = stale_tail(ogi)
    if tail:
        results.append(
            dg.materialize(
                [warehouse, dbt_models, release, *partitioned],
                selection=dg.AssetSelection.assets(*tail),
                resources=resources,
                instance=instance,
                run_config=_QUIET,
            )
        )
    return results


def stale_tail(ogi: OgiResource) -> list:
    """The unpartitioned assets to run: from the first whose fingerprint changed, everything after it."""
    layout, dist, years = ogi.layout, dist_dir(ogi.layout.data_dir), ogi.years()
    steps = [
        (warehouse, "warehouse", fingerprints.warehouse(layout, years)),
        (dbt_models, "dbt", fingerprints.dbt(layout, years)),
        (release, "release", fingerprints.release(layout, years, package.declared_date())),
    ]
    for i, (_, name, fingerprint) in enumerate(steps):
        output = {"warehouse": layout.warehouse, "release": dist}.get(name)
        missing = output is not None and not output.exists()
        if missing or fingerprints.recorded(layout, name) != fingerprint:
            return [asset for asset, _, _ in steps[i:]]
    return []
