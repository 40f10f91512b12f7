"""Where the data lives and which catalog to read, configurable per deployment."""

import os
from pathlib import Path

import dagster as dg

from orchestration.fetch.catalog import CatalogRow, load_catalog
from orchestration.layout import DEFAULT_CATALOG, DEFAULT_DATA_DIR, Layout


class OgiResource(dg.ConfigurableResource):
    data_dir: str = os.environ.get("OGI_DATA_DIR", str(DEFAULT_DATA_DIR))
    catalog: str = os.environ.get("OGI_CATALOG", str(DEFAULT_CATALOG))

    @property
    def layout(self) -> Layout:
        return Layout(Path(self.data_dir))

    def rows(self, year: int | None = None) -> list[CatalogRow]:
        rows = load_catalog(Path(self.catalog))
        return [r for r in rows if year is None or r.year == year]

    def years(self) -> list[int]:
        return sorted({r.year for r in self.rows()})
