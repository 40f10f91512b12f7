"""The dbt project: where it lives, how dbt is invoked, and its manifest kept current.

The manifest (target/manifest.json) is what dagster-dbt reads to build the
assets. It is prepared once by `dbt parse` when a project file is newer than
it (in `make`, in `ogi build`, or on the first import after an edit), not on
every import.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.modelling.generate import DBT_DIR

MANIFEST = DBT_DIR / "target" / "manifest.json"
DBT = Path(sys.executable).with_name("dbt")
_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests")


class DbtError(RuntimeError):
    """dbt could not parse the project."""


def _newest_source() -> float:
    newest = 0.0
    for name in _SOURCES:
        path = DBT_DIR / name
        paths = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        newest = max([newest, *(p.stat().st_mtime for p in paths)])
    return newest


def manifest_is_current() -> bool:
    return MANIFEST.exists() and MANIFEST.stat().st_mtime >= _newest_source()


def dbt_env() -> dict[str, str]:
    return {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_PROFILES_DIR": str(DBT_DIR)}


def ensure_manifest() -> Path:
    """Parse the project if the manifest is missing or older than a project file."""
    if manifest_is_current():
        return MANIFEST
    done = subprocess.run(
        [str(DBT), "parse", "--quiet", "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)],
        cwd=DBT_DIR,
        env=dbt_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not MANIFEST.exists():
        raise DbtError(f"dbt parse failed:\n{done.stdout}\n{done.stderr}")
    return MANIFEST
