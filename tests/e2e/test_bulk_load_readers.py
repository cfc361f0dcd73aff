"""Issue 17: a bulk replace (ckanext-opendata) touches the DataStore table only once the file's rows
and their full-text words are ready in its scratch tables. A replace truncates the table, which locks
its readers out until the load commits: they must wait only for the rows to go in, not for the upload,
the COPY and the words (six sevenths of the load at 1M rows). Checked in PostgreSQL's own statement
log, in the order the load's session ran its statements."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from opendata.retrying import RetryPolicy
from tests.e2e.test_fulltext_index import first_load, idle_session, sql, stack, wait_for_log
from tests.e2e.test_publishing import SYT, agency_client, clinics, publish
from tests.factories import small_spec

pytestmark = [pytest.mark.portal]

LINE = re.compile(r"\[(\d+)\] LOG:  statement: (.*)")


def statements_of_the_load(log: Path, start: int, rid: str) -> list[str]:
    """The statements logged since byte ``start`` by the session that truncated the table, in order."""
    with open(log, "rb") as fh:
        fh.seek(start)
        lines = fh.read().decode("utf-8", "replace").splitlines()
    logged = [(m.group(1), m.group(2)) for m in map(LINE.search, lines) if m]
    loader = next(pid for pid, text in logged if text.startswith(f'TRUNCATE TABLE "{rid}"'))
    return [text for pid, text in logged if pid == loader]


def test_a_replace_locks_its_readers_out_only_while_the_rows_go_in(portal, agency_connections, tmp_path: Path) -> None:
    spec, client, rid = first_load(portal, agency_connections, tmp_path, "clinics-readers", 300)
    pg, lay = stack()
    log = lay.pg_root / "postgres.log"
    sql("ALTER SYSTEM SET log_statement = 'all'")
    sql("SELECT pg_reload_conf()")
    try:
        start = log.stat().st_size
        result = publish(client, spec, clinics(400, 2, tmp_path), tmp_path / "w2")
    finally:
        sql("ALTER SYSTEM RESET log_statement")
        sql("SELECT pg_reload_conf()")
    assert result["datastore"]["mode"] == "bulk" and result["resource_id"] == rid
    ran = statements_of_the_load(log, start, rid)

    def first(prefix: str) -> int:
        return next(i for i, text in enumerate(ran) if text.startswith(prefix))

    made, copied = first("CREATE UNLOGGED TABLE \"opendata_load_"), first("COPY \"opendata_load_")
    worded = next(i for i, text in enumerate(ran) if "to_tsvector" in text)
    truncated, inserted = first(f'TRUNCATE TABLE "{rid}"'), first(f'INSERT INTO "{rid}"')
    assert made < copied < worded < truncated < inserted
    writes = re.compile(rf'(TRUNCATE TABLE|INSERT INTO|LOCK TABLE|DELETE FROM|UPDATE) "{rid}"')
    changes = [i for i, text in enumerate(ran) if writes.match(text)]
    assert changes[0] == truncated  # nothing locked the table for writing before
    found = client.call("datastore_search", {"resource_id": rid, "limit": 0})
    assert found["total"] == 400


def csv_of(n: int, version: int) -> bytes:
    lines = ["code,name,beds"] + [f"PK{i:06d},Phòng khám số {i},{(i + version) % 400}" for i in range(n)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_two_loads_of_one_table_at_once_both_finish_and_one_of_them_is_the_table(portal, agency_connections,
                                                                                 tmp_path: Path) -> None:
    """Two editors (or a retry and its original) load the same table at the same moment. Each load reads the
    table's columns early and truncates it late: without a lock of their own the two would deadlock there
    and one would fail. They must queue: both finish, and the table is one of the two files, whole."""
    import io
    import threading

    from opendata.publish.datastore import BULK_ACTION
    from tests.e2e.test_publishing import scratch_tables

    spec, client, rid = first_load(portal, agency_connections, tmp_path, "clinics-two-loads", 100)
    # the first load's index build (CKAN's job worker) may be queued or running meanwhile: each load must
    # cancel it, or wait for it, without a deadlock (its ANALYZE after the commit once deadlocked with it)
    client.policy = RetryPolicy(retries=0)  # each load must succeed at its first attempt, not after a deadlock and a retry
    bodies = {20_000: csv_of(20_000, 2), 25_000: csv_of(25_000, 3)}  # their words take long enough to overlap
    results: dict[int, object] = {}
    start = threading.Barrier(len(bodies))

    def load(rows: int) -> None:
        start.wait()
        try:
            results[rows] = client.call(BULK_ACTION, {"resource_id": rid, "replace": True},
                                        files={"upload": io.BytesIO(bodies[rows])})["rows"]
        except Exception as exc:  # noqa: BLE001 - what the test reports
            results[rows] = exc

    loads = [threading.Thread(target=load, args=(n,)) for n in bodies]
    for t in loads:
        t.start()
    for t in loads:
        t.join(120)
    assert results == {20_000: 20_000, 25_000: 25_000}, results
    total = client.call("datastore_search", {"resource_id": rid, "limit": 0})["total"]
    assert total in bodies
    version = 2 if total == 20_000 else 3
    found = client.call("datastore_search", {"resource_id": rid, "filters": {"code": "PK000007"}})["records"][0]
    assert found["beds"] == (7 + version) % 400 and scratch_tables() == 0
    portal.purge(spec.ckan_name)


TRIGGERS_WORDS = ("(SELECT to_tsvector(string_agg(value, ' ')) FROM json_each_text(row_to_json(t.*)) "
                  "WHERE key NOT LIKE '\\_%')")  # what CKAN's populate_full_text_trigger computes for a row


def test_a_bulk_load_gives_each_row_the_words_ckans_trigger_would_and_leaves_the_trigger_on(
        portal, agency_connections, tmp_path: Path) -> None:
    """The load computes the words itself and switches CKAN's row trigger off for its insert. Every row's
    words must be the trigger's, for every column type, nulls and awkward text included; after the load the
    trigger is on again, so a row added through the API gets its words and is found."""
    from datetime import datetime, timedelta

    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = [{"name": "code", "label": {"vi": "Mã"}, "required": True},
               {"name": "name", "label": {"vi": "Tên"}},
               {"name": "beds", "label": {"vi": "Số giường"}, "type": "integer"},
               {"name": "rate", "label": {"vi": "Tỷ lệ"}, "type": "number"},
               {"name": "opened_on", "label": {"vi": "Ngày"}, "type": "date"},
               {"name": "seen_at", "label": {"vi": "Lúc"}, "type": "datetime"},
               {"name": "open", "label": {"vi": "Mở"}, "type": "boolean"}]
    spec = small_spec(id="clinics-words-like-trigger", columns=columns)
    portal.purge(spec.ckan_name)
    n = 600
    names = [f"Phòng khám \"Hòa Khánh\", số {i}; Đà Nẵng\n(tầng {i % 7})" if i % 5 else None for i in range(n)]
    at = datetime(2025, 2, 17, 10, 51, 4)
    table = pa.table({
        "code": [f"PK{i:06d}" for i in range(n)], "name": names,
        "beds": pa.array([None if i % 11 == 0 else i * 1_000_003 - 7 for i in range(n)], pa.int64()),
        "rate": pa.array([None if i % 13 == 0 else (i - 300) / 7 for i in range(n)], pa.float64()),
        "opened_on": pa.array([at.date() - timedelta(days=i) for i in range(n)], pa.date32()),
        "seen_at": pa.array([at + timedelta(seconds=i * 3_601, microseconds=i * 17) for i in range(n)], pa.timestamp("us")),
        "open": pa.array([None if i % 3 == 0 else i % 2 == 0 for i in range(n)], pa.bool_()),
        "_source_row": list(range(2, n + 2))})
    pq.write_table(table, tmp_path / "rich.parquet")
    client = agency_client(agency_connections, SYT)
    result = publish(client, spec, tmp_path / "rich.parquet", tmp_path / "w")
    assert result["datastore"]["mode"] == "bulk"
    rid = result["resource_id"]
    t = f'"{rid}"'
    assert sql(f"SELECT count(*) FROM {t}") == str(n)
    assert sql(f"SELECT count(*) FROM {t} t WHERE _full_text IS DISTINCT FROM {TRIGGERS_WORDS}") == "0"
    assert sql(f"SELECT count(*) FROM {t} WHERE _full_text IS NULL OR _full_text = ''") == "0"
    assert sql(f"SELECT tgenabled FROM pg_trigger WHERE tgrelid = '{t}'::regclass AND tgname = 'zfulltext'") == "O"
    client.call("datastore_upsert", {"resource_id": rid, "method": "insert", "force": True,
                                     "records": [{"code": "PK999999", "name": "Trạm y tế Xuân Hà"}]})
    found = client.call("datastore_search", {"resource_id": rid, "q": "Xuân", "fields": "code"})["records"]
    assert [r["code"] for r in found] == ["PK999999"]
    portal.purge(spec.ckan_name)


def test_a_replace_outwaits_a_long_reader_in_short_tries_and_then_goes_in(portal, agency_connections,
                                                                           tmp_path: Path) -> None:
    """A visitor's long read holds the table against the truncate. The load waits for it in tries of a few
    seconds (between them it cancels any index build that began meanwhile, which would otherwise deadlock
    with it), and goes in once the read is over: nothing fails, the table is the new file."""
    import threading
    import time

    spec, client, rid = first_load(portal, agency_connections, tmp_path, "clinics-long-reader", 300)
    _, lay = stack()
    ckan_log = lay.logs / "ckan.log"
    # a read left open in its transaction: it holds the table until it ends
    with idle_session(rid, f'BEGIN; SELECT count(*) FROM "{rid}";', "AccessShareLock") as reader:
        logged = ckan_log.stat().st_size
        result: dict = {}
        load = threading.Thread(target=lambda: result.update(publish(client, spec, clinics(450, 2, tmp_path), tmp_path / "w2")))
        began = time.monotonic()
        load.start()
        wait_for_log(ckan_log, logged, f'"{rid}": held up (55P03), attempt 1', "the first try timed out")
        assert load.is_alive()  # still waiting for the reader
        reader.communicate("COMMIT;\n", timeout=30)
        load.join(60)
    assert result.get("resource_id") == rid and result["datastore"]["mode"] == "bulk", result
    assert time.monotonic() - began >= 5  # it did wait for the reader
    assert client.call("datastore_search", {"resource_id": rid, "limit": 0})["total"] == 450
    portal.purge(spec.ckan_name)
