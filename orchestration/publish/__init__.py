"""Publishing: the dbt marts → an immutable, versioned, validated Frictionless data package.

    published = publish(layout.warehouse, dist_dir(layout.data_dir), package.declared_date())

writes `dist/<version>/` (CSV + Parquet per table, DuckDB import scripts,
datapackage.json), then points the repository's `datapackage.json` (beside
`dist/`) at the latest release and adds its section to `CHANGELOG.md`.
The version follows the rule in `version.py`, against the latest release in
`dist/` or, when that folder is empty (a fresh clone), the one the committed
`datapackage.json` describes: a build whose data equal it reproduces it,
byte for byte.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from orchestration import atomic, tables
from orchestration.layout import DEFAULT_DATA_DIR, ROOT
from orchestration.publish import diff, package, release, validate, version, write
from orchestration.publish.diff import Diff
from orchestration.publish.errors import InvalidData, PublishError, ReleaseExists
from orchestration.publish.release import Release
from orchestration.publish.version import Version

__all__ = ["DIST_DIR", "PublishError", "Published", "dist_dir", "publish"]

DIST_DIR = ROOT / "dist"
CHANGELOG = "CHANGELOG.md"
_CHANGELOG_HEAD = """# Changelog

Every release of the data package, newest first, with what changed since the
one before. Written by the publish step (`ogi publish`, or the `release`
asset of `ogi build`); `ogi diff OLD NEW` gives the full list. The versioning
rule is in the README ("Releases and versions").
"""
_CHANGELOG_LIMIT = 100


def dist_dir(data_dir: Path | None = None) -> Path:
    """Where releases go: $OGI_DIST_DIR; else the repository's dist/ for the default data dir, and
    `<data dir>/dist` for any other (so a build elsewhere, a test's, never touches the repository)."""
    if os.environ.get("OGI_DIST_DIR"):
        return Path(os.environ["OGI_DIST_DIR"])
    if data_dir is None or Path(data_dir).resolve() == DEFAULT_DATA_DIR.resolve():
        return DIST_DIR
    return Path(data_dir) / "dist"


@dataclass(frozen=True)
class Published:
    """The outcome of a publish: which release is current and whether it was written now."""

    version: str
    path: Path
    created: str
    new: bool
    level: str | None
    previous: str | None
    changes: Diff | None


def _previous(dist: Path) -> Release | None:
    """The latest release: in dist/, or the committed descriptor beside it when that is newer."""
    found = release.versions(dist)
    latest = release.open_release(dist / str(found[-1])) if found else None
    pointer = dist.parent / package.DESCRIPTOR
    if pointer.is_file():
        doc = package.load(pointer)
        if latest is None or Version.parse(doc.get("version", "")) > latest.version:
            return Release(doc, None)
    return latest


def _check_keys(con: duckdb.DuckDBPyConnection) -> None:
    problems = validate.key_problems(con, {n: tables.resolved(n) for n in tables.PUBLISHED})
    if problems:
        raise InvalidData([str(p) for p in problems])


def publish(
    warehouse: Path, dist: Path, created: str | date | datetime, *, version_: str | None = None
) -> Published:
    """Write the release of the warehouse's marts under the version the rule gives (or `version_`).

    Data equal to the latest release's reuse it. A release that would not
    validate is never installed (InvalidData); a version that exists with
    other bytes is never overwritten (ReleaseExists).
    """
    created = package.created_at(created)
    with write.open_marts(warehouse) as con:
        _check_keys(con)
        dist.mkdir(parents=True, exist_ok=True)
        atomic.sweep(dist)
        staging = atomic.temporary_dir(dist, "release")
        try:
            csvs, files = write.write_files(con, staging)
            first = _first(con)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    try:
        previous = _previous(dist)
        candidate = Release(package.descriptor("0.0.0", created, csvs, files), staging)
        same = previous is not None and package.content(candidate.descriptor) == package.content(
            previous.descriptor
        )
        changes, level = None, None
        if previous is not None and not same:
            changes = diff.diff(previous, candidate)
            level = version.level(changes)
        decided = _decide(dist, previous, candidate, same, level, version_)
        if isinstance(decided, Release):
            return _reused(decided, dist)
        chosen, created = decided[0], decided[1] or created
        doc = package.descriptor(chosen, created, csvs, files)
        (staging / package.DESCRIPTOR).write_bytes(package.dumps(doc))
        problems = validate.validate(staging)
        if problems:
            raise InvalidData([str(p) for p in problems])
        if changes is not None:
            changes.new_version = chosen
        if not (dist / chosen).exists():  # the section first: a crash before the install must not lose it
            _changelog(dist.parent / CHANGELOG, doc, changes, level, first)
        new = write.install(staging, dist / chosen)
        _point(dist, doc)
        return Published(
            chosen, dist / chosen, created, new, level, str(previous.version) if previous else None, changes
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _decide(
    dist: Path, previous: Release | None, candidate: Release, same: bool, level: str | None, asked: str | None
) -> Release | tuple[str, str | None]:
    """The release to reuse, or the version (and the date, when an earlier one must be kept) to write."""
    if asked is not None:
        chosen = str(Version.parse(asked))
        if (dist / chosen / package.DESCRIPTOR).is_file():
            existing = release.open_release(dist / chosen)
            same_as_existing = package.content(candidate.descriptor) == package.content(existing.descriptor)
            return existing if same_as_existing else (chosen, None)
        if previous is not None and chosen == str(previous.version):
            if not same:
                raise ReleaseExists(chosen, str(dist.parent / package.DESCRIPTOR), ["data"])
            return chosen, previous.created
        return chosen, None
    if previous is None:
        return str(version.FIRST), None
    if same:
        return previous if previous.has_data else (str(previous.version), previous.created)
    if level is None:
        return previous
    return str(previous.version.bump(level)), None


def _reused(previous: Release, dist: Path) -> Published:
    _point(dist, previous.descriptor)
    return Published(
        str(previous.version), dist / str(previous.version), previous.created, False, None, None, None
    )


def _point(dist: Path, doc: dict) -> None:
    """Point the repository's datapackage.json (beside dist/) at the latest release."""
    latest = release.versions(dist)
    if latest and str(latest[-1]) != doc["version"]:
        return
    pointer = dist.parent / package.DESCRIPTOR
    text = package.dumps(package.pointer(doc, f"{dist.name}/{doc['version']}"))
    if not pointer.is_file() or pointer.read_bytes() != text:
        _atomic_write(pointer, text)


def _first(con: duckdb.DuckDBPyConnection) -> str:
    n, low, high = con.execute(
        "SELECT count(*), min(catalog_year), max(catalog_year) FROM dim_reports"
    ).fetchone()
    span = f"{low}–{high}" if n else "none"
    return f"First release: {n} reports, years {span}."


def _changelog(path: Path, doc: dict, changes: Diff | None, level: str | None, first: str) -> None:
    """Add the release's section at the top of CHANGELOG.md, unless it is there already."""
    text = path.read_text(encoding="utf-8") if path.is_file() else _CHANGELOG_HEAD
    if re.search(rf"^## {re.escape(doc['version'])}( |$)", text, re.MULTILINE):
        return
    heading = f"## {doc['version']} — {doc['created'][:10]}"
    if changes is None:
        section = f"{heading}\n\n{first}\n"
    else:
        section = diff.render(changes, heading, level, limit=_CHANGELOG_LIMIT)
    head, sep, rest = text.partition("\n## ")
    new = f"{head.rstrip()}\n\n{section}" + (f"\n## {rest}" if sep else "")
    _atomic_write(path, new.encode("utf-8"))


def _atomic_write(path: Path, data: bytes) -> None:
    atomic.write_bytes(path, data)
