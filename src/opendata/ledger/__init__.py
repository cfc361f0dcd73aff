"""The run ledger: what happened to every delivery and where every dataset stands. ``models`` are its
tables, ``migrations`` Alembic's history of them, ``repository`` the only code that reads or writes
them; the names callers use are these."""

from .models import DatasetStatus, KpiSnapshot, Reminder, RunRecord
from .repository import (
    LedgerUnavailable,
    claim_reminder,
    forget_reminders,
    migrate,
    open_ledger,
    record_mqa,
    record_run,
    runs,
    settled,
    snapshot,
    statuses,
    trend,
)

__all__ = ["DatasetStatus", "KpiSnapshot", "LedgerUnavailable", "Reminder", "RunRecord", "claim_reminder",
           "forget_reminders", "migrate", "open_ledger", "record_mqa", "record_run", "runs", "settled", "snapshot",
           "statuses", "trend"]
