"""Publish throughput: a synthetic warehouse of N reports (a full section 三 grid each) → a release.

Prints the time to publish (read the marts, write CSV + Parquet, validate with
our checks and Frictionless, install), the time of each validation alone, and
rows per second. A figure, not a test.

    .venv/bin/python bench/publish_bench.py [--reports N]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestration import codes  # noqa: E402
from orchestration.publish import publish  # noqa: E402
from orchestration.publish.validate import frictionless_problems, validate  # noqa: E402
from tests.marts import marts, write_warehouse  # noqa: E402


def synthetic(n: int) -> dict[str, list[dict]]:
    rng = random.Random(0)
    reports = [(f"r-{i:06d}", f"机关{i // 3}", 2019 + i % 3) for i in range(n)]
    rows = marts(reports)
    c = codes.load()
    grid = [
        (row, applicant, c.rows[row].get("section"))
        for row in c.template_rows("gb2021")
        for applicant in c.applicants
        if (row, applicant) not in {("new_received", "total"), ("new_received", "natural_person")}
        and (row, applicant) != ("carried_over", "total")
    ]
    for report_id, _, _ in reports:
        for row, applicant, section in grid:
            count = None if rng.random() < 0.02 else rng.randrange(0, 400)
            rows["fct_applications"].append(
                {
                    "report_id": report_id,
                    "row": row,
                    "applicant": applicant,
                    "count": count,
                    "row_section": section,
                    "single_template_row": False,
                    "null_reason": "cells_lost" if count is None else None,
                    "source_line": 40,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=2000)
    args = parser.parse_args()
    rows = synthetic(args.reports)
    total = sum(len(v) for v in rows.values())
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = write_warehouse(Path(tmp) / "w" / "ogi.duckdb", rows)
        start = time.perf_counter()
        done = publish(warehouse, Path(tmp) / "dist", "2026-11-23")
        took = time.perf_counter() - start
        start = time.perf_counter()
        assert validate(done.path, frictionless=False) == []
        own = time.perf_counter() - start
        start = time.perf_counter()
        assert frictionless_problems(done.path / "datapackage.json") == []
        fl = time.perf_counter() - start
        size = sum(p.stat().st_size for p in done.path.iterdir())
    print(
        f"{args.reports} reports, {total:,} rows, release {size / 1e6:.1f} MB: publish {took:.1f} s "
        f"({total / took:,.0f} rows/s, validation included); our checks {own:.1f} s; "
        f"frictionless {fl:.1f} s ({total / fl:,.0f} rows/s)"
    )


if __name__ == "__main__":
    main()
