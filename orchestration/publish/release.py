"""Reading releases: find them in `dist/`, and open one only after every file's size and sha256 check out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from orchestration.publish import package
from orchestration.publish.errors import BadRelease, ChecksumMismatch
from orchestration.publish.version import Version
from orchestration.publish.write import file_info


@dataclass(frozen=True)
class Release:
    """A release descriptor and the folder its paths are relative to (None: the files are not at hand)."""

    descriptor: dict[str, Any]
    base: Path | None

    @property
    def version(self) -> Version:
        return Version.parse(self.descriptor.get("version", ""))

    @property
    def created(self) -> str:
        return self.descriptor.get("created", "")

    @property
    def has_data(self) -> bool:
        return self.base is not None

    def resource(self, name: str) -> dict[str, Any] | None:
        return next((r for r in self.descriptor["resources"] if r.get("name") == name), None)

    def parquet(self, name: str) -> Path:
        entry = next((f for f in self.descriptor.get(package.FILES, []) if f.get("table") == name), None)
        if entry is None or self.base is None:
            raise BadRelease(f"release {self.descriptor.get('version')}: no Parquet file of {name}")
        return self.base / entry["path"]


def checksum_problems(doc: dict[str, Any], base: Path) -> list[str]:
    """Every listed file that is missing, outside the folder, or not of its recorded size and sha256."""
    problems = []
    for entry in package.entries(doc):
        rel = str(entry.get("path", ""))
        pure = PurePosixPath(rel)
        if not rel or pure.is_absolute() or ".." in pure.parts:
            problems.append(f"{rel!r}: not a relative path inside the release")
            continue
        path = base / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
            continue
        info = file_info(path, rel)
        if entry.get("bytes") != info.bytes:
            problems.append(f"{rel}: {info.bytes} bytes, the descriptor says {entry.get('bytes')}")
        if entry.get("hash") != info.hash:
            problems.append(f"{rel}: {info.hash}, the descriptor says {entry.get('hash')}")
    return problems


def descriptor_path(path: Path) -> Path:
    return path / package.DESCRIPTOR if path.is_dir() else path


def open_release(path: Path) -> Release:
    """The release at a folder or datapackage.json; ChecksumMismatch if any file differs from it."""
    target = descriptor_path(path)
    doc = package.load(target)
    Version.parse(doc.get("version", ""))
    problems = checksum_problems(doc, target.parent)
    if problems:
        raise ChecksumMismatch(f"{target}: " + "; ".join(problems))
    return Release(doc, target.parent)


def versions(dist_dir: Path) -> list[Version]:
    """The versions released in `dist_dir`, oldest first (folders named X.Y.Z holding a descriptor)."""
    found = []
    if dist_dir.is_dir():
        for child in dist_dir.iterdir():
            if child.is_dir() and (child / package.DESCRIPTOR).is_file():
                try:
                    found.append(Version.parse(child.name))
                except BadRelease:
                    continue
    return sorted(found)


def resolve(spec: str, dist_dir: Path) -> Path:
    """A release named by its version (looked up in dist_dir), its folder or its datapackage.json."""
    path = Path(spec)
    if path.exists():
        return path
    try:
        Version.parse(spec)
    except BadRelease:
        raise BadRelease(f"{spec}: neither a release folder, a datapackage.json nor a version") from None
    if not (dist_dir / spec).is_dir():
        raise BadRelease(f"no release {spec} in {dist_dir}")
    return dist_dir / spec
