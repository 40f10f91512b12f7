"""Ruled table cells of a PDF page, to tell a blank printed cell from a lost one.

Text extraction alone cannot see an empty table cell: a row printing six numbers
under seven columns looks the same whether a cell was left empty or not, so the
parser must null the whole row. When the page draws the table's rules (stroked
lines, or filled cell rectangles as Word exports them), the rules fix where every
cell is, and a ruled cell holding no characters is a blank cell for certain.

The rules are clustered into x and y positions; the elementary rectangles between
neighbouring positions are joined wherever no rule separates them; a joined
region that is a rectangle closed by rules on every side is a cell, and cells that
touch form a table. The PDF reader writes a table row per line like the HTML reader;
`blank_cells` says which empty cells are data cells left blank.
"""

from __future__ import annotations

import bisect
import ctypes
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import pypdfium2.raw as pdfium_c

MAX_SEGMENTS = 20_000
"""Path segments read per page; pages drawing more (maps, charts) get no cell detection."""
MAX_FORM_DEPTH = 4
CLUSTER = 1.5
"""Rules closer than this (points) are one rule: a cell's edge and its neighbour's edge abut."""
COVER = 2.0
"""A rule counts as an edge if it covers the edge to within this much at each end."""
MIN_RULE = 1.0
MIN_CELL = 4.0
"""Narrower ruled regions are the gap of a double rule, not a cell."""

_NUMERIC = re.compile(r"[-−]?[0-9][0-9,]*(?:\.[0-9]+)?%?|—|–|-|--|——|/")

Transform = Callable[[float, float, float, float], tuple[float, float, float, float]]


@dataclass(frozen=True, slots=True)
class Rules:
    """Axis-aligned rules in display coordinates (y down): (position, start, end)."""

    horizontal: tuple[tuple[float, float, float], ...]
    vertical: tuple[tuple[float, float, float], ...]


@dataclass(slots=True, eq=False)
class Cell:
    x0: float
    top: float
    x1: float
    bottom: float
    rows: tuple[int, int]
    """First and last elementary row: cells of one table row share them."""
    table: int
    """Cells that touch belong to one table."""
    words: list


def read_rules(page, transform: Transform) -> Rules:
    """Every straight horizontal/vertical edge the page strokes or fills (forms included)."""
    horizontal: list[tuple[float, float, float]] = []
    vertical: list[tuple[float, float, float]] = []
    budget = [MAX_SEGMENTS]
    for x0, y0, x1, y1 in _segments(page, budget):
        left, top, right, bottom = transform(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        if bottom - top < 0.5 and right - left >= MIN_RULE:
            horizontal.append((top, left, right))
        elif right - left < 0.5 and bottom - top >= MIN_RULE:
            vertical.append((left, top, bottom))
    if budget[0] <= 0:
        return Rules((), ())
    return Rules(tuple(horizontal), tuple(vertical))


def _segments(page, budget: list[int]) -> Iterator[tuple[float, float, float, float]]:
    count = pdfium_c.FPDFPage_CountObjects(page.raw)
    yield from _object_segments(
        [pdfium_c.FPDFPage_GetObject(page.raw, i) for i in range(count)], None, 0, budget
    )


def _object_segments(objects, outer, depth: int, budget: list[int]):
    matrix = pdfium_c.FS_MATRIX()
    for obj in objects:
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < MAX_FORM_DEPTH:
            if not pdfium_c.FPDFPageObj_GetMatrix(obj, matrix):
                continue
            inner = _compose(_as_tuple(matrix), outer)
            n = pdfium_c.FPDFFormObj_CountObjects(obj)
            yield from _object_segments(
                [pdfium_c.FPDFFormObj_GetObject(obj, i) for i in range(max(n, 0))], inner, depth + 1, budget
            )
        elif kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            if not pdfium_c.FPDFPageObj_GetMatrix(obj, matrix):
                continue
            yield from _path_segments(obj, _compose(_as_tuple(matrix), outer), budget)
        if budget[0] <= 0:
            return


def _path_segments(obj, m: tuple[float, ...], budget: list[int]):
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    if not pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke) or (fill.value == 0 and not stroke.value):
        return
    n = pdfium_c.FPDFPath_CountSegments(obj)
    budget[0] -= max(n, 0)
    if n <= 0 or budget[0] <= 0:
        return
    a, b, c, d, e, f = m
    x, y = ctypes.c_float(), ctypes.c_float()
    start = previous = None
    for i in range(n):
        segment = pdfium_c.FPDFPath_GetPathSegment(obj, i)
        if not pdfium_c.FPDFPathSegment_GetPoint(segment, x, y):
            continue
        point = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
        kind = pdfium_c.FPDFPathSegment_GetType(segment)
        if kind == pdfium_c.FPDF_SEGMENT_LINETO and previous is not None:
            yield (*previous, *point)
        elif kind != pdfium_c.FPDF_SEGMENT_LINETO:
            start = point if kind == pdfium_c.FPDF_SEGMENT_MOVETO else None
        previous = point
        if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None:
            yield (*point, *start)


