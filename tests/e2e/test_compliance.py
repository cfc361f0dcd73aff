"""The compliance loop end to end: runs recorded in the ledger, the daily compliance DAG, the KPI
report published as the Department of Science and Technology's open dataset, `opendata kpi`, and the
stewards' dashboard served by Airflow's api-server, rendered in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from opendata.airflow.dag_builder import dag_id_for
from opendata.spec import load_registry
from tests.e2e.test_rain_gauge_slice import SPEC, chromium, published  # noqa: F401 - a fixture
from tests.factories import ROOT

pytestmark = [pytest.mark.portal, pytest.mark.airflow]
REPORT = load_registry(ROOT / "include" / "datasets").get("open-data-compliance")


@pytest.fixture()
def recorded(published, pipeline_env):  # noqa: F811 - pytest injects the imported fixture
    """The rain-gauge delivery published through its DAG: the ledger now knows one good snnmt dataset."""
    assert published.outcome == "published"
    return pipeline_env


def test_the_compliance_dag_publishes_the_kpi_as_open_data(portal, recorded, capsys) -> None:
    from opendata.airflow.local_run import load_dag_module, run_dag
    from opendata.cli import main

    if portal.get("package_show", id=REPORT.ckan_name) is not None:
        portal.action("dataset_purge", id=REPORT.ckan_name)
    module = load_dag_module(ROOT / "dags" / "opendata_platform.py")
    daily = run_dag(module.compliance)
    assert daily.state == "success", daily.task_states
    summary = daily.returns["kpi_reminders_reports"]
    snnmt = next(a for a in summary["cities"][0]["per_agency"] if a["agency"] == "snnmt")
    assert (snnmt["published"], snnmt["good"], snnmt["meets"]) == (1, 1, False)
    assert summary["delivered"] and Path(summary["reports"][-1]).exists()
    old = time.time() - 60  # as if delivered a minute ago: the drop zone waits for files to settle
    os.utime(summary["delivered"][0], (old, old))

    datasets = load_dag_module(ROOT / "dags" / "opendata_datasets.py")
    run = run_dag(getattr(datasets, dag_id_for(REPORT)))
    assert run.outcome == "published", run.task_states
    pkg = portal.get("package_show", id=REPORT.ckan_name)
    assert pkg["organization"]["name"] == "danang-skhcn"
    rows = portal.rows(portal.resource(pkg, "data")["id"], sort="agency")
    assert [r["agency"] for r in rows] == ["skhcn", "snnmt", "svhttdl", "syt"]
    assert next(r for r in rows if r["agency"] == "snnmt")["good"] == 1

    capsys.readouterr()
    assert main(["kpi", "--format", "json"]) == 0
    city = json.loads(capsys.readouterr().out)["cities"][0]
    agencies = {a["agency"]: a for a in city["per_agency"]}
    assert agencies["snnmt"]["published"] == 1 and agencies["skhcn"]["published"] == 1  # the report itself counts
    assert main(["kpi", "--agency", "snnmt", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("dataset,") and any(line.startswith(SPEC.key + ",") for line in lines)
    assert main(["kpi", "--agency", "nobody"]) == 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def api_server(recorded):
    """Airflow's own api-server, with the plugins folder: the dashboard is served where stewards find it."""
    port = free_port()
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "airflow"), "api-server", "--port", str(port)],
                            env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/opendata/", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(1)
        else:
            raise AssertionError("the Airflow api-server did not serve /opendata/ within 90 s")
        yield url
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(30)


def test_the_dashboard_renders_in_a_browser_with_agencies_and_charts(api_server, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from opendata.compliance import ledger
    from opendata.compliance.daily import run_day
    from opendata.settings import load_settings

    settings = load_settings()
    run_day(settings, datetime.now(UTC), None)  # today's snapshot
    assert ledger.trend(ledger.open_ledger(settings.ledger_url()), "danang")
    menu = requests.get(f"{api_server}/ui/config", timeout=10)  # the UI's menu comes from the plugins
    plugins = subprocess.run([str(ROOT / ".venv" / "bin" / "airflow"), "plugins", "--output", "json"],
                             capture_output=True, text=True, env=dict(os.environ))
    assert "opendata_dashboard" in plugins.stdout, (menu.status_code, plugins.stderr[-500:])

    dom = chromium("--dump-dom", f"{api_server}/opendata/")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    for name in ("Sở Nông nghiệp và Môi trường", "Sở Y tế", "Sở Khoa học và Công nghệ"):
        assert name in html
    assert html.count("<svg") == 3 and "id=\"trend\"" in html and "polyline" in html
    assert "0/4" in html  # no agency meets the target yet
    english = chromium("--dump-dom", f"{api_server}/opendata/?lang=en").stdout
    assert "Open-data dashboard" in english and "Department of Health" in english
    agency = chromium("--dump-dom", f"{api_server}/opendata/agency/snnmt").stdout
    assert SPEC.title.vi in agency and "Biên nhận" in agency
    receipt = requests.get(f"{api_server}/opendata/receipt/{SPEC.key}", timeout=10)
    assert receipt.status_code == 200 and "ĐƯỢC CHẤP NHẬN" in receipt.content.decode()
    shot = tmp_path / "dashboard.png"
    out = chromium(f"--screenshot={shot}", "--window-size=1280,1000", f"{api_server}/opendata/")
    assert out.returncode == 0 and shot.stat().st_size > 20_000, out.stderr[-2000:]
    keep = ROOT / ".dev" / "test-output"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, keep / "dashboard.png")
