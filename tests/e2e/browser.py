"""Headless Chromium driven over the DevTools protocol, for pages behind a login: the test sets the
login cookie the way a browser that logged in would hold it, then reads the page and screenshots it."""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    def __init__(self) -> None:
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        assert exe, "Debian's chromium is not installed: make system-deps installs it"
        self.port = _free_port()
        self.profile = tempfile.mkdtemp(prefix="opendata-chromium-")
        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync", "--lang=vi",
             f"--user-data-dir={self.profile}", f"--remote-debugging-port={self.port}", "--window-size=1280,1000",
             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                pages = requests.get(f"http://127.0.0.1:{self.port}/json/list", timeout=2).json()
                target = next(p for p in pages if p.get("type") == "page")
                break
            except (requests.ConnectionError, StopIteration, ValueError):
                if time.monotonic() > deadline:
                    raise AssertionError("chromium's DevTools endpoint did not come up") from None
                time.sleep(0.3)
        from websockets.sync.client import connect

        self.ws = connect(target["webSocketDebuggerUrl"], max_size=64 << 20, legacy=True)
        self.ids = itertools.count(1)

    def send(self, method: str, **params) -> dict:
        n = next(self.ids)
        self.ws.send(json.dumps({"id": n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == n:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def set_cookie(self, url: str, name: str, value: str) -> None:
        self.send("Network.enable")
        self.send("Network.setCookie", name=name, value=value, domain=urlsplit(url).hostname, path="/")

    def open(self, url: str, settle_s: float = 1.0) -> str:
        """The page's DOM once it has loaded (and where it ended up after redirects)."""
        self.send("Page.enable")
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while self.send("Runtime.evaluate", expression="document.readyState")["result"].get("value") != "complete":
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not load")
            time.sleep(0.2)
        time.sleep(settle_s)
        return self.send("Runtime.evaluate", expression="document.documentElement.outerHTML")["result"]["value"]

    def location(self) -> str:
        return self.send("Runtime.evaluate", expression="location.href")["result"]["value"]

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            self.proc.wait(20)
            shutil.rmtree(self.profile, ignore_errors=True)
