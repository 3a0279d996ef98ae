"""Backups and retention: a checked copy of the archive, and pruning what it need not keep.

:func:`backup` copies the archive with SQLite's online backup API, in one step, from
one read transaction: in WAL mode a reader never blocks the crawl's writer, and the
copy is the archive as it stood at one moment (between two of the crawl's batches).
The copy is checked (``PRAGMA integrity_check``, and its row counts against the
source's in that same moment) under a temporary name, then renamed into place: a
half-written or damaged backup is never left under the name asked for.

:func:`prune` drops what grows without telling anything new: the bodies of index,
day, calendar and feed pages fetched again and again (the newest fetch of each URL on
each day is kept, so what a page listed on any day can still be shown), and old runs
(but those a kept page refers to; robots.txt refusals have their own table).
Article pages are never pruned.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from centrasia_crawler.archive import meta
from centrasia_crawler.archive.transactions import immediate

#: The tables whose rows a backup's check counts.
COUNTED: Final = (
    "articles",
    "article_revisions",
    "listings",
    "pages",
    "page_bodies",
    "crawl_runs",
)
#: Page kinds that prune may thin out (never "article").
PRUNABLE_KINDS: Final = ("listing", "feed", "calendar")


class BackupError(RuntimeError):
    """The backup could not be made or did not check out; nothing was left at DEST."""


@dataclass
class BackupReport:
    path: Path
    counts: dict[str, int]
    size: int
    removed: list[Path] = field(default_factory=list)
    #: Why the backup's time could not be noted in the archive (None: it was).
    unrecorded: str | None = None

    def line(self) -> str:
        counts = ", ".join(f"{n:,} {table}" for table, n in self.counts.items())
        line = f"{self.path}: {self.size / 1e6:,.1f} MB, integrity ok, {counts}"
        if self.removed:
            line += f"; {len(self.removed)} older copies removed"
        if self.unrecorded:
            line += (
                f"; its time is not noted in the archive ({self.unrecorded}):"
                " centrasia_last_backup_timestamp_seconds stays as it was"
            )
        return line


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in COUNTED}


def dated_name(source: Path, when: dt.datetime) -> str:
    """``archive-20261130T151500Z.sqlite`` for ``data/archive.sqlite``.

    >>> dated_name(Path("data/archive.sqlite"), dt.datetime(2026, 11, 30, 15, 15, tzinfo=dt.UTC))
    'archive-20261130T151500Z.sqlite'
    """
    return f"{source.stem}-{when.strftime('%Y%m%dT%H%M%SZ')}{source.suffix or '.sqlite'}"


def backup(
    source: str | Path,
    dest: str | Path,
    *,
    keep: int | None = None,
    now: dt.datetime | None = None,
    before_copy: Callable[[], None] | None = None,
) -> BackupReport:
    """Copy the archive at ``source`` to ``dest``, checked, then renamed into place.

    ``dest`` a directory: the copy is named for the moment (:func:`dated_name`), and
    with ``keep`` only the newest ``keep`` such copies of this archive stay there.
    ``before_copy`` runs inside the read transaction, before the copy (tests use it).
    """
    source, dest = Path(source), Path(dest)
    when = now or dt.datetime.now(dt.UTC)
    directory = dest.is_dir()
    target = dest / dated_name(source, when) if directory else dest
    if keep is not None and not directory:
        raise BackupError("--keep needs DEST to be a directory (the dated copies go there)")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot read {source}: {exc}") from None
    try:
        src.execute("PRAGMA busy_timeout = 30000")
        dst = sqlite3.connect(partial, isolation_level=None)
        try:
            src.execute("BEGIN")  # one snapshot: what is counted is what is copied
            expected = _counts(src)
            if before_copy is not None:
                before_copy()
            src.backup(dst)
            src.execute("COMMIT")
            dst.execute("PRAGMA journal_mode = DELETE")  # one file, as a backup should be
            check = dst.execute("PRAGMA integrity_check").fetchall()
            if check != [("ok",)]:
                raise BackupError(f"the copy failed its integrity check: {check[0][0]}")
            got = _counts(dst)
            if got != expected:
                raise BackupError(f"the copy's rows {got} differ from the archive's {expected}")
        finally:
            dst.close()
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(
            f"cannot back up {source} to {target}: {_why(exc, source, target)}"
        ) from None
    finally:
        src.close()
        for leftover in (partial, *(Path(f"{partial}{s}") for s in ("-journal", "-wal", "-shm"))):
            leftover.unlink(missing_ok=True)  # a full disk leaves the copy's journal too
    recorded = _record_backup(source, when)
    removed: list[Path] = []
    if directory and keep is not None:
        pattern = f"{source.stem}-????????T??????Z{source.suffix or '.sqlite'}"
        copies = sorted(dest.glob(pattern), key=lambda p: p.name, reverse=True)
        for old in copies[keep:]:
            old.unlink()
            removed.append(old)
    return BackupReport(target, expected, target.stat().st_size, removed, recorded)


def _why(error: Exception, source: Path, target: Path) -> str:
    """What stopped the copy: the disk full (SQLite may say only "disk I/O error" when
    the copy's own journal found no room), or the error as it came."""
    try:
        fs = os.statvfs(target.parent)
        needed = source.stat().st_size
    except OSError:
        return str(error)
    free = fs.f_bavail * fs.f_frsize
    if free < needed:
        return (
            f"the disk is full ({free:,} bytes free there, the archive is {needed:,}; {error});"
            " the partial copy was removed"
        )
    return str(error)


def _record_backup(source: Path, when: dt.datetime) -> str | None:
    """Note the backup's time in the archive (``runs --metrics`` tells it, an alert
    watches its age); None when done, else why it could not be noted."""
    try:
        conn = sqlite3.connect(source, isolation_level=None)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        conn.execute("PRAGMA busy_timeout = 30000")
        with immediate(conn):
            meta.put(conn, meta.BACKUP_AT, when.isoformat(timespec="seconds"))
    except sqlite3.Error as exc:
        return str(exc)
    finally:
        conn.close()
    return None


@dataclass
class PruneReport:
    pages: int = 0
    bodies: int = 0
    runs: int = 0

    def line(self) -> str:
        return (
            f"{self.pages:,} stored fetches of listing and feed pages,"
            f" {self.bodies:,} page bodies no longer used, {self.runs:,} runs removed"
        )


def prune(conn: sqlite3.Connection, older_than: dt.datetime) -> PruneReport:
    """Drop, in one transaction, what was fetched or run before ``older_than``: every
    fetch of a listing, feed or calendar page but the newest of its URL on each day
    (UTC), the page bodies nothing refers to any more, and the runs no kept page refers
    to (robots.txt's refusals are rows of their own: coverage needs no run kept)."""
    cutoff = older_than.astimezone(dt.UTC).isoformat(timespec="seconds")
    report = PruneReport()
    kinds = ",".join("?" * len(PRUNABLE_KINDS))
    with immediate(conn):
        report.pages = conn.execute(
            f"DELETE FROM pages WHERE kind IN ({kinds}) AND fetched_at < ? AND id NOT IN ("
            f" SELECT max(id) FROM pages WHERE kind IN ({kinds}) AND fetched_at < ?"
            "  GROUP BY url, substr(fetched_at, 1, 10))",
            (*PRUNABLE_KINDS, cutoff, *PRUNABLE_KINDS, cutoff),
        ).rowcount
        # NOT IN (subquery): SQLite builds its list once, not a scan of pages per row.
        report.bodies = conn.execute(
            "DELETE FROM page_bodies WHERE digest NOT IN (SELECT digest FROM pages)"
        ).rowcount
        report.runs = conn.execute(
            "DELETE FROM crawl_runs WHERE started_at < ? AND finished_at IS NOT NULL"
            " AND id NOT IN (SELECT run_id FROM pages WHERE run_id IS NOT NULL)",
            (cutoff,),
        ).rowcount
    return report
