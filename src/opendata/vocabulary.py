"""The words users read, in Vietnamese and English, in one place: what happened to a run (the names the
ledger stores, the DAG's record task and a run in one process both derive, the CLI prints), the four
dimensions of the city's standard, and the words that mean yes and no in an agency's file."""

from __future__ import annotations

from enum import StrEnum

from .issues import Dimension


class Outcome(StrEnum):
    published = "published"  # a new version is on the portal
    unchanged = "unchanged"  # the delivery's content is what the portal shows already
    repeat = "repeat"  # the same bytes as an earlier settled delivery: not processed twice
    quarantined = "quarantined"  # a blocking rule failed; the agency has a receipt
    unreadable = "unreadable"  # the file could not be read as its spec says
    no_delivery = "no-delivery"  # nothing new at the source
    failed = "failed"  # the platform could not finish (the portal, the archive, a bug): retried, never settled

    @property
    def label(self) -> tuple[str, str]:
        """(Vietnamese, English), as a steward says it."""
        return LABELS[self]


LABELS: dict[Outcome, tuple[str, str]] = {
    Outcome.published: ("đã công bố", "published"), Outcome.unchanged: ("không đổi", "unchanged"),
    Outcome.repeat: ("nộp lặp lại", "repeated delivery"), Outcome.quarantined: ("bị giữ lại", "quarantined"),
    Outcome.unreadable: ("không đọc được", "unreadable"), Outcome.no_delivery: ("không có dữ liệu mới", "nothing new"),
    Outcome.failed: ("lỗi hệ thống", "failed"),
}
FAILED = frozenset({Outcome.quarantined, Outcome.unreadable, Outcome.failed})  # the run stays red
REFRESHING = frozenset({Outcome.published, Outcome.unchanged})  # the agency keeps the dataset current
SETTLED = REFRESHING | {Outcome.quarantined, Outcome.unreadable}  # a delivery that reached one of these is done with

# the city's standard, in the order it is said: đúng, đủ, sạch, sống
DIMENSIONS: tuple[tuple[Dimension, str, str], ...] = (
    (Dimension.correct, "Đúng", "Correct"), (Dimension.complete, "Đủ", "Complete"),
    (Dimension.clean, "Sạch", "Clean"), (Dimension.live, "Sống", "Live"),
)
DIMENSION_NAMES: dict[str, tuple[str, str]] = {d.value: (vi, en) for d, vi, en in DIMENSIONS}

# yes and no in a boolean column, compared in lower case: with and without the Vietnamese marks
YES_WORDS = ("true", "1", "có", "co", "yes", "x", "đúng", "dung")
NO_WORDS = ("false", "0", "không", "khong", "no", "sai")


def spellings(words: tuple[str, ...]) -> list[str]:
    """Each word as typed in lower case, Capitalised and in CAPITALS (for a reader that matches exactly)."""
    return list(dict.fromkeys(v for w in words for v in (w, w.capitalize(), w.upper())))
