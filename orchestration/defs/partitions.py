"""Report years as partitions, the annual refresh in February, and backfills over year ranges."""

import dagster as dg

FIRST_YEAR = 2008
"""政府信息公开条例 took effect in 2008; the first annual reports cover that year."""

years = dg.TimeWindowPartitionsDefinition(start=str(FIRST_YEAR), cron_schedule="0 0 1 1 *", fmt="%Y")
"""One partition per report year; a year becomes a partition once it has ended."""

refresh_job = dg.define_asset_job(
    "refresh_year",
    selection=dg.AssetSelection.assets("raw_documents", "parsed_reports", "staged_tables"),
    description="Fetch, parse and stage one report year (backfill from the UI or `ogi build --years`).",
)


@dg.schedule(job=refresh_job, cron_schedule="0 6 1 2 *", execution_timezone="Asia/Shanghai")
def annual_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """On 1 February, refresh the year before: reports are due by 31 January (条例 第五十条)."""
    year = context.scheduled_execution_time.year - 1
    return dg.RunRequest(run_key=str(year), partition_key=str(year))


def after_upstream_updates() -> dg.AutomationCondition:
    """Eager, except that years never materialised (missing upstream partitions) do not block it."""
    return dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())
