from __future__ import annotations

import os
import time
from pathlib import Path

from opendata.cli import main
from tests.factories import SAMPLE_DROP


def test_spec_validate_passes_on_the_sample_city(capsys) -> None:
    assert main(["spec", "validate"]) == 0
    assert "problem(s)" in capsys.readouterr().out


def test_normalise_a_file_archives_and_normalises_it(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("OPENDATA__PATHS__DATA", str(tmp_path))
    assert main(["normalise", "--dataset", "rain-gauge-stations", str(SAMPLE_DROP)]) == 0
    out = capsys.readouterr().out
    assert "83 dòng / rows" in out
    assert (tmp_path / "archive" / "manifest.jsonl").exists()


def test_normalise_a_bad_file_exits_with_the_problems(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("OPENDATA__PATHS__DATA", str(tmp_path))
    bad = tmp_path / "bad.csv"
    bad.write_text(SAMPLE_DROP.read_text(encoding="utf-8").replace(",641.0,", ",sáu trăm,"), encoding="utf-8")
    assert main(["normalise", "--dataset", "rain-gauge-stations", str(bad)]) == 1
    assert "sáu trăm" in capsys.readouterr().out
    unreadable = tmp_path / "x.csv"
    unreadable.write_text("a,b\n1,2\n")
    assert main(["normalise", "--dataset", "rain-gauge-stations", str(unreadable)]) == 2
    assert main(["normalise", "--dataset", "no-such-dataset", str(unreadable)]) == 3


def test_check_prints_the_receipt_and_exits_by_verdict(tmp_path: Path, capsys) -> None:
    assert main(["check", str(SAMPLE_DROP), "--dataset", "rain-gauge-stations"]) == 0
    assert "ĐƯỢC CHẤP NHẬN / ACCEPTED" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(SAMPLE_DROP.read_text(encoding="utf-8").replace("DN-RG-0002", "DN-RG-0001"), encoding="utf-8")
    assert main(["check", str(bad), "--dataset", "rain-gauge-stations"]) == 1
    out = capsys.readouterr().out
    assert "BỊ TỪ CHỐI / REJECTED" in out and "DN-RG-0001" in out
    unusable = tmp_path / "x.csv"
    unusable.write_text("a,b\n1,2\n")
    assert main(["check", str(unusable), "--dataset", "rain-gauge-stations"]) == 2
    assert "The file could not be read" in capsys.readouterr().out


def test_kpi_trend_by_week_and_month_from_the_daily_snapshots(tmp_path: Path, monkeypatch, capsys) -> None:
    """Snapshots of 40 days, one agency of four meeting until 20 January, two after: the last snapshot of
    each period counts, by hand."""
    import json
    from datetime import date, timedelta

    from opendata import ledger
    from opendata.cli import main

    monkeypatch.setenv("OPENDATA__PATHS__DATA", str(tmp_path / "data"))
    engine = ledger.open_ledger(f"sqlite:///{tmp_path / 'data' / 'ledger.sqlite3'}")
    for n in range(40):
        day = date(2027, 1, 1) + timedelta(days=n)
        meeting = {"snnmt", "syt"} if day >= date(2027, 1, 20) else {"snnmt"}
        ledger.snapshot(engine, day.isoformat(), [
            {"agency": a, "city": "danang", "published": 10, "high_quality": 10, "fresh": 10,
             "good": 10 if a in meeting else 3, "meets": a in meeting} for a in ("skhcn", "snnmt", "svhttdl", "syt")])
    capsys.readouterr()
    assert main(["kpi", "--trend", "month", "--format", "json"]) == 0
    months = json.loads(capsys.readouterr().out)["cities"]["danang"]
    assert [(m["period"], m["day"], m["meeting"], m["share"]) for m in months] == [
        ("2027-01", "2027-01-31", 2, 0.5), ("2027-02", "2027-02-09", 2, 0.5)]
    assert main(["kpi", "--trend", "week", "--format", "json"]) == 0
    weeks = json.loads(capsys.readouterr().out)["cities"]["danang"]
    assert weeks[0]["period"] == "2026-W53" and weeks[0]["meeting"] == 1  # 1–3 January, ISO week 53 of 2026
    assert [w["meeting"] for w in weeks] == [1, 1, 1, 2, 2, 2, 2]
    assert main(["kpi", "--trend", "month"]) == 0 and "2027-02" in capsys.readouterr().out


def test_run_keeps_the_ledger_in_order_and_records_what_happened(tmp_path: Path, monkeypatch, capsys) -> None:
    """`opendata run --at` replays a day, never ahead of now nor before the dataset's last run; with an
    empty drop folder the whole flow records a no-delivery run at that time (no portal needed for it)."""
    from datetime import UTC, datetime, timedelta

    from opendata import ledger
    from opendata.settings import load_settings

    monkeypatch.setenv("OPENDATA__PATHS__DATA", str(tmp_path))
    key = "danang.snnmt.rain-gauge-stations"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert main(["run", "--dataset", key, "--at", tomorrow]) == 2
    assert main(["run", "--dataset", key, "--at", "2026-08-01T09:00:00"]) == 2  # no zone: refused
    assert main(["run", "--dataset", key, "--at", "2026-08-01T09:00:00+07:00"]) == 0
    runs = ledger.runs(ledger.open_ledger(load_settings().ledger_url()), key)
    assert [(r.outcome, r.at.replace(tzinfo=r.at.tzinfo or UTC)) for r in runs] == \
        [("no-delivery", datetime(2026, 8, 1, 2, 0, tzinfo=UTC))]
    assert main(["run", "--dataset", key, "--at", "2026-07-31T09:00:00+07:00"]) == 2  # before the last run
    assert "no-delivery" in capsys.readouterr().out


def test_run_with_a_broken_drop_records_it_and_never_reaches_for_the_portal(tmp_path: Path, monkeypatch, capsys) -> None:
    """A clerk's broken file through `opendata run`: exit 1 with the reason, the raw bytes archived, the
    run in the ledger as unreadable, and no portal access even asked for (no connection exists here);
    a malformed --at is refused before anything runs."""
    from opendata import ledger
    from opendata.settings import load_settings

    monkeypatch.setenv("OPENDATA__PATHS__DATA", str(tmp_path))
    for name in [n for n in os.environ if n.startswith("AIRFLOW_CONN_CKAN_")]:
        monkeypatch.delenv(name)
    key = "danang.snnmt.rain-gauge-stations"
    assert main(["run", "--dataset", key, "--at", "yesterday"]) == 2
    settings = load_settings()
    folder = settings.paths.dropzone_root / "danang" / "snnmt" / "rain-gauge-stations"
    folder.mkdir(parents=True)
    broken = folder / "tram-do-mua.csv"
    broken.write_bytes(b"\xff\xfe\x00garbage,\x00\x00\n" * 50)
    old = time.time() - 120
    os.utime(broken, (old, old))
    capsys.readouterr()
    assert main(["run", "--dataset", key]) == 1
    out = capsys.readouterr().out
    assert "unreadable" in out or "quarantined" in out
    [recorded] = ledger.runs(ledger.open_ledger(settings.ledger_url()), key)
    assert recorded.outcome in ("unreadable", "quarantined") and recorded.error
    manifest = (tmp_path / "archive" / "manifest.jsonl").read_text(encoding="utf-8")
    assert "tram-do-mua.csv" in manifest  # archived first: nothing lost


def test_compliance_run_is_the_compliance_dags_day_from_the_terminal(tmp_path: Path, monkeypatch, capsys) -> None:
    """The same function the compliance DAG's first task runs: the KPI, today's snapshot (for the trend),
    the reports, and each city's KPI dropped into its own open dataset's drop folder, through the gate."""
    import csv
    import json
    from datetime import date

    from opendata import ledger
    from opendata.cli import main

    monkeypatch.setenv("OPENDATA__PATHS__DATA", str(tmp_path))
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_DEFAULT", raising=False)
    engine = ledger.open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    ledger.record_run(engine, {"dataset": "danang.snnmt.rain-gauge-stations", "city": "danang", "agency": "snnmt",
                               "run": "r1", "at": f"{date.today().isoformat()}T01:00:00+00:00", "outcome": "published",
                               "overall": 95.0, "url": "http://portal/dataset/x"})
    capsys.readouterr()
    assert main(["compliance", "run", "--format", "json"]) == 0
    day = json.loads(capsys.readouterr().out)["day"]
    danang = next(c for c in day["cities"] if c["city"] == "danang")
    snnmt = next(a for a in danang["per_agency"] if a["agency"] == "snnmt")
    assert (snnmt["published"], snnmt["high_quality"], day["reminders"]) == (1, 1, 0)  # no SMTP: nothing sent
    assert all(Path(r).is_file() for r in day["reports"]) and len(day["delivered"]) == 2
    [delivered] = [Path(p) for p in day["delivered"] if "/danang/" in p]
    assert delivered.parent == tmp_path / "dropzone" / "danang" / "skhcn" / "open-data-compliance"
    rows = list(csv.DictReader(delivered.open(encoding="utf-8")))
    by_agency = {r["Mã đơn vị"]: r for r in rows}
    assert set(by_agency) == {"skhcn", "snnmt", "svhttdl", "syt"}
    assert (by_agency["snnmt"]["Đã công bố"], by_agency["snnmt"]["Chất lượng cao"]) == ("1", "1")
    assert ledger.trend(engine, "danang", "month")[-1]["day"] == date.today().isoformat()
