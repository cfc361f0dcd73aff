"""Classes 1 and 2 of the outsiders' list: where a request goes is decided by the connection, not by a
second parser's reading of the URL; an agency API is bounded as a whole (deadline, decompressed bytes,
JSON page size, pagination that never ends) and the agency gets a receipt, not a setup error."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
import time
import zlib
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic import SecretStr

from opendata.exceptions import InputError, SourceError
from opendata.pipeline import stages
from opendata.pipeline.context import RunContext
from opendata.quality.links import LinkPolicy, check_packages, check_url
from opendata.settings import PathSettings, Settings
from opendata.sources.connections import ConnectionInfo, from_environment
from opendata.sources.http import fetch_http
from tests.factories import ROOT, small_spec


class Api(BaseHTTPRequestHandler):
    """A local service; ``route`` answers each path; every request is remembered."""

    seen: list
    route: dict

    def do_GET(self) -> None:  # noqa: N802 - http.server's hook name
        type(self).seen.append(self.path)
        answer = type(self).route.get(self.path.split("?")[0], (404, {}, b""))
        if callable(answer):
            return answer(self)
        status, headers, body = answer
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args) -> None:
        pass


def trickling(head: bytes, piece: bytes, times: int, every_s: float):
    """An answer that sends ``head`` at once, then ``piece`` every ``every_s`` seconds, ``times`` times."""

    def answer(handler) -> None:
        try:
            handler.wfile.write(head)
            for _ in range(times):
                handler.wfile.write(piece)
                handler.wfile.flush()
                time.sleep(every_s)
        except OSError:
            return  # the client gave up: what the test wants

    return answer


@pytest.fixture()
def service():
    handler = type("H", (Api,), {"seen": [], "route": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()


def api_spec(limits: dict | None = None, **source):
    return small_spec(source={"kind": "http", "conn_id": "agency_api", "path": "/records", "records_path": "data",
                              "retries": 0, **source}, limits=limits or {})


def conn(host: str) -> ConnectionInfo:
    return ConnectionInfo("agency_api", "http", f"http://{host}", password=SecretStr("t0ken"))


# ----- 1. one URL parser -----------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [
    "http://{loop}\\@example.org/x",  # urllib.parse reads example.org; the connection would go to loopback
    "http://{loop}\\\\@example.org/x",
    "http://localhost:{port}/x",  # a name that resolves to loopback
    "http://0x7f000001:{port}/x",  # loopback written as one hexadecimal number
    "http://2130706433:{port}/x",  # … and as a decimal one
    "http://[::ffff:127.0.0.1]:{port}/x",  # IPv4 inside IPv6
    "HTTP://{loop}/x",
])
def test_the_link_check_vets_the_address_the_connection_uses(service, shape) -> None:
    host, api = service
    api.route["/x"] = (200, {}, b"inside")
    url = shape.format(loop=host, port=host.split(":")[1])
    result = check_url("d", "r", url, LinkPolicy(timeout_s=3))
    assert not result.ok and result.error.startswith("refused") and api.seen == [], (url, result)


def test_a_malformed_url_is_that_resources_result_and_the_others_are_still_checked(service) -> None:
    host, api = service
    api.route["/ok"] = (200, {}, b"fine")
    packages = {"a": {"resources": [{"name": "bad-port", "url": "http://example.org:80:80/"},
                                    {"name": "bad-ipv6", "url": "http://[::1/"},
                                    {"name": "not-http", "url": "file:///etc/passwd"},
                                    {"name": "number", "url": 12345},
                                    {"name": "fine", "url": f"http://{host}/ok"}]}}
    results = {r.resource: r for r in check_packages(packages, policy=LinkPolicy(allowed_hosts=("127.0.0.1",), timeout_s=3))}
    assert results["fine"].ok and results["fine"].status == 200
    for bad in ("bad-port", "bad-ipv6", "not-http", "number"):
        assert not results[bad].ok and results[bad].error, results[bad]
    assert api.seen == ["/ok"]


def test_a_link_whose_headers_trickle_is_given_up_at_the_timeout(service) -> None:
    host, api = service

    api.route["/slow"] = trickling(b"HTTP/1.1 200 OK\r\n", b"X-Slow: 1\r\n", 200, 0.1)
    started = time.monotonic()
    result = check_url("d", "r", f"http://{host}/slow", LinkPolicy(allowed_hosts=("127.0.0.1",), timeout_s=1.5))
    assert not result.ok and "no answer within 1.5 s" in result.error
    assert time.monotonic() - started < 4


# ----- 2. HTTP sources bounded as a whole ------------------------------------------------------------

@pytest.fixture()
def ctx(tmp_path: Path) -> RunContext:
    return RunContext(Settings(paths=PathSettings(data=tmp_path / "data")), "attack", datetime(2026, 12, 7, 9, tzinfo=UTC))


def receipts(ctx: RunContext) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in (ctx.data / "receipts").rglob("*.json")]


def test_an_api_that_trickles_a_byte_at_a_time_is_given_up_at_the_deadline(service, ctx, monkeypatch) -> None:
    host, api = service

    # every byte well within the read timeout: only an overall deadline ends it
    api.route["/records"] = trickling(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", b" ", 100_000, 0.05)
    monkeypatch.setenv("AIRFLOW_CONN_AGENCY_API", json.dumps({"conn_type": "http", "host": f"http://{host}"}))
    spec = api_spec(timeout_s=5, deadline_s=2)
    started = time.monotonic()
    with pytest.raises(InputError, match="within 2 s"):
        stages.fetch(spec, ctx, from_environment)
    assert time.monotonic() - started < 5
    [receipt] = receipts(ctx)
    assert receipt["accepted"] is False and "source.deadline_s" in json.dumps(receipt, ensure_ascii=False)
    assert not list((ctx.data / "incoming").rglob("*.json"))  # nothing half-fetched left behind


def gzip_bomb(mebibytes: int) -> bytes:
    """``mebibytes`` MiB of JSON whitespace in about a thousandth of that, made a MiB at a time (this
    process's own peak memory is what a child inherits, and the child's is measured)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    blank = b" " * (1 << 20)
    return b"".join([packer.compress(b"["), *(packer.compress(blank) for _ in range(mebibytes)),
                     packer.compress(b"]"), packer.flush()])


