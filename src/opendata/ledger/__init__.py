"""The run ledger: what happened to every delivery and where every dataset stands. ``models`` are its
tables, ``migrations`` Alembic's history of them, ``repository`` the only code that reads or writes
them; the names callers use are these."""

from .models import AnnouncedDrops, DatasetCarry, DatasetStatus, KpiSnapshot, Reminder, RunRecord
from .repository import (
    LedgerUnavailable,
    announced,
    carry,
    carry_accepted,
    carry_published,
    claim_reminder,
    forget_reminders,
    import_state_files,
    migrate,
    open_ledger,
    record_mqa,
    record_run,
    runs,
    save_announced,
    settled,
    snapshot,
    statuses,
    trend,
)

__all__ = ["AnnouncedDrops", "DatasetCarry", "DatasetStatus", "KpiSnapshot", "LedgerUnavailable", "Reminder", "RunRecord",
           "announced", "carry", "carry_accepted", "carry_published", "claim_reminder", "forget_reminders",
           "import_state_files", "migrate", "open_ledger", "record_mqa", "record_run", "runs", "save_announced", "settled",
           "snapshot", "statuses", "trend"]
