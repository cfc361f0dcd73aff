"""The KPI, freshness over time, reminders once, reports that open: against a real ledger (SQLite,
migrated by Alembic), the sample city's registry and a local SMTP server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from opendata import ledger
from opendata.compliance.daily import cadences_due, run_day
from opendata.compliance.kpi import compute
from opendata.compliance.reminders import notices, send_reminders
from opendata.ledger import repository
from opendata.notify.mail import smtp_from
from opendata.settings import load_settings
from opendata.sources.connections import from_environment
from opendata.spec import load_registry
from tests.factories import ROOT

REGISTRY = load_registry(ROOT / "include" / "datasets").for_city("danang")  # the hand counts are Da Nang's
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def publish(engine, key: str, at: datetime, overall: float, outcome: str = "published", newest: str | None = None) -> None:
    spec = REGISTRY.datasets[key]
    ledger.record_run(engine, {"run": f"r-{key}-{at:%Y%m%d%H%M}", "dataset": key, "city": spec.city, "agency": spec.agency,
                               "at": at.isoformat(), "outcome": outcome, "overall": overall,
                               "scores": {"dung": overall, "du": 100.0, "sach": 100.0, "song": 100.0},
                               "url": f"http://portal/dataset/{spec.ckan_name}", "content_newest": newest})


@pytest.fixture()
def engine(tmp_path: Path):
    return ledger.open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")


def keys(agency: str) -> list[str]:
    return sorted(k for k, s in REGISTRY.datasets.items() if s.agency == agency)


def test_the_ledger_schema_comes_from_alembic(engine) -> None:
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0005"
    assert {"runs", "datasets", "kpi_snapshots", "reminders", "dataset_carry", "announced_drops"} <= set(
        inspect(engine).get_table_names())
    columns = {c["name"] for c in inspect(engine).get_columns("datasets")}
    assert {"content_newest", "content_sha256", "rows", "archive_sha256"} <= columns


def test_the_ledger_keeps_what_the_portal_must_show(engine) -> None:
    """What opendata reconcile holds the portal to: the content and row count of the last refresh (an
    unchanged delivery too), never of a quarantined one."""
    base = {"dataset": "danang.snnmt.rain-gauge-stations", "city": "danang", "agency": "snnmt", "run": "r",
            "overall": 99.0, "scores": {"dung": 99.0}}
    ledger.record_run(engine, {**base, "at": "2026-11-01T08:00:00+07:00", "outcome": "published", "sha256": "a" * 64,
                               "content_sha256": "c" * 64, "rows": 83})
    ledger.record_run(engine, {**base, "at": "2026-11-20T08:00:00+07:00", "outcome": "quarantined", "sha256": "q" * 64})
    status = ledger.statuses(engine)[base["dataset"]]
    assert (status.content_sha256, status.rows, status.archive_sha256) == ("c" * 64, 83, "a" * 64)
    ledger.record_run(engine, {**base, "at": "2026-12-01T08:00:00+07:00", "outcome": "unchanged", "sha256": "b" * 64,
                               "content_sha256": "c" * 64, "rows": 83})
    status = ledger.statuses(engine)[base["dataset"]]
    assert (status.content_sha256, status.archive_sha256) == ("c" * 64, "b" * 64)  # the last delivery that refreshed it
    run = ledger.runs(engine, base["dataset"], limit=1)[0]
    assert (run.outcome, run.content_sha256, run.rows) == ("unchanged", "c" * 64, 83)


def test_a_ledger_of_the_first_schema_is_brought_up_to_date(tmp_path: Path) -> None:
    """A city's ledger made before content currency keeps its runs and gains the column (Alembic 0002)."""
    from alembic import command
    from sqlalchemy import create_engine, text

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    command.upgrade(repository._alembic_config(url), "0001")
    with create_engine(url).begin() as conn:
        conn.execute(text("INSERT INTO datasets (dataset, city, agency, published) VALUES ('danang/syt/x', 'danang', 'syt', 1)"))
    engine = ledger.open_ledger(url)
    assert ledger.statuses(engine)["danang/syt/x"].content_newest is None


