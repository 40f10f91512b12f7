"""Comparing a parse with a gold file, cell by cell (the same keys as ../shared/tools/score_parse.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = ROOT / "tests" / "fixtures" / "seeds"
REAL = SHARED / "real"

TABLES = {
    "disclosures": (("item", "measure"), "value"),
    "applications": (("row", "applicant"), "count"),
    "reviews": (("proceeding", "outcome"), "count"),
}


def cells(doc: dict[str, Any]) -> dict[tuple, Any]:
    out = {}
    for table, (keys, field) in TABLES.items():
        for rec in doc.get(table) or []:
            out[(table, *(rec[k] for k in keys))] = rec[field]
    return out


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def differences(gold: dict[str, Any], parsed: dict[str, Any]) -> list[str]:
    """Everything the strict score checks: cells (nulls included), meta, narrative, verdicts."""
    out = []
    g, p = cells(gold), cells(parsed)
    for key in sorted(set(g) | set(p), key=str):
        if key not in p or key not in g or g[key] != p[key]:
            out.append(f"cell {key}: gold {g.get(key, 'absent')!r}, parsed {p.get(key, 'absent')!r}")
    for k in ("year", "publisher", "template"):
        if gold["report"][k] != parsed["report"][k]:
            out.append(f"report.{k}: gold {gold['report'][k]!r}, parsed {parsed['report'][k]!r}")
    if gold["narrative"] != parsed["narrative"]:
        out.append(f"narrative: gold {gold['narrative']}, parsed {parsed['narrative']}")
    verdicts = {(r["rule"], r["scope"]): r["holds"] for r in parsed["reconciliation"]}
    for r in gold["reconciliation"]:
        got = verdicts.get((r["rule"], r["scope"]), "absent")
        if got != r["holds"]:
            out.append(f"rule {r['rule']}[{r['scope']}]: gold {r['holds']}, parsed {got}")
    return out
