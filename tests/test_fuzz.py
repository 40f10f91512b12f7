"""Mutated reports in every form: a report or a typed error, never another exception, never a guessed number.

A small hypothesis budget per form (derandomized, see conftest.py);
`bench/fuzz.py` runs the same mutations and oracle over 100,000 inputs.
Regression tests pin the parser defects the fuzzer found.
"""

from __future__ import annotations

import io
import itertools
import re
import zlib

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from orchestration.parse import parse_bytes
from orchestration.parse.readers import read_source
from tests import fuzzing

BUDGET = {"text": 120, "html": 80, "docx": 50, "pdf": 30}


def inputs(form: str) -> st.SearchStrategy[fuzzing.Input]:
    """A seed of the form and one to four mutations, each with the integer seeding its choices."""
    ops = st.tuples(st.integers(0, len(fuzzing.MUTATIONS[form]) - 1), st.integers(0, 2**32 - 1))
    return st.builds(
        fuzzing.Input,
        st.just(form),
        st.integers(0, len(fuzzing.seeds(form)) - 1),
        st.lists(ops, min_size=1, max_size=4).map(tuple),
    )


@pytest.mark.parametrize("form", fuzzing.FORMS)
def test_mutated_reports_parse_or_fail_typed_and_never_guess(form):
    @settings(max_examples=BUDGET[form], deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case=inputs(form))
    def run(case):
        note(case.describe())
        outcome = fuzzing.check(case.build())
        assert outcome.result != "exception", outcome.error
        assert outcome.violations == []

    run()


def test_the_oracle_catches_a_number_its_place_does_not_hold():
    """The oracle is not vacuous: a report whose cell span is moved off its number is flagged."""
    seed = fuzzing.seeds("text")[0]
    source = read_source(seed.data)
    report = parse_bytes(seed.data)
    assert fuzzing.violations(report, source, seed.data) == []
    cell = next(c for c in report.cells if c.value is not None and c.value > 0)
    moved = cell._replace(span=cell.span._replace(start=cell.span.start + 1, end=cell.span.end + 1))
    broken = report.__class__(**{**report.__dict__, "cells": (moved,)})
    assert len(fuzzing.violations(broken, source, seed.data)) == 1


def _with_unmapped_glyphs(pdf: bytes) -> bytes:
    """Every digit glyph of every content stream followed by glyph 0x0001, which the fonts of
    this PDF do not map to Unicode (PDFium reports the control code 0x01): a printed mark of
    unknown meaning, so "6" + mark + "6" is no longer certainly 66."""
    streams = list(fuzzing._STREAM.finditer(pdf))
    contents = {}
    for m in streams:
        start, length = m.end(), int(m.group(2))
        try:
            contents[m.start()] = zlib.decompress(pdf[start : start + length])
        except zlib.error:
            continue
    digits = {
        code.upper()
        for content in contents.values()
        if b"beginbfchar" in content
        for code, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", content)
        if 0x30 <= int(uni, 16) <= 0x39
    }
    glyph = re.compile(rb"<(" + b"|".join(sorted(digits)) + rb")>", re.IGNORECASE)
    out, last = [], 0
    for m in streams:
        if m.start() not in contents or b"beginbfchar" in contents[m.start()]:
            continue
        start, length = m.end(), int(m.group(2))
        packed = zlib.compress(glyph.sub(rb"<\g<1>0001>", contents[m.start()]))
        out += [pdf[last : m.start(2)], str(len(packed)).encode(), pdf[m.end(2) : m.end()], packed]
        last = start + length
    return b"".join([*out, pdf[last:]])


def test_pdf_digits_around_an_unmapped_glyph_are_not_read_as_one_number():
    """Found by the fuzzer: the PDF reader dropped glyphs mapped to control codes, so 6?6 read as 66."""
    original = (fuzzing.REAL / "pdf" / "huaian_city_2024.pdf").read_bytes()
    data = _with_unmapped_glyphs(original)
    assert data != original
    report = parse_bytes(data)
    assert fuzzing.violations(report, read_source(data), data) == []
    before = sum(c.value is not None for c in parse_bytes(original).cells)
    after = sum(c.value is not None for c in report.cells)
    assert after < before


