"""The publisher against the real local CKAN: crash mid-publish and converge, outage then retries,
agencies kept inside their own organization."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import SecretStr

from opendata.exceptions import PublishError
from opendata.publish.client import CkanClient, PortalAccess
from opendata.publish.datastore import MARKER, DatastoreLoader
from opendata.publish.mapping import Quality
from opendata.publish.sync import Delivery, Publisher
from opendata.settings import load_settings
from opendata.spec import load_registry
from tests.factories import ROOT, small_spec

pytestmark = [pytest.mark.portal]

REGISTRY = load_registry(load_settings().paths.registry)
CITY = REGISTRY.cities["danang"]
SYT, SNNMT = CITY.agency("syt"), CITY.agency("snnmt")


def clinics(n: int, version: int, folder: Path) -> Path:
    """n clinics; ``version`` changes every bed count, so two versions differ in every row."""
    folder.mkdir(parents=True, exist_ok=True)
    first = date(2000, 1, 1)
    table = pa.table({
        "code": [f"PK{i:06d}" for i in range(n)], "name": [f"Phòng khám số {i}" for i in range(n)],
        "beds": pa.array([(i + version) % 400 for i in range(n)], pa.int64()),
        "opened_on": [first + timedelta(days=i % 9000) for i in range(n)], "_source_row": list(range(2, n + 2))})
    path = folder / f"clinics-v{version}.parquet"
    pq.write_table(table, path)
    return path


def agency_client(agency_connections: dict, agency, **kw) -> CkanClient:
    conn = json.loads(agency_connections[f"AIRFLOW_CONN_{agency.conn_id('danang').upper()}"])
    return CkanClient(PortalAccess(f"{conn['schema']}://{conn['host']}:{conn['port']}", SecretStr(conn["password"])), **kw)


def publish(client: CkanClient, spec, table: Path, workdir: Path, agency=SYT, bulk: bool = True) -> dict:
    delivery = Delivery(table, "0" * 64, Quality(90.0, {"dung": 100, "du": 100, "sach": 80, "song": 80}), datetime.now(UTC))
    loader = DatastoreLoader(client)
    if not bulk:
        loader._bulk = False  # as on a portal without ckanext-opendata: JSON chunks through the DataStore API
    return Publisher(client, CITY, agency, client.access.url, loader).publish(spec, delivery, workdir).asdict()


CRASHING_CHILD = r"""
import json, sys
from datetime import UTC, datetime
from pathlib import Path
from pydantic import SecretStr
sys.path.insert(0, sys.argv[1])
from opendata.publish.client import CkanClient, PortalAccess
from opendata.publish.datastore import DatastoreLoader
from opendata.publish.mapping import Quality
from opendata.publish.sync import Delivery, Publisher
from tests.e2e.test_publishing import CITY, SYT, crash_spec
url, token, table, workdir, path = sys.argv[2:7]
client = CkanClient(PortalAccess(url, SecretStr(token)))
loader = DatastoreLoader(client, chunk_rows=500, on_chunk=lambda sent, total: print(f"sent {sent} of {total}", flush=True))
loader._bulk = None if path == "bulk" else False  # bulk: ckanext-opendata's COPY; api: JSON chunks
Publisher(client, CITY, SYT, url, loader).publish(
    crash_spec(), Delivery(Path(table), "1" * 64, Quality(55.0, {"dung": 55.0}), datetime.now(UTC)), Path(workdir))
