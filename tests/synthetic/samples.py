"""Bundled sample reports for the pipeline: one synthetic publisher over consecutive years.

The publisher, 样例县人民政府 ("sample county"), is not a real body and the numbers
are the generator's. Each year is published in another form (a GBK web page that
declares the wrong charset, a Word file, a PDF), and each year's carried-forward
applications (四、结转下年度继续办理) are the next year's carried-over ones
(二、上年结转) in every column, except for one deliberate mismatch between the last
two years that cross-year checks should catch. The files are byte-deterministic:

    .venv/bin/python -m tests.synthetic.samples [--out DIR]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from tests.synthetic.forms import blocks
from tests.synthetic.generate import applicants, random_report, reconcile, rows_in
from tests.synthetic.render_docx import draw_docx
from tests.synthetic.render_html import draw_html
from tests.synthetic.render_pdf import draw_pdf

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "data" / "samples"
PUBLISHER = "样例县人民政府"
SLUG = "sample_county"
YEARS = {2022: "html", 2023: "docx", 2024: "pdf"}
MISMATCH = (2024, "natural_person", 3)
"""In 2024 the carried-over natural-person count is 3 more than 2023 carried forward."""
SEED = 20240131


def sample_reports() -> dict[int, dict]:
    """The reports of every sample year, chained year to year."""
    rng = random.Random(SEED)
    out: dict[int, dict] = {}
    previous: dict | None = None
    for year in YEARS:
        report = random_report(rng, "gb2021")
        report["report"] |= {"year": year, "publisher": PUBLISHER}
        if previous is not None:
            carry_over(previous, report, MISMATCH[2] if year == MISMATCH[0] else 0)
        report["reconciliation"] = reconcile(report)
        out[year] = previous = report
    return out


def carry_over(previous: dict, report: dict, extra: int) -> None:
    """Set `report`'s carried-over row to `previous`'s carried-forward one (natural persons
    off by `extra`), keeping each column's balance by adjusting the new applications."""
    template = report["report"]["template"]
    (forward,) = rows_in(template, "carried_forward")
    new, over = rows_in(template, "received")
    (processed,) = rows_in(template, "processed_total")
    *columns, total = applicants()
    before = {r["applicant"]: r["count"] for r in previous["applications"] if r["row"] == forward}
    table = {(r["row"], r["applicant"]): r for r in report["applications"]}
    for col in columns:
        carried = before[col] + (extra if col == MISMATCH[1] else 0)
        handled = table[(processed, col)]["count"] + table[(forward, col)]["count"]
        if handled < carried:  # more carried over than handled: the rest is still open at year end
            table[(forward, col)]["count"] += carried - handled
            handled = carried
        table[(over, col)]["count"] = carried
        table[(new, col)]["count"] = handled - carried
    for row in (new, over, forward):
        table[(row, total)]["count"] = sum(table[(row, col)]["count"] for col in columns)
    if "applications_received" in report["narrative"]:
        report["narrative"]["applications_received"] = table[(new, total)]["count"]


def file_name(year: int) -> str:
    return f"{SLUG}_{year}.{YEARS[year]}"


def render_samples() -> dict[str, bytes]:
    """File name → bytes of every sample."""
    out = {}
    for year, report in sample_reports().items():
        rng = random.Random(SEED + year)
        doc = blocks(report, rng)
        form = YEARS[year]
        if form == "html":
            data = draw_html(doc, report["report"], rng, charset=("gbk", "utf-8"))
        elif form == "docx":
            data = draw_docx(doc, report["report"], rng)
        else:
            data = draw_pdf(doc, report["report"], rng, split=True)
        out[file_name(year)] = data
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="Write the bundled synthetic sample reports.")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in render_samples().items():
        (args.out / name).write_bytes(data)
        print(args.out / name)


if __name__ == "__main__":
    main()
