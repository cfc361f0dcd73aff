"""A small agency API on 127.0.0.1 for tests and the demo (dev only): paginated JSON or CSV, token checked."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class AgencyApi:
    """``records`` served at /api/records (JSON: {"data": [...], "links": {"next": ...}}) and /api/records.csv."""

    def __init__(self, records: list[dict], token: str = "secret-token", fail_first: int = 0) -> None:
        self.records, self.token, self.fail_first = records, token, fail_first
        self.requests: list[str] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                api.requests.append(self.path)
                if api.fail_first > 0:
                    api.fail_first -= 1
                    return self._send(503, b"busy", "text/plain")
                if self.headers.get("Authorization") != f"Bearer {api.token}":
                    return self._send(401, b'{"error": "unauthorized"}', "application/json")
                url = urlsplit(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                size = int(q.get("page_size") or q.get("limit") or len(api.records) or 1)
                if "page" in q:
                    start = (int(q["page"]) - 1) * size
                elif "offset" in q:
                    start = int(q["offset"])
                else:
                    start = int(q.get("cursor", 0))
                chunk = api.records[start : start + size]
                if url.path.endswith(".csv"):
                    cols = list(api.records[0])
                    lines = [",".join(cols)] + [",".join(str(r.get(c, "")) for c in cols) for r in chunk]
                    return self._send(200, ("\n".join(lines) + "\n").encode(), "text/csv; charset=utf-8")
                nxt = f"/api/records?cursor={start + size}&page_size={size}" if start + size < len(api.records) else None
                body = {"data": chunk, "links": {"next": nxt}, "total": len(api.records)}
                self._send(200, json.dumps(body, ensure_ascii=False).encode(), "application/json")

            def _send(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