def test_kpi_numbers_of_the_sample_city_against_a_hand_count(engine) -> None:
    """snnmt, 10 datasets in key order: daily-rainfall (daily) and 7 more published 3 days ago with 90, then
    urban-flood-warning-towers with 70 (low quality), water-level-stations 200 days ago (quarterly: delinquent).
    By hand: published 10; high quality 9 (all but the 70); fresh 8 (3 days is delinquent for a daily
    dataset; 200 days for a quarterly one); good 7 (fresh and high quality): below 10. syt: nothing
    published. A quarantined run does not change a standing; an unchanged one refreshes it."""
    snnmt = keys("snnmt")
    assert len(snnmt) == 10
    for key in snnmt[:8]:
        publish(engine, key, NOW - timedelta(days=3), 90.0)
    publish(engine, snnmt[8], NOW - timedelta(days=3), 70.0)
    publish(engine, snnmt[9], NOW - timedelta(days=200), 95.0)
    publish(engine, snnmt[0], NOW - timedelta(days=1), 10.0, outcome="quarantined")
    skhcn = keys("skhcn")
    publish(engine, skhcn[0], NOW - timedelta(days=400), 100.0)
    publish(engine, skhcn[0], NOW - timedelta(days=2), 100.0, outcome="unchanged")
    [city] = compute(REGISTRY, ledger.statuses(engine), NOW, good_score=80, target=10)
    by = {a.agency: a for a in city.agencies}
    assert snnmt[0] == "danang.snnmt.daily-rainfall" and snnmt[9] == "danang.snnmt.water-level-stations"
    assert (by["snnmt"].published, by["snnmt"].high_quality, by["snnmt"].fresh, by["snnmt"].good) == (10, 9, 8, 7)
    assert not by["snnmt"].meets and by["snnmt"].light == "amber"
    assert (by["syt"].published, by["syt"].good, by["syt"].light) == (0, 0, "red")
    assert (by["skhcn"].published, by["skhcn"].good) == (1, 1)
    assert city.without_open_data == ["syt", "svhttdl"] and city.share_meeting == 0.0
    states = city.by_state()
    assert states["fresh"] == 9 and states["delinquent"] == 2 and states["never"] == len(REGISTRY.datasets) - 11
    [lower] = compute(REGISTRY, ledger.statuses(engine), NOW, good_score=80, target=7)  # a lower target: met
    assert {a.agency: a.meets for a in lower.agencies}["snnmt"] is True


@pytest.mark.parametrize(("days", "state"), [(10, "fresh"), (89, "fresh"), (90, "due"), (119, "due"), (120, "overdue"),
                                             (149, "overdue"), (150, "delinquent"), (400, "delinquent")])
def test_a_quarterly_dataset_goes_fresh_due_overdue_delinquent(engine, days: int, state: str) -> None:
    key = "danang.syt.hospitals"
    assert REGISTRY.datasets[key].update_frequency.value == "quarterly"
    publish(engine, key, NOW, 95.0)
    [city] = compute(REGISTRY, ledger.statuses(engine), NOW + timedelta(days=days))
    [d] = [d for a in city.agencies for d in a.datasets if d.dataset == key]
    assert d.refresh_state == state and d.fresh == (state in ("fresh", "due")) and d.days_since_refresh == days


def test_refresh_and_content_currency_are_two_signals(engine) -> None:
    """Delivered on time, but the newest date in the data is old: the KPI counts the refresh (fresh),
    the content currency says stale; a delivery whose data is recent is current."""
    dated = next(k for k, s in sorted(REGISTRY.datasets.items()) if s.date_column and s.update_frequency.value == "monthly")
    publish(engine, dated, NOW, 95.0, newest=(NOW - timedelta(days=45)).date().isoformat())
    [city] = compute(REGISTRY, ledger.statuses(engine), NOW + timedelta(days=1))
    [d] = [d for a in city.agencies for d in a.datasets if d.dataset == dated]
    assert (d.refresh_state, d.fresh, d.content_currency, d.content_newest) == (
        "fresh", True, "stale", (NOW - timedelta(days=45)).date().isoformat())
    publish(engine, dated, NOW + timedelta(days=2), 95.0, newest=(NOW + timedelta(days=1)).date().isoformat())
    [city] = compute(REGISTRY, ledger.statuses(engine), NOW + timedelta(days=3))
    [d] = [d for a in city.agencies for d in a.datasets if d.dataset == dated]
    assert (d.refresh_state, d.content_currency) == ("fresh", "current")
    undated = next(k for k, s in sorted(REGISTRY.datasets.items()) if not s.date_column)
    publish(engine, undated, NOW, 95.0)
    [city] = compute(REGISTRY, ledger.statuses(engine), NOW)
    assert next(d for a in city.agencies for d in a.datasets if d.dataset == undated).content_currency == "undated"


