"""A serial-number column is a habit, not an error; other columns outside the spec are a warning
(named, never published) unless the spec is strict (issue 13, point 2). In CSV and XLSX alike."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from opendata.exceptions import InputError
from opendata.normalise import normalise_file
from tests.factories import SAMPLE_DROP, rain_spec

ROWS = [line.split(",") for line in SAMPLE_DROP.read_text(encoding="utf-8").splitlines()]


def render(tmp_path: Path, rows: list[list[str]], shape: str) -> Path:
    if shape == "csv":
        path = tmp_path / "drop.csv"
        path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
        return path
    import openpyxl

    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "drop.xlsx"
    path.write_bytes(buf.getvalue())
    return path


@pytest.mark.parametrize("shape", ["csv", "xlsx"])
@pytest.mark.parametrize("serial", ["STT", "TT", "Số TT", "No.", "stt"])
def test_a_serial_number_column_is_dropped(tmp_path: Path, shape: str, serial: str) -> None:
    rows = [[serial, *ROWS[0]]] + [[str(i), *r] for i, r in enumerate(ROWS[1:], 1)]
    table = normalise_file(rain_spec(), render(tmp_path, rows, shape), f"drop.{shape}", tmp_path / "out")
    assert table.rows == 83 and table.issues == []
    published = pq.read_table(table.parquet)
    assert published.column_names == [c.name for c in rain_spec().columns] + ["_source_row"]
    assert published.column("station_code")[0].as_py() == "DN-RG-0001"


@pytest.mark.parametrize("shape", ["csv", "xlsx"])
def test_another_column_outside_the_spec_is_a_warning_and_not_published(tmp_path: Path, shape: str) -> None:
    rows = [[*ROWS[0], "Người nhập liệu"]] + [[*r, "Nguyễn Văn A"] for r in ROWS[1:]]
    table = normalise_file(rain_spec(), render(tmp_path, rows, shape), f"drop.{shape}", tmp_path / "out")
    [warning] = table.issues
    assert warning.severity.value == "warning" and warning.rule == "extra_column" and "Người nhập liệu" in warning.message_vi
    assert "Nguyễn Văn A" not in str(pq.read_table(table.parquet).to_pylist())


def test_a_strict_spec_refuses_columns_outside_it(tmp_path: Path) -> None:
    strict = rain_spec().model_copy(update={"extra_columns": "reject"})
    rows = [[*ROWS[0], "Người nhập liệu"]] + [[*r, "Nguyễn Văn A"] for r in ROWS[1:]]
    with pytest.raises(InputError, match="not in the spec"):
        normalise_file(strict, render(tmp_path, rows, "csv"), "drop.csv", tmp_path / "out")
    rows = [["STT", *ROWS[0]]] + [[str(i), *r] for i, r in enumerate(ROWS[1:], 1)]
    assert normalise_file(strict, render(tmp_path, rows, "csv"), "drop.csv", tmp_path / "out2").rows == 83  # STT is fine


def test_a_missing_required_column_is_still_an_error(tmp_path: Path) -> None:
    rows = [r[1:] for r in ROWS]
    with pytest.raises(InputError, match="missing required"):
        normalise_file(rain_spec(), render(tmp_path, rows, "csv"), "drop.csv", tmp_path / "out")
