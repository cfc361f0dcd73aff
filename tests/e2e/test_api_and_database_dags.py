"""An agency API and an agency database, each through its DAG onto the real local CKAN."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
import requests
from agency_api import AgencyApi

from opendata.spec import load_registry
from tests.factories import ROOT

pytestmark = [pytest.mark.portal, pytest.mark.airflow]
REGISTRY = load_registry(ROOT / "include" / "datasets")
SAMPLES = ROOT / "include" / "samples" / "danang"


def run(key: str):
    from opendata.airflow.dag_builder import dag_id_for
    from opendata.airflow.local_run import load_dag_module, run_dag

    module = load_dag_module(ROOT / "dags" / "opendata_datasets.py")
    return run_dag(getattr(module, dag_id_for(REGISTRY.datasets[key])))


def published_rows(portal, name: str) -> list[dict]:
    pkg = portal.get("package_show", id=name)
    resource = next(r for r in pkg["resources"] if r["format"] == "CSV")
    return list(csv.DictReader(io.StringIO(requests.get(resource["url"], timeout=30).content.decode("utf-8"))))


def purge(portal, name: str) -> None:
    if portal.get("package_show", id=name) is not None:
        portal.action("dataset_purge", id=name)


def test_the_accommodation_api_is_paged_through_and_published(portal, pipeline_env, monkeypatch) -> None:
    spec = REGISTRY.datasets["danang.svhttdl.accommodation"]
    records = json.loads((SAMPLES / "svhttdl" / "accommodation" / "api-records.json").read_text(encoding="utf-8"))
    api = AgencyApi(records, token="tok-svhttdl")
    monkeypatch.setenv("AIRFLOW_CONN_DANANG_SVHTTDL_API", json.dumps({"conn_type": "http", "host": api.url,
                                                                       "password": "tok-svhttdl"}))
    purge(portal, spec.ckan_name)
    try:
        result = run(spec.key)
    finally:
        api.close()
    assert result.outcome == "published", result.task_states
    assert len(api.requests) == -(-len(records) // spec.source.pagination.size)  # every page, once
    rows = published_rows(portal, spec.ckan_name)
    assert [r["code"] for r in rows] == [r["Mã cơ sở"] for r in records]


def test_the_clinics_database_is_read_incrementally(portal, pipeline_env, monkeypatch, tmp_path: Path) -> None:
    spec = REGISTRY.datasets["danang.syt.clinics"]
    db = tmp_path / "syt.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.executescript((SAMPLES / "syt" / "clinics" / "syt-database.sql").read_text(encoding="utf-8"))
    monkeypatch.setenv("AIRFLOW_CONN_DANANG_SYT_DB", json.dumps({"conn_type": "sqlite", "host": str(db)}))
    purge(portal, spec.ckan_name)
    assert run(spec.key).outcome == "published"
    assert len(published_rows(portal, spec.ckan_name)) == 140
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE phong_kham SET ten = 'Phòng khám Đa khoa Hòa Khánh', updated_seq = 141 WHERE ma = 'PK0001'")
        conn.execute("INSERT INTO phong_kham VALUES ('PK0141', 'Phòng khám Nhi Sơn Trà', '12 Lê Duẩn', 'Phường Sơn Trà', "
                     "'Nhi', '123/ĐN-GPHĐ', '2026-11-01', 142)")
    second = run(spec.key)
    assert second.outcome == "published" and second.returns["fetch"]["meta"]["rows"] == 2  # only the change was read
    rows = {r["code"]: r for r in published_rows(portal, spec.ckan_name)}
    assert len(rows) == 141 and rows["PK0001"]["name"] == "Phòng khám Đa khoa Hòa Khánh" and "PK0141" in rows
