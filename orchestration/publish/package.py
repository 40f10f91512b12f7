"""The release descriptor, `datapackage.json` (Frictionless Data Package v2), generated from `schemas/`.

Package metadata comes from `schemas/package.yaml`, each table resource's
schema from `schemas/tables/<name>.json` (code lists resolved into enums).
The CSV files are the package's table resources, the ones `frictionless
validate` reads. The release's other files (Parquet copies of the tables and
the DuckDB import scripts) are listed with their sizes and hashes under the
custom property `ogi:files`: Data Package v2 knows no resource type but
`table`, and Frictionless cannot check a Parquet file's bytes. `ogi validate`
checks both lists.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from orchestration import tables
from orchestration.codes import SCHEMAS_DIR
from orchestration.layout import ROOT
from orchestration.publish.errors import BadRelease

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
DESCRIPTOR = "datapackage.json"
FILES = "ogi:files"
RELEASE_YAML = ROOT / "data" / "release.yaml"
DATE_ENV = "OGI_RELEASE_DATE"
_PACKAGE_KEYS = (
    "name",
    "title",
    "description",
    "homepage",
    "keywords",
    "licenses",
    "sources",
    "contributors",
)
_AFTER_VERSION = ("homepage", "keywords", "licenses", "sources", "contributors")


@dataclass(frozen=True)
class FileInfo:
    """A file of a release: its path relative to the release folder, size and sha256."""

    path: str
    bytes: int
    sha256: str

    @property
    def hash(self) -> str:
        return f"sha256:{self.sha256}"


@cache
def metadata() -> dict[str, Any]:
    raw = yaml.safe_load((SCHEMAS_DIR / "package.yaml").read_text(encoding="utf-8"))
    return {k: raw[k] for k in _PACKAGE_KEYS if k in raw}


def table_title(name: str) -> str:
    doc = tables.schema(name)
    return f"{doc['title']} — {doc['zh']}" if doc.get("zh") else doc["title"]


def table_schema(name: str) -> dict[str, Any]:
    """The Table Schema of a resource: fields, keys and missing values (nothing project-specific)."""
    doc = tables.resolved(name)
    out: dict[str, Any] = {"fields": doc["fields"], "primaryKey": doc["primaryKey"]}
    if doc.get("foreignKeys"):
        out["foreignKeys"] = doc["foreignKeys"]
    out["missingValues"] = doc.get("missingValues", [""])
    return out


def table_resource(name: str, csv: FileInfo) -> dict[str, Any]:
    return {
        "name": name,
        "type": "table",
        "path": csv.path,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": csv.bytes,
        "hash": csv.hash,
        "title": table_title(name),
        "description": tables.schema(name)["description"],
        "schema": table_schema(name),
    }


def file_entry(info: FileInfo, fmt: str, mediatype: str, description: str, **extra: str) -> dict[str, Any]:
    return {
        "path": info.path,
        "format": fmt,
        "mediatype": mediatype,
        **extra,
        "bytes": info.bytes,
        "hash": info.hash,
        "description": description,
    }


def descriptor(version: str, created: str, csvs: dict[str, FileInfo], files: list[dict]) -> dict[str, Any]:
    meta = metadata()
    head = {k: meta[k] for k in ("name", "title", "description") if k in meta}
    tail = {k: meta[k] for k in _AFTER_VERSION if k in meta}
    return {
        "$schema": PROFILE,
        **head,
        "version": version,
        "created": created,
        **tail,
        "resources": [table_resource(name, csvs[name]) for name in tables.PUBLISHED],
        FILES: files,
    }


def dumps(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def load(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadRelease(f"{path}: not a readable datapackage.json ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), list):
        raise BadRelease(f"{path}: not a data package descriptor")
    return doc


def entries(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every file a descriptor lists: the table resources, then `ogi:files`."""
    return [*doc["resources"], *doc.get(FILES, [])]


def pointer(doc: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The same descriptor with every path under `prefix` (the repository's `datapackage.json`)."""
    out = copy.deepcopy(doc)
    for entry in entries(out):
        entry["path"] = f"{prefix}/{entry['path']}"
    return out


def content(doc: dict[str, Any]) -> dict[str, Any]:
    """What two releases must share to be the same release: all but version, date and folder."""
    out = copy.deepcopy(doc)
    out.pop("version", None)
    out.pop("created", None)
    for entry in entries(out):
        entry["path"] = entry["path"].rsplit("/", 1)[-1]
    return out


def created_at(value: str | date | datetime) -> str:
    """RFC 3339 in UTC, as Data Package `created` requires; a date is its midnight UTC."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise BadRelease(f"not a date: {value!r}") from exc
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def declared_date(path: Path = RELEASE_YAML) -> str:
    """The build's declared release date: $OGI_RELEASE_DATE, else `created` in data/release.yaml."""
    if os.environ.get(DATE_ENV):
        return created_at(os.environ[DATE_ENV])
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return created_at(raw["created"])
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise BadRelease(f"{path}: no declared release date (`created: YYYY-MM-DD`): {exc}") from exc
