"""Fault injection: the real fetch → parse → stage steps over a 500+ document catalog
served by a misbehaving server on 127.0.0.1 (tests/faults_server.py).

Good reports, in every form, come through every benign oddity (gzip, chunking, wrong
or missing charsets, flaky 5xx, 429 with Retry-After, a reset, an in-host redirect)
and end parsed exactly as their bytes parse directly. Every bad one ends with a
recorded reason of the kind its fault calls for. The counts reconcile, and no socket
of the process connects anywhere but 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import random
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration import pipeline, tables
from orchestration.checks import contracts
from orchestration.fetch import FetchConfig, Fetcher, fetch_catalog, load_catalog
from orchestration.layout import Layout
from orchestration.parse import PARSER_VERSION, errors, parse_bytes
from tests import faults_server as fs
from tests.gold import SEEDS
from tests.synthetic.render_docx import synthetic_docx
from tests.synthetic.render_html import synthetic_html
from tests.synthetic.render_pdf import synthetic_pdf
from tests.synthetic.render_text import Style, synthetic
from tests.synthetic.seeds import render_seed, stems

CAP = 2 * 1024 * 1024
RETRY_AFTER_CAP = 0.05
CONFIG = {
    "connect_timeout": 2.0,
    "read_timeout": 1.0,
    "body_timeout": 2.0,
    "max_attempts": 3,
    "backoff_base": 0.01,
    "backoff_max": 0.02,
    "retry_after_max": RETRY_AFTER_CAP,
    "min_interval": 0.0,
    "max_bytes": CAP,
    "max_redirects": 4,
    "allowed_hosts": None,
    "trust_env": False,
}
"""Short limits through the client's own configuration; no host allow-list, so the
redirect rule and the socket guard are what keep requests on 127.0.0.1."""
PARSED = "parsed"
MIME = {
    "text": "text/plain; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Case:
    report_id: str
    source: str
    expect: str
    """"parsed", or the error code the fetch or the parse must record."""
    body: bytes | None = None
    """A good document's bytes as they must be archived."""


# -- documents ----------------------------------------------------------------------


def good_documents() -> list[tuple[str, bytes]]:
    """(form, bytes) of real-shaped reports: the seeds in every form and synthetic ones."""
    docs = [("text", (SEEDS / f"{stem}.txt").read_bytes()) for stem in stems()]
    docs += [(form, render_seed(stem, form)) for stem in stems() for form in ("html", "docx", "pdf")]
    styles = list(Style)
    for seed in range(120):
        template = ("gb2021", "gb2019", "legacy")[seed % 3]
        docs.append(("text", synthetic(seed, template, styles[seed % len(styles)]).text.encode("utf-8")))
    docs += [("html", synthetic_html(1000 + seed).data) for seed in range(100)]
    docs += [("docx", synthetic_docx(2000 + seed).data) for seed in range(30)]
    docs += [("pdf", synthetic_pdf(3000 + seed).data) for seed in range(20)]
    return docs


NAV = "首页 | 政府信息公开 | 政府信息公开指南 | 政府信息公开年度报告 | 政务服务 | 互动交流"
ERRORS = [
    ("页面不存在", "<h1>404</h1><p>抱歉，您访问的页面不存在或已被删除！</p>"),
    ("404 Not Found", "<h1>Not Found</h1><p>The requested URL was not found on this server.</p>"),
    ("系统错误", "<h1>error</h1><p>系统繁忙，请稍后再试。错误代码：500</p>"),
    ("提示信息", "<p>该信息已过期或已被撤销，请返回首页。</p>"),
]


def error_page(rng: random.Random) -> bytes:
    """An HTML error page with the site's navigation, in UTF-8 or in GBK declaring UTF-8."""
    title, body = rng.choice(ERRORS)
    year = rng.randint(2015, 2024)
    html = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<div class='nav'>{NAV}</div><div class='main'>{body}</div>"
        f"<div class='side'>相关链接 {year}年政府信息公开工作年度报告 政府信息公开制度</div>"
        "<div class='foot'>主办：某县人民政府办公室</div></body></html>"
    )
    return html.encode(rng.choice(["utf-8", "gbk"]))


# -- the catalog of cases -----------------------------------------------------------


