"""The readings added for real sheets (issue 30), attacked: legacy-font detection on huge and hostile cells,
footer detection that must never eat data, offsets and keyed JSON that are out of bounds. Each answer is a
table or a clear receipt, within bounded time; no data row disappears without a line on the receipt."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opendata.exceptions import InputError
from opendata.normalise import normalise_file
from opendata.normalise.fonts import fix_column
from opendata.normalise.legacy import encode_tcvn3
from tests.factories import small_spec
from tests.normalise.test_shapes import xlsx

HEADER = ["Mã", "Tên phòng khám", "Số giường", "Ngày thành lập"]


def run(tmp_path: Path, name: str, data: bytes, **spec):
    path = tmp_path / name
    path.write_bytes(data)
    table = normalise_file(small_spec(source={"kind": "drop_zone", "pattern": "*"}, **spec), path, name, tmp_path / "out")
    return table, pq.read_table(table.parquet).to_pylist()


def test_forty_cells_of_32000_legacy_looking_characters_are_judged_in_seconds() -> None:
    prose = encode_tcvn3("Phòng khám đa khoa khu vực Hòa Khánh, quận Liên Chiểu. " * 600).decode("latin-1")[:32_000]
    noise = ("¸µ¶·¹ª§Ñ " * 4000)[:32_000]
    cells = [prose[i:] + str(i) for i in range(20)] + [noise[i:] + str(i) for i in range(20)]
    began = time.perf_counter()
    fixed, verdict = fix_column(pa.chunked_array([pa.array(cells)]))
    assert time.perf_counter() - began < 20
    assert verdict.encoding == "tcvn3" and verdict.converted == 20  # the prose converted, the noise left for the gate
    assert fixed[0].as_py().startswith("Phòng khám đa khoa") and fixed[25].as_py() == cells[25]


def test_a_note_between_data_rows_is_never_a_footer(tmp_path: Path) -> None:
    """A 'Ghi chú' line with full data rows after it (no blank row between) is not a signature block: the rows
    after it stay, and the note itself stays a row of the table, which the gate judges (never silently dropped)."""
    sheet = [HEADER, ["PK001", "Phòng khám A", 5, "05/09/2020"], ["Ghi chú: phòng khám dưới đây mới mở"],
             ["PK002", "Phòng khám B", 6, "05/09/2021"], ["PK003", "Phòng khám C", 7, "05/09/2022"]]
    table, rows = run(tmp_path, "pk.xlsx", xlsx({"S": sheet}))
    assert [r["code"] for r in rows] == ["PK001", sheet[2][0], "PK002", "PK003"] and table.dropped_rows == 0


def test_a_sheet_of_footer_phrases_only_loses_nothing_unsaid(tmp_path: Path) -> None:
    """Every row looks like a signature: they are all left out, and every one of them is on the receipt."""
    phrases = ["Người lập biểu", "GIÁM ĐỐC", "(Ký, ghi rõ họ tên)", "Tổng cộng", "Ghi chú: x"] * 20
    sheet = [HEADER] + [["", p] for p in phrases]
    table, rows = run(tmp_path, "pk.xlsx", xlsx({"S": sheet}))
    named = sum(i.total for i in table.issues if i.rule == "dropped_rows")
    assert len(rows) + named == len(phrases) and named == table.dropped_rows


def test_the_names_under_a_signature_need_a_blank_row_to_be_left_out(tmp_path: Path) -> None:
    """Full rows right under 'Người lập biểu' (no blank row) are data: kept, and judged."""
    sheet = [HEADER, ["PK001", "Phòng khám A", 5, "05/09/2020"], ["", "Người lập biểu"],
             ["PK002", "Phòng khám B", 6, "05/09/2021"]]
    table, rows = run(tmp_path, "pk.xlsx", xlsx({"S": sheet}))
    assert "PK002" in [r["code"] for r in rows]


@pytest.mark.parametrize("written", ["2026-11-03T08:15:00+25:00", "2026-11-03T08:15:00+07:99", "2026-11-03T08:15:00+7"])
def test_an_offset_out_of_bounds_is_not_a_time(tmp_path: Path, written: str) -> None:
    spec = {"columns": [{"name": "code", "label": {"vi": "Mã"}, "required": True},
                        {"name": "at", "label": {"vi": "Thời điểm"}, "type": "datetime"}]}
    table, rows = run(tmp_path, "t.csv", f"Mã,Thời điểm\nA1,{written}\n".encode(), **spec)
    assert table.type_failures == {"at": 1} and rows[0]["at"] is None
    assert next(i for i in table.issues if i.column == "at").value == written


def test_keyed_json_whose_values_are_not_records_is_refused_clearly(tmp_path: Path) -> None:
    doc = {"PK001": {"Tên phòng khám": "A"}, "PK002": "not a record"}
    with pytest.raises(InputError, match="bản ghi"):
        run(tmp_path, "pk.json", json.dumps(doc).encode(), records_by_key="code")


def test_a_keyed_record_that_names_its_key_column_again_is_refused(tmp_path: Path) -> None:
    """The key is where a record was found; a record that also carries the key column under its caption would
    make the key ambiguous: the file is refused with the column named, not read one way or the other."""
    doc = {"PK001": {"Mã": "PK009", "Tên phòng khám": "A"}, "PK002": {"Tên phòng khám": "B"}}
    with pytest.raises(InputError, match="appears twice"):
        run(tmp_path, "pk.json", json.dumps(doc, ensure_ascii=False).encode(), records_by_key="code")
