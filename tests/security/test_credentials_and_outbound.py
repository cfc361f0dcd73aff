"""Points 3, 4, 6, 8 and 9: credentials stay with their host, no code runs from data, SQL sources are
safe, outbound requests are limited, and a receipt mail that cannot be sent never blocks publishing."""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from opendata.exceptions import OpendataError, SourceError
from opendata.sources.connections import ConnectionInfo
from tests.factories import ROOT, small_spec, write_spec


class Recorder(BaseHTTPRequestHandler):
    """A local API that remembers which headers reached it; its answer is set per test."""

    seen: list = []
    answer = (200, {}, b"[]")

    def do_GET(self) -> None:  # noqa: N802 - http.server's hook name
        type(self).seen.append((self.server.server_address[1], self.path, self.headers.get("Authorization")))
        status, headers, body = type(self).answer(self) if callable(type(self).answer) else type(self).answer
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args) -> None:
        pass


def serve():
    handler = type("H", (Recorder,), {"seen": [], "answer": (200, {}, b"[]")})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler


@pytest.fixture()
def two_hosts():
    a, b = serve(), serve()
    yield a, b
    a[0].shutdown()
    b[0].shutdown()


def http_spec(**pagination):
    return small_spec(source={"kind": "http", "conn_id": "agency_api", "path": "/records", "pagination": pagination,
                              "auth": {"header": "Authorization", "prefix": "Bearer "}, "retries": 0})


@pytest.mark.parametrize("how", ["next_link", "redirect"])
def test_the_token_never_leaves_the_connections_host(two_hosts, tmp_path, how) -> None:
    from opendata.sources.http import fetch_http

    (api, seen_api), (evil, seen_evil) = two_hosts
    evil_url = f"http://127.0.0.1:{evil.server_address[1]}/steal"
    if how == "next_link":
        seen_api.answer = (200, {}, json.dumps({"data": [{"Mã": "PK001"}], "next": evil_url}).encode())
        spec = http_spec(style="next_link", next_path="next")
    else:
        seen_api.answer = (302, {"Location": evil_url}, b"")
        spec = http_spec()
    conn = ConnectionInfo("agency_api", "http", f"http://127.0.0.1:{api.server_address[1]}", password=SecretStr("t0ken"))
    with pytest.raises(SourceError, match="another host"):
        fetch_http(spec, conn, tmp_path, datetime.now(UTC))
    assert seen_api.seen and seen_api.seen[0][2] == "Bearer t0ken"
    assert seen_evil.seen == []  # not even asked, let alone with the token


def test_a_downgrade_to_plain_http_is_refused() -> None:
    from opendata.outbound import Destination

    origin = Destination.of("https://api.danang.gov.vn")
    assert Destination.of("https://API.danang.gov.vn:443/next") == origin
    assert Destination.of("http://api.danang.gov.vn/next") != origin
    assert Destination.of("https://api.danang.gov.vn.evil.example/") != origin
    assert Destination.of("https://api.danang.gov.vn:8443/") != origin


def test_publishing_never_falls_back_to_the_sysadmin_token(monkeypatch) -> None:
    from opendata.publish.access import access_for
    from opendata.settings import Settings
    from opendata.sources.connections import from_environment
    from opendata.spec import load_registry

    city = load_registry(ROOT / "include" / "datasets").cities["danang"]
    monkeypatch.setenv("AIRFLOW_CONN_OPENDATA_CKAN", json.dumps({"conn_type": "http", "host": "127.0.0.1",
                                                                  "password": "sysadmin-token"}))
    monkeypatch.setenv("OPENDATA__CKAN__TOKEN", "sysadmin-token")
    with pytest.raises(OpendataError, match="opendata portal provision") as err:
        access_for(city.agencies[0], city, from_environment, Settings())
    assert "sysadmin-token" not in str(err.value)


def test_names_that_would_collide_on_the_portal_are_refused(tmp_path) -> None:
    from opendata.spec import load_registry

    def city(code: str, agency: str) -> None:
        write_spec(tmp_path / code, "city.yaml", {"code": code, "name": {"vi": code}, "province_code": 48,
                                                   "agencies": [{"code": agency, "name": {"vi": agency}}]})

    city("da", "nang-x")
    city("da-nang", "x")
    reg = load_registry(tmp_path, cache=False)
    assert list(reg.cities) == ["da"]
    assert any("da-nang-x" in p.message and "collide" in p.message for p in reg.problems)


def test_secret_files_are_private_even_when_they_existed_before(tmp_path) -> None:
    from opendata.publish.provision import write_private
    from opendata.settings import Settings

    path = tmp_path / "agency-connections.json"
    path.write_text("{}")
    os.chmod(path, 0o644)
    write_private(path, json.dumps({"ckan_danang_syt": {"password": "x"}}))
    assert path.stat().st_mode & 0o777 == 0o600
    settings = Settings(compliance={"ledger_url": "postgresql://ledger:hunter2@db/ledger"})
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.ledger_url())


