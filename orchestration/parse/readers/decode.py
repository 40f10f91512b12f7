"""Bytes → str for Chinese government text, trusting declared charsets only when the bytes agree.

Pages in the wild often declare the wrong charset (`gb2312` on a UTF-8 page, `utf-8`
on a GBK page) and Big5 bytes decode "successfully" as GBK into nonsense. So the
choice is made on the bytes: a BOM wins; then strict UTF-8 (random GBK/Big5 is
almost never valid UTF-8); otherwise each legacy candidate is scored by how much of
the decoded text is common CJK, and the declared charset only breaks near-ties.
Scoring looks at a bounded window so the cost does not grow with the input.
"""

from __future__ import annotations

import codecs
import functools
import re
import sys
from typing import TYPE_CHECKING

import charset_normalizer
import opencc

from orchestration.parse.errors import NotText

if TYPE_CHECKING:
    import numpy as np

SNIFF_BYTES = 32 * 1024
"""Bytes of non-ASCII content scored per candidate; enough for thousands of characters."""

LEGACY_CANDIDATES = ("gb18030", "big5hkscs")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "gb_2312-80": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "gb18030",
    "big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "cp950": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
}

_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_CONTROL_BYTES = bytes(b for b in range(0x20) if chr(b) not in "\t\n\r\f\v\x1b")
"""Control characters text never holds (tab, newlines, form and vertical feed, ESC are allowed),
counted in the UTF-8 bytes of a sample: no other character's encoding holds a byte below 0x80."""
_ASCII_BYTES = bytes(range(128))


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode `data` to text; raise `NotText` for binary junk."""
    if not data:
        return ""
    encoding = _bom_encoding(data) or _utf16_without_bom(data[:SNIFF_BYTES])
    if encoding is not None:
        text = data.decode(encoding, errors="replace").lstrip("\ufeff")
    else:
        _reject_binary_bytes(data[:SNIFF_BYTES])
        try:
            text = data.decode("utf-8")  # what choose_encoding picks first, decoded once
        except UnicodeDecodeError:
            text = data.decode(choose_encoding(data, declared), errors="replace")
    _reject_binary(text[: SNIFF_BYTES // 2])
    return text


def choose_encoding(data: bytes, declared: str | None = None) -> str:
    """The encoding of BOM-less, NUL-free bytes: UTF-8 if it holds, else the best-scoring legacy one."""
    if _is_utf8(data):
        return "utf-8"
    declared_name = normalise_charset(declared)
    window = _sniff_window(data)
    candidates = [c for c in (declared_name, *LEGACY_CANDIDATES) if c and not c.startswith("utf")]
    scored: list[tuple[float, str]] = []
    for name in dict.fromkeys(candidates):
        sample = _strict_prefix(window, name)
        if sample is not None:
            bonus = 0.03 if name == declared_name else 0.0
            scored.append((cjk_score(sample) + bonus, name))
    if scored:
        return max(scored, key=lambda s: s[0])[1]
    guess = charset_normalizer.from_bytes(window).best()
    if guess is None:
        raise NotText("bytes decode in no text encoding")
    return guess.encoding


def normalise_charset(name: str | None) -> str | None:
    """A Python codec name for a declared charset, or None if unknown/absent."""
    if not name:
        return None
    key = name.strip().strip("\"'").lower()
    key = _ALIASES.get(key, key)
    try:
        codec = codecs.lookup(key).name
    except LookupError:
        return None
    return _ALIASES.get(codec, codec)


def cjk_score(text: str) -> float:
    """Share of non-ASCII characters that are common Chinese characters or CJK punctuation.

    Right decodings of reports score ~0.9+; Big5 read as GBK (or the reverse) lands
    on kana, box drawing, private-use and rare characters and scores far lower.
    """
    total = len(text) - len(text.encode("ascii", "ignore"))
    return _count(_good_chars(), text) / total if total else 0.0


def looks_traditional(text: str) -> bool:
    """True when enough of `text` changes under t2s to be a traditional-script document.

    A threshold rather than "any change" so that simplified text with the odd
    character OpenCC would rewrite (乾, 著, 瞭…) is left exactly as printed.
    """
    sample = _ideographs(text[:20000])
    if len(sample) < 10:
        return False
    simplified = simplify(sample)
    if simplified == sample:
        return False
    changed = sum(a != b for a, b in zip(sample, simplified, strict=False))
    return changed >= 5 and changed / len(sample) >= 0.05


def simplify(text: str) -> str:
    """Traditional → simplified (OpenCC t2s); ASCII digits pass through unchanged."""
    return _t2s().convert(text)


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _count(table: np.ndarray, text: str) -> int:
    """How many characters of `text` the code-point table marks: one vectorised lookup
    (a regex scan costs ~6 ns a character, a Python loop ~100)."""
    import numpy as np

    points = _code_points(text)
    return int(np.count_nonzero(table[points]))


def _ideographs(text: str) -> str:
    """The CJK unified ideographs of `text`, in order: one vectorised mask (a regex
    deleting everything else costs ten times more on report text)."""
    points = _code_points(text)
    return points[(points >= 0x4E00) & (points <= 0x9FFF)].tobytes().decode("utf-32-le")


def _code_points(text: str) -> np.ndarray:
    import numpy as np

    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


_CJK_MARK_RANGES = ((0x3000, 0x303F), (0xFF01, 0xFF5E))
_CJK_MARK_CHARS = "“”‘’…—·"
"""CJK punctuation and full-width forms."""


@functools.cache
def _good_chars() -> np.ndarray:
    """Code point → is a common Chinese character or a CJK mark."""
    import numpy as np

    table = np.zeros(sys.maxunicode + 1, dtype=bool)
    table[[ord(ch) for ch in _common_chars() | set(_CJK_MARK_CHARS)]] = True
    for lo, hi in _CJK_MARK_RANGES:
        table[lo : hi + 1] = True
    return table


@functools.cache
def _plausible_chars() -> np.ndarray:
    """Code point → is printable ASCII, tab/CR/LF, or what `_good_chars` marks."""
    table = _good_chars().copy()
    table[ord(" ") : 0x7F] = True
    table[[ord(ch) for ch in "\t\r\n"]] = True
    return table


@functools.cache
def _common_chars() -> frozenset[str]:
    """GB2312 level 1 (3,755 most used simplified) ∪ Big5 level 1 (5,401 most used traditional)."""
    chars: set[str] = set()
    ranges = (
        ("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF)),
        ("big5", range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)]),
    )
    for codec, leads, trails in ranges:
        for lead in leads:
            for trail in trails:
                try:
                    chars.add(bytes((lead, trail)).decode(codec))
                except UnicodeDecodeError:
                    continue
    return frozenset(ch for ch in chars if "\u4e00" <= ch <= "\u9fff")


def _bom_encoding(data: bytes) -> str | None:
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name + "-sig" if name == "utf-8" else name
    return None


def _utf16_without_bom(prefix: bytes) -> str | None:
    """UTF-16 without a BOM: NUL bytes, and one byte order decodes to plausible text.

    Not a NUL-parity rule alone: Chinese UTF-16 has NULs in both parities (一 is U+4E00,
    开 U+5F00), and binary junk has them everywhere but decodes to nonsense.
    """
    if b"\x00" not in prefix:
        return None
    best: tuple[float, str | None] = (0.9, None)
    for name in ("utf-16-le", "utf-16-be"):
        sample = _strict_prefix(prefix[: len(prefix) // 2 * 2], name)
        if sample:
            best = max(best, (_plausibility(sample), name))
    return best[1]


def _plausibility(sample: str) -> float:
    """Share of characters that are printable ASCII, whitespace, or common CJK and punctuation."""
    return _count(_plausible_chars(), sample) / len(sample)


def _is_utf8(data: bytes) -> bool:
    """Valid UTF-8, tolerating a rare bad byte (a truncated tail, one corrupt character)."""
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    ascii_chars = len(data) - len(data.translate(None, _ASCII_BYTES))
    valid_non_ascii = len(text) - ascii_chars - bad
    return bad * 50 <= valid_non_ascii


def _sniff_window(data: bytes) -> bytes:
    """A bounded window starting at the first non-ASCII byte (always a character boundary)."""
    match = _HIGH_BYTE.search(data)
    start = match.start() if match else 0
    return data[start : start + SNIFF_BYTES]


def _strict_prefix(window: bytes, encoding: str) -> str | None:
    """Strictly decode `window`, allowing only a character cut off at its end."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        return decoder.decode(window, final=False)
    except (UnicodeDecodeError, LookupError):
        return None


def _reject_binary_bytes(prefix: bytes) -> None:
    """Refuse early on NUL-dense bytes (text is not UTF-16 here); a stray NUL in a scraped text is kept."""
    nuls = prefix.count(0)
    if nuls > max(2, len(prefix) // 200):
        raise NotText(f"{nuls} NUL bytes in the first {len(prefix)} bytes")


def _reject_binary(sample: str) -> None:
    encoded = sample.encode("utf-8", "surrogatepass")
    controls = len(encoded) - len(encoded.translate(None, _CONTROL_BYTES))
    if controls > max(2, len(sample) // 200):
        raise NotText(f"{controls} control characters in the first {len(sample)} characters")
