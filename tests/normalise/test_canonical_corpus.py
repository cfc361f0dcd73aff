"""Issue 13: every rendition of the canonical table normalises to exactly that table, cell by cell;
every broken variant gives its expected outcome (see make_canonical_corpus.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from agency_api import AgencyApi

from opendata.exceptions import InputError
from opendata.issues import Severity
from opendata.normalise import normalise_file
from opendata.pipeline import stages
from opendata.pipeline.context import RunContext
from opendata.settings import PathSettings, Settings
from opendata.spec.models import DatasetSpec
from tests.normalise import make_canonical_corpus as corpus

RENDITIONS = {r.name: r for r in corpus.renditions()}
BROKEN = {b.name: b for b in corpus.broken()}
NAMES = [name for name, _, _ in corpus.COLUMNS]


def differences(rows: list[dict], expected: list[dict]) -> list[tuple]:
    """(row, column, got, wanted) for every cell that differs; values compared with their types."""
    out = [("rows", len(rows), len(expected))] if len(rows) != len(expected) else []
    for n, (got, want) in enumerate(zip(rows, expected, strict=False), 1):
        for name in NAMES:
            g, w = got.get(name), want[name]
            if g != w or type(g) is not type(w):
                out.append((n, name, g, w))
    return out[:20]


def parquet_rows(path) -> list[dict]:
    return [{k: v for k, v in row.items() if k != "_source_row"} for row in pq.read_table(path).to_pylist()]


def normalise_bytes(tmp_path: Path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    spec = DatasetSpec.model_validate(corpus.spec_data())
    return normalise_file(spec, path, name, tmp_path / "out")


def fetched(tmp_path: Path, source: dict) -> list[dict]:
    ctx = RunContext(Settings(paths=PathSettings(data=tmp_path / "data")), "canonical", datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    spec = DatasetSpec.model_validate(corpus.spec_data(source))
    table = stages.normalise(spec, ctx, stages.fetch_and_archive(spec, ctx))
    assert not [i for i in table.issues if i.severity is Severity.blocking]
    return parquet_rows(table.parquet)


def test_the_canonical_table_has_the_hard_cases() -> None:
    assert len(corpus.CANONICAL) >= 100 and len(RENDITIONS) >= 12
    cells = [str(v) for row in corpus.CANONICAL for v in row.values()]
    for needle in ("Ủ", "Ấ", "Ứ", "Ỷ", "Ánh", "Uỷ", "Hoà", '"', ","):
        assert any(needle in c for c in cells), needle
    assert any(r["tax_code"].startswith("0") for r in corpus.CANONICAL)
    assert any(r["staff"] > 999 for r in corpus.CANONICAL) and any("." in corpus.vi_number(r["staff"]) for r in corpus.CANONICAL)


@pytest.mark.parametrize("name", [n for n, r in RENDITIONS.items() if r.data is not None])
def test_every_rendition_normalises_to_the_canonical_table(tmp_path: Path, name: str) -> None:
    rendition = RENDITIONS[name]
    table = normalise_bytes(tmp_path, name, rendition.data)
    assert differences(parquet_rows(table.parquet), corpus.CANONICAL) == []
    # a workbook typed in a legacy font is converted, and its receipt says so column by column; nothing else is said
    converted = [i for i in table.issues if i.rule == "legacy_font_converted"]
    left_out = [i for i in table.issues if i.rule == "dropped_rows"]  # titles and footers: named, never silent
    assert [i for i in table.issues if i not in converted + left_out] == [] and table.type_failures == {}
    assert bool(left_out) == ("titled" in name or "footer" in name), [i.message_en for i in left_out]
    legacy_workbook = name.endswith(".xlsx") and (rendition.encoding or "").split(":")[-1] in ("tcvn3", "vni")
    assert bool(converted) == legacy_workbook
    assert all(i.total and i.severity.value == "warning" for i in converted)
    if rendition.encoding:
        assert table.encoding.endswith(rendition.encoding) or table.encoding == rendition.encoding


def test_paged_json_from_the_agency_api(tmp_path: Path, monkeypatch) -> None:
    server = AgencyApi(corpus.records())
    try:
        monkeypatch.setenv("AIRFLOW_CONN_SYT_API", json.dumps({"conn_type": "http", "host": server.url,
                                                               "password": "secret-token"}))
        rows = fetched(tmp_path, {"kind": "http", "conn_id": "syt_api", "path": "/api/records", "records_path": "data",
                                  "auth": {"header": "Authorization", "prefix": "Bearer "},
                                  "pagination": {"style": "page", "size": 25}})
        assert len([p for p in server.requests if "page=" in p]) >= 5  # it really came in pages
    finally:
        server.close()
    assert differences(rows, corpus.CANONICAL) == []


def test_the_agency_database(tmp_path: Path, monkeypatch) -> None:
    db = corpus.sqlite_db(tmp_path / "agency.sqlite3")
    monkeypatch.setenv("AIRFLOW_CONN_SYT_DB", json.dumps({"conn_type": "sqlite", "host": str(db)}))
    rows = fetched(tmp_path, {"kind": "sql", "conn_id": "syt_db", "query": corpus.SQL_QUERY})
    assert differences(rows, corpus.CANONICAL) == []


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")  # no stray traceback on stderr
@pytest.mark.parametrize("name", list(BROKEN))
def test_every_broken_variant_gives_its_outcome(tmp_path: Path, name: str) -> None:
    case = BROKEN[name]
    if case.outcome == "unreadable":
        with pytest.raises(InputError) as err:
            normalise_bytes(tmp_path, name, case.data)
        assert case.message in str(err.value) and name in str(err.value)
        assert "Traceback" not in str(err.value)
        return
    table = normalise_bytes(tmp_path, name, case.data)
    rows = parquet_rows(table.parquet)
    if case.outcome == "rows":  # the lines refused, named with both counts; the rest exact
        refused = [i for i in table.issues if case.message in i.message_en]
        assert [i.row for i in refused] == list(case.lines)
        kept = [r for n, r in enumerate(corpus.CANONICAL, 2) if n not in case.lines]
        assert differences(rows, kept) == []
    elif case.outcome == "type":  # the impossible date is a type failure of its cell, every other cell exact
        assert table.type_failures == {case.column: 1}
        bad = [i for i in table.issues if i.column == case.column]
        assert [(i.row, i.value) for i in bad] == [(case.lines[0], case.message)]
        expected = [dict(r, **({case.column: None} if n in case.lines else {})) for n, r in enumerate(corpus.CANONICAL, 2)]
        assert differences(rows, expected) == []
    else:  # a column outside the spec: a warning naming it, not published, the table exact
        assert [i.severity for i in table.issues] == [Severity.warning]
        assert case.message in table.issues[0].message_vi + table.issues[0].message_en
        assert differences(rows, corpus.CANONICAL) == [] and "Ghi chú" not in pq.read_schema(table.parquet).names
