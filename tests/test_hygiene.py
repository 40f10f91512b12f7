"""Input hygiene: what a hostile catalog row or report can make the pipeline do (nothing).

Paths and ids stay inside their roots; only http, https and file sources are
followed; XML and HTML entities never reach the file system or the network; zip
members are bounded by their declared and their actual inflated size; and no
text of a report is ever evaluated.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration import pipeline
from orchestration.fetch import CatalogError, FetchConfig, Fetcher, fetch_catalog, load_catalog
from orchestration.fetch.catalog import schema
from orchestration.layout import Layout
from orchestration.parse import errors, parse_bytes, parse_text
from orchestration.parse.readers import read_source
from tests import faults_server as fs
from tests.gold import SEEDS
from tests.synthetic.render_docx import synthetic_docx

ROOT = Path(__file__).resolve().parents[1]
SEED = (SEEDS / "002_4a271a9a9156ab49.txt").read_text(encoding="utf-8")
SECRET = "机密-0c4f7e-do-not-leak"


@pytest.fixture
def secret(tmp_path) -> Path:
    """A real file outside every root, whose content must never show up anywhere."""
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_text(SECRET, encoding="utf-8")
    return path


@pytest.fixture
def root(tmp_path) -> Path:
    path = tmp_path / "root"
    (path / "docs").mkdir(parents=True)
    (path / "docs" / "r.txt").write_text(SEED, encoding="utf-8")
    return path


@pytest.fixture
def fetcher(root):
    with Fetcher(FetchConfig(file_root=root, trust_env=False, min_interval=0.0, max_attempts=1)) as client:
        yield client


def catalog_problems(tmp_path: Path, root: Path, rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(column, message) of every problem load_catalog finds in the rows (report_id, source)."""
    path = tmp_path / "catalog.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("report_id,publisher,year,source\r\n")
        for rid, source in rows:
            fh.write(f'"{rid}",某县人民政府,2023,"{source}"\r\n')
    with pytest.raises(CatalogError) as caught:
        load_catalog(path, root=root)
    return [(p.column, p.message) for p in caught.value.problems]


# -- paths and ids -----------------------------------------------------------------------


ESCAPES = {
    "dotdot": "../outside/secret.txt",
    "dotdot-inside": "docs/../../outside/secret.txt",
    "absolute": "{secret}",
    "file-url": "file://{secret}",
    "file-url-encoded": "file:///%2e%2e/%2e%2e{secret}",
    "scheme-relative": "//evil.example/r.pdf",
    "nul": "docs/r.txt\x00.pdf",
    "newline": "docs/r.txt\nx",
    "backslash": "..\\outside\\secret.txt",
    "unc": "\\\\server\\share\\r.pdf",
    "drive": "C:\\Windows\\win.ini",
    "drive-slash": "c:/outside/secret.txt",
    "remote-file-url": "file://server/share/r.pdf",
}


@pytest.mark.parametrize("source", ESCAPES.values(), ids=ESCAPES.keys())
def test_a_source_escaping_the_root_is_a_typed_catalog_error_and_a_recorded_failure(
    tmp_path, root, secret, fetcher, source
):
    source = source.format(secret=secret)
    problems = catalog_problems(tmp_path, root, [("r_2023", source.replace('"', ""))])
    assert [column for column, _ in problems] == ["source"]
    result = fetcher.fetch(source)
    assert result.error in {"path_outside_root", "invalid_url", "unsupported_scheme"}
    assert (result.body, result.sha256) == (None, None)


def test_symlinks_out_of_the_root_are_refused_when_read(tmp_path, root, secret, fetcher):
    (root / "docs" / "link.txt").symlink_to(secret)
    (root / "linked_dir").symlink_to(secret.parent, target_is_directory=True)
    rows = load_catalog(
        _catalog(tmp_path, [("a_2023", "docs/link.txt"), ("b_2023", "linked_dir/secret.txt")]), root
    )
    data = Layout(tmp_path / "data")
    results = fetch_catalog(rows, pipeline.archive(data), pipeline.manifest(data), fetcher)
    assert [r.error for r in results] == ["path_outside_root", "path_outside_root"]
    assert not (data.raw.exists() and any(p.is_file() for p in data.raw.rglob("*")))


