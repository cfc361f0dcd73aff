"""One dataset from an agency's drop, through its Airflow DAG and the GX gate, onto the real local CKAN."""

from __future__ import annotations

import csv
import io
import os
import shutil
import time
from pathlib import Path

import pytest
import requests

from tests.factories import SAMPLE_DROP, rain_spec

pytestmark = [pytest.mark.portal, pytest.mark.airflow]

SPEC = rain_spec()
NAME = SPEC.ckan_name


def drop(data: Path, source: Path, name: str | None = None) -> Path:
    folder = data / "dropzone" / SPEC.city / SPEC.agency / SPEC.id
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or source.name)
    shutil.copy(source, target)
    old = time.time() - 60
    os.utime(target, (old, old))
    return target


def run_dataset_dag():
    from opendata.airflow.dag_builder import dag_id_for
    from opendata.airflow.local_run import load_dag_module, run_dag

    module = load_dag_module(Path(__file__).resolve().parents[2] / "dags" / "opendata_datasets.py")
    return run_dag(getattr(module, dag_id_for(SPEC)))


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def download(portal, resource: dict) -> str:
    r = requests.get(resource["url"], timeout=30)
    r.raise_for_status()
    return r.content.decode("utf-8")


@pytest.fixture()
def published(portal, pipeline_env):
    """Start from nothing: purge the dataset, drop the sample, run the DAG."""
    if portal.get("package_show", id=NAME) is not None:
        portal.action("dataset_purge", id=NAME)
    drop(pipeline_env, SAMPLE_DROP)
    run = run_dataset_dag()
    return run


def test_the_dag_publishes_the_drop_and_the_api_gives_back_the_same_rows(portal, published) -> None:
    assert published.state == "success", published.task_states
    assert published.outcome == "published"
    pkg = portal.get("package_show", id=NAME)
    assert pkg["title"] == SPEC.title.vi
    assert pkg["organization"]["name"] == "danang-snnmt"
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    assert extras["quality_overall"] == "100.0" and len(extras["archive_sha256"]) == 64
    [resource] = [r for r in pkg["resources"] if r["name"] == f"{SPEC.id}.csv"]
    published_rows = rows_of(download(portal, resource))
    dropped_rows = rows_of(SAMPLE_DROP.read_text(encoding="utf-8"))
    labels = {c.label.vi: c.name for c in SPEC.columns}
    expected = [{labels[k]: v for k, v in row.items()} for row in dropped_rows]
    assert published_rows == expected


def test_the_dataset_page_answers_and_shows_the_title(portal, published) -> None:
    r = requests.get(f"{portal.url}/dataset/{NAME}", timeout=30)
    assert r.status_code == 200
    assert SPEC.title.vi in r.text
    assert f"{SPEC.id}.csv" in r.text


def test_a_drop_that_fails_validation_leaves_the_portal_unchanged(portal, published, pipeline_env, smtp_sink) -> None:
    before = portal.settle(NAME)
    csv_before = download(portal, before["resources"][0])
    text = SAMPLE_DROP.read_text(encoding="utf-8").splitlines()
    text[5] = text[5].replace(",15.", ",21.", 1)  # a latitude in Hà Nội, outside the city (row 6)
    text[9] = text[9].replace("Hoạt động", "Đang hỏng").replace("Bảo trì", "Đang hỏng").replace("Ngừng hoạt động", "Đang hỏng")
    bad = pipeline_env / "bad.csv"
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    drop(pipeline_env, bad, "tram-do-mua-sai.csv")

    run = run_dataset_dag()

    assert run.state == "failed" and run.outcome == "quarantined"
    assert run.task_states["publish"] == "upstream_failed"
    after = portal.get("package_show", id=NAME)
    assert after["metadata_modified"] == before["metadata_modified"]
    assert after["resources"] == before["resources"]
    assert download(portal, after["resources"][0]) == csv_before
    # the rejected delivery is kept: raw bytes in the archive, scorecard in quarantine naming the rows
    quarantined = list((pipeline_env / "quarantine").rglob("scorecard.json"))
    assert len(quarantined) == 1
    import json

    card = json.loads(quarantined[0].read_text())
    assert {(i["row"], i["column"]) for i in card["issues"]} >= {(6, "latitude"), (10, "status")}
    archived = [p for p in (pipeline_env / "archive" / "objects").rglob("*") if p.is_file()]
    assert any(p.read_bytes() == bad.read_bytes() for p in archived)
    # the agency's receipt, next to its drop and in its mailbox, names the row and the column
    folder = pipeline_env / "dropzone" / SPEC.city / SPEC.agency / SPEC.id
    [receipt] = folder.glob("*tram-do-mua-sai.receipt.md")
    text = receipt.read_text(encoding="utf-8")
    assert "BỊ TỪ CHỐI / REJECTED" in text and "| 6 | latitude |" in text and "| 10 | status |" in text
    [mail] = smtp_sink
    assert mail["To"] == "snnmt@danang.gov.vn" and "rejected" in mail["Subject"]