def _as_tuple(m) -> tuple[float, ...]:
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: tuple[float, ...], outer: tuple[float, ...] | None) -> tuple[float, ...]:
    """inner then outer (PDF row-vector convention)."""
    if outer is None:
        return inner
    a1, b1, c1, d1, e1, f1 = inner
    a2, b2, c2, d2, e2, f2 = outer
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


# --- cells ---------------------------------------------------------------------------------------


def _cluster(rules: tuple[tuple[float, float, float], ...]) -> list[tuple[float, list[tuple[float, float]]]]:
    """Rules grouped by position: (mean position, merged [start, end] intervals)."""
    groups: list[list[tuple[float, float, float]]] = []
    for rule in sorted(rules):
        if groups and rule[0] - groups[-1][-1][0] <= CLUSTER:
            groups[-1].append(rule)
        else:
            groups.append([rule])
    out = []
    for group in groups:
        spans: list[list[float]] = []
        for _, lo, hi in sorted(group, key=lambda r: r[1]):
            if spans and lo <= spans[-1][1] + CLUSTER:
                spans[-1][1] = max(spans[-1][1], hi)
            else:
                spans.append([lo, hi])
        out.append((sum(r[0] for r in group) / len(group), [(lo, hi) for lo, hi in spans]))
    return out


def _covers(spans: list[tuple[float, float]], lo: float, hi: float) -> bool:
    return any(s <= lo + COVER and e >= hi - COVER for s, e in spans)


def find_cells(rules: Rules, words: list) -> list[Cell]:
    """Cells of ruled tables (rectangles closed by rules on every side, touching another
    such cell: a lone box is a frame, not a table), each with the words centred in it."""
    columns, rows = _cluster(rules.vertical), _cluster(rules.horizontal)
    if len(columns) < 2 or len(rows) < 2:
        return []
    xs, ys = [p for p, _ in columns], [p for p, _ in rows]
    nx, ny = len(xs) - 1, len(ys) - 1
    outside = nx * ny
    regions = _UnionFind(outside + 1)
    for j in range(ny):
        for i in range(nx + 1):  # the vertical edge at xs[i] across elementary row j
            if not _covers(columns[i][1], ys[j], ys[j + 1]):
                regions.join(j * nx + i - 1 if i > 0 else outside, j * nx + i if i < nx else outside)
    for j in range(ny + 1):
        for i in range(nx):  # the horizontal edge at ys[j] across elementary column i
            if not _covers(rows[j][1], xs[i], xs[i + 1]):
                regions.join((j - 1) * nx + i if j > 0 else outside, j * nx + i if j < ny else outside)
    boxes: dict[int, list[int]] = {}
    for j in range(ny):
        for i in range(nx):
            box = boxes.setdefault(regions.find(j * nx + i), [i, j, i, j, 0])
            box[0], box[1], box[2], box[3] = min(box[0], i), min(box[1], j), max(box[2], i), max(box[3], j)
            box[4] += 1
    closed = regions.find(outside)
    rectangles = {
        root: box
        for root, box in boxes.items()
        if root != closed and box[4] == (box[2] - box[0] + 1) * (box[3] - box[1] + 1)
    }
    tables = _UnionFind(outside)
    for j in range(ny):
        for i in range(nx):
            here = regions.find(j * nx + i)
            right = regions.find(j * nx + i + 1) if i + 1 < nx else here
            below = regions.find((j + 1) * nx + i) if j + 1 < ny else here
            for other in (right, below):
                if other != here and here in rectangles and other in rectangles:
                    tables.join(here, other)
    sizes: dict[int, int] = {}
    for root in rectangles:
        sizes[tables.find(root)] = sizes.get(tables.find(root), 0) + 1
    cells = {
        root: Cell(xs[i0], ys[j0], xs[i1 + 1], ys[j1 + 1], (j0, j1), tables.find(root), [])
        for root, (i0, j0, i1, j1, _) in rectangles.items()
        if sizes[tables.find(root)] >= 2
    }
    for word in words:
        cx, cy = (word.x0 + word.x1) / 2, (word.top + word.bottom) / 2
        i, j = bisect.bisect_right(xs, cx) - 1, bisect.bisect_right(ys, cy) - 1
        if 0 <= i < nx and 0 <= j < ny and (cell := cells.get(regions.find(j * nx + i))) is not None:
            cell.words.append(word)
    return sorted(cells.values(), key=lambda c: (c.top, c.x0))


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        self.parent[self.find(i)] = self.find(j)


