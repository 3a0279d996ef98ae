"""Datasette's questions about the archive's tables, answered without waiting in line.

Datasette 0.65 asks a database about its tables one question at a time, each sent to
its pool of SQL threads and awaited on the server's one event loop: the database page
asks about 240 (a permission lookup in ``sqlite_master`` per table and per check, the
count, columns, primary keys and search table of each of the archive's tables), the
index page as many. Alone they take about 10 ms in all. With 16 readers in flight each
answer waits for the loop's turn, behind every other page's work, and the database
page took 2-5 s at the 95th percentile on 100,000 articles (docs/benchmarks.md).

The answers are in ``sqlite_master`` and a few PRAGMAs and take microseconds, so
:class:`ArchiveDatabase` answers them on a read-only connection of the loop's own
thread, as Datasette itself does when it has no SQL threads (``num_sql_threads`` 0), and
counts all the tables in one trip to the pool, each count under the same time limit as
Datasette's. The counts are kept until the file changes: SQLite's ``data_version`` of
that connection changes with every commit of any other connection (a crawl, sqlite-utils,
another process), so a kept count is never one write behind. Everything else is read
from the file when asked, so a schema changed by ``centrasia upgrade`` shows at once.
Every other query (search, a table's rows, a canned query, SQL typed by a user) goes to
the pool as before. (Datasette's ``?_trace=1`` does not list the questions answered
here.)

Where the schema cannot be read at once (another connection holds the file in a way
that makes a reader wait), the question goes to the pool, as Datasette would send it.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from datasette.database import Database, QueryInterrupted, Results
from datasette.utils import (
    detect_fts,
    detect_primary_keys,
    get_all_foreign_keys,
    get_outbound_foreign_keys,
    sqlite_timelimit,
    table_column_details,
    table_columns,
)

T = TypeVar("T")

#: Datasette's own schema questions that go through :meth:`Database.execute` (the SQL as
#: Datasette 0.65 writes it, spaces collapsed): the permission check's lookup of a
#: table's spelling, and the schema version it compares on every request. Any other SQL,
#: however cheap, goes to the pool.
SCHEMA_SQL = frozenset(
    {
        "select name from sqlite_master where type in ('table', 'view') and name = ?"
        " collate nocase",
        "PRAGMA schema_version",
        # The index and database pages' hidden tables, a table page's definition:
        "select name from sqlite_master where rootpage = 0 and ( sql like '%VIRTUAL TABLE%USING"
        " FTS%' ) or name in ('sqlite_stat1', 'sqlite_stat2', 'sqlite_stat3', 'sqlite_stat4')",
        "select sql from sqlite_master where name = :n and type=:t",
    }
)

#: A reader that would wait for the file (a lock held by another connection) gives up
#: at once and asks the pool instead: the event loop must not wait.
INLINE_TIMEOUT = 0.0


def _collapsed(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def _would_wait(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused because another connection holds the file."""
    return "locked" in str(exc) or "busy" in str(exc)


