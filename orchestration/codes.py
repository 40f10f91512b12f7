"""The project's codes, loaded once from `schemas/codes.yaml`.

Nothing else in the code lists templates, items, rows, applicants, rules or
reasons: everything reads them from here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SCHEMAS_DIR = Path(os.environ.get("OGI_SCHEMAS_DIR", Path(__file__).resolve().parents[1] / "schemas"))


@dataclass(frozen=True)
class Code:
    """One code with its labels and whatever else the YAML says about it."""

    code: str
    zh: str
    en: str
    match: tuple[str, ...]
    extra: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.extra.get(key, default)


def _codes(section: dict[str, Any]) -> dict[str, Code]:
    out = {}
    for code, spec in section.items():
        spec = dict(spec)
        zh = spec.pop("zh", "")
        en = spec.pop("en", "")
        match = tuple(spec.pop("match", ()))
        out[code] = Code(code, zh, en, match, spec)
    return out


@dataclass(frozen=True, eq=False)
class Codes:
    version: int
    templates: dict[str, Code]
    sections: dict[str, Code]
    measures: dict[str, Code]
    items: dict[str, Code]
    applicants: dict[str, Code]
    rows: dict[str, Code]
    proceedings: dict[str, Code]
    outcomes: dict[str, Code]
    facts: dict[str, Code]
    rules: dict[str, Code]
    null_reasons: dict[str, Code]
    findings: dict[str, Code]

    def item_measures(self, item: str, template: str) -> tuple[str, ...]:
        return tuple(self.items[item].get("measures", {}).get(template, ()))

    def template_rows(self, template: str) -> tuple[str, ...]:
        return tuple(r for r, c in self.rows.items() if template in c.get("templates", ()))


@cache
def load(path: Path = SCHEMAS_DIR / "codes.yaml") -> Codes:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Codes(
        version=raw["version"],
        **{name: _codes(raw[name]) for name in Codes.__dataclass_fields__ if name != "version"},
    )
