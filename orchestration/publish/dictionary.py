"""The data dictionary (docs/data-dictionary.md), generated from `schemas/` like docs/codes.md.

Every published table and column with its Chinese label beside the English
description, the code lists behind code columns, units, why a value is null,
the reconciliation rules, the versioning rule and how to cite a release.
"""

from __future__ import annotations

import json
from typing import Any

from orchestration import tables
from orchestration.codes import Codes
from orchestration.publish import package
from orchestration.publish.version import RULE
from orchestration.tables import TABLES_DIR


def _esc(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _code_lists(name: str) -> dict[str, str]:
    """Column → the code list it names in its schema file (`"codes": "<list>"`)."""
    raw = json.loads((TABLES_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return {f["name"]: f["codes"] for f in raw["fields"] if f.get("codes")}


def _values(field: dict, code_list: str | None, codes: Codes) -> str:
    c = field.get("constraints", {})
    out = []
    if code_list:
        out.append(f"a code of list `{code_list}` ({len(getattr(codes, code_list))} codes)")
    elif "enum" in c:
        out.append("one of " + ", ".join(f"`{v}`" for v in c["enum"]))
    if "minimum" in c and "maximum" in c:
        out.append(f"{c['minimum']}–{c['maximum']}")
    elif "minimum" in c:
        out.append(f"≥ {c['minimum']}")
    if "pattern" in c:
        out.append(f"pattern `{c['pattern']}`")
    if c.get("unique"):
        out.append("unique")
    return "; ".join(out)


def _table(name: str, codes: Codes) -> list[str]:
    doc = tables.schema(name)
    lists = _code_lists(name)
    pk = ", ".join(f"`{k}`" for k in doc["primaryKey"])
    out = [f"### `{name}` — {doc['title']} ({doc.get('zh', '')})", "", doc["description"], ""]
    out.append(f"Primary key: {pk}.")
    for fk in doc.get("foreignKeys", []):
        ref = fk["reference"]
        out.append(
            f"Foreign key: {', '.join(f'`{c}`' for c in fk['fields'])} → "
            f"`{ref['resource']}`.{', '.join(f'`{c}`' for c in ref['fields'])}."
        )
    out += ["", "| column | 中文 | type | required | description | values |", "|" + " --- |" * 6]
    for f in doc["fields"]:
        required = "yes" if f.get("constraints", {}).get("required") else ""
        out.append(
            f"| `{f['name']}` | {_esc(f.get('title', ''))} | {f['type']} | {required} | "
            f"{_esc(f.get('description', ''))} | {_esc(_values(f, lists.get(f['name']), codes))} |"
        )
    return [*out, ""]


def _units(codes: Codes) -> list[str]:
    out = [
        "## Units",
        "",
        "`fct_disclosures.value` is in the unit of its measure and `fct_narrative.value` in the unit of its",
        "fact (both repeated in the row's `unit` column); `count` in `fct_applications` and `fct_litigation`",
        "is a number of applications or cases (件数).",
        "",
        "| list | code | 中文 | unit |",
        "| --- | --- | --- | --- |",
    ]
    for list_name in ("measures", "facts"):
        for c in getattr(codes, list_name).values():
            out.append(f"| {list_name} | `{c.code}` | {_esc(c.zh)} | {_esc(c.get('unit', ''))} |")
    return [*out, ""]


def _codes_table(title: str, intro: str, head: list[str], rows: list[list[str]]) -> list[str]:
    out = [f"## {title}", "", intro, "", "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    out += ["| " + " | ".join(_esc(v) for v in r) + " |" for r in rows]
    return [*out, ""]


def _cite() -> list[str]:
    meta = package.metadata()
    who = ", ".join(c["title"] for c in meta.get("contributors", []))
    licence = ", ".join(lic["name"] for lic in meta.get("licenses", []))
    return [
        "## How to cite a release",
        "",
        "Cite the version you used (`version` in its `datapackage.json`); a release never changes, so",
        "the version pins every value. For an exact reference add the sha256 of that `datapackage.json`,",
        "which fixes the sha256 of every file of the release.",
        "",
        f"> {who} (<year of `created`>). *{meta['title']}*, version <version> [Data set].",
        f"> {meta.get('homepage', '')}. Licence: {licence}.",
        "",
    ]


def page(codes: Codes) -> str:
    meta = package.metadata()
    lines = [
        "# Data dictionary",
        "",
        "Generated from `schemas/tables/`, `schemas/package.yaml` and `schemas/codes.yaml` by `ogi docs`;",
        "do not edit by hand. The codes themselves are listed in [codes.md](codes.md) and, in every release,",
        "in the table `dim_codes`.",
        "",
        meta["description"],
        "",
        "## A release",
        "",
        "`make build` (or `ogi publish`) writes a release into `dist/<version>/`; the repository's",
        "`datapackage.json` describes the current one. A release folder holds:",
        "",
        "| file | what |",
        "| --- | --- |",
        "| `datapackage.json` | the descriptor (Frictionless Data Package v2): version, date, licence, "
        "sources, each table's schema, and the size and sha256 of every other file |",
        "| `<table>.csv` | each table: UTF-8, a header row, columns in schema order, rows in primary-key "
        "order; an empty cell is null |",
        "| `<table>.parquet` | the same table as Parquet, with the same column types |",
        "| `schema.sql`, `load.sql` | for DuckDB: `IMPORT DATABASE '<release folder>'` creates every table "
        "from the Parquet files, with its types and NOT NULL constraints |",
        "| `keys.sql` | for DuckDB, after the import: adds every table's primary key (DuckDB holds the "
        "index in memory, about 200 bytes a row; the keys were checked when the release was published) |",
        "",
        "## Reading the values",
        "",
        "- **A null is not a zero.** A value that could not be placed with certainty is null (an empty CSV",
        "  cell) and its row says why in `null_reason`; a printed 0 is 0. Read the CSV files with only the",
        '  empty string as missing (pandas: `keep_default_na=False, na_values=[""]`).',
        "- **Values are as printed.** A report whose numbers break a reconciliation rule keeps them; the",
        "  verdict is in `fct_reconciliation` and the violation in `fct_findings`.",
        "- **Compare across templates with care.** `dim_reports.template` says which national template a",
        "  report follows; `fct_applications.single_template_row` marks rows only one template prints.",
        "",
        "## Tables",
        "",
        "| table | 中文 | one row per |",
        "| --- | --- | --- |",
    ]
    for name in tables.PUBLISHED:
        doc = tables.schema(name)
        lines.append(f"| `{name}` | {doc.get('zh', '')} | {', '.join(doc['primaryKey'])} |")
    lines.append("")
    for name in tables.PUBLISHED:
        lines += _table(name, codes)
    lines += _units(codes)
    lines += _codes_table(
        "Why a value is null",
        "Every null value carries one of these in its row's `null_reason`.",
        ["code", "English"],
        [[f"`{c.code}`", c.en] for c in codes.null_reasons.values()],
    )
    lines += _codes_table(
        "Reconciliation rules (勾稽关系)",
        "Checked on the numbers as printed, per scope (`fct_reconciliation`); a violation is a finding.",
        ["code", "中文", "English", "checked per"],
        [[f"`{c.code}`", c.zh, c.en, c.get("scope", "")] for c in codes.rules.values()],
    )
    lines += _codes_table(
        "Findings",
        "What a reader should know about a report (`fct_findings.code`).",
        ["code", "severity", "English"],
        [[f"`{c.code}`", c.get("severity", ""), c.en] for c in codes.findings.values()],
    )
    lines += ["## Versions", "", RULE.rstrip(), ""]
    lines += _cite()
    return "\n".join(lines).rstrip() + "\n"
