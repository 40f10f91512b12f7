"""Parse each raw document once per parser version; keep failures with their reasons.

The cache key is (raw sha256, parser version): a new parser version reparses
everything, an unchanged document under the same version is never reparsed.
The cached JSON is exactly `ogi parse` output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration import atomic
from orchestration.parse import PARSER_VERSION, errors, parse_bytes


@dataclass(frozen=True)
class Parsed:
    sha256: str
    doc: dict[str, Any] | None
    error: str | None = None
    message: str | None = None
    cached: bool = False


def _paths(parsed_dir: Path, sha256: str) -> tuple[Path, Path]:
    stem = parsed_dir / f"{sha256}.{PARSER_VERSION}"
    return stem.with_suffix(stem.suffix + ".json"), stem.with_suffix(stem.suffix + ".failure.json")


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    atomic.write_text(path, json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n")


def state(parsed_dir: Path, sha256: str) -> str | None:
    """ "ok" or "failed" when this parser version has parsed the document, else None (no file is read)."""
    ok, failed = _paths(parsed_dir, sha256)
    if ok.exists():
        return "ok"
    return "failed" if failed.exists() else None


def cached(parsed_dir: Path, sha256: str) -> Parsed | None:
    ok, failed = _paths(parsed_dir, sha256)
    if ok.exists():
        return Parsed(sha256, json.loads(ok.read_text(encoding="utf-8")), cached=True)
    if failed.exists():
        f = json.loads(failed.read_text(encoding="utf-8"))
        return Parsed(sha256, None, f["error"], f["message"], cached=True)
    return None


def parse_raw(parsed_dir: Path, sha256: str, data: bytes) -> Parsed:
    """Parse and cache; a document that fails is cached as a failure with its typed reason."""
    ok, failed = _paths(parsed_dir, sha256)
    try:
        doc = parse_bytes(data).as_dict()
    except errors.ParseError as exc:
        _write_json(failed, {"error": exc.code, "message": exc.message, "parser_version": PARSER_VERSION})
        return Parsed(sha256, None, exc.code, exc.message)
    except (RecursionError, MemoryError, ValueError) as exc:
        message = f"{type(exc).__name__}: {exc}"[:500]
        _write_json(failed, {"error": "parser_crash", "message": message, "parser_version": PARSER_VERSION})
        return Parsed(sha256, None, "parser_crash", message)
    _write_json(ok, doc)
    return Parsed(sha256, doc)
