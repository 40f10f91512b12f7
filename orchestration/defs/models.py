"""The dbt project as Dagster assets: each model an asset downstream of `warehouse`, each test a check."""

import json

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration import duck, fingerprints
from orchestration.defs.partitions import after_upstream_updates
from orchestration.defs.resources import OgiResource
from orchestration.modelling import project

_MANIFEST = project.ensure_manifest()


class _Translator(DagsterDbtTranslator):
    """Models rebuild on their own once the warehouse changes (when automation is on in the UI)."""

    def get_automation_condition(self, dbt_resource_props):
        return after_upstream_updates()


@dbt_assets(manifest=_MANIFEST, name="dbt_models", dagster_dbt_translator=_Translator())
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, ogi: OgiResource):
    """`dbt build` of the selected models and their tests, on the warehouse of this deployment."""
    layout = ogi.layout
    fingerprint = fingerprints.dbt(layout, ogi.years())
    fingerprints.forget(layout, "dbt")
    dbt_vars = {"warehouse": str(layout.warehouse), "memory_limit": duck.MEMORY_LIMIT}
    args = ["build", "--vars", json.dumps(dbt_vars)]
    yield from dbt.cli(args, context=context, target_path=layout.data_dir / "dbt" / "target").stream()
    if context.selected_asset_keys == context.assets_def.keys:
        fingerprints.record(layout, "dbt", fingerprint)


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=str(project.DBT_DIR),
        profiles_dir=str(project.DBT_DIR),
        dbt_executable=str(project.DBT),
    )
