"""The catalog: which reports to fetch and from where.

A CSV under version control whose columns and constraints come from
`schemas/catalog.json`. Loading is pure apart from reading the CSV: sources are
checked lexically here (scheme, path confinement); the client checks confinement
again on the real file system (symlinks) when it reads a file.
"""

from __future__ import annotations

import csv
import json
import os
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from orchestration.codes import SCHEMAS_DIR

REPO_ROOT = Path(__file__).resolve().parents[2]
CATALOG_SCHEMA = SCHEMAS_DIR / "catalog.json"
SCHEMES = ("http", "https", "file")


@cache
def schema() -> dict[str, Any]:
    """The Frictionless table schema of the catalog (the only list of its columns)."""
    return json.loads(CATALOG_SCHEMA.read_text(encoding="utf-8"))


def columns() -> tuple[str, ...]:
    return tuple(f["name"] for f in schema()["fields"])


@dataclass(frozen=True)
class CatalogRow:
    """One validated catalog row; attribute names are the schema's column names."""

    report_id: str
    publisher: str
    year: int
    source: str
    division_code: str | None = None
    form_hint: str | None = None


@dataclass(frozen=True)
class Source:
    """A parsed source: an http(s) URL, or a path relative to the root (lexically confined)."""

    kind: Literal["http", "file"]
    url: str | None = None
    path: PurePosixPath | None = None


@dataclass(frozen=True)
class Problem:
    line: int
    report_id: str | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" ({self.report_id})" if self.report_id else "")
        return f"{where}: {self.column + ': ' if self.column else ''}{self.message}"


