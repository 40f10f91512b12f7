"""The form of a document (pdf, docx, doc, html, text, …) from its bytes.

File names and Content-Type headers of government sites are unreliable (PDFs served
as text/html, .doc files renamed .docx), so only magic bytes and a short sniff of
the content decide.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile

PDF_MAGIC_WINDOW = 1024
"""Acrobat accepts %PDF anywhere in the first KB (some servers prepend junk)."""

HTML_SNIFF_BYTES = 8192

_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_IMAGE_MAGICS = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM")
_WORD_MAIN_PART = re.compile(r"word/document[0-9]*\.xml")
_HTML_MARKERS = re.compile(r"<(?:!doctype\s+html|html|head|body|table|meta|title)[\s>/]")


def detect_form(data: bytes) -> str:
    """One of "pdf", "docx", "doc", "zip", "image", "rtf", "html", "text"."""
    if b"%PDF-" in data[:PDF_MAGIC_WINDOW]:
        return "pdf"
    if data.startswith(_OLE_MAGIC):
        return "doc"
    if data.startswith(_ZIP_MAGICS):
        return _zip_form(data)
    if data.startswith(_IMAGE_MAGICS) and not _is_textual(data[:64]):
        return "image"
    head = _sniff_text(data[:HTML_SNIFF_BYTES])
    if head.startswith("{\\rtf"):
        return "rtf"
    if _HTML_MARKERS.search(head):
        return "html"
    return "text"


def _zip_form(data: bytes) -> str:
    """A zip with a Word main part (word/document.xml, or document2.xml from some
    converters) is .docx; a zip whose directory is unreadable but names a Word part is
    a damaged .docx, so that its reader reports it as unreadable rather than unsupported."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "docx" if b"word/" in data[:1_000_000] else "zip"
    return "docx" if any(_WORD_MAIN_PART.fullmatch(name) for name in names) else "zip"


def _sniff_text(prefix: bytes) -> str:
    """Lower-cased, left-stripped text of the prefix in whatever Unicode form it is in."""
    encoding = "latin-1"
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if prefix.startswith(bom):
            prefix, encoding = prefix[len(bom) :], name
            break
    else:
        half = len(prefix) // 2
        if half and prefix[1::2].count(0) > half * 0.3:
            encoding = "utf-16-le"
        elif half and prefix[0::2].count(0) > half * 0.3:
            encoding = "utf-16-be"
    return prefix.decode(encoding, errors="ignore").lstrip().lower()


def _is_textual(prefix: bytes) -> bool:
    """ "BM" or "II*" at the start of a text file is not a bitmap header."""
    return all(b >= 0x20 or b in b"\t\r\n" for b in prefix)
