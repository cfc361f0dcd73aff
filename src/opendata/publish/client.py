"""A thin CKAN client: one place for timeouts, retries and translating CKAN's errors.

Transient failures (no answer, or a status opendata.retrying calls transient) are retried under the
platform's one retry policy and then raised as :class:`TransientPublishError`; CKAN's own refusals (4xx)
raise :class:`PublishError` with CKAN's message and the status CKAN answered. The token is never part
of any message or log line. Files are streamed from disk (requests-toolbelt's multipart encoder), never
built into one body in memory: a bulk DataStore load of a large delivery is a file of gigabytes.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from typing import Any

import ckanapi
import requests
from pydantic import SecretStr

from ..exceptions import PortalNotFound, PublishError, TransientPublishError
from ..retrying import RetryPolicy, Unanswered, is_transient, retry_after

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PortalAccess:
    url: str
    token: SecretStr
    timeout_s: float = 30.0

    def __repr__(self) -> str:  # never show the token
        return f"PortalAccess(url={self.url!r}, token=***)"


# CKAN's error types that ckanapi turns into its own exceptions; any other error answer is ours to translate
CKANAPI_KNOWS = ("Not Found Error", "Validation Error", "Authorization Error")


class _Refused(Exception):
    """An error answer ckanapi would not classify (a proxy's HTML page, a CKAN error type it does not know)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _answer(status: int, text: str, retry_after_header: str | None) -> tuple[int, str]:
    """The answer for ckanapi, or the exception that says what it was: :class:`Unanswered` when the status is
    worth another attempt, :class:`_Refused` for an error ckanapi would only show as text."""
    if is_transient(status):
        raise Unanswered(status, retry_after(retry_after_header))
    if status >= 400:
        try:
            error = json.loads(text).get("error") or {}
        except (ValueError, AttributeError):
            raise _Refused(status, text[:300]) from None
        if error.get("__type") not in CKANAPI_KNOWS:
            raise _Refused(status, str(error.get("message") or error)[:300])
    return status, text


class _StreamingCKAN(ckanapi.RemoteCKAN):
    """ckanapi, with uploads streamed (requests' own ``files=`` reads every file into the request body) and
    each answer's status seen before ckanapi parses the body."""

    def _request_fn(self, url, data, headers, files, requests_kwargs):
        if files:
            from requests_toolbelt import MultipartEncoder

            fields = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
                      for k, v in data.items()}
            for field, fh in files.items():
                path = getattr(fh, "name", None)  # an open file's path; a temporary file's is its descriptor
                fields[field] = (os.path.basename(path) if isinstance(path, str) else field, fh, "application/octet-stream")
            body = MultipartEncoder(fields)
            data, headers = body, {**headers, "Content-Type": body.content_type}
        answer = self.session.post(url, data=data, headers=headers, allow_redirects=False, **requests_kwargs)
        return _answer(answer.status_code, answer.text, answer.headers.get("Retry-After"))

    def _request_fn_get(self, url, data_dict, headers, requests_kwargs):
        answer = self.session.get(url, params=data_dict, headers=headers, **requests_kwargs)
        return _answer(answer.status_code, answer.text, answer.headers.get("Retry-After"))


class CkanClient:
    def __init__(self, access: PortalAccess, retries: int = 4, backoff_s: float = 1.0) -> None:
        self.access = access
        self.policy = RetryPolicy(retries, backoff_s)
        self._api = _StreamingCKAN(access.url.rstrip("/"), apikey=access.token.get_secret_value(),
                                   user_agent="opendata-publisher/0.1")

    def call(self, action: str, data: dict[str, Any] | None = None, files: dict | None = None,
             read_timeout_s: float | None = None) -> Any:
        """``read_timeout_s``: how long the portal may work before it answers, when longer than the usual
        timeout (a bulk load of millions of rows)."""
        timeout = self.access.timeout_s if read_timeout_s is None else \
            (self.access.timeout_s, max(read_timeout_s, self.access.timeout_s))

        def attempt() -> Any:
            for f in (files or {}).values():
                f.seek(0)
            try:
                return self._api.call_action(action, data or {}, files=files, requests_kwargs={"timeout": timeout})
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise Unanswered(None, cause=type(exc).__name__) from None

        try:
            return self.policy.run(attempt, f"CKAN {action}")
        except Unanswered as exc:
            if exc.status is None:
                raise TransientPublishError(f"không kết nối được cổng dữ liệu / CKAN {action}: the portal could not be "
                                            f"reached ({exc.cause}) after {self.policy.retries} retries", status=None) from None
            raise TransientPublishError(f"CKAN {action} failed (HTTP {exc.status}) after {self.policy.retries} retries",
                                        status=exc.status) from None
        except _Refused as exc:
            raise PublishError(f"CKAN {action} failed ({exc.status}): {exc.message}", status=exc.status) from None
        except ckanapi.NotFound as exc:
            raise PortalNotFound(f"CKAN {action}: not found ({_short(exc)})", status=404) from None
        except ckanapi.ValidationError as exc:
            raise PublishError(f"CKAN {action} refused the data: {exc.error_dict}", status=409) from None
        except ckanapi.NotAuthorized as exc:
            raise PublishError(f"CKAN {action}: not authorized ({_short(exc)})", status=403) from None
        except ckanapi.CKANAPIError as exc:  # an answer that is not CKAN's JSON though its status said success
            raise PublishError(f"CKAN {action}: an answer that is not CKAN's ({_short(exc)})", status=None) from None

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


def _short(exc: Exception) -> str:
    return str(exc)[:300]