BOMB = ("import sys, datetime; from pydantic import SecretStr\n"
        "from opendata.sources.connections import ConnectionInfo\n"
        "from opendata.sources.http import fetch_http\n"
        "from opendata.exceptions import InputError\n"
        "from tests.factories import small_spec\n"
        "spec = small_spec(source={'kind': 'http', 'conn_id': 'a', 'path': '/records', 'retries': 0},"
        " limits={'max_bytes': 1 << 20})\n"
        "try:\n"
        "    fetch_http(spec, ConnectionInfo('a', 'http', sys.argv[1]), __import__('pathlib').Path(sys.argv[2]),"
        " datetime.datetime.now(datetime.UTC))\n"
        "except InputError as exc:\n"
        "    print(exc.message); sys.exit(2)\n"
        "finally:  # this process's own peak (getrusage would count the parent's pages it started from)\n"
        "    print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')), file=sys.stderr)\n")


@pytest.mark.parametrize("encoding", ["gzip", "gzip, gzip"])
def test_a_gzip_bomb_is_refused_by_its_decompressed_size_in_bounded_memory(service, tmp_path, encoding) -> None:
    host, api = service
    body = gzip_bomb(600)
    if encoding == "gzip, gzip":
        body = gzip.compress(body, 9)
    api.route["/records"] = (200, {"Content-Encoding": encoding, "Content-Type": "application/json"}, body)
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", BOMB, f"http://{host}", str(tmp_path / "in")], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    said, errors = (out.decode() for out in proc.communicate(timeout=60))
    assert proc.returncode == 2, (said, errors)
    assert "once decompressed" in said and "Traceback" not in errors
    assert time.monotonic() - started < 30
    peak_kib = int(errors.split("VmHWM:")[1].split()[0])
    assert peak_kib < 300 << 10, f"peak RSS {peak_kib / 1024:.0f} MiB"
    assert not (tmp_path / "in").exists() or not any((tmp_path / "in").iterdir())


def test_the_json_page_limit_applies_to_each_page(service, tmp_path) -> None:
    host, api = service
    api.route["/records"] = (200, {}, json.dumps({"data": [{"Mã": "PK001", "x": "y" * 5000}]}).encode())
    spec = api_spec(limits={"max_json_bytes": 4096})
    with pytest.raises(InputError, match="max_json_bytes"):
        fetch_http(spec, conn(host), tmp_path, datetime.now(UTC))


@pytest.mark.parametrize("style", ["page", "offset", "next_link"])
def test_pagination_that_never_ends_is_a_receipt_not_a_setup_error(service, ctx, monkeypatch, style) -> None:
    host, api = service
    page = {"data": [{"Mã": f"PK{i:03d}"} for i in range(10)], "next": "/records?cursor=same"}
    api.route["/records"] = (200, {}, json.dumps(page).encode())  # every page the same, whatever is asked
    monkeypatch.setenv("AIRFLOW_CONN_AGENCY_API", json.dumps({"conn_type": "http", "host": f"http://{host}"}))
    pagination = {"style": style, "size": 10} if style != "next_link" else {"style": style, "next_path": "next"}
    with pytest.raises(InputError, match="never ends"):
        stages.fetch(api_spec(pagination=pagination), ctx,
                     from_environment)
    assert len(api.seen) <= 3  # noticed at once, not after max_pages requests
    [receipt] = receipts(ctx)
    assert "phân trang không dừng" in receipt["error"] and "never ends" in receipt["error"]


def test_an_api_page_with_a_nested_link_trick_never_reaches_another_port(service, tmp_path) -> None:
    host, api = service
    other = f"127.0.0.1:{int(host.split(':')[1]) + 1}"
    api.route["/records"] = (200, {}, json.dumps({"data": [{"Mã": "PK001"}], "next": f"http://{other}\\@{host}/records"}).encode())
    with pytest.raises(SourceError, match="another host"):
        fetch_http(api_spec(pagination={"style": "next_link", "next_path": "next"}), conn(host), tmp_path, datetime.now(UTC))
    assert api.seen == ["/records"]
