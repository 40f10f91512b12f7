"""The common input of the parser core: a report as text, plus where each span came from.

Every reader (text, HTML, PDF, DOCX) turns its bytes into a `Source`: table rows
on lines, cells separated by tabs or spaces, an empty table cell written as
`BLANK_CELL`. `anchors` map character spans of `text` back to the original
document so that provenance can point into it (page + bbox, element path, ...).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

BLANK_CELL = "\ue000"
"""Stands for a table cell that the document printed empty (HTML/DOCX/PDF grids)."""


class Anchor(NamedTuple):
    """`text[start:end]` came from `where` in the original document (a tuple: a page has hundreds)."""

    start: int
    end: int
    where: dict[str, Any]


@dataclass(frozen=True)
class Source:
    text: str
    form: str = "text"
    anchors: tuple[Anchor, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def locate(self, offset: int) -> dict[str, Any] | None:
        """The original location of the character at `offset`, if a reader recorded one."""
        return self.locate_all((offset,))[0]

    def locate_all(self, offsets: Iterable[int]) -> list[dict[str, Any] | None]:
        """`locate` for many offsets (every cell of a report) in one loop."""
        anchors, starts, out = self.anchors, self._starts, []
        for offset in offsets:
            i = bisect.bisect_right(starts, offset) - 1
            anchor = anchors[i] if i >= 0 else None  # its start <= offset: bisect
            out.append(dict(anchor.where) if anchor is not None and offset < anchor.end else None)
        return out

    @cached_property
    def _starts(self) -> list[int]:
        """Anchor starts, built once: `locate` runs for every cell and fact of a report."""
        return [a.start for a in self.anchors]
