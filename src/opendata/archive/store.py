"""Raw bytes kept unchanged under their sha256, before anything else touches them.

``objects/ab/abcdef…`` holds the bytes; ``manifest.jsonl`` has one line per delivery (agency,
dataset, source, original name, size, received-at); ``refusals.jsonl`` one per entry of a drop
folder that was refused. Nothing here ever deletes or rewrites. Nothing is world-readable (files
0440, folders 0750): agencies' raw files can hold what must not be published. Appends are locked
(two workers may archive at once) and a torn or corrupt line is skipped with a warning, never fatal.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..sources.base import RawDelivery
from ..spec.models import DatasetSpec
from ..stage_result import StageResult

log = logging.getLogger(__name__)
FILE_MODE = 0o440
DIR_MODE = 0o750
BUNDLE_MAX_BYTES = 1 << 20  # a bundle lists page paths: far smaller than any data file


@dataclass(frozen=True)
class ArchivedDelivery(StageResult):
    """The archive stage's result, and a manifest line (``from_dict`` reads either)."""

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



@dataclass
class ArchiveCheck:
    verified: int = 0
    missing: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)  # objects no manifest line names (pages excepted)
    torn_lines: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.corrupt)

    def asdict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _mkdirs(path: Path) -> None:
    """Folders the platform alone reads: created 0750 (whatever the umask), fsynced into their parent."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(folder, DIR_MODE)
        _fsync_dir(folder.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_jsonl(path: Path) -> Iterator[dict]:
    """Each whole, valid line as a dict; a torn or corrupt line is reported and skipped."""
    if not path.exists():
        return
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                log.warning("%s, line %d: torn or corrupt line skipped", path, n)
                continue
            if isinstance(entry, dict):
                yield entry


def _torn_lines(path: Path) -> Iterator[int]:
    if not path.exists():
        return
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            try:
                if line.strip() and not isinstance(json.loads(line), dict):
                    yield n
            except ValueError:
                yield n


def _bundle_pages(path: Path) -> set[str]:
    """The object names a bundle of API pages lists (sources.bundle); nothing for any other object."""
    if path.stat().st_size > BUNDLE_MAX_BYTES:
        return set()
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError):
        return set()
    pages = data.get("pages") if isinstance(data, dict) else None
    return {Path(p).name for p in pages if isinstance(p, str)} if isinstance(pages, list) else set()


def append_jsonl(path: Path, entry: dict) -> None:
    """One line, whole, under an exclusive lock; a torn last line left by a crash is closed first."""
    _mkdirs(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o640)
    with os.fdopen(fd, "r+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            size = os.fstat(f.fileno()).st_size
            prefix = b""
            if size:
                f.seek(size - 1)
                if f.read(1) != b"\n":
                    prefix = b"\n"  # the last append was torn: its fragment stays one (skipped) line
            f.write(prefix + json.dumps(entry, ensure_ascii=False).encode("utf-8") + b"\n")
            f.flush()
            os.fsync(f.fileno())
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


class RawArchive:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.manifest = root / "manifest.jsonl"
        self.refusals = root / "refusals.jsonl"

    def object_path(self, sha256: str) -> Path:
        return self.root / "objects" / sha256[:2] / sha256

    def entries(self) -> Iterator[dict]:
        return (e for e in read_jsonl(self.manifest) if "sha256" in e and "dataset" in e)

    def known(self, dataset_key: str) -> set[str]:
        return {e["sha256"] for e in self.entries() if e["dataset"] == dataset_key}

    def record_refusal(self, entry: dict) -> None:
        append_jsonl(self.refusals, entry)

    def refused(self, dataset_key: str) -> list[dict]:
        return [e for e in read_jsonl(self.refusals) if e.get("dataset") == dataset_key]

    def put(self, source: Path | bytes) -> Path:
        """Keep bytes under their sha256 (no manifest line): the pages of a multi-page API delivery."""
        sha = hashlib.sha256(source).hexdigest() if isinstance(source, bytes) else sha256_of(source)
        target = self.object_path(sha)
        if not target.exists():
            _mkdirs(target.parent)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as f:
                    if isinstance(source, bytes):
                        f.write(source)
                    else:
                        with open(source, "rb") as src:
                            shutil.copyfileobj(src, f, 1 << 20)
                    f.flush()
                    os.fsync(f.fileno())
                os.chmod(tmp, FILE_MODE)
                os.replace(tmp, target)  # appears whole or not at all
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            _fsync_dir(target.parent)
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
        append_jsonl(self.manifest, entry.asdict())
        return entry

    def verify(self) -> ArchiveCheck:
        """Every object the manifest names, hashed again: missing, corrupt (bytes no longer their name)
        and the objects no manifest line names (a crash between the object and its line)."""
        check = ArchiveCheck()
        named: set[str] = set()
        for entry in self.entries():
            sha = entry["sha256"]
            if sha in named:
                continue
            named.add(sha)
            path = self.object_path(sha)
            if not path.exists():
                check.missing.append(sha)
            elif sha256_of(path) != sha:
                check.corrupt.append(sha)
            else:
                check.verified += 1
                named |= _bundle_pages(path)  # the pages of an API delivery are named by its bundle
        objects = self.root / "objects"
        for path in sorted(objects.glob("*/*")) if objects.exists() else ():
            if not path.name.startswith(".") and path.name not in named:
                check.unlisted.append(path.name)
        check.torn_lines = sum(1 for _ in _torn_lines(self.manifest))
        return check

    def find(self, dataset_key: str, sha256: str) -> ArchivedDelivery | None:
        """The latest manifest entry of this dataset with these bytes (to re-publish an old delivery)."""
        found = None
        for entry in self.entries():
            if entry["dataset"] == dataset_key and entry["sha256"] == sha256:
                found = entry
        return ArchivedDelivery.from_dict(found) if found and self.object_path(sha256).exists() else None
