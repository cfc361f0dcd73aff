from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from agency_api import AgencyApi

from opendata.exceptions import SourceError, TransientError
from opendata.pipeline import stages
from opendata.pipeline.context import RunContext
from opendata.pipeline.state import DatasetState
from opendata.settings import PathSettings, Settings
from opendata.sources.connections import from_environment
from tests.factories import small_spec

HOTELS = [{"Mã": f"PK{i:03d}", "Tên phòng khám": f"Phòng khám số {i}", "Số giường": i % 50} for i in range(1, 24)]


@pytest.fixture()
def ctx(tmp_path: Path) -> RunContext:
    settings = Settings(paths=PathSettings(data=tmp_path / "data"))
    return RunContext(settings, "test-run", datetime(2026, 11, 22, 9, 0, tzinfo=UTC))


@pytest.fixture()
def api(monkeypatch):
    server = AgencyApi(HOTELS)
    conn = {"conn_type": "http", "host": server.url, "password": "secret-token"}
    monkeypatch.setenv("AIRFLOW_CONN_AGENCY_API", json.dumps(conn))
    yield server
    server.close()


def http_spec(**source):
    return small_spec(source={"kind": "http", "conn_id": "agency_api", "path": "/api/records", "records_path": "data",
                              "auth": {"header": "Authorization", "prefix": "Bearer "}, "retries": 2, **source})


@pytest.mark.parametrize(
    "pagination",
    [{"style": "page", "size": 10}, {"style": "offset", "offset_param": "offset", "size_param": "limit", "size": 7},
     {"style": "next_link", "next_path": "links.next"}, {"style": "none"}],
)
def test_http_pages_are_archived_as_they_came_and_read_as_one_table(ctx, api, pagination) -> None:
    spec = http_spec(pagination=pagination)
    archived = stages.fetch_and_archive(spec, ctx)
    table = stages.normalise(spec, ctx, archived)
    codes = pq.read_table(table.parquet).column("code").to_pylist()
    assert codes == [h["Mã"] for h in HOTELS]
    if pagination["style"] in ("page", "offset"):
        assert archived.original_name.endswith(".bundle.json")
        bundle = json.loads(Path(archived.path).read_text())
        assert len(bundle["pages"]) >= 3
        first_page = json.loads(Path(bundle["pages"][0]).read_bytes())
        assert first_page["data"][0]["Mã"] == "PK001"  # the page itself, unchanged, in the archive
        assert all(Path(p).parent.parent.name == "objects" for p in bundle["pages"])


def test_http_csv(ctx, api) -> None:
    spec = http_spec(path="/api/records.csv", format="csv", pagination={"style": "page", "size": 10})
    table = stages.normalise(spec, ctx, stages.fetch_and_archive(spec, ctx))
    assert table.rows == len(HOTELS)


