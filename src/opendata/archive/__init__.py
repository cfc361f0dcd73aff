"""The append-only, content-addressed store of every raw delivery, and its manifest."""

from .store import ArchivedDelivery, RawArchive

__all__ = ["ArchivedDelivery", "RawArchive"]
