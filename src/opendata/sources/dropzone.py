"""Agencies' drop folders: <root>/<city>/<agency>/<dataset>/, one file per delivery. A trust boundary.

Only a regular file with one link, directly inside its dataset's folder, with a sane name, is ever
taken; the folder chain, ``.taken/`` and ``receipts/`` are opened without following links. Anything
else is *refused*: moved aside into ``.refused/`` (the entry itself, never what it points to), and
reported. A file still being written is left alone: partial-upload names (``.part``, ``.tmp``,
``~$`` Excel locks, dot-files), files modified less than ``settle_seconds`` ago, and files whose
size or modification time changed between two looks.

Taking a file opens it once (no follow), checks that handle, copies and hashes the bytes from it into
the platform's own incoming folder, then moves the original into ``.taken/`` under a name carrying
its sha256, so a run that died before archiving is found again by the next one (:meth:`untaken`).
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import secrets
import stat
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..spec.models import DatasetSpec
from .base import RawDelivery
from .safe_fs import FILE_FLAGS, UnsafePath, is_regular_single, open_below

PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".filepart", ".uploading")
TAKEN = ".taken"
REFUSED = ".refused"
RECEIPTS = "receipts"  # a folder: never a delivery, whatever the spec's pattern
MAX_NAME_BYTES = 200
_BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


@dataclass(frozen=True)
class Look:
    """One look at a file: what tells whether it is still being written."""

    name: str
    size: int
    mtime_ns: int
    inode: int


@dataclass(frozen=True)
class Refusal:
    """An entry of the drop folder that is not taken, and why (the name as text a person can read)."""

    name: str
    reason: str  # symlink | not_regular | hard_link | bad_name | too_large
    detail_vi: str
    detail_en: str
    size: int | None = None
    link_target: str | None = None
    entry: str = ""  # the name as it is on disk (for moving it aside), not for showing
    fix_vi: str = "Hãy nộp một tệp thông thường, tên ngắn, không có ký tự đặc biệt."
    fix_en: str = "Drop a plain file with a short, plain name."


@dataclass
class Scan:
    ready: list[Look] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def printable_name(name: str) -> str:
    """The name as a receipt can show it: control and invisible characters as \\xNN, cut to 120 characters."""
    out = "".join(c if c.isprintable() and c not in _BIDI_CONTROLS else f"\\x{ord(c):02x}" for c in name)
    return out if len(out) <= 120 else out[:117] + "…"


def name_problem(name: str) -> tuple[str, str] | None:
    """Why a file name cannot be taken, in Vietnamese and English; None when it is fine."""
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        return ("tên tệp không phải UTF-8", "the file name is not valid UTF-8")
    if size > MAX_NAME_BYTES:
        return (f"tên tệp dài {size} byte (tối đa {MAX_NAME_BYTES})", f"the name is {size} bytes long (at most {MAX_NAME_BYTES})")
    if "/" in name or "\\" in name:
        return ("tên tệp chứa dấu phân cách thư mục", "the name holds a path separator")
    if any(unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS for c in name):
        return ("tên tệp chứa ký tự điều khiển", "the name holds control characters")
    return None


class DropZone:
    def __init__(self, root: Path, settle_seconds: float = 2.0, look_interval_s: float = 1.0) -> None:
        self.root = root
        self.settle_seconds = settle_seconds
        self.look_interval_s = look_interval_s

    def parts(self, spec: DatasetSpec) -> list[str]:
        return [spec.city, spec.agency, spec.id]

    def folder(self, spec: DatasetSpec) -> Path:
        return self.root.joinpath(*self.parts(spec))

    def receipts(self, spec: DatasetSpec) -> Path:
        return self.folder(spec) / RECEIPTS

    # ------------------------------------------------------------------ looking

    def look(self, spec: DatasetSpec, now: datetime) -> Scan:
        """One look at the dataset's folder: files that may be deliveries, and entries refused outright.
        Raises :class:`UnsafePath` when the folder itself (or a folder above it) is a link."""
        scan = Scan()
        pattern = spec.source.pattern.lower()
        with open_below(self.root, self.parts(spec)) as fd:
            if fd is None:
                return scan
            for entry in os.scandir(fd):
                name = entry.name
                if name in (TAKEN, REFUSED, RECEIPTS) or name.startswith((".", "~$")):
                    continue
                if name.lower().endswith(PARTIAL_SUFFIXES) or not fnmatch.fnmatch(name.lower(), pattern):
                    continue
                try:
                    st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    continue  # gone since it was listed
                refusal = _refusal(fd, name, st, spec.limits.max_bytes)
                if refusal is not None:
                    scan.refused.append(refusal)
                elif now.timestamp() - st.st_mtime >= self.settle_seconds:
                    scan.ready.append(Look(name, st.st_size, st.st_mtime_ns, st.st_ino))
        scan.ready.sort(key=lambda lk: (lk.mtime_ns, lk.name))
        return scan

    def pending(self, spec: DatasetSpec, now: datetime) -> list[Look]:
        """Complete files, oldest first: settled, and the same size and time across two looks."""
        first = self.look(spec, now)
        if not first.ready:
            return []
        time.sleep(self.look_interval_s)
        return stable(first.ready, self.look(spec, now).ready)

    # ------------------------------------------------------------------ taking

    def take(self, spec: DatasetSpec, look: Look, now: datetime, incoming: Path) -> RawDelivery | None:
        """Copy and hash the file from one no-follow handle into ``incoming``, then move the original
        into ``.taken/``. None when the file vanished or changed since it was looked at."""
        with open_below(self.root, self.parts(spec)) as fd:
            if fd is None:
                return None
            copied = _copy_out(fd, look, incoming, now)
            if copied is None:
                return None
            copy_path, sha = copied
            with open_below(self.root, [*self.parts(spec), TAKEN], create=True) as taken_fd:
                taken_name = f"{now.strftime('%Y%m%dT%H%M%S')}-{sha[:16]}-{look.name}"
                try:
                    current = os.stat(look.name, dir_fd=fd, follow_symlinks=False)
                    if current.st_ino != look.inode:
                        copy_path.unlink(missing_ok=True)
                        return None  # replaced since it was opened: the next run looks again
                    os.rename(look.name, taken_name, src_dir_fd=fd, dst_dir_fd=taken_fd)
                except FileNotFoundError:
                    copy_path.unlink(missing_ok=True)
                    return None
        return RawDelivery("drop_zone", look.name, copy_path, now, {"sha256": sha, "taken_as": f"{TAKEN}/{taken_name}"})

    def untaken(self, spec: DatasetSpec, archived: set[str], incoming: Path, now: datetime) -> RawDelivery | None:
        """A file moved into ``.taken/`` whose bytes never reached the archive (the run died between the
        two): delivered again, copied from one no-follow handle and checked against its recorded hash."""
        with open_below(self.root, [*self.parts(spec), TAKEN]) as taken_fd:
            if taken_fd is None:
                return None
            prefixes = {s[:16] for s in archived}
            for name in sorted(os.listdir(taken_fd)):
                stamp, _, rest = name.partition("-")
                sha16, _, original = rest.partition("-")
                if len(sha16) != 16 or sha16 in prefixes or not original:
                    continue
                try:
                    st = os.stat(name, dir_fd=taken_fd, follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if not is_regular_single(st):
                    continue
                copied = _copy_out(taken_fd, Look(name, st.st_size, st.st_mtime_ns, st.st_ino), incoming, now)
                if copied is None or not copied[1].startswith(sha16):
                    if copied is not None:
                        copied[0].unlink(missing_ok=True)
                    continue
                return RawDelivery("drop_zone", original, copied[0], now,
                                   {"sha256": copied[1], "taken_as": f"{TAKEN}/{name}", "recovered": True})
        return None

    def set_aside(self, spec: DatasetSpec, refusal: Refusal, now: datetime) -> str | None:
        """Move a refused entry (the link or file itself) into ``.refused/`` so it is reported once."""
        with open_below(self.root, self.parts(spec)) as fd, \
                open_below(self.root, [*self.parts(spec), REFUSED], create=True) as refused_fd:
            if fd is None or refused_fd is None:
                return None
            target = f"{now.strftime('%Y%m%dT%H%M%S')}-{hashlib.sha256(os.fsencode(refusal.entry)).hexdigest()[:12]}"
            try:
                os.rename(refusal.entry, target, src_dir_fd=fd, dst_dir_fd=refused_fd)
            except FileNotFoundError:
                return None
            return f"{REFUSED}/{target}"

    def read_refused(self, spec: DatasetSpec, moved_as: str, limit: int) -> bytes | None:
        """The bytes of a refused *regular* file (a bad name), read through a no-follow handle; None for
        links, devices, hard links and files over ``limit`` bytes: their bytes are not read."""
        with open_below(self.root, [*self.parts(spec), REFUSED]) as fd:
            if fd is None:
                return None
            try:
                handle = os.open(moved_as.split("/", 1)[1], FILE_FLAGS, dir_fd=fd)
            except OSError:
                return None
            with os.fdopen(handle, "rb") as f:
                st = os.fstat(f.fileno())
                if not is_regular_single(st) or st.st_size > limit:
                    return None
                return f.read(limit + 1)[:limit]


def stable(first: list[Look], second: list[Look]) -> list[Look]:
    """Files whose size, time and inode are the same in both looks, in the order of the second."""
    seen = set(first)
    return [lk for lk in second if lk in seen]


def _refusal(fd: int, name: str, st: os.stat_result, max_bytes: int) -> Refusal | None:
    """Why this entry is not taken (the entry's own name kept for moving it aside); None: it may be."""
    problem = name_problem(name)
    if stat.S_ISLNK(st.st_mode):
        try:
            target = os.readlink(name, dir_fd=fd)
        except OSError:
            target = "?"
        return Refusal(printable_name(name), "symlink", "là liên kết tượng trưng (symlink), không phải tệp",
                       "is a symbolic link, not a file", link_target=printable_name(target), entry=name)
    if not stat.S_ISREG(st.st_mode):
        return Refusal(printable_name(name), "not_regular", "không phải tệp thông thường (thiết bị, ống, socket)",
                       "is not a regular file (a device, pipe or socket)", entry=name)
    if st.st_nlink != 1:
        return Refusal(printable_name(name), "hard_link", f"có {st.st_nlink} liên kết cứng (hard link) tới cùng dữ liệu",
                       f"has {st.st_nlink} hard links to the same bytes", size=st.st_size, entry=name)
    if problem is not None:
        return Refusal(printable_name(name), "bad_name", problem[0], problem[1], size=st.st_size, entry=name)
    if st.st_size > max_bytes:  # the size the file says it has (a sparse file's too): judged before a byte is read
        return Refusal(printable_name(name), "too_large", f"lớn {st.st_size:,} byte, vượt giới hạn {max_bytes:,} byte",
                       f"is {st.st_size:,} bytes, over the limit of {max_bytes:,} bytes", size=st.st_size, entry=name,
                       fix_vi="Chia nhỏ tệp, hoặc đề nghị Sở KH&CN nâng giới hạn `limits.max_bytes` của bộ dữ liệu.",
                       fix_en="Split the file, or ask the portal team to raise the dataset's `limits.max_bytes`.")
    return None


def _copy_out(dir_fd: int, look: Look, incoming: Path, now: datetime) -> tuple[Path, str] | None:
    """Open ``look.name`` once (no follow, no blocking on a pipe), check the handle is the regular,
    single-link file that was looked at, and copy exactly the size it had then into ``incoming`` while
    hashing it. A file that grows while it is copied is left for the next run and no copy stays behind."""
    try:
        handle = os.open(look.name, FILE_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UnsafePath(f"'{printable_name(look.name)}' cannot be opened safely: {exc.strerror}", stage="fetch") from None
    with os.fdopen(handle, "rb") as src:
        st = os.fstat(src.fileno())
        if not is_regular_single(st) or (st.st_size, st.st_mtime_ns, st.st_ino) != (look.size, look.mtime_ns, look.inode):
            return None  # swapped or still growing since the look: left for the next run
        incoming.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = incoming / f"{now.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(8)}.delivery"
        digest = hashlib.sha256()
        left = look.size
        try:
            with open(target, "xb") as out:
                os.fchmod(out.fileno(), 0o600)
                while left and (block := src.read(min(1 << 20, left))):
                    digest.update(block)
                    out.write(block)
                    left -= len(block)
                out.flush()
                os.fsync(out.fileno())
            if left or src.read(1):  # shorter or longer than it was when looked at
                target.unlink()
                return None
        except BaseException:
            target.unlink(missing_ok=True)
            raise
    return target, digest.hexdigest()


def announce(zone: DropZone, specs: list[DatasetSpec], now: datetime,
             announced: dict[str, list[str]]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Files that became ready since the last call, per dataset key (each file announced once, by name,
    size and modification time), for the watcher DAG to turn into Asset events; and what is announced now
    (``announced`` as it stood, updated: the ledger keeps it between calls). Every folder is looked at
    twice with one pause in between, however many datasets there are."""
    seen = {k: list(v) for k, v in announced.items()}
    drops = [s for s in specs if s.source.kind == "drop_zone"]
    first: dict[str, list[Look]] = {}
    refused: dict[str, list[str]] = {}  # entries the dataset's run must refuse (with a receipt): announced too
    for spec in drops:
        try:
            scan = zone.look(spec, now)
            first[spec.key], refused[spec.key] = scan.ready, [f"refused|{r.name}" for r in scan.refused]
        except UnsafePath:
            first[spec.key], refused[spec.key] = [], ["refused|(folder)"]
    if any(first.values()):
        time.sleep(zone.look_interval_s)
    fresh: dict[str, list[str]] = {}
    for spec in drops:
        try:
            ready_now = stable(first[spec.key], zone.look(spec, now).ready) if first[spec.key] else []
        except UnsafePath:
            ready_now = []
        ready = {f"{lk.name}|{lk.size}|{lk.mtime_ns // 1_000_000_000}": lk.name for lk in ready_now}
        ready.update({marker: marker for marker in refused[spec.key]})
        new = [name for marker, name in ready.items() if marker not in set(seen.get(spec.key, []))]
        if new:
            fresh[spec.key] = new
        if ready:
            seen[spec.key] = sorted(ready)
        else:
            seen.pop(spec.key, None)
    return fresh, seen
