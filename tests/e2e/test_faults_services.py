"""Faults of the services the platform leans on, each on the real local stack: the CKAN process stopped
during a publish, the DataStore database stopped in the middle of a load, the ledger locked. After each,
the next run alone must leave: the delivery in the archive, one version of the dataset on the portal with
the ledger's content hash, and no drift."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
import time

import pytest

from opendata import ledger
from opendata.archive import RawArchive
from opendata.archive.store import sha256_of
from opendata.cli import main
from opendata.ledger import repository
from opendata.publish.datastore import BULK_ACTION, MARKER
from opendata.settings import load_settings
from tests.e2e.test_faults import changed_drop, drift
from tests.e2e.test_rain_gauge_slice import NAME, SPEC, drop
from tests.factories import SAMPLE_DROP

pytestmark = [pytest.mark.portal]

LOADS = (BULK_ACTION, "datastore_upsert")


def station_status(portal, page: dict) -> str:
    """The status column of the sample's last station, as the public reads it from the DataStore."""
    last = SAMPLE_DROP.read_text(encoding="utf-8").splitlines()[-1].split(",")[0]
    [row] = portal.rows(portal.resource(page, "data")["id"], filters=json.dumps({"station_code": last}))
    return row["status"]


def converged(portal, capsys, archive_sha: str) -> dict:
    """The checks every fault ends with: the delivery kept, one page with the ledger's hash, no drift."""
    settings = load_settings()
    archive = RawArchive(settings.paths.data / "archive")
    assert archive_sha in {e["sha256"] for e in archive.entries() if e["dataset"] == SPEC.key} and archive.verify().ok
    assert portal.action("package_search", fq=f"name:{NAME}", include_private=True)["count"] == 1
    page = portal.get("package_show", id=NAME)
    status = ledger.statuses(ledger.open_ledger(settings.ledger_url()))[SPEC.key]
    assert status.archive_sha256 == page["archive_sha256"] == archive_sha
    assert page["content_sha256"] == status.content_sha256 == portal.resource(page, "data")[MARKER]
    report = drift(capsys)
    assert (report["code"], report["drift"]) == (0, []), report
    return page


def published_once(portal, pipeline_env) -> dict:
    portal.purge_datasets()
    drop(pipeline_env, SAMPLE_DROP, "tram-do-mua.csv")
    assert main(["run", "--dataset", SPEC.key]) == 0
    return portal.get("package_show", id=NAME)


@pytest.fixture()
def stack():
    """dev/portal.py's own controls over the local stack's processes and databases."""
    import portal as stack

    return stack


def test_ckan_stopped_during_the_publish_then_started_again(portal, pipeline_env, proxied, stack, capsys) -> None:
    """Fault: the CKAN process is stopped (SIGTERM, as an operator's restart does) the moment the new
    delivery's DataStore load reaches it. Every retry meets a dead port; the run gives up as a transient
    fault (Airflow would retry it); the page is the previous delivery throughout. CKAN started again,
    the next run takes the unsettled delivery from the archive and publishes it once."""
    lay = stack.Layout.from_env()
    before = published_once(portal, pipeline_env)
    new_sha = changed_drop(pipeline_env)
    stopped: list[str] = []

    def stop_at_the_load(method: str, path: str, n: int):
        if path.rsplit("/", 1)[-1] in LOADS and not stopped:
            stack.stop(lay, "ckan")
            stopped.append(path)

    proxied.rule = stop_at_the_load
    try:
        capsys.readouterr()
        assert main(["run", "--dataset", SPEC.key]) == 4
        out = capsys.readouterr().out
        assert stopped and not stack.ckan_answers(lay)
        assert "could not reach" in out.lower() or "connection" in out.lower(), out[-2000:]
    finally:
        stack.up(lay)
    during = portal.get("package_show", id=NAME)
    for key in ("content_sha256", "archive_sha256", "quality_overall", "last_refreshed_at"):
        assert during[key] == before[key], key
    assert station_status(portal, during) == "Hoạt động"

    assert main(["run", "--dataset", SPEC.key]) == 0
    after = converged(portal, capsys, new_sha)
    assert station_status(portal, after) == "Bảo trì"


