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
