"""The catalog loader: columns from schemas/catalog.json, every bad row reported at once."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path, PurePosixPath

import pytest

from orchestration.codes import SCHEMAS_DIR
from orchestration.fetch import catalog_index
from orchestration.fetch.catalog import (
    CatalogError,
    CatalogRow,
    InvalidSourceUrl,
    PathOutsideRoot,
    UnsupportedScheme,
    columns,
    load_catalog,
    parse_source,
)
from orchestration.fetch.catalog_index import CatalogIndex

SCHEMA_COLUMNS = [f["name"] for f in json.loads((SCHEMAS_DIR / "catalog.json").read_text())["fields"]]
HEADER = ",".join(SCHEMA_COLUMNS)


def write(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "catalog.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def problems(tmp_path: Path, *lines: str, header: str = HEADER) -> list[tuple[int, str | None, str]]:
    with pytest.raises(CatalogError) as info:
        load_catalog(write(tmp_path, *lines, header=header), root=tmp_path)
    return [(p.line, p.column, p.message) for p in info.value.problems]


def test_columns_come_from_the_schema():
    assert list(columns()) == SCHEMA_COLUMNS
    assert [f.name for f in fields(CatalogRow)] == SCHEMA_COLUMNS


def test_a_valid_catalog_loads_typed_frozen_rows(tmp_path):
    path = write(
        tmp_path,
        "huaian_city_2024,淮安市人民政府,2024,https://www.huaian.gov.cn/a.pdf,320800,pdf",
        "hongze-2023,洪泽区人民政府,2023,data/reports/hongze.txt,,",
        f"local_2000,某局,2000,file://{tmp_path}/data/x.html,320813000000,html",
        "edge_2100,某局,2100,HTTP://example.org/x,,",
    )
    rows = load_catalog(path, root=tmp_path)
    assert [r.report_id for r in rows] == ["huaian_city_2024", "hongze-2023", "local_2000", "edge_2100"]
    assert rows[0] == CatalogRow(
        "huaian_city_2024", "淮安市人民政府", 2024, "https://www.huaian.gov.cn/a.pdf", "320800", "pdf"
    )
    assert rows[1].division_code is None and rows[1].form_hint is None
    assert isinstance(rows[2].year, int)
    with pytest.raises(AttributeError):
        rows[0].year = 2025  # type: ignore[misc]


def test_loading_does_not_touch_the_sources(tmp_path):
    """Existence is the fetcher's business: the loader only reads the CSV."""
    rows = load_catalog(write(tmp_path, "a_2024,某局,2024,no/such/file.pdf,,"), root=tmp_path)
    assert rows[0].source == "no/such/file.pdf"


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_bytes(("\ufeff" + HEADER + "\na_2024,某局,2024,https://x.gov.cn/a,,\n").encode())
    assert load_catalog(path, root=tmp_path)[0].report_id == "a_2024"


def test_every_bad_row_is_listed_not_just_the_first(tmp_path):
    found = problems(
        tmp_path,
        "ok_2024,某局,2024,https://x.gov.cn/a,,",
        "ftp_2024,某局,2024,ftp://x.gov.cn/a.pdf,,",
        "up_2024,某局,2024,../secret.pdf,,",
        "ok_2024,某局,2023,https://x.gov.cn/b,,",
        "old_1999,某局,1999,https://x.gov.cn/c,,",
        "late_2101,某局,2101,https://x.gov.cn/d,,",
    )
    assert [(line, column) for line, column, _ in found] == [
        (3, "source"),
        (4, "source"),
        (5, "report_id"),
        (6, "year"),
        (7, "year"),
    ]
    messages = [m for *_, m in found]
    assert "only http, https, file are allowed" in messages[0]
    assert "escapes the root" in messages[1]
    assert "first on line 2" in messages[2]
    assert "below the minimum 2000" in messages[3]
    assert "above the maximum 2100" in messages[4]


def test_the_error_message_lists_every_problem(tmp_path):
    with pytest.raises(CatalogError) as info:
        load_catalog(
            write(tmp_path, "a_2024,某局,1999,https://x/a,,", "b_2024,,2024,https://x/b,,"), tmp_path
        )
    text = str(info.value)
    assert text.startswith("2 problem(s)")
    assert "line 2 (a_2024): year: 1999 is below the minimum 2000" in text
    assert "line 3 (b_2024): publisher: required" in text