def _pdf_input(seed_name: str, ops: tuple[tuple[int, int], ...]) -> bytes:
    """A fuzz input of bench/fuzz.py, rebuilt from its seed and mutations."""
    index = next(i for i, s in enumerate(fuzzing.seeds("pdf")) if s.name == seed_name)
    return fuzzing.Input("pdf", index, ops).build()


def _glyphs(data: bytes) -> list[tuple[int, int, tuple[float, float, float, float]]]:
    """(page, code PDFium reports, loose box) of every glyph of a PDF."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    out = []
    pdf = pdfium.PdfDocument(data)
    for number in range(len(pdf)):
        textpage = pdf[number].get_textpage()
        for i in range(textpage.count_chars()):
            if pdfium_c.FPDFText_IsGenerated(textpage.raw, i) != 1:
                code = pdfium_c.FPDFText_GetUnicode(textpage.raw, i)
                out.append((number, code, textpage.get_charbox(i, loose=True)))
        textpage.close()
    pdf.close()
    return out


def test_pdf_digits_printed_over_each_other_are_not_read_as_either():
    """Found by the fuzzer: a 2 printed over an 8 (a moved text position) read as 8, the 2
    going to a line of its own."""
    data = _pdf_input("sample_county_2024.pdf", ((15, 2260153738), (32, 3869133186)))
    digits = [(p, code, box) for p, code, box in _glyphs(data) if 0x30 <= code <= 0x39]
    assert any(
        p == q and a != b and min(x[2], y[2]) - max(x[0], y[0]) > 0.5 * (x[2] - x[0]) and abs(x[1] - y[1]) < 1
        for i, (p, a, x) in enumerate(digits)
        for q, b, y in digits[i + 1 :]
    ), "the input no longer overprints two digits"
    report = parse_bytes(data)
    assert fuzzing.violations(report, read_source(data), data) == []


def test_pdf_a_digit_drawn_across_a_number_makes_it_unknown():
    """Found by the fuzzer: a 0 stretched tall (an edited text matrix) across a printed 16 read as 16."""
    data = _pdf_input("synthetic-4001", ((62, 2574427538),))
    digits = [(p, code, box) for p, code, box in _glyphs(data) if 0x30 <= code <= 0x39]
    tall = [(p, box) for p, _, box in digits if box[3] - box[1] > 3 * 9]
    assert tall, "the input no longer stretches a digit"
    report = parse_bytes(data)
    assert fuzzing.violations(report, read_source(data), data) == []


def test_pdf_a_glyph_printed_over_the_first_digit_is_not_split_off():
    """Found by the fuzzer: a - printed over the 3 of 336 made "unknown mark, gap, 36", read as 36."""
    data = _pdf_input("synthetic-4000", ((29, 2203148332),))
    glyphs = [(code, box) for _, code, box in _glyphs(data)]
    assert any(
        a == ord("-") and b == ord("3") and abs(x[0] - y[0]) < 0.5 * (x[2] - x[0])
        for (a, x), (b, y) in itertools.pairwise(glyphs)
    ), "the input no longer prints a - over a 3"
    report = parse_bytes(data)
    assert fuzzing.violations(report, read_source(data), data) == []
    assert 36 not in {c.value for c in report.cells if c.keys == ("administrative_fee", "change")}


def test_pdf_half_a_surrogate_pair_is_an_unknown_mark_not_a_crash():
    """Found by the fuzzer: a lone low surrogate from PDFium reached OpenCC and raised UnicodeEncodeError."""
    data = _pdf_input(
        "hongze_district_2024.pdf",
        ((17, 136118343), (13, 2903355436), (9, 3002464868), (0, 1294749270)),
    )
    codes = [code for _, code, _ in _glyphs(data)]
    assert any(
        0xDC00 <= c < 0xE000 and not 0xD800 <= p < 0xDC00 for p, c in zip([0, *codes], codes, strict=False)
    )
    outcome = fuzzing.check(data)
    assert outcome.result != "exception", outcome.error
    assert outcome.violations == []


def test_pdf_a_glyph_touching_a_number_from_another_baseline_is_glued_to_it():
    """Found by the fuzzer (input 22771 of seed 1, a bit flip): a 投 drawn at another size and
    baseline against the 1 of a table cell went to a line of its own in the cell, which read 1
    where the page shows 投1; a number glued to another glyph is no cell, so the row is null."""
    original = (fuzzing.REAL / "pdf" / "hongze_district_2024.pdf").read_bytes()
    data = _pdf_input("hongze_district_2024.pdf", ((0, 3367612918),))
    glyphs = _glyphs(data)
    assert any(
        p == q and a == ord("投") and b == ord("1") and x[0] < y[0] <= x[2] and abs(x[1] - y[1]) > 1
        for p, a, x in glyphs
        for q, b, y in glyphs
    ), "the input no longer prints 投 against a 1 on another baseline"
    report = parse_bytes(data)
    assert fuzzing.violations(report, read_source(data), data) == []
    key = ("rejected_petition", "natural_person")
    assert {c.keys: c.value for c in parse_bytes(original).cells if c.table == "applications"}[key] == 1
    row = [c for c in report.cells if c.table == "applications" and c.keys[0] == "rejected_petition"]
    assert row and all(c.value is None and c.null_reason == "cells_lost" for c in row)


def _two_runs_pdf(left: str, right: str, gap: float, drop: float) -> bytes:
    """`left` at 9 pt, then `right` at 14 pt `gap` points after it and `drop` points lower, under
    a title line (PDFium drops a lone glyph of the CJK font, so the CJK runs are two glyphs)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfgen import canvas

    from tests.synthetic.render_pdf import font

    def face(text: str) -> str:
        return font() if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "Helvetica"

    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.setFont(font(), 12)
    pdf.drawString(72, 760, "某区人民政府政府信息公开工作年度报告")
    pdf.setFont(face(left), 9)
    pdf.drawString(300, 700, left)
    pdf.setFont(face(right), 14)
    pdf.drawString(300 + pdfmetrics.stringWidth(left, face(left), 9) + gap, 700 - drop, right)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


