"""Two signals that a dataset is alive, kept apart and named the same on the portal, the dashboard,
the CLI, the reports and the receipts.

- **refresh** (*cập nhật*): when the agency last delivered accepted data, against the frequency it
  promised: fresh → due → overdue → delinquent (the HDX freshness model; quarterly: due at 90 days,
  overdue at 120, delinquent at 150), ``never`` before the first publication. This is what the KPI
  counts: the plan's "cập nhật định kỳ tối thiểu 03 tháng/lần" is the agency updating the dataset, so a
  dataset counts while it is fresh or due. The thresholds are data and a city may set its own
  (``compliance.refresh_days``).
- **content currency** (*độ mới của nội dung*): how recent the newest value of the spec's
  ``date_column`` is. It does not move the KPI; it is the sống (live) score of a delivery (the newest
  value within the promised frequency: 100, else 0, a warning), and the portal shows its newest date,
  so a dataset refreshed on time with old content says so.

The clock is passed in; nothing here reads the time.
"""

from __future__ import annotations

from datetime import date, datetime

from ..spec.models import Frequency
from ..vocabulary import ContentCurrency, RefreshState

Thresholds = dict[Frequency, tuple[float, float, float]]
# frequency → (due, overdue, delinquent), in days since the last refresh
THRESHOLDS: Thresholds = {
    Frequency.hourly: (1 / 24, 2 / 24, 6 / 24),
    Frequency.daily: (1, 2, 3),
    Frequency.weekly: (7, 14, 21),
    Frequency.monthly: (30, 44, 60),
    Frequency.quarterly: (90, 120, 150),
    Frequency.semiannual: (182, 212, 242),
    Frequency.annual: (365, 425, 455),
}
COUNTING = (RefreshState.fresh, RefreshState.due)  # the refresh states the KPI counts


def thresholds_with(overrides: dict | None) -> Thresholds:
    """The defaults with a city's own days for some frequencies (each as due, overdue, delinquent)."""
    out = dict(THRESHOLDS)
    for frequency, days in (overrides or {}).items():
        out[Frequency(frequency)] = tuple(float(d) for d in days)  # type: ignore[assignment]
    return out


def days_since(moment: datetime, now: datetime) -> int:
    return max(0, int((now - moment).total_seconds() // 86400))


def refresh_state(last_refresh: datetime | None, frequency: Frequency, now: datetime,
                  thresholds: Thresholds = THRESHOLDS) -> RefreshState:
    if last_refresh is None:
        return RefreshState.never
    age_days = (now - last_refresh).total_seconds() / 86400
    due, overdue, delinquent = thresholds[frequency]
    if age_days >= delinquent:
        return RefreshState.delinquent
    if age_days >= overdue:
        return RefreshState.overdue
    if age_days >= due:
        return RefreshState.due
    return RefreshState.fresh


def content_currency(newest: date | None, frequency: Frequency, today: date, has_date_column: bool = True,
                     thresholds: Thresholds = THRESHOLDS) -> ContentCurrency:
    """The newest value against the promised frequency's due days: the same test as the sống rule."""
    if not has_date_column:
        return ContentCurrency.undated
    if newest is None:
        return ContentCurrency.stale
    return ContentCurrency.current if (today - newest).days <= thresholds[frequency][0] else ContentCurrency.stale