print("finished", flush=True)
"""


def crash_spec():
    return small_spec(id="clinics-crash-test")


def scratch_tables() -> int:
    """Tables a bulk load makes for itself in the DataStore database (ckanext-opendata) that still exist."""
    from portal import Layout, psql

    return int(psql(Layout.from_env(), "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'opendata\\_load\\_%'",
                    db="datastore_default"))


@pytest.mark.parametrize("path", ["api", "bulk"])
def test_a_publish_killed_half_way_converges_when_run_again(portal, agency_connections, tmp_path: Path, path: str) -> None:
    """Killed (SIGKILL) while rows are going in: in the middle of the JSON chunks (into a staging
    resource), or while the portal is busy with the bulk load (one transaction). The public's table is
    the old one, whole, either way; the next run loads in full and leaves one data resource."""
    spec = crash_spec()
    client = agency_client(agency_connections, SYT)
    portal.purge(spec.ckan_name)
    first = publish(client, spec, clinics(20_000, 1, tmp_path), tmp_path / "w1")
    v2 = clinics(20_000, 2, tmp_path)

    child = subprocess.Popen([sys.executable, "-c", CRASHING_CHILD, str(ROOT), client.access.url,
                              client.access.token.get_secret_value(), str(v2), str(tmp_path / "w2"), path],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT)
    for line in child.stdout:
        if line.startswith("sent ") and int(line.split()[1]) >= (5_000 if path == "api" else 0):
            child.kill()  # SIGKILL: no clean-up of any kind
            break
    child.wait(30)
    assert child.returncode == -9
    half = portal.get("package_show", id=spec.ckan_name)
    data = portal.resource(half, "data")
    if path == "api":  # the old table untouched, still named by its marker; the new rows half in staging
        assert data["id"] == first["resource_ids"]["data"] and data[MARKER] == first["content_sha256"]
        assert portal.get("datastore_search", resource_id=data["id"], limit=0)["total"] == 20_000
        staging = portal.resource(half, "staging")
        assert 0 < portal.get("datastore_search", resource_id=staging["id"], limit=0)["total"] < 20_000
        old_row = portal.get("datastore_search", resource_id=data["id"], filters=json.dumps({"code": "PK000007"}))
        assert old_row["records"][0]["beds"] == 8  # version 1: (7 + 1) % 400
    else:
        assert data[MARKER] == ""  # the table is known to be in flux (the bulk load's transaction is not done)
    # and the page is the old delivery throughout: its scores, hashes and quality line, not the new scores
    # over the old hashes
    assert (half["quality_overall"], half["quality_dung"], half["archive_sha256"], half["content_sha256"]) == \
        ("90.0", "100.0", "0" * 64, first["content_sha256"])
    assert "Quality: 90/100" in half["notes"] and "55" not in half["notes"].splitlines()[0]

    result = publish(client, spec, v2, tmp_path / "w3", bulk=path == "bulk")

    assert result["outcome"] == "updated" and result["datastore"]["mode"] == {"api": "staged", "bulk": "bulk"}[path]
    found = portal.get("package_search", fq=f"name:{spec.ckan_name}")["count"]
    after = portal.get("package_show", id=spec.ckan_name)
    assert found == 1 and [r["opendata_role"] for r in after["resources"]] == ["data", "parquet"]  # data first
    if path == "bulk":
        assert portal.resource(after, "data")["id"] == data["id"]  # updated in place
        assert scratch_tables() == 0  # the load's scratch tables are gone with it (and the killed one's never committed)
        words = portal.get("datastore_search", resource_id=data["id"], q="PK000007")["records"]
        assert [r["code"] for r in words] == ["PK000007"]  # its words computed with the rows (full-text search)
        # the rows in the file's order (the words are computed in parallel, in any order): what the CSV download gives
        in_order = portal.get("datastore_search", resource_id=data["id"], sort="_id", limit=20_000)["records"]
        assert [r["code"] for r in in_order] == [f"PK{i:06d}" for i in range(20_000)]
        assert [r["_id"] for r in in_order[:3]] == [1, 2, 3]
    else:  # the staged table swapped in; the old resource and its table gone, the left-over staging too
        data = portal.resource(after, "data")
        assert data["id"] not in (first["resource_ids"]["data"], staging["id"])
        assert portal.get("datastore_search", resource_id=first["resource_ids"]["data"], limit=0) is None
        views = portal.get("resource_view_list", id=data["id"])
        assert [v["view_type"] for v in views] == ["datatables_view"]
    assert portal.get("datastore_search", resource_id=data["id"], limit=0)["total"] == 20_000
    sample = portal.get("datastore_search", resource_id=data["id"], filters=json.dumps({"code": "PK000007"}))["records"]
    assert sample[0]["beds"] == 9  # version 2: (7 + 2) % 400
    assert after["content_sha256"] == result["content_sha256"] == portal.resource(after, "data")[MARKER]
    if path == "bulk":
        client.call("datastore_upsert", {"resource_id": data["id"], "method": "insert", "force": True,
                                         "records": [{"code": "PK999999", "name": "Mới", "beds": 1}]})
        last = portal.get("datastore_search", resource_id=data["id"], sort="_id desc", limit=1)["records"][0]
        assert (last["_id"], last["code"]) == (20_001, "PK999999")  # a row added by the API follows on


@pytest.mark.parametrize(("body", "refused_for"), [
    (b"code,name,beds\nPK000001,X,many beds\n", "many beds"),  # a value of the wrong type
    (b"code,name,\"beds\"; DROP TABLE x; --\nPK000001,X,1\n", "unknown columns"),  # a column that is not the table's
    (b"code,name,beds\nPK000001,X,1,extra,cells\n", "extra data"),  # a row wider than its header
    (b"_id,code,name,beds\n1,PK000001,X,1\n", "unknown columns"),  # the DataStore's own row id, chosen by the caller
    (b"code,name,_full_text\nPK000001,X,'a' 'b'\n", "unknown columns"),  # its own search words, chosen by the caller
    # a key twice: refused at the insert itself, after the truncate, with CKAN's row trigger switched off
    (b"code,name,beds\nPK000001,X,1\nPK000001,Y,2\n", "duplicate key"),
])
def test_a_hostile_bulk_load_is_refused_whole_and_the_table_stays_as_it_was(portal, agency_connections, tmp_path: Path,
                                                                          body: bytes, refused_for: str) -> None:
    """The bulk action is an API any editor of the organization can call, with any CSV: what does not fit
    the table is refused with CKAN's message, in one transaction, so the public keeps the table it had and
    no scratch table is left behind."""
    import io

    from opendata.publish.datastore import BULK_ACTION

    spec = small_spec(id="clinics-hostile-bulk")
    client = agency_client(agency_connections, SYT)
    portal.purge(spec.ckan_name)
    first = publish(client, spec, clinics(500, 1, tmp_path), tmp_path / "w1")
    rid = first["resource_ids"]["data"]
    with pytest.raises(PublishError) as refused:
        client.call(BULK_ACTION, {"resource_id": rid, "replace": True}, files={"upload": io.BytesIO(body)})
    assert refused.value.status == 409 and refused_for in refused.value.message
    assert portal.get("datastore_search", resource_id=rid, limit=0)["total"] == 500  # not emptied by the refused load
    row = portal.get("datastore_search", resource_id=rid, filters=json.dumps({"code": "PK000007"}))["records"][0]
    assert row["beds"] == 8 and scratch_tables() == 0
    from tests.e2e.test_fulltext_index import sql

    trigger = sql(f"SELECT tgenabled FROM pg_trigger WHERE tgrelid = '\"{rid}\"'::regclass AND tgname = 'zfulltext'")
    assert trigger == "O"  # on, as it was: rows added through the API still get their words
    portal.purge(spec.ckan_name)


def test_ckan_down_then_up_is_retried_until_it_answers(portal, agency_connections, tmp_path: Path, caplog) -> None:
    spec = small_spec(id="clinics-outage-test")
    portal.purge(spec.ckan_name)
    client = agency_client(agency_connections, SYT, retries=8, backoff_s=1.0)
    table = clinics(50, 1, tmp_path)
    down = subprocess.run([sys.executable, str(ROOT / "dev" / "portal.py"), "stop", "ckan"], capture_output=True, text=True)
    assert down.returncode == 0, down.stderr
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = publish(client, spec, table, tmp_path / "w")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = exc

    caplog.set_level(logging.WARNING, logger="opendata.retrying")
    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(3)
    up = subprocess.run([sys.executable, str(ROOT / "dev" / "portal.py"), "up"], capture_output=True, text=True)
    assert up.returncode == 0, up.stderr
    worker.join(180)

    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"]["outcome"] == "created"
    assert "ConnectionError; retry 1/8 in 1.0 s" in caplog.text  # the one retry policy's line
    assert portal.get("datastore_search", resource_id=outcome["result"]["resource_id"], limit=0)["total"] == 50


def test_a_4xx_fails_at_once_with_ckans_message(portal, agency_connections) -> None:
    client = agency_client(agency_connections, SYT)
    started = time.monotonic()
    with pytest.raises(PublishError) as err:
        client.call("package_create", {"name": "Không hợp lệ", "owner_org": "danang-syt"})
    assert err.value.status == 409 and "name" in err.value.message and time.monotonic() - started < 5


def test_a_spec_of_another_agency_is_refused_before_any_call(agency_connections, tmp_path: Path) -> None:
    calls: list[str] = []

    class Counting(CkanClient):
        def call(self, action, data=None, files=None):
            calls.append(action)
            return super().call(action, data, files)

    client = agency_client(agency_connections, SNNMT)
    counting = Counting(client.access)
    with pytest.raises(PublishError) as err:
        publish(counting, small_spec(id="clinics-not-mine"), clinics(5, 1, tmp_path), tmp_path / "w", agency=SNNMT)
    assert err.value.status == 403 and "danang/syt" in err.value.message
    assert calls == []


def test_an_agency_token_cannot_touch_another_agencys_dataset(portal, agency_connections, tmp_path: Path) -> None:
    spec = small_spec(id="clinics-owned-by-syt")
    publish(agency_client(agency_connections, SYT), spec, clinics(5, 1, tmp_path), tmp_path / "w")
    intruder = agency_client(agency_connections, SNNMT)
    with pytest.raises(PublishError) as err:
        intruder.call("package_patch", {"id": spec.ckan_name, "title": "Bị sửa / tampered"})
    assert err.value.status == 403
    with pytest.raises(PublishError):
        intruder.call("package_create", {"name": "snnmt-in-syt", "title": "x", "owner_org": "danang-syt"})
    assert portal.get("package_show", id=spec.ckan_name)["title"] == spec.title.vi
    # the agency's user is an editor of its own organization, nothing more
    roles = {o["name"]: o.get("capacity") for o in portal.action("organization_list_for_user", id="danang-syt-publisher",
                                                                   permission="read")}
    assert roles == {"danang-syt": "editor"}


def test_provisioning_from_the_cli_keeps_tokens_private_and_reuses_them(portal, tmp_path: Path, monkeypatch, capsys) -> None:
    from opendata.cli import main

    monkeypatch.setenv("OPENDATA__CKAN__URL", portal.url)
    monkeypatch.setenv("OPENDATA__CKAN__TOKEN", portal.token)
    tokens = tmp_path / "agency-connections.json"
    assert main(["portal", "provision", "--tokens-file", str(tokens)]) == 0
    first = json.loads(tokens.read_text())
    assert tokens.stat().st_mode & 0o777 == 0o600
    assert sorted(first) == sorted(a.conn_id(c.code) for c in REGISTRY.cities.values() for a in c.agencies)
    assert "ckan_cantho_snnmt" in first and "ckan_danang_snnmt" in first  # one publisher per city's agency
    assert main(["portal", "provision", "--tokens-file", str(tokens)]) == 0
    out = capsys.readouterr().out
    assert "(0 new token(s))" in out and json.loads(tokens.read_text()) == first
    assert not [c["password"] for c in first.values() if c["password"] in out] and portal.token not in out
    groups = {g for g in portal.get("group_list")}
    assert {"moi-truong", "y-te"} <= groups


@pytest.mark.parametrize("path", ["bulk", "api"])
def test_a_large_delivery_goes_on_a_row_group_at_a_time(portal, agency_connections, tmp_path: Path, path: str) -> None:
    """Issue 17: a table normalise.stream wrote in blocks (several row groups) is never read whole: its
    public Parquet, the DataStore rows (in the file's order, without _source_row) and the temporal
    coverage are the same as if it had been; the bulk CSV streams from a file, in reads of bounded size."""
    spec = small_spec(id=f"clinics-large-{path}", date_column="opened_on")
    source = clinics(2_500, 3, tmp_path)
    grouped = tmp_path / "grouped.parquet"
    pq.write_table(pq.read_table(source), grouped, row_group_size=600)
    assert pq.ParquetFile(grouped).num_row_groups == 5
    client = agency_client(agency_connections, SYT)
    reads: list[int] = []
    if path == "bulk":
        real = client._api._request_fn

        def watching(url, data, headers, files, requests_kwargs):
            if files:
                upload = files["upload"]
                read = upload.read
                upload.read = lambda n=-1: (reads.append(n), read(n))[1]
            return real(url, data, headers, files, requests_kwargs)

        client._api._request_fn = watching
    result = publish(client, spec, grouped, tmp_path / "w", bulk=path == "bulk")
    assert result["rows"] == 2_500 and result["datastore"]["rows_sent"] == 2_500
    if path == "bulk":
        assert reads and all(0 < n <= 1 << 20 for n in reads)  # streamed in pieces, never read whole (-1)
    published = pq.read_table(Path(tmp_path / "w" / f"{spec.id}.parquet"))
    assert published.equals(pq.read_table(source).drop_columns(["_source_row"]))
    got = client.call("datastore_search", {"resource_id": result["resource_id"], "limit": 5, "offset": 1_200,
                                           "sort": "_id"})
    assert [r["code"] for r in got["records"]] == [f"PK{i:06d}" for i in range(1_200, 1_205)]
    assert got["total"] == 2_500 and "_source_row" not in got["records"][0]
    assert result["content_newest"] == max(pq.read_table(source).column("opened_on").to_pylist()).isoformat()
