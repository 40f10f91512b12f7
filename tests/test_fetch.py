"""The fetcher, archive and manifest against real servers on 127.0.0.1 (and nowhere else).

pytest-httpserver serves well-formed HTTP; a bare socket server (`RawServer`)
serves what an HTTP library will not: short bodies, resets, slow drips. Every
outbound connection of the process is checked to go to 127.0.0.1, and the
fetcher is told to refuse any other host before it connects.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import itertools
import json
import random
import socket
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from orchestration.codes import SCHEMAS_DIR
from orchestration.fetch import (
    Archive,
    CatalogRow,
    CorruptRaw,
    FetchConfig,
    Fetcher,
    FetchResult,
    Manifest,
    NotArchived,
    fetch_catalog,
    load_catalog,
    plan,
)
from orchestration.fetch import manifest as manifest_module
from orchestration.fetch.client import USER_AGENT, RateLimiter

LOOPBACK = "127.0.0.1"
NOW = datetime(2026, 1, 15, 8, 30, tzinfo=UTC)
SEED = 7
CAP = 256 * 1024
DOC = "2024年政府信息公开工作年度报告\n一、总体情况\n".encode()
BASE_CONFIG = {
    "connect_timeout": 1.0,
    "read_timeout": 1.0,
    "body_timeout": 5.0,
    "max_attempts": 3,
    "backoff_base": 1.0,
    "backoff_max": 8.0,
    "min_interval": 0.0,
    "max_bytes": CAP,
    "max_redirects": 3,
    "allowed_hosts": frozenset({LOOPBACK}),
    "trust_env": False,
}


# -- servers and guards --------------------------------------------------------------


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch) -> Iterator[list]:
    """Fail any outbound connection of this process to an address other than 127.0.0.1."""
    contacted: list = []
    original = socket.socket.connect

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] != LOOPBACK:
            raise AssertionError(f"test tried to connect to {address}")
        contacted.append(address)
        return original(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    yield contacted
    assert all(address[0] == LOOPBACK for address in contacted)


@pytest.fixture(scope="module")
def module_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host=LOOPBACK, port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def server(module_server) -> Iterator[HTTPServer]:
    module_server.clear()
    yield module_server
    module_server.clear()


class RawServer:
    """A bare TCP server on 127.0.0.1; `script(conn, n)` answers the n-th connection (from 0)."""

    def __init__(self, script: Callable[[socket.socket, int], None]):
        self.script = script
        self.connections = 0
        self.sock = socket.create_server((LOOPBACK, 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, path: str = "/doc") -> str:
        return f"http://{LOOPBACK}:{self.port}{path}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            n, self.connections = self.connections, self.connections + 1
            threading.Thread(target=self._handle, args=(conn, n), daemon=True).start()

    def _handle(self, conn: socket.socket, n: int) -> None:
        with conn:
            conn.settimeout(3)
            with_request(conn)
            with contextlib.suppress(OSError):
                self.script(conn, n)

    def close(self) -> None:
        self.sock.close()


def with_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def reset(conn: socket.socket) -> None:
    """Close with RST instead of FIN: the peer sees 'connection reset'."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def ok_response(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket, int], None]], RawServer]]:
    servers: list[RawServer] = []

    def make(script):
        servers.append(RawServer(script))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


@pytest.fixture
def make_fetcher(tmp_path) -> Iterator[Callable[..., tuple[Fetcher, list[float]]]]:
    """A fetcher with tiny limits, a recorded no-op sleep, a fixed clock and a seeded RNG."""
    made: list[Fetcher] = []

    def make(**overrides) -> tuple[Fetcher, list[float]]:
        sleeps: list[float] = []
        config = FetchConfig(**{**BASE_CONFIG, "file_root": tmp_path, **overrides})
        fetcher = Fetcher(config, sleep=sleeps.append, clock=lambda: NOW, rng=random.Random(SEED))
        made.append(fetcher)
        return fetcher, sleeps

    yield make
    for fetcher in made:
        fetcher.close()


@pytest.fixture
def store(tmp_path) -> tuple[Archive, Manifest]:
    return Archive(tmp_path / "data"), Manifest(tmp_path / "data" / "fetch_manifest")


def row(report_id: str, source: str) -> CatalogRow:
    return CatalogRow(report_id, "某局", 2024, source)


