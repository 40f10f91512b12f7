"""A synthetic corpus of N annual reports for the scale benchmark: documents on disk and a catalog.

Report i is publisher i // len(years) in year years[i % len(years)], so the
first 1,000 reports of a corpus are the first 1,000 of any larger one, and
every publisher reports every year (as the carry-over mart expects). Each
report's form, template (by year, from schemas/codes.yaml) and numbers follow
from (seed, publisher, year) alone: the same seed gives the same bytes.

The form mix, FORMS, follows what the portals publish: mostly the report as a
web page (the 政府信息公开年报 column of a portal is an article page), often
a PDF (a scanned-free export attached or linked instead), now and then a Word
file, and a few plain-text copies (pdftotext dumps kept by earlier crawls).

Web pages and texts are drawn for each report (about a millisecond each).
PDFs and Word files cost 50-100 ms to draw, so each year has a pool of POOL
drawn documents per form, and a report takes one of them with its own bytes
appended where the format allows it without changing what a reader sees (a
comment after %%EOF; the ZIP archive comment). Every report thus has its own
sha256 (the pipeline parses each one; nothing is deduplicated), while a
PDF's or Word file's numbers repeat across the publishers sharing it.

Files land under build/corpus/<seed>/ (inside the repository root, where the
fetcher reads `file` sources) and are reused across runs: only missing files
are drawn. `serve` serves the same folder on 127.0.0.1 for the fetch stage.

    .venv/bin/python bench/corpus.py --n 10000 [--http]   # writes the corpus and its catalog
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import http.server
import os
import random
import sys
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from orchestration.fetch.catalog import columns  # noqa: E402

CORPUS_ROOT = ROOT / "build" / "corpus"
YEARS = tuple(range(2010, 2026))
FORMS = (("html", 0.60), ("pdf", 0.25), ("docx", 0.10), ("text", 0.05))
"""Form and share of the corpus (see the module docstring for why)."""
POOL = 24
"""Drawn PDFs and Word files per year and form."""
SEED = 20261202


@dataclass(frozen=True)
class Entry:
    """One report of the corpus, as its catalog row will name it."""

    report_id: str
    publisher: str
    year: int
    form: str

    @property
    def relative(self) -> str:
        return f"docs/{self.year}/{self.report_id}.{'txt' if self.form == 'text' else self.form}"


def template_for(year: int) -> str:
    """The template a report of `year` follows, from the year ranges in schemas/codes.yaml."""
    from tests.synthetic.generate import codes

    for code, spec in codes()["templates"].items():
        lo, hi = spec["years"]
        if (lo is None or year >= lo) and (hi is None or year <= hi):
            return code
    raise ValueError(f"no template covers {year}")


def _rng(seed: int, *parts: object) -> random.Random:
    """A generator seeded from the parts (stable across processes, unlike hash())."""
    digest = hashlib.sha256(":".join(map(str, (seed, *parts))).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def publisher(seed: int, index: int) -> str:
    from tests.synthetic.generate import random_publisher

    return f"{random_publisher(_rng(seed, 'publisher', index))}（样本{index:06d}）"


def entry(seed: int, index: int, years: Sequence[int] = YEARS) -> Entry:
    """Report `index` of the corpus."""
    p, year = divmod(index, len(years))
    year = years[year]
    rng = _rng(seed, "form", p, year)
    form = rng.choices([f for f, _ in FORMS], weights=[w for _, w in FORMS])[0]
    return Entry(f"p{p:06d}-{year}", publisher(seed, p), year, form)


def _report(seed: int, key: tuple, year: int, name: str) -> tuple[dict, random.Random]:
    from tests.synthetic.generate import random_report, reconcile

    rng = _rng(seed, "report", *key)
    report = random_report(rng, template_for(year))
    report["report"] |= {"year": year, "publisher": name}
    report["reconciliation"] = reconcile(report)
    return report, rng


def draw(report: dict, rng: random.Random, form: str) -> bytes:
    """The report in one form, drawn by the synthetic renderers."""
    from tests.synthetic.forms import blocks
    from tests.synthetic.render_docx import draw_docx
    from tests.synthetic.render_html import draw_html
    from tests.synthetic.render_pdf import draw_pdf
    from tests.synthetic.render_text import Style, render_text

    if form == "text":
        return render_text(report, rng.choice(list(Style)), rng).encode("utf-8")
    doc = blocks(report, rng, thousands=rng.random() < 0.3)
    return {"html": draw_html, "pdf": draw_pdf, "docx": draw_docx}[form](doc, report["report"], rng)


def pooled(corpus: Path, seed: int, year: int, form: str, k: int) -> bytes:
    """Pooled document k of (year, form), drawn once and kept under pool/."""
    path = corpus / "pool" / f"{year}-{form}-{k:03d}.{form}"
    if path.exists():
        return path.read_bytes()
    report, rng = _report(seed, ("pool", year, form, k), year, publisher(seed, 10**6 + k))
    data = draw(report, rng, form)
    _write(path, data)
    return data


def tagged(data: bytes, form: str, tag: str) -> bytes:
    """`data` made unique by `tag` without changing its content: a PDF comment, a ZIP comment."""
    if form == "pdf":
        return data + f"% ogi-bench {tag}\n".encode("ascii")
    if form == "docx":
        if data[-22:-18] != b"PK\x05\x06" or data[-2:] != b"\0\0":
            raise ValueError("expected a ZIP ending in an end-of-central-directory record without comment")
        comment = tag.encode("ascii")
        return data[:-2] + len(comment).to_bytes(2, "little") + comment
    raise ValueError(f"no tag for {form}")


def document(corpus: Path, seed: int, e: Entry) -> bytes:
    """The bytes of one report: drawn for it (web page, text) or a tagged pooled document."""
    if e.form in ("pdf", "docx"):
        k = _rng(seed, "pool-pick", e.report_id).randrange(POOL)
        return tagged(pooled(corpus, seed, e.year, e.form, k), e.form, e.report_id)
    report, rng = _report(seed, (e.report_id,), e.year, e.publisher)
    return draw(report, rng, e.form)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _draw_pool(corpus: Path, seed: int, key: tuple[int, str]) -> None:
    for k in range(POOL):
        pooled(corpus, seed, *key, k)


def _render_chunk(corpus: Path, seed: int, entries: list[Entry]) -> int:
    done = 0
    for e in entries:
        path = corpus / e.relative
        if not path.exists():
            _write(path, document(corpus, seed, e))
            done += 1
    return done


def corpus_dir(seed: int = SEED) -> Path:
    return CORPUS_ROOT / str(seed)


def entries(n: int, seed: int = SEED, years: Sequence[int] = YEARS, start: int = 0) -> list[Entry]:
    return [entry(seed, i, years) for i in range(start, start + n)]


def generate(
    n: int,
    *,
    seed: int = SEED,
    years: Sequence[int] = YEARS,
    start: int = 0,
    workers: int | None = None,
) -> list[Entry]:
    """Write every missing document of reports start..start+n (in parallel) and return their entries."""
    corpus = corpus_dir(seed)
    todo = entries(n, seed, years, start)
    missing = [e for e in todo if not (corpus / e.relative).exists()]
    workers = workers or os.cpu_count() or 1
    if len(missing) < 200 or workers == 1:
        _render_chunk(corpus, seed, missing)
        return todo
    pools = sorted({(e.year, e.form) for e in missing if e.form in ("pdf", "docx")})
    chunks = [missing[i : i + 500] for i in range(0, len(missing), 500)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        # the pools first, so that no two workers draw the same pooled document
        list(pool.map(functools.partial(_draw_pool, corpus, seed), pools))
        list(pool.map(functools.partial(_render_chunk, corpus, seed), chunks))
    return todo


def write_catalog(
    path: Path, todo: Sequence[Entry], *, seed: int = SEED, base_url: str | None = None
) -> Path:
    """The catalog of `todo` (schemas/catalog.json columns): file paths under the root, or URLs."""
    corpus = corpus_dir(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(columns())
        for e in todo:
            if base_url:
                source = f"{base_url.rstrip('/')}/{e.relative}"
            else:
                source = (corpus / e.relative).relative_to(ROOT).as_posix()
            values = {"report_id": e.report_id, "publisher": e.publisher, "year": e.year, "source": source}
            values["form_hint"] = e.form
            out.writerow([values.get(c, "") for c in columns()])
    os.replace(tmp, path)
    return path


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@dataclass
class Server:
    """The corpus folder over HTTP on 127.0.0.1 (a thread; stop() when done)."""

    httpd: http.server.ThreadingHTTPServer
    thread: threading.Thread

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def serve(seed: int = SEED) -> Server:
    handler = functools.partial(_Quiet, directory=str(corpus_dir(seed)))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="corpus-http", daemon=True)
    thread.start()
    return Server(httpd, thread)


def form_counts(todo: Sequence[Entry]) -> Iterator[tuple[str, int]]:
    for form, _ in FORMS:
        yield form, sum(1 for e in todo if e.form == form)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--catalog", type=Path, help="default: build/corpus/<seed>/catalog-<n>.csv")
    args = ap.parse_args()
    todo = generate(args.n, seed=args.seed)
    catalog = write_catalog(
        args.catalog or corpus_dir(args.seed) / f"catalog-{args.n}.csv", todo, seed=args.seed
    )
    print(catalog, dict(form_counts(todo)))


if __name__ == "__main__":
    main()
