"""Where the data lives and which catalog to read, configurable per deployment."""

import os
from pathlib import Path

import dagster as dg

from orchestration.fetch.catalog import CatalogRow
from orchestration.fetch.catalog_index import CatalogIndex
from orchestration.fetch.client import FetchConfig
from orchestration.layout import DEFAULT_CATALOG, DEFAULT_DATA_DIR, Layout


class OgiResource(dg.ConfigurableResource):
    data_dir: str = os.environ.get("OGI_DATA_DIR", str(DEFAULT_DATA_DIR))
    catalog: str = os.environ.get("OGI_CATALOG", str(DEFAULT_CATALOG))
    parse_workers: int = 0
    """Processes parsing at once; 0: $OGI_PARSE_WORKERS, else every core."""
    fetch_min_interval: float = FetchConfig.min_interval
    """Seconds between two requests to one host (a local mirror can take 0)."""

    def fetch_config(self) -> FetchConfig:
        return FetchConfig(min_interval=self.fetch_min_interval)

    @property
    def layout(self) -> Layout:
        return Layout(Path(self.data_dir))

    def rows(self, year: int) -> list[CatalogRow]:
        """The year's catalog rows: only they are read, whatever the catalog's size."""
        return self.catalog_index().rows(year)

    def years(self) -> list[int]:
        return self.catalog_index().years()

    def catalog_index(self) -> CatalogIndex:
        return CatalogIndex(Path(self.catalog), self.layout.catalog)
