"""A sensor that notices catalog rows added or changed since it last looked, and refreshes their years."""

import hashlib
import json

import dagster as dg

from orchestration.defs.partitions import refresh_job
from orchestration.defs.resources import OgiResource
from orchestration.fetch.catalog import CatalogRow


def year_fingerprint(rows: list[CatalogRow]) -> str:
    """A digest of a year's catalog rows: it changes when a row is added, removed or edited."""
    lines = [
        json.dumps([r.report_id, r.publisher, r.source, r.division_code, r.form_hint], ensure_ascii=False)
        for r in rows
    ]
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()[:16]


@dg.sensor(job=refresh_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.STOPPED)
def catalog_sensor(context: dg.SensorEvaluationContext, ogi: OgiResource):
    """Request a refresh of each year whose catalog rows changed; the cursor holds the fingerprints seen."""
    seen = json.loads(context.cursor) if context.cursor else {}
    current = {str(year): year_fingerprint(ogi.rows(year)) for year in ogi.years()}
    changed = [year for year, digest in current.items() if seen.get(year) != digest]
    for year in changed:
        yield dg.RunRequest(run_key=f"{year}:{current[year]}", partition_key=year)
    if not changed:
        yield dg.SkipReason("no catalog rows added or changed")
    context.update_cursor(json.dumps(current, sort_keys=True))
