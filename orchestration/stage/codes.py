"""The code lists of `schemas/codes.yaml` as rows of a table, so SQL (dbt) can label and check codes."""

from __future__ import annotations

from orchestration.codes import Codes

LISTS = (
    "templates",
    "items",
    "measures",
    "rows",
    "applicants",
    "proceedings",
    "outcomes",
    "facts",
    "rules",
    "null_reasons",
    "findings",
)


def code_rows(codes: Codes) -> list[dict]:
    """One row per (list, code): labels, unit, and the row group / finding severity in `section`."""
    out = []
    for name in LISTS:
        for code in getattr(codes, name).values():
            templates = code.get("templates")
            out.append(
                {
                    "list": name,
                    "code": code.code,
                    "zh": code.zh or None,
                    "en": code.en,
                    "unit": code.get("unit"),
                    "section": code.get("section") or code.get("severity"),
                    "templates": ",".join(templates) if templates else None,
                }
            )
    return out
