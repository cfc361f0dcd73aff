"""What every source hands to the archive: the bytes untouched, and where and when they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class RawDelivery:
    source_kind: str
    original_name: str  # a file name whose ending says the format: .csv, .xlsx, .json, .bundle.json
    path: Path  # the bytes, still where the source found them
    received_at: datetime
    meta: dict = field(default_factory=dict)  # e.g. {"pages": [...], "watermark": "..."}