def test_the_metadata_quality_of_the_last_daily_run_is_in_the_kpi_rows(engine) -> None:
    from opendata.compliance.kpi import dataset_rows

    key = "danang.syt.hospitals"
    publish(engine, key, NOW, 95.0)
    ledger.record_mqa(engine, {key: {"total": 331.7, "rating": "good"}, "danang.syt.unknown": {"total": 1}})
    [city] = compute(REGISTRY, ledger.statuses(engine), NOW)
    row = next(r for r in dataset_rows(city) if r["dataset"] == key)
    assert (row["mqa_score"], row["mqa_rating"]) == (331.7, "good")
    assert "danang.syt.unknown" not in ledger.statuses(engine)  # only datasets the ledger knows


def test_a_citys_own_refresh_days_move_the_kpi(engine) -> None:
    from opendata.settings import ComplianceSettings

    key = "danang.syt.hospitals"
    publish(engine, key, NOW, 95.0)
    own = ComplianceSettings(refresh_days={"quarterly": (30, 40, 50)}).thresholds()
    [city] = compute(REGISTRY, ledger.statuses(engine), NOW + timedelta(days=45), thresholds=own)
    assert next(d for a in city.agencies for d in a.datasets if d.dataset == key).refresh_state == "overdue"
    with pytest.raises(ValueError, match="must grow"):
        ComplianceSettings(refresh_days={"quarterly": (90, 60, 150)})


def test_reminders_go_once_per_state_to_the_right_people(engine, smtp_sink) -> None:
    key = "danang.syt.hospitals"
    publish(engine, key, NOW, 95.0)
    smtp = smtp_from(from_environment)
    stewards = ["stewards@danang.gov.vn"]

    def day(days: int) -> list:
        at = NOW + timedelta(days=days)
        cities = compute(REGISTRY, ledger.statuses(engine), at)
        return send_reminders(engine, smtp, [n for n in notices(cities, REGISTRY, stewards) if n.subject in (key, "syt")], at)

    assert [n.kind for n in day(30)] == ["below_target"]  # fresh: only the agency's standing (1 good of 10)
    assert [n.kind for n in day(95)] == ["due"]
    assert day(96) == []  # still due: not again
    assert [n.kind for n in day(121)] == ["overdue"]
    assert [n.kind for n in day(151)] == ["delinquent"]
    assert day(160) == []
    to = [(m["To"], m["Subject"]) for m in smtp_sink]
    assert to[1][0] == "syt@danang.gov.vn" and "đến hạn" in to[1][1]
    assert to[2][0] == "syt@danang.gov.vn" and to[3][0] == "stewards@danang.gov.vn" and to[0][0] == "stewards@danang.gov.vn"
    publish(engine, key, NOW + timedelta(days=200), 95.0)  # refreshed: a new cycle may remind again later
    assert [n.kind for n in day(200 + 95)] == ["due"]


def test_the_daily_run_writes_reports_that_open_with_the_right_numbers(engine, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("OPENDATA__PATHS__DATA", str(tmp_path))
    for key in keys("snnmt"):
        publish(engine, key, NOW - timedelta(days=5), 92.0)
    first_of_october = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
    assert cadences_due(first_of_october) == ["monthly", "quarterly"] and cadences_due(NOW) == []
    result = run_day(load_settings(), first_of_october, None)
    reports = {r.xlsx.name: r for r in result.reports}
    assert "compliance-danang-quarterly-2026-Q4.xlsx" in reports
    wb = openpyxl.load_workbook(reports["compliance-danang-quarterly-2026-Q4.xlsx"].xlsx)
    sheet = wb["Đơn vị - Agencies"]
    header = [c.value for c in sheet[3]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert rows["snnmt"]["Đạt chuẩn và còn mới / Good"] == 10 and rows["snnmt"]["Đạt / Meets"] is True
    assert rows["syt"]["Đã công bố / Published"] == 0
    assert len(list(wb["Bộ dữ liệu - Datasets"].iter_rows(min_row=2))) == len(REGISTRY.datasets)
    csv_text = reports["compliance-danang-quarterly-2026-Q4.xlsx"].csv.read_text(encoding="utf-8-sig")
    assert "snnmt,Sở Nông nghiệp và Môi trường,10,10,10,10,10,True" in csv_text
    trend = ledger.trend(engine, "danang")
    assert trend[-1]["meeting"] == 1 and trend[-1]["agencies"] == 4
    danang = next(c for c in result.cities if c.city == "danang")
    assert json.loads(json.dumps(danang.summary()))["agencies_meeting"] == 1
