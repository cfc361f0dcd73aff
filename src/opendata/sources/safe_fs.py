"""Folders that outsiders can write to, opened without ever following a link they planted.

The platform's own root (the drop-zone root) is trusted; every component below it is opened with
``O_NOFOLLOW`` relative to its parent's descriptor, so a symlink anywhere in the chain (the dataset
folder, ``.taken/``, ``receipts/``) is refused instead of leading the platform elsewhere.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..exceptions import SourceError

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class UnsafePath(SourceError):
    """A path below a trusted root that is a link, or not what it must be (a folder, a regular file)."""


def _open_child_dir(parent_fd: int, name: str, create: bool, where: str) -> int:
    try:
        return os.open(name, DIR_FLAGS, dir_fd=parent_fd)
    except FileNotFoundError:
        if not create:
            raise
        try:
            os.mkdir(name, 0o755, dir_fd=parent_fd)
        except FileExistsError:
            pass
        return _open_child_dir(parent_fd, name, False, where)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafePath(f"{where}: '{name}' là liên kết hoặc không phải thư mục / is a link or not a folder: refused",
                             stage="fetch") from None
        raise


@contextmanager
def open_below(root: Path, parts: list[str], create: bool = False) -> Iterator[int | None]:
    """A descriptor of ``root/parts…``, each part opened without following links; None when a part is
    missing (and ``create`` is False). Raises :class:`UnsafePath` when a part is a link or a file."""
    fds: list[int] = []
    try:
        try:
            fds.append(os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
        except FileNotFoundError:
            if not create:
                yield None
                return
            root.mkdir(parents=True, exist_ok=True)
            fds.append(os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
        where = str(root)
        for part in parts:
            where = f"{where}/{part}"
            try:
                fds.append(_open_child_dir(fds[-1], part, create, where))
            except FileNotFoundError:
                yield None
                return
        yield fds[-1]
    finally:
        for fd in fds:
            os.close(fd)


def write_at(dir_fd: int, name: str, data: bytes, mode: int = 0o644) -> None:
    """Write a whole file in the folder ``dir_fd``: a private temporary name, then renamed over ``name``
    (a link planted under ``name`` is replaced, never written through)."""
    tmp = f".{name}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        raise


def is_regular_single(st: os.stat_result) -> bool:
    """A regular file with one name: not a device, pipe or socket, not a hard link to a file elsewhere."""
    return stat.S_ISREG(st.st_mode) and st.st_nlink == 1
