"""The one retry policy of the platform's outbound calls, the portal's API and the agencies' HTTP APIs
(built on tenacity): which answers are worth asking again, how often, and how long to wait between.

The decision rests on what came back, never on the text of an error message: no answer at all (refused,
reset, timed out) or one of :data:`TRANSIENT_STATUSES` is asked again; any other status is the answer.
A server's ``Retry-After`` (seconds) is honoured up to ``max_wait_s``; a deadline ends the retries too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar

import tenacity

log = logging.getLogger(__name__)
T = TypeVar("T")

# Request timeout, too early, too many requests, and the server-side failures that pass
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class Unanswered(Exception):
    """One attempt without a usable answer: ``status`` None when nothing came back at all."""

    def __init__(self, status: int | None, retry_after_s: float | None = None, cause: str = "") -> None:
        super().__init__(f"HTTP {status}" if status is not None else cause or "no answer")
        self.status, self.retry_after_s, self.cause = status, retry_after_s, cause

    def describe(self) -> str:
        return f"HTTP {self.status}" if self.status is not None else self.cause or "no answer"


def is_transient(status: int | None) -> bool:
    """Worth asking again: no answer (None), or a status that says "later"."""
    return status is None or status in TRANSIENT_STATUSES


def retry_after(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds (a number of seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """``retries`` more attempts after the first, waiting ``backoff_s``, then twice that, and so on."""

    retries: int = 4
    backoff_s: float = 1.0
    max_wait_s: float = 60.0

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = getattr(exc, "retry_after_s", None)
        if asked is not None:
            return min(asked, self.max_wait_s)
        return min(self.backoff_s * 2 ** (state.attempt_number - 1), self.max_wait_s)

    def run(self, attempt: Callable[[], T], what: str, left_s: Callable[[], float | None] = lambda: None) -> T:
        """``attempt()`` until it returns or raises anything but :class:`Unanswered`; the last
        :class:`Unanswered` once the retries are spent, or when the next wait would pass the time
        ``left_s()`` says is left (a deadline)."""

        def spent(state: tenacity.RetryCallState) -> bool:
            left = left_s()
            return state.attempt_number > self.retries or (left is not None and left <= self._wait(state))

        def tell(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.warning("%s: %s; retry %d/%d in %.1f s", what, exc.describe() if isinstance(exc, Unanswered) else exc,
                        state.attempt_number, self.retries, state.upcoming_sleep)

        retrying = tenacity.Retrying(retry=tenacity.retry_if_exception_type(Unanswered), stop=spent, wait=self._wait,
                                     before_sleep=tell, reraise=True)
        return retrying(attempt)