def _catalog(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    path = tmp_path / "catalog.csv"
    lines = ["report_id,publisher,year,source", *(f"{rid},某县人民政府,2023,{src}" for rid, src in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "report_id",
    ["..", ".", "../x_2023", "a/b", "a\\b", "/etc", "c:x", "a\x00b", "A_2023", "a.b", "a b", "-a", "a_"],
)
def test_a_report_id_that_is_not_a_plain_slug_is_refused(tmp_path, root, report_id):
    problems = catalog_problems(tmp_path, root, [(report_id, "docs/r.txt")])
    assert ("report_id" in {column for column, _ in problems}) or any(
        column is None for column, _ in problems
    ), problems


REPORT_ID_PATTERN = next(f for f in schema()["fields"] if f["name"] == "report_id")["constraints"]["pattern"]


@settings(max_examples=300, deadline=None)
@given(st.from_regex(REPORT_ID_PATTERN, fullmatch=True))
def test_every_accepted_report_id_is_one_safe_file_name(report_id):
    base = Path("/data/parsed")
    assert (base / report_id).parent == base
    assert (base / f"{report_id}.json").resolve().parent == base
    assert report_id not in {".", ".."} and re.fullmatch(r"[a-z0-9_-]+", report_id)


# -- schemes -------------------------------------------------------------------------------

SCHEMES = [
    "ftp://127.0.0.1/r.pdf",
    "sftp://127.0.0.1/r.pdf",
    "data:text/html,<p>政府信息公开工作年度报告</p>",
    "javascript:alert(1)",
    "gopher://127.0.0.1:70/_GET",
    "mailto:office@example.gov.cn",
    "jar:file:///x.zip!/r.xml",
    "view-source:http://127.0.0.1/",
    "ldap://127.0.0.1/o=x",
    "\tjavascript:alert(1)",
]


@pytest.mark.parametrize("source", SCHEMES)
def test_only_http_https_and_file_sources_are_followed(tmp_path, root, fetcher, source, monkeypatch):
    connects: list = []
    monkeypatch.setattr("socket.socket.connect", lambda sock, address: connects.append(address))
    problems = catalog_problems(tmp_path, root, [("r_2023", source)])
    assert [column for column, _ in problems] == ["source"]
    result = fetcher.fetch(source)
    assert result.error in {"unsupported_scheme", "invalid_url"} and result.body is None
    assert connects == []


@pytest.mark.parametrize(
    "target", ["ftp://127.0.0.1/r.pdf", "file:///etc/passwd", "data:text/plain,x", "javascript:alert(1)"]
)
def test_a_redirect_to_another_scheme_is_refused(fetcher, target, secret):
    with fs.FaultServer(
        {"/r": fs.redirect(target), "/s": fs.redirect(f"file://{secret}")}, lifetime=30
    ) as server:
        for path in ("/r", "/s"):
            result = fetcher.fetch(server.url(path))
            assert (result.error, result.body) == ("redirect_off_host", None)
        assert server.requests == 2


# -- XML and HTML entities -------------------------------------------------------------------


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The zip `data` with members replaced or added (deflated)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, (replace or {}).get(info.filename, src.read(info.filename)))
        for name, body in (add or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def with_doctype(xml: bytes, doctype: str, reference: str) -> bytes:
    """Insert a DOCTYPE after the XML declaration and `reference` into the first text run
    (or, in a part without text, into an element just inside the root)."""
    head, rest = xml.split(b"?>", 1)
    ref = reference.encode()
    rest, n = re.subn(rb"<w:t(?: [^>]*)?>", lambda m: m.group(0) + ref, rest, count=1)
    if not n:
        rest = re.sub(rb"<[^?!][^>]*>", lambda m: m.group(0) + b"<x>" + ref + b"</x>", rest, count=1)
    return head + b"?>\n" + doctype.encode() + rest


def _everything_said(data: bytes) -> str:
    """All text the parser gives back for the bytes: the report, or the error."""
    try:
        return json.dumps(parse_bytes(data).as_dict(), ensure_ascii=False) + read_source(data).text
    except errors.ParseError as exc:
        return exc.message


@pytest.mark.parametrize("part", ["word/document.xml", "[Content_Types].xml", "word/_rels/document.xml.rels"])
def test_docx_external_entities_are_not_resolved(secret, part):
    with fs.FaultServer({}, lifetime=30) as server:
        data = synthetic_docx(5).data
        original = zipfile.ZipFile(io.BytesIO(data)).read(part)
        doctype = (
            f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">'
            f'<!ENTITY net SYSTEM "{server.url("/entity")}"><!ENTITY % remote SYSTEM "{server.url("/dtd")}">'
            "%remote;]>"
        )
        hostile = rezip(data, replace={part: with_doctype(original, doctype, "&xxe;&net;")})
        said = _everything_said(hostile)
        assert SECRET not in said
        assert server.requests == 0


def test_docx_entity_expansion_is_not_a_bomb(secret):
    data = synthetic_docx(6).data
    original = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    levels = ['<!ENTITY l0 "lollollollollol">'] + [
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    ]
    hostile = rezip(
        data,
        replace={"word/document.xml": with_doctype(original, f"<!DOCTYPE x [{''.join(levels)}]>", "&l9;")},
    )
    tracemalloc.start()
    started = time.monotonic()
    try:
        said = _everything_said(hostile)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "lollollol" * 100 not in said
    assert peak < 200 * 1024 * 1024 and time.monotonic() - started < 30


def test_html_external_entities_are_not_resolved(secret):
    page = (
        f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        f"<html><head><meta charset='utf-8'></head><body><p>&xxe;</p><pre>{SEED}</pre></body></html>"
    )
    said = _everything_said(page.encode("utf-8"))
    assert SECRET not in said and "2022" in said


# -- zip members -----------------------------------------------------------------------------


def lie_about_size(data: bytes, name: str, size: int) -> bytes:
    """Rewrite the uncompressed size of member `name` in its local and central headers."""
    raw = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    struct.pack_into("<I", raw, info.header_offset + 22, size)
    at = raw.find(b"PK\x01\x02")
    while at >= 0:
        length = struct.unpack_from("<H", raw, at + 28)[0]
        if bytes(raw[at + 46 : at + 46 + length]) == name.encode():
            struct.pack_into("<I", raw, at + 24, size)
        at = raw.find(b"PK\x01\x02", at + 4)
    return bytes(raw)


def _parse_bounded(data: bytes) -> tuple[errors.ParseError, int]:
    tracemalloc.start()
    try:
        with pytest.raises(errors.ParseError) as caught:
            parse_bytes(data)
        return caught.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("member", ["word/document.xml", "word/media/pad.bin"])
def test_a_member_inflating_past_its_declared_size_is_refused_in_bounded_memory(member):
    """300 MB of zeros declared as 1,000 bytes: zipfile alone inflated all of it (630 MB) to find out."""
    data = synthetic_docx(7).data
    padded = rezip(
        data,
        replace={member: b"\0" * (300 * 1024 * 1024)} if member.endswith(".xml") else None,
        add=None if member.endswith(".xml") else {member: b"\0" * (300 * 1024 * 1024)},
    )
    error, peak = _parse_bounded(lie_about_size(padded, member, 1000))
    assert error.code == "unreadable_document"
    assert member in error.message
    assert peak < 32 * 1024 * 1024


def test_declared_sizes_are_checked_before_anything_is_inflated(monkeypatch):
    data = lie_about_size(synthetic_docx(8).data, "word/document.xml", 3 * 1024 * 1024 * 1024)
    opened: list = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile, "open", lambda self, *a, **k: opened.append(a) or real_open(self, *a, **k)
    )
    error, _ = _parse_bounded(data)
    assert error.code == "input_too_large"
    assert opened == []


def test_an_honest_zip_bomb_is_refused_by_its_ratio():
    error, peak = _parse_bounded(
        rezip(synthetic_docx(9).data, add={"word/media/bomb.bin": b"\0" * (150 * 1024 * 1024)})
    )
    assert error.code == "input_too_large" and "compresses" in error.message
    assert peak < 32 * 1024 * 1024


def test_member_names_are_never_extracted_to_disk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = rezip(synthetic_docx(10).data, add={"../../escaped.txt": b"x", "/abs.txt": b"y"})
    with contextlib.suppress(errors.ParseError):
        parse_bytes(data)
    assert list(tmp_path.rglob("*")) == [] and not (tmp_path.parent.parent / "escaped.txt").exists()


# -- nothing evaluated -------------------------------------------------------------------------

FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "execfile"}
FORBIDDEN_ATTRIBUTES = {
    ("pickle", "load"),
    ("pickle", "loads"),
    ("marshal", "load"),
    ("marshal", "loads"),
    ("shelve", "open"),
    ("yaml", "load"),
    ("yaml", "unsafe_load"),
    ("yaml", "full_load"),
    ("os", "system"),
    ("os", "popen"),
    ("pd", "read_pickle"),
    ("pandas", "read_pickle"),
    ("importlib", "import_module"),
}


