"""``archive_meta``: the archive's own state, a value per key (which morphology built the
search index, which gazetteer tagged the articles, how far a rebuild got, when it was
last backed up, its identity)."""

from __future__ import annotations

import sqlite3
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
