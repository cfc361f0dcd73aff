"""Issue 17: a Parquet file too large to hold is judged one row group at a time, with the same checks
and the same receipt as the whole table: counts added up, the first examples kept in file order, the
key columns read alone for uniqueness, the largest value taken over the groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opendata.issues import ROW_COLUMN
from opendata.quality.row_groups import run_suite_in_row_groups
from opendata.quality.runner import run_suite
from opendata.quality.suite import expectations_from_spec, extra_expectations
from tests.factories import ROOT
from tests.quality.test_fast import REGISTRY, sample_drops
from tests.quality.test_rules import NOW, frame, spec


def judged_both_ways(table: pa.Table, configs: list[dict], tmp_path: Path, group: int):
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=group)
    assert pq.ParquetFile(path).num_row_groups > 1 or table.num_rows <= group
    return run_suite(table, configs, "whole"), run_suite_in_row_groups(path, configs, "groups")


def assert_same(whole, groups) -> None:
    assert groups.checks == whole.checks
    assert groups.issues == whole.issues


@pytest.mark.parametrize(("key", "path"), list(sample_drops()), ids=[k for k, _ in sample_drops()])
def test_the_sample_city_is_judged_alike_in_row_groups(key: str, path: Path, tmp_path: Path) -> None:
    from opendata.normalise import normalise_file

    s = REGISTRY.datasets[key]
    table = pq.read_table(normalise_file(s, path, path.name, tmp_path).parquet)
    configs = expectations_from_spec(s, 48, 10_000, NOW) + extra_expectations(s, ROOT / "expectations")
    whole, groups = judged_both_ways(table, configs, tmp_path, 7)
    assert_same(whole, groups)


def broken_table() -> pa.Table:
    rows = frame({(1, "name"): "Ho\u0300a", (2, "note"): "=HYPERLINK(1)", (3, "note"): "CCCD 048190001234",
                  (4, "ward"): "Phường Phước Ninh", (5, "note"): "+84905123456", (7, "code"): "PK001",
                  (8, "name"): None, (9, "note"): "lien.he@gmail.com"})
    many = pd.concat([rows] * 30, ignore_index=True)  # 300 rows: every code repeated, every problem 30 times
    many["code"] = [f"PK{i:04d}" if i % 97 else "PK0001" for i in range(len(many))]
    table = pa.Table.from_pandas(many, preserve_index=False)
    return table.append_column(ROW_COLUMN, pa.array(range(2, len(many) + 2), pa.int64()))


@pytest.mark.parametrize("group", [1, 7, 64, 1000])
def test_broken_rows_give_the_same_receipt_in_any_grouping(group: int, tmp_path: Path) -> None:
    configs = expectations_from_spec(spec(), 48, 30, NOW)
    whole, groups = judged_both_ways(broken_table(), configs, tmp_path, group)
    assert_same(whole, groups)
    failed = {c.rule for c in groups.checks if not c.success}
    assert {"expect_column_values_to_be_unique", "expect_column_values_to_not_be_null"} <= failed
    assert sum(c.failed for c in groups.checks if c.rule == "expect_column_values_to_not_be_null") == 30


def test_a_rule_only_gx_judges_runs_on_each_group(tmp_path: Path) -> None:
    table = broken_table()
    rule = {"type": "expect_column_values_to_be_in_type_list", "kwargs": {"column": "code", "type_list": ["int64"]},
            "meta": {"dimension": "dung", "severity": "warning"}}
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=100)
    run = run_suite_in_row_groups(path, [rule], "gx")
    assert run.engine == {"arrow": 0, "gx": 1}
    assert [c.success for c in run.checks] == [False]


@pytest.mark.parametrize("kind", [pa.int64(), pa.int32(), pa.uint16(), pa.date32(), pa.timestamp("s")])
def test_a_numeric_key_is_checked_by_sorting_with_the_same_rows_flagged(kind, tmp_path: Path) -> None:
    """The key of a large file is sorted in 8 bytes a row, not read whole with its rows: the same
    duplicates (every row holding one, nulls never), in file order, whatever the grouping."""
    values = [5, 3, None, 5, 1, None, 3, 9, 2, 8, 7, 5] * 3 + list(range(100, 160))
    table = pa.table({"id": pa.array(values, pa.int64()).cast(kind) if kind != pa.date32()
                      else pa.array([None if v is None else v * 86400 for v in values], pa.int64())
                      .cast(pa.timestamp("s")).cast(pa.date32()),
                      ROW_COLUMN: pa.array(range(2, len(values) + 2), pa.int64())})
    configs = [{"type": "expect_column_values_to_be_unique", "kwargs": {"column": "id"},
                "meta": {"dimension": "sach", "severity": "blocking"}}]
    whole, groups = judged_both_ways(table, configs, tmp_path, 5)
    assert_same(whole, groups)
    assert groups.checks[0].failed == 30 and [i.row for i in groups.issues][:3] == [2, 3, 5]
    from opendata.quality import row_groups as runner

    assert runner._unique_by_sorting(pq.ParquetFile(tmp_path / "t.parquet"), "id") is not None  # the sorting path


def keyed_table() -> pa.Table:
    codes = [f"PK{i % 40:03d}" if i % 7 else None for i in range(200)] + [f"X{i}" for i in range(100)]
    wards = ["Hải Châu" if i % 3 else "Sơn Trà" for i in range(300)]
    return pa.table({"code": codes, "ward": wards, ROW_COLUMN: pa.array(range(2, 302), pa.int64())})


@pytest.mark.parametrize("rule", [
    {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "code"}},
    {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["code", "ward"]}},
])
@pytest.mark.parametrize("group", [9, 64])
def test_a_text_or_compound_key_is_checked_by_hashing_with_the_same_rows_flagged(rule, group, tmp_path: Path) -> None:
    """Text and compound keys of a large file: 8 bytes a row hashed and sorted, only the suspects read again
    and judged exactly; the same rows as the whole table, nulls included."""
    configs = [{**rule, "meta": {"dimension": "sach", "severity": "blocking"}}]
    whole, groups = judged_both_ways(keyed_table(), configs, tmp_path, group)
    assert_same(whole, groups)
    assert groups.checks[0].failed > 100
    from opendata.quality import row_groups as runner

    columns = rule["kwargs"].get("column_list") or [rule["kwargs"]["column"]]
    assert runner._unique_by_hashing(pq.ParquetFile(tmp_path / "t.parquet"), columns) is not None  # the hashing path


def test_a_hash_collision_never_flags_a_row(tmp_path: Path, monkeypatch) -> None:
    """Every key hashed alike (the worst collision): all rows are suspects, and the exact judgement of the
    suspects flags none of these distinct keys."""
    from opendata.quality import row_groups as runner

    table = pa.table({"code": [f"K{i}" for i in range(50)], ROW_COLUMN: pa.array(range(2, 52), pa.int64())})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=8)
    import pandas.util

    monkeypatch.setattr(pandas.util, "hash_array", lambda values, categorize=False: np.zeros(len(values), np.uint64))
    verdict, examples = runner._unique_by_hashing(pq.ParquetFile(path), ["code"])
    assert verdict.success and verdict.unexpected == 0 and examples == []