class Catalog:
    """Builds the cases and the server's routes together: one path per report."""

    def __init__(self, server_url: Callable[[str], str]):
        self.url = server_url
        self.cases: list[Case] = []
        self.routes: dict[str, fs.Behaviour] = {}
        self.retry_afters = 0
        """Retries the server asks to delay with Retry-After (each must sleep the capped value)."""

    def add(self, kind: str, expect: str, behaviour: fs.Behaviour, body: bytes | None = None, path=None):
        report_id = f"{kind}-{len(self.cases):04d}"
        path = path or f"/{report_id}"
        self.routes[path] = behaviour
        self.cases.append(Case(report_id, self.url(path), expect, body))
        return path

    def good(self, docs: list[tuple[str, bytes]], rng: random.Random) -> None:
        """Every good document through one of the benign deliveries, in turn."""
        deliveries = [
            ("plain", lambda form, b: fs.serve(b, MIME[form])),
            ("gzip", lambda form, b: fs.serve(b, MIME[form], gzipped=True)),
            ("chunked", lambda form, b: fs.serve(b, MIME[form], chunked=True)),
            ("wrong-charset", lambda form, b: fs.serve(b, "text/html; charset=iso-8859-1")),
            ("no-charset", lambda form, b: fs.serve(b, "text/html")),
            ("no-type", lambda form, b: fs.serve(b)),
            ("flaky500", lambda form, b: fs.flaky(1, fs.status(500), fs.serve(b, MIME[form]))),
            ("flaky503", lambda form, b: fs.flaky(2, fs.status(503), fs.serve(b, MIME[form]))),
            ("reset-once", lambda form, b: fs.flaky(1, fs.reset, fs.serve(b, MIME[form]))),
        ]
        for i, (form, body) in enumerate(docs):
            name, deliver = deliveries[i % len(deliveries)]
            self.add(f"good-{form}-{name}", PARSED, deliver(form, body), body)
        for form, body in rng.sample(docs, 20):
            busy = fs.status(429, {"Retry-After": str(rng.choice([1, 30, 3600]))})
            self.add(f"good-{form}-429", PARSED, fs.flaky(1, busy, fs.serve(body, MIME[form])), body)
            self.retry_afters += 1
        for form, body in rng.sample(docs, 10):
            case = f"/good-{form}-moved-{len(self.cases):04d}"
            self.routes[case + "/new"] = fs.serve(body, MIME[form])
            self.add(f"good-{form}-moved", PARSED, fs.redirect(case + "/new", 301), body, path=case)

    def bad(self, rng: random.Random) -> None:
        """Every fault, several times each, with the reason it must end with."""
        for _ in range(20):
            self.add("http404", "http_status", fs.status(404, body=error_page(rng)))
        for code in (500, 503):
            for _ in range(15):
                self.add(f"http{code}", "http_status", fs.status(code))
        for _ in range(10):
            self.add("http429", "http_status", fs.status(429, {"Retry-After": "120"}))
            self.retry_afters += CONFIG["max_attempts"] - 1
        for _ in range(15):
            self.add("reset", "connection_error", fs.reset)
        for _ in range(12):
            self.add("stall", "timeout", fs.stall)
        for _ in range(10):
            self.add("drip-body", "timeout", fs.drip_body(200, 0.25))
        for _ in range(5):
            self.add("drip-headers", "timeout", fs.drip_headers(0.25))
        for _ in range(15):
            self.add("truncated", "truncated_body", fs.truncated(b"%PDF-1.7 cut short", 50_000))
        bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
        for _ in range(10):
            self.add("gzip-bomb", "body_too_large", fs.encoded(bomb, "gzip"))
        for _ in range(10):
            self.add("declared-over-cap", "body_too_large", fs.truncated(b"%PDF", CAP + 1))
        for _ in range(10):
            self.add("streamed-over-cap", "body_too_large", fs.endless(CAP + 65536))
        for _ in range(5):
            self.add("broken-gzip", "decoding_error", fs.encoded(b"\x1f\x8b\x08\x00 not gzip at all", "gzip"))
        for i in range(10):
            loop = f"/loop{i}"
            self.routes[loop + "/b"] = fs.redirect(loop + "/a")
            self.add("redirect-loop", "too_many_redirects", fs.redirect(loop + "/b"), path=loop + "/a")
        for i in range(5):
            chain = f"/chain{i}"
            for hop in range(1, 10):
                self.routes[f"{chain}/{hop}"] = fs.redirect(f"{chain}/{hop + 1}", 307)
            self.add("redirect-chain", "too_many_redirects", fs.redirect(f"{chain}/1"), path=f"{chain}/0")
        elsewhere = [
            "http://127.0.0.2:{port}/r.pdf",
            "http://localhost:{port}/r.pdf",
            "https://www.gov.cn/r.pdf",
        ]
        for i in range(12):
            target = elsewhere[i % len(elsewhere)]
            self.add(
                "off-host", "redirect_off_host", fs.redirect(target.format(port=rng.randint(1024, 65535)))
            )
        for _ in range(30):
            self.add("soft404", "not_a_report", fs.serve(error_page(rng), "text/html; charset=utf-8"))