def test_the_same_bytes_again_are_recognised_and_not_processed(portal, published, pipeline_env) -> None:
    before = portal.settle(NAME)
    drop(pipeline_env, SAMPLE_DROP, "tram-do-mua-gui-lai.csv")
    run = run_dataset_dag()
    assert run.outcome == "repeat" and run.task_states["normalise"] == "skipped"
    assert portal.get("package_show", id=NAME)["metadata_modified"] == before["metadata_modified"]
    manifest = (pipeline_env / "archive" / "manifest.jsonl").read_text().splitlines()
    assert len(manifest) == 2  # both deliveries recorded, one object kept


def test_the_same_data_in_other_bytes_is_not_uploaded_again(portal, published, pipeline_env) -> None:
    before = portal.settle(NAME)
    resaved = pipeline_env / "resaved.csv"
    resaved.write_bytes(b"\xef\xbb\xbf" + SAMPLE_DROP.read_bytes().replace(b"\n", b"\r\n"))  # Excel's BOM and CRLF
    drop(pipeline_env, resaved, "tram-do-mua-luu-lai.csv")
    run = run_dataset_dag()
    assert run.outcome == "unchanged"
    after = portal.get("package_show", id=NAME)
    assert after["resources"][0]["last_modified"] == before["resources"][0]["last_modified"]


def test_changed_data_updates_in_place_and_the_token_is_never_printed(portal, published, pipeline_env,
                                                                      capfd, caplog) -> None:
    before = portal.settle(NAME)
    text = SAMPLE_DROP.read_text(encoding="utf-8").replace("DN-RG-0001,Trạm đo mưa", "DN-RG-0001,Trạm quan trắc mưa")
    changed = pipeline_env / "changed.csv"
    changed.write_text(text, encoding="utf-8")
    drop(pipeline_env, changed, "tram-do-mua-cap-nhat.csv")
    caplog.set_level("DEBUG")

    run = run_dataset_dag()

    assert run.outcome == "published" and run.returns["publish"]["outcome"] == "updated"
    after = portal.get("package_show", id=NAME)
    assert [r["id"] for r in after["resources"]] == [r["id"] for r in before["resources"]]
    assert rows_of(download(portal, after["resources"][0]))[0]["station_name"].startswith("Trạm quan trắc mưa")
    out, err = capfd.readouterr()
    assert "updated" in out + err + caplog.text  # the run did log its work
    assert portal.token not in out + err + caplog.text


def test_a_delivery_with_warnings_only_is_published_with_its_warnings(portal, published, pipeline_env) -> None:
    text = SAMPLE_DROP.read_text(encoding="utf-8").replace(",2026-11-14,", ",2015-01-01,", 1)  # calibrated before installed
    warned = pipeline_env / "warned.csv"
    warned.write_text(text, encoding="utf-8")
    drop(pipeline_env, warned, "tram-do-mua-canh-bao.csv")
    run = run_dataset_dag()
    assert run.outcome == "published", run.task_states
    extras = {e["key"]: e["value"] for e in portal.get("package_show", id=NAME)["extras"]}
    assert int(extras["quality_warnings"]) >= 1 and float(extras["quality_dung"]) < 100  # one row of 83: a small dent
    page = requests.get(f"{portal.url}/dataset/{NAME}", timeout=30).text
    assert "quality_warnings" in page and "quality_overall" in page
