"""Agency APIs: JSON or CSV over HTTP(S), page by page, with a token header, timeouts and retries.

Every page's bytes are kept as they came. One page is the delivery itself; several pages become a
small bundle file listing them (``<id>.bundle.json``), which the archive stores with the pages.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from ..exceptions import InputError, SourceError, TransientError
from ..outbound import AddressRule, Deadline, Destination, RefusedAddress, guarded_session
from ..records import records_at
from ..retrying import RetryPolicy, Unanswered, is_transient, retry_after
from ..spec.models import DatasetSpec, HttpSource
from .base import RawDelivery
from .bundle import BUNDLE_SUFFIX, Bundle
from .connections import ConnectionInfo

log = logging.getLogger(__name__)
MAX_REDIRECTS = 5


def _session(origin: Destination, deadline: Deadline) -> requests.Session:
    """Connections only to the connection's own origin (opendata.outbound), within the fetch's deadline.
    No retries in the transport: opendata.retrying decides, page by page."""
    return guarded_session(AddressRule(only=origin), deadline, user_agent="opendata-harvester/0.1")


def _page_json(body: bytes, url: str, page: int, spec: DatasetSpec):
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise InputError(f"{url}: trang {page} không phải JSON đọc được / page {page} is not readable JSON",
                         dataset=spec.key, stage="fetch") from None


def _records_in(page: bytes, src: HttpSource, url: str, number: int, spec: DatasetSpec) -> int:
    if src.format == "csv":
        return max(0, page.count(b"\n") - 1)
    data = records_at(_page_json(page, url, number, spec), src.records_path)
    return len(data) if isinstance(data, list) else 0


def _refused(origin: Destination, why: str, spec: DatasetSpec) -> SourceError:
    return SourceError(f"{origin}: the API pointed to {why}; the platform only fetches from the connection's own "
                       "scheme, host and port, and never sends its token elsewhere / API trỏ ra ngoài máy chủ của kết "
                       "nối: bị từ chối", dataset=spec.key, stage="fetch")


def _get(session: requests.Session, url: str, origin: Destination, params: dict, headers: dict, src: HttpSource,
         spec: DatasetSpec, max_bytes: int, deadline: Deadline) -> requests.Response:
    """One page: redirects followed by hand, only within the connection's origin (scheme, host, port),
    so neither the token nor the request ever leaves it; the body read, decompressed, up to ``max_bytes``."""
    for _ in range(MAX_REDIRECTS + 1):
        try:
            target = Destination.of(url)
        except RefusedAddress as exc:
            raise _refused(origin, str(exc), spec) from None
        if target != origin:
            downgrade = origin.scheme == "https" and target.scheme == "http"
            raise _refused(origin, "a downgrade to plain http" if downgrade else f"another host ({target.host})", spec)
        try:
            resp = session.get(url, params=params, headers=headers, timeout=min(src.timeout_s, deadline.left() or 0.001),
                               allow_redirects=False, stream=True)
            if resp.is_redirect and resp.headers.get("location"):
                url, params = urljoin(resp.url, resp.headers["location"]), {}
                resp.close()
                continue
            body = bytearray()
            for block in resp.iter_content(1 << 16):
                body.extend(block)
                if len(body) > max_bytes:
                    resp.close()
                    raise InputError(f"{url.split('?')[0]}: trang API lớn hơn {max_bytes:,} byte (sau khi giải nén) / an "
                                     f"API page is larger than {max_bytes:,} bytes once decompressed (limits.max_bytes, "
                                     "limits.max_json_bytes)", dataset=spec.key, stage="fetch")
        except RefusedAddress as exc:
            raise _refused(origin, str(exc), spec) from None
        except (requests.RequestException, OSError) as exc:
            if deadline.expired:
                raise _too_slow(origin, deadline, spec) from None
            raise Unanswered(None, cause=type(exc).__name__) from None
        if deadline.expired:
            raise _too_slow(origin, deadline, spec)
        if is_transient(resp.status_code):
            raise Unanswered(resp.status_code, retry_after(resp.headers.get("Retry-After")))
        resp._content = bytes(body)  # noqa: SLF001 - the body as read, bounded
        return resp
    raise SourceError(f"{origin}: more than {MAX_REDIRECTS} redirects", dataset=spec.key, stage="fetch")


def _too_slow(origin: Destination, deadline: Deadline, spec: DatasetSpec) -> InputError:
    return InputError(f"{origin}: API không trả xong trong {deadline.seconds:g} giây (source.deadline_s): đã dừng / the "
                      f"API did not finish answering within {deadline.seconds:g} s (source.deadline_s): given up",
                      dataset=spec.key, stage="fetch")


def _endless(url: str, why_vi: str, why_en: str, spec: DatasetSpec) -> InputError:
    return InputError(f"{url}: phân trang không dừng ({why_vi}) / the pagination never ends ({why_en}). Kiểm tra tham số "
                      "phân trang của API, hoặc nâng pagination.max_pages / check the API's paging parameters, or raise "
                      "pagination.max_pages if that many pages are expected", dataset=spec.key, stage="fetch")


def _fetch_pages(spec: DatasetSpec, conn: ConnectionInfo, url: str, deadline: Deadline) -> list[bytes]:
    """Every page, in order, each bounded by what is left of ``limits.max_bytes`` (and, for JSON, by
    ``limits.max_json_bytes``: a page is parsed whole); pagination that repeats itself is refused."""
    src: HttpSource = spec.source  # type: ignore[assignment]
    try:
        origin = Destination.of(conn.base_url())
    except RefusedAddress as exc:
        raise SourceError(f"connection '{src.conn_id}': {exc} / địa chỉ của kết nối không dùng được", dataset=spec.key,
                          stage="fetch") from None
    headers = {}
    if src.auth is not None and conn.password is not None:
        headers[src.auth.header] = src.auth.prefix + conn.password.get_secret_value()
    session = _session(origin, deadline)
    policy = RetryPolicy(src.retries, backoff_s=0.5)
    pages: list[bytes] = []
    seen_pages: dict[str, int] = {}
    seen_urls: set[str] = set()
    next_url: str = url
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
        page_limit = spec.limits.max_bytes - total
        if src.format == "json":
            page_limit = min(page_limit, spec.limits.max_json_bytes)
        try:
            resp = policy.run(lambda u=next_url, q=params, n=page_limit: _get(session, u, origin, q, headers, src, spec, n,
                                                                                deadline), str(origin), deadline.left)
        except Unanswered as exc:
            raise TransientError(f"{url}: {exc.describe()} after {src.retries} retries", dataset=spec.key,
                                 stage="fetch") from None
        if resp.status_code >= 400:
            why = "the token was refused" if resp.status_code in (401, 403) else resp.text[:200]
            raise SourceError(f"{url}: HTTP {resp.status_code}: {why}", dataset=spec.key, stage="fetch")
        body = resp.content
        total += len(body)
        digest = hashlib.sha256(body).hexdigest()
        if p.style != "none" and digest in seen_pages and body:
            raise _endless(url, f"trang {i + 1} giống hệt trang {seen_pages[digest]}",
                           f"page {i + 1} is the same as page {seen_pages[digest]}", spec)
        seen_pages[digest] = i + 1
        pages.append(body)
        if p.style == "none":
            break
        if p.style == "next_link":
            nxt = records_at(_page_json(body, url, i + 1, spec), p.next_path)
            if not nxt:
                break
            seen_urls.add(next_url)
            next_url = urljoin(conn.base_url() + "/", str(nxt))
            if next_url in seen_urls:
                raise _endless(url, "liên kết trang sau trỏ về một trang đã đọc", "the next link points to a page already read",
                               spec)
        elif _records_in(body, src, url, i + 1, spec) < p.size:
            break
    else:
        raise _endless(url, f"hơn {p.max_pages} trang", f"more than {p.max_pages} pages", spec)
    return pages


def fetch_http(spec: DatasetSpec, conn: ConnectionInfo, incoming: Path, now: datetime) -> RawDelivery:
    src: HttpSource = spec.source  # type: ignore[assignment]
    url = conn.base_url() + (("/" + src.path.lstrip("/")) if src.path else "")
    with Deadline(src.deadline_s) as deadline:
        pages = _fetch_pages(spec, conn, url, deadline)
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