def backoffs(n: int) -> list[float]:
    """The delays a fetcher seeded with SEED sleeps before retries 1..n (no Retry-After)."""
    rng = random.Random(SEED)
    return [base + rng.uniform(0, base * 0.5) for base in (min(8.0, 2.0**i) for i in range(n))]


def test_the_test_servers_listen_on_127_0_0_1_only(server, raw_server):
    assert server.host == LOOPBACK
    assert server.server.socket.getsockname()[0] == LOOPBACK
    assert server.url_for("/x").startswith(f"http://{LOOPBACK}:")
    assert raw_server(lambda conn, n: None).sock.getsockname()[0] == LOOPBACK


def test_the_fetcher_refuses_hosts_outside_the_allowed_set(make_fetcher, loopback_only):
    fetcher, _ = make_fetcher()
    result = fetcher.fetch("http://127.0.0.2:9/report.pdf")
    assert (result.error, result.attempts) == ("host_not_allowed", 1)
    assert loopback_only == []


def test_the_connection_guard_is_live(loopback_only):
    with pytest.raises(AssertionError, match=r"127\.0\.0\.2"):
        socket.create_connection(("127.0.0.2", 9), timeout=0.1)
    assert loopback_only == []


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("http://[::1/x", "invalid_url"),
        ("https://", "invalid_url"),
        ("gopher://127.0.0.1/x", "unsupported_scheme"),
    ],
)
def test_malformed_sources_are_results_not_exceptions(make_fetcher, source, error):
    fetcher, _ = make_fetcher()
    result = fetcher.fetch(source)
    assert (result.error, result.status, result.attempts, result.body) == (error, None, 1, None)
    assert result.retrieved_at == "2026-01-15T08:30:00.000000Z"


# -- retries ------------------------------------------------------------------------


def test_500_then_200_ends_as_a_good_row_after_one_retry(server, make_fetcher, store):
    server.expect_oneshot_request("/r.pdf").respond_with_data("boom", status=500)
    server.expect_request("/r.pdf").respond_with_data(
        DOC, content_type="application/pdf", headers={"ETag": '"v1"'}
    )
    fetcher, sleeps = make_fetcher()
    archive, manifest = store

    [result] = fetch_catalog([row("r_2024", server.url_for("/r.pdf"))], archive, manifest, fetcher)

    assert (result.ok, result.status, result.attempts, result.etag) == (True, 200, 2, '"v1"')
    assert result.sha256 == hashlib.sha256(DOC).hexdigest() and result.bytes == len(DOC)
    assert result.body is None, "bodies are in the archive, not in the returned results"
    assert archive.get(result.sha256) == DOC
    assert sleeps == backoffs(1)
    assert [r.headers["User-Agent"] for r, _ in server.log] == [USER_AGENT] * 2
    assert USER_AGENT.startswith("ogi-reports/") and "github.com/ogi-reports" in USER_AGENT
    [recorded] = manifest.rows()
    assert (recorded["report_id"], recorded["status"], recorded["error"], recorded["attempts"]) == (
        "r_2024",
        200,
        None,
        2,
    )
    assert recorded["retrieved_at"] == NOW


def test_persistent_5xx_gives_up_after_max_attempts_with_exponential_backoff(server, make_fetcher):
    server.expect_request("/down").respond_with_data("busy", status=503)
    fetcher, sleeps = make_fetcher()
    result = fetcher.fetch(server.url_for("/down"))
    assert (result.error, result.status, result.attempts, result.body) == ("http_status", 503, 3, None)
    assert len(server.log) == 3
    assert sleeps == backoffs(2)
    assert 1.0 <= sleeps[0] <= 1.5 and 2.0 <= sleeps[1] <= 3.0


@pytest.mark.parametrize("status", [400, 403, 404, 410])
def test_4xx_is_an_error_row_without_retry(server, make_fetcher, store, status):
    server.expect_request("/gone").respond_with_data("no", status=status)
    fetcher, sleeps = make_fetcher()
    archive, manifest = store
    [result] = fetch_catalog([row("g_2024", server.url_for("/gone"))], archive, manifest, fetcher)
    assert (result.error, result.status, result.attempts) == ("http_status", status, 1)
    assert result.error_detail.startswith(f"HTTP {status}")
    assert len(server.log) == 1 and sleeps == []
    assert manifest.rows()[0]["error"] == "http_status"
    assert manifest.latest("g_2024") is None


