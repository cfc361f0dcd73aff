"""Where the list of records sits in a JSON document: the one walker of a spec's ``records_path``."""

from __future__ import annotations


def records_at(data, records_path: str | None):
    """The value at a dotted path ('data.items') of a JSON document; None where the path leads nowhere."""
    for part in (records_path or "").split("."):
        if part:
            data = data.get(part) if isinstance(data, dict) else None
    return data


def keyed_records(data, key_column: str | None):
    """An object keyed by code whose values are records ({"20194": {"name": …}, …}) as a list of records, the
    key in ``key_column`` (a spec's ``records_by_key``); anything else as it is. A record that names the key
    column itself keeps its own value."""
    if not key_column or not isinstance(data, dict) or not data or not all(isinstance(v, dict) for v in data.values()):
        return data
    return [{key_column: key, **record} for key, record in data.items()]
