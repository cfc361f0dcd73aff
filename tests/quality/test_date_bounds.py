"""Issue 13.5: a spec's minimum/maximum bound date and datetime columns too (ISO dates, or `today`,
the day the delivery arrived in the city's time); both engines judge them alike; impossible dates
stay type errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from opendata.normalise import normalise_file
from opendata.quality.gate import judge
from opendata.quality.rules import bound_value, delivery_day
from tests.factories import small_spec
from tests.quality.test_fast import compare

# 18:30 UTC on 1 December is 01:30 on 2 December in Da Nang: `today` is the 2nd
DELIVERED = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)


def bounded_spec():
    return small_spec(columns=[
        {"name": "code", "label": {"vi": "Mã"}, "required": True},
        {"name": "opened_on", "label": {"vi": "Ngày thành lập"}, "type": "date", "minimum": "1975-04-30", "maximum": "today"},
        {"name": "inspected_at", "label": {"vi": "Thời điểm kiểm tra"}, "type": "datetime", "minimum": "2020-01-01",
         "maximum": "today"},
    ])


ROWS = [  # code, opened_on, inspected_at, the columns out of bounds
    ("PK001", "30/04/1975", "2020-01-01 00:00:00", set()),
    ("PK002", "02/12/2026", "02/12/2026 23:59", set()),  # the delivery day, to its last minute
    ("PK003", "03/12/2026", "2026-12-03 00:00:01", {"opened_on", "inspected_at"}),  # the day after
    ("PK004", "29/04/1975", "2019-12-31 23:59:59", {"opened_on", "inspected_at"}),  # before the minimum
    ("PK005", "", "", set()),  # empty is not out of range (required is its own rule)
    ("PK006", "15/06/2001", "2026-12-01 08:00", set()),
]


def normalised(tmp_path: Path, extra: str = ""):
    body = "Mã,Ngày thành lập,Thời điểm kiểm tra\n" + "".join(f"{c},{d},{t}\n" for c, d, t, _ in ROWS) + extra
    path = tmp_path / "clinics.csv"
    path.write_text(body, encoding="utf-8")
    return normalise_file(bounded_spec(), path, path.name, tmp_path / "staging")


def test_today_is_the_delivery_day_in_the_citys_time() -> None:
    assert delivery_day(DELIVERED).isoformat() == "2026-12-02"
    s = bounded_spec()
    assert bound_value(s.column("opened_on"), "today", delivery_day(DELIVERED), upper=True) == "2026-12-02"
    assert bound_value(s.column("inspected_at"), "today", delivery_day(DELIVERED), upper=True) == "2026-12-02T23:59:59"
    assert bound_value(s.column("inspected_at"), s.column("inspected_at").minimum, delivery_day(DELIVERED),
                       upper=False) == "2020-01-01T00:00:00"


def test_dates_outside_their_bounds_are_blocking_with_row_and_column(tmp_path: Path) -> None:
    table = normalised(tmp_path)
    card, _ = judge(bounded_spec(), table.parquet, "-", list(table.issues), table.type_failures, province_code=None,
                    previous_rows=None, now=DELIVERED, expectations_dir=tmp_path, delivered_at=DELIVERED)
    flagged = {(i.row, i.column) for i in card.issues if i.rule == "expect_column_values_to_be_between"}
    wanted = {(n + 2, col) for n, (*_, cols) in enumerate(ROWS) for col in cols}
    assert flagged == wanted
    assert not card.accepted


def test_a_day_later_the_same_file_passes_its_today_bound(tmp_path: Path) -> None:
    """`today` moves with the delivery: PK003's dates are in bounds once the 3rd has come."""
    table = normalised(tmp_path)
    later = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    card, _ = judge(bounded_spec(), table.parquet, "-", list(table.issues), table.type_failures, province_code=None,
                    previous_rows=None, now=later, expectations_dir=tmp_path, delivered_at=later)
    flagged = {i.row for i in card.issues if i.rule == "expect_column_values_to_be_between"}
    assert flagged == {5}  # PK004 (line 5) alone, before the minimums


def test_gx_and_the_vectorised_engine_agree_on_date_bounds(tmp_path: Path) -> None:
    from opendata.quality.suite import expectations_from_spec

    table = pq.read_table(normalised(tmp_path).parquet)
    configs = [c for c in expectations_from_spec(bounded_spec(), None, None, DELIVERED, DELIVERED)
               if c["type"] == "expect_column_values_to_be_between"]
    assert compare(table, configs) == len(configs) == 2


def test_impossible_dates_stay_type_errors(tmp_path: Path) -> None:
    table = normalised(tmp_path, "PK007,31/02/2026,2026-02-30 10:00\n")
    found = {(i.row, i.column, i.rule) for i in table.issues}
    assert {(8, "opened_on", "type:date"), (8, "inspected_at", "type:datetime")} <= found


@pytest.mark.parametrize(("column", "message"), [
    ({"type": "date", "minimum": 5}, "ISO date"),
    ({"type": "integer", "maximum": "today"}, "is a number"),
    ({"type": "date", "minimum": "yesterday"}, "not a number, an ISO date"),
    ({"type": "date", "minimum": "2020-02-30"}, "not a number, an ISO date"),
    ({"type": "date", "minimum": "2027-01-01", "maximum": "2026-01-01"}, "above maximum"),
    ({"type": "string", "minimum": "2026-01-01"}, "need type integer, number, date or datetime"),
])
def test_bad_bounds_are_refused_with_a_clear_message(column: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        small_spec(columns=[{"name": "code", "label": {"vi": "Mã"}}, {"name": "x", "label": {"vi": "X"}, **column}])
