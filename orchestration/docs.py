"""Reference pages generated from `schemas/`: the codes are documented from the same file the parser reads."""

from __future__ import annotations

from pathlib import Path

from orchestration import atomic
from orchestration.codes import Code, Codes, load

DOCS_DIR = Path(__file__).resolve().parents[1] / "docs"


def _table(title: str, codes: dict[str, Code], extra: tuple[str, ...] = ()) -> list[str]:
    head = ["code", "中文", "English", *extra]
    out = [f"## {title}", "", "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for c in codes.values():
        cells = [f"`{c.code}`", c.zh, c.en, *(_fmt(c.get(k)) for k in extra)]
        out.append("| " + " | ".join(cells) + " |")
    return [*out, ""]


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {', '.join(v)}" for k, v in value.items())
    if isinstance(value, list | tuple) and len(value) == 2 and None in value:
        return f"{value[0] or ''}–{value[1] or ''}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def codes_page(codes: Codes) -> str:
    lines = [
        "# Codes of the report model",
        "",
        "Generated from `schemas/codes.yaml` by `ogi docs`; do not edit by hand.",
        "",
        *_table("Templates", codes.templates, ("years",)),
        *_table("Section 二 items (disclosures)", codes.items, ("measures",)),
        *_table("Section 二 measures", codes.measures, ("unit",)),
        *_table("Section 三 rows (applications)", codes.rows, ("section", "templates")),
        *_table("Section 三 applicant columns", codes.applicants),
        *_table("Section 四 proceedings (reviews)", codes.proceedings),
        *_table("Section 四 outcomes", codes.outcomes),
        *_table("Narrative facts", codes.facts, ("unit",)),
        *_table("Reconciliation rules", codes.rules, ("scope",)),
        *_table("Why a cell is null", codes.null_reasons),
        *_table("Findings", codes.findings, ("severity",)),
    ]
    return "\n".join(lines).rstrip() + "\n"


def write(docs_dir: Path = DOCS_DIR) -> list[Path]:
    from orchestration.publish import dictionary

    docs_dir.mkdir(parents=True, exist_ok=True)
    pages = {"codes.md": codes_page(load()), "data-dictionary.md": dictionary.page(load())}
    for name, text in pages.items():
        atomic.write_text(docs_dir / name, text)
    return [docs_dir / name for name in pages]
