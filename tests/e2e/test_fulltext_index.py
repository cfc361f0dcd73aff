"""Issue 17: a bulk replace (ckanext-opendata) commits its rows without the full-text index, which
CKAN's job worker then builds concurrently. Searches find the rows meanwhile; the index comes back
whole and single; a newer load cancels a build still running instead of waiting for it; with the job
worker down the rows are in and the index follows when it is back."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from opendata.exceptions import PublishError
from tests.e2e.test_publishing import SNNMT, SYT, agency_client, clinics, publish
from tests.factories import ROOT, small_spec

pytestmark = [pytest.mark.portal]


def stack():
    sys.path.insert(0, str(ROOT / "dev"))
    import portal

    return portal, portal.Layout.from_env()


def sql(query: str) -> str:
    portal, lay = stack()
    return portal.psql(lay, query, db="datastore_default")


def full_text_indexes(rid: str) -> list[tuple[str, bool]]:
    """(access method, valid) of each index on the table's _full_text."""
    rows = sql("SELECT a.amname || ' ' || i.indisvalid FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
               "JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_am a ON a.oid = x.relam "
               f"WHERE t.relname = '{rid}' AND pg_get_indexdef(x.oid) LIKE '%(_full_text)%'")
    return [(r.split()[0], r.split()[1] == "true") for r in rows.splitlines() if r]


def wait_until(check, what: str, timeout_s: float = 90):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout_s} s: {what}")


def building(rid: str) -> str:
    """The phase of an index build running on the table, '' when none is."""
    return sql(f"SELECT phase FROM pg_stat_progress_create_index WHERE relid = '\"{rid}\"'::regclass")


def worker(action: str) -> None:
    command = [sys.executable, str(ROOT / "dev" / "portal.py"), *(["stop", "ckan-worker"] if action == "stop" else ["up"])]
    subprocess.run(command, check=True, capture_output=True)


def first_load(portal, agency_connections, tmp_path: Path, dataset: str, rows: int, without_worker: bool = False):
    """(spec, client, resource id) of a first bulk load of ``rows`` clinics into a fresh dataset. With
    ``without_worker`` CKAN's job worker is stopped first: the index build is queued, not run, and the
    caller starts the worker again."""
    spec = small_spec(id=dataset)
    portal.purge(spec.ckan_name)
    client = agency_client(agency_connections, SYT)
    if without_worker:
        worker("stop")
    return spec, client, publish(client, spec, clinics(rows, 1, tmp_path), tmp_path / "w1")["resource_id"]


def first_load_without_worker(portal, agency_connections, tmp_path: Path, dataset: str, rows: int):
    return first_load(portal, agency_connections, tmp_path, dataset, rows, without_worker=True)


def holds(rid: str, mode: str, session: str) -> bool:
    """The psql session named ``session`` (its application_name) holds ``mode`` (e.g. RowExclusiveLock) on the table."""
    return sql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_stat_activity a "
               f"ON a.pid = l.pid WHERE c.relname = '{rid}' AND l.mode = '{mode}' AND l.granted "
               f"AND a.application_name = '{session}'") != "0"


