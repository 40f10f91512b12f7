"""The `release` asset: the dbt marts as a versioned Frictionless data package in dist/<version>/."""

import dagster as dg

from orchestration import fingerprints, tables
from orchestration.defs.partitions import after_upstream_updates
from orchestration.defs.resources import OgiResource
from orchestration.publish import dist_dir, package, publish

MARTS = [dg.AssetKey(["marts", name]) for name in tables.PUBLISHED]
"""The asset keys the dbt models give the published tables."""


@dg.asset(
    deps=MARTS, group_name="publish", kinds={"csv", "parquet"}, automation_condition=after_upstream_updates()
)
def release(ogi: OgiResource) -> dg.MaterializeResult:
    """Publish the marts: a new version when the data changed (SemVer rule), else the latest release again.

    The release date is the declared one ($OGI_RELEASE_DATE or data/release.yaml),
    never the clock; the folder is dist/ in the repository for the default data dir
    (see `orchestration.publish.dist_dir`).
    """
    layout, dist, date = ogi.layout, dist_dir(ogi.layout.data_dir), package.declared_date()
    fingerprint = fingerprints.release(layout, ogi.years(), date)
    fingerprints.forget(layout, "release")
    done = publish(layout.warehouse, dist, date)
    fingerprints.record(layout, "release", fingerprint)
    return dg.MaterializeResult(
        metadata={
            "version": done.version,
            "new": done.new,
            "level": done.level or "",
            "previous": done.previous or "",
            "path": dg.MetadataValue.path(str(done.path)),
            "created": done.created,
        }
    )