# -- guards and fixtures -------------------------------------------------------------


@contextlib.contextmanager
def loopback_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list]]:
    """Record and refuse any connection or name lookup of this process that is not 127.0.0.1."""
    seen: dict[str, list] = {"connected": [], "refused": []}
    connect, lookup = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] != fs.LOOPBACK:
            seen["refused"].append(address)
            raise ConnectionRefusedError(f"test guard: no connection to {address}")
        seen["connected"].append(address)
        return connect(sock, address)

    def guarded_lookup(host, *args, **kwargs):
        if host not in (fs.LOOPBACK, b"127.0.0.1"):
            seen["refused"].append(host)
            raise socket.gaierror(socket.EAI_NONAME, f"test guard: no lookup of {host!r}")
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_lookup)
    yield seen


@pytest.fixture
def loopback_only(monkeypatch) -> Iterator[dict[str, list]]:
    with loopback_guard(monkeypatch) as seen:
        yield seen


def test_the_guard_refuses_other_addresses_and_names(loopback_only):
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.2", 9))
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("www.gov.cn", 80)
    assert loopback_only["refused"] == [("127.0.0.2", 9), "www.gov.cn"]


@dataclass
class Run:
    cases: list[Case]
    catalog: Catalog
    layout: Layout
    fetch_outcome: dict[str, str | None]
    parse_summaries: list[pipeline.ParseSummary]
    staged: dict[str, int]
    sleeps: list[float]
    server: fs.FaultServer
    guard: dict[str, list]
    seconds: float


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Iterator[Run]:
    """Serve the catalog, then fetch, parse and stage it with the pipeline's own steps."""
    tmp = tmp_path_factory.mktemp("faults")
    rng = random.Random(20260115)
    docs = good_documents()
    with pytest.MonkeyPatch.context() as mp, loopback_guard(mp) as seen:
        started = time.monotonic()
        with fs.FaultServer({}, max_requests=5000, lifetime=240.0) as server:
            catalog = Catalog(server.url)
            catalog.good(docs, rng)
            catalog.bad(rng)
            files = _file_cases(tmp, docs[:5], catalog)
            server.routes = catalog.routes
            cases = catalog.cases
            rows = load_catalog(_write_catalog(tmp / "catalog.csv", cases), root=tmp)
            layout = Layout(tmp / "data")
            sleeps: list[float] = []

            def sleep(seconds: float) -> None:
                sleeps.append(seconds)
                time.sleep(seconds)

            with Fetcher(FetchConfig(**CONFIG, file_root=tmp), sleep=sleep) as client:
                results = fetch_catalog(
                    rows, pipeline.archive(layout), pipeline.manifest(layout), client, max_workers=16
                )
            summaries, staged = [], Counter()
            for year in sorted({r.year for r in rows}):
                year_rows = [r for r in rows if r.year == year]
                summaries.append(pipeline.parse_rows(layout, year_rows))
                for name, path in pipeline.stage_year(layout, year, year_rows).items():
                    frame = contracts.read_frame(path)
                    assert contracts.failures(name, frame) is None, name
                    staged[name] += len(frame)
            seconds = time.monotonic() - started
        outcome = {row.report_id: result.error for row, result in zip(rows, results, strict=True)}
        assert files
        yield Run(cases, catalog, layout, outcome, summaries, dict(staged), sleeps, server, seen, seconds)


def _file_cases(tmp: Path, docs: list[tuple[str, bytes]], catalog: Catalog) -> int:
    """A few reports from files under the root, and missing ones."""
    (tmp / "local").mkdir()
    for i, (form, body) in enumerate(docs):
        (tmp / "local" / f"r{i}.{form}").write_bytes(body)
        catalog.cases.append(Case(f"file-{form}-{i}", f"local/r{i}.{form}", PARSED, body))
    for i in range(3):
        catalog.cases.append(Case(f"file-missing-{i}", f"local/missing{i}.pdf", "file_not_found"))
    return len(docs) + 3


