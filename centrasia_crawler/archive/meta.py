"""``archive_meta``: the archive's own state, a value per key (which morphology built the
search index, which gazetteer tagged the articles, how far a rebuild got, when it was
last backed up, its identity)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Final

#: When the last backup of this archive was made (UTC, ISO 8601): ``centrasia backup``
#: records it, ``runs --metrics`` tells it.
BACKUP_AT: Final = "backup_at"


def get(conn: sqlite3.Connection, key: str) -> str | None:
    """The value of ``key``, or None."""
    row = conn.execute("SELECT value FROM archive_meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def put(conn: sqlite3.Connection, key: str, value: str | None) -> None:
    """Set ``key`` to ``value`` (None: remove it), in the caller's transaction."""
    if value is None:
        conn.execute("DELETE FROM archive_meta WHERE key = ?", (key,))
    else:
        conn.execute("INSERT OR REPLACE INTO archive_meta (key, value) VALUES (?, ?)", (key, value))


#: The archive's identity, a UUID made the first time it is asked for: a JOBDIR
#: records it, and is not resumed against another archive.
ARCHIVE_ID: Final = "archive_id"


def identity(conn: sqlite3.Connection, *, create: bool = False) -> str | None:
    """The archive's UUID; with ``create``, made (in a transaction of its own) when it
    has none yet."""
    found = get(conn, ARCHIVE_ID)
    if found is not None or not create:
        return found

    conn.execute("BEGIN IMMEDIATE")
    try:
        found = get(conn, ARCHIVE_ID)  # another process may have made it meanwhile
        if found is None:
            found = str(uuid.uuid4())
            put(conn, ARCHIVE_ID, found)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return found


def holdings(
    path: str, since: str | None, until: str | None, *, create: bool = False
) -> tuple[str, int, int] | None:
    """``(identity, articles, listings)`` of the archive at ``path`` within the days
    ``since`` to ``until`` (publication days, listing days; None: unbounded); None when
    there is no archive there, or one without an identity (and ``create`` false)."""
    if not Path(path).is_file():
        return None
    mode = "rw" if create else "ro"
    conn = sqlite3.connect(f"file:{path}?mode={mode}", uri=True, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 30000")
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'archive_meta'").fetchone():
            return None
        archive_id = identity(conn, create=create)
        if archive_id is None:
            return None
        low, high = since or "0000-00-00", until or "9999-99-99"
        articles = conn.execute(
            "SELECT count(*) FROM articles WHERE published_date BETWEEN ? AND ?", (low, high)
        ).fetchone()[0]
        listings = conn.execute(
            "SELECT count(*) FROM listings WHERE listed_on BETWEEN ? AND ?", (low, high)
        ).fetchone()[0]
    finally:
        conn.close()
    return archive_id, int(articles), int(listings)
