"""One writer per archive: an OS file lock beside it (``<archive>.lock``).

``flock`` locks belong to the open file: the kernel releases them when the process
ends, however it ends, so a run killed with SIGKILL never blocks the next one.
Within one process the lock is re-entrant (the CLI takes it before the crawl starts,
the archive pipeline takes it again when the spider opens).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_held: dict[str, tuple[int, int]] = {}  # lock path -> (file descriptor, holders)
_guard = threading.Lock()


class LockHeld(RuntimeError):
    """Another process holds the archive's lock."""


def lock_path(archive: str | Path) -> Path:
    return Path(f"{archive}.lock")


def acquire(archive: str | Path) -> None:
    """Take the archive's lock, or raise :class:`LockHeld` at once."""
    path = lock_path(archive)
    key = str(path.resolve())
    with _guard:
        if key in _held:
            fd, holders = _held[key]
            _held[key] = (fd, holders + 1)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise LockHeld(f"{archive} is locked by {holder} (another run)") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)
        _held[key] = (fd, 1)


def release(archive: str | Path) -> None:
    key = str(lock_path(archive).resolve())
    with _guard:
        if key not in _held:
            return
        fd, holders = _held.pop(key)
        if holders > 1:
            _held[key] = (fd, holders - 1)
            return
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


@contextmanager
def holding(archive: str | Path) -> Iterator[None]:
    """The archive's lock for the duration of the block."""
    acquire(archive)
    try:
        yield
    finally:
        release(archive)
