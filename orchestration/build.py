"""`ogi build`: materialise every asset and check in-process (no Dagster server needed).

Each report year of the catalog is one partition run of the refresh assets;
the warehouse, the dbt marts and the release (unpartitioned) follow once all years are staged.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration import atomic
from orchestration.defs.assets import parsed_reports, raw_documents, staged_tables, warehouse
from orchestration.defs.models import dbt_models, dbt_resource
from orchestration.defs.publish import release
from orchestration.defs.resources import OgiResource

_QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def build(data_dir: Path, catalog: Path, years: list[int] | None = None, instance=None) -> list:
    """Materialise the given years (default: every year in the catalog), then the warehouse and marts."""
    atomic.sweep(Path(data_dir))  # what a killed run left half-written
    ogi = OgiResource(data_dir=str(data_dir), catalog=str(catalog))
    resources = {"ogi": ogi, "dbt": dbt_resource()}
    instance = instance or dg.DagsterInstance.ephemeral()
    results = []
    partitioned = [raw_documents, parsed_reports, staged_tables]
    for year in years if years is not None else ogi.years():
        results.append(
            dg.materialize(
                partitioned,
                partition_key=str(year),
                resources=resources,
                instance=instance,
                run_config=_QUIET,
            )
        )
    results.append(
        dg.materialize(
            [warehouse, dbt_models, release, *partitioned],
            selection=dg.AssetSelection.assets(warehouse, dbt_models, release),
            resources=resources,
            instance=instance,
            run_config=_QUIET,
        )
    )
    return results
