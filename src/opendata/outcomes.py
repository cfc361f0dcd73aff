"""What happened to a run, in one word: the names the ledger stores, the DAG's record task and a run in
one process both derive, the KPI and the dashboard read, and the CLI prints; with their words in
Vietnamese and English."""

from __future__ import annotations

from enum import StrEnum


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
