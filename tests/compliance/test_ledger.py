"""The ledger under real operation: Celery workers start task processes together, and each one's
record task opens the ledger (migrating it if new) and writes its run at the same moment."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from opendata import ledger
from opendata.ledger import LedgerUnavailable, open_ledger, record_run, repository, settled

RECORD_ONE = """
import sys, time
from opendata import ledger
time.sleep(max(0.0, float(sys.argv[3]) - time.time()))  # all start together, as workers do
engine = ledger.open_ledger(sys.argv[1])
ledger.record_run(engine, {"dataset": "danang/syt/clinics", "city": "danang", "agency": "syt", "run": sys.argv[2],
                           "at": "2026-11-30T01:00:00+00:00", "outcome": "published"})
"""


def test_many_processes_opening_a_fresh_ledger_at_once_all_record_their_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    start = str(time.time() + 4)  # once every interpreter has imported
    procs = [subprocess.Popen([sys.executable, "-c", RECORD_ONE, url, f"run-{i}", start], stderr=subprocess.PIPE,
                              text=True) for i in range(12)]
    failures = [p.stderr.read() for p in procs if p.wait(timeout=120) != 0]
    assert not failures, failures[0]
    from opendata import ledger

    recorded = {r.run_id for r in ledger.runs(ledger.open_ledger(url), "danang/syt/clinics")}
    assert recorded == {f"run-{i}" for i in range(12)}


def test_a_run_recorded_in_the_citys_time_reads_back_as_the_same_moment(tmp_path: Path) -> None:
    """A replayed delivery is recorded at 09:00 Vietnam time; SQLite keeps no zone, so the ledger stores
    UTC: read back, it is 02:00 UTC, not 09:00 (which would make every day count 7 hours short)."""
    from datetime import UTC, datetime

    engine = ledger.open_ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    ledger.record_run(engine, {"run": "r1", "dataset": "cantho.skhcn.x", "city": "cantho", "agency": "skhcn",
                               "at": "2026-07-26T09:00:00+07:00", "outcome": "published", "url": "http://portal/dataset/x"})
    stored = ledger.statuses(engine)["cantho.skhcn.x"].last_refreshed_at
    assert stored.replace(tzinfo=stored.tzinfo or UTC) == datetime(2026, 7, 26, 2, 0, tzinfo=UTC)


def test_a_ledger_server_that_refuses_is_a_transient_fault_that_never_shows_its_password() -> None:
    with pytest.raises(LedgerUnavailable) as caught:
        open_ledger("postgresql+psycopg2://ledger:s3cr3t-pw@127.0.0.1:9/ledger")  # nothing listens on port 9
    assert caught.value.transient and "the ledger is unavailable" in str(caught.value)
    assert "s3cr3t-pw" not in str(caught.value) and "s3cr3t-pw" not in repr(caught.value.__cause__)


def test_a_ledger_locked_past_the_wait_stops_the_record_with_a_transient_fault(tmp_path: Path, monkeypatch) -> None:
    import sqlite3

    monkeypatch.setattr(repository, "SQLITE_BUSY_TIMEOUT_S", 0.2)
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    engine = open_ledger(url)
    lock = sqlite3.connect(tmp_path / "ledger.sqlite3", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    entry = {"dataset": "danang/x/y", "city": "danang", "agency": "x", "run": "r1", "at": "2026-12-03T10:00:00+07:00",
             "outcome": "published", "sha256": "a" * 64}
    with pytest.raises(LedgerUnavailable, match="database is locked") as caught:
        record_run(engine, entry)
    assert caught.value.dataset == "danang/x/y" and "sổ theo dõi" in caught.value.message
    lock.rollback()
    record_run(engine, entry)  # released: the same entry goes in
    assert settled(engine, "danang/x/y") == {"a" * 64}
