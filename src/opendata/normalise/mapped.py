"""A large CSV delivery's bytes mapped from its file instead of read into the process's memory.

Reading a 180 MB file copies it into fresh memory, and on a virtual machine the kernel's first touch of
that memory cost from 0.1 s to over a second (measured: the read's system time); the block path, which
read each 64 MiB block and copied it twice more, spent as much time in the kernel as in its own work. A
mapping uses the page cache's own pages, and a block's pages are let go once it is read (the process's
memory stays that of one block). Only files the pipeline never changes are mapped: archive objects,
written once and renamed into place (a file cut short under a mapping would stop the process with
SIGBUS), and the file a person checks with ``opendata check``.

:class:`MappedBytes` offers the few ``bytes`` methods the CSV readers use; a slice is real ``bytes``.
"""

from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np
import pyarrow as pa

MAP_FROM_BYTES = 16 << 20  # smaller files are read: a mapping saves nothing there
_COUNT_CHUNK = 1 << 20  # bytes compared at a time when counting one byte value (bounded scratch memory)


class MappedBytes:
    """The bytes of a file from ``start`` to ``end`` (its end when None), read-only."""

    __slots__ = ("_end", "_map", "_start")

    def __init__(self, mapping: mmap.mmap, start: int = 0, end: int | None = None) -> None:
        self._map, self._start, self._end = mapping, start, len(mapping) if end is None else end

    @classmethod
    def of(cls, path: Path) -> MappedBytes:
        with open(path, "rb") as fh:
            return cls(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))

    def __len__(self) -> int:
        return self._end - self._start

    def __getitem__(self, key: int | slice) -> int | bytes:
        if isinstance(key, int):
            at = key + len(self) if key < 0 else key
            if not 0 <= at < len(self):
                raise IndexError("index out of range")
            return self._map[self._start + at]
        start, stop, step = key.indices(len(self))
        return self._map[self._start + start:self._start + stop:step]

    def __bytes__(self) -> bytes:
        return self[:]

    def after(self, skip: int) -> MappedBytes:
        """The bytes after the first ``skip`` (a byte-order mark), still mapped."""
        return self.window(skip, len(self))

    def window(self, start: int, end: int) -> MappedBytes:
        """Bytes ``start`` to ``end`` of these, still mapped (a block of the file)."""
        return MappedBytes(self._map, self._start + start, self._start + min(end, len(self)))

    def release(self) -> None:
        """Let the kernel take back this process's view of these pages (they stay in the page cache, and
        are read again from it if touched): what keeps a walk through a 5 GB file at one block's memory."""
        first = self._start - self._start % mmap.PAGESIZE
        if self._end > first:
            self._map.madvise(mmap.MADV_DONTNEED, first, self._end - first)

    def find(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        end = len(self) if end is None else min(end, len(self))
        at = self._map.find(sub, self._start + start, self._start + end)
        return at - self._start if at >= 0 else -1

    def rfind(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        end = len(self) if end is None else min(end, len(self))
        at = self._map.rfind(sub, self._start + start, self._start + end)
        return at - self._start if at >= 0 else -1

    def count(self, sub: bytes, start: int = 0, end: int | None = None) -> int:
        end = len(self) if end is None else min(end, len(self))
        if len(sub) != 1:
            return self[start:end].count(sub)
        values = np.frombuffer(self._map, np.uint8)[self._start + start:self._start + end]
        scratch = np.empty(min(len(values), _COUNT_CHUNK), np.bool_)  # one buffer for every chunk's comparison
        total = 0
        for i in range(0, len(values), _COUNT_CHUNK):
            chunk = values[i:i + _COUNT_CHUNK]
            total += int(np.count_nonzero(np.equal(chunk, sub[0], out=scratch[:len(chunk)])))
        return total

    def startswith(self, prefix: bytes | tuple[bytes, ...]) -> bool:
        return any(self[:len(p)] == p for p in (prefix if isinstance(prefix, tuple) else (prefix,)))

    def endswith(self, suffix: bytes) -> bool:
        return len(self) >= len(suffix) and self[len(self) - len(suffix):] == suffix

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return self[:].decode(encoding, errors)

    def arrow(self) -> pa.Buffer:
        """The same bytes as a pyarrow buffer, without a copy."""
        return pa.py_buffer(self._map).slice(self._start, len(self))


def delivery_bytes(path: Path) -> bytes | MappedBytes:
    """A delivery's bytes: mapped when it is large, read when it is small (or empty: nothing to map)."""
    size = path.stat().st_size
    return MappedBytes.of(path) if size and size >= MAP_FROM_BYTES else path.read_bytes()


def arrow_buffer(raw: bytes | MappedBytes) -> pa.Buffer | bytes:
    """What pyarrow's readers take, without a copy."""
    return raw.arrow() if isinstance(raw, MappedBytes) else raw


def skip(raw: bytes | MappedBytes, count: int) -> bytes | MappedBytes:
    """``raw`` without its first ``count`` bytes (a byte-order mark): still mapped if it was."""
    return raw.after(count) if isinstance(raw, MappedBytes) else raw[count:]


def window(raw: bytes | MappedBytes, start: int, end: int) -> bytes | MappedBytes:
    """Bytes ``start`` to ``end`` of ``raw``: a view of a mapping, a copy of bytes."""
    return raw.window(start, end) if isinstance(raw, MappedBytes) else raw[start:end]
