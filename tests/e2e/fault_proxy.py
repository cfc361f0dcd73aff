"""A small HTTP proxy in front of the real portal that injects faults: a 5xx answer or a delay, for the
requests a rule picks. The portal itself stays real; only what reaches it is disturbed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
              "proxy-authenticate", "content-length", "content-encoding", "host"}


@dataclass
class Fault:
    """What to do to a request: answer ``status`` instead of forwarding it, or forward it ``delay_s`` late."""

    status: int | None = None
    delay_s: float = 0.0


@dataclass
class FaultProxy:
    upstream: str
    rule: Callable[[str, str, int], Fault | None] = lambda method, path, n: None  # n: how many such requests so far
    seen: dict[str, int] = field(default_factory=dict)
    injected: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                key = f"{self.command} {self.path.split('?')[0]}"
                proxy.seen[key] = proxy.seen.get(key, 0) + 1
                fault = proxy.rule(self.command, self.path.split("?")[0], proxy.seen[key])
                if fault and fault.status:
                    proxy.injected.append(f"{key} → {fault.status}")
                    self.send_response(fault.status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"success": false, "error": {"message": "injected fault"}}')
                    return
                if fault and fault.delay_s:
                    proxy.injected.append(f"{key} → +{fault.delay_s} s")
                    time.sleep(fault.delay_s)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                try:
                    answer = requests.request(self.command, proxy.upstream + self.path, headers=headers, data=body,
                                              timeout=120, allow_redirects=False)
                except requests.RequestException:
                    return  # the client saw a dropped connection, as it would from a dying portal
                try:
                    self.send_response(answer.status_code)
                    for k, v in answer.headers.items():
                        if k.lower() not in HOP_BY_HOP:
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(answer.content)))
                    self.end_headers()
                    self.wfile.write(answer.content)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (its timeout): what a slow portal does to it

            do_GET = do_POST = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