@pytest.mark.parametrize(
    ("retry_after", "cap", "expected"),
    [
        ("7", 300.0, 7.0),
        ("100000", 30.0, 30.0),
        (format_datetime(NOW + timedelta(seconds=12), usegmt=True), 300.0, 12.0),
    ],
)
def test_429_honours_retry_after_capped(server, make_fetcher, retry_after, cap, expected):
    server.expect_oneshot_request("/busy").respond_with_data(
        "slow down", status=429, headers={"Retry-After": retry_after}
    )
    server.expect_request("/busy").respond_with_data(DOC)
    fetcher, sleeps = make_fetcher(retry_after_max=cap)
    result = fetcher.fetch(server.url_for("/busy"))
    assert (result.ok, result.attempts, result.body) == (True, 2, DOC)
    assert sleeps == [expected]


def test_a_read_timeout_is_retried_then_recorded(server, make_fetcher):
    release = threading.Event()

    def stall(request: Request) -> Response:
        release.wait(5)
        return Response(DOC)

    server.expect_request("/slow").respond_with_handler(stall)
    fetcher, sleeps = make_fetcher(read_timeout=0.2, max_attempts=2)
    started = time.monotonic()
    try:
        result = fetcher.fetch(server.url_for("/slow"))
    finally:
        release.set()
    assert (result.error, result.attempts, result.status, result.body) == ("timeout", 2, None, None)
    assert "ReadTimeout" in result.error_detail
    assert len(sleeps) == 1
    assert time.monotonic() - started < 2


def test_a_body_dripping_past_its_time_budget_is_a_timeout(raw_server, make_fetcher):
    def drip(conn, n):
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        for _ in range(100):
            conn.sendall(b"x")
            time.sleep(0.02)

    server = raw_server(drip)
    fetcher, _ = make_fetcher(body_timeout=0.15, max_attempts=1)
    result = fetcher.fetch(server.url())
    assert (result.error, result.status, result.body) == ("timeout", 200, None)
    assert "body not complete" in result.error_detail


def test_a_connection_reset_is_retried(raw_server, make_fetcher):
    def script(conn, n):
        if n == 0:
            reset(conn)
        else:
            conn.sendall(ok_response(DOC))

    server = raw_server(script)
    fetcher, sleeps = make_fetcher()
    result = fetcher.fetch(server.url())
    assert (result.ok, result.attempts, result.body) == (True, 2, DOC)
    assert server.connections == 2 and len(sleeps) == 1


# -- bodies -------------------------------------------------------------------------


def test_a_body_shorter_than_its_content_length_is_truncated(raw_server, make_fetcher, store):
    server = raw_server(
        lambda conn, n: conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + DOC)
    )
    fetcher, _ = make_fetcher()
    archive, manifest = store
    [result] = fetch_catalog([row("t_2024", server.url())], archive, manifest, fetcher)
    assert (result.error, result.status, result.sha256, result.bytes) == ("truncated_body", 200, None, None)
    assert result.attempts == 3 and server.connections == 3
    assert not (archive.root.exists() and any(archive.root.rglob("*")))


def test_a_declared_body_over_the_cap_is_refused_without_retry(server, make_fetcher):
    server.expect_request("/big").respond_with_data(b"x" * (CAP + 1))
    fetcher, sleeps = make_fetcher()
    result = fetcher.fetch(server.url_for("/big"))
    assert (result.error, result.status, result.attempts, result.body) == ("body_too_large", 200, 1, None)
    assert f"Content-Length {CAP + 1}" in result.error_detail
    assert sleeps == []


