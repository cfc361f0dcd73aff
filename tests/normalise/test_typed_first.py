"""A CSV is typed by pyarrow's parser column by column: a column whose values do not all fit is read as
text and converted by the forgiving rules, and a number column out of range is re-read when its first
values cannot settle the number convention. Whatever path a column takes, the table must be exactly the
one the all-text path gives (issue 17: the fast path is an optimisation, never a second meaning)."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from opendata.normalise import table as table_module
from opendata.normalise.casting import Conventions
from opendata.normalise.headers import match_headers
from opendata.normalise.limits import Budget
from opendata.normalise.readers import plan_csv, read_csv, read_csv_typed
from opendata.spec.models import DatasetSpec

COLUMNS = [
    {"name": "id", "label": {"vi": "Mã"}, "type": "integer", "required": True},
    {"name": "level", "label": {"vi": "Mực nước"}, "type": "number", "minimum": 100, "maximum": 5000},
    {"name": "rain", "label": {"vi": "Lượng mưa"}, "type": "number", "minimum": 0, "maximum": 300},
    {"name": "count", "label": {"vi": "Số lần"}, "type": "integer", "minimum": 0, "maximum": 100},
    {"name": "seen", "label": {"vi": "Thời điểm"}, "type": "datetime"},
    {"name": "day", "label": {"vi": "Ngày"}, "type": "date"},
    {"name": "ok", "label": {"vi": "Hoạt động"}, "type": "boolean"},
    {"name": "place", "label": {"vi": "Địa điểm"}},
]


def spec() -> DatasetSpec:
    return DatasetSpec.model_validate({
        "id": "typed-first", "city": "danang", "agency": "stnmt", "title": {"vi": "Thử", "en": "Test"},
        "description": {"vi": "Thử"}, "domain": "moi-truong", "contact": {"name": "Sở", "email": "s@danang.gov.vn"},
        "update_frequency": "monthly", "source": {"kind": "drop_zone", "pattern": "*.csv"}, "columns": COLUMNS})


def csv_text(rng: random.Random, rows: int, odd: dict[str, float]) -> str:
    """A file of plain values, with the share ``odd[column]`` of another spelling in some columns."""
    def pick(column: str, plain, other):
        return other() if rng.random() < odd.get(column, 0) else plain()

    lines = ["Mã,Mực nước,Lượng mưa,Số lần,Thời điểm,Ngày,Hoạt động,Địa điểm"]
    for i in range(rows):
        cells = [
            str(i + 1),
            pick("level", lambda: f"{rng.uniform(100, 5000):.1f}", lambda: f'"{rng.randint(1, 4)}.{rng.randint(100, 999)}"'),
            pick("rain_words", lambda: pick("rain", lambda: f"{rng.uniform(0, 300):.1f}", lambda: rng.choice(["350.5", "-1"])),
                 lambda: rng.choice(["1.234,5", "mưa"])),
            pick("count", lambda: str(rng.randint(0, 100)), lambda: rng.choice(["150", "1.000", "năm"])),
            pick("seen", lambda: f"2025-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00",
                 lambda: rng.choice(["2025-02-30T10:00:00", "hôm qua", "05/09/2025 08:30", " 2025-01-01 10:00:00 "])),
            pick("day", lambda: f"2024-1{rng.randint(0, 2)}-0{rng.randint(1, 9)}",
                 lambda: rng.choice(["31/12/2024", "2024-13-01"])),
            pick("ok", lambda: rng.choice(["true", "false", ""]), lambda: rng.choice(["Có", "không", "x"])),
            pick("place", lambda: rng.choice(["Hải Châu", "Sơn Trà", ""]),
                 lambda: rng.choice(["  Cẩm Lệ ", "Hoa\u0300 Vang", "a\x01b", "   "])),
        ]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def both_paths(text: str, conventions: Conventions | None = None):
    data, dataset = text.encode("utf-8"), spec()
    plan = plan_csv(data, dataset, "t.csv", None, Budget(dataset, "t.csv"))
    mapping = match_headers(plan.header.names, dataset, "t.csv", plan.header_row, [])
    fast = table_module.convert_csv(dataset, plan, mapping, Budget(dataset, "t.csv"), True, dict(conventions or {}))
    slow = table_module._columns(dataset, read_csv(plan, Budget(dataset, "t.csv")), mapping, True, dict(conventions or {}))
    return fast, slow, plan


def same(fast, slow) -> None:
    assert fast.arrays.keys() == slow.arrays.keys()
    for name in fast.arrays:
        got, wanted = fast.arrays[name], slow.arrays[name]
        assert got.type == wanted.type and got.to_pylist() == wanted.to_pylist(), name
    assert fast.rows.to_pylist() == slow.rows.to_pylist()
    assert [i.asdict() for i in fast.issues] == [i.asdict() for i in slow.issues]
    assert fast.failures == slow.failures and fast.dropped == slow.dropped


CASES = {
    "all plain": {},
    "a typo late in a date column": {"seen": 0.002},
    "odd spellings in many columns": {"seen": 0.05, "day": 0.05, "ok": 0.1, "place": 0.2, "count": 0.02, "rain_words": 0.02},
    "a column written the Vietnamese way": {"level": 1.0},
    "half the Vietnamese way": {"level": 0.5},
    "a few out of range": {"rain": 0.01, "count": 0.01},
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_typed_path_gives_the_text_paths_table(case: str, monkeypatch) -> None:
    monkeypatch.setattr(table_module, "VI_SAMPLE", 40)  # the head that settles a number column: small, so both ways are taken
    monkeypatch.setattr("opendata.normalise.casting.VI_SAMPLE", 40)
    reread: list[tuple[list[int], int | None]] = []
    read_text = table_module.read_csv_text
    monkeypatch.setattr(table_module, "read_csv_text", lambda plan, positions, records=None: (
        reread.append((positions, records)), read_text(plan, positions, records))[1])
    fast, slow, _ = both_paths(csv_text(random.Random(case), 600, CASES[case]))
    same(fast, slow)
    if case == "a column written the Vietnamese way":  # its head cannot settle it: the whole column is read as text
        assert reread == [([1], 40), ([1], None)]
    if case == "a few out of range":  # 'rain': the Vietnamese reading of its first values is further out
        assert reread == [([2], 40)]


def test_a_number_column_in_the_vietnamese_way_is_read_that_way() -> None:
    text = "Mã,Mực nước,Lượng mưa\n" + "".join(f'{i},"{1 + i % 4}.250",1.5\n' for i in range(200))
    fast, slow, _ = both_paths(text)  # plain, 1.25 to 4.25 are all below the minimum 100; 1250 to 4250 are not
    assert fast.arrays["level"].to_pylist()[:3] == [1250.0, 2250.0, 3250.0]
    same(fast, slow)


def test_one_bad_value_sets_only_its_column_aside_as_text() -> None:
    text = csv_text(random.Random(7), 300, {})
    lines = text.splitlines()
    cells = lines[290].split(",")
    cells[4] = "hôm qua"
    lines[290] = ",".join(cells)
    data, dataset = ("\n".join(lines) + "\n").encode(), spec()
    plan = plan_csv(data, dataset, "t.csv", None, Budget(dataset, "t.csv"))
    mapping = match_headers(plan.header.names, dataset, "t.csv", plan.header_row, [])
    types = {pos: table_module.ARROW_TYPES[dataset.column(name).type] for pos, name in mapping.items()}
    grid = read_csv_typed(plan, types, Budget(dataset, "t.csv"))
    assert grid is not None and set(types) - grid.typed == {4}
    assert grid.columns[4].type == pa.string() and grid.columns[4].null_count == 0  # text, '' for empty
    assert grid.columns[1].type == pa.float64()
    fast, slow, _ = both_paths("\n".join(lines) + "\n")
    assert fast.failures == {"seen": 1}
    same(fast, slow)


def test_too_many_columns_that_do_not_fit_fall_back_to_text_whole() -> None:
    text = csv_text(random.Random(3), 200, {"seen": 0.5, "day": 0.5, "ok": 0.5, "count": 0.5})
    data, dataset = text.encode(), spec()
    plan = plan_csv(data, dataset, "t.csv", None, Budget(dataset, "t.csv"))
    mapping = match_headers(plan.header.names, dataset, "t.csv", plan.header_row, [])
    types = {pos: table_module.ARROW_TYPES[dataset.column(name).type] for pos, name in mapping.items()}
    assert read_csv_typed(plan, types, Budget(dataset, "t.csv")) is None
    same(*both_paths(text)[:2])


def test_a_block_after_one_that_showed_vietnamese_numbers_reads_that_column_as_text() -> None:
    text = "Mã,Mực nước,Lượng mưa\n" + "".join(f"{i},{'' if i % 7 == 0 else '1.5'},2\n" for i in range(1, 50))
    fast, slow, _ = both_paths(text, conventions={"level": "vi"})  # plain, 1.5 would be out of range
    assert fast.arrays["level"].to_pylist()[:2] == [15.0, 15.0]  # '1.5' in a file of Vietnamese numbers is 15
    assert fast.arrays["level"].to_pylist()[6] is None and fast.failures == {}
    same(fast, slow)


def test_a_table_of_numbers_keeps_its_last_rows_and_drops_its_footer() -> None:
    """Its typed rows hold no text: a row with no text cell was taken for a footer (the last 50 rows lost)."""
    rows = "".join(f"{i},{100 + i}.5,{i % 300}\n" for i in range(1, 121))
    fast, slow, _ = both_paths("Mã,Mực nước,Lượng mưa\n" + rows)
    assert len(fast.rows) == 120 and fast.dropped == 0
    same(fast, slow)
    fast, slow, _ = both_paths("Mã,Mực nước,Lượng mưa\n" + rows + "Tổng cộng,,\nNgười lập biểu,,\n")
    assert len(fast.rows) == 120 and fast.dropped == 2
    same(fast, slow)