def _write_catalog(path: Path, cases: list[Case]) -> Path:
    lines = ["report_id,publisher,year,source"]
    lines += [f"{c.report_id},某县人民政府,{2021 + i % 4},{c.source}" for i, c in enumerate(cases)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- what the run must show ----------------------------------------------------------


def _outcome(run: Run, case: Case) -> str:
    """Where a case ended: its fetch error, else its parse error, else parsed."""
    fetch_error = run.fetch_outcome[case.report_id]
    if fetch_error:
        return fetch_error
    sha = hashlib.sha256(case.body).hexdigest() if case.body else _archived_sha(run, case)
    failure = run.layout.parsed / f"{sha}.{PARSER_VERSION}.failure.json"
    if failure.exists():
        return json.loads(failure.read_text(encoding="utf-8"))["error"]
    return PARSED


def _archived_sha(run: Run, case: Case) -> str:
    return pipeline.manifest(run.layout).latest(case.report_id).sha256


def test_the_catalog_is_large_and_mixes_every_fault(run):
    assert len(run.cases) >= 500
    kinds = Counter(c.expect for c in run.cases)
    assert kinds[PARSED] >= 300
    assert set(kinds) == {
        PARSED,
        "http_status",
        "connection_error",
        "timeout",
        "truncated_body",
        "body_too_large",
        "decoding_error",
        "too_many_redirects",
        "redirect_off_host",
        "not_a_report",
        "file_not_found",
    }


def test_every_case_ends_where_its_fault_calls_for(run):
    wrong = [(c.report_id, c.expect, got) for c in run.cases if (got := _outcome(run, c)) != c.expect]
    assert wrong == []


def test_every_good_document_is_archived_exactly_and_parses_as_its_bytes_do(run):
    archive = pipeline.archive(run.layout)
    good = [c for c in run.cases if c.expect == PARSED]
    for sha, body in {hashlib.sha256(c.body).hexdigest(): c.body for c in good}.items():
        assert archive.get(sha) == body
        stored = json.loads((run.layout.parsed / f"{sha}.{PARSER_VERSION}.json").read_text(encoding="utf-8"))
        direct = json.loads(json.dumps(parse_bytes(body).as_dict(), ensure_ascii=False))
        assert stored == direct


def test_every_bad_body_that_arrived_is_kept_with_its_reason(run):
    soft = [c for c in run.cases if c.expect == "not_a_report"]
    archive = pipeline.archive(run.layout)
    for case in soft:
        data = archive.get(_archived_sha(run, case))
        with pytest.raises(errors.NotAReport):
            parse_bytes(data)


def test_counts_reconcile_per_reason(run):
    fetch_failed = Counter(e for e in run.fetch_outcome.values() if e)
    parse_failed = Counter()
    for summary in run.parse_summaries:
        parse_failed.update(summary.failed)
    not_fetched = sum(len(s.not_fetched) for s in run.parse_summaries)
    parsed_reports = run.staged["reports"]
    assert not_fetched == sum(fetch_failed.values())
    assert len(run.cases) == parsed_reports + sum(fetch_failed.values()) + parse_failed.total()
    expected = Counter(c.expect for c in run.cases)
    assert parsed_reports == expected.pop(PARSED)
    assert fetch_failed + parse_failed == expected
    assert run.staged["parse_failures"] == parse_failed.total()
    manifest_rows = pipeline.manifest(run.layout).rows()
    assert len({r["report_id"] for r in manifest_rows}) == len(run.cases)
    print(f"\nfault suite: {len(run.cases)} documents, {run.server.requests} requests, ", end="")
    print(f"{run.seconds:.1f} s to serve, fetch, parse and stage; parsed {parsed_reports}; ", end="")
    print(", ".join(f"{k} {v}" for k, v in sorted((fetch_failed + parse_failed).items())))


def test_retries_honour_retry_after_capped_and_the_server_stayed_in_bounds(run):
    assert run.sleeps.count(RETRY_AFTER_CAP) == run.catalog.retry_afters
    assert max(run.sleeps) <= RETRY_AFTER_CAP
    assert run.server.refused == 0
    assert run.server.requests < 5000


def test_no_request_left_127_0_0_1(run):
    assert run.guard["refused"] == []
    assert run.guard["connected"] and {a[0] for a in run.guard["connected"]} == {fs.LOOPBACK}
    assert all(table in tables.STAGED for table in run.staged)
