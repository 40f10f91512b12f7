"""Byte-identity harness for parser changes that must not change what the parser says.

Parses a fixed corpus (the seeds, the real texts and PDFs, the bundled samples,
and seeded synthetic reports as text, lossy text, traditional-script Big5 text,
HTML, DOCX and PDF) and writes each result exactly as `ogi parse` does (or the
typed error it raised) under OUT/<group>/. Snapshot before a change, snapshot
after, then compare:

    .venv/bin/python bench/parse_identity.py /tmp/ref
    .venv/bin/python bench/parse_identity.py /tmp/new --compare /tmp/ref
"""

from __future__ import annotations

import argparse
import filecmp
import random
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orchestration.cli import _dump  # noqa: E402
from orchestration.parse import errors, parse_bytes  # noqa: E402

SEED = 20261202
COUNTS = {"text": 300, "lossy": 100, "traditional": 20, "html": 200, "html_hidden": 50, "docx": 10, "pdf": 10}
"""Synthetic documents per group, by default."""


def files() -> Iterator[tuple[str, str, bytes]]:
    shared = ROOT.parent / "shared"
    for group, folder, pattern in (
        ("seeds", shared / "seeds", "*.txt"),
        ("real_text", shared / "real/text", "*.txt"),
        ("real_pdf", shared / "real/pdf", "*.pdf"),
        ("samples", ROOT / "data/samples", "*"),
    ):
        for path in sorted(folder.glob(pattern)):
            yield group, path.stem, path.read_bytes()


def synthetic(counts: dict[str, int]) -> Iterator[tuple[str, str, bytes]]:
    from tests.synthetic.generate import random_report
    from tests.synthetic.render_docx import synthetic_docx
    from tests.synthetic.render_html import synthetic_html
    from tests.synthetic.render_pdf import synthetic_pdf
    from tests.synthetic.render_text import Style, render_lossy, render_text

    rng = random.Random(SEED)
    styles = list(Style)
    for i in range(counts["text"]):
        text = render_text(random_report(rng), rng.choice(styles), rng, thousands=rng.random() < 0.3)
        yield "text", f"{i:04d}", text.encode("utf-8")
    for i in range(counts["lossy"]):
        yield (
            "lossy",
            f"{i:04d}",
            render_lossy(random_report(rng), rng.choice(styles), rng).text.encode("utf-8"),
        )
    for i in range(counts["traditional"]):
        yield (
            "traditional",
            f"{i:04d}",
            _traditional(render_text(random_report(rng), rng.choice(styles), rng)),
        )
    for form, make in (("html", synthetic_html), ("docx", synthetic_docx), ("pdf", synthetic_pdf)):
        for i in range(counts[form]):
            yield form, f"{i:04d}", make(SEED + i).data
    for i in range(counts["html_hidden"]):
        yield "html_hidden", f"{i:04d}", _with_hidden(synthetic_html(SEED + 10_000 + i).data, rng)


_HIDE = (
    (b"<td>", 0.05, b'<td style="display: none">'),
    (b"<td>", 0.05, b"<td><span hidden>7</span>"),
    (b"<tr>", 0.03, b'<tr style="VISIBILITY:hidden">'),
    (b"<p>", 0.1, b"<p hidden>"),
    (b"<p>", 0.05, b'<p><b style="display:none">3 </b>'),
)
"""Markup hiding elements (cells, rows, paragraphs, inline runs), put into synthetic pages."""


def _with_hidden(page: bytes, rng: random.Random) -> bytes:
    for tag, share, hidden in _HIDE:
        parts = page.split(tag)
        page = parts[0] + b"".join((hidden if rng.random() < share else tag) + p for p in parts[1:])
    return page


def _traditional(text: str) -> bytes:
    import opencc

    return opencc.OpenCC("s2t").convert(text).encode("big5hkscs", errors="replace")


def outcome(data: bytes) -> tuple[str, str]:
    """What `ogi parse` writes for these bytes: the report JSON, or the error line."""
    try:
        return "json", _dump(parse_bytes(data).as_dict())
    except errors.ParseError as exc:
        return "error", f"{exc.code}: {exc.message}\n"


def snapshot(out: Path, counts: dict[str, int]) -> int:
    n = 0
    for group, name, data in [*files(), *synthetic(counts)]:
        folder = out / group
        folder.mkdir(parents=True, exist_ok=True)
        suffix, text = outcome(data)
        (folder / f"{name}.{suffix}").write_text(text, encoding="utf-8")
        n += 1
    return n


def differences(ref: Path, new: Path) -> list[str]:
    out = []
    pending = [filecmp.dircmp(ref, new)]
    while pending:
        cmp = pending.pop()
        rel = Path(cmp.left).relative_to(ref)
        out += [f"only in reference: {rel / f}" for f in cmp.left_only]
        out += [f"only in new: {rel / f}" for f in cmp.right_only]
        _, mismatch, errs = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        out += [f"differs: {rel / f}" for f in mismatch + errs]
        pending += cmp.subdirs.values()
    return sorted(out)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--compare", type=Path, help="a reference snapshot; exit 1 on any difference")
    for group, n in COUNTS.items():
        ap.add_argument(f"--{group.replace('_', '-')}", type=int, default=n, help="synthetic documents")
    args = ap.parse_args()
    counts = {group: getattr(args, group) for group in COUNTS}
    print(f"{snapshot(args.out, counts)} documents parsed into {args.out}")
    if args.compare is None:
        return 0
    diffs = differences(args.compare, args.out)
    print("\n".join(diffs) or "byte-identical")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