def test_the_datastore_database_stopped_mid_load(portal, pipeline_env, stack, capsys) -> None:
    """Fault: the DataStore's database goes away while a load is inside its transaction. The test holds a
    lock on the table so that the load is caught there (it has begun, and waits), then stops the
    database as maintenance would: no new connections, every open one ended. The load's transaction dies
    with its connection; the retries meet a database that refuses them. The public's old rows are
    whole when it comes back, and the next run publishes the new delivery once."""
    lay = stack.Layout.from_env()
    before = published_once(portal, pipeline_env)
    rid = portal.resource(before, "data")["id"]
    rows_before = portal.rows(rid)
    new_sha = changed_drop(pipeline_env)
    database = "datastore_default"
    holder = subprocess.Popen(
        ["psql", "-h", str(lay.pg_socket), "-p", str(lay.pg_port), "-U", "postgres", "-d", database, "-q"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    holder.stdin.write(f'BEGIN; LOCK TABLE "{rid}" IN SHARE MODE; SELECT pg_sleep(600);\n')
    holder.stdin.flush()
    waiting_sql = (f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{database}' AND wait_event_type = 'Lock' "
                   f"AND pid <> pg_backend_pid()")
    codes: list[int] = []
    try:
        wait_until(lambda: stack.psql(lay, f"SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                                           f"WHERE c.relname = '{rid}' AND l.mode = 'ShareLock' AND l.granted",
                                      database) == "1", "the test's lock on the table")
        run = threading.Thread(target=lambda: codes.append(main(["run", "--dataset", SPEC.key])))
        run.start()
        wait_until(lambda: stack.psql(lay, waiting_sql, database) != "0", "the load, waiting inside its transaction")
        stack.psql(lay, f"ALTER DATABASE {database} ALLOW_CONNECTIONS false")  # the database stops
        stack.psql(lay, f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{database}'")
        run.join(timeout=240)
        assert not run.is_alive() and codes and codes[0] in (1, 4), codes
    finally:
        stack.psql(lay, f"ALTER DATABASE {database} ALLOW_CONNECTIONS true")  # and starts again
        holder.kill()
    during = portal.get("package_show", id=NAME)
    for key in ("content_sha256", "archive_sha256", "quality_overall", "last_refreshed_at"):
        assert during[key] == before[key], key
    assert portal.rows(rid) == rows_before  # the load's transaction died whole

    assert main(["run", "--dataset", SPEC.key]) == 0
    after = converged(portal, capsys, new_sha)
    assert station_status(portal, after) == "Bảo trì"


def test_a_locked_ledger_is_waited_for_then_is_a_transient_fault(portal, pipeline_env, capsys, monkeypatch) -> None:
    """Fault: another process holds the ledger's write lock. A short hold is waited out (the run records
    once it is released); a hold past the wait (2 s here) stops the run with a transient error in both
    languages. Since the run state lives in the ledger (issue 32), that happens where the check stage
    records the accepted delivery, before the portal is touched: the public keeps the previous delivery.
    Nothing is lost: the delivery is not settled, so the next run takes it again and publishes it."""
    monkeypatch.setattr(repository, "SQLITE_BUSY_TIMEOUT_S", 2)
    settings = load_settings()
    engine = ledger.open_ledger(settings.ledger_url())  # the ledger exists (migrated) before it is locked
    path = settings.ledger_url().get_secret_value().removeprefix("sqlite:///")
    portal.purge_datasets()

    def hold(seconds: float | None) -> sqlite3.Connection:
        lock = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        lock.execute("BEGIN EXCLUSIVE")
        if seconds is not None:
            threading.Timer(seconds, lock.rollback).start()
        return lock

    sha = sha256_of(drop(pipeline_env, SAMPLE_DROP, "tram-do-mua.csv"))
    hold(1.0)
    assert main(["run", "--dataset", SPEC.key]) == 0  # waited its turn
    assert ledger.statuses(engine)[SPEC.key].archive_sha256 == sha

    new_sha = changed_drop(pipeline_env)
    lock = hold(None)
    capsys.readouterr()
    assert main(["run", "--dataset", SPEC.key]) == 4
    out = capsys.readouterr().out
    assert "the ledger is unavailable (database is locked)" in out and "sổ theo dõi không dùng được" in out, out
    assert "sqlite:///" not in out
    lock.rollback()
    lock.close()
    assert ledger.statuses(engine)[SPEC.key].archive_sha256 == sha  # not recorded
    assert portal.get("package_show", id=NAME)["archive_sha256"] == sha  # the portal as it was

    assert main(["run", "--dataset", SPEC.key]) == 0
    converged(portal, capsys, new_sha)


def wait_until(check, what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout_s} s for {what}")
