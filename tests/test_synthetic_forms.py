"""Every input form parses to the same report: synthetic and seed reports as HTML, DOCX and PDF.

A report drawn as a web page (rowspan/colspan template tables, GBK bytes under a
wrong <meta charset>, layout tables), a Word file (merged cells) or a PDF (ruled
tables broken across pages, running headers, page numbers) must parse back
exactly; a printed blank cell is null with reason `blank_cell`, never 0 and never
the `cells_lost` of a text copy. Reproduce a failing example with
`python -c "from tests.synthetic.render_pdf import synthetic_pdf; ..."` and the seed shown.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.parse import parse_bytes
from orchestration.parse.detect import detect_form
from orchestration.parse.readers.html import declared_charset
from tests import gold
from tests.synthetic import samples
from tests.synthetic.forms import FormRendering
from tests.synthetic.generate import template_codes
from tests.synthetic.render_docx import synthetic_docx
from tests.synthetic.render_html import synthetic_html
from tests.synthetic.render_pdf import synthetic_pdf
from tests.synthetic.seeds import gold_path, render_seed, stems
from tests.test_synthetic import differences

SYNTHETIC: dict[str, Callable[..., FormRendering]] = {
    "html": synthetic_html,
    "docx": synthetic_docx,
    "pdf": synthetic_pdf,
}
EXAMPLES = {"html": 25, "docx": 12, "pdf": 12}
"""Kept small: rendering a DOCX or PDF costs a tenth of a second or more on a shared core."""
seeds = st.integers(0, 2**32 - 1)
templates = st.sampled_from(template_codes())


def where_keys(form: str) -> set[str]:
    return {"html": {"path"}, "docx": {"table", "row", "cell"}, "pdf": {"page", "bbox"}}[form]


def check_exact(form: str, rendering: FormRendering) -> dict:
    """The parse equals the truth; blank cells are null with `blank_cell` and point into the file."""
    assert detect_form(rendering.data) == form
    parsed = parse_bytes(rendering.data).as_dict()
    problems = differences(rendering.truth, parsed)
    if problems:
        shown = "\n  ".join(problems[:25])
        pytest.fail(f"{len(problems)} differences (blank cells {sorted(rendering.blanks)}):\n  {shown}")
    placed = {}
    for table, (k1, k2) in (("disclosures", ("item", "measure")), ("applications", ("row", "applicant"))):
        placed |= {(table, r[k1], r[k2]): r for r in parsed[table]}
    placed |= {("reviews", r["proceeding"], r["outcome"]): r for r in parsed["reviews"]}
    reasons = {key: rec.get("null_reason") for key, rec in placed.items()}
    assert {k for k, why in reasons.items() if why == "blank_cell"} == set(rendering.blanks)
    assert not {why for why in reasons.values() if why not in (None, "blank_cell")}
    for key in rendering.blanks:
        assert set(placed[key]["source"]["where"]) == where_keys(form)
    return parsed


def run_property(form: str, seed: int, template: str) -> None:
    check_exact(form, SYNTHETIC[form](seed, template))


@settings(max_examples=EXAMPLES["html"], deadline=None)
@given(seed=seeds, template=templates)
def test_html_parses_back_exactly(seed, template):
    run_property("html", seed, template)


@settings(max_examples=EXAMPLES["docx"], deadline=None)
@given(seed=seeds, template=templates)
def test_docx_parses_back_exactly(seed, template):
    run_property("docx", seed, template)


@settings(max_examples=EXAMPLES["pdf"], deadline=None)
@given(seed=seeds, template=templates)
def test_pdf_parses_back_exactly(seed, template):
    run_property("pdf", seed, template)


@pytest.mark.parametrize("template", ["gb2021", "gb2019"])
def test_pdf_table_broken_across_pages_parses_back(template):
    rendering = synthetic_pdf(11, template, split=True)
    parsed = check_exact("pdf", rendering)
    pages = {r["source"]["where"]["page"] for r in parsed["applications"] if r["count"] is not None}
    assert len(pages) == 2


def test_gbk_page_declaring_another_charset_parses_back():
    """The first synthetic pages that are GBK/GB18030 bytes under a utf-8 or iso-8859-1 <meta>."""
    found = []
    for seed in range(200):
        rendering = synthetic_html(seed, "gb2021")
        declared = declared_charset(rendering.data[:4096])
        try:
            rendering.data.decode("utf-8")
        except UnicodeDecodeError:
            if declared in ("utf-8", "iso-8859-1"):
                found.append(rendering)
        if len(found) == 2:
            break
    assert len(found) == 2
    for rendering in found:
        check_exact("html", rendering)


@pytest.mark.parametrize("form", list(SYNTHETIC))
def test_renderings_are_deterministic(form):
    assert SYNTHETIC[form](7, "gb2019").data == SYNTHETIC[form](7, "gb2019").data


# --- the seeds in every form --------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["html", "docx", "pdf"])
@pytest.mark.parametrize("stem", stems())
def test_seed_form_matches_gold(stem, form):
    truth = gold.load(gold_path(stem))
    parsed = parse_bytes(render_seed(stem, form)).as_dict()
    assert gold.differences(truth, parsed) == []
    nulls = {k for k, v in gold.cells(truth).items() if v is None}
    assert all(gold.cells(parsed)[k] is None for k in nulls)


@pytest.mark.parametrize("form", ["html", "docx", "pdf"])
def test_seed_forms_score_strict_through_the_cli(tmp_path, form):
    inputs = []
    for stem in stems():
        path = tmp_path / f"{stem}.{form}"
        path.write_bytes(render_seed(stem, form))
        inputs.append(str(path))
    out = tmp_path / "parsed"
    ogi = gold.ROOT / ".venv" / "bin" / "ogi"
    subprocess.run([str(ogi), "parse", *inputs, "--out", str(out)], check=True, capture_output=True)
    score = subprocess.run(
        [
            sys.executable,
            str(gold.SHARED / "tools" / "score_parse.py"),
            str(gold.SEEDS / "gold"),
            str(out),
            "--strict",
        ],
        capture_output=True,
        text=True,
    )
    assert score.returncode == 0, score.stdout


# --- the bundled samples --------------------------------------------------------------------------------


def test_samples_are_regenerated_byte_for_byte(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "tests.synthetic.samples", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        cwd=gold.ROOT,
    )
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(samples.file_name(y) for y in samples.YEARS)
    for name in written:
        assert (tmp_path / name).read_bytes() == (samples.OUT / name).read_bytes(), name


def test_samples_parse_and_chain_year_to_year():
    parsed = {}
    for year, form in samples.YEARS.items():
        data = (samples.OUT / samples.file_name(year)).read_bytes()
        assert detect_form(data) == form
        report = parse_bytes(data).as_dict()
        assert report["report"] == {"year": year, "publisher": samples.PUBLISHER, "template": "gb2021"}
        assert all(r["holds"] for r in report["reconciliation"])
        parsed[year] = {(r["row"], r["applicant"]): r["count"] for r in report["applications"]}
    mismatches = []
    years = sorted(parsed)
    for before, after in pairwise(years):
        for (row, applicant), count in parsed[before].items():
            if row == "carried_forward" and parsed[after][("carried_over", applicant)] != count:
                mismatches.append((after, applicant))
    year, applicant, _ = samples.MISMATCH
    assert mismatches == [(year, applicant), (year, "total")]