def test_an_undeclared_body_over_the_cap_is_aborted_while_streaming(raw_server, make_fetcher):
    def endless(conn, n):
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        for _ in range(CAP // 4096 + 10):
            conn.sendall(b"y" * 4096)

    server = raw_server(endless)
    fetcher, _ = make_fetcher()
    result = fetcher.fetch(server.url())
    assert (result.error, result.attempts, result.body) == ("body_too_large", 1, None)
    assert result.error_detail == f"body over {CAP} bytes"


def test_a_body_exactly_at_the_cap_is_kept(server, make_fetcher):
    server.expect_request("/edge").respond_with_data(b"z" * CAP)
    fetcher, _ = make_fetcher()
    assert fetcher.fetch(server.url_for("/edge")).bytes == CAP


def test_a_gzip_bomb_is_capped_on_its_decompressed_size(server, make_fetcher):
    bomb = gzip.compress(b"\0" * (32 * CAP))
    assert len(bomb) < CAP
    server.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    fetcher, _ = make_fetcher()
    result = fetcher.fetch(server.url_for("/bomb"))
    assert (result.error, result.attempts, result.body) == ("body_too_large", 1, None)


def test_gzip_content_is_stored_decoded(server, make_fetcher):
    server.expect_request("/gz").respond_with_data(gzip.compress(DOC), headers={"Content-Encoding": "gzip"})
    fetcher, _ = make_fetcher()
    result = fetcher.fetch(server.url_for("/gz"))
    assert (result.body, result.sha256) == (DOC, hashlib.sha256(DOC).hexdigest())


def test_a_wrong_charset_header_leaves_the_bytes_exactly_as_served(server, make_fetcher, store):
    served = "<html><body>政府信息公开工作年度报告 2024</body></html>".encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        served.decode("utf-8")
    server.expect_request("/gbk.html").respond_with_data(served, content_type="text/html; charset=utf-8")
    fetcher, _ = make_fetcher()
    archive, manifest = store
    [result] = fetch_catalog([row("c_2024", server.url_for("/gbk.html"))], archive, manifest, fetcher)
    assert result.content_type == "text/html; charset=utf-8"
    assert result.sha256 == hashlib.sha256(served).hexdigest()
    assert archive.get(result.sha256) == served


# -- redirects ----------------------------------------------------------------------


def test_a_redirect_within_the_host_is_followed(server, make_fetcher):
    server.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/new"})
    server.expect_request("/new").respond_with_data(DOC)
    fetcher, _ = make_fetcher()
    result = fetcher.fetch(server.url_for("/old"))
    assert (result.ok, result.url, result.final_url, result.attempts) == (
        True,
        server.url_for("/old"),
        server.url_for("/new"),
        1,
    )


@pytest.mark.parametrize("target_host", ["localhost", "127.0.0.2"])
def test_a_redirect_to_another_host_is_not_followed(
    server, raw_server, make_fetcher, loopback_only, target_host
):
    """Even with no host allow-list, the other host is never contacted."""
    decoy = raw_server(lambda conn, n: conn.sendall(ok_response(b"decoy")))
    elsewhere = f"http://{target_host}:{decoy.port}/report.pdf"
    server.expect_request("/moved").respond_with_data("", status=302, headers={"Location": elsewhere})
    fetcher, _ = make_fetcher(allowed_hosts=None)
    result = fetcher.fetch(server.url_for("/moved"))
    assert (result.error, result.status, result.final_url) == (
        "redirect_off_host",
        302,
        server.url_for("/moved"),
    )
    assert elsewhere in result.error_detail
    assert decoy.connections == 0
    assert {address[1] for address in loopback_only} == {server.port}


def test_a_redirect_loop_stops(server, make_fetcher):
    server.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    server.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    fetcher, _ = make_fetcher()
    result = fetcher.fetch(server.url_for("/a"))
    assert (result.error, result.attempts) == ("too_many_redirects", 1)
    assert "loop" in result.error_detail
    assert [r.path for r, _ in server.log] == ["/a", "/b"]


def test_a_redirect_chain_longer_than_the_limit_stops(server, make_fetcher):
    for i in range(10):
        server.expect_request(f"/r{i}").respond_with_data("", status=307, headers={"Location": f"/r{i + 1}"})
    fetcher, _ = make_fetcher(max_redirects=3)
    result = fetcher.fetch(server.url_for("/r0"))
    assert result.error == "too_many_redirects"
    assert [r.path for r, _ in server.log] == ["/r0", "/r1", "/r2", "/r3"]


def test_a_redirect_without_location_is_an_error(server, make_fetcher):
    server.expect_request("/nowhere").respond_with_data("", status=302)
    fetcher, _ = make_fetcher()
    assert fetcher.fetch(server.url_for("/nowhere")).error == "bad_redirect"


# -- conditional requests and what gets fetched ----------------------------------------


def test_a_refresh_is_conditional_and_304_keeps_the_archived_body(server, make_fetcher, store):
    def conditional(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(DOC, headers={"ETag": '"v1"', "Last-Modified": "Wed, 14 Jan 2026 08:00:00 GMT"})

    server.expect_request("/report.pdf").respond_with_handler(conditional)
    fetcher, _ = make_fetcher()
    archive, manifest = store
    rows = [row("h_2024", server.url_for("/report.pdf"))]

    [first] = fetch_catalog(rows, archive, manifest, fetcher)
    assert fetch_catalog(rows, archive, manifest, fetcher) == []
    [again] = fetch_catalog(rows, archive, manifest, fetcher, refresh=True)

    first_request, again_request = (r for r, _ in server.log)
    assert "If-None-Match" not in first_request.headers
    assert again_request.headers["If-None-Match"] == '"v1"'
    assert again_request.headers["If-Modified-Since"] == "Wed, 14 Jan 2026 08:00:00 GMT"
    assert (again.status, again.error, again.sha256, again.etag) == (304, "not_modified", None, '"v1"')
    assert manifest.latest("h_2024").sha256 == first.sha256
    assert [r["error"] for r in manifest.rows()] == [None, "not_modified"]


def test_an_unchanged_catalog_fetches_nothing_and_a_lost_raw_file_is_fetched_again(
    server, make_fetcher, store, tmp_path
):
    docs = {"/a.pdf": b"%PDF-1.7 report a", "/b.html": "<html>报告 b</html>".encode()}
    for path, body in docs.items():
        server.expect_request(path).respond_with_data(body)
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "c.txt").write_bytes(DOC)
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(
        "report_id,publisher,year,source\n"
        f"a_2024,甲,2024,{server.url_for('/a.pdf')}\n"
        f"b_2024,乙,2024,{server.url_for('/b.html')}\n"
        "c_2024,丙,2024,local/c.txt\n",
        encoding="utf-8",
    )
    rows = load_catalog(catalog, root=tmp_path)
    fetcher, _ = make_fetcher()
    archive, manifest = store

    first = fetch_catalog(rows, archive, manifest, fetcher, max_workers=3)
    assert [(r.ok, r.url) for r in first] == [(True, row.source) for row in rows]
    assert len(server.log) == 2

    assert fetch_catalog(rows, archive, manifest, fetcher) == []
    assert len(server.log) == 2

    archive.path(first[1].sha256).unlink()
    [refetched] = fetch_catalog(rows, archive, manifest, fetcher)
    assert refetched.url == server.url_for("/b.html")
    assert len(server.log) == 3 and server.log[2][0].path == "/b.html"
    assert archive.get(refetched.sha256) == docs["/b.html"]
    assert [r["report_id"] for r in manifest.rows()].count("b_2024") == 2
    assert len(manifest.rows()) == 4


def test_a_changed_source_is_fetched_again(server, make_fetcher, store):
    server.expect_request("/v1").respond_with_data(b"one")
    server.expect_request("/v2").respond_with_data(b"two")
    fetcher, _ = make_fetcher()
    archive, manifest = store
    fetch_catalog([row("s_2024", server.url_for("/v1"))], archive, manifest, fetcher)
    [(planned, previous)] = plan([row("s_2024", server.url_for("/v2"))], archive, manifest)
    assert planned.source == server.url_for("/v2") and previous is None


def test_fetches_finished_before_a_failure_are_still_recorded(server, make_fetcher, store):
    """An archive failure is not a network problem: it raises, but the manifest keeps what was done."""
    server.expect_request("/fine").respond_with_data(b"fine")
    server.expect_request("/full").respond_with_data(b"disk full")
    fetcher, _ = make_fetcher()
    archive, manifest = store
    real_put = archive.put

    def put(data: bytes) -> str:
        if data == b"disk full":
            raise OSError(28, "No space left on device")
        return real_put(data)

    archive.put = put  # type: ignore[method-assign]
    rows = [row("fine_2024", server.url_for("/fine")), row("full_2024", server.url_for("/full"))]
    with pytest.raises(OSError, match="No space"):
        fetch_catalog(rows, archive, manifest, fetcher, max_workers=1)
    assert [r["report_id"] for r in manifest.rows()] == ["fine_2024"]


def test_requests_to_one_host_are_spaced_by_the_rate_limit(server, make_fetcher, store):
    seen: list[float] = []

    def record(request: Request) -> Response:
        seen.append(time.monotonic())
        return Response(request.path.encode())

    for i in range(4):
        server.expect_request(f"/{i}").respond_with_handler(record)
    fetcher = Fetcher(FetchConfig(**{**BASE_CONFIG, "min_interval": 0.1}))
    archive, manifest = store
    rows = [row(f"p{i}_2024", server.url_for(f"/{i}")) for i in range(4)]
    try:
        results = fetch_catalog(rows, archive, manifest, fetcher, max_workers=4)
    finally:
        fetcher.close()
    assert all(r.ok for r in results)
    seen.sort()
    gaps = [b - a for a, b in itertools.pairwise(seen)]
    # Spacing is enforced where requests start; arrival times jitter under load, so allow half of it per
    # gap (four unthrottled workers would arrive together) and most of it over the whole run.
    assert len(gaps) == 3 and min(gaps) >= 0.05 and seen[-1] - seen[0] >= 0.25


def test_the_rate_limiter_reserves_slots_per_host():
    now, slept = [100.0], []
    limiter = RateLimiter(1.0, monotonic=lambda: now[0], sleep=slept.append)
    assert [limiter.wait("a.gov.cn") for _ in range(3)] == [0.0, 1.0, 2.0]
    assert limiter.wait("b.gov.cn") == 0.0
    now[0] = 110.0
    assert limiter.wait("a.gov.cn") == 0.0
    assert slept == [1.0, 2.0]


# -- file sources -------------------------------------------------------------------


def test_a_file_source_is_read_with_the_same_cap_and_confinement(tmp_path, make_fetcher):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "r.txt").write_bytes(DOC)
    (tmp_path / "docs" / "big.txt").write_bytes(b"x" * (CAP + 1))
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_bytes(b"secret")
    (tmp_path / "docs" / "link.txt").symlink_to(outside)
    fetcher, _ = make_fetcher()
    try:
        good = fetcher.fetch("docs/r.txt")
        assert (good.body, good.status, good.final_url) == (DOC, None, "docs/r.txt")
        assert fetcher.fetch(f"file://{tmp_path}/docs/r.txt").sha256 == good.sha256
        assert fetcher.fetch("docs/big.txt").error == "body_too_large"
        assert fetcher.fetch("docs/link.txt").error == "path_outside_root"
        assert fetcher.fetch("../x.txt").error == "path_outside_root"
        assert fetcher.fetch("/etc/hostname").error == "path_outside_root"
        assert fetcher.fetch("docs/missing.txt").error == "file_not_found"
        assert fetcher.fetch("docs").error == "file_error"
        assert fetcher.fetch("ftp://x.gov.cn/a.pdf").error == "unsupported_scheme"
    finally:
        outside.unlink()