class ArchiveDatabase(Database):  # type: ignore[misc]
    """A file database whose schema questions do not queue (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._inline = threading.local()

    @classmethod
    def replacing(cls, database: Any) -> ArchiveDatabase:
        """One of these for the file ``database`` serves, with its name and route."""
        replacement = cls(database.ds, database.path, is_mutable=database.is_mutable)
        replacement.name, replacement.route = database.name, database.route
        return replacement

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._inline, "conn", None)
        if conn is None:
            conn = self.connect()
            conn.row_factory = sqlite3.Row  # as Datasette's own connections
            conn.execute(f"PRAGMA busy_timeout = {int(INLINE_TIMEOUT * 1000)}")
            self._inline.conn = conn
        return conn

    async def _schema(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return fn(self._connection())
        except sqlite3.OperationalError as exc:
            if not _would_wait(exc):
                raise
        return await super().execute_fn(fn)  # type: ignore[no-any-return]

    async def execute(self, sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or _collapsed(sql) not in SCHEMA_SQL:
            return await super().execute(sql, params, *args, **kwargs)

        def run(conn: sqlite3.Connection) -> Any:
            with sqlite_timelimit(conn, self.ds.sql_time_limit_ms):
                cursor = conn.execute(sql, params if params is not None else {})
                return Results(cursor.fetchall(), False, cursor.description)

        return await self._schema(run)

    def _data_version(self) -> int | None:
        """SQLite's ``data_version`` of the loop's connection, which changes whenever
        another connection (a crawl, sqlite-utils, any process) commits; None while the
        file cannot be read at once."""
        try:
            return int(self._connection().execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if not _would_wait(exc):
                raise
        return None

    async def table_counts(self, limit: int = 10) -> dict[str, int | None]:
        if not self.is_mutable and self.cached_table_counts is not None:
            return self.cached_table_counts  # type: ignore[no-any-return]
        # Read before counting: a commit during the counts changes it, and the next
        # page counts again.
        version = self._data_version()
        kept = getattr(self._inline, "counts", None)
        if version is not None and kept is not None and kept[0] == (version, limit):
            return dict(kept[1])
        names = await self.table_names()

        def count(conn: sqlite3.Connection) -> dict[str, int | None]:
            # A new connection reads the schema at its first statement: outside the
            # counts' few milliseconds, or the first table counted would show none.
            conn.execute("select count(*) from sqlite_master").fetchone()
            counts: dict[str, int | None] = {}
            for name in names:
                # Datasette's own per-table count, limit and all, in one trip.
                time_limit = min(limit, self.ds.sql_time_limit_ms)
                try:
                    with sqlite_timelimit(conn, time_limit):
                        counts[name] = conn.execute(f"select count(*) from [{name}]").fetchone()[0]
                except (QueryInterrupted, sqlite3.OperationalError, sqlite3.DatabaseError):
                    counts[name] = None
            return counts

        counts: dict[str, int | None] = await super().execute_fn(count)
        if not self.is_mutable:
            self._cached_table_counts = counts
        elif version is not None:
            self._inline.counts = ((version, limit), dict(counts))
        return counts

    async def table_names(self) -> list[str]:
        return await self._schema(
            lambda conn: [
                r[0] for r in conn.execute("select name from sqlite_master where type='table'")
            ]
        )

    async def view_names(self) -> list[str]:
        return await self._schema(
            lambda conn: [
                r[0] for r in conn.execute("select name from sqlite_master where type='view'")
            ]
        )

    async def table_exists(self, table: str) -> bool:
        return await self._schema(
            lambda conn: bool(
                conn.execute(
                    "select 1 from sqlite_master where type='table' and name=?", (table,)
                ).fetchall()
            )
        )

    async def table_columns(self, table: str) -> list[str]:
        return await self._schema(lambda conn: table_columns(conn, table))

    async def table_column_details(self, table: str) -> Any:
        return await self._schema(lambda conn: table_column_details(conn, table))

    async def primary_keys(self, table: str) -> list[str]:
        return await self._schema(lambda conn: detect_primary_keys(conn, table))

    async def fts_table(self, table: str) -> str | None:
        return await self._schema(lambda conn: detect_fts(conn, table))

    async def foreign_keys_for_table(self, table: str) -> Any:
        return await self._schema(lambda conn: get_outbound_foreign_keys(conn, table))

    async def get_all_foreign_keys(self) -> Any:
        return await self._schema(get_all_foreign_keys)


def install(datasette: Any, names: list[str]) -> None:
    """Serve the databases ``names`` (the archives) through :class:`ArchiveDatabase`,
    under the same name and route: at startup, before any page is asked. A database of
    another class (another plugin's) is left as it is."""
    for name in names:
        database = datasette.databases[name]
        if type(database) is Database:
            datasette.remove_database(name)
            datasette.add_database(ArchiveDatabase.replacing(database), name, database.route)
