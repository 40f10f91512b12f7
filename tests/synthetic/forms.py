"""What the HTML, DOCX and PDF renderings share: a report as blocks, some printed cells blank.

A web page, Word file or PDF prints every cell of its tables, but may leave one
empty: that cell is `null` in the model (reason `blank_cell`), not 0 and not lost.
The blocks (lines, paragraphs, tables) are the ones the text renderer lays out,
so all forms of one report say the same thing; each form's renderer only draws them.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass

from tests.synthetic.generate import TABLE_KEYS, cells, reconcile
from tests.synthetic.render_text import Block, Style, _Renderer

CellKey = tuple[str, str, str]


@dataclass(frozen=True)
class FormRendering:
    data: bytes
    truth: dict
    """The report as it must parse back: blank cells null, verdicts over the remaining numbers."""
    blanks: frozenset[CellKey] = frozenset()
    """Cells printed empty."""


class _FormBlocks(_Renderer):
    """The text renderer's document, with a blank printed cell written as "" (never lost)."""

    def __init__(self, report: dict, rng: random.Random, blanks: frozenset[CellKey], thousands: bool):
        super().__init__(report, Style.LINES, rng, thousands, frozenset())
        self.blanks = blanks

    def cell(self, table: str, k1: str, k2: str) -> str:
        value = self.cells[(table, k1, k2)]
        return "" if value is None or (table, k1, k2) in self.blanks else self.num(value)


def blocks(
    report: dict, rng: random.Random, blanks: frozenset[CellKey] = frozenset(), thousands: bool = False
) -> list[Block]:
    """The report as blocks; cells in `blanks`, and cells whose value is null, printed empty."""
    return _FormBlocks(report, rng, blanks, thousands).document()


def choose_blanks(report: dict, rng: random.Random) -> frozenset[CellKey]:
    """Now and then none; otherwise a few cells, mostly zeros (what reports leave empty)."""
    values = cells(report)
    if not values or rng.random() < 0.3:
        return frozenset()
    zeros = sorted(k for k, v in values.items() if v == 0)
    others = sorted(k for k, v in values.items() if v != 0)
    picked = rng.sample(zeros, min(len(zeros), rng.randint(1, 12)))
    if others and rng.random() < 0.3:
        picked.append(rng.choice(others))
    return frozenset(picked)


def with_blanks(report: dict, blanks: frozenset[CellKey]) -> dict:
    """`report` with the blank cells null and the verdicts recomputed."""
    if not blanks:
        return report
    out = copy.deepcopy(report)
    for table, (k1, k2, field) in TABLE_KEYS.items():
        for rec in out[table]:
            if (table, rec[k1], rec[k2]) in blanks:
                rec[field] = None
    out["reconciliation"] = reconcile(out)
    return out
