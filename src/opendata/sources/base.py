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

    def asdict(self) -> dict:
        """Plain data for the next task (an Airflow XCom)."""
        return {"source_kind": self.source_kind, "original_name": self.original_name, "path": str(self.path),
                "received_at": self.received_at.isoformat(), "meta": dict(self.meta)}

    @classmethod
    def from_dict(cls, d: dict) -> RawDelivery:
        return cls(d["source_kind"], d["original_name"], Path(d["path"]), datetime.fromisoformat(d["received_at"]),
                   d.get("meta") or {})
