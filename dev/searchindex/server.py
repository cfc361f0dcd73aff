"""HTTP front of the dev search index: the Solr endpoints CKAN 2.12 calls, and nothing else.

Paths are ``/solr/<core>/select``, ``/update``, ``/schema``, ``/admin/file``, ``/admin/ping``
(with or without a trailing slash). Errors come back as Solr's JSON error body with Solr's status.
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .query import (
    QuerySyntaxError,
    SortError,
    as_strings,
    parse_dismax,
    parse_lucene,
    parse_sort,
    sort_docs,
)
from .store import DocumentStore

# CKAN checks only the root element's name="ckan-X.Y"; 2.11 is the schema CKAN 2.12 ships.
SCHEMA_XML = """<?xml version="1.0" encoding="UTF-8" ?>
<schema name="ckan-2.11" version="1.6">
  <uniqueKey>index_id</uniqueKey>
  <!-- opendata dev search index: Solr-compatible subset for CKAN; not Apache Solr. -->
</schema>
"""


class SolrError(Exception):
    def __init__(self, status: int, msg: str) -> None:
        super().__init__(msg)
        self.status = status
        self.msg = msg


def run_select(store: DocumentStore, params: list[tuple[str, str]]) -> dict[str, Any]:
    """Answer one ``select`` request the way Solr's JSON response writer would."""
    started = time.perf_counter()
    single = {k: v for k, v in params}  # last one wins, as for Solr's single-valued params
    fqs = [v for k, v in params if k == "fq"]
    facet_fields = [v for k, v in params if k == "facet.field"]
    q = single.get("q") or "*:*"
    default_and = single.get("q.op", "OR").upper() == "AND"
    df = single.get("df", "text")
    try:
        if single.get("defType") in ("dismax", "edismax") and ":" not in q or single.get("defType") == "dismax":
            if q.strip() in ("*:*", "*"):
                main = parse_lucene("*:*")
            else:
                main = parse_dismax(q, single.get("qf", df), single.get("mm"), float(single.get("tie", "0")))
        else:
            main = parse_lucene(q, df, default_and)
        filters = [parse_lucene(fq, df, default_and) for fq in fqs if fq.strip()]
        sort_keys = parse_sort(single.get("sort"))
    except QuerySyntaxError as exc:
        raise SolrError(400, str(exc)) from exc
    except SortError as exc:
        raise SolrError(400, str(exc)) from exc
    try:
        start = int(single.get("start", 0))
        rows = int(single.get("rows", 10))
    except ValueError as exc:
        raise SolrError(400, f"Invalid start or rows: {exc}") from exc

    matched = []
    for doc in store.snapshot():
        if any(f.score(doc) <= 0 for f in filters):
            continue
        score = main.score(doc)
        if score > 0:
            matched.append((score, doc))
    ordered = sort_docs(matched, sort_keys)
    page = ordered[start : start + rows] if rows >= 0 else ordered[start:]
    wanted = [f for f in single.get("fl", "*").replace(",", " ").split() if f]
    docs = [_project(doc, score, wanted) for score, doc in page]

    body: dict[str, Any] = {
        "responseHeader": {
            "status": 0,
            "QTime": int((time.perf_counter() - started) * 1000),
            "params": single,
        },
        "response": {
            "numFound": len(matched),
            "start": start,
            "maxScore": max((s for s, _ in matched), default=0.0),
            "docs": docs,
        },
    }
    if single.get("facet", "false") == "true":
        body["facet_counts"] = {
            "facet_queries": {},
            "facet_fields": {f: _facet(matched, f, single) for f in facet_fields},
            "facet_ranges": {},
            "facet_intervals": {},
            "facet_heatmaps": {},
        }
    return body


def _project(doc: dict[str, Any], score: float, wanted: list[str]) -> dict[str, Any]:
    if not wanted or "*" in wanted:
        out = dict(doc)
    else:
        out = {k: doc[k] for k in wanted if k in doc}
    if "score" in wanted:
        out["score"] = score
    return out