# -- archive ------------------------------------------------------------------------


def test_the_archive_is_content_addressed_and_stores_a_document_once(tmp_path):
    archive = Archive(tmp_path)
    sha = archive.put(DOC)
    assert sha == hashlib.sha256(DOC).hexdigest()
    assert archive.path(sha) == tmp_path / "raw" / sha[:2] / sha
    first_inode = archive.path(sha).stat().st_ino
    assert archive.put(DOC) == sha
    assert archive.path(sha).stat().st_ino == first_inode
    assert [p.name for p in (tmp_path / "raw").rglob("*") if p.is_file()] == [sha]
    assert archive.has(sha) and archive.get(sha) == DOC


def test_the_archive_verifies_hashes_on_read(tmp_path):
    archive = Archive(tmp_path)
    sha = archive.put(DOC)
    path = archive.path(sha)
    path.chmod(0o644)
    path.write_bytes(DOC + b"tampered")
    with pytest.raises(CorruptRaw):
        archive.get(sha)
    with pytest.raises(NotArchived):
        archive.get("0" * 64)
    assert not archive.has("0" * 64)
    with pytest.raises(ValueError):
        archive.path("../../etc/passwd")


# -- manifest -----------------------------------------------------------------------


def test_manifest_columns_and_parquet_schema_come_from_the_table_schema(tmp_path):
    schema = json.loads((SCHEMAS_DIR / "tables" / "fetch_manifest.json").read_text())
    names = [f["name"] for f in schema["fields"]]
    assert list(manifest_module.columns()) == names
    result = FetchResult(
        url="https://x.gov.cn/a",
        final_url="https://x.gov.cn/a",
        status=404,
        content_type=None,
        etag=None,
        last_modified=None,
        retrieved_at="2026-01-15T08:30:00.000000Z",
        sha256=None,
        bytes=None,
        error="http_status",
        error_detail="HTTP 404 NOT FOUND",
        attempts=1,
    )
    manifest = Manifest(tmp_path / "m")
    assert manifest.append([("a_2024", result)]) == 1
    stored = pq.read_table(tmp_path / "m" / "00000001-00000001.parquet")
    assert stored.column_names == names
    assert str(stored.schema.field("retrieved_at").type) == "timestamp[us, tz=UTC]"
    assert stored.column("etag").to_pylist() == [None]
    assert manifest_module.to_result(manifest.rows()[0]) == result
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "m.lock"]


