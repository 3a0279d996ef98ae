"""A backfill's JOBDIR, kept resumable however its run ended.

Scrapy keeps a crawl's pending requests (``requests.queue``), the fingerprints of the
requests it made (``requests.seen``) and the spider's state (``spider.state``) in
JOBDIR, and writes the queue and the state when the spider closes. A run stopped
gracefully (Ctrl-C once, SIGTERM, a CLOSESPIDER_* limit) leaves all three consistent;
a run killed (SIGKILL, a second Ctrl-C, a power cut) leaves fingerprints of requests
whose answers were never archived, and no queue: resumed as it is, such a JOBDIR
fetches nothing and calls it done.

So a run marks the JOBDIR while it works (``centrasia.running``, holding an OS lock on
it, with its pid) and removes the mark when Scrapy has written its state. A run that
finds a mark nobody holds knows the last one was killed: it clears Scrapy's files
(the range is walked again; the archive skips every article it already has) and goes
on. The JOBDIR also records what it is a crawl of (``centrasia-job.json``): a JOBDIR
reused for another range, or whose Scrapy state cannot be read, is refused in one
line naming it and what to do.

A JOBDIR belongs to one archive (``centrasia-archive.json``): the archive's identity
(a UUID in its ``archive_meta``) and how many articles and listings of the range it
held when the last run stopped cleanly. Its Scrapy files say what was fetched, not
what the archive still holds: used against another archive, or against one restored
from a backup that lacks what the JOBDIR says it fetched, it is started afresh
(:func:`check_archive`), with a one-line note.
"""

from __future__ import annotations

import fcntl
import json
import os
import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

#: Present while a run uses the JOBDIR; holds ``pid N``; removed when it stops cleanly.
MARKER: Final = "centrasia.running"
#: What the JOBDIR is a crawl of: the spider and its arguments.
RECORD: Final = "centrasia-job.json"
#: The archive the JOBDIR's fetches went into, and what of the range it held.
ARCHIVE_RECORD: Final = "centrasia-archive.json"
#: Scrapy's own files in a JOBDIR.
SCRAPY_FILES: Final = ("requests.seen", "requests.queue", "spider.state")
#: Exit statuses of a refusal: cannot be resumed (1), in use by another run (75).
UNRESUMABLE: Final = 1
IN_USE: Final = 75


class JobdirRefused(RuntimeError):
    """The JOBDIR cannot be used for this run; the message is one line."""

    def __init__(self, message: str, exit_status: int = UNRESUMABLE) -> None:
        super().__init__(message)
        self.exit_status = exit_status


@dataclass
class Job:
    """A JOBDIR taken by this process (:func:`take`); :meth:`release` when Scrapy has
    written its state."""

    path: Path
    fd: int
    #: One line when the JOBDIR was left by a killed run and was cleared, else None.
    cleared: str | None = None
    #: Whether this run carries on where the job's last run stopped cleanly.
    resumed: bool = False
    #: Whether this run made the JOBDIR (it did not exist before).
    created: bool = False

    def forget(self) -> None:
        """The run was refused before it began: let go of the JOBDIR, and remove it when
        this run made it (nothing of the job was done)."""
        self.release()
        if self.created:
            shutil.rmtree(self.path, ignore_errors=True)

    def release(self) -> None:
        """The run stopped cleanly: remove the mark and let go of it."""
        if self.fd < 0:
            return
        (self.path / MARKER).unlink(missing_ok=True)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = -1


def describe(arguments: dict[str, str]) -> str:
    """``since=2014-01-01 until=2014-12-31`` (or ``no arguments``).

    >>> describe({"until": "2014-12-31", "since": "2014-01-01"})
    'since=2014-01-01 until=2014-12-31'
    """
    shown = " ".join(f"{k}={v}" for k, v in sorted(arguments.items()) if k != "spider")
    return shown or "no arguments"


def _remove_fix(path: Path) -> str:
    return (
        f"remove it (rm -r {path}) and run again: articles already archived are not fetched again"
    )


def _check_scrapy_state(path: Path) -> None:
    """Scrapy's files read as Scrapy will read them, or :class:`JobdirRefused`."""
    state = path / "spider.state"
    if state.exists():
        try:
            with state.open("rb") as fh:
                pickle.load(fh)  # our own file, read as Scrapy's SpiderState reads it
        except Exception as exc:  # unpickling fails in many ways
            raise JobdirRefused(
                f"JOBDIR {path} cannot be resumed: spider.state is unreadable"
                f" ({type(exc).__name__}); {_remove_fix(path)}"
            ) from None
    active = path / "requests.queue" / "active.json"
    if active.exists():
        try:
            json.loads(active.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise JobdirRefused(
                f"JOBDIR {path} cannot be resumed: requests.queue/active.json is unreadable"
                f" ({type(exc).__name__}); {_remove_fix(path)}"
            ) from None


def _clear_scrapy_state(path: Path) -> None:
    for name in SCRAPY_FILES:
        target = path / name
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)


