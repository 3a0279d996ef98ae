"""The one way the archive writes: a transaction that takes the write lock at once.

Connections are opened with ``isolation_level=None`` (autocommit), so every write
transaction is explicit. ``BEGIN IMMEDIATE`` takes the write lock when it starts, not
at the first write, so two writers never deadlock half-way; the connection's
``busy_timeout`` says how long it waits for another writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def immediate(conn: sqlite3.Connection, *, nested: bool = False) -> Iterator[sqlite3.Connection]:
    """One write transaction on ``conn``: all of it lands, or none of it.

    Committed when the block ends (a block that leaves early, having written nothing,
    commits nothing); rolled back on any exception, which goes on. With ``nested``
    (the caller already holds a transaction) it does nothing: the caller's
    transaction decides.
    """
    if nested:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