def test_manifest_latest_is_the_last_good_fetch(tmp_path):
    def result(sha: str | None, error: str | None, etag: str) -> FetchResult:
        return FetchResult(
            "u", "u", 200, None, etag, None, "2026-01-15T08:30:00.000000Z", sha, 1, None, error, None, 1
        )

    manifest = Manifest(tmp_path / "m")
    manifest.append([("a", result("1" * 64, None, '"1"')), ("b", result(None, "timeout", '"x"'))])
    manifest.append([("a", result("2" * 64, None, '"2"')), ("a", result(None, "http_status", '"3"'))])
    assert manifest.latest("a").sha256 == "2" * 64 and manifest.latest("a").etag == '"2"'
    assert manifest.latest("b") is None
    assert len(manifest.rows()) == 4


def _good(sha: str) -> FetchResult:
    return FetchResult(
        "u", "u", 200, None, None, None, "2026-01-15T08:30:00.000000Z", sha, 1, None, None, None, 1
    )


def test_manifest_appends_are_files_merged_every_compact_at(tmp_path, monkeypatch):
    monkeypatch.setattr(manifest_module, "COMPACT_AT", 3)
    manifest = Manifest(tmp_path / "m")
    files = []
    for i in range(5):
        manifest.append([(f"r{i}", _good(f"{i}" * 64)), ("all", _good(f"{i}" * 64))])
        files.append(sorted(p.name for p in (tmp_path / "m").iterdir()))
    assert files == [
        ["00000001-00000001.parquet"],
        ["00000001-00000001.parquet", "00000002-00000002.parquet"],
        ["00000001-00000003.parquet"],
        ["00000001-00000003.parquet", "00000004-00000004.parquet"],
        ["00000001-00000005.parquet"],
    ]
    assert [r["report_id"] for r in manifest.rows()] == [x for i in range(5) for x in (f"r{i}", "all")]
    assert manifest.latest("all").sha256 == "4" * 64


