"""The token finder (one regex over a range) against its definition: split the range into
words, keep each word that is a number (with no unit after it) or a placeholder."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.parse.source import BLANK_CELL
from orchestration.parse.text import _NUMBER, _PLACEHOLDERS, _UNITS, Token, tokens

UNITS = "年月日件元个人%"
WORD = re.compile(r"[^\s|" + BLANK_CELL + r"]+|" + BLANK_CELL)


def unit_after(text: str, pos: int) -> bool:
    """A unit follows on the line, past spaces and tabs (looking beyond the range's end)."""
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return pos < len(text) and text[pos] in _UNITS


def by_words(text: str, start: int, end: int) -> list[Token]:
    out = []
    for m in WORD.finditer(text, start, end):
        word, s, e = m.group(), m.start(), m.end()
        if word.isascii() and word.isdigit():
            if text[e : e + 1] not in (" ", "\t") or not unit_after(text, e):
                out.append(Token(int(word), s, e))
        elif _NUMBER.fullmatch(word):
            if not unit_after(text, e):
                raw = word.replace(",", "")
                out.append(Token(float(raw) if "." in raw else int(raw), s, e))
        elif word in _PLACEHOLDERS:
            out.append(Token(None, s, e, "printed_blank"))
        elif word == BLANK_CELL:
            out.append(Token(None, s, e, "blank_cell"))
    return out


PIECES = [
    *"0123456789",
    ",",
    ".",
    "-",
    "—",
    "–",
    "/",
    " ",
    "\t",
    "\n",
    "|",
    BLANK_CELL,
    *UNITS,
    "其他",
    "1,234",
    "12.5",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40), st.data())
def test_tokens_are_the_numeric_words_of_the_range(pieces: list[str], data: st.DataObject) -> None:
    text = "".join(pieces)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    found = tokens(text, start, end)
    assert found == by_words(text, start, end)
    assert [type(t.value) for t in found] == [type(t.value) for t in by_words(text, start, end)]


def test_examples() -> None:
    text = f"合计\t1,234\t5.5\t—\t{BLANK_CELL}\t-3\n共 12 件\t7件\t/"
    values = [(t.value, t.blank) for t in tokens(text, 0, len(text))]
    assert values == [
        (1234, None),
        (5.5, None),
        (None, "printed_blank"),
        (None, "blank_cell"),
        (-3, None),
        (None, "printed_blank"),
    ]
    assert [t.value for t in tokens("ab12 3", 2, 6)] == [12, 3]  # a word cut by the range's start counts
    assert tokens("12 年", 0, 2) == []  # the unit after the range's end still counts