class CatalogError(ValueError):
    """The catalog is invalid; `problems` lists every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the catalog:\n{lines}")


class SourceError(ValueError):
    """A source that is neither an http(s) URL nor a path confined to the root."""


class UnsupportedScheme(SourceError):
    pass


class InvalidSourceUrl(SourceError):
    pass


class PathOutsideRoot(SourceError):
    pass


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def parse_source(source: str, root: Path = REPO_ROOT) -> Source:
    """Classify a catalog source; raise SourceError for anything the fetcher must not touch."""
    if _CONTROL.search(source):
        raise InvalidSourceUrl(f"control character in source: {source!r}")
    try:
        parts = urlsplit(source)
    except ValueError as exc:
        raise InvalidSourceUrl(f"malformed URL {source!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not parts.hostname:
            raise InvalidSourceUrl(f"URL without a host: {source!r}")
        return Source("http", url=source)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise InvalidSourceUrl(f"file URL on another machine: {source!r}")
        return Source("file", path=_confine(unquote(parts.path), root))
    if scheme:
        raise UnsupportedScheme(f"unknown scheme {scheme!r}: only {', '.join(SCHEMES)} are allowed")
    return Source("file", path=_confine(source, root))


def _confine(path: str, root: Path) -> PurePosixPath:
    """The path relative to root, refusing `..` escapes and absolute paths elsewhere."""
    if not path:
        raise InvalidSourceUrl("empty path")
    if "\\" in path:
        raise PathOutsideRoot(
            f"backslash in path (a separator, or a UNC or drive path, on Windows): {path!r}"
        )
    if posixpath.isabs(path):
        root_text = posixpath.normpath(Path(os.path.abspath(root)).as_posix())
        norm = posixpath.normpath(path)
        if norm != root_text and not norm.startswith(root_text.rstrip("/") + "/"):
            raise PathOutsideRoot(f"absolute path outside the root {root_text}: {path!r}")
        path = posixpath.relpath(norm, root_text)
    norm = posixpath.normpath(path)
    if norm == ".." or norm.startswith("../"):
        raise PathOutsideRoot(f"path escapes the root: {path!r}")
    if norm == ".":
        raise InvalidSourceUrl(f"path names the root itself: {path!r}")
    return PurePosixPath(norm)


def load_catalog(path: Path, root: Path = REPO_ROOT) -> tuple[CatalogRow, ...]:
    """Read and validate a catalog CSV; raise CatalogError listing every bad row."""
    return tuple(read_catalog(path, root))


def read_catalog(path: Path, root: Path = REPO_ROOT) -> Iterator[CatalogRow]:
    """The valid rows of a catalog CSV one at a time, for a reader that must not hold them all.

    Raises CatalogError, listing every problem, once the whole file is read: a
    consumer keeps nothing it was given until the generator ends.
    """
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = tuple(reader.fieldnames or ())
        yield from validate(header, ((reader.line_num, record) for record in reader), root)


def validate(
    header: tuple[str, ...], records: Iterable[tuple[int, Mapping[str, Any]]], root: Path = REPO_ROOT
) -> Iterator[CatalogRow]:
    """Validate parsed CSV records (line number, column → text) against the schema.

    Yields each valid row as it is read; CatalogError at the end if any record was not.
    """
    problems = _header_problems(header)
    if problems:
        raise CatalogError(problems)
    seen: dict[tuple[str, Any], int] = {}
    for line, record in records:
        values, row_problems = _row(line, record, root)
        row_problems.extend(_unique_problems(line, values, seen))
        problems.extend(row_problems)
        if not row_problems:
            yield CatalogRow(**values)
    if problems:
        raise CatalogError(problems)


def _unique_problems(line: int, values: Mapping[str, Any], seen: dict[tuple[str, Any], int]) -> list[Problem]:
    """Duplicates of columns the schema marks unique (first occurrence wins)."""
    problems = []
    for field in schema()["fields"]:
        name, value = field["name"], values.get(field["name"])
        if not field.get("constraints", {}).get("unique") or value is None:
            continue
        if (name, value) in seen:
            message = f"duplicate {value!r}, first on line {seen[name, value]}"
            problems.append(Problem(line, values.get("report_id"), name, message))
        else:
            seen[name, value] = line
    return problems


def _header_problems(header: tuple[str, ...]) -> list[Problem]:
    problems = []
    required = {f["name"] for f in schema()["fields"] if f.get("constraints", {}).get("required")}
    missing = [c for c in columns() if c in required and c not in header]
    unknown = [c for c in header if c not in columns()]
    if missing:
        problems.append(Problem(1, None, None, f"missing column(s): {', '.join(missing)}"))
    if unknown:
        problems.append(Problem(1, None, None, f"unknown column(s): {', '.join(unknown)}"))
    if len(set(header)) != len(header):
        problems.append(Problem(1, None, None, "a column appears twice"))
    return problems


def _row(line: int, record: Mapping[str, Any], root: Path) -> tuple[dict[str, Any], list[Problem]]:
    """Typed values and the problems of one record, checked field by field from the schema."""
    values: dict[str, Any] = {}
    messages: list[tuple[str | None, str]] = []
    if None in record:
        messages.append((None, "more cells than columns"))
    for field in schema()["fields"]:
        name = field["name"]
        text = (record.get(name) or "").strip()
        value, message = _field_value(field, text)
        values[name] = value
        if message:
            messages.append((name, message))
    if values.get("source") is not None:
        try:
            parse_source(values["source"], root)
        except SourceError as exc:
            messages.append(("source", str(exc)))
    rid = values.get("report_id")
    return values, [Problem(line, rid, column, message) for column, message in messages]


def _field_value(field: Mapping[str, Any], text: str) -> tuple[Any, str | None]:
    """The typed value of one cell and what is wrong with it (None when nothing is)."""
    constraints = field.get("constraints", {})
    if text in schema().get("missingValues", [""]):
        return None, "required" if constraints.get("required") else None
    value: Any = text
    if field["type"] == "integer":
        if not re.fullmatch(r"[+-]?[0-9]+", text):
            return None, f"not an integer: {text!r}"
        value = int(text)
    return value, _constraint_problem(constraints, value)


def _constraint_problem(constraints: Mapping[str, Any], value: Any) -> str | None:
    if isinstance(value, int):
        return _range_problem(constraints, value)
    if "maxLength" in constraints and len(value) > constraints["maxLength"]:
        return f"longer than {constraints['maxLength']} characters"
    if "pattern" in constraints and not re.fullmatch(constraints["pattern"], value):
        return f"{value!r} does not match {constraints['pattern']!r}"
    if "enum" in constraints and value not in constraints["enum"]:
        return f"{value!r} is not one of {', '.join(map(str, constraints['enum']))}"
    return None


def _range_problem(constraints: Mapping[str, Any], value: int) -> str | None:
    if "minimum" in constraints and value < constraints["minimum"]:
        return f"{value} is below the minimum {constraints['minimum']}"
    if "maximum" in constraints and value > constraints["maximum"]:
        return f"{value} is above the maximum {constraints['maximum']}"
    return None


def _check_row_matches_schema() -> None:
    """Fail at import if the dataclass and the schema disagree about the columns."""
    names = tuple(f.name for f in fields(CatalogRow))
    if names != columns():
        raise RuntimeError(f"CatalogRow fields {names} differ from {CATALOG_SCHEMA} columns {columns()}")


_check_row_matches_schema()
