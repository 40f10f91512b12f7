"""What each step's output was made from, so that a re-run skips a step whose inputs did not change.

A fingerprint is a sha256 over a step's inputs (catalog rows, the raw hashes
fetched for them, the code and schema files that shape the output, the
fingerprints of the steps upstream), never over timestamps. A step records its
fingerprint in `state/<step>.json` under the data directory once it succeeded;
the step is current while the fingerprint it would have now is the recorded one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from orchestration import atomic
from orchestration.fetch.catalog import CatalogRow
from orchestration.layout import ROOT, Layout

STAGE_CODE = (
    "orchestration/pipeline.py",
    "orchestration/tables.py",
    "orchestration/stage/*.py",
    "orchestration/checks/contracts.py",
    "schemas/tables/*.json",
    "schemas/codes.yaml",
)
WAREHOUSE_CODE = ("orchestration/pipeline.py", "orchestration/checks/*.py", "orchestration/stage/*.py")
DBT_CODE = (
    "dbt_project/dbt_project.yml",
    "dbt_project/models/**/*",
    "dbt_project/macros/**/*",
    "dbt_project/tests/**/*",
)
PUBLISH_CODE = ("orchestration/publish/*.py", "schemas/tables/*.json", "schemas/codes.yaml")


def digest(*parts: Any) -> str:
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def code(patterns: tuple[str, ...]) -> str:
    """The files matching the patterns under the repository root, by path and content."""
    files = sorted({p for pattern in patterns for p in ROOT.glob(pattern) if p.is_file()})
    h = hashlib.sha256()
    for path in files:
        h.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _path(layout: Layout, step: str) -> Path:
    return layout.data_dir / "state" / f"{step}.json"


def recorded(layout: Layout, step: str) -> str | None:
    path = _path(layout, step)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get("fingerprint")


def record(layout: Layout, step: str, fingerprint: str) -> None:
    path = _path(layout, step)
    atomic.write_text(path, json.dumps({"fingerprint": fingerprint}) + "\n")


def forget(layout: Layout, step: str) -> None:
    _path(layout, step).unlink(missing_ok=True)


def year(rows: Iterable[CatalogRow], fetched: dict, parser_version: str) -> str:
    """A year's staging inputs: catalog rows, each one's raw hash and retrieval time, the parser version."""
    lines = []
    for row in sorted(rows, key=lambda r: r.report_id):
        got = fetched.get(row.report_id)
        lines.append([_values(row), got.sha256 if got else None, got.retrieved_at if got else None])
    return digest("stage", parser_version, code(STAGE_CODE), lines)


def _values(row: CatalogRow) -> tuple:
    """`dataclasses.astuple` without its deep copy (the values are strings and integers): 10× faster."""
    return tuple(getattr(row, f.name) for f in _CATALOG_FIELDS)


_CATALOG_FIELDS = dataclasses.fields(CatalogRow)


def warehouse(layout: Layout, years: Sequence[int]) -> str:
    """The warehouse's inputs: the recorded fingerprint of each of the catalog's years."""
    staged = {y: recorded(layout, f"staged-{y}") for y in sorted(years)}
    return digest("warehouse", code(WAREHOUSE_CODE), sorted(staged.items()))


def dbt(layout: Layout, years: Sequence[int]) -> str:
    return digest("dbt", code(DBT_CODE), warehouse(layout, years))


def release(layout: Layout, years: Sequence[int], release_date: str) -> str:
    return digest("release", code(PUBLISH_CODE), dbt(layout, years), release_date)


def stale(layout: Layout, steps: Sequence[tuple[str, str]]) -> list[str]:
    """The steps (name, current fingerprint) whose recorded fingerprint differs."""
    return [name for name, fingerprint in steps if recorded(layout, name) != fingerprint]
