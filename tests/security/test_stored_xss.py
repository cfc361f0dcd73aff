"""Class 9: agency text (cells, a file's name) is text in every HTML page the platform writes or serves:
its quality report and receipt, Great Expectations' Data Docs, the stewards' dashboard, and the portal's
pages (the dataset page with its quality panel, the data preview, the published report), looked at in
Chromium, where a payload that ran would have changed the page's title. The dashboard and the reports
carry a Content-Security-Policy that allows no script and only their own stylesheet."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from fastapi.testclient import TestClient

from opendata import ledger
from opendata.exceptions import QualityGateFailed
from opendata.pipeline import stages
from opendata.pipeline.context import RunContext
from opendata.settings import IntakeSettings, PathSettings, Settings
from tests.corpus.make_corpus import _csv, _rows
from tests.factories import ROOT, rain_spec

RAN = "pwned"  # what the payloads write into document.title if they ever run
PAYLOADS = [f"<img src=x onerror=\"document.title='{RAN}'\">Trạm A", f"</script><script>document.title='{RAN}'</script>",
            f"<svg onload=\"document.title='{RAN}'\">", f"\"><iframe srcdoc=\"<script>parent.document.title='{RAN}'</script>\">"]
HOSTILE_NAME = "tram<b onmouseover=alert(1)>.csv"
SPEC = rain_spec()


def hostile_rows(in_key: bool) -> list[list[str]]:
    rows = _rows()
    for i, payload in enumerate(PAYLOADS):
        rows[i + 1][1] = payload  # the station's name: free text, accepted by the gate
    if in_key:
        rows[5][0] = PAYLOADS[0]  # the station code has a pattern: the rejection lists the value
    return rows


def style_hashes(page: str) -> set[str]:
    return {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
            for s in re.findall(r"<style>(.*?)</style>", page, re.S)}


def assert_policy(policy: str, page: str) -> None:
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy and "script-src" not in policy
    assert style_hashes(page) and all(h in policy for h in style_hashes(page))


def assert_inert(page: str) -> None:
    """No payload became markup: each is there only as escaped text."""
    for payload in PAYLOADS:
        assert payload not in page
    assert "onerror=&quot;document.title" in page or "onerror=\"document.title" not in page
    assert not re.search(r"<(script|svg|iframe|img)\b[^>]*(onerror|onload|srcdoc)", page, re.I)


def test_the_report_the_receipt_and_the_data_docs_escape_agency_text(tmp_path: Path) -> None:
    ctx = RunContext(Settings(paths=PathSettings(data=tmp_path / "data"), intake=IntakeSettings(look_interval_s=0.05)),
                     "xss", datetime.now(UTC))
    folder = ctx.settings.paths.dropzone_root / SPEC.city / SPEC.agency / SPEC.id
    folder.mkdir(parents=True)
    dropped = folder / HOSTILE_NAME
    dropped.write_bytes(_csv(hostile_rows(in_key=True)))
    os.utime(dropped, (time.time() - 60, time.time() - 60))
    with pytest.raises(QualityGateFailed):
        stages.check(SPEC, ctx, stages.normalise(SPEC, ctx, stages.fetch_and_archive(SPEC, ctx)), 48)
    [report] = (ctx.data / "staging").rglob("*.quality.html")
    page = report.read_text(encoding="utf-8")
    assert_inert(page)
    assert "tram&lt;b onmouseover=alert(1)&gt;.csv" in page
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1).replace("&#x27;", "'")
    assert_policy(policy, page)
    docs = [p.read_text(encoding="utf-8") for p in (ctx.data / "docs").rglob("validations/**/*.html")]
    assert docs and "&lt;img src=x onerror=" in docs[0]  # GX shows the unexpected value, as text
    for page in docs:
        assert_inert(page)
    for receipt in (folder / "receipts").glob("*.receipt.md"):
        text = receipt.read_text(encoding="utf-8")
        assert "<img" not in text and "<script" not in text  # a Markdown viewer renders raw HTML


def test_the_dashboard_serves_every_page_with_the_policy_and_escapes_the_receipt(tmp_path: Path, monkeypatch) -> None:
    from opendata.quality.receipt import receipt_dict
    from opendata.ui.dashboard import create_app

    registry = tmp_path / "datasets"
    shutil.copytree(ROOT / "include" / "datasets", registry)
    monkeypatch.setenv("OPENDATA__PATHS__REGISTRY", str(registry))
    monkeypatch.setenv("OPENDATA__PATHS__DATA", str(tmp_path / "data"))
    receipt = tmp_path / "receipt.json"
    from opendata.issues import Dimension, RowIssue, Severity

    problems = [RowIssue(rule="type:number", dimension=Dimension.correct, severity=Severity.blocking, message_vi="x",
                         message_en="x", row=2 + i, column="station_name", value=p, total=len(PAYLOADS))
                for i, p in enumerate(PAYLOADS)]
    receipt.write_text(json.dumps(receipt_dict(SPEC.key, SPEC.title.vi, HOSTILE_NAME, False, {"dung": 50.0}, 50.0, problems,
                                               datetime.now(UTC).isoformat())), encoding="utf-8")
    engine = ledger.open_ledger(f"sqlite:///{tmp_path / 'data' / 'ledger.sqlite3'}")
    ledger.record_run(engine, {"run": "r1", "dataset": SPEC.key, "city": SPEC.city, "agency": SPEC.agency,
                               "at": datetime.now(UTC).isoformat(), "outcome": "published", "receipt": str(receipt),
                               "url": "javascript:alert(1)"})
    client = TestClient(create_app(auth=lambda: None))
    for path in ("/", f"/agency/{SPEC.agency}", f"/receipt/{SPEC.key}", "/?lang=en&city=danang"):
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text[:500])
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert_policy(answer.headers["content-security-policy"], answer.text)
        assert_inert(answer.text)
        assert "javascript:" not in answer.text  # a link that is not http(s) is not a link
    assert "tram&lt;b onmouseover=alert(1)&gt;.csv" in client.get(f"/receipt/{SPEC.key}").text
    assert "content-security-policy" in client.get("/api/kpi.json").headers  # the JSON answers too


def chromium_dom(url: str) -> str:
    exe = shutil.which("chromium")
    assert exe, "Debian's chromium is not installed: make system-deps installs it"
    out = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000",
                          "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.mark.portal
@pytest.mark.airflow
def test_on_the_portal_agency_text_stays_text_in_a_browser(portal, pipeline_env) -> None:
    from tests.e2e.test_rain_gauge_slice import drop, run_dataset_dag

    name = SPEC.ckan_name
    if portal.get("package_show", id=name) is not None:
        portal.action("dataset_purge", id=name)
    hostile = pipeline_env.parent / HOSTILE_NAME.replace("<", "").replace(">", "")
    hostile.write_bytes(_csv(hostile_rows(in_key=False)))
    drop(pipeline_env, hostile, HOSTILE_NAME)
    run = run_dataset_dag()
    assert run.outcome == "published", run.task_states
    pkg = portal.get("package_show", id=name)
    data = portal.resource(pkg, "data")
    rows = portal.rows(data["id"])
    assert PAYLOADS[0] in {r["station_name"] for r in rows}  # published exactly as delivered: it is data
    views = portal.action("resource_view_list", id=data["id"])
    view = next(v for v in views if v["view_type"] == "datatables_view")
    pages = {"dataset": f"{portal.url}/dataset/{name}",
             "preview": f"{portal.url}/dataset/{name}/resource/{data['id']}/view/{view['id']}",
             "report": portal.resource(pkg, "report")["url"]}
    for what, url in pages.items():
        dom = chromium_dom(url)
        title = re.search(r"<title>(.*?)</title>", dom, re.S)
        assert title is None or RAN not in title.group(1), (what, title.group(1))
        assert not re.search(r"<(img|svg|iframe)\b[^>]*(onerror|onload|srcdoc)", dom, re.I), what
    preview = chromium_dom(pages["preview"])
    assert "Trạm A" in preview and "onerror" in preview  # the payload is shown, as text
    report = requests.get(pages["report"], timeout=30)
    assert "Content-Security-Policy" in report.text
    keep = ROOT / ".dev" / "test-output"  # where a person looks after a run: the preview, payloads as text
    keep.mkdir(parents=True, exist_ok=True)
    shot = subprocess.run([shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000",
                           "--window-size=1400,700", f"--screenshot={keep / 'hostile-cells-preview.png'}", pages["preview"]],
                          capture_output=True, text=True, timeout=120)
    assert shot.returncode == 0 and (keep / "hostile-cells-preview.png").stat().st_size > 10_000