def test_manifest_files_left_by_a_crash_mid_compaction_count_once_and_go(tmp_path):
    manifest = Manifest(tmp_path / "m")
    for i in range(3):
        manifest.append([(f"r{i}", _good(f"{i}" * 64))])
    merged = pa.concat_tables(pq.read_table(p) for p in sorted((tmp_path / "m").iterdir()))
    pq.write_table(merged, tmp_path / "m" / "00000001-00000003.parquet")  # merged, originals not yet removed
    assert [r["report_id"] for r in manifest.rows()] == ["r0", "r1", "r2"]
    manifest.append([("r3", _good("3" * 64))])
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "00000001-00000003.parquet",
        "00000004-00000004.parquet",
    ]
    assert [r["report_id"] for r in manifest.rows()] == ["r0", "r1", "r2", "r3"]


def test_a_single_file_manifest_from_before_is_adopted(tmp_path):
    rows = [manifest_module.to_row("old", _good("a" * 64))]
    pq.write_table(pa.Table.from_pylist(rows, schema=manifest_module.arrow_schema()), tmp_path / "m.parquet")
    manifest = Manifest(tmp_path / "m")
    manifest.append([("new", _good("b" * 64))])
    assert not (tmp_path / "m.parquet").exists()
    assert [r["report_id"] for r in manifest.rows()] == ["old", "new"]
    assert manifest.latest("old").sha256 == "a" * 64


def test_latest_for_holds_only_the_reports_asked_for(tmp_path):
    manifest = Manifest(tmp_path / "m")
    manifest.append([(f"r{i}", _good(f"{i % 10}" * 64)) for i in range(100)])
    assert sorted(manifest.latest_for(["r3", "r42", "absent"])) == ["r3", "r42"]
    manifest.append([("r3", _good("f" * 64))])
    assert manifest.latest_for(["r3", "r42", "absent"])["r3"].sha256 == "f" * 64  # not the remembered one


# -- bounded decoding and the whole-attempt deadline ---------------------------------


def test_a_gzip_bomb_is_inflated_in_bounded_steps(raw_server, make_fetcher):
    """256 MiB of zeros in ~250 KB of gzip: never more than a step of it is in memory at once."""
    bomb = gzip.compress(b"\0" * (256 * 1024 * 1024), compresslevel=9)
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb)
    server = raw_server(lambda conn, n: conn.sendall(head + bomb))
    fetcher, _ = make_fetcher(max_bytes=len(bomb) * 4)
    tracemalloc.start()
    try:
        result = fetcher.fetch(server.url())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (result.error, result.attempts, result.body) == ("body_too_large", 1, None)
    assert "once decoded" in result.error_detail
    assert peak < 4 * len(bomb) + 8 * 1024 * 1024


