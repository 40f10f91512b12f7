"""Release versions (SemVer) and the rule that picks the next one from what changed (`RULE`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestration.publish.errors import BadRelease

if TYPE_CHECKING:
    from orchestration.publish.diff import Diff

_SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
LEVELS = ("patch", "minor", "major")


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        m = _SEMVER.fullmatch(str(text))
        if not m:
            raise BadRelease(f"not a release version (MAJOR.MINOR.PATCH): {text!r}")
        return cls(*(int(g) for g in m.groups()))

    def bump(self, level: str) -> Version:
        if level == "major":
            return Version(self.major + 1, 0, 0)
        if level == "minor":
            return Version(self.major, self.minor + 1, 0)
        if level == "patch":
            return Version(self.major, self.minor, self.patch + 1)
        raise ValueError(f"unknown level {level!r}")

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


RULE = """\
Each release is compared with the latest one before it:

- **major** (2.0.0): a change that breaks readers: a table or column removed,
  renamed or moved, a column's type, a table's primary key or its missing
  values changed, or the license changed;
- **minor** (1.1.0): the coverage grew or shrank (reports added or removed,
  hence new years), or the schema grew (a table or column appended, constraints
  or code lists changed);
- **patch** (1.0.1): corrections to existing values (cells changed, rows of a
  report found or dropped, findings added or resolved), to the documentation
  (titles, descriptions, package metadata) or to the files beside the tables
  (the DuckDB scripts);
- **no new release** when the data are the same: the latest release is reused.

Several kinds of change at once take the highest level. The first release is
1.0.0. When only the latest release's descriptor is at hand (a fresh clone:
`dist/*/` is not committed), values cannot be compared and a change of data is
taken as minor. A release is immutable: publishing different bytes under an
existing version is refused.
"""

FIRST = Version(1, 0, 0)
"""The first release: 1.0.0, so that the rule above holds from the start."""


def level(diff: Diff) -> str | None:
    """The SemVer level of the changes between two releases; None when the data are the same."""
    found = [c.level for c in diff.schema]
    if "licenses" in diff.metadata:
        found.append("major")
    if diff.reports_added or diff.reports_removed or not diff.data_compared:
        found.append("minor")
    corrections = (
        diff.cells,
        diff.rows_added,
        diff.rows_removed,
        diff.findings_added,
        diff.findings_resolved,
    )
    if any(corrections) or diff.metadata or diff.files:
        found.append("patch")
    return max(found, key=LEVELS.index) if found else None
