"""Class 10: a watermark column that holds numbers and text (or a stored watermark of the other kind)
is a receipt for the agency and an 'unreadable' run, never a TypeError traceback or rows quietly skipped."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opendata.exceptions import InputError
from opendata.pipeline import stages
from opendata.pipeline.context import RunContext
from opendata.pipeline.once import run_once
from opendata.settings import PathSettings, Settings
from opendata.sources.connections import from_environment
from opendata.spec.models import City
from opendata.vocabulary import Outcome
from tests.factories import small_spec

QUERY = 'SELECT ma AS "Mã", ten AS "Tên phòng khám", cap_nhat FROM phong_kham'


@pytest.fixture()
def ctx(tmp_path: Path) -> RunContext:
    return RunContext(Settings(paths=PathSettings(data=tmp_path / "data")), "wm", datetime(2026, 12, 7, 9, tzinfo=UTC))


def clinics(tmp_path: Path, monkeypatch, marks: list) -> None:
    db = tmp_path / "syt.sqlite3"
    with sqlite3.connect(db) as c:  # SQLite keeps each value's own type: a column can hold both kinds
        c.execute("CREATE TABLE phong_kham (ma TEXT PRIMARY KEY, ten TEXT, cap_nhat)")
        c.executemany("INSERT INTO phong_kham VALUES (?, ?, ?)",
                      [(f"PK{i:03d}", f"Phòng khám số {i}", mark) for i, mark in enumerate(marks, 1)])
    monkeypatch.setenv("AIRFLOW_CONN_SYT_DB", json.dumps({"conn_type": "sqlite", "host": str(db)}))


def spec():
    base = small_spec(source={"kind": "sql", "conn_id": "syt_db", "query": QUERY, "watermark_column": "cap_nhat"})
    cols = [c.model_dump() for c in base.columns] + [{"name": "cap_nhat", "label": {"vi": "cap_nhat"}}]
    return small_spec(source=base.source.model_dump(), columns=cols)


def receipts(ctx: RunContext) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in (ctx.data / "receipts").rglob("*.receipt.md")]


def test_numbers_and_text_in_the_watermark_column_are_a_receipt(ctx, tmp_path, monkeypatch) -> None:
    clinics(tmp_path, monkeypatch, [1, 2, "2026-12-01", 4])
    with pytest.raises(InputError, match="more than one kind"):
        stages.fetch(spec(), ctx, from_environment)
    [said] = receipts(ctx)
    assert "cap_nhat" in said and "một kiểu" in said and "Traceback" not in said
    assert not any(p.is_file() for p in (ctx.data / "incoming").rglob("*"))  # no half-written delivery left


def test_a_stored_watermark_of_the_other_kind_is_a_receipt_not_skipped_rows(ctx, tmp_path, monkeypatch) -> None:
    from opendata.sources.sql import fetch_sql

    clinics(tmp_path, monkeypatch, [1, 2, 3])
    # the column held dates when the watermark was stored; SQLite orders every number below every text, so
    # the incremental query finds nothing, and would find nothing ever again
    with pytest.raises(InputError, match="more than one kind"):
        fetch_sql(spec(), from_environment("syt_db"), ctx.data / "incoming", ctx.now, "2026-11-30")
    assert fetch_sql(spec(), from_environment("syt_db"), ctx.data / "incoming", ctx.now, 3) is None  # truly nothing new


def test_a_whole_run_ends_unreadable_with_the_reason(ctx, tmp_path, monkeypatch) -> None:
    clinics(tmp_path, monkeypatch, ["a", 2])
    city = City.model_validate({"code": "danang", "name": {"vi": "Đà Nẵng", "en": "Da Nang"}, "province_code": 48,
                                "agencies": [{"code": "syt", "name": {"vi": "Sở Y tế", "en": "Health"},
                                              "email": "syt@danang.gov.vn"}]})
    entry = run_once(spec(), city, ctx, from_environment, lambda: pytest.fail("nothing may be published"))
    assert entry.outcome == Outcome.unreadable and "more than one kind" in entry.error
