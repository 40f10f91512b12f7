"""Typed errors of publishing: each says what is wrong and where, so a refused release is explained."""

from __future__ import annotations


class PublishError(Exception):
    """Base of every error raised while publishing or reading a release."""


class MartMismatch(PublishError):
    """A warehouse table does not have the columns and types of its published schema."""


class InvalidData(PublishError):
    """The data would make an invalid release (a null in a required column, a duplicate key, …)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "\n  ".join(problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"the release would not be valid:\n  {shown}{more}")


class ReleaseExists(PublishError):
    """A release of this version exists with different bytes: a release is never changed."""

    def __init__(self, version: str, path: str, differing: list[str]):
        self.version = version
        self.differing = differing
        super().__init__(
            f"release {version} already exists at {path} with different content "
            f"({', '.join(differing)}); a published release is immutable: publish under a new version"
        )


class ChecksumMismatch(PublishError):
    """A release file's size or sha256 differs from its descriptor: the file was changed or damaged."""


class BadRelease(PublishError):
    """A folder or descriptor is not a readable release (no datapackage.json, bad version, missing file)."""
