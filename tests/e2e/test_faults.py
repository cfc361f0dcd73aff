"""Faults on the real local stack, then recovery by the next run alone: each test names the fault and
checks afterwards that no delivery was lost (archive and manifest complete), the portal holds exactly
one version of the dataset with the ledger's content hash, and `opendata reconcile` finds no drift."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from opendata import ledger
from opendata.archive import RawArchive
from opendata.archive.store import sha256_of
from opendata.cli import main
from opendata.publish.datastore import MARKER
from opendata.settings import load_settings
from tests.e2e.fault_proxy import Fault
from tests.e2e.test_rain_gauge_slice import NAME, SPEC, drop
from tests.factories import ROOT, SAMPLE_DROP

pytestmark = [pytest.mark.portal]

# The child runs `opendata run` with one stage wrapped: the stage does its work, then the process is
# killed (SIGKILL: no clean-up, no except, no finally) before the next stage starts.
KILLED_CHILD = r"""
import os, signal, sys
sys.path.insert(0, sys.argv[1])
where = sys.argv[2]
from opendata.pipeline import stages
from opendata.publish import datastore


def after(owner, name):
    real = getattr(owner, name)

    def wrapped(*args, **kwargs):
        value = real(*args, **kwargs)
        print(f"killed after {name}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        return value
    setattr(owner, name, wrapped)


if where == "datastore-load":  # inside publish: the rows are in, the page's new fields not yet
    after(datastore.DatastoreLoader, "load")
else:
    after(stages, where)
from opendata.cli import main
main(["run", "--dataset", sys.argv[3]])
print("not killed", flush=True)
"""


def drift(capsys) -> dict:
    capsys.readouterr()
    code = main(["reconcile", "--city", "danang", "--format", "json"])
    return {"code": code, **json.loads(capsys.readouterr().out)}


@pytest.mark.parametrize("where", ["fetch", "archive", "normalise", "check", "datastore-load", "publish", "record"])
def test_sigkill_at_each_stage_then_the_next_run_converges(portal, pipeline_env, capsys, where: str) -> None:
    """fetch → archive → normalise → check → publish (killed inside, after the DataStore load, too) →
    record: whatever stage the task process dies after, the delivery survives and the next run puts
    the dataset on the portal once, as the ledger says (killed after the record, it has nothing left)."""
    portal.purge_datasets()
    dropped = drop(pipeline_env, SAMPLE_DROP, "tram-do-mua.csv")
    sha = sha256_of(dropped)
    child = subprocess.run([sys.executable, "-c", KILLED_CHILD, str(ROOT), where, SPEC.key], cwd=ROOT,
                           env=os.environ.copy(), capture_output=True, text=True, timeout=300)
    assert child.returncode == -9 and f"killed after {where.replace('datastore-', '')}" in child.stdout, \
        child.stdout + child.stderr[-3000:]

    capsys.readouterr()
    assert main(["run", "--dataset", SPEC.key]) == 0  # the next run, nothing done by hand
    settings = load_settings()
    archive = RawArchive(settings.paths.data / "archive")
    assert sha in {e["sha256"] for e in archive.entries() if e["dataset"] == SPEC.key}  # no delivery lost
    assert archive.verify().ok
    found = portal.action("package_search", fq=f"name:{NAME}", include_private=True)["count"]
    page = portal.get("package_show", id=NAME)
    status = ledger.statuses(ledger.open_ledger(settings.ledger_url()))[SPEC.key]
    assert found == 1 and status.published and status.archive_sha256 == sha
    assert page["content_sha256"] == status.content_sha256 == portal.resource(page, "data")[MARKER]
    report = drift(capsys)
    assert (report["code"], report["drift"]) == (0, []), report


@pytest.fixture()
def full_archive(pipeline_env):
    """The archive on its own small filesystem (a tmpfs mounted by the test), filled to the last byte."""
    root = pipeline_env / "archive"
    root.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0750", "tmpfs", str(root)],
                             capture_output=True, text=True)
    assert mounted.returncode == 0, f"the test mounts a tmpfs (needs root): {mounted.stderr}"
    filler = root / "filler"
    try:
        with open(filler, "wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError:
        pass
    yield filler
    subprocess.run(["umount", "-l", str(root)], check=False)


def test_a_full_archive_disk_processes_nothing_and_loses_nothing(portal, pipeline_env, full_archive, capsys) -> None:
    """Fault: no space left on the archive's filesystem. The run stops at the archive with a message in
    both languages (a transient fault: Airflow retries it), nothing reaches the portal, the ledger or the
    other stages; the file waits. Space freed, the next run archives it and publishes it once."""
    portal.purge_datasets()
    dropped = drop(pipeline_env, SAMPLE_DROP, "tram-do-mua.csv")
    sha = sha256_of(dropped)
    capsys.readouterr()
    assert main(["run", "--dataset", SPEC.key]) == 4
    out = capsys.readouterr().out
    assert "No space left on device" in out and "kho lưu trữ không ghi được" in out and "tram-do-mua.csv" in out
    assert portal.get("package_show", id=NAME) is None
    settings = load_settings()
    assert SPEC.key not in ledger.statuses(ledger.open_ledger(settings.ledger_url()))
    assert ledger.carry(ledger.open_ledger(settings.ledger_url()), SPEC.key) is None  # nothing accepted, nothing carried

    full_archive.unlink()  # the operator frees space
    assert main(["run", "--dataset", SPEC.key]) == 0
    archive = RawArchive(settings.paths.data / "archive")
    assert sha in {e["sha256"] for e in archive.entries()} and archive.verify().ok
    assert portal.action("package_search", fq=f"name:{NAME}", include_private=True)["count"] == 1
    report = drift(capsys)
    assert (report["code"], report["drift"]) == (0, []), report


def changed_drop(pipeline_env) -> str:
    lines = SAMPLE_DROP.read_text(encoding="utf-8").splitlines()
    changed = pipeline_env / "changed.csv"
    changed.write_text("\n".join([*lines[:-1], lines[-1].replace(",Hoạt động", ",Bảo trì")]) + "\n", encoding="utf-8")
    return sha256_of(drop(pipeline_env, changed, "tram-do-mua-moi.csv"))


def test_ckan_answering_500_during_the_datastore_load_then_healing(portal, pipeline_env, proxied, capsys) -> None:
    """Fault: the portal answers 500 to every DataStore load, longer than the client's retries. The run
    fails; the page stays the previous delivery throughout (its rows, scores and hashes; the marker says
    the table is in flux, and reconcile says so); the failed delivery is not settled, so once the portal
    heals the next run takes it again from the archive and publishes it."""
    from opendata.publish.datastore import BULK_ACTION

    portal.purge_datasets()
    drop(pipeline_env, SAMPLE_DROP, "tram-do-mua.csv")
    assert main(["run", "--dataset", SPEC.key]) == 0
    before = portal.get("package_show", id=NAME)
    new_sha = changed_drop(pipeline_env)
    loads = (BULK_ACTION, "datastore_upsert")
    proxied.rule = lambda method, path, n: Fault(status=500) if path.rsplit("/", 1)[-1] in loads else None

    capsys.readouterr()
    assert main(["run", "--dataset", SPEC.key]) in (1, 4)
    assert any("→ 500" in i for i in proxied.injected) and len(proxied.injected) >= 5  # retried, then given up
    during = portal.get("package_show", id=NAME)
    for key in ("content_sha256", "archive_sha256", "quality_overall", "last_refreshed_at"):
        assert during[key] == before[key], key
    last = SAMPLE_DROP.read_text(encoding="utf-8").splitlines()[-1].split(",")[0]
    [row] = portal.rows(portal.resource(during, "data")["id"], filters=json.dumps({"station_code": last}))
    assert row["status"] == "Hoạt động"  # the old rows: the bulk load is one transaction
    assert {d["kind"] for d in drift(capsys)["drift"]} == {"content", "behind"}  # the marker; v2 accepted, unpublished

    proxied.rule = lambda method, path, n: None  # the portal heals
    assert main(["run", "--dataset", SPEC.key]) == 0
    after = portal.get("package_show", id=NAME)
    assert after["archive_sha256"] == new_sha and after["content_sha256"] != before["content_sha256"]
    [row] = portal.rows(portal.resource(after, "data")["id"], filters=json.dumps({"station_code": last}))
    assert row["status"] == "Bảo trì"
    report = drift(capsys)
    assert (report["code"], report["drift"]) == (0, []), report


def test_ckan_slowed_past_the_timeout_is_retried(portal, pipeline_env, proxied, capsys, monkeypatch) -> None:
    """Fault: the portal answers the first reads later than the client waits (1 s here). Each timeout is
    retried with backoff; the delivery is published once."""
    monkeypatch.setenv("OPENDATA__CKAN__TIMEOUT_S", "1")
    portal.purge_datasets()
    drop(pipeline_env, SAMPLE_DROP, "tram-do-mua.csv")
    proxied.rule = lambda method, path, n: Fault(delay_s=2.5) if path.endswith("/package_show") and n <= 2 else None
    assert main(["run", "--dataset", SPEC.key]) == 0
    assert len([i for i in proxied.injected if "+2.5 s" in i]) == 2
    assert portal.action("package_search", fq=f"name:{NAME}", include_private=True)["count"] == 1
    report = drift(capsys)
    assert (report["code"], report["drift"]) == (0, []), report


@pytest.mark.airflow
def test_a_publish_task_that_fails_is_retried_by_airflow_and_converges(portal, pipeline_env, proxied, capsys) -> None:
    """Fault: the portal refuses the DataStore load for longer than the client's own retries, so the
    DAG's publish task fails; Airflow retries the task (its retry policy, through dag.test) and the
    second try publishes. One dataset, the ledger's hash, zero drift."""
    from opendata.publish.datastore import BULK_ACTION
    from tests.e2e.test_rain_gauge_slice import run_dataset_dag

    portal.purge_datasets()
    drop(pipeline_env, SAMPLE_DROP, "tram-do-mua.csv")
    loads = (BULK_ACTION, "datastore_upsert")
    proxied.rule = lambda method, path, n: Fault(status=500) if path.rsplit("/", 1)[-1] in loads and n <= 5 else None
    run = run_dataset_dag()
    assert run.state == "success" and run.outcome == "published", run.task_states
    assert run.tries["publish"] == 2 and len(proxied.injected) == 5  # one try given up, the next one through
    assert portal.action("package_search", fq=f"name:{NAME}", include_private=True)["count"] == 1
    report = drift(capsys)
    assert (report["code"], report["drift"]) == (0, []), report
