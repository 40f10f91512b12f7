"""Fetch one catalog source politely and defensively, never raising for network trouble.

Government sites are slow, flaky and sometimes hostile to crawlers, so every
failure becomes a `FetchResult` with an error code (the codes are the `error`
enum of `schemas/tables/fetch_manifest.json`) instead of an exception: a fetch
run records what happened to each report and moves on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from importlib import metadata
from pathlib import Path, PurePosixPath

import httpx

from orchestration.codes import SCHEMAS_DIR
from orchestration.fetch.catalog import (
    REPO_ROOT,
    InvalidSourceUrl,
    PathOutsideRoot,
    SourceError,
    UnsupportedScheme,
    parse_source,
)
from orchestration.fetch.inflate import ACCEPT_ENCODING, BadEncoding, TooLarge, decode

MANIFEST_SCHEMA = SCHEMAS_DIR / "tables" / "fetch_manifest.json"


def _error_codes() -> list[str]:
    fields_ = json.loads(MANIFEST_SCHEMA.read_text(encoding="utf-8"))["fields"]
    return next(f for f in fields_ if f["name"] == "error")["constraints"]["enum"]


ErrorCode = StrEnum("ErrorCode", [(code, code) for code in _error_codes()])
"""Why a fetch kept no body; read from the manifest schema so the codes are written once."""


def _version() -> str:
    try:
        return metadata.version("ogi-reports")
    except metadata.PackageNotFoundError:
        return "0+unknown"


USER_AGENT = f"ogi-reports/{_version()} (+https://github.com/ogi-reports/ogi-reports)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
SUCCESS_STATUSES = frozenset({200, 203})
RETRY_STATUSES = frozenset({429})
"""Besides every 5xx: the only 4xx worth retrying (the server asked us to slow down)."""


@dataclass(frozen=True)
class FetchConfig:
    """Limits of the fetcher; the defaults are meant for real government sites."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    body_timeout: float = 300.0
    """Wall-clock budget of one attempt (redirect hops, headers and body), so a server dripping
    bytes, each within `read_timeout`, cannot hold a worker forever; a watchdog closes the socket
    when it runs out, even while no byte arrives."""
    max_attempts: int = 4
    backoff_base: float = 2.0
    backoff_max: float = 60.0
    jitter: float = 0.5
    """Up to this fraction of the backoff is added at random, so retries do not march in step."""
    retry_after_max: float = 300.0
    min_interval: float = 1.0
    """Seconds between two requests to the same host (across threads)."""
    max_bytes: int = 100 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = USER_AGENT
    allowed_hosts: frozenset[str] | None = None
    """When set, any other host is refused before a connection is made (tests use 127.0.0.1)."""
    file_root: Path = REPO_ROOT
    trust_env: bool = True
    """Honour proxy settings from the environment (tests turn this off)."""


@dataclass(frozen=True)
class FetchResult:
    """What one fetch of one source produced; the manifest stores all of it but the body."""

    url: str
    final_url: str | None
    status: int | None
    content_type: str | None
    etag: str | None
    last_modified: str | None
    retrieved_at: str
    sha256: str | None
    bytes: int | None
    body: bytes | None = field(default=None, repr=False)
    error: str | None = None
    error_detail: str | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        """A body was received and kept."""
        return self.error is None and self.sha256 is not None


def format_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds and a Z, the one format of `retrieved_at`."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def utc_now() -> datetime:
    return datetime.now(UTC)


