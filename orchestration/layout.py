"""Where the pipeline keeps its files, under one data directory.

raw/ab/<sha256>                 raw documents, content-addressed (fetch/archive.py)
catalog/<key>/<year>.parquet    the validated catalog by year (fetch/catalog_index.py)
manifest/fetch_manifest/*.parquet   one row per fetch attempt, a file per append (fetch/manifest.py)
parsed/<sha256>.<version>.json  the parse of a raw document by one parser version
parsed/<sha256>.<version>.failure.json   or why it could not be parsed
staged/<table>/<year>.parquet   staged long tables, one file per table and report year
warehouse/ogi.duckdb            all staged tables in one DuckDB database
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = ROOT / "build" / "data"
DEFAULT_CATALOG = ROOT / "data" / "catalog.csv"


@dataclass(frozen=True)
class Layout:
    data_dir: Path

    @classmethod
    def from_env(cls) -> Layout:
        return cls(Path(os.environ.get("OGI_DATA_DIR", DEFAULT_DATA_DIR)))

    @property
    def raw(self) -> Path:
        return self.data_dir / "raw"

    @property
    def catalog(self) -> Path:
        return self.data_dir / "catalog"

    @property
    def manifest(self) -> Path:
        return self.data_dir / "manifest"

    @property
    def parsed(self) -> Path:
        return self.data_dir / "parsed"

    def staged(self, table: str, year: int) -> Path:
        return self.data_dir / "staged" / table / f"{year}.parquet"

    def staged_glob(self, table: str) -> str:
        return str(self.data_dir / "staged" / table / "*.parquet")

    @property
    def warehouse(self) -> Path:
        return self.data_dir / "warehouse" / "ogi.duckdb"