@pytest.mark.parametrize("encoding", ["deflate-zlib", "deflate-raw", "gzip, identity"])
def test_deflate_in_both_forms_and_listed_encodings_are_decoded(server, make_fetcher, encoding):
    if encoding == "deflate-raw":
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        body, header = packer.compress(DOC) + packer.flush(), "deflate"
    elif encoding == "deflate-zlib":
        body, header = zlib.compress(DOC), "deflate"
    else:
        body, header = gzip.compress(DOC), encoding
    server.expect_request("/z").respond_with_data(body, headers={"Content-Encoding": header})
    fetcher, _ = make_fetcher()
    result = fetcher.fetch(server.url_for("/z"))
    assert (result.body, result.error) == (DOC, None)
    assert server.log[0][0].headers["Accept-Encoding"] == "gzip, deflate"


@pytest.mark.parametrize(("encoding", "body"), [("br", b"\x1b\x00"), ("gzip", b"\x1f\x8b not gzip at all")])
def test_an_unasked_or_broken_encoding_is_a_decoding_error(server, make_fetcher, encoding, body):
    server.expect_request("/e").respond_with_data(body, headers={"Content-Encoding": encoding})
    fetcher, sleeps = make_fetcher()
    result = fetcher.fetch(server.url_for("/e"))
    assert (result.error, result.attempts, result.body) == ("decoding_error", 1, None)
    assert sleeps == []


def test_headers_dripping_past_the_deadline_are_cut_off(raw_server, make_fetcher):
    """Each header byte comes well within the read timeout; the whole exchange may not take longer."""

    def drip(conn, n):
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(200):
            conn.sendall(b"X")
            time.sleep(0.05)

    server = raw_server(drip)
    fetcher, _ = make_fetcher(read_timeout=1.0, body_timeout=0.4, max_attempts=1)
    started = time.monotonic()
    result = fetcher.fetch(server.url())
    elapsed = time.monotonic() - started
    assert (result.error, result.status, result.body) == ("timeout", None, None)
    assert result.error_detail == "response not complete in 0.4 s"
    assert elapsed < 3


def test_the_deadline_covers_every_redirect_hop(raw_server, make_fetcher):
    """Three hops, each answered after 0.15 s: fine alone, together past a 0.3 s budget."""

    def slow_hop(conn, n):
        time.sleep(0.15)
        conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /doc%d\r\nContent-Length: 0\r\n\r\n" % (n + 1))

    server = raw_server(slow_hop)
    fetcher, _ = make_fetcher(read_timeout=1.0, body_timeout=0.3, max_attempts=1, max_redirects=5)
    result = fetcher.fetch(server.url())
    assert result.error == "timeout"
    assert server.connections <= 3


def test_every_redirect_hop_is_checked_for_its_host(server, raw_server, make_fetcher):
    decoy = raw_server(lambda conn, n: conn.sendall(ok_response(b"decoy")))
    server.expect_request("/one").respond_with_data("", status=301, headers={"Location": "/two"})
    server.expect_request("/two").respond_with_data(
        "", status=302, headers={"Location": f"http://localhost:{decoy.port}/three"}
    )
    fetcher, _ = make_fetcher(allowed_hosts=None)
    result = fetcher.fetch(server.url_for("/one"))
    assert (result.error, result.final_url) == ("redirect_off_host", server.url_for("/two"))
    assert decoy.connections == 0


@pytest.mark.parametrize(
    ("location", "error"),
    [
        ("http://[::1", "bad_redirect"),
        ("data:text/plain,x", "redirect_off_host"),
        ("javascript:x", "redirect_off_host"),
    ],
)
def test_an_unusable_location_is_judged_by_the_fetcher_not_retried(raw_server, make_fetcher, location, error):
    """httpx used to build the redirect request itself and fail first (a retried connection_error)."""
    head = f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode()
    server = raw_server(lambda conn, n: conn.sendall(head))
    fetcher, sleeps = make_fetcher()
    result = fetcher.fetch(server.url())
    assert (result.error, result.status, result.attempts, sleeps) == (error, 302, 1, [])