def is_numeric(text: str) -> bool:
    """A number (or a placeholder dash/slash) as a table prints it in a data cell."""
    return bool(_NUMERIC.fullmatch(unicodedata.normalize("NFKC", text)))


class NumericColumns:
    """The x-ranges (left and right rules) of every cell printing a number, in the whole
    document: a table broken across pages keeps its columns on the next page."""

    def __init__(self, cells: Iterable[Cell]) -> None:
        self._ranges = sorted(
            {(round(c.x0, 1), round(c.x1, 1)) for c in cells if c.words and _all_numeric(c)}
        )
        self._starts = [x0 for x0, _ in self._ranges]

    def __contains__(self, cell: Cell) -> bool:
        i = bisect.bisect_left(self._starts, cell.x0 - CLUSTER)
        for x0, x1 in self._ranges[i:]:
            if x0 > cell.x0 + CLUSTER:
                return False
            if abs(x1 - cell.x1) <= CLUSTER:
                return True
        return False


def blank_cells(cells: list[Cell], numeric: NumericColumns) -> set[Cell]:
    """The empty cells that are data cells a report left blank, certain from the geometry.

    A row is the cells of one table sharing top and bottom rules. In a row that prints
    numbers, an empty cell right of its first number is a data cell, and so is any empty
    cell of a row of numbers only (the reviews table has one); an empty cell between the
    label and the first number is one only if its column (left and right rules) prints a
    number elsewhere in the document, since label columns split by a rule leave empty cells
    there. A row printing only its labels, left of all its empty cells, has data cells
    right of them on the same condition. Slivers narrower than half a number's cell (double rules) never are.
    """
    by_row: dict[tuple[int, tuple[int, int]], list[Cell]] = {}
    for cell in cells:
        by_row.setdefault((cell.table, cell.rows), []).append(cell)
    out: set[Cell] = set()
    for row in by_row.values():
        filled = sorted((c for c in row if c.words), key=lambda c: c.x0)
        empty = [c for c in row if not c.words]
        if not filled or not empty:
            continue
        data = [c for c in filled if _all_numeric(c)]
        widths = sorted(c.x1 - c.x0 for c in data)
        least = max(widths[len(widths) // 2] / 2 if widths else 0.0, MIN_CELL)
        labels_only = not data and max(c.x1 for c in filled) <= min(c.x0 for c in empty) + COVER
        if not data and not labels_only:
            continue
        numbers_only = len(data) == len(filled)
        for cell in empty:
            if cell.x1 - cell.x0 < least:
                continue
            after_number = bool(data) and cell.x0 >= data[0].x0
            after_label = cell.x0 >= filled[-1 if labels_only else 0].x1 - COVER
            if numbers_only or after_number or (after_label and cell in numeric):
                out.add(cell)
    return out


def _all_numeric(cell: Cell) -> bool:
    return all(is_numeric(w.text) for w in cell.words)
