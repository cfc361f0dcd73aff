"""Where the list of records sits in a JSON document: the one walker of a spec's ``records_path``."""

from __future__ import annotations


def records_at(data, records_path: str | None):
    """The value at a dotted path ('data.items') of a JSON document; None where the path leads nowhere."""
    for part in (records_path or "").split("."):
        if part:
            data = data.get(part) if isinstance(data, dict) else None
    return data