def test_the_archive_is_not_world_readable(tmp_path) -> None:
    from opendata.archive import RawArchive

    obj = RawArchive(tmp_path / "archive").put(b"raw bytes of an agency")
    assert obj.stat().st_mode & 0o007 == 0 and obj.parent.stat().st_mode & 0o007 == 0


def test_the_registry_cache_never_unpickles_and_checks_its_folder(tmp_path, monkeypatch) -> None:
    import shutil

    from opendata.spec import loader

    root = tmp_path / "datasets"
    shutil.copytree(ROOT / "include" / "datasets", root)
    cache = tmp_path / "cache"
    monkeypatch.setenv("OPENDATA_REGISTRY_CACHE", str(cache))
    key, _ = loader._fingerprint(root)
    cache.mkdir(mode=0o700)
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    (cache / f"{key}.pickle").write_bytes(pickle.dumps(Evil()))
    (cache / f"{key}.json").write_text('{"cities": "not a registry"}')
    os.chmod(cache / f"{key}.json", 0o600)
    reg = loader.load_registry(root)
    assert not marker.exists() and "danang" in reg.cities  # the bad JSON is only data: parsed again
    os.chmod(cache, 0o777)  # a folder others can write: not used at all
    assert loader._cache_dir() is None and "danang" in loader.load_registry(root).cities


def test_sql_watermark_is_an_identifier_quoted_by_the_dialect_with_a_statement_timeout(tmp_path) -> None:
    from opendata.sources.sql import fetch_sql

    with pytest.raises(ValidationError):
        small_spec(primary_key=["code"], source={"kind": "sql", "conn_id": "db", "query": "SELECT * FROM t",
                                                  "watermark_column": "id; DROP TABLE t"})
    db = tmp_path / "agency.sqlite"
    with sqlite3.connect(db) as con:
        con.execute('CREATE TABLE t ("order" INTEGER, code TEXT)')
        con.executemany("INSERT INTO t VALUES (?, ?)", [(i, f"PK{i:03d}") for i in range(5)])
    conn = ConnectionInfo("db", "sqlite", str(db))
    spec = small_spec(source={"kind": "sql", "conn_id": "db", "query": 'SELECT "order", code FROM t',
                              "watermark_column": "order"})
    delivery = fetch_sql(spec, conn, tmp_path / "in", datetime.now(UTC), 2)  # a reserved word, quoted
    assert [r["code"] for r in json.loads(delivery.path.read_text())["records"]] == ["PK003", "PK004"]
    slow = small_spec(source={"kind": "sql", "conn_id": "db", "timeout_s": 0.5, "query":
                              "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"})
    with pytest.raises(SourceError, match="interrupted"):
        fetch_sql(slow, conn, tmp_path / "in", datetime.now(UTC), None)


def test_the_link_check_does_not_reach_private_addresses(two_hosts) -> None:
    from opendata.quality.links import LinkPolicy, check_url

    (site, seen), _ = two_hosts
    base = f"http://127.0.0.1:{site.server_address[1]}"
    refused = check_url("d", "r", f"{base}/x", LinkPolicy())
    assert not refused.ok and "private" in refused.error and seen.seen == []
    metadata = check_url("d", "r", "http://169.254.169.254/latest/meta-data/", LinkPolicy())
    assert not metadata.ok and "private" in metadata.error
    seen.answer = (302, {"Location": "http://169.254.169.254/latest/"}, b"")
    hop = check_url("d", "r", f"{base}/redirect", LinkPolicy(allowed_hosts=("127.0.0.1",)))
    assert not hop.ok and "169.254.169.254" in hop.error  # the portal itself is allowed; where it redirects is not
    spent = check_url("d", "r", f"{base}/x", LinkPolicy(allowed_hosts=("127.0.0.1",)), deadline=0.0)
    assert not spent.ok and "budget" in spent.error


def test_a_receipt_mail_that_cannot_be_sent_waits_in_the_outbox(tmp_path, smtp_sink) -> None:
    import socket

    from opendata.notify.mail import Smtp, flush_outbox, mail_receipt

    md, js = tmp_path / "r.receipt.md", tmp_path / "r.receipt.json"
    md.write_text("# Biên nhận\n", encoding="utf-8")
    js.write_text("{}", encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    down = Smtp("127.0.0.1", closed, "dulieumo@danang.gov.vn", timeout_s=2)
    outbox = tmp_path / "outbox"
    assert mail_receipt(down, "syt@danang.gov.vn", md, js, True, "Phòng khám", outbox) is False  # no exception
    [queued] = outbox.glob("*.json")
    assert json.loads(queued.read_text())["attempts"] == 1
    assert flush_outbox(down, outbox) == (0, 1) and json.loads(queued.read_text())["attempts"] == 2
    up = Smtp("127.0.0.1", int(json.loads(os.environ["AIRFLOW_CONN_SMTP_DEFAULT"])["port"]), "dulieumo@danang.gov.vn")
    assert flush_outbox(up, outbox) == (1, 0)
    assert len(smtp_sink) == 1 and (outbox / "sent" / queued.name).exists()
