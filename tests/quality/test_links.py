"""The scheduled link check against a real local HTTP server."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from opendata.quality.links import LinkPolicy, check_packages, write_link_report


class Handler(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:  # noqa: N802 - http.server's hook name
        if self.path == "/no-head":
            self.send_response(405)
        else:
            self.send_response(200 if self.path.startswith("/ok") else 404)
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"x")

    def log_message(self, *args) -> None:
        pass


def test_links_that_answer_and_links_that_do_not(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    packages = {"a.b.good": {"resources": [{"name": "csv", "url": f"{base}/ok.csv"}, {"name": "get", "url": f"{base}/no-head"}]},
                "a.b.bad": {"resources": [{"name": "gone", "url": f"{base}/gone.csv"}, {"name": "dead", "url": "http://127.0.0.1:9/x"}]}}
    try:
        policy = LinkPolicy(allowed_hosts=("127.0.0.1",), timeout_s=5)  # this test's own server
        results = {r.resource: r for r in check_packages(packages, policy=policy)}
    finally:
        server.shutdown()
    assert results["csv"].ok and results["get"].ok and results["get"].status == 200
    assert not results["gone"].ok and results["gone"].status == 404
    assert not results["dead"].ok and results["dead"].status is None and results["dead"].error
    report = json.loads(write_link_report(list(results.values()), tmp_path, datetime(2026, 11, 22, tzinfo=UTC)).read_text())
    assert report["broken_datasets"] == ["a.b.bad"] and report["links"] == 4
