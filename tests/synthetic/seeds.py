"""The five seed reports as web pages, Word files and PDFs.

Each seed's prose is kept as printed (its lines, section headings included) and its
tables are drawn from its gold file in the national template's layout, a gold null
as a blank cell. So every form must parse back to the seed's gold exactly.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

from tests.gold import SEEDS, load
from tests.synthetic.forms import _FormBlocks
from tests.synthetic.generate import codes
from tests.synthetic.render_docx import draw_docx
from tests.synthetic.render_html import draw_html
from tests.synthetic.render_pdf import draw_pdf
from tests.synthetic.render_text import Block, Line

DRAW: dict[str, Callable[[list[Block], dict, random.Random], bytes]] = {
    "html": draw_html,
    "docx": draw_docx,
    "pdf": draw_pdf,
}
TABLE_SECTIONS = ("disclosures", "applications", "reviews", "problems")
_NUMBERED = re.compile(r"^[一二三四五六七八九十]、")


def stems() -> list[str]:
    return sorted(p.stem for p in SEEDS.glob("*.txt"))


def gold_path(stem: str) -> Path:
    return SEEDS / "gold" / f"{stem}.json"


def render_seed(stem: str, form: str, seed: int = 0) -> bytes:
    """The seed report `stem` as `form` bytes (deterministic for a given `seed`)."""
    rng = random.Random(f"{stem}/{form}/{seed}")
    gold = load(gold_path(stem))
    return DRAW[form](seed_blocks(stem, gold, rng), gold["report"], rng)


def seed_blocks(stem: str, gold: dict, rng: random.Random) -> list[Block]:
    """The seed's prose lines, with sections 二 to 四 replaced by tables drawn from `gold`."""
    lines = [clean(line) for line in (SEEDS / f"{stem}.txt").read_text(encoding="utf-8").splitlines()]
    if gold["report"]["template"] == "legacy":
        return [Line(line) for line in lines if line]
    heads = headings(lines)
    tables = _FormBlocks(gold, rng, frozenset(), thousands=False)
    drawn = {
        "disclosures": tables.disclosure_tables(),
        "applications": [tables.applications_table()],
        "reviews": [tables.reviews_table()],
    }
    sections = codes()["sections"]
    out: list[Block] = [Line(line) for line in lines[: heads.get("disclosures", 0)] if line]
    for name, following in pairwise(TABLE_SECTIONS):
        start = heads.get(name)
        out.append(Line(lines[start] if start is not None else sections[name]["zh"]))
        out += drawn[name]
        if following == "problems":
            out += [Line(line) for line in lines[heads.get(following, len(lines)) :] if line]
    return out


def clean(line: str) -> str:
    return re.sub(r"\s+", " ", line).strip()


def headings(lines: list[str]) -> dict[str, int]:
    """The line of each table section's numbered heading (二、主动公开政府信息情况 …), in order."""
    sections = codes()["sections"]
    out: dict[str, int] = {}
    at = 0
    for name in TABLE_SECTIONS:
        for i in range(at, len(lines)):
            line = lines[i]
            if len(line) < 40 and _NUMBERED.match(line) and any(k in line for k in sections[name]["match"]):
                out[name] = at = i
                break
    return out
