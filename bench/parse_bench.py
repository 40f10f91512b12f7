"""Parser throughput, in reports per second per core, against a floor measured in the same run.

The floor is what any parser must do: read the bytes, decode them, split lines
and find every number (for PDFs: the library's plain text extraction). The
ratio says how much the parser adds. Targets: text >= 1,000 reports/s/core
(at most about 12x the floor); PDF >= 20 pages/s/core.

    .venv/bin/python bench/parse_bench.py [--synthetic N]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestration.parse import parse_bytes  # noqa: E402

_NUMBERS = re.compile(r"\d+(?:\.\d+)?")


def floor(data: bytes) -> int:
    text = data.decode("utf-8", errors="replace")
    return sum(len(_NUMBERS.findall(line)) for line in text.splitlines())


def rate(fn, docs: list[bytes], min_seconds: float = 1.0) -> float:
    """Documents per CPU-second (process time, so one core's rate whatever else runs)."""
    done, start = 0, time.process_time()
    while True:
        for d in docs:
            fn(d)
        done += len(docs)
        elapsed = time.process_time() - start
        if elapsed >= min_seconds:
            return done / elapsed


def synthetic(n: int) -> list[bytes]:
    from tests.synthetic.generate import random_report
    from tests.synthetic.render_text import Style, render_text

    rng = random.Random(20261123)
    styles = list(Style)
    return [render_text(random_report(rng), rng.choice(styles), rng).encode("utf-8") for _ in range(n)]


def report(name: str, docs: list[bytes]) -> None:
    parse = rate(parse_bytes, docs)
    base = rate(floor, docs)
    print(
        f"{name:22} {len(docs):6} docs  parse {parse:7.0f} reports/s/core"
        f"  floor {base:7.0f}/s  ratio {base / parse:5.1f}x"
    )


def pdf_pages(data: bytes) -> int:
    import pypdfium2

    return len(pypdfium2.PdfDocument(data))


def pdf_floor(data: bytes) -> int:
    """The library's plain text extraction: what reading a PDF costs at least."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(data)
    return sum(len(page.get_textpage().get_text_range()) for page in doc)


def report_pdf(paths: list[Path]) -> None:
    docs = [p.read_bytes() for p in paths]
    pages = sum(pdf_pages(d) for d in docs)
    parse = rate(parse_bytes, docs) * pages / len(docs)
    base = rate(pdf_floor, docs) * pages / len(docs)
    print(
        f"{'real PDFs':22} {len(docs):6} docs  parse {parse:7.0f} pages/s/core"
        f"    floor {base:7.0f}/s  ratio {base / parse:5.1f}x"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synthetic", type=int, default=10_000)
    args = ap.parse_args()
    seeds = [p.read_bytes() for p in sorted((ROOT / "tests/fixtures/seeds").glob("*.txt"))]
    report("seeds", seeds)
    real = sorted((ROOT.parent / "shared/real/text").glob("*.txt"))
    if real:
        report("real pdftotext texts", [p.read_bytes() for p in real])
    pdfs = sorted((ROOT.parent / "shared/real/pdf").glob("*.pdf"))
    if pdfs:
        report_pdf(pdfs)
    if args.synthetic:
        report("synthetic", synthetic(args.synthetic))


if __name__ == "__main__":
    main()
