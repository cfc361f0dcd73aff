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
from opendata.publish.mapping import page_fields
from opendata.spec import load_registry
from tests.e2e.browser import Browser
from tests.e2e.test_rain_gauge_slice import SPEC, published  # noqa: F401 - a fixture
from tests.factories import ROOT

pytestmark = [pytest.mark.portal, pytest.mark.airflow]
REPORT = load_registry(ROOT / "include" / "datasets").get("danang.skhcn.open-data-compliance")


@pytest.fixture()
def recorded(portal, published, pipeline_env):  # noqa: F811 - pytest injects the imported fixture
    """The rain-gauge delivery published through its DAG: the ledger now knows one good snnmt dataset, and
    the portal holds nothing else (so the daily reconcile task has only this ledger to hold it to)."""
    assert published.outcome == "published"
    portal.purge_datasets(keep=(SPEC.ckan_name,))
    return pipeline_env


def test_the_compliance_dag_publishes_the_kpi_as_open_data(portal, recorded, capsys) -> None:
    from opendata.airflow.local_run import load_dag_module, run_dag
    from opendata.cli import main

    if portal.get("package_show", id=REPORT.ckan_name) is not None:
        portal.action("dataset_purge", id=REPORT.ckan_name)
    module = load_dag_module(ROOT / "dags" / "opendata_platform.py")
    daily = run_dag(module.compliance)
    assert daily.state == "success", daily.task_states
    reconciled = daily.returns["reconcile"]  # the portal held to the ledger, last thing every day
    registry = load_registry(ROOT / "include" / "datasets")
    open_specs = [s for s in registry.datasets.values() if s.classification.value == "open"]
    assert reconciled["drift"] == [] and reconciled["checked"] == len(open_specs) and reconciled["repaired"] == []
    refreshed = daily.returns["portal_refresh_states"]
    assert refreshed["failed"] == {} and 0 < refreshed["mqa"][SPEC.key] <= 405
    summary = daily.returns["kpi_reminders_reports"]
    snnmt = next(a for a in next(c for c in summary["cities"] if c["city"] == "danang")["per_agency"] if a["agency"] == "snnmt")
    assert (snnmt["published"], snnmt["good"], snnmt["meets"]) == (1, 1, False)
    assert summary["delivered"] and Path(summary["reports"][-1]).exists()
    old = time.time() - 60  # as if delivered a minute ago: the drop zone waits for files to settle
    assert len(summary["delivered"]) == 2  # one report per city, each to its own skhcn
    for report in summary["delivered"]:
        os.utime(report, (old, old))

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
    city = next(c for c in json.loads(capsys.readouterr().out)["cities"] if c["city"] == "danang")
    agencies = {a["agency"]: a for a in city["per_agency"]}
    assert agencies["snnmt"]["published"] == 1 and agencies["skhcn"]["published"] == 1  # the report itself counts
    assert main(["kpi", "--agency", "snnmt", "--format", "json"]) == 0
    rain = next(r for r in json.loads(capsys.readouterr().out)["datasets"] if r["dataset"] == SPEC.key)
    assert rain["mqa_score"] == refreshed["mqa"][SPEC.key] and rain["refresh_state"] == "fresh"
    assert main(["kpi", "--agency", "snnmt", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("dataset,") and any(line.startswith(SPEC.key + ",") for line in lines)
    assert main(["kpi", "--agency", "nobody"]) == 3


def test_the_portal_follows_the_clock(portal, recorded) -> None:
    """No new delivery: as the days pass, the daily run turns the rain-gauge page (quarterly) due, overdue,
    delinquent, with the days since its refresh, in its description and its search facet; a second run
    on the same day changes nothing."""
    from datetime import UTC, datetime, timedelta

    from opendata import ledger
    from opendata.compliance.kpi import compute
    from opendata.publish.refresh import show_refresh_states
    from opendata.settings import load_settings
    from opendata.sources.connections import from_environment

    settings = load_settings()
    registry = load_registry(settings.paths.registry)
    refreshed = datetime.fromisoformat(ledger.statuses(ledger.open_ledger(settings.ledger_url()))[SPEC.key]
                                       .last_refreshed_at.isoformat()).replace(tzinfo=UTC)
    seen = []
    for days, state, words in ((1, "fresh", "mới / fresh"), (100, "due", "đến hạn cập nhật / due"),
                               (130, "overdue", "quá hạn / overdue"), (160, "delinquent", "quá hạn nghiêm trọng / delinquent")):
        now = refreshed + timedelta(days=days, hours=1)
        cities = compute(registry, ledger.statuses(ledger.open_ledger(settings.ledger_url())), now,
                         thresholds=settings.compliance.thresholds())
        update = show_refresh_states(cities, registry, from_environment, settings)
        assert update.failed == {} and SPEC.key in update.changed
        again = show_refresh_states(cities, registry, from_environment, settings)
        assert SPEC.key not in again.changed and again.unchanged >= 1  # the same day: no second patch
        pkg = portal.get("package_show", id=SPEC.ckan_name)
        fields = page_fields(pkg)  # the portal schema's fields, top-level
        assert not pkg.get("extras")  # no free key/value extras: every field is typed by the schema
        assert (fields["refresh_state"], fields["days_since_refresh"]) == (state, str(days))
        from opendata.quality.mqa import score_package  # the page's metadata on the EU scale, as scored from it
        assert fields["mqa_score"] == score_package(pkg).fields()["mqa_score"] and 200 < float(fields["mqa_score"]) <= 405
        assert (fields["dcat_ap_conforms"], fields["dcat_ap_violations"]) == ("true", "0")  # its DCAT, SHACL-checked
        assert fields["dcat_ap_checked"] == fields["content_sha256"]  # once per published content, not daily
        assert score_package(pkg).asdict()["points"]["dcat_ap_compliant"] == 30
        assert pkg["notes"].splitlines()[0].endswith(f"tình trạng cập nhật / refresh: {words}")
        found = portal.get("package_search", fq=f"refresh_state:{state}", rows=100)
        assert SPEC.ckan_name in [p["name"] for p in found["results"]]
        seen.append(fields["last_refreshed_at"])
    assert len(set(seen)) == 1  # the refresh itself never moved: only the clock did


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


STEWARD = "steward"


@pytest.fixture()
def api_server(recorded, tmp_path: Path):
    """Airflow's own api-server, with the plugins folder: the dashboard is served where stewards find it,
    behind Airflow's login (the simple auth manager, one steward with a generated password)."""
    import secrets

    port = free_port()
    password = secrets.token_urlsafe(16)
    passwords = tmp_path / "passwords.json"
    passwords.write_text(json.dumps({STEWARD: password}))
    env = {**os.environ, "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{STEWARD}:viewer",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False"}
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "airflow"), "api-server", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(1)
        else:
            raise AssertionError("the Airflow api-server did not answer within 90 s")
        token = requests.post(f"{url}/auth/token", json={"username": STEWARD, "password": password}, timeout=10)
        assert token.status_code in (200, 201), token.text
        yield url, token.json()["access_token"]
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(30)


def test_the_dashboard_is_behind_airflows_login(api_server) -> None:
    url, token = api_server
    for path in ("/opendata/", "/opendata/agency/snnmt", f"/opendata/receipt/{SPEC.key}", "/opendata/api/kpi.json"):
        anonymous = requests.get(url + path, timeout=10, allow_redirects=False)
        assert anonymous.status_code in (401, 403), (path, anonymous.status_code)
        assert "Sở" not in anonymous.text and SPEC.key not in anonymous.text
        forged = requests.get(url + path, headers={"Authorization": "Bearer not-a-token"}, timeout=10)
        assert forged.status_code in (401, 403), path
    browser = requests.get(url + "/opendata/", headers={"Accept": "text/html"}, timeout=10, allow_redirects=False)
    assert browser.status_code == 303 and "login" in browser.headers["location"]
    ok = requests.get(url + "/opendata/api/kpi.json?city=danang", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert ok.status_code == 200 and ok.json()["city"] == "danang"
    first = requests.get(url + "/opendata/api/kpi.json", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert first.json()["city"] == "cantho"  # without ?city=: the registry's first city, by code


def test_the_dashboard_renders_in_a_browser_with_agencies_and_charts(api_server, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from opendata import ledger
    from opendata.compliance.daily import run_day
    from opendata.settings import load_settings

    settings = load_settings()
    run_day(settings, datetime.now(UTC), None)  # today's snapshot
    assert ledger.trend(ledger.open_ledger(settings.ledger_url()), "danang")
    menu = requests.get(f"{api_server[0]}/ui/config", timeout=10)  # the UI's menu comes from the plugins
    plugins = subprocess.run([str(ROOT / ".venv" / "bin" / "airflow"), "plugins", "--output", "json"],
                             capture_output=True, text=True, env=dict(os.environ))
    assert "opendata_dashboard" in plugins.stdout, (menu.status_code, plugins.stderr[-500:])

    url, token = api_server
    browser = Browser()
    try:
        browser.set_cookie(url, "_token", token)  # what Airflow's login leaves in a steward's browser
        html = browser.open(f"{url}/opendata/?city=danang")
        for name in ("Sở Nông nghiệp và Môi trường", "Sở Y tế", "Sở Khoa học và Công nghệ"):
            assert name in html
        assert html.count("<svg") == 3 and "id=\"trend\"" in html and "polyline" in html
        assert "0/4" in html  # no agency meets the target yet
        english = browser.open(f"{url}/opendata/?city=danang&lang=en")
        assert "Open-data dashboard" in english and "Department of Health" in english
        agency = browser.open(f"{url}/opendata/agency/snnmt?city=danang")
        assert SPEC.title.vi in agency and "Biên nhận" in agency
        receipt = requests.get(f"{url}/opendata/receipt/{SPEC.key}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert receipt.status_code == 200 and "ĐƯỢC CHẤP NHẬN" in receipt.content.decode()
        browser.open(f"{url}/opendata/?city=danang")
        shot = tmp_path / "dashboard.png"
        browser.screenshot(shot)
        assert shot.stat().st_size > 20_000
    finally:
        browser.close()
    keep = ROOT / ".dev" / "test-output"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, keep / "dashboard.png")