@pytest.mark.parametrize(
    ("left", "right", "gap", "drop", "words"),
    [
        ("投诉", "1", 0, 2.5, ["投诉1"]),  # touching, baselines 0.18 × size apart
        ("投诉", "1", -0.7, 2.5, ["投诉1"]),  # the fuzz input's overlap
        ("1", "件次", 0, -2.5, ["1件次"]),  # a unit glued on: not a clean number either
        ("投诉", "1", 5, 2.5, ["投诉", "1"]),  # a visible gap: two words
        ("投诉", "1", 0, 12, ["投诉", "1"]),  # boxes overlapping less than half: another line
        ("12", "3", 0, 2.5, ["12", "3"]),  # a digit glued to digits would make another number
        ("-", "5", 0, 2.5, ["-", "5"]),  # so would a minus
    ],
)
def test_pdf_words_touching_a_digit_on_another_baseline(left, right, gap, drop, words):
    """The rule behind the fix above: a digit and a glyph that is no part of a number, touching
    side by side, are one word whatever their baselines, as they are on one baseline."""
    text = read_source(_two_runs_pdf(left, right, gap, drop)).text
    assert sorted(text.split()[1:]) == sorted(words)


@pytest.mark.parametrize(
    ("printed", "read"),
    [("4,500", 4500), ("4 ,500", None), ("4, 500", None), ("4 500", None), ("4. 5", None), (" 4 ", 4)],
)
def test_a_stated_figure_split_by_a_space_is_not_joined(printed, read):
    """Found by the fuzzer: 收取…费 3 ,940 元 read as 3940 (whitespace was dropped next to a comma)."""
    text = fuzzing.seeds("text")[0].data.decode("utf-8")
    assert "收到依申请公开4件" in text
    report = parse_bytes(text.replace("收到依申请公开4件", f"收到依申请公开{printed}件").encode("utf-8"))
    facts = {f.name: f.value for f in report.facts}
    assert facts.get("applications_received") == read