def _violations(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
            out += [
                f"imports {n}"
                for n in names
                if n and n.split(".")[0] in {"pickle", "marshal", "shelve", "dill"}
            ]
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
            out.append(f"calls {func.id}()")
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and (func.value.id, func.attr) in FORBIDDEN_ATTRIBUTES
        ):
            out.append(f"calls {func.value.id}.{func.attr}()")
        for keyword in node.keywords:
            if keyword.arg in {"shell", "allow_pickle"} and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            ):
                out.append(f"passes {keyword.arg}=")
    return out


def test_the_code_base_evaluates_and_unpickles_nothing():
    files = sorted((ROOT / "orchestration").rglob("*.py")) + sorted((ROOT / "bench").rglob("*.py"))
    assert len(files) > 20
    assert [f"{f.relative_to(ROOT)}: {v}" for f in files for v in _violations(f)] == []


def test_the_static_check_sees_what_it_forbids(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import pickle\nimport subprocess\nx = eval('1')\nsubprocess.run('ls', shell=True)\n")
    assert _violations(probe) == ["imports pickle", "calls eval()", "passes shell="]


PAYLOADS = [
    "__import__('os').system('touch {marker}')",
    "{{{{ ''.__class__.__mro__[1].__subclasses__() }}}} {{% include '{marker}' %}}",
    "'; COPY (SELECT 1) TO '{marker}'; --",
    "${{jndi:ldap://127.0.0.1/x}} $(touch {marker}) `touch {marker}`",
]


def test_report_text_and_catalog_fields_stay_data(tmp_path, root):
    """Payloads in a report's text and in the catalog's publisher pass through as plain text."""
    marker = tmp_path / "executed"
    payloads = [p.format(marker=marker) for p in PAYLOADS]
    report = SEED.replace("\n", "\n" + "\n".join(payloads) + "\n", 1)
    (root / "docs" / "payload.txt").write_text(report, encoding="utf-8")
    assert [c.value for c in parse_text(report).cells] == [c.value for c in parse_text(SEED).cells]
    publisher = payloads[2].replace(",", " ")
    catalog = tmp_path / "catalog.csv"
    row = f'payload_2022,"{publisher.replace(chr(34), "")}",2022,docs/payload.txt'
    catalog.write_text(f"report_id,publisher,year,source\n{row}\n", encoding="utf-8")
    rows = load_catalog(catalog, root)
    layout = Layout(tmp_path / "data")
    with Fetcher(FetchConfig(file_root=root)) as client:
        fetch_catalog(rows, pipeline.archive(layout), pipeline.manifest(layout), client)
    pipeline.parse_rows(layout, rows)
    pipeline.stage_year(layout, 2022, rows)
    pipeline.build_warehouse(layout, [2022])
    with duckdb.connect(str(layout.warehouse), read_only=True) as con:
        stored = con.execute("SELECT catalog_publisher FROM staging.reports").fetchall()
    assert stored == [(rows[0].publisher,)]
    assert not marker.exists()
