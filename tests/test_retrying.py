"""The one retry policy (opendata.retrying), and the portal client deciding on the status it was answered,
never on the words of the answer: a local server plays the portal."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import SecretStr

from opendata.exceptions import PublishError, TransientPublishError
from opendata.publish.client import CkanClient, PortalAccess
from opendata.retrying import RetryPolicy, Unanswered, retry_after


def test_the_policy_retries_only_what_went_unanswered_and_gives_the_last_answer_up() -> None:
    calls = []

    def flaky():
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise Unanswered(503)
        return "ok"

    assert RetryPolicy(retries=4, backoff_s=0.01).run(flaky, "test") == "ok" and len(calls) == 3
    gateway = []

    def down():
        gateway.append(1)
        raise Unanswered(502)

    with pytest.raises(Unanswered) as spent:
        RetryPolicy(retries=2, backoff_s=0.01).run(down, "test")
    assert spent.value.status == 502 and len(gateway) == 3  # the first attempt and two retries
    refused = []

    def refuse():
        refused.append(1)
        raise ValueError("HTTP 503 in the text of an error is not a status")

    with pytest.raises(ValueError):
        RetryPolicy(retries=4, backoff_s=0.01).run(refuse, "test")
    assert refused == [1]


def test_retry_after_is_honoured_up_to_the_cap_and_a_deadline_ends_the_retries() -> None:
    policy = RetryPolicy(retries=3, backoff_s=0.01, max_wait_s=0.3)
    seen = []

    def busy():
        seen.append(time.monotonic())
        raise Unanswered(429, retry_after_s=3600)  # a server asking for an hour: capped

    with pytest.raises(Unanswered):
        policy.run(busy, "test")
    waits = [b - a for a, b in zip(seen, seen[1:], strict=False)]
    assert len(seen) == 4 and all(0.29 < w < 1.0 for w in waits), waits
    refused = []

    def unreachable():
        refused.append(1)
        raise Unanswered(None, cause="ConnectionRefusedError")

    started = time.monotonic()
    with pytest.raises(Unanswered):
        RetryPolicy(retries=50, backoff_s=0.2).run(unreachable, "test", lambda: 0.5 - (time.monotonic() - started))
    assert time.monotonic() - started < 1.0 and 1 < len(refused) < 5  # the deadline, not the 50 retries
    assert retry_after("7") == 7 and retry_after("soon") is None and retry_after(None) is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # a date in the past: now


class Portal(BaseHTTPRequestHandler):
    """Answers from ``script``, one (status, content type, body) per request; then CKAN's success."""

    script: list[tuple[int, str, str]] = []
    seen = 0

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen += 1
        status, kind, body = self.script.pop(0) if self.script else (200, "application/json", json.dumps(
            {"success": True, "result": {"ok": True}}))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture()
def portal():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Portal.script, Portal.seen = [], 0
    yield CkanClient(PortalAccess(f"http://127.0.0.1:{server.server_port}", SecretStr("tok-secret"), 5), retries=3,
                     backoff_s=0.01)
    server.shutdown()


def test_the_client_retries_a_gateway_error_and_then_has_the_answer(portal) -> None:
    Portal.script = [(502, "text/html", "<h1>Bad Gateway</h1>"), (503, "text/plain", "later")]
    assert portal.call("status_show") == {"ok": True} and Portal.seen == 3


def test_the_client_decides_on_the_status_not_on_the_words_of_the_answer(portal) -> None:
    # an HTML refusal from a proxy that mentions 503 is a refusal (400), asked once; the old client read "503"
    Portal.script = [(400, "text/html", "<p>Request rejected: upstream 503 policy, ref 500-502</p>")]
    with pytest.raises(PublishError) as refused:
        portal.call("package_show", {"id": "x"})
    assert refused.value.status == 400 and Portal.seen == 1
    assert not isinstance(refused.value, TransientPublishError)
    # and a 503 whose page says "404 not found" is still a 503: retried, then transient
    Portal.script = [(503, "text/html", "404 not found")] * 4
    Portal.seen = 0
    with pytest.raises(TransientPublishError) as later:
        portal.call("package_show", {"id": "x"})
    assert later.value.status == 503 and Portal.seen == 4 and "tok-secret" not in str(later.value)


def test_ckans_own_json_errors_keep_their_meaning(portal) -> None:
    error = {"success": False, "error": {"__type": "Search Error", "message": "SOLR returned an error"}}
    Portal.script = [(409, "application/json", json.dumps(error))]
    with pytest.raises(PublishError) as refused:
        portal.call("package_search", {"q": "title:("})
    assert refused.value.status == 409 and "SOLR returned an error" in refused.value.message and Portal.seen == 1
    Portal.script = [(404, "application/json", json.dumps({"success": False, "error": {"__type": "Not Found Error",
                                                                                       "message": "Not found"}}))]
    assert portal.show("package_show", "missing") is None
