"""How current a dataset is against its promised rhythm: fresh → due → overdue → delinquent.

Thresholds are data, in days since the last refresh, per promised frequency (the HDX freshness
model; for a quarterly dataset: due at 90, overdue at 120, delinquent at 150). The clock is passed
in; nothing here reads the time.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from ..spec.models import Frequency


class Freshness(StrEnum):
    fresh = "fresh"
    due = "due"
    overdue = "overdue"
    delinquent = "delinquent"


# frequency → (due, overdue, delinquent), in days since the last refresh
THRESHOLDS: dict[Frequency, tuple[float, float, float]] = {
    Frequency.hourly: (1 / 24, 2 / 24, 6 / 24),
    Frequency.daily: (1, 2, 3),
    Frequency.weekly: (7, 14, 21),
    Frequency.monthly: (30, 44, 60),
    Frequency.quarterly: (90, 120, 150),
    Frequency.semiannual: (182, 212, 242),
    Frequency.annual: (365, 425, 455),
}

LABELS = {Freshness.fresh: ("mới", "fresh"), Freshness.due: ("đến hạn cập nhật", "due"),
          Freshness.overdue: ("quá hạn", "overdue"), Freshness.delinquent: ("quá hạn nghiêm trọng", "delinquent")}


def freshness(last_refresh: datetime, frequency: Frequency, now: datetime) -> Freshness:
    age_days = (now - last_refresh).total_seconds() / 86400
    due, overdue, delinquent = THRESHOLDS[frequency]
    if age_days >= delinquent:
        return Freshness.delinquent
    if age_days >= overdue:
        return Freshness.overdue
    if age_days >= due:
        return Freshness.due
    return Freshness.fresh