class RateLimiter:
    """At most one request per `min_interval` seconds to each host, shared by all threads.

    Each caller reserves the next free slot under the lock and sleeps outside it, so
    concurrent workers queue up instead of all waking at the same moment.
    """

    def __init__(
        self,
        min_interval: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._interval = min_interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> float:
        """Block until a request to host may go; return the seconds waited."""
        with self._lock:
            now = self._monotonic()
            slot = max(now, self._next.get(host, now))
            self._next[host] = slot + self._interval
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return delay


@dataclass(frozen=True)
class _Outcome:
    """One request's end: a body, an error, or a redirect to follow."""

    final_url: str
    status: int | None = None
    headers: httpx.Headers | None = None
    body: bytes | None = None
    error: ErrorCode | None = None
    detail: str | None = None
    retryable: bool = False
    retry_after: float | None = None
    location: str | None = None


_SOURCE_ERRORS = {
    UnsupportedScheme: ErrorCode.unsupported_scheme,
    PathOutsideRoot: ErrorCode.path_outside_root,
    InvalidSourceUrl: ErrorCode.invalid_url,
}


class Fetcher:
    """Fetches http(s) and file sources under the limits of a FetchConfig.

    Thread-safe: one Fetcher (one connection pool, one rate limiter) serves all
    workers. `sleep`, `clock` and `rng` are injectable so tests run fast and exactly.
    """

    def __init__(
        self,
        config: FetchConfig | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ):
        self.config = config or FetchConfig()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random(0)
        self._limiter = RateLimiter(self.config.min_interval, monotonic, sleep)
        self._http = httpx.Client(
            timeout=httpx.Timeout(self.config.read_timeout, connect=self.config.connect_timeout),
            follow_redirects=False,
            headers={"User-Agent": self.config.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            trust_env=self.config.trust_env,
            transport=transport,
            limits=httpx.Limits(max_keepalive_connections=0),
            event_hooks={"response": [_stop_at_redirect]},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def fetch(self, source: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """Fetch a catalog source; with a previous ETag/Last-Modified the request is conditional."""
        try:
            parsed = parse_source(source, self.config.file_root)
        except SourceError as exc:
            return self._result(source, _Outcome(source, error=_SOURCE_ERRORS[type(exc)], detail=str(exc)))
        if parsed.kind == "file":
            assert parsed.path is not None
            return self._result(source, self._read_file(source, parsed.path))
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return self._fetch_http(source, headers)

    # -- http -------------------------------------------------------------------------

    def _fetch_http(self, url: str, headers: dict[str, str]) -> FetchResult:
        """Retry transient failures (5xx, 429, timeouts, dropped connections) with backoff."""
        try:
            httpx.URL(url)
        except httpx.InvalidURL as exc:
            return self._result(url, _Outcome(url, error=ErrorCode.invalid_url, detail=_describe(exc)))
        attempt = 0
        while True:
            attempt += 1
            outcome = self._follow(url, headers)
            if not outcome.retryable or attempt >= self.config.max_attempts:
                return self._result(url, outcome, attempt)
            self._sleep(self._delay(attempt, outcome.retry_after))

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Retry-After when the server gave one (capped), else exponential backoff plus jitter."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.config.retry_after_max)
        base = min(self.config.backoff_max, self.config.backoff_base * 2 ** (attempt - 1))
        return base + self._rng.uniform(0, base * self.config.jitter)

    def _follow(self, url: str, headers: dict[str, str]) -> _Outcome:
        """One attempt: request and follow redirects, but only within the catalog URL's host."""
        origin = httpx.URL(url).host
        current, visited = url, {url}
        deadline = time.monotonic() + self.config.body_timeout
        for _ in range(self.config.max_redirects + 1):
            outcome = self._request(current, headers, deadline)
            if outcome.location is None:
                return outcome
            try:
                target = str(httpx.URL(current).join(outcome.location))
                target_url = httpx.URL(target)
            except (httpx.InvalidURL, ValueError) as exc:
                return _redirect_error(outcome, ErrorCode.bad_redirect, f"bad Location: {exc}")
            if target_url.scheme not in ("http", "https") or target_url.host != origin:
                return _redirect_error(outcome, ErrorCode.redirect_off_host, f"refused redirect to {target}")
            if target in visited:
                return _redirect_error(outcome, ErrorCode.too_many_redirects, f"redirect loop at {target}")
            visited.add(target)
            current = target
        detail = f"more than {self.config.max_redirects} redirects"
        return _redirect_error(outcome, ErrorCode.too_many_redirects, detail)

    def _request(self, url: str, headers: dict[str, str], deadline: float) -> _Outcome:
        """One GET: a body, an error, or a Location to follow; cut off at the deadline."""
        try:
            host = httpx.URL(url).host
        except httpx.InvalidURL as exc:
            return _Outcome(url, error=ErrorCode.invalid_url, detail=str(exc))
        allowed = self.config.allowed_hosts
        if allowed is not None and host not in allowed:
            return _Outcome(url, error=ErrorCode.host_not_allowed, detail=f"host {host!r} is not allowed")
        self._limiter.wait(host)
        watchdog = _Watchdog(deadline)
        try:
            with self._http.stream("GET", url, headers=headers, extensions=watchdog.extensions) as response:
                return self._response(url, response, watchdog)
        except _Redirect as redirect:
            return _redirect_outcome(url, redirect.status, redirect.headers)
        except httpx.TimeoutException as exc:
            return _Outcome(url, error=ErrorCode.timeout, detail=_describe(exc), retryable=True)
        except httpx.TransportError as exc:
            if watchdog.fired:
                return _Outcome(
                    url, error=ErrorCode.timeout, detail=self._overtime("response"), retryable=True
                )
            return _Outcome(url, error=ErrorCode.connection_error, detail=_describe(exc), retryable=True)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return _Outcome(url, error=ErrorCode.invalid_url, detail=_describe(exc))
        finally:
            watchdog.cancel()

    def _overtime(self, what: str) -> str:
        return f"{what} not complete in {self.config.body_timeout} s"

    def _response(self, url: str, response: httpx.Response, watchdog: _Watchdog) -> _Outcome:
        status, headers = response.status_code, response.headers
        seen = _Outcome(url, status=status, headers=headers)
        if status == 304:
            return replace(seen, error=ErrorCode.not_modified, detail="HTTP 304")
        if status not in SUCCESS_STATUSES:
            retryable = status >= 500 or status in RETRY_STATUSES
            retry_after = self._retry_after(headers.get("retry-after")) if retryable else None
            detail = f"HTTP {status} {response.reason_phrase}".strip()
            return replace(
                seen, error=ErrorCode.http_status, detail=detail, retryable=retryable, retry_after=retry_after
            )
        return self._read_body(seen, response, watchdog)

    def _read_body(self, seen: _Outcome, response: httpx.Response, watchdog: _Watchdog) -> _Outcome:
        """Stream the body under the size cap (decoded size too: gzip bombs) and time budget."""
        limit = self.config.max_bytes
        declared = _content_length(response.headers)
        if declared is not None and declared > limit:
            return replace(
                seen, error=ErrorCode.body_too_large, detail=f"Content-Length {declared} > {limit}"
            )
        overtime = replace(seen, error=ErrorCode.timeout, detail=self._overtime("body"), retryable=True)
        chunks = []
        try:
            for chunk in decode(response.iter_raw(), response.headers.get("content-encoding"), limit):
                if watchdog.expired():
                    return overtime
                chunks.append(chunk)
        except TooLarge as exc:
            return replace(seen, error=ErrorCode.body_too_large, detail=str(exc))
        except BadEncoding as exc:
            return replace(seen, error=ErrorCode.decoding_error, detail=str(exc))
        except httpx.TimeoutException as exc:
            return replace(seen, error=ErrorCode.timeout, detail=_describe(exc), retryable=True)
        except httpx.TransportError as exc:
            if watchdog.fired:
                return overtime
            return replace(seen, error=ErrorCode.truncated_body, detail=_describe(exc), retryable=True)
        if declared is not None and response.num_bytes_downloaded != declared:
            detail = f"Content-Length {declared}, received {response.num_bytes_downloaded}"
            return replace(seen, error=ErrorCode.truncated_body, detail=detail, retryable=True)
        return replace(seen, body=b"".join(chunks))

    def _retry_after(self, value: str | None) -> float | None:
        """Seconds to wait from a Retry-After header (seconds or an HTTP date); None if unusable."""
        if not value:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - self._clock()).total_seconds())

    # -- files ------------------------------------------------------------------------

    def _read_file(self, source: str, relative: PurePosixPath) -> _Outcome:
        """Read a file under the root with the same size cap; symlinks out of the root are refused."""
        root = self.config.file_root.resolve()
        try:
            path = root.joinpath(relative).resolve(strict=True)
        except FileNotFoundError:
            return _Outcome(source, error=ErrorCode.file_not_found, detail=f"no such file: {relative}")
        except (OSError, RuntimeError, ValueError) as exc:
            return _Outcome(source, error=ErrorCode.file_error, detail=_describe(exc))
        if not path.is_relative_to(root):
            return _Outcome(
                source, error=ErrorCode.path_outside_root, detail=f"{relative} resolves outside {root}"
            )
        limit = self.config.max_bytes
        try:
            with path.open("rb") as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            return _Outcome(source, error=ErrorCode.file_error, detail=_describe(exc))
        if len(data) > limit:
            return _Outcome(source, error=ErrorCode.body_too_large, detail=f"file over {limit} bytes")
        return _Outcome(source, body=data)

    # -- results ----------------------------------------------------------------------

    def _result(self, url: str, outcome: _Outcome, attempts: int = 1) -> FetchResult:
        headers = outcome.headers or httpx.Headers()
        body = outcome.body if outcome.error is None else None
        return FetchResult(
            url=url,
            final_url=outcome.final_url,
            status=outcome.status,
            content_type=headers.get("content-type"),
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
            retrieved_at=format_utc(self._clock()),
            sha256=hashlib.sha256(body).hexdigest() if body is not None else None,
            bytes=len(body) if body is not None else None,
            body=body,
            error=str(outcome.error) if outcome.error else None,
            error_detail=outcome.detail,
            attempts=attempts,
        )


class _Redirect(Exception):
    """Raised by the response hook so that httpx never builds the redirect request itself:
    it would fail on an odd Location (data:, javascript:) before our own checks see it."""

    def __init__(self, status: int, headers: httpx.Headers):
        super().__init__(status)
        self.status, self.headers = status, headers


def _stop_at_redirect(response: httpx.Response) -> None:
    if response.status_code in REDIRECT_STATUSES:
        raise _Redirect(response.status_code, response.headers)


def _redirect_outcome(url: str, status: int, headers: httpx.Headers) -> _Outcome:
    seen = _Outcome(url, status=status, headers=headers)
    location = headers.get("location")
    if not location:
        return replace(seen, error=ErrorCode.bad_redirect, detail=f"HTTP {status} without Location")
    return replace(seen, location=location)


class _Watchdog:
    """Shuts the request's socket down at the deadline, so even a stalled read returns.

    httpx bounds each read, not a whole exchange; the socket is taken from httpcore's
    trace of the connection it opens (connections are not kept alive, so every request
    opens one).
    """

    def __init__(self, deadline: float):
        self.deadline = deadline
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()
        self.extensions = {"trace": self._trace}

    def expired(self) -> bool:
        return self.fired or time.monotonic() > self.deadline

    def cancel(self) -> None:
        self._timer.cancel()

    def _trace(self, event: str, info: dict) -> None:
        if event != "connection.connect_tcp.complete":
            return
        sock = info["return_value"].get_extra_info("socket")
        with self._lock:
            if sock is not None:
                self._sockets.append(sock)
            late = self.fired
        if late:
            self._shut()

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
        self._shut()

    def _shut(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _redirect_error(outcome: _Outcome, code: ErrorCode, detail: str) -> _Outcome:
    return replace(outcome, error=code, detail=detail, location=None)


def _content_length(headers: httpx.Headers) -> int | None:
    value = headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
