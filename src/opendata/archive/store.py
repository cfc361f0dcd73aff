"""Raw bytes kept unchanged under their sha256, before anything else touches them.

``objects/ab/abcdef…`` holds the bytes; ``manifest.jsonl`` has one line per delivery (agency,
dataset, source, original name, size, received-at). Nothing here ever deletes or rewrites.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..sources.base import RawDelivery
from ..spec.models import DatasetSpec


@dataclass(frozen=True)
class ArchivedDelivery:
    sha256: str
    path: str
    dataset: str
    agency: str
    city: str
    source_kind: str
    original_name: str
    size: int
    received_at: str
    seen_before: bool  # the same bytes were already delivered for this dataset
    meta: dict = field(default_factory=dict)  # source-specific: pages, next watermark

    def asdict(self) -> dict:
        return asdict(self)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class RawArchive:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifest = root / "manifest.jsonl"

    def object_path(self, sha256: str) -> Path:
        return self.root / "objects" / sha256[:2] / sha256

    def known(self, dataset_key: str) -> set[str]:
        if not self.manifest.exists():
            return set()
        with open(self.manifest, encoding="utf-8") as f:
            return {e["sha256"] for e in map(json.loads, f) if e["dataset"] == dataset_key}

    def put(self, source: Path | bytes) -> Path:
        """Keep bytes under their sha256 (no manifest line): the pages of a multi-page API delivery."""
        sha = hashlib.sha256(source).hexdigest() if isinstance(source, bytes) else sha256_of(source)
        target = self.object_path(sha)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            if isinstance(source, bytes):
                with os.fdopen(fd, "wb") as f:
                    f.write(source)
            else:
                os.close(fd)
                shutil.copyfile(source, tmp)
            os.chmod(tmp, 0o444)
            os.replace(tmp, target)  # appears whole or not at all
        return target

    def store(self, spec: DatasetSpec, delivery: RawDelivery) -> ArchivedDelivery:
        target = self.put(delivery.path)
        sha = target.name
        entry = ArchivedDelivery(
            sha256=sha, path=str(target), dataset=spec.key, agency=spec.agency, city=spec.city,
            source_kind=delivery.source_kind, original_name=delivery.original_name,
            size=target.stat().st_size, received_at=delivery.received_at.isoformat(),
            seen_before=sha in self.known(spec.key), meta=dict(delivery.meta),
        )
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.manifest, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry.asdict(), ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return entry

    def find(self, dataset_key: str, sha256: str) -> ArchivedDelivery | None:
        """The latest manifest entry of this dataset with these bytes (to re-publish an old delivery)."""
        if not self.manifest.exists():
            return None
        found = None
        with open(self.manifest, encoding="utf-8") as f:
            for entry in map(json.loads, f):
                if entry["dataset"] == dataset_key and entry["sha256"] == sha256:
                    found = entry
        return ArchivedDelivery(**found) if found and self.object_path(sha256).exists() else None
