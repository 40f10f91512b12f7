"""Parser throughput, in reports per second per core, against a floor measured in the same run.

The floor is what any parser must do: read the bytes, decode them, split lines
and find every number (for HTML: lexbor's parse and text extraction; for PDFs:
the library's plain text extraction). The ratio says how much the parser adds.
Targets: text >= 1,000 reports/s/core (at most about 12x the floor); HTML >= 500
reports/s/core; PDF >= 20 pages/s/core. For HTML and PDF the reader alone
(bytes to the text the core parses) is shown too.

    .venv/bin/python bench/parse_bench.py [--synthetic N] [--html N] [--pdf N]
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
    """Documents per CPU-second (process time, so one core's rate whatever else runs), after
    one untimed pass: lazy imports and first-use caches are start-up, not throughput."""
    for d in docs:
        fn(d)
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


def synthetic_forms(form: str, n: int) -> list[bytes]:
    """`n` random reports drawn as web pages or PDFs by the synthetic renderers."""
    from tests.synthetic.generate import random_report
    from tests.synthetic.render_html import render_html
    from tests.synthetic.render_pdf import render_pdf

    render = {"html": render_html, "pdf": render_pdf}[form]
    rng = random.Random(20261123)
    return [render(random_report(rng), rng, thousands=rng.random() < 0.3) for _ in range(n)]


def report(name: str, docs: list[bytes], base_fn=floor) -> None:
    parse = rate(parse_bytes, docs)
    base = rate(base_fn, docs)
    print(
        f"{name:22} {len(docs):6} docs  parse {parse:7.0f} reports/s/core"
        f"  floor {base:7.0f}/s  ratio {base / parse:5.1f}x"
    )


def html_floor(data: bytes) -> int:
    """lexbor's own parse and text extraction, then every number: what reading a page costs at least."""
    from selectolax.lexbor import LexborHTMLParser

    text = LexborHTMLParser(data).body.text(separator="\n")
    return sum(len(_NUMBERS.findall(line)) for line in text.splitlines())


def report_html(docs: list[bytes]) -> None:
    from orchestration.parse.readers import read_source

    report("synthetic HTML", docs, html_floor)
    print(f"{'':22} {'':6}       reader alone {rate(read_source, docs):7.0f} reports/s/core")


def pdf_pages(data: bytes) -> int:
    import pypdfium2

    return len(pypdfium2.PdfDocument(data))


def pdf_floor(data: bytes) -> int:
    """The library's plain text extraction: what reading a PDF costs at least."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(data)
    return sum(len(page.get_textpage().get_text_range()) for page in doc)


def report_pdf(name: str, docs: list[bytes]) -> None:
    from orchestration.parse.readers import read_source

    per_doc = sum(pdf_pages(d) for d in docs) / len(docs)
    parse = rate(parse_bytes, docs) * per_doc
    base = rate(pdf_floor, docs) * per_doc
    print(
        f"{name:22} {len(docs):6} docs  parse {parse:7.0f} pages/s/core"
        f"    floor {base:7.0f}/s  ratio {base / parse:5.1f}x"
    )
    print(f"{'':22} {'':6}       reader alone {rate(read_source, docs) * per_doc:7.0f} pages/s/core")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synthetic", type=int, default=10_000)
    ap.add_argument("--html", type=int, default=500, help="synthetic web pages")
    ap.add_argument("--pdf", type=int, default=40, help="synthetic PDFs")
    args = ap.parse_args()
    seeds = [p.read_bytes() for p in sorted((ROOT / "tests/fixtures/seeds").glob("*.txt"))]
    report("seeds", seeds)
    real = sorted((ROOT.parent / "shared/real/text").glob("*.txt"))
    if real:
        report("real pdftotext texts", [p.read_bytes() for p in real])
    pdfs = sorted((ROOT.parent / "shared/real/pdf").glob("*.pdf"))
    if pdfs:
        report_pdf("real PDFs", [p.read_bytes() for p in pdfs])
    if args.pdf:
        report_pdf("synthetic PDFs", synthetic_forms("pdf", args.pdf))
    if args.html:
        report_html(synthetic_forms("html", args.html))
    if args.synthetic:
        report("synthetic", synthetic(args.synthetic))


if __name__ == "__main__":
    main()