def take(path: str | Path, arguments: dict[str, str]) -> Job:
    """Take the JOBDIR at ``path`` for a crawl with these spider ``arguments``.

    Creates it when new; clears Scrapy's files when the last run there was killed;
    raises :class:`JobdirRefused` when another run uses it (exit status 75), when it
    holds a crawl of other arguments, or when Scrapy's files cannot be read (1).
    """
    path = Path(path)
    created = not path.exists()
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path / MARKER, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise JobdirRefused(f"JOBDIR {path} cannot be used: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
            raise JobdirRefused(
                f"JOBDIR {path} is in use by {holder} (another run); not starting", IN_USE
            ) from None
        record = path / RECORD
        wanted = dict(sorted(arguments.items()))
        existed = record.exists()
        if existed:
            try:
                stored = json.loads(record.read_text(encoding="utf-8"))["arguments"]
            except (ValueError, KeyError, TypeError, OSError):
                raise JobdirRefused(
                    f"JOBDIR {path} cannot be resumed: {RECORD} is unreadable; {_remove_fix(path)}"
                ) from None
            if stored != wanted:
                raise JobdirRefused(
                    f"JOBDIR {path} holds a crawl of {describe(stored)}, not of"
                    f" {describe(wanted)}: give this crawl another JOBDIR, or {_remove_fix(path)}"
                )
        left = os.pread(fd, 64, 0).decode(errors="replace").strip()
        cleared = None
        if left:  # the last run there never stopped cleanly: its Scrapy files lie
            _clear_scrapy_state(path)
            cleared = (
                f"JOBDIR {path} was left by a run that was killed ({left}); starting it"
                " afresh: the range is walked again, archived articles are not fetched again"
            )
        else:
            _check_scrapy_state(path)
        record.write_text(json.dumps({"arguments": wanted}, sort_keys=True) + "\n")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}\n".encode(), 0)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        raise
    scrapy_files = any((path / name).exists() for name in SCRAPY_FILES)
    return Job(
        path, fd, cleared, resumed=existed and cleared is None and scrapy_files, created=created
    )


@dataclass(frozen=True)
class Holdings:
    """What an archive holds of a JOBDIR's range: its identity, articles, listings."""

    archive_id: str
    articles: int
    listings: int


def _recorded(path: Path) -> dict[str, Any] | None:
    try:
        found = json.loads((path / ARCHIVE_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def check_archive(path: str | Path, archive: str, holdings: Holdings | None) -> str | None:
    """Start the job in the JOBDIR at ``path`` afresh when its fetches went into
    another archive than ``archive`` (``holdings`` None: no archive there), or when
    that archive holds fewer of its range's articles or listings than when its last run
    stopped cleanly (restored from an older backup); the one-line note saying so, or
    None when the JOBDIR can be resumed as it is (or holds no record, or is in use)."""
    path = Path(path)
    if not (path / ARCHIVE_RECORD).exists():
        return None
    if not any((path / name).exists() for name in SCRAPY_FILES):
        return None
    stored = _recorded(path) or {}
    if holdings is None or stored.get("archive_id") != holdings.archive_id:
        reason = f"its requests went into another archive than {archive}"
    elif holdings.articles < int(stored.get("articles", 0)) or holdings.listings < int(
        stored.get("listings", 0)
    ):
        reason = (
            f"{archive} lacks what it says it fetched ({holdings.articles:,} of"
            f" {int(stored.get('articles', 0)):,} articles, {holdings.listings:,} of"
            f" {int(stored.get('listings', 0)):,} listings of its range: restored from a"
            " backup?)"
        )
    else:
        return None
    try:
        fd = os.open(path / MARKER, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None  # take() says why the JOBDIR cannot be used
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None  # in use: take() refuses it
        _clear_scrapy_state(path)
        (path / ARCHIVE_RECORD).unlink(missing_ok=True)
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    return (
        f"JOBDIR {path}: {reason}; starting it afresh: the range is walked again, archived"
        " articles are not fetched again"
    )


def record_archive(
    path: str | Path, holdings: Holdings, since: str | None, until: str | None
) -> None:
    """Note in the JOBDIR at ``path`` the archive its fetches went into and what of
    the range (``since`` to ``until``) it holds now (replaced at once)."""
    path = Path(path)
    record = {
        "archive_id": holdings.archive_id,
        "articles": holdings.articles,
        "listings": holdings.listings,
        "since": since,
        "until": until,
    }
    partial = path / f".{ARCHIVE_RECORD}.{os.getpid()}.tmp"
    partial.write_text(json.dumps(record, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, path / ARCHIVE_RECORD)
