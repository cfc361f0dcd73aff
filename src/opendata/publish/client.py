"""A thin CKAN client: one place for timeouts, retries and translating CKAN's errors.

Transient failures (connection refused, timeouts, 5xx) are retried with backoff and then raised
as :class:`TransientPublishError`; CKAN's own refusals (4xx) raise :class:`PublishError` with
CKAN's message. The token is never part of any message or log line. Files are streamed from disk
(requests-toolbelt's multipart encoder), never built into one body in memory: a bulk DataStore load
of a large delivery is a file of gigabytes.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import ckanapi
import requests
from pydantic import SecretStr

from ..exceptions import PortalNotFound, PublishError, TransientPublishError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PortalAccess:
    url: str
    token: SecretStr
    timeout_s: float = 30.0

    def __repr__(self) -> str:  # never show the token
        return f"PortalAccess(url={self.url!r}, token=***)"


class _StreamingCKAN(ckanapi.RemoteCKAN):
    """ckanapi, with uploads streamed: requests' own ``files=`` reads every file into the request body."""

    def _request_fn(self, url, data, headers, files, requests_kwargs):
        if not files:
            return super()._request_fn(url, data, headers, files, requests_kwargs)
        from requests_toolbelt import MultipartEncoder

        fields = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
                  for k, v in data.items()}
        for field, fh in files.items():
            path = getattr(fh, "name", None)  # an open file's path; a temporary file's is its descriptor
            fields[field] = (os.path.basename(path) if isinstance(path, str) else field, fh, "application/octet-stream")
        body = MultipartEncoder(fields)
        answer = self.session.post(url, data=body, headers={**headers, "Content-Type": body.content_type},
                                   allow_redirects=False, **requests_kwargs)
        return answer.status_code, answer.text


class CkanClient:
    def __init__(self, access: PortalAccess, retries: int = 4, backoff_s: float = 1.0) -> None:
        self.access = access
        self.retries = retries
        self.backoff_s = backoff_s
        self._api = _StreamingCKAN(access.url.rstrip("/"), apikey=access.token.get_secret_value(),
                                   user_agent="opendata-publisher/0.1")

    def call(self, action: str, data: dict[str, Any] | None = None, files: dict | None = None,
             read_timeout_s: float | None = None) -> Any:
        """``read_timeout_s``: how long the portal may work before it answers, when longer than the usual
        timeout (a bulk load of millions of rows)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                for f in (files or {}).values():
                    f.seek(0)
                timeout = self.access.timeout_s if read_timeout_s is None else \
                    (self.access.timeout_s, max(read_timeout_s, self.access.timeout_s))
                return self._api.call_action(action, data or {}, files=files, requests_kwargs={"timeout": timeout})
            except ckanapi.NotFound as exc:
                raise PortalNotFound(f"CKAN {action}: not found ({_short(exc)})", status=404) from None
            except ckanapi.ValidationError as exc:
                raise PublishError(f"CKAN {action} refused the data: {exc.error_dict}", status=409) from None
            except ckanapi.NotAuthorized as exc:
                raise PublishError(f"CKAN {action}: not authorized ({_short(exc)})", status=403) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                err: Exception = TransientPublishError(
                    f"không kết nối được cổng dữ liệu / CKAN {action}: the portal could not be reached "
                    f"({type(exc).__name__})", status=None)
            except ckanapi.CKANAPIError as exc:
                status = _status_of(exc)
                if status is not None and status < 500:
                    raise PublishError(f"CKAN {action} failed ({status}): {_short(exc)}", status=status) from None
                err = TransientPublishError(f"CKAN {action} failed ({status}): {_short(exc)}", status=status)
            if attempt > self.retries:
                raise err
            wait = self.backoff_s * 2 ** (attempt - 1)
            log.warning("%s; retry %d/%d in %.1f s", err, attempt, self.retries, wait)
            time.sleep(wait)

    def show(self, action: str, id_: str) -> dict | None:
        try:
            return self.call(action, {"id": id_})
        except PortalNotFound:
            return None

    def public_show(self, action: str, id_: str) -> dict | None:
        """What an anonymous visitor sees: None also when the portal refuses to show it (a dataset deleted
        but not purged, or private, answers 'not authorized' to anyone without rights to it)."""
        try:
            return self.show(action, id_)
        except PublishError as exc:
            if exc.status != 403:
                raise
            return None


def _status_of(exc: Exception) -> int | None:
    args = getattr(exc, "args", ())
    for a in args:
        if isinstance(a, int):
            return a
    text = str(exc)
    for code in (500, 502, 503, 504, 400, 401, 403, 404, 409, 413):
        if f"{code}" in text[:200]:
            return code
    return None


def _short(exc: Exception) -> str:
    return str(exc)[:300]
