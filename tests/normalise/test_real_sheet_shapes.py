"""The shapes of sheets as agencies really send them (issue 30): legacy fonts inside Unicode workbooks, wrappers
around the table named on the receipt, standard values read, placeholders declared."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from opendata.normalise import normalise_file
from opendata.normalise.fonts import fix_column, vote
from opendata.normalise.layout import caption_rows, column_letter
from opendata.normalise.legacy import encode_tcvn3, encode_vni
from tests.factories import small_spec
from tests.normalise.test_shapes import xlsx

NAMES = ["Nguyễn Thanh Hà", "Trần Văn Đức", "Lê Thị Hồng Nhung", "Phạm Quốc Bảo", "Võ Thị Thủy", "Đặng Văn Lâm"]
HEADER = ["STT", "Mã", "Tên phòng khám", "Số giường", "Ngày thành lập"]


def tcvn3(text: str) -> str:
    """What a cell typed in .VnTime shows when the workbook is read as Unicode."""
    return encode_tcvn3(text).decode("latin-1")


def vni(text: str) -> str:
    return encode_vni(text).decode("cp1252")


def run(tmp_path: Path, name: str, data: bytes, **spec):
    path = tmp_path / name
    path.write_bytes(data)
    spec = {"source": {"kind": "drop_zone", "pattern": "*"}, **spec}
    table = normalise_file(small_spec(**spec), path, name, tmp_path / "out")
    return table, pq.read_table(table.parquet).to_pylist()


def rows_of(names: list[str]) -> list[list]:
    return [[i, f"PK{i:03d}", n, 10 + i, "05/09/2020"] for i, n in enumerate(names, 1)]


@pytest.mark.parametrize("font", [tcvn3, vni], ids=["tcvn3", "vni"])
def test_a_unicode_header_over_names_typed_in_a_legacy_font(tmp_path: Path, font) -> None:
    """The header is Unicode, so a once-per-sheet decision called the sheet Unicode and published mojibake."""
    book = xlsx({"S": [HEADER, *rows_of([font(n) for n in NAMES])]})
    table, rows = run(tmp_path, "pk.xlsx", book)
    assert [r["name"] for r in rows] == NAMES
    converted = [i for i in table.issues if i.rule == "legacy_font_converted"]
    assert [(i.column, i.total) for i in converted] == [("name", len(NAMES))]


def test_a_column_mixing_unicode_and_legacy_cells_is_converted_cell_by_cell(tmp_path: Path) -> None:
    mixed = [n if i % 2 else tcvn3(n) for i, n in enumerate(NAMES)]
    table, rows = run(tmp_path, "pk.xlsx", xlsx({"S": [HEADER, *rows_of(mixed)]}))
    assert [r["name"] for r in rows] == NAMES


def test_legacy_font_cells_in_a_utf8_csv_column(tmp_path: Path) -> None:
    lines = [",".join(HEADER[1:])] + [f"PK{i:03d},{tcvn3(n)},5,2020-09-05" for i, n in enumerate(NAMES, 1)]
    table, rows = run(tmp_path, "pk.csv", ("\n".join(lines) + "\n").encode("utf-8"))
    assert [r["name"] for r in rows] == NAMES and table.encoding == "utf-8"


def test_words_of_latin_letters_are_left_alone() -> None:
    """Unicode Vietnamese and foreign names with Latin-1 letters are not 'converted'."""
    import pyarrow as pa

    values = pa.chunked_array([pa.array(["Hóa", "Café Đà Nẵng", "Võ Thị Thủy", "Hà Nội", "Crème brûlée"])])
    fixed, verdict = fix_column(values)
    assert fixed.to_pylist() == values.to_pylist() and verdict.encoding is None


def test_a_column_whose_font_cannot_be_told_is_refused_and_named(tmp_path: Path) -> None:
    assert vote(["¸¸¸ µµµ", "§§ ¶¶"]).encoding is None  # not Vietnamese in any reading: nothing is guessed


def test_the_gate_catches_legacy_font_text_left_in_a_column(tmp_path: Path) -> None:
    import pyarrow as pa

    from opendata.quality.fast import evaluate
    from opendata.quality.rules import clean

    spec = small_spec()
    rule = next(r for r in clean(spec) if r["meta"].get("check") == "legacy_font" and r["kwargs"]["column"] == "name")
    table = pa.table({"name": ["Phòng khám Hòa Khánh", "Gi¸o viªn", "µg/m³ bụi mịn", "Ñaø Naüng"]})
    verdict = evaluate(table, rule)
    assert verdict.rows == [1, 3] and rule["meta"]["severity"] == "blocking"


def test_titles_captions_totals_notes_and_signatures_are_named_never_silent(tmp_path: Path) -> None:
    sheet = [["UBND THÀNH PHỐ ĐÀ NẴNG"], ["SỞ Y TẾ"], [], ["DANH SÁCH PHÒNG KHÁM"], HEADER + [""],
             ["(1)", "(2)", "(3)", "(4)", "(5)"], *[r + (["x"] if r[0] == 2 else []) for r in rows_of(NAMES[:3])],
             ["", "Tổng cộng", "", 36], ["Ghi chú: số liệu đến 30/11/2026"], [],
             ["", "", "", "Đà Nẵng, ngày 15 tháng 11 năm 2026"], ["", "Người lập biểu", "", "GIÁM ĐỐC"],
             ["", "(Ký, ghi rõ họ tên)", "", "(Ký tên, đóng dấu)"], [], [],
             ["", "Nguyễn Văn A", "Trần Thị B"]]
    table, rows = run(tmp_path, "pk.xlsx", xlsx({"S": sheet}))
    assert [r["code"] for r in rows] == ["PK001", "PK002", "PK003"] and [r["_source_row"] for r in rows] == [7, 8, 9]
    said = {(i.rule, i.row, i.total): i for i in table.issues}
    assert ("dropped_rows", 1, 4) in said and "title" in said[("dropped_rows", 1, 4)].message_en  # lines 1-4
    assert ("dropped_rows", 6, 1) in said and said[("dropped_rows", 6, 1)].value.startswith("(1) | (2)")
    total = next(i for i in table.issues if i.rule == "dropped_rows" and i.row == 10)
    assert "total" in total.message_en and total.value == "Tổng cộng | 36"
    assert any(i.rule == "dropped_rows" and i.row == 11 and "notes" in i.message_en for i in table.issues)
    signature = next(i for i in table.issues if i.rule == "dropped_rows" and i.row == 13)
    assert "signature" in signature.message_en and signature.total == 6  # lines 13-18, names after two blank lines
    unnamed = next(i for i in table.issues if i.rule == "unnamed_column")
    assert unnamed.column == "F" and unnamed.value == "x" and "no header" in unnamed.message_en
    assert table.dropped_rows == 1 + 2 + 4  # the caption, total and note, the signature block's rows (blank ones aside)
    assert not any(i.rule == "extra_column" for i in table.issues)  # the title over the header is no parent header


def test_a_last_row_with_its_key_is_data_not_a_footer(tmp_path: Path) -> None:
    """The last row holds only its key and name: before, a row with few cells at the end was dropped silently."""
    sheet = [HEADER, *rows_of(NAMES[:2]), [3, "PK003", "Phòng khám Ghi chú", None, None]]
    table, rows = run(tmp_path, "pk.xlsx", xlsx({"S": sheet}))
    assert [r["code"] for r in rows] == ["PK001", "PK002", "PK003"] and table.dropped_rows == 0


def test_caption_rows_need_a_sequence_or_parentheses() -> None:
    import pyarrow as pa

    def cols(*rows):
        return {f"c{i}": pa.chunked_array([pa.array([str(r[i]) for r in rows])]) for i in range(len(rows[0]))}

    assert caption_rows(cols(["1", "2", "3"], ["PK1", "Tên", "4"]), 2) == 1
    assert caption_rows(cols(["(người)", "(ha)", "(%)"], ["PK1", "Tên", "4"]), 2) == 1
    assert caption_rows(cols(["7", "12", "3"], ["PK1", "Tên", "4"]), 2) == 0  # numbers, not in sequence: data
    assert [column_letter(p) for p in (0, 25, 26, 701)] == ["A", "Z", "AA", "ZZ"]


@pytest.mark.parametrize(("written", "local"), [
    ("2026-11-03T08:15:00Z", datetime(2026, 11, 3, 15, 15)),
    ("2026-11-03T08:15:00.123456Z", datetime(2026, 11, 3, 15, 15)),
    ("2026-11-03 08:15:00+07:00", datetime(2026, 11, 3, 8, 15)),
    ("2026-11-03T08:15:00+0900", datetime(2026, 11, 3, 6, 15)),
    ("2026-11-03T23:15:00-05", datetime(2026, 11, 4, 11, 15)),
    ("2026-11-03T08:15", datetime(2026, 11, 3, 8, 15)),
    ("03/11/2026 08:15", datetime(2026, 11, 3, 8, 15)),
])
def test_iso_8601_times_are_read_and_offsets_become_the_citys_time(tmp_path: Path, written: str, local) -> None:
    spec = {"columns": [{"name": "code", "label": {"vi": "Mã"}, "required": True},
                        {"name": "at", "label": {"vi": "Thời điểm"}, "type": "datetime"}]}
    table, rows = run(tmp_path, "t.csv", f"Mã,Thời điểm\nA1,{written}\nA2,2026-01-01 00:00:00\n".encode(), **spec)
    assert table.type_failures == {} and rows[0]["at"] == local


def test_missing_value_markers_are_empty_cells_and_a_spec_declares_its_own(tmp_path: Path) -> None:
    spec = {"columns": [{"name": "code", "label": {"vi": "Mã"}, "required": True},
                        {"name": "score", "label": {"vi": "Điểm"}, "type": "number", "missing_values": ["vắng"]},
                        {"name": "note", "label": {"vi": "Ghi chú"}}]}
    text = "Mã,Điểm,Ghi chú\nA1,7.5,-\nA2,-,----\nA3,VẮNG,N/A\nA4,8,bình thường\n"
    table, rows = run(tmp_path, "t.csv", text.encode(), **spec)
    assert table.type_failures == {} and [r["score"] for r in rows] == [7.5, None, None, 8.0]
    assert [r["note"] for r in rows] == [None, None, None, "bình thường"]
    table, _ = run(tmp_path, "t.csv", text.encode(), **{**spec, "missing_values": []})  # the dataset declares none:
    assert table.type_failures == {"score": 1}  # '-' is now a value that is not a number; the column's 'vắng' still holds


def test_json_records_keyed_by_code(tmp_path: Path) -> None:
    doc = {"PK001": {"Tên phòng khám": "Phòng khám Hòa Khánh", "Số giường": 12},
           "PK002": {"Tên phòng khám": "Phòng khám Sơn Trà", "Số giường": 30}}
    table, rows = run(tmp_path, "pk.json", json.dumps(doc, ensure_ascii=False).encode(), records_by_key="code")
    assert [(r["code"], r["name"], r["beds"]) for r in rows] == [("PK001", "Phòng khám Hòa Khánh", 12),
                                                                  ("PK002", "Phòng khám Sơn Trà", 30)]


def test_an_xls_readers_notices_stay_off_the_terminal(tmp_path: Path, capfd) -> None:
    import io

    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("S")
    for r, row in enumerate([HEADER, *rows_of(NAMES[:2])]):
        for c, value in enumerate(row):
            ws.write(r, c, value)
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue() + b"\x00" * 100  # a size that is not a multiple of the sector size: xlrd prints a notice
    table, rows = run(tmp_path, "pk.xls", data)
    printed = capfd.readouterr()
    assert len(rows) == 2 and "WARNING" not in printed.out + printed.err and "sector" not in printed.out + printed.err


def test_a_json_field_outside_the_spec_is_never_made_one_huge_cell(tmp_path: Path) -> None:
    """Found with a real administrative-unit list: each province record carries its districts and wards as a
    nested list (36,000 characters as text), outside the spec. It was turned into a cell and refused by
    max_cell_chars; now it is named as a column outside the spec and the file is read."""
    children = [{"id": f"{i:05d}", "name": f"Phường {i}", "wards": [{"id": j} for j in range(40)]} for i in range(100)]
    doc = {"data": [{"Mã": "PK001", "Tên phòng khám": "Phòng khám A", "children": children}]}
    table, rows = run(tmp_path, "pk.json", json.dumps(doc, ensure_ascii=False).encode(),
                      source={"kind": "drop_zone", "pattern": "*", "records_path": "data"})
    assert [r["code"] for r in rows] == ["PK001"]
    assert [i.column for i in table.issues if i.rule == "extra_column"] == ["children"]
