"""Reading the portal's catalogue as an outsider could make it answer: a next page on another host, an
error status, a page too large, a portal that is down. Each is a clear PublishError, never a hang."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from opendata.exceptions import PublishError
from opendata.publish import catalogue

PAGE = """@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
<{base}/catalog.ttl?page={n}> a hydra:PagedCollection ; hydra:itemsPerPage 100 {next} .
<{base}> a dcat:Catalog ; dcat:dataset <{base}/dataset/d{n}> .
<{base}/dataset/d{n}> a dcat:Dataset ; dct:identifier "danang.x.d{n}" ; dct:title "D{n}"@vi .
"""


@pytest.fixture()
def portal():
    """A fake portal whose answers each test sets: path -> (status, body)."""
    answers: dict[str, tuple[int, bytes]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            status, body = answers.get(self.path, (404, b"no"))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", answers
    server.shutdown()


def page(base: str, n: int, next_url: str | None = None) -> bytes:
    following = f'; hydra:nextPage "{next_url}"' if next_url else ""
    return PAGE.format(base=base, n=n, next=following).encode()


def test_every_page_is_merged_and_the_paging_dropped(portal) -> None:
    base, answers = portal
    answers["/catalog.ttl"] = (200, page(base, 1, f"{base}/catalog.ttl?page=2"))
    answers["/catalog.ttl?page=2"] = (200, page(base, 2))
    graph, pages = catalogue.fetch_catalogue(base)
    assert pages == 2
    assert catalogue.dataset_node(graph, "danang.x.d1") and catalogue.dataset_node(graph, "danang.x.d2")
    assert not list(graph.subjects(catalogue.HYDRA.itemsPerPage, None))


def test_a_next_page_on_another_host_is_refused(portal) -> None:
    base, answers = portal
    answers["/catalog.ttl"] = (200, page(base, 1, "http://evil.example/catalog.ttl?page=2"))
    with pytest.raises(PublishError, match="leaves the portal"):
        catalogue.fetch_catalogue(base)


def test_an_error_status_and_a_huge_page_are_clear_errors(portal, monkeypatch) -> None:
    base, answers = portal
    with pytest.raises(PublishError, match="HTTP 404.*ckanext-dcat"):
        catalogue.fetch_catalogue(base)
    monkeypatch.setattr(catalogue, "MAX_PAGE_BYTES", 1000)
    answers["/catalog.ttl"] = (200, b"# " + b"x" * 5000)
    with pytest.raises(PublishError, match="over"):
        catalogue.fetch_catalogue(base)


def test_a_portal_that_is_down_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(PublishError, match="did not answer"):
        catalogue.fetch_catalogue(f"http://127.0.0.1:{port}", timeout_s=2)

