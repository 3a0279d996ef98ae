"""One writer per archive: an OS file lock beside it (``<archive>.lock``).

``flock`` locks belong to the open file: the kernel releases them when the process
ends, however it ends, so a run killed with SIGKILL never blocks the next one. The
crawl takes the lock once, when its archive pipeline opens; ``centrasia reparse``
takes it for its own run.

A crawl also keeps room in the lock file (:meth:`ArchiveLock.reserve`): blocks of the
disk allocated to it, given back (:meth:`ArchiveLock.give_back`) just before the run's
end is recorded, so that a disk another writer filled to the last byte (Scrapy's
JOBDIR, a log) still takes the few pages of that record.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class LockHeld(RuntimeError):
    """Another run holds the archive's lock."""


class ArchiveLock:
    """The lock of the archive at ``archive``: taken at once or not at all."""

    def __init__(self, archive: str | Path) -> None:
        self.archive = str(archive)
        self.path = Path(f"{archive}.lock")
        self._fd: int | None = None
        self._line = b""

    def acquire(self) -> None:
        """Take the lock, or raise :class:`LockHeld` at once (``OSError`` when the lock
        file cannot be made)."""
        missing = not self.path.parent.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            if not missing:
                raise
            raise OSError(
                exc.errno,
                f"its directory {self.path.parent} does not exist (and cannot be made:"
                f" {exc.strerror})",
            ) from None
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 64, 0).split(b"\0")[0].decode(errors="replace").strip()
            os.close(fd)
            holder = text or "another process"
            raise LockHeld(f"{self.archive} is locked by {holder} (another run)") from None
        os.ftruncate(fd, 0)
        self._line = f"pid {os.getpid()}\n".encode()
        os.pwrite(fd, self._line, 0)
        self._fd = fd

    def reserve(self, size: int) -> bool:
        """Allocate ``size`` bytes of the disk to the lock file (zeros after the pid
        line), to give back with :meth:`give_back`; whether the file system gave them."""
        if self._fd is None:
            return False
        try:
            os.posix_fallocate(self._fd, 0, size)
        except OSError:  # no room, or a file system that cannot allocate ahead
            os.ftruncate(self._fd, len(self._line))
            return False
        return True

    def give_back(self) -> None:
        """Free what :meth:`reserve` allocated (the pid line stays)."""
        if self._fd is not None:
            os.ftruncate(self._fd, len(self._line))

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> ArchiveLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def holder(archive: str | Path) -> int | None:
    """The pid of the live process that holds the archive's lock, or None.

    Read from the lock file, which the holder writes and truncates when it lets go;
    a process killed while holding it leaves its pid there, but is no longer alive.
    (No lock is taken to find out: a run starting at that moment is never refused.)
    """
    try:
        text = Path(f"{archive}.lock").read_text(errors="replace").split("\0")[0].split()
    except OSError:
        return None
    if len(text) < 2 or text[0] != "pid" or not text[1].isdigit():
        return None
    pid = int(text[1])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # alive, another user's
        return pid
    return pid
