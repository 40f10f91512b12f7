"""Mutated reports in every form: a report or a typed error, never another exception, never a guessed number.

A small hypothesis budget per form (derandomized, see conftest.py);
`bench/fuzz.py` runs the same mutations and oracle over 100,000 inputs.
Regression tests pin the parser defects the fuzzer found.
"""

from __future__ import annotations

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
