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

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ..exceptions import SourceError, TransientError
from ..spec.models import DatasetSpec, HttpSource
from .base import RawDelivery
from .connections import ConnectionInfo

log = logging.getLogger(__name__)
BUNDLE_SUFFIX = ".bundle.json"


def _session(src: HttpSource) -> requests.Session:
    retry = Retry(total=src.retries, connect=src.retries, read=src.retries, status=src.retries, backoff_factor=0.5,
                  status_forcelist=(429, 500, 502, 503, 504), allowed_methods=("GET",), raise_on_status=False)
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    session.headers["User-Agent"] = "opendata-harvester/0.1"
    return session


def _dig(data: Any, path: str | None) -> Any:
    for part in (path or "").split("."):
        if part:
            data = data.get(part) if isinstance(data, dict) else None
    return data


def _records_in(page: bytes, src: HttpSource) -> int:
    if src.format == "csv":
        return max(0, page.count(b"\n") - 1)
    data = _dig(json.loads(page), src.records_path)
    return len(data) if isinstance(data, list) else 0


def fetch_http(spec: DatasetSpec, conn: ConnectionInfo, incoming: Path, now: datetime) -> RawDelivery:
    src: HttpSource = spec.source  # type: ignore[assignment]
    url = conn.base_url() + (("/" + src.path.lstrip("/")) if src.path else "")
    headers = {}
    if src.auth is not None and conn.password is not None:
        headers[src.auth.header] = src.auth.prefix + conn.password.get_secret_value()
    session = _session(src)
    pages: list[bytes] = []
    page_urls: list[str] = []
    next_url: str | None = url
    p = src.pagination
    for i in range(p.max_pages):
        params: dict[str, Any] = dict(src.params) if i == 0 or p.style != "next_link" else {}
        if p.style == "page":
            params[p.page_param] = p.start + i
        elif p.style == "offset":
            params[p.offset_param] = i * p.size
        if p.style in ("page", "offset") and p.size_param:
            params[p.size_param] = p.size
        try:
            resp = session.get(next_url, params=params, headers=headers, timeout=src.timeout_s)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError(f"{url}: {type(exc).__name__} after {src.retries} retries", dataset=spec.key,
                                 stage="ingest") from None
        if resp.status_code >= 500 or resp.status_code == 429:
            raise TransientError(f"{url}: HTTP {resp.status_code} after {src.retries} retries", dataset=spec.key, stage="ingest")
        if resp.status_code >= 400:
            why = "the token was refused" if resp.status_code in (401, 403) else resp.text[:200]
            raise SourceError(f"{url}: HTTP {resp.status_code}: {why}", dataset=spec.key, stage="ingest")
        body = resp.content
        pages.append(body)
        page_urls.append(resp.url.split("?")[0] + (f" (page {i + 1})" if p.style != "none" else ""))
        if p.style == "none":
            break
        if p.style == "next_link":
            nxt = _dig(json.loads(body), p.next_path)
            if not nxt:
                break
            next_url = nxt if "://" in str(nxt) else conn.base_url() + "/" + str(nxt).lstrip("/")
        elif _records_in(body, src) < p.size:
            break
    else:
        raise SourceError(f"{url}: more than {p.max_pages} pages; raise pagination.max_pages if that is expected",
                          dataset=spec.key, stage="ingest")
    incoming.mkdir(parents=True, exist_ok=True)
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
        page_paths.append(str(pp))
    bundle = incoming / f"{spec.id}-{stamp}{BUNDLE_SUFFIX}"
    bundle.write_text(json.dumps({"opendata_bundle": 1, "format": src.format, "records_path": src.records_path,
                                  "url": url, "pages": page_paths}, ensure_ascii=False, indent=1), encoding="utf-8")
    log.info("%s: %d pages", url, len(pages))
    return RawDelivery("http", bundle.name, bundle, now, {"url": url, "pages": len(pages)})
