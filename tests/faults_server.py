"""A misbehaving HTTP server on 127.0.0.1 for the fault-injection suite.

It speaks HTTP/1.1 over bare sockets, one request per connection, so that it can
do what a well-behaved server library will not: reset the connection, send less
body than its Content-Length, drip bytes, stall, inflate into a bomb. Each path
has a behaviour (a function of the connection and of how many times that path was
requested before); the server is bounded in requests and in lifetime, and every
connection in time, so a test can never hang on it.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Exchange:
    """One request as a behaviour sees it."""

    conn: socket.socket
    path: str
    seen: int
    """How many requests for this path came before this one."""


Behaviour = Callable[[Exchange], None]


class FaultServer:
    """Serves `routes` (path → behaviour) on 127.0.0.1; an unknown path is a plain 404."""

    def __init__(
        self,
        routes: dict[str, Behaviour],
        *,
        max_requests: int = 10_000,
        lifetime: float = 300.0,
        connection_timeout: float = 15.0,
    ):
        self.routes = routes
        self.max_requests = max_requests
        self.connection_timeout = connection_timeout
        self.hits: Counter[str] = Counter()
        self.refused = 0
        self._lock = threading.Lock()
        self._until = time.monotonic() + lifetime
        self._sock = socket.create_server((LOOPBACK, 0), backlog=128)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="fault-server", daemon=True)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None):
        self.close()

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self.port}{path}"

    @property
    def requests(self) -> int:
        return sum(self.hits.values())

    def close(self) -> None:
        self._until = 0.0
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while time.monotonic() < self._until:
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(self.connection_timeout)
            with contextlib.suppress(OSError):
                path = _request_path(conn)
                with self._lock:
                    over = self.requests >= self.max_requests
                    seen = self.hits[path]
                    if over:
                        self.refused += 1
                    else:
                        self.hits[path] += 1
                if over:
                    reset(Exchange(conn, path, seen))
                    return
                self.routes.get(path, status(404))(Exchange(conn, path, seen))


def _request_path(conn: socket.socket) -> str:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    parts = data.split(b"\r\n", 1)[0].split()
    return parts[1].decode("latin-1") if len(parts) >= 2 else "/"


def _head(code: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {code} {_REASONS.get(code, 'Status')}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join([*lines, "Connection: close", "", ""])).encode("latin-1")


_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


# -- behaviours ---------------------------------------------------------------------


def serve(body: bytes, content_type: str | None = None, *, gzipped: bool = False, chunked: bool = False):
    """A complete 200 response (optionally gzip-encoded on the wire, or chunked)."""
    wire = gzip.compress(body, mtime=0) if gzipped else body
    headers = {"Content-Type": content_type} if content_type else {}
    if gzipped:
        headers["Content-Encoding"] = "gzip"

    def behaviour(x: Exchange) -> None:
        if chunked:
            pieces = [wire[i : i + 1000] for i in range(0, len(wire), 1000)]
            framed = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
            x.conn.sendall(_head(200, {**headers, "Transfer-Encoding": "chunked"}) + framed)
        else:
            x.conn.sendall(_head(200, {**headers, "Content-Length": str(len(wire))}) + wire)

    return behaviour


def status(code: int, headers: dict[str, str] | None = None, body: bytes = b"") -> Behaviour:
    def behaviour(x: Exchange) -> None:
        x.conn.sendall(_head(code, {**(headers or {}), "Content-Length": str(len(body))}) + body)

    return behaviour


def redirect(location: str, code: int = 302) -> Behaviour:
    return status(code, {"Location": location})


def flaky(failures: int, failing: Behaviour, then: Behaviour) -> Behaviour:
    """`failing` for the first `failures` requests of the path, `then` afterwards."""
    return lambda x: (failing if x.seen < failures else then)(x)


def reset(x: Exchange) -> None:
    """Close with RST instead of FIN: the client sees 'connection reset'."""
    x.conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def stall(x: Exchange) -> None:
    """Never answer; hold the connection until the client gives up (or the connection times out)."""
    with contextlib.suppress(OSError):
        while x.conn.recv(1024):
            pass


def drip_body(length: int, pause: float) -> Behaviour:
    """Headers at once, then one body byte every `pause` seconds."""

    def behaviour(x: Exchange) -> None:
        x.conn.sendall(_head(200, {"Content-Type": "text/plain", "Content-Length": str(length)}))
        for _ in range(length):
            time.sleep(pause)
            x.conn.sendall(b"x")

    return behaviour


def drip_headers(pause: float, count: int = 400) -> Behaviour:
    """The status line, then one header byte every `pause` seconds: the headers never end."""

    def behaviour(x: Exchange) -> None:
        x.conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(count):
            time.sleep(pause)
            x.conn.sendall(b"x")

    return behaviour


def truncated(body: bytes, declared: int) -> Behaviour:
    """Declare `declared` bytes, send `body` (fewer), close."""

    def behaviour(x: Exchange) -> None:
        x.conn.sendall(_head(200, {"Content-Length": str(declared)}) + body)

    return behaviour


def encoded(wire: bytes, encoding: str) -> Behaviour:
    """Bytes sent as they are under a Content-Encoding (a bomb, or garbage claiming to be gzip)."""

    def behaviour(x: Exchange) -> None:
        head = _head(200, {"Content-Encoding": encoding, "Content-Length": str(len(wire))})
        x.conn.sendall(head + wire)

    return behaviour


def endless(size: int) -> Behaviour:
    """No Content-Length: `size` bytes until the connection closes (or the client leaves)."""

    def behaviour(x: Exchange) -> None:
        x.conn.sendall(_head(200, {"Content-Type": "application/pdf"}))
        block = b"%PDF" + b"0" * 65532
        for _ in range(size // len(block) + 1):
            x.conn.sendall(block)

    return behaviour
