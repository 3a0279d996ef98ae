"""Keeping an archive for years: ``compact`` and ``prune`` as the library does them.

Each takes the archive's lock (:class:`~centrasia_crawler.lock.LockHeld` when a crawl or
another maintenance job holds it: they never run side by side), opens the archive for
writing, does its work and, when asked, VACUUMs to give the freed space back to the
disk. The ``centrasia compact`` and ``centrasia prune`` commands only print what these
return.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from centrasia_crawler.archive import pages
from centrasia_crawler.archive.backup import PruneReport
from centrasia_crawler.archive.backup import prune as prune_rows
from centrasia_crawler.archive.store import Archive, utc_now
from centrasia_crawler.archive.transactions import immediate
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
    #: ``(bytes with a new dictionary, bytes now)``, bodies and dictionaries, when the
    #: new one would have made them larger: then nothing was rewritten.
    kept: tuple[int, int] | None = None

    def line(self) -> str:
        if self.kept is not None:
            estimated, before = self.kept
            return (
                f"{self.pages:,} pages: a new dictionary would store them in {estimated:,}"
                f" bytes, more than the {before:,} they take now: nothing rewritten, the"
                " dictionaries kept"
            )
        share = (self.bytes_after + self.dict_bytes) / max(self.bytes_before, 1)
        return (
            f"{self.pages:,} pages: {self.bytes_before:,} -> {self.bytes_after:,} bytes stored,"
            f" dictionary {self.dict_id} of {self.dict_bytes:,} bytes ({share:.0%} of before)"
        )


#: Bodies a new dictionary is tried on before compact rewrites every body with it.
TRIAL_BODIES = 2000


def _trial(conn: sqlite3.Connection, codec: pages.Codec, dict_id: int) -> tuple[int, int]:
    """``(bytes with dictionary dict_id, bytes now)`` of up to :data:`TRIAL_BODIES`
    bodies spread over the archive (every body when there are no more), each
    recompressed as compact would."""
    total = int(conn.execute("SELECT count(*) FROM page_bodies").fetchone()[0])
    step = max(1, total // TRIAL_BODIES)
    new = old = 0
    for encoding, blob in conn.execute(
        "SELECT encoding, body FROM page_bodies WHERE rowid % ? = 0", (step,)
    ):
        _, packed = codec.compress(codec.decompress(encoding, blob), dict_id, pages.LEVEL)
        new += len(packed)
        old += len(blob)
    scale = total / max(1, total // step)
    return round(new * scale), round(old * scale)


def _dictionary_bytes(conn: sqlite3.Connection, dict_id: int) -> int:
    row = conn.execute(
        "SELECT length(dict) FROM compression_dicts WHERE id = ?", (dict_id,)
    ).fetchone()
    return int(row[0])


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
        conn = store.conn
        codec = pages.Codec(conn)
        with immediate(conn):
            dict_id = pages.train(conn, codec, utc_now())
        if dict_id is None:
            raise NothingToCompact(f"{bodies} stored pages: too alike to train a dictionary on")
        # Tried first: a dictionary that would make the pages larger (a small archive,
        # where a dictionary's own bytes outweigh what it saves) is dropped, and nothing
        # is rewritten. One that stores them in as many bytes goes on: the bodies end
        # in one dictionary, not in several.
        with_new, now_bodies = _trial(conn, codec, dict_id)
        estimated = with_new + _dictionary_bytes(conn, dict_id)
        _, _, dicts_before = pages.stored_bytes(conn)
        current = now_bodies + dicts_before - _dictionary_bytes(conn, dict_id)
        if estimated > current:
            with immediate(conn):
                conn.execute("DELETE FROM compression_dicts WHERE id = ?", (dict_id,))
            return CompactReport(bodies, before, before, dict_id, 0, kept=(estimated, current))
        pages.recompress(conn, codec, dict_id, progress)
        _drop_unused_dictionaries(conn, dict_id)
        bodies, after, dict_bytes = pages.stored_bytes(conn)
        if vacuum:
            conn.execute("VACUUM")
    return CompactReport(bodies, before, after, dict_id, dict_bytes)


def _drop_unused_dictionaries(conn: sqlite3.Connection, keep: int) -> None:
    """Drop the dictionaries no body uses any more (but ``keep``, the newest)."""
    with immediate(conn):
        used = {
            int(e.partition(":")[2])
            for (e,) in conn.execute("SELECT DISTINCT encoding FROM page_bodies")
            if e.startswith("zstd:")
        }
        for (old,) in conn.execute("SELECT id FROM compression_dicts").fetchall():
            if old not in used and old != keep:
                conn.execute("DELETE FROM compression_dicts WHERE id = ?", (old,))


def prune(path: str | Path, older_than: dt.datetime, *, vacuum: bool = False) -> PruneReport:
    """Drop the repeated fetches of listing, feed and calendar pages and the old runs
    from before ``older_than`` (:func:`centrasia_crawler.archive.backup.prune` says
    exactly what stays)."""
    with ArchiveLock(path), Archive.open(path) as store:
        report = prune_rows(store.conn, older_than)
        if vacuum:
            store.conn.execute("VACUUM")
    return report
