"""The report tables as grids of spanned cells, laid out like the national templates.

The 2019 and 2021 templates (国办公开办函〔2019〕60号, 〔2021〕30号) fix the tables'
shape: section 二 is one four-column table with a 第二十条第（…）项 row above each
clause; section 三 has a three-column label block (group, subgroup, row) under a
two-level applicant header whose corner holds the balance note; section 四 has
a two-level proceeding header over fifteen outcome columns. HTML, DOCX and PDF
renderers draw these grids with their own merge mechanics.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.synthetic.render_text import Table

DISCLOSURE_COLUMNS = 4
LABEL_COLUMNS = 3


@dataclass(frozen=True)
class Cell:
    text: str
    colspan: int = 1
    rowspan: int = 1
    head: bool = False
    number: bool = False
    """A data cell (a number, or blank where the report left it empty)."""


Grid = list[list[Cell]]
"""Rows of the cells that start in them, left to right (the HTML table model)."""


def measure_spans(count: int) -> list[int]:
    """Columns each of `count` measures takes in the four-column section 二 table (the last one widens)."""
    free = DISCLOSURE_COLUMNS - 1
    return [1] * (count - 1) + [free - (count - 1)]


def disclosures_grid(tables: list[Table]) -> Grid:
    """All clauses of section 二 in one table, each under its 第二十条 row."""
    grid: Grid = []
    for table in tables:
        grid += clause_grid(table)
    return grid


def clause_grid(table: Table, caption_row: bool = True) -> Grid:
    (header,) = table.header
    spans = measure_spans(len(header) - 1)
    grid: Grid = []
    if caption_row:
        grid.append([Cell(table.caption, colspan=DISCLOSURE_COLUMNS, head=True)])
    grid.append(
        [Cell(header[0], head=True), *(Cell(h, s, head=True) for h, s in zip(header[1:], spans, strict=True))]
    )
    for row in table.rows:
        values = [Cell(v or "", s, number=True) for v, s in zip(row.values, spans, strict=True)]
        grid.append([Cell(row.labels[0]), *values])
    return grid


def applications_grid(table: Table, corner_note: bool = True) -> Grid:
    (head,), (natural, org, total), orgs = table.header
    grid: Grid = [
        [
            Cell(table.note if corner_note else "", LABEL_COLUMNS, 3, head=True),
            Cell(head, len(orgs) + 2, head=True),
        ],
        [
            Cell(natural, rowspan=2, head=True),
            Cell(org, len(orgs), head=True),
            Cell(total, rowspan=2, head=True),
        ],
        [Cell(o, head=True) for o in orgs],
    ]
    for i, row in enumerate(table.rows):
        labels: list[Cell] = []
        depth = len(row.labels)
        for level, label in enumerate(row.labels):
            if label is None:
                continue
            last = level == depth - 1
            span = _label_rowspan(table, i, level) if not last else 1
            colspan = LABEL_COLUMNS - level if last else 1
            labels.append(Cell(label, colspan, span))
        grid.append([*labels, *(Cell(v or "", number=True) for v in row.values)])
    return grid


def _label_rowspan(table: Table, start: int, level: int) -> int:
    """Rows a group label printed at `start` covers: itself and the rows that leave it out (None)."""
    n = 1
    for row in table.rows[start + 1 :]:
        if len(row.labels) > level + 1 and row.labels[level] is None:
            n += 1
        else:
            break
    return n


def reviews_grid(table: Table) -> Grid:
    heads, second, third = table.header
    parts = len(second) - 2  # the outcome labels under 行政复议, then the two litigation kinds
    outcomes, kinds = second[:parts], second[parts:]
    return [
        [Cell(heads[0], parts, head=True), Cell(heads[1], parts * len(kinds), head=True)],
        [*(Cell(o, rowspan=2, head=True) for o in outcomes), *(Cell(k, parts, head=True) for k in kinds)],
        [Cell(o, head=True) for o in third],
        [Cell(v or "", number=True) for v in table.rows[0].values],
    ]


def width(grid: Grid) -> int:
    """Columns of a grid (its first row's spans)."""
    return sum(c.colspan for c in grid[0])


def place(grid: Grid) -> list[list[tuple[int, Cell]]]:
    """Each row's cells with their grid column, spans resolved as HTML does."""
    taken: set[tuple[int, int]] = set()
    out = []
    for r, row in enumerate(grid):
        placed, c = [], 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            placed.append((c, cell))
            taken.update((r + dr, c + dc) for dr in range(cell.rowspan) for dc in range(cell.colspan))
            c += cell.colspan
        out.append(placed)
    return out
