"""Agency APIs: JSON or CSV over HTTP(S), page by page, with a token header, timeouts and retries.

Every page's bytes are kept as they came. One page is the delivery itself; several pages become a
small bundle file listing them (``<id>.bundle.json``), which the archive stores with the pages.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ..exceptions import InputError, SourceError, TransientError
from ..records import records_at
from ..spec.models import DatasetSpec, HttpSource
from .base import RawDelivery
from .bundle import BUNDLE_SUFFIX, Bundle
from .connections import ConnectionInfo

log = logging.getLogger(__name__)
MAX_REDIRECTS = 5


class Origin:
    """scheme://host:port of the connection: the only place the token may go."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.scheme, self.host = parts.scheme.lower(), (parts.hostname or "").lower()
        self.port = parts.port or {"http": 80, "https": 443}.get(self.scheme)

    def same(self, url: str) -> bool:
        other = Origin(url)
        return (other.scheme, other.host, other.port) == (self.scheme, self.host, self.port)


def _session(src: HttpSource) -> requests.Session:
    retry = Retry(total=src.retries, connect=src.retries, read=src.retries, status=src.retries, backoff_factor=0.5,
                  status_forcelist=(429, 500, 502, 503, 504), allowed_methods=("GET",), raise_on_status=False,
                  redirect=0)
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    session.headers["User-Agent"] = "opendata-harvester/0.1"
    session.trust_env = False  # no proxy or .netrc credentials from the worker's environment
    return session


def _records_in(page: bytes, src: HttpSource) -> int:
    if src.format == "csv":
        return max(0, page.count(b"\n") - 1)
    data = records_at(json.loads(page), src.records_path)
    return len(data) if isinstance(data, list) else 0


def _get(session: requests.Session, url: str, origin: Origin, params: dict, headers: dict, src: HttpSource,
         spec: DatasetSpec, max_bytes: int) -> requests.Response:
    """One page: redirects followed by hand, only within the connection's origin (scheme, host, port),
    so neither the token nor the request ever leaves it; the body read up to ``max_bytes``."""
    for _ in range(MAX_REDIRECTS + 1):
        if not origin.same(url):
            downgrade = origin.scheme == "https" and urlsplit(url).scheme == "http"
            why = "a downgrade to plain http" if downgrade else f"another host ({urlsplit(url).hostname})"
            raise SourceError(f"{origin.scheme}://{origin.host}: the API pointed to {why}; the platform only fetches from the "
                              "connection's own scheme and host, and never sends its token elsewhere / API trỏ ra ngoài "
                              "máy chủ của kết nối: bị từ chối", dataset=spec.key, stage="fetch")
        try:
            resp = session.get(url, params=params, headers=headers, timeout=src.timeout_s, allow_redirects=False, stream=True)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"{origin.scheme}://{origin.host}: {type(exc).__name__} after {src.retries} retries",
                                 dataset=spec.key, stage="fetch") from None
        if resp.is_redirect and resp.headers.get("location"):
            url, params = urljoin(resp.url, resp.headers["location"]), {}
            resp.close()
            continue
        body = bytearray()
        for block in resp.iter_content(1 << 16):
            body.extend(block)
            if len(body) > max_bytes:
                resp.close()
                raise InputError(f"{url.split('?')[0]}: trang API lớn hơn {max_bytes:,} byte / an API page is larger than "
                                 f"{max_bytes:,} bytes (limits.max_bytes)", dataset=spec.key, stage="fetch")
        resp._content = bytes(body)  # noqa: SLF001 - the body as read, bounded
        return resp
    raise SourceError(f"{origin.scheme}://{origin.host}: more than {MAX_REDIRECTS} redirects", dataset=spec.key, stage="fetch")


def fetch_http(spec: DatasetSpec, conn: ConnectionInfo, incoming: Path, now: datetime) -> RawDelivery:
    src: HttpSource = spec.source  # type: ignore[assignment]
    url = conn.base_url() + (("/" + src.path.lstrip("/")) if src.path else "")
    origin = Origin(conn.base_url())
    headers = {}
    if src.auth is not None and conn.password is not None:
        headers[src.auth.header] = src.auth.prefix + conn.password.get_secret_value()
    session = _session(src)
    pages: list[bytes] = []
    next_url: str | None = url
    p = src.pagination
    total = 0
    for i in range(p.max_pages):
        params: dict[str, Any] = dict(src.params) if i == 0 or p.style != "next_link" else {}
        if p.style == "page":
            params[p.page_param] = p.start + i
        elif p.style == "offset":
            params[p.offset_param] = i * p.size
        if p.style in ("page", "offset") and p.size_param:
            params[p.size_param] = p.size
        resp = _get(session, next_url, origin, params, headers, src, spec, spec.limits.max_bytes - total)
        if resp.status_code >= 500 or resp.status_code == 429:
            raise TransientError(f"{url}: HTTP {resp.status_code} after {src.retries} retries", dataset=spec.key, stage="fetch")
        if resp.status_code >= 400:
            why = "the token was refused" if resp.status_code in (401, 403) else resp.text[:200]
            raise SourceError(f"{url}: HTTP {resp.status_code}: {why}", dataset=spec.key, stage="fetch")
        body = resp.content
        total += len(body)
        pages.append(body)
        if p.style == "none":
            break
        if p.style == "next_link":
            try:
                nxt = records_at(json.loads(body), p.next_path)
            except ValueError:
                raise InputError(f"{url}: trang {i + 1} không phải JSON / page {i + 1} is not JSON", dataset=spec.key,
                                 stage="fetch") from None
            if not nxt:
                break
            next_url = urljoin(conn.base_url() + "/", str(nxt))
        elif _records_in(body, src) < p.size:
            break
    else:
        raise SourceError(f"{url}: more than {p.max_pages} pages; raise pagination.max_pages if that is expected",
                          dataset=spec.key, stage="fetch")
    incoming.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    ext = ".csv" if src.format == "csv" else ".json"
    if len(pages) == 1:
        path = incoming / f"{spec.id}-{stamp}{ext}"
        path.write_bytes(pages[0])
        return RawDelivery("http", path.name, path, now, {"url": url})
    page_paths = []
    for n, body in enumerate(pages, 1):
        pp = incoming / f"{spec.id}-{stamp}-p{n:04d}{ext}"
        pp.write_bytes(body)
        page_paths.append(pp)
    bundle = incoming / f"{spec.id}-{stamp}{BUNDLE_SUFFIX}"
    bundle.write_text(Bundle(src.format, src.records_path, url, page_paths).to_json(), encoding="utf-8")
    log.info("%s: %d pages", url, len(pages))
    return RawDelivery("http", bundle.name, bundle, now, {"url": url, "pages": len(pages), "bundle": True})
