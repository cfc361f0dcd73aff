"""What every source hands to the archive: the bytes untouched, and where and when they came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class RawDelivery:
    source_kind: str
    original_name: str
    path: Path  # the bytes, still where the source found them
    received_at: datetime
