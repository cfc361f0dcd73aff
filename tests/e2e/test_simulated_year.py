"""A year of a small city under a fake clock, on the real portal: one dataset delivered on time, one
late, one that stops. Every day the compliance DAG's two steps run with that day's clock (run_day: the
ledger's KPI snapshot, reminders, reports; show_refresh_states: the portal's pages), as its tasks call
them. Asserted against independent counts: the refresh transitions on the portal, each reminder once
per dataset and state, the monthly reports and the KPI trend by week and month."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
import yaml
from pydantic import SecretStr

from tests.factories import ROOT

pytestmark = [pytest.mark.portal]
START = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)  # deliveries at 08:00 in Vietnam; the compliance run at 13:00
DAYS = 365
PLAN = {"snnmt/irrigation-reservoirs": [0, 85, 170, 255, 340],  # on time (quarterly: due at 90 days)
        "syt/hospitals": [0, 140, 280],  # late: overdue for 20 days, twice
        "snnmt/waste-collection-points": [0]}  # stops after its first delivery
THRESHOLDS = (90, 120, 150)  # quarterly: due, overdue, delinquent


def expected_state(age_days: float) -> str:
    due, overdue, delinquent = THRESHOLDS
    return "delinquent" if age_days >= delinquent else "overdue" if age_days >= overdue else \
        "due" if age_days >= due else "fresh"


@pytest.fixture()
def city(portal, tmp_path: Path, monkeypatch, smtp_sink):
    """A registry of one city (code simcity, Da Nang's units) with the three datasets, provisioned on the
    portal with one publisher per agency; the data and ledger in tmp_path; a target of 1 dataset."""
    from opendata.publish.client import CkanClient, PortalAccess
    from opendata.publish.provision import as_environment, provision
    from opendata.spec import load_registry

    registry = tmp_path / "datasets" / "simcity"
    registry.mkdir(parents=True)
    danang = yaml.safe_load((ROOT / "include" / "datasets" / "danang" / "city.yaml").read_text(encoding="utf-8"))
    (registry / "city.yaml").write_text(yaml.safe_dump(
        {"code": "simcity", "name": {"vi": "Thành phố mô phỏng", "en": "Simulated City"}, "province_code": 48,
         "agencies": [{**a, "email": f"{a['code']}@sim.gov.vn"} for a in danang["agencies"] if a["code"] in ("snnmt", "syt")]},
        allow_unicode=True), encoding="utf-8")
    for key in PLAN:
        (registry / key).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / "include" / "datasets" / "danang" / f"{key}.yaml", registry / f"{key}.yaml")
    monkeypatch.setenv("OPENDATA__PATHS__DATA", str(tmp_path / "data"))
    monkeypatch.setenv("OPENDATA__PATHS__REGISTRY", str(tmp_path / "datasets"))
    monkeypatch.setenv("OPENDATA__COMPLIANCE__TARGET", "1")
    monkeypatch.setenv("OPENDATA__COMPLIANCE__STEWARDS", '["stewards@sim.gov.vn"]')
    host, port = portal.url.removeprefix("http://").split(":")
    monkeypatch.setenv("AIRFLOW_CONN_OPENDATA_CKAN", json.dumps({"conn_type": "http", "host": host, "port": int(port),
                                                                 "schema": "http", "password": portal.token}))
    reg = load_registry(tmp_path / "datasets", cache=False)
    assert len(reg.datasets) == 3, reg.problems
    for spec in reg.datasets.values():  # a second run of the suite starts the year again
        if portal.get("package_show", id=spec.ckan_name) is not None:
            portal.action("dataset_purge", id=spec.ckan_name)
    tokens = tmp_path / "agency-connections.json"
    provision(CkanClient(PortalAccess(portal.url, SecretStr(portal.token))), reg, tokens)
    for name, value in as_environment(tokens).items():
        monkeypatch.setenv(name, value)
    return reg


def deliver(reg, key: str, n: int, now: datetime) -> str:
    """The sample file, its content changed a little (a new version each time), dropped an hour ago and
    run through the whole flow on that day's clock."""
    from opendata.pipeline.context import RunContext
    from opendata.pipeline.once import run_once
    from opendata.publish.access import access_for
    from opendata.settings import load_settings
    from opendata.sources.connections import from_environment

    settings = load_settings()
    spec = reg.datasets[f"simcity.{key.replace('/', '.')}"]
    city = reg.cities["simcity"]
    [sample] = sorted((ROOT / "include" / "samples" / "danang" / key).glob("*.csv"))
    lines = sample.read_text(encoding="utf-8").splitlines()
    if n:  # the last row's name (second column) says which version this is
        cells = lines[-1].split(",")
        lines[-1] = ",".join([cells[0], f"{cells[1]} (v{n + 1})", *cells[2:]])
    folder = settings.paths.dropzone_root / "simcity" / spec.agency / spec.id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{spec.id}-{now:%Y%m%d}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.utime(path, ((now - timedelta(hours=1)).timestamp(),) * 2)
    ctx = RunContext.create(run_id=f"sim-{now:%Y%m%d}-{spec.id}", now=now, settings=settings)
    entry = run_once(spec, city, ctx, from_environment,
                     lambda: access_for(city.agency(spec.agency), city, from_environment, settings))
    return entry.outcome.value


def test_a_year_of_deliveries_on_time_late_and_stopped(portal, city, smtp_sink, capsys) -> None:
    from opendata import ledger
    from opendata.cli import main
    from opendata.compliance.daily import run_day
    from opendata.compliance.kpi import compute
    from opendata.notify.mail import smtp_from
    from opendata.publish.refresh import show_refresh_states
    from opendata.settings import load_settings
    from opendata.sources.connections import from_environment

    started = time.monotonic()
    settings = load_settings()
    smtp = smtp_from(from_environment)
    seen: dict[str, list[tuple[int, str]]] = {key: [] for key in PLAN}  # (day, state) whenever the portal's changed
    reports = {}
    for day in range(DAYS):
        now = START + timedelta(days=day)
        for key, days in PLAN.items():
            if day in days:
                assert deliver(city, key, days.index(day), now) == "published", (key, day)
        at = now + timedelta(hours=5)
        result = run_day(settings, at, smtp)  # the compliance DAG's first task, on this day's clock
        if at.day == 1:
            reports[at.strftime("%Y-%m")] = next(r for r in result.reports if "monthly" in r.xlsx.name
                                                 and "latest" not in str(r.xlsx))
        cfg = settings.compliance
        today = compute(city, ledger.statuses(ledger.open_ledger(settings.ledger_url())), at, cfg.good_score, cfg.target,
                        thresholds=cfg.thresholds())
        update = show_refresh_states(today, city, from_environment, settings)  # its second task
        assert update.failed == {}, update.failed
        for key in PLAN:
            spec = city.datasets[f"simcity.{key.replace('/', '.')}"]
            if spec.key in update.changed:
                state = portal.get("package_show", id=spec.ckan_name)["refresh_state"]
                if not seen[key] or seen[key][-1][1] != state:
                    seen[key].append((day, state))

    # the refresh transitions on the portal, against the plan and the thresholds, counted independently
    for key, days in PLAN.items():
        want, last = [], None
        for day in range(DAYS):
            delivered = max(d for d in days if d <= day)
            state = expected_state(day - delivered + 5 / 24)
            if state != last:
                want.append((day, state))
                last = state
        assert seen[key] == want, key
    assert [s for _, s in seen["snnmt/waste-collection-points"]] == ["fresh", "due", "overdue", "delinquent"]
    # a page is patched when its state changes, not every day: its activity stream is not a diary of day counts
    stopped = city.datasets["simcity.snnmt.waste-collection-points"]
    activities = portal.get("package_activity_list", id=stopped.ckan_name, limit=100)
    assert len(activities) < 30, len(activities)
    page = portal.get("package_show", id=stopped.ckan_name)
    assert (page["refresh_state"], page["days_since_refresh"]) == ("delinquent", "150")  # the count at the change
    assert [s for _, s in seen["snnmt/irrigation-reservoirs"]] == ["fresh"]

    # each reminder once per dataset and state of a refresh: in the ledger and in the mail that went out
    from sqlalchemy import select

    engine = ledger.open_ledger(settings.ledger_url())
    with engine.connect() as conn:
        sent = [(k, s, m) for k, s, m in conn.execute(select(ledger.Reminder.kind, ledger.Reminder.subject,
                                                              ledger.Reminder.marker)) if k != "below_target"]
    per = {}
    for kind, subject, _ in sent:
        per[(subject.rsplit(".", 1)[1], kind)] = per.get((subject.rsplit(".", 1)[1], kind), 0) + 1
    assert per == {("hospitals", "due"): 2, ("hospitals", "overdue"): 2, ("waste-collection-points", "due"): 1,
                   ("waste-collection-points", "overdue"): 1, ("waste-collection-points", "delinquent"): 1}
    assert len(sent) == len(set(sent))
    mails = [(m["To"], m["Subject"]) for m in smtp_sink if "below" not in m["Subject"]]
    assert len(mails) == len(sent)  # one mail per reminder: none twice
    assert sum(1 for to, subject in mails if to == "stewards@sim.gov.vn" and "delinquent" in subject) == 1

    # the monthly reports equal a count from the ledger's runs
    runs = ledger.runs(engine, limit=10_000)
    assert sum(1 for r in runs if r.outcome == "published") == sum(len(d) for d in PLAN.values())
    for month, report in reports.items():
        first = datetime.strptime(month + "-01", "%Y-%m-%d").replace(hour=6, tzinfo=UTC)
        sheet = openpyxl.load_workbook(report.xlsx)["Bộ dữ liệu - Datasets"]
        header = [c.value for c in sheet[1]]
        states = {r[0]: dict(zip(header, r, strict=False)) for r in sheet.iter_rows(min_row=2, values_only=True)}
        for key, days in PLAN.items():
            delivered = max(d for d in days if START + timedelta(days=d) <= first)
            want = expected_state((first - (START + timedelta(days=delivered))).total_seconds() / 86400)
            row = next(v for k, v in states.items() if k and k.endswith(key.split("/")[1]))
            assert row["Tình trạng cập nhật / Refresh"] == want, (month, key, row)

    # the KPI trend by month in the CLI equals the daily snapshots, counted here from the plan
    capsys.readouterr()
    assert main(["kpi", "--trend", "month", "--format", "json"]) == 0
    months = json.loads(capsys.readouterr().out)["cities"]["simcity"]
    assert len(months) == 12 and all(m["agencies"] == 2 for m in months)
    for m in months:
        day = (datetime.fromisoformat(m["day"]).replace(tzinfo=UTC) - START.replace(hour=0)).days
        age = day - max(d for d in PLAN["syt/hospitals"] if d <= day)
        assert m["meeting"] == 1 + (expected_state(age + 5 / 24) in ("fresh", "due")), m
    assert main(["kpi", "--trend", "week", "--format", "json"]) == 0
    weeks = json.loads(capsys.readouterr().out)["cities"]["simcity"]
    assert len(weeks) >= 52
    from fastapi.testclient import TestClient  # the stewards' dashboard shows the same trend

    from opendata.ui.dashboard import create_app

    dashboard = TestClient(create_app(auth=lambda: None))
    for by, points in (("month", months), ("week", weeks)):
        answer = dashboard.get("/api/trend.json", params={"city": "simcity", "by": by})
        assert answer.status_code == 200 and answer.json()["points"] == points, by
    page = dashboard.get("/", params={"city": "simcity", "by": "week"}).text
    assert "polyline" in page and "id='trend'" in page
    print(f"a simulated year in {time.monotonic() - started:.0f} s")  # the budget is 3 minutes: see bench notes
