"""Messy agency files: Excel title rows, merged headers, sheets, footers; number and date formats."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest

from opendata.exceptions import InputError
from opendata.normalise import normalise_file
from opendata.normalise.legacy import encode_tcvn3, encode_vni
from tests.factories import small_spec, to_cp1258

TITLE = ["UBND THÀNH PHỐ ĐÀ NẴNG", "SỞ Y TẾ", "DANH SÁCH PHÒNG KHÁM ĐA KHOA"]
HEADER = ["Mã", "Tên phòng khám", "Số giường", "Ngày thành lập"]
ROWS = [["PK001", "Phòng khám Hòa Khánh", 12, "05/09/2020"], ["PK002", "Phòng khám Sơn Trà", 1250, "2019-01-31"]]
FOOTER = [["Tổng cộng: 2 phòng khám"], [], ["", "Người lập biểu"], ["", "Nguyễn Văn A"]]


def run(tmp_path: Path, name: str, data: bytes, **source):
    path = tmp_path / name
    path.write_bytes(data)
    spec = small_spec(source={"kind": "drop_zone", "pattern": "*", **source})
    table = normalise_file(spec, path, name, tmp_path / "out")
    return table, pq.read_table(table.parquet).to_pylist()


def xlsx(sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        for rng in (merges or {}).get(title, []):
            ws.merge_cells(rng)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_excel_with_title_rows_footer_and_a_named_sheet(tmp_path: Path) -> None:
    book = xlsx({"Ghi chú": [["Không phải dữ liệu"]],
                 "Danh sách": [[TITLE[0]], [TITLE[1]], [], [TITLE[2]], HEADER, *ROWS, *FOOTER]},
                merges={"Danh sách": ["A1:D1", "A4:D4"]})
    table, rows = run(tmp_path, "pk.xlsx", book, sheet="Danh sách")
    assert table.rows == 2 and table.dropped_rows >= 1
    # nothing is left out without a word: the title rows and the footer are named, with their lines and first cells
    said = {(i.rule, i.row, i.value) for i in table.issues}
    assert all(i.rule == "dropped_rows" and i.severity.value == "warning" for i in table.issues), table.issues
    assert ("dropped_rows", 1, TITLE[0]) in said and any(row == 8 for _, row, _ in said), said
    assert rows[0] == {"code": "PK001", "name": "Phòng khám Hòa Khánh", "beds": 12,
                       "opened_on": __import__("datetime").date(2020, 9, 5), "_source_row": 6}
    assert rows[1]["beds"] == 1250 and rows[1]["_source_row"] == 7


def test_excel_two_row_header_under_merged_cells(tmp_path: Path) -> None:
    spec_rows = [
        ["Mã", "Thông tin", "", "Ngày thành lập"],
        ["Mã", "Tên phòng khám", "Số giường", "Ngày thành lập"],
        ["PK001", "Phòng khám Hòa Khánh", 12, "05/09/2020"],
    ]
    book = xlsx({"S": [[TITLE[0]], *spec_rows]}, merges={"S": ["B2:C2", "A2:A3", "D2:D3"]})
    table, rows = run(tmp_path, "pk.xlsx", book)
    assert table.rows == 1 and rows[0]["name"] == "Phòng khám Hòa Khánh" and rows[0]["_source_row"] == 4


def test_old_xls_typed_in_tcvn3_fonts(tmp_path: Path) -> None:
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("Sheet1")
    legacy = [[encode_tcvn3(c).decode("latin-1") if isinstance(c, str) else c for c in row] for row in [HEADER, *ROWS]]
    for r, row in enumerate(legacy):
        for c, value in enumerate(row):
            ws.write(r, c, value)
    out = io.BytesIO()
    wb.save(out)
    table, rows = run(tmp_path, "pk.xls", out.getvalue())
    assert table.encoding == "excel:tcvn3"
    assert rows[1]["name"] == "Phòng khám Sơn Trà"


@pytest.mark.parametrize("encode", [to_cp1258, encode_tcvn3, encode_vni, lambda t: t.encode("utf-16")])
def test_legacy_csv_with_title_rows(tmp_path: Path, encode) -> None:
    lines = [TITLE[0], TITLE[2], ",".join(HEADER)] + [",".join(f'"{c}"' for c in map(str, r)) for r in ROWS]
    table, rows = run(tmp_path, "pk.csv", encode("\n".join(lines) + "\n"))
    assert [r["name"] for r in rows] == ["Phòng khám Hòa Khánh", "Phòng khám Sơn Trà"]
    assert [r["_source_row"] for r in rows] == [4, 5]


@pytest.mark.parametrize(
    ("beds", "expected"),
    [("1.250", 1250), ("1250", 1250), ("1,250", 1250), ("1.234.567", 1234567), (" 12 ", 12)],
)
def test_integer_formats(tmp_path: Path, beds: str, expected: int) -> None:
    table, rows = run(tmp_path, "pk.csv", f'Mã,Tên phòng khám,Số giường\nPK001,A,"{beds}"\n'.encode())
    assert rows[0]["beds"] == expected and table.issues == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [(["1.234.567,5", "12,25"], [1234567.5, 12.25]), (["1,234,567.5", "12.25"], [1234567.5, 12.25]),
     (["15,816", "108,2"], [15.816, 108.2]), (["15.816", "108.2"], [15.816, 108.2])],
)
def test_number_conventions_are_decided_per_column(tmp_path: Path, values: list[str], expected: list[float]) -> None:
    spec = small_spec(columns=[{"name": "code", "label": {"vi": "Mã"}, "required": True},
                               {"name": "x", "label": {"vi": "Giá trị"}, "type": "number"}], primary_key=[])
    body = "Mã,Giá trị\n" + "".join(f'P{i},"{v}"\n' for i, v in enumerate(values))
    path = tmp_path / "x.csv"
    path.write_text(body, encoding="utf-8")
    table = normalise_file(spec, path, "x.csv", tmp_path / "out")
    assert pq.read_table(table.parquet).column("x").to_pylist() == expected


@pytest.mark.parametrize(
    ("text", "iso"),
    [("05/09/2020", "2020-09-05"), ("5/9/2020", "2020-09-05"), ("05-09-2020", "2020-09-05"), ("05.09.2020", "2020-09-05"),
     ("2020-09-05", "2020-09-05"), ("2020/09/05", "2020-09-05"), ("29/02/2024", "2024-02-29")],
)
def test_date_formats(tmp_path: Path, text: str, iso: str) -> None:
    table, rows = run(tmp_path, "pk.csv", f"Mã,Tên phòng khám,Ngày thành lập\nPK001,A,{text}\n".encode())
    assert str(rows[0]["opened_on"]) == iso and table.issues == []


@pytest.mark.parametrize("bad", ["31/02/2020", "29/02/2023", "13/13/2020", "2020-9", "hôm qua"])
def test_impossible_dates_are_issues_not_guesses(tmp_path: Path, bad: str) -> None:
    table, rows = run(tmp_path, "pk.csv", f"Mã,Tên phòng khám,Ngày thành lập\nPK001,A,{bad}\n".encode())
    assert rows[0]["opened_on"] is None
    assert [(i.row, i.column, i.value) for i in table.issues] == [(2, "opened_on", bad)]


def test_blank_lines_and_line_breaks_inside_cells_keep_true_row_numbers(tmp_path: Path) -> None:
    body = 'Mã,Tên phòng khám,Số giường\nPK001,"Phòng khám\nHòa Khánh",12\n\nPK002,B,mười hai\n'
    table, rows = run(tmp_path, "pk.csv", body.encode())
    assert [r["_source_row"] for r in rows] == [2, 5]
    assert [(i.row, i.column, i.value) for i in table.issues] == [(5, "beds", "mười hai")]


def test_a_row_with_too_many_cells_is_reported_with_its_row(tmp_path: Path) -> None:
    body = "Mã,Tên phòng khám,Số giường\nPK001,A,12\nPK002,B,3,extra\nPK003,C,4\n"
    table, rows = run(tmp_path, "pk.csv", body.encode())
    assert [r["code"] for r in rows] == ["PK001", "PK003"]
    assert [(i.rule, i.row) for i in table.issues] == [("structure", 3)]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [("pk.xlsx", b"PK\x03\x04 not really a zip", "cannot open the Excel file"),
     ("pk.json", b'{"data": [1, 2', "invalid JSON at line 1"),
     ("pk.csv", "Số hiệu,Ghi chú\n1,2\n".encode(), "no header row with the spec's columns"),
     ("pk.xlsx", None, "no sheet 'Không có'")],
)
def test_unreadable_files_get_a_clear_error(tmp_path: Path, name: str, data: bytes | None, message: str) -> None:
    source = {}
    if data is None:
        data, source = xlsx({"A": [HEADER, *ROWS]}), {"sheet": "Không có"}
    with pytest.raises(InputError, match=message) as err:
        run(tmp_path, name, data, **source)
    assert name in str(err.value)


def test_json_records(tmp_path: Path) -> None:
    body = ('{"data": {"items": [{"Mã": "PK001", "Tên phòng khám": "A", "Số giường": 12},'
            ' {"Mã": "PK002", "Tên phòng khám": "B"}]}}')
    table, rows = run(tmp_path, "pk.json", body.encode(), records_path="data.items")
    assert [(r["code"], r["beds"], r["_source_row"]) for r in rows] == [("PK001", 12, 1), ("PK002", None, 2)]


def test_a_long_plain_column_with_a_few_odd_values(tmp_path: Path) -> None:
    """Thousands of plain values take the strict cast; the few others go through the forgiving rules
    alone (a Vietnamese number, a dd/mm/yyyy date) or are reported (30 February, 'hôm qua')."""
    n = 500
    beds = [str(i % 90) for i in range(n)]
    opened = [f"2020-01-{1 + i % 28:02d}" for i in range(n)]
    beds[7], opened[7] = "1.250", "05/09/2020"
    opened[11], opened[13] = "2020-02-30", "hôm qua"
    body = "Mã,Tên phòng khám,Số giường,Ngày thành lập\n" + "".join(
        f"PK{i:04d},A,{b},{o}\n" for i, (b, o) in enumerate(zip(beds, opened, strict=True)))
    table, rows = run(tmp_path, "pk.csv", body.encode())
    assert rows[7]["beds"] == 1250 and str(rows[7]["opened_on"]) == "2020-09-05"
    assert rows[11]["opened_on"] is None and rows[13]["opened_on"] is None
    assert str(rows[12]["opened_on"]) == "2020-01-13" and rows[12]["beds"] == 12
    assert [(i.row, i.column, i.value) for i in table.issues] == [(13, "opened_on", "2020-02-30"), (15, "opened_on", "hôm qua")]


def test_plain_numbers_out_of_range_are_weighed_against_the_vietnamese_reading(tmp_path: Path) -> None:
    """'1.250' in a column of 0–2000: the Vietnamese reading (1250) fits better than 1.25 does not, so
    both readings are weighed; values that fit only the plain reading keep it."""
    spec = small_spec(columns=[{"name": "code", "label": {"vi": "Mã"}, "required": True},
                               {"name": "x", "label": {"vi": "Giá trị"}, "type": "number", "minimum": 100, "maximum": 2000}],
                      primary_key=[])
    for values, expected in [(["1.250", "1.500", "150"], [1250.0, 1500.0, 150.0]),
                             (["150.5", "199.25", "5000"], [150.5, 199.25, 5000.0])]:
        path = tmp_path / "x.csv"
        path.write_text("Mã,Giá trị\n" + "".join(f"P{i},{v}\n" for i, v in enumerate(values)), encoding="utf-8")
        table = normalise_file(spec, path, "x.csv", tmp_path / "out")
        assert pq.read_table(table.parquet).column("x").to_pylist() == expected
