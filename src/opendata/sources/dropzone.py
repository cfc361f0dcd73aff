"""Agencies' drop folders: <root>/<city>/<agency>/<dataset>/, one file per delivery.

A file still being written is left alone: partial-upload names (``.part``, ``.tmp``, ``~$`` Excel
locks, dot-files) and files modified less than ``settle_seconds`` ago. Taken files move to
``.taken/`` beside them, so an agency sees what was picked up and nothing is taken twice.
"""

from __future__ import annotations

import fnmatch
import shutil
from datetime import datetime
from pathlib import Path

from ..spec.models import DatasetSpec
from .base import RawDelivery

PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".filepart", ".uploading")
TAKEN = ".taken"


class DropZone:
    def __init__(self, root: Path, settle_seconds: float = 2.0) -> None:
        self.root = root
        self.settle_seconds = settle_seconds

    def folder(self, spec: DatasetSpec) -> Path:
        return self.root / spec.city / spec.agency / spec.id

    def pending(self, spec: DatasetSpec, now: datetime) -> list[Path]:
        """Complete files waiting in the dataset's folder, oldest first."""
        folder = self.folder(spec)
        if not folder.is_dir():
            return []
        pattern = spec.source.pattern.lower()
        out = []
        for path in folder.iterdir():
            name = path.name
            if not path.is_file() or name.startswith((".", "~$")) or name.lower().endswith(PARTIAL_SUFFIXES):
                continue
            if not fnmatch.fnmatch(name.lower(), pattern):
                continue
            if now.timestamp() - path.stat().st_mtime < self.settle_seconds:
                continue  # still being written, most likely
            out.append(path)
        return sorted(out, key=lambda p: (p.stat().st_mtime, p.name))

    def take(self, path: Path, now: datetime) -> RawDelivery:
        """Move the file aside into .taken/ (same filesystem, atomic) and describe it."""
        taken_dir = path.parent / TAKEN
        taken_dir.mkdir(exist_ok=True)
        target = taken_dir / f"{now.strftime('%Y%m%dT%H%M%S')}-{path.name}"
        shutil.move(str(path), target)
        return RawDelivery("drop_zone", path.name, target, now)


def announce(zone: DropZone, specs: list[DatasetSpec], now: datetime, seen_file: Path) -> dict[str, list[str]]:
    """Files that became ready since the last call, per dataset key (each file announced once, by name,
    size and modification time), for the watcher DAG to turn into Asset events."""
    import json

    seen: dict[str, list[str]] = json.loads(seen_file.read_text(encoding="utf-8")) if seen_file.exists() else {}
    fresh: dict[str, list[str]] = {}
    for spec in specs:
        if spec.source.kind != "drop_zone":
            continue
        ready = {f"{p.name}|{p.stat().st_size}|{int(p.stat().st_mtime)}": p.name for p in zone.pending(spec, now)}
        new = [name for marker, name in ready.items() if marker not in set(seen.get(spec.key, []))]
        if new:
            fresh[spec.key] = new
        if ready:
            seen[spec.key] = sorted(ready)
        else:
            seen.pop(spec.key, None)
    seen_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = seen_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(seen, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(seen_file)
    return fresh