@contextmanager
def idle_session(rid: str, statements: str, mode: str) -> Iterator[subprocess.Popen]:
    """A psql session that runs ``statements`` (a transaction taking ``mode`` on the table) and stays idle in
    it: yielded once it holds the lock, with its name as ``.name``. The caller ends it with
    ``.communicate("COMMIT;" + newline)``; a session still open when the test leaves is killed, and its
    transaction with it."""
    import uuid

    _, lay = stack()
    name = f"opendata-test-{uuid.uuid4().hex[:12]}"
    session = subprocess.Popen(
        ["psql", "-h", str(lay.pg_socket), "-p", str(lay.pg_port), "-U", "postgres", "-d", "datastore_default", "-q"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env={**os.environ, "PGAPPNAME": name})
    session.name = name
    try:
        session.stdin.write(statements + "\n")
        session.stdin.flush()
        wait_until(lambda: holds(rid, mode, name), f"the session's {mode}")
        yield session
    finally:
        if session.poll() is None:
            session.kill()


def wait_for_log(path: Path, start: int, text: str, what: str, timeout_s: float = 30) -> None:
    """``text`` written to the log ``path`` after byte ``start``."""
    with open(path, "rb") as fh:
        wait_until(lambda: text.encode() in (fh.seek(start), fh.read())[1], what, timeout_s=timeout_s)


def searched(client, rid: str, word: str) -> list[str]:
    found = client.call("datastore_search", {"resource_id": rid, "q": word, "fields": "code"})
    return [r["code"] for r in found["records"]]


def test_the_index_is_rebuilt_after_each_replace_and_searches_find_rows_meanwhile(portal, agency_connections,
                                                                                   tmp_path: Path) -> None:
    spec = small_spec(id="clinics-full-text")
    portal.purge(spec.ckan_name)
    client = agency_client(agency_connections, SYT)
    rid = publish(client, spec, clinics(3_000, 1, tmp_path), tmp_path / "w1")["resource_id"]
    assert searched(client, rid, "PK000007") == ["PK000007"]  # with or without its index yet
    wait_until(lambda: full_text_indexes(rid) == [("gist", True)], "the GiST index on _full_text, valid")
    assert client.call("datastore_search", {"resource_id": rid, "limit": 0})["total"] == 3_000
    again = publish(client, spec, clinics(2_500, 2, tmp_path), tmp_path / "w2")
    assert again["resource_id"] == rid and again["datastore"]["mode"] == "bulk"
    # the count CKAN caches is the new one (no datastore_create ran to clear it: nothing had changed)
    assert client.call("datastore_search", {"resource_id": rid, "limit": 0})["total"] == 2_500
    assert searched(client, rid, "PK002499") == ["PK002499"] and searched(client, rid, "PK002999") == []
    wait_until(lambda: full_text_indexes(rid) == [("gist", True)], "the index again, one, valid")
    assert searched(client, rid, "PK002499") == ["PK002499"]


def append(client, rid: str, first: int, count: int) -> dict:
    """``count`` rows after the first ``first``, appended through the bulk action (replace false)."""
    import io

    from opendata.publish.datastore import BULK_ACTION

    body = "code,name,beds\n" + "".join(f"PK{i:06d},Phòng khám số {i},{i % 400}\n" for i in range(first, first + count))
    return client.call(BULK_ACTION, {"resource_id": rid, "replace": False}, files={"upload": io.BytesIO(body.encode())})


@pytest.mark.parametrize("then", ["reload", "append", "delete"])
def test_a_build_still_running_is_cancelled_by_a_reload_or_a_delete(portal, agency_connections, tmp_path: Path,
                                                                     then: str) -> None:
    """The first load's build is held (a session writing to the table: CREATE INDEX CONCURRENTLY waits
    for it) so that it is surely running when a second load, or a delete of the table, starts. Either
    cancels it; its TRUNCATE or DROP then waits only for the writer, which lets go once the build is
    seen cancelled."""
    sessions = ExitStack()
    try:
        spec, client, rid = first_load_without_worker(portal, agency_connections, tmp_path,
                                                      f"clinics-full-text-{then}", 2_000)
        assert full_text_indexes(rid) == []  # dropped by the load; its build waits for the worker
        writer = sessions.enter_context(
            idle_session(rid, f'BEGIN; LOCK TABLE "{rid}" IN ROW EXCLUSIVE MODE;', "RowExclusiveLock"))
        worker("start")
        # the build starts ("initializing"), then waits for the writer: its phase says so within moments
        wait_until(lambda: building(rid).startswith("waiting for"), "the first build, running and held by the writer")
        if then == "delete":  # another agency may not delete the table, so it may not stop the build either
            with pytest.raises(PublishError) as refused:
                agency_client(agency_connections, SNNMT).call("datastore_delete", {"resource_id": rid, "force": True})
            assert refused.value.status == 403 and building(rid)
        result: dict = {}
        second = threading.Thread(target=lambda: result.update(
            publish(client, spec, clinics(2_000, 2, tmp_path), tmp_path / "w2") if then == "reload"
            else append(client, rid, 2_000, 300) if then == "append"
            else client.call("datastore_delete", {"resource_id": rid, "force": True})))
        second.start()
        wait_until(lambda: not building(rid), f"the first build cancelled by the {then}", timeout_s=30)
        assert holds(rid, "RowExclusiveLock", writer.name)  # the writer still holds: the build was cancelled, not finished
        writer.communicate("COMMIT;\n", timeout=30)  # the writer lets go; the TRUNCATE or DROP goes on
        second.join(timeout=120)
        if then == "delete":
            assert result.get("resource_id") == rid
            assert sql(f"SELECT count(*) FROM pg_class WHERE relname = '{rid}'") == "0"  # the table is gone
            return
        if then == "append":  # the cancelled build left an invalid index, which the append's job builds again
            assert result.get("rows") == 300 and result["replaced"] is False
            assert client.call("datastore_search", {"resource_id": rid, "limit": 0})["total"] == 2_300
            assert sql(f'SELECT min(_id) || \' \' || max(_id) FROM "{rid}" WHERE code >= \'PK002000\'') == "2001 2300"
        else:
            assert result.get("resource_id") == rid and result["datastore"]["rows_sent"] == 2_000
        wait_until(lambda: full_text_indexes(rid) == [("gist", True)], "one valid index, no invalid leftover")
        assert searched(client, rid, "PK001999") == ["PK001999"]
    finally:
        sessions.close()
        worker("start")


def test_a_build_ended_by_a_deadlock_is_tried_again(portal, agency_connections, tmp_path: Path) -> None:
    """A build waits for the table's writers; one of them then asks for a lock the build holds (as an ANALYZE
    does: CKAN's own record-count job, on a second worker). PostgreSQL ends the deadlock by failing one of
    the two, here the build (its deadlock check runs first). The job must build the index again, not fail
    and leave the table without one until its next load."""
    pg, lay = stack()
    worker_log = lay.logs / "ckan-worker.log"
    sql("ALTER SYSTEM SET deadlock_timeout = '3s'")  # time for the test to close the cycle before the check
    sql("SELECT pg_reload_conf()")
    sessions = ExitStack()
    try:
        _, client, rid = first_load_without_worker(portal, agency_connections, tmp_path, "clinics-full-text-deadlock", 800)
        writer = sessions.enter_context(idle_session(
            rid, f"SET deadlock_timeout = '60s'; BEGIN; LOCK TABLE \"{rid}\" IN ROW EXCLUSIVE MODE;", "RowExclusiveLock"))
        logged = worker_log.stat().st_size
        worker("start")
        wait_until(lambda: building(rid).startswith("waiting for"), "the build, waiting for the writer", timeout_s=30)
        writer.stdin.write(f"LOCK TABLE \"{rid}\" IN SHARE UPDATE EXCLUSIVE MODE;\n")  # the build holds that: a cycle
        writer.stdin.flush()
        wait_for_log(worker_log, logged, "ended by a deadlock", "the build ended by the deadlock")
        writer.communicate("COMMIT;\n", timeout=30)
        wait_until(lambda: full_text_indexes(rid) == [("gist", True)], "the index, built by the next try")
        assert searched(client, rid, "PK000777") == ["PK000777"]
    finally:
        sessions.close()
        sql("ALTER SYSTEM RESET deadlock_timeout")
        sql("SELECT pg_reload_conf()")
        worker("start")


def test_with_the_job_worker_down_the_rows_are_in_and_the_index_follows(portal, agency_connections,
                                                                         tmp_path: Path) -> None:
    try:
        _, client, rid = first_load_without_worker(portal, agency_connections, tmp_path, "clinics-full-text-later", 1_500)
        assert client.call("datastore_search", {"resource_id": rid, "limit": 0})["total"] == 1_500
        assert searched(client, rid, "PK001234") == ["PK001234"]  # a scan finds it
        time.sleep(2)
        assert full_text_indexes(rid) == []
    finally:
        worker("start")
    wait_until(lambda: full_text_indexes(rid) == [("gist", True)], "the index, once the worker is back")


def test_an_unchanged_table_is_not_created_again_and_a_changed_dictionary_is(portal, agency_connections,
                                                                            tmp_path: Path) -> None:
    """datastore_create locks the table (and would wait for an index build); a reload calls it only when
    the columns, the data dictionary or the key differ from what the table has."""
    spec = small_spec(id="clinics-no-recreate")
    portal.purge(spec.ckan_name)
    client = agency_client(agency_connections, SYT)
    actions: list[str] = []
    real = client.call
    client.call = lambda action, *a, **kw: (actions.append(action), real(action, *a, **kw))[1]
    rid = publish(client, spec, clinics(500, 1, tmp_path), tmp_path / "w1")["resource_id"]
    assert actions.count("datastore_create") == 1
    actions.clear()
    publish(client, spec, clinics(500, 2, tmp_path), tmp_path / "w2")
    assert "datastore_create" not in actions
    relabelled = spec.model_copy(update={"columns": [c.model_copy(update={"label": c.label.model_copy(
        update={"en": "Beds"})}) if c.name == "beds" else c for c in spec.columns]})
    publish(client, relabelled, clinics(500, 3, tmp_path), tmp_path / "w3")
    assert actions.count("datastore_create") == 1
    fields = {f["id"]: f for f in client.call("datastore_info", {"id": rid})["fields"]}
    assert fields["beds"]["info"]["label"].endswith("/ Beds")
    rekeyed = relabelled.model_copy(update={"primary_key": ["code", "name"]})
    publish(client, rekeyed, clinics(500, 4, tmp_path), tmp_path / "w4")
    assert actions.count("datastore_create") == 2


def test_searches_keep_vietnamese_words_an_english_dictionary_would_drop(portal, agency_connections,
                                                                         tmp_path: Path) -> None:
    """The DataStore's words and queries use PostgreSQL's 'simple' configuration: with 'english', the
    "An" of "Hội An" is a stop word, and a search for it finds nothing."""
    import pyarrow.parquet as pq

    spec = small_spec(id="clinics-words")
    portal.purge(spec.ckan_name)
    client = agency_client(agency_connections, SYT)
    source = pq.read_table(clinics(30, 1, tmp_path))
    names = source.column("name").to_pylist()
    names[7], names[8] = "Phòng khám Hội An", "Phòng khám Hòa An"
    table = tmp_path / "named.parquet"
    pq.write_table(source.set_column(source.schema.get_field_index("name"), "name", [names]), table)
    rid = publish(client, spec, table, tmp_path / "w")["resource_id"]
    assert searched(client, rid, "An") == ["PK000007", "PK000008"]
    assert searched(client, rid, "Hội An") == ["PK000007"]
    assert sql("SHOW default_text_search_config") == "pg_catalog.simple"  # what CKAN's row trigger uses too


def index_names(rid: str) -> list[str]:
    return sql(f"SELECT indexname FROM pg_indexes WHERE tablename = '{rid}' AND indexdef LIKE '%(_full_text)%'").split()


def test_a_table_that_lost_its_index_gets_ckans_own_back_at_its_next_load(portal, agency_connections,
                                                                           tmp_path: Path) -> None:
    """A load commits, then queues its index build: CKAN stopped in between leaves the table without one.
    A load lists the indexes it drops to rebuild them, so without a remedy none would ever come back."""
    spec, client, rid = first_load(portal, agency_connections, tmp_path, "clinics-lost-index", 400)
    wait_until(lambda: full_text_indexes(rid) == [("gist", True)], "the first index")
    [ckans] = index_names(rid)  # the name datastore_create gave it
    sql(f'DROP INDEX "{ckans}"')
    assert full_text_indexes(rid) == []
    publish(client, spec, clinics(400, 2, tmp_path), tmp_path / "w2")
    wait_until(lambda: full_text_indexes(rid) == [("gist", True)], "CKAN's index back after the next load")
    assert index_names(rid) == [ckans]  # the same name: a later datastore_create finds it, not a second one
    assert searched(client, rid, "PK000123") == ["PK000123"]
