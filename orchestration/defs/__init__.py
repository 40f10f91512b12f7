"""Dagster wiring only: assets, checks, partitions, schedules, resources. No parsing logic here."""

import dagster as dg

from orchestration.defs.assets import parsed_reports, raw_documents, staged_tables, warehouse
from orchestration.defs.models import dbt_models, dbt_resource
from orchestration.defs.partitions import annual_refresh, refresh_job
from orchestration.defs.publish import release
from orchestration.defs.resources import OgiResource
from orchestration.defs.sensors import catalog_sensor

defs = dg.Definitions(
    assets=[raw_documents, parsed_reports, staged_tables, warehouse, dbt_models, release],
    jobs=[refresh_job],
    schedules=[annual_refresh],
    sensors=[catalog_sensor],
    resources={"ogi": OgiResource(), "dbt": dbt_resource()},
)