def _facet(matched: list[tuple[float, dict[str, Any]]], name: str, params: dict[str, str]) -> list[Any]:
    """Solr's flat [value, count, value, count, ...] list: count desc, then value."""
    counts: dict[str, int] = {}
    for _, doc in matched:
        for value in set(as_strings(doc.get(name))):
            counts[value] = counts.get(value, 0) + 1
    limit = int(params.get(f"f.{name}.facet.limit", params.get("facet.limit", 100)))
    mincount = int(params.get(f"f.{name}.facet.mincount", params.get("facet.mincount", 0)))
    items = sorted(((v, c) for v, c in counts.items() if c >= mincount), key=lambda vc: (-vc[1], vc[0]))
    if limit >= 0:
        items = items[:limit]
    return [x for pair in items for x in pair]


def run_update(store: DocumentStore, body: bytes, content_type: str) -> None:
    """JSON arrays of documents (pysolr's add) or XML <add>/<delete>/<commit/> messages."""
    text = body.decode("utf-8") if body else ""
    if not text.strip():
        return
    if "json" in content_type or text.lstrip()[:1] in "[{":
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SolrError(400, f"Cannot parse provided JSON: {exc}") from exc
        if isinstance(payload, dict):
            if "delete" in payload:
                _delete(store, payload["delete"])
            payload = [payload["add"]["doc"]] if "add" in payload else []
        store.add(payload)
        return
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise SolrError(400, f"Unexpected XML: {exc}") from exc
    if root.tag == "add":
        docs = []
        for doc_el in root.findall("doc"):
            doc: dict[str, Any] = {}
            for f in doc_el.findall("field"):
                name, value = f.get("name"), f.text or ""
                doc[name] = [*as_strings(doc[name]), value] if name in doc else value
            docs.append(doc)
        store.add(docs)
    elif root.tag == "delete":
        for q_el in root.findall("query"):
            _delete(store, {"query": q_el.text or ""})
        ids = [i.text for i in root.findall("id") if i.text]
        if ids:
            store.delete_ids(ids)
    elif root.tag in ("commit", "optimize", "rollback"):
        return
    else:
        raise SolrError(400, f"Unexpected <{root.tag}> in update request")


def _delete(store: DocumentStore, spec: Any) -> None:
    if isinstance(spec, dict) and "query" in spec:
        try:
            query = parse_lucene(spec["query"], "text", False)
        except QuerySyntaxError as exc:
            raise SolrError(400, str(exc)) from exc
        store.delete_where(lambda d: query.score(d) > 0)
    else:
        ids = spec if isinstance(spec, list) else [spec.get("id") if isinstance(spec, dict) else spec]
        store.delete_ids([str(i) for i in ids])


class Handler(BaseHTTPRequestHandler):
    store: DocumentStore  # set by make_server
    server_version = "opendata-searchindex/1"

    def log_message(self, fmt: str, *args: Any) -> None:  # quiet: CKAN polls often
        pass

    def do_GET(self) -> None:
        self._dispatch(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._dispatch(self.rfile.read(length))

    def _dispatch(self, body: bytes) -> None:
        parts = urlsplit(self.path)
        segments = [s for s in parts.path.split("/") if s]
        params = parse_qsl(parts.query, keep_blank_values=True)
        ctype = self.headers.get("Content-Type", "")
        if body and "x-www-form-urlencoded" in ctype:
            params += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            body = b""
        action = "/".join(segments[2:]) if segments[:1] == ["solr"] else "/".join(segments)
        try:
            if action == "select":
                self._json(200, run_select(self.store, params))
            elif action == "update":
                run_update(self.store, body, ctype)
                self._json(200, {"responseHeader": {"status": 0, "QTime": 0}})
            elif action in ("schema", "admin/file"):
                self._send(200, SCHEMA_XML.encode(), "application/xml; charset=utf-8")
            elif action == "admin/ping":
                self._json(200, {"responseHeader": {"status": 0}, "status": "OK"})
            else:
                raise SolrError(404, f"Unknown handler '{action}'")
        except SolrError as exc:
            self._json(exc.status, {"responseHeader": {"status": exc.status}, "error": {"msg": exc.msg, "code": exc.status}})

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    def _send(self, status: int, payload: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def make_server(host: str, port: int, data_file: Path) -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"store": DocumentStore(data_file)})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
