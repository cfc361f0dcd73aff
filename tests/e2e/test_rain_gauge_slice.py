"""One dataset from an agency's drop, through its Airflow DAG and the GX gate, onto the real local CKAN."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from opendata.publish.mapping import page_fields
from tests.factories import ROOT, SAMPLE_DROP, rain_spec

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


def typed(row: dict[str, str]) -> dict:
    """A CSV row as values, so '641.0' in the drop and 641 from the portal compare equal."""
    kinds = {c.name: c.type.value for c in SPEC.columns}
    return {k: (float(v) if kinds[k] in ("number", "integer") and v != "" else v) for k, v in row.items() if k != "_id"}


def test_the_dag_publishes_the_drop_and_the_api_gives_back_the_same_rows(portal, published) -> None:
    assert published.state == "success", published.task_states
    assert published.outcome == "published"
    pkg = portal.get("package_show", id=NAME)
    assert pkg["title"] == SPEC.title.vi
    assert pkg["organization"]["name"] == "danang-snnmt"
    assert [g["name"] for g in pkg["groups"]] == [SPEC.domain.value]
    fields = page_fields(pkg)
    assert fields["quality_overall"] == "100.0" and len(fields["archive_sha256"]) == 64
    assert fields["refresh_state"] == "fresh" and fields["days_since_refresh"] == "0"
    assert fields["update_frequency"] == "quarterly"
    assert sorted(r["opendata_role"] for r in pkg["resources"]) == ["data", "parquet", "report"]
    data = portal.resource(pkg, "data")
    assert data["url_type"] == "datastore" and data["format"] == "CSV" and data["datastore_active"]
    dropped_rows = rows_of(SAMPLE_DROP.read_text(encoding="utf-8"))
    labels = {c.label.vi: c.name for c in SPEC.columns}
    expected = [typed({labels[k]: v for k, v in row.items()}) for row in dropped_rows]
    assert [typed(r) for r in rows_of(download(portal, data))] == expected  # the CSV download
    # the DataStore API, with the spec's types (xloader would give text) and the data dictionary
    info = portal.get("datastore_search", resource_id=data["id"], limit=0)
    types = {f["id"]: f["type"] for f in info["fields"]}
    assert types["latitude"] == "float8" and types["ward_code"] == "int8" and types["installed_on"] == "date"
    assert info["total"] == len(expected)
    labelled = {f["id"]: f.get("info", {}).get("label") for f in info["fields"]}
    assert labelled["station_code"].startswith("Mã trạm")
    found = portal.get("datastore_search", resource_id=data["id"], q="Hòa Khánh")["records"]  # full-text search works
    assert found and all("Hòa Khánh" in r["station_name"] + r["ward"] for r in found)
    views = portal.get("resource_view_list", id=data["id"])
    assert "datatables_view" in [v["view_type"] for v in views]


def test_the_dataset_page_answers_and_shows_the_title(portal, published) -> None:
    r = requests.get(f"{portal.url}/dataset/{NAME}", timeout=30)
    assert r.status_code == 200
    assert SPEC.title.vi in r.text
    assert "Dữ liệu Parquet / Data as Parquet" in r.text and "Chất lượng / Quality: 100/100" in r.text


def test_a_drop_that_fails_validation_leaves_the_portal_unchanged(portal, published, pipeline_env, smtp_sink) -> None:
    before = portal.settle(NAME)
    rows_before = portal.rows(portal.resource(before, "data")["id"])
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
    assert portal.rows(portal.resource(after, "data")["id"]) == rows_before
    # the rejected delivery is kept: raw bytes in the archive, scorecard in quarantine naming the rows
    quarantined = list((pipeline_env / "quarantine").rglob("scorecard.json"))
    assert len(quarantined) == 1
    import json

    card = json.loads(quarantined[0].read_text())
    assert {(i["row"], i["column"]) for i in card["issues"]} >= {(6, "latitude"), (10, "status")}
    archived = [p for p in (pipeline_env / "archive" / "objects").rglob("*") if p.is_file()]
    assert any(p.read_bytes() == bad.read_bytes() for p in archived)
    # the agency's receipt, next to its drop and in its mailbox, names the row and the column
    folder = pipeline_env / "dropzone" / SPEC.city / SPEC.agency / SPEC.id / "receipts"
    [receipt] = folder.glob("*tram-do-mua-sai.receipt.md")
    text = receipt.read_text(encoding="utf-8")
    assert "BỊ TỪ CHỐI / REJECTED" in text and "| 6 | latitude |" in text and "| 10 | status |" in text
    [mail] = smtp_sink
    assert mail["To"] == "snnmt@danang.gov.vn" and "rejected" in mail["Subject"]


def test_hostile_drops_are_quarantined_at_once_without_retries(portal, published, pipeline_env) -> None:
    """Issue 11, point 5 in a DAG run: a file of NUL bytes and one of 10,000 columns each end as an
    unreadable delivery on its first try (no retry loop), with a receipt; the portal is unchanged."""
    before = portal.settle(NAME)
    text = SAMPLE_DROP.read_bytes()
    header, _, body = text.partition(b"\n")
    for name, data in (("nul.csv", text[:200] + b"\x00" + text[200:]),
                       ("wide.csv", header + b"," + b",".join(b"c%d" % i for i in range(10_000)) + b"\n" + body)):
        hostile = pipeline_env / name
        hostile.write_bytes(data)
        drop(pipeline_env, hostile, f"tram-do-mua-{name}")
        run = run_dataset_dag()
        assert run.state == "failed" and run.outcome == "unreadable", run.task_states
        assert run.tries["normalise"] == 1 and run.task_states["normalise"] == "failed"
    receipts = sorted((pipeline_env / "dropzone" / SPEC.city / SPEC.agency / SPEC.id / "receipts").glob("*nul.receipt.md"))
    assert receipts and "NUL" in receipts[-1].read_text(encoding="utf-8")
    assert portal.get("package_show", id=NAME)["metadata_modified"] == before["metadata_modified"]


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
    stamps = ("last_modified", "metadata_modified", "size", "url")
    assert [{k: r.get(k) for k in stamps} for r in after["resources"]] == \
        [{k: r.get(k) for k in stamps} for r in before["resources"]]
    old, new = (page_fields(p) for p in (before, after))
    assert new["last_checked_at"] > old["last_checked_at"] and new["last_refreshed_at"] == old["last_refreshed_at"]


def test_changed_data_updates_in_place_and_no_token_is_printed(portal, published, pipeline_env, agency_connections,
                                                                capfd, caplog) -> None:
    import json

    before = portal.settle(NAME)
    text = SAMPLE_DROP.read_text(encoding="utf-8").replace("DN-RG-0001,Trạm đo mưa", "DN-RG-0001,Trạm quan trắc mưa")
    text = text.replace("\nDN-RG-0083,", "\nDN-RG-0084,")  # one station closed, another opened
    changed = pipeline_env / "changed.csv"
    changed.write_text(text, encoding="utf-8")
    drop(pipeline_env, changed, "tram-do-mua-cap-nhat.csv")
    caplog.set_level("DEBUG")

    run = run_dataset_dag()

    assert run.outcome == "published" and run.returns["publish"]["outcome"] == "updated"
    # only the changed and the new row went to the DataStore; the vanished one was deleted
    assert run.returns["publish"]["datastore"] | {"seconds": 0} == {"mode": "changes", "rows_sent": 2, "rows_deleted": 1,
                                                                    "seconds": 0}
    after = portal.get("package_show", id=NAME)
    assert [r["id"] for r in after["resources"]] == [r["id"] for r in before["resources"]]
    rows = portal.rows(portal.resource(after, "data")["id"], sort="station_code")
    assert rows[0]["station_name"].startswith("Trạm quan trắc mưa") and len(rows) == 83
    assert rows[-1]["station_code"] == "DN-RG-0084" and "DN-RG-0083" not in {r["station_code"] for r in rows}
    out, err = capfd.readouterr()
    logs = out + err + caplog.text
    assert "updated" in logs  # the run did log its work
    tokens = [portal.token] + [json.loads(v)["password"] for v in agency_connections.values()]
    assert not [t for t in tokens if t in logs]


def test_a_delivery_with_warnings_only_is_published_with_its_warnings(portal, published, pipeline_env) -> None:
    text = SAMPLE_DROP.read_text(encoding="utf-8").replace(",2026-11-14,", ",2015-01-01,", 1)  # calibrated before installed
    warned = pipeline_env / "warned.csv"
    warned.write_text(text, encoding="utf-8")
    drop(pipeline_env, warned, "tram-do-mua-canh-bao.csv")
    run = run_dataset_dag()
    assert run.outcome == "published", run.task_states
    pkg = portal.get("package_show", id=NAME)
    fields = page_fields(pkg)
    assert int(fields["quality_warnings"]) >= 1 and float(fields["quality_dung"]) < 100  # one row of 83: a small dent
    page = requests.get(f"{portal.url}/dataset/{NAME}", timeout=30).text
    assert f"Đúng / correct {fields['quality_dung']}" in page
    assert f"Cảnh báo / Warnings</dt><dd>{fields['quality_warnings']}" in page  # in the quality panel
    report = requests.get(portal.resource(pkg, "report")["url"], timeout=30).content.decode()
    assert "Cảnh báo / warning" in report


def chromium(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "Debian's chromium is not installed: make system-deps installs it"
    return subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--lang=vi",
                           "--window-size=1280,1800", *args], capture_output=True, text=True, timeout=timeout)


def test_the_dataset_page_in_a_browser_shows_title_resources_and_scores(portal, published, tmp_path: Path) -> None:
    url = f"{portal.url}/dataset/{NAME}"
    dom = chromium("--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    pkg = portal.get("package_show", id=NAME)
    assert SPEC.title.vi in html and "Sở Nông nghiệp và Môi trường" in html
    for resource in pkg["resources"]:
        assert resource["name"] in html
    assert "Chất lượng / Quality: 100/100" in html and "Sạch / clean 100" in html
    panel = html.split('id="opendata-quality"', 1)[1].split("</section>", 1)[0]  # the quality panel, not raw extras
    assert 'data-overall="100"' in panel and panel.count("data-dimension=") == 4
    assert 'data-refresh="fresh"' in panel and "mới / fresh" in panel and "hằng quý / quarterly" in panel
    info_table = html.split("additional-info", 1)[1]  # scheming's table: the schema's labels, in Vietnamese
    assert "Tên tiếng Anh" in info_table and SPEC.title.en in info_table and "Dữ liệu mở" in info_table
    assert "Dấu vân tay nội dung" not in info_table and "quality_overall" not in info_table  # in the panel instead
    assert pkg["quality_overall"] == "100.0" and not pkg.get("extras")  # typed fields in the API, no free extras
    schema = portal.get("scheming_dataset_schema_show", type="dataset")  # the schema the portal serves
    assert {"refresh_state", "quality_band", "mqa_score"} <= {f["field_name"] for f in schema["dataset_fields"]}
    search = requests.get(f"{portal.url}/dataset/", timeout=30).text  # the facets a visitor narrows by
    assert "Tình trạng cập nhật / Refresh" in search and "Chất lượng / Quality" in search
    assert "refresh_state=fresh" in search and "quality_band=high" in search
    assert "Lĩnh vực / Domain" in search and f"groups={SPEC.domain.value}" in search
    shot = tmp_path / "dataset-page.png"
    out = chromium(f"--screenshot={shot}", url)
    assert out.returncode == 0 and shot.stat().st_size > 20_000, out.stderr[-2000:]
    keep = ROOT / ".dev" / "test-output"  # beside the test's tmp_path, where a person looks after a run
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, keep / "dataset-page.png")


def test_the_publish_stage_alone_from_the_cli(portal, published, pipeline_env, tmp_path: Path, monkeypatch, capsys) -> None:
    from opendata.cli import main

    capsys.readouterr()
    assert main(["publish", "--dataset", SPEC.id]) == 0
    assert "unchanged" in capsys.readouterr().out  # the DAG published this very delivery already
    monkeypatch.setenv("OPENDATA__PATHS__DATA", str(tmp_path / "empty"))
    assert main(["publish", "--dataset", SPEC.id]) == 1
    assert "no accepted delivery" in capsys.readouterr().out


def test_the_portals_catalogue_ttl_parses_and_passes_the_dcat_ap_3_shapes(portal, published, tmp_path: Path,
                                                                          monkeypatch) -> None:
    """catalog.ttl from ckanext-dcat (euro_dcat_ap_3 + the portal's opendata_vn profile), as the national
    portal harvests it, through `opendata catalogue dcat`: it parses, conforms to SEMIC's DCAT-AP 3 SHACL
    shapes with no violation, and says what the spec says; and the shapes do bite (a copy without the
    title fails)."""
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import DCAT, DCTERMS

    from opendata.cli import main
    from opendata.publish.catalogue import dataset_node, shacl_violations

    monkeypatch.setenv("OPENDATA__CKAN__URL", portal.url)
    out = tmp_path / "catalog.ttl"
    assert main(["catalogue", "dcat", "--out", str(out)]) == 0
    graph = Graph().parse(out, format="turtle")
    assert shacl_violations(graph) == []
    rain = dataset_node(graph, SPEC.key)
    assert rain is not None and (None, DCAT.dataset, rain) in graph
    eu = "http://publications.europa.eu/resource/authority/"
    assert graph.value(rain, DCTERMS.accrualPeriodicity) == URIRef(eu + "frequency/QUARTERLY")
    assert graph.value(rain, DCAT.theme) == URIRef(eu + "data-theme/ENVI")
    assert {t.language for t in graph.objects(rain, DCTERMS.title)} == {"vi", "en"}
    assert Literal(SPEC.title.vi, lang="vi") in set(graph.objects(rain, DCTERMS.title))
    publisher = graph.value(rain, DCTERMS.publisher)
    assert str(graph.value(publisher, URIRef("http://xmlns.com/foaf/0.1/name"))) == "Sở Nông nghiệp và Môi trường"
    distributions = list(graph.objects(rain, DCAT.distribution))
    assert len(distributions) == 3
    for dist in distributions:
        assert requests.get(str(graph.value(dist, DCAT.accessURL)), timeout=30).status_code == 200
    assert URIRef(eu + "file-type/CSV") in {graph.value(d, DCTERMS["format"]) for d in distributions}

    untitled = Graph() + graph
    untitled.remove((rain, DCTERMS.title, None))
    assert any("title" in v for v in shacl_violations(untitled))


def test_the_scheduled_link_check_finds_every_download_answering(portal, published, pipeline_env) -> None:
    import json

    from opendata.airflow.local_run import load_dag_module, run_dag

    module = load_dag_module(ROOT / "dags" / "opendata_platform.py")
    run = run_dag(module.link_check)
    assert run.state == "success", run.task_states
    summary = run.returns["check_links"]
    assert summary["datasets"] >= 1 and NAME.startswith("danang") and SPEC.key not in summary["broken"]
    report = json.loads(Path(summary["report"]).read_text())
    mine = [r for r in report["results"] if r["dataset"] == SPEC.key]
    assert len(mine) == 3 and all(r["ok"] and r["status"] == 200 for r in mine)


def test_a_page_deleted_on_the_portal_is_left_out_of_the_link_check_not_fatal(portal, published, pipeline_env) -> None:
    """A deleted (not purged) dataset answers 'not authorized' to the public: the link check goes on
    without it instead of failing for every other dataset."""
    import json
    from datetime import UTC, datetime

    from opendata.pipeline.platform import check_links
    from opendata.settings import load_settings

    portal.action("package_delete", id=NAME)
    assert portal.get("package_show", id=NAME) is None  # the public is refused it
    try:
        summary = check_links(load_settings(), portal.url, datetime.now(UTC))
        report = json.loads(Path(summary["report"]).read_text())
        assert not [r for r in report["results"] if r["dataset"] == SPEC.key]
    finally:
        portal.action("package_patch", id=NAME, state="active")  # as it was, for the tests after this one
    assert portal.get("package_show", id=NAME)["state"] == "active"
