"""Content-Encoding decoding that never holds more than the size cap in memory.

httpx inflates each received chunk in full before the caller sees it, so a few
kilobytes of gzip can become gigabytes in one call. This decoder inflates with
zlib's `max_length` and stops as soon as the output would pass the cap.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

ACCEPT_ENCODING = "gzip, deflate"
"""The only encodings the fetcher asks for (and decodes)."""

_WBITS = {"gzip": zlib.MAX_WBITS | 16, "x-gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}
_STEP = 64 * 1024


class TooLarge(Exception):
    """The decoded body would pass the cap."""


class BadEncoding(Exception):
    """An encoding we did not ask for, or bytes that do not decode."""


def decode(chunks: Iterable[bytes], content_encoding: str | None, limit: int) -> Iterator[bytes]:
    """The decoded chunks of a body; TooLarge once more than `limit` bytes would come out."""
    encodings = [e.strip().lower() for e in (content_encoding or "").split(",") if e.strip()]
    encodings = [e for e in encodings if e != "identity"]
    unknown = [e for e in encodings if e not in _WBITS]
    if unknown:
        raise BadEncoding(f"unsupported Content-Encoding {', '.join(unknown)}")
    stream: Iterable[bytes] = chunks
    for encoding in encodings:
        stream = _inflate(stream, encoding, limit)
    return _capped(stream, limit)


def _capped(chunks: Iterable[bytes], limit: int) -> Iterator[bytes]:
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"body over {limit} bytes")
        yield chunk


def _inflate(chunks: Iterable[bytes], encoding: str, limit: int) -> Iterator[bytes]:
    """Inflate at most `limit + 1` bytes in all, in steps of `_STEP`, whatever the ratio."""
    inflater = zlib.decompressobj(_WBITS[encoding])
    out = 0
    first = True
    for chunk in chunks:
        if first and encoding == "deflate" and chunk and not _zlib_header(chunk):
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        first = False
        data = chunk
        while data:
            piece = _step(inflater, data, min(_STEP, limit + 1 - out))
            out += len(piece)
            if out > limit:
                raise TooLarge(f"body over {limit} bytes once decoded")
            yield piece
            data = inflater.unconsumed_tail
            if inflater.eof:
                break
    try:
        rest = inflater.flush()
    except zlib.error as exc:
        raise BadEncoding(f"{encoding}: {exc}") from None
    if rest:
        if out + len(rest) > limit:
            raise TooLarge(f"body over {limit} bytes once decoded")
        yield rest


def _step(inflater, data: bytes, room: int) -> bytes:
    try:
        return inflater.decompress(data, max(room, 1))
    except zlib.error as exc:
        raise BadEncoding(str(exc)) from None


def _zlib_header(chunk: bytes) -> bool:
    """Servers send 'deflate' as zlib (RFC 9110) or as a raw stream; the header tells which."""
    return len(chunk) >= 2 and (chunk[0] & 0x0F) == 8 and (chunk[0] << 8 | chunk[1]) % 31 == 0