def test_a_refused_token_is_a_clear_terminal_error(ctx, api, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_AGENCY_API", json.dumps({"conn_type": "http", "host": api.url, "password": "wrong"}))
    with pytest.raises(SourceError, match="HTTP 401: the token was refused") as err:
        stages.fetch_and_archive(http_spec(), ctx)
    assert "wrong" not in str(err.value)


def test_server_errors_are_retried_then_transient(ctx, api) -> None:
    api.fail_first = 2  # fewer than the retries: succeeds
    assert stages.fetch_and_archive(http_spec(), ctx) is not None
    api.fail_first = 10
    with pytest.raises(TransientError, match="503"):
        stages.fetch_and_archive(http_spec(), ctx)


def test_a_missing_connection_names_the_variable(ctx) -> None:
    with pytest.raises(SourceError, match="AIRFLOW_CONN_NOWHERE"):
        stages.fetch_and_archive(http_spec(conn_id="nowhere"), ctx)


def test_uri_connections_parse_like_airflows() -> None:
    import os

    os.environ["AIRFLOW_CONN_X_DB"] = "postgres://reader:p%40ss@db.danang.gov.vn:5432/yte"
    try:
        conn = from_environment("x_db")
        fields = (conn.conn_type, conn.host, conn.port, conn.schema, conn.login)
        assert fields == ("postgres", "db.danang.gov.vn", 5432, "yte", "reader")
        assert conn.password.get_secret_value() == "p@ss" and "p@ss" not in repr(conn)
        assert conn.sqlalchemy_url() == "postgresql+psycopg2://reader:p%40ss@db.danang.gov.vn:5432/yte"
    finally:
        del os.environ["AIRFLOW_CONN_X_DB"]


# ------------------------------------------------------------------ SQL


@pytest.fixture()
def clinic_db(tmp_path: Path, monkeypatch) -> Path:
    db = tmp_path / "syt.sqlite3"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE phong_kham (ma TEXT PRIMARY KEY, ten TEXT, so_giuong INTEGER, cap_nhat INTEGER)")
        c.executemany("INSERT INTO phong_kham VALUES (?, ?, ?, ?)",
                      [(f"PK{i:03d}", f"Phòng khám số {i}", i, i) for i in range(1, 11)])
    monkeypatch.setenv("AIRFLOW_CONN_SYT_DB", json.dumps({"conn_type": "sqlite", "host": str(db)}))
    return db


def sql_spec(**source):
    query = 'SELECT ma AS "Mã", ten AS "Tên phòng khám", so_giuong AS "Số giường", cap_nhat FROM phong_kham'
    spec = small_spec(source={"kind": "sql", "conn_id": "syt_db", "query": query, **source})
    cols = [c.model_dump() for c in spec.columns] + [{"name": "cap_nhat", "label": {"vi": "cap_nhat"}, "type": "integer"}]
    return small_spec(source=spec.source.model_dump(), columns=cols)


def test_sql_full_query(ctx, clinic_db) -> None:
    spec = sql_spec()
    table = stages.normalise(spec, ctx, stages.fetch_and_archive(spec, ctx))
    assert table.rows == 10


def test_sql_incremental_by_watermark_merges_by_key(ctx, clinic_db) -> None:
    spec = sql_spec(watermark_column="cap_nhat")
    first = stages.normalise(spec, ctx, stages.fetch_and_archive(spec, ctx))
    assert first.rows == 10 and first.meta["watermark"] == 10
    DatasetState.load(ctx, spec).published(ctx, spec, first.parquet, first.meta)  # as publish does
    with sqlite3.connect(clinic_db) as c:
        c.execute("UPDATE phong_kham SET so_giuong = 99, cap_nhat = 11 WHERE ma = 'PK003'")
        c.execute("INSERT INTO phong_kham VALUES ('PK011', 'Phòng khám mới', 5, 12)")
    second_raw = stages.fetch_and_archive(spec, ctx)
    assert json.loads(Path(second_raw.path).read_text())["records"].__len__() == 2  # only what changed
    second = stages.normalise(spec, ctx, second_raw)
    merged = {r["code"]: r["beds"] for r in pq.read_table(second.parquet).to_pylist()}
    assert second.rows == 11 and merged["PK003"] == 99 and merged["PK011"] == 5 and merged["PK001"] == 1


def test_a_failed_run_does_not_move_the_watermark(ctx, clinic_db) -> None:
    spec = sql_spec(watermark_column="cap_nhat")
    stages.fetch_and_archive(spec, ctx)  # fetched but never published
    again = stages.fetch_and_archive(spec, ctx)
    assert again.meta["previous_watermark"] is None and again.meta["rows"] == 10


def test_a_broken_query_is_a_clear_error(ctx, clinic_db) -> None:
    spec = sql_spec(query="SELECT nothing FROM nowhere_table")
    with pytest.raises(SourceError, match="the query failed"):
        stages.fetch_and_archive(spec, ctx)


def test_no_new_rows_past_the_watermark_is_no_delivery(ctx, clinic_db) -> None:
    spec = sql_spec(watermark_column="cap_nhat")
    first = stages.normalise(spec, ctx, stages.fetch_and_archive(spec, ctx))
    DatasetState.load(ctx, spec).published(ctx, spec, first.parquet, first.meta)
    assert stages.fetch_and_archive(spec, ctx) is None
