"""Where the data lives and which catalog to read, configurable per deployment."""

import hashlib
import os
from pathlib import Path

import dagster as dg

from orchestration.fetch.catalog import CatalogRow, load_catalog
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

    def rows(self, year: int | None = None) -> list[CatalogRow]:
        rows = _catalog(Path(self.catalog))
        return [r for r in rows if year is None or r.year == year]

    def years(self) -> list[int]:
        return sorted({r.year for r in self.rows()})


_LOADED: dict[tuple[str, str], tuple[CatalogRow, ...]] = {}


def _catalog(path: Path) -> tuple[CatalogRow, ...]:
    """The validated catalog, validated once per content (every step of every year reads it)."""
    key = (str(path), hashlib.sha256(path.read_bytes()).hexdigest())
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = load_catalog(path)
    return _LOADED[key]
