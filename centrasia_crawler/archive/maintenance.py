"""Keeping an archive for years: ``compact`` and ``prune`` as the library does them.

Each takes the archive's lock (:class:`~centrasia_crawler.lock.LockHeld` when a crawl or
another maintenance job holds it: they never run side by side), opens the archive for
writing, does its work and, when asked, VACUUMs to give the freed space back to the
disk. The ``centrasia compact`` and ``centrasia prune`` commands only print what these
return.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from centrasia_crawler.archive import pages
from centrasia_crawler.archive.backup import PruneReport
from centrasia_crawler.archive.backup import prune as prune_rows
from centrasia_crawler.archive.store import Archive, utc_now
from centrasia_crawler.lock import ArchiveLock


class NothingToCompact(ValueError):
    """Too few stored pages, or pages too alike, to train a dictionary on."""


@dataclass
class CompactReport:
    pages: int
    bytes_before: int
    bytes_after: int
    dict_id: int
    dict_bytes: int

    def line(self) -> str:
        share = (self.bytes_after + self.dict_bytes) / max(self.bytes_before, 1)
        return (
            f"{self.pages:,} pages: {self.bytes_before:,} -> {self.bytes_after:,} bytes stored,"
            f" dictionary {self.dict_id} of {self.dict_bytes:,} bytes ({share:.0%} of before)"
        )


def compact(
    path: str | Path,
    *,
    vacuum: bool = False,
    on_training: Callable[[int, int], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> CompactReport:
    """Train a new dictionary on the newest stored pages and recompress every page with
    it (:func:`centrasia_crawler.archive.pages.compact`: safe to stop and run again).

    ``on_training(samples, pages)`` is told before the training starts, ``progress(done,
    total)`` as pages are recompressed. :class:`NothingToCompact` when there is no
    dictionary to train.
    """
    with ArchiveLock(path), Archive.open(path) as store:
        bodies, before, _ = pages.stored_bytes(store.conn)
        if bodies < pages.MIN_SAMPLES:
            raise NothingToCompact(f"{bodies} stored pages: too few to train a dictionary on")
        if on_training is not None:
            on_training(min(bodies, pages.TRAIN_SAMPLES), bodies)
        dict_id = pages.compact(store.conn, utc_now(), progress)
        if dict_id is None:
            raise NothingToCompact(f"{bodies} stored pages: too alike to train a dictionary on")
        bodies, after, dict_bytes = pages.stored_bytes(store.conn)
        if vacuum:
            store.conn.execute("VACUUM")
    return CompactReport(bodies, before, after, dict_id, dict_bytes)


def prune(path: str | Path, older_than: dt.datetime, *, vacuum: bool = False) -> PruneReport:
    """Drop the repeated fetches of listing, feed and calendar pages and the old runs
    from before ``older_than`` (:func:`centrasia_crawler.archive.backup.prune` says
    exactly what stays)."""
    with ArchiveLock(path), Archive.open(path) as store:
        report = prune_rows(store.conn, older_than)
        if vacuum:
            store.conn.execute("VACUUM")
    return report
