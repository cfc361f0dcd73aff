from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from opendata.exceptions import InputError
from opendata.normalise import normalise_file
from tests.factories import SAMPLE_DROP, rain_spec, small_spec, to_cp1258


def write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "drop.csv"
    path.write_bytes(to_cp1258(text) if encoding == "cp1258" else text.encode(encoding))
    return path


def test_the_sample_drop_becomes_a_typed_table(tmp_path: Path) -> None:
    table = normalise_file(rain_spec(), SAMPLE_DROP, SAMPLE_DROP.name, tmp_path)
    schema = pq.read_schema(table.parquet)
    assert table.rows == 83 and table.issues == [] and table.encoding == "utf-8"
    assert (str(schema.field("ward_code").type), str(schema.field("latitude").type)) == ("int64", "double")
    assert str(schema.field("installed_on").type) == "date32[day]"
    assert schema.names == [c.name for c in rain_spec().columns] + ["_source_row"]


def test_headers_match_ignoring_case_accents_and_spacing_and_text_is_nfc(tmp_path: Path) -> None:
    decomposed = "Phòng khám Hòa Khánh".replace("ò", "o\u0300").replace("á", "a\u0301")
    path = write(tmp_path, f"  MA ,ten  phong KHAM,Số giường,Ngày thành lập\nPK001,  {decomposed} ,\"1.234,0\",05/09/2020\n")
    table = normalise_file(small_spec(), path, "pk.csv", tmp_path / "out")
    frame = pd.read_parquet(table.parquet)
    assert frame.loc[0, "name"] == "Phòng khám Hòa Khánh"
    assert frame.loc[0, "beds"] == 1234
    assert str(frame.loc[0, "opened_on"]) == "2020-09-05"


def test_values_of_the_wrong_type_become_issues_naming_row_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "Mã,Tên phòng khám,Số giường,Ngày thành lập\nPK001,A,12,2020-01-01\nPK002,B,mười,31/02/2020\n")
    table = normalise_file(small_spec(), path, "pk.csv", tmp_path / "out")
    found = {(i.row, i.column, i.value) for i in table.issues}
    assert found == {(3, "beds", "mười"), (3, "opened_on", "31/02/2020")}
    assert all(i.severity.value == "blocking" and i.dimension.value == "dung" for i in table.issues)


def test_missing_and_unknown_columns_are_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "Mã,Giám đốc\nPK001,Ông A\n")
    with pytest.raises(InputError) as err:
        normalise_file(small_spec(), path, "pk.csv", tmp_path / "out")
    text = str(err.value)
    assert "pk.csv" in text and "'Tên phòng khám'" in text and "'Giám đốc'" in text and "row 1" in text


def test_windows_1258_is_decoded(tmp_path: Path) -> None:
    path = write(tmp_path, "Mã,Tên phòng khám\nPK001,Phòng khám Sơn Trà\n", encoding="cp1258")
    table = normalise_file(small_spec(), path, "pk.csv", tmp_path / "out")
    assert table.encoding == "cp1258"
    assert pd.read_parquet(table.parquet).loc[0, "name"] == "Phòng khám Sơn Trà"