@pytest.mark.parametrize(
    "source",
    [
        "../outside.pdf",
        "data/../../outside.pdf",
        "/etc/passwd",
        "file:///etc/passwd",
        "file:///..%2F..%2Fetc/passwd",
    ],
)
def test_paths_escaping_the_root_are_rejected(tmp_path, source):
    [(line, column, message)] = problems(tmp_path, f"a_2024,某局,2024,{source},,")
    assert (line, column) == (2, "source")
    assert "root" in message


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("ftp://x.gov.cn/a.pdf", UnsupportedScheme),
        ("javascript:alert(1)", UnsupportedScheme),
        ("https:///nohost", InvalidSourceUrl),
        ("file://otherhost/a.pdf", InvalidSourceUrl),
        ("../a.pdf", PathOutsideRoot),
        ("/elsewhere/a.pdf", PathOutsideRoot),
    ],
)
def test_parse_source_raises_typed_errors(tmp_path, source, error):
    with pytest.raises(error):
        parse_source(source, tmp_path)


def test_paths_inside_the_root_are_normalised_relative(tmp_path):
    assert parse_source("data/./a/../b.pdf", tmp_path).path == PurePosixPath("data/b.pdf")
    assert parse_source(f"{tmp_path}/data/b.pdf", tmp_path).path == PurePosixPath("data/b.pdf")
    assert parse_source(f"file://{tmp_path}/data/b%20c.pdf", tmp_path).path == PurePosixPath("data/b c.pdf")
    assert parse_source("https://x.gov.cn/a.pdf", tmp_path).url == "https://x.gov.cn/a.pdf"


@pytest.mark.parametrize(
    ("line", "column", "fragment"),
    [
        ("Bad ID,某局,2024,https://x/a,,", "report_id", "does not match"),
        (",某局,2024,https://x/a,,", "report_id", "required"),
        ("a_2024,某局,,https://x/a,,", "year", "required"),
        ("a_2024,某局,20x4,https://x/a,,", "year", "not an integer"),
        ("a_2024,某局,2024,,,", "source", "required"),
        ("a_2024,某局,2024,https://x/a,32080,", "division_code", "does not match"),
        ("a_2024,某局,2024,https://x/a,,exe", "form_hint", "is not one of"),
    ],
)
def test_field_constraints_from_the_schema(tmp_path, line, column, fragment):
    [(_, found_column, message)] = problems(tmp_path, line)
    assert found_column == column
    assert fragment in message


def test_a_row_with_extra_cells_is_rejected(tmp_path):
    [(line, column, message)] = problems(tmp_path, "a_2024,某局,2024,https://x/a,,,surplus")
    assert (line, column) == (2, None)
    assert "more cells" in message


def test_header_must_hold_the_required_columns_and_no_unknown_ones(tmp_path):
    found = problems(tmp_path, "a_2024,某局,https://x/a,x", header="report_id,publisher,source,notes")
    assert [m for *_, m in found] == ["missing column(s): year", "unknown column(s): notes"]


def test_optional_columns_may_be_left_out(tmp_path):
    path = write(tmp_path, "a_2024,某局,2024,https://x/a", header="report_id,publisher,year,source")
    assert load_catalog(path, root=tmp_path)[0].form_hint is None


# -- the catalog index: validated once, read a year at a time ---------------------------


def test_the_index_gives_each_years_rows_in_catalog_order(tmp_path, monkeypatch):
    monkeypatch.setattr(catalog_index, "BUFFERED", 2)  # rows spill over several row groups
    path = write(
        tmp_path,
        *(f"r{i}_{2020 + i % 3},某局,{2020 + i % 3},https://x.gov.cn/{i},,html" for i in range(10)),
    )
    index = CatalogIndex(path, tmp_path / "index", root=tmp_path)
    rows = load_catalog(path, root=tmp_path)
    assert index.years() == [2020, 2021, 2022]
    for year in index.years():
        assert index.rows(year) == [r for r in rows if r.year == year]
    assert index.rows(1999) == []
    [built] = (tmp_path / "index").iterdir()
    assert sorted(p.name for p in built.iterdir()) == ["2020.parquet", "2021.parquet", "2022.parquet"]


def test_an_edited_catalog_gets_a_new_index_and_the_old_one_goes(tmp_path):
    path = write(tmp_path, "a_2024,某局,2024,https://x.gov.cn/a,,")
    index = CatalogIndex(path, tmp_path / "index", root=tmp_path)
    first = index.directory()
    path.write_text(path.read_text(encoding="utf-8") + "b_2025,某局,2025,https://x.gov.cn/b,,\n")
    assert index.years() == [2024, 2025]
    assert [p for p in (tmp_path / "index").iterdir()] == [index.directory()] != [first]


def test_an_invalid_catalog_raises_every_time_and_leaves_no_index(tmp_path):
    path = write(tmp_path, "a_2024,某局,2024,https://x.gov.cn/a,,", "a_2024,某局,2023,https://x.gov.cn/b,,")
    index = CatalogIndex(path, tmp_path / "index", root=tmp_path)
    for _ in range(2):
        with pytest.raises(CatalogError, match="first on line 2"):
            index.years()
    assert list((tmp_path / "index").iterdir()) == []
