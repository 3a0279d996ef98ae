"""Datasette's questions about the archive's tables (columns, keys, counts, the spelling
a permission check looks up) answered on the event loop's own connection, not queued in
the SQL threads: the same answers as Datasette's own code, read fresh from the file, a
handful of trips to the pool per page, and a locked file still answered."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler.archive import Archive
from tests.helpers import article, close_datasette, datasette

pytest.importorskip("datasette", reason="Datasette is not installed ([serve] extra)")

from datasette.database import Database

from centrasia_crawler.datasette_plugin.introspection import ArchiveDatabase


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch(
            [
                article(n, f"Жапаров в Бишкеке {n}", "Садыр Жапаров встретился с Ташиевым.")
                for n in range(1, 6)
            ]
        )
    return path


def counted(archive: Path) -> dict[str, int]:
    """Every table's count(*), counted here on a connection of the test's own."""
    with sqlite3.connect(archive) as conn:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        counts = {n: conn.execute(f"SELECT count(*) FROM [{n}]").fetchone()[0] for n in names}
    conn.close()
    return counts


def run(ds: Any, work: Callable[[], Any]) -> Any:
    async def go() -> Any:
        await ds.invoke_startup()
        return await work()

    try:
        return asyncio.run(go())
    finally:
        close_datasette(ds)


def test_the_plugin_serves_the_archives_through_it(archive: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (a)")
    conn.close()
    ds = datasette([archive, other])
    run(ds, lambda: ds.client.get("/"))
    assert type(ds.get_database("archive")) is ArchiveDatabase
    assert ds.get_database("archive").route == "archive"
    assert type(ds.get_database("other")) is Database  # not an archive: left alone
    assert type(ds.get_database("_internal")) is Database  # in memory: left alone


def test_every_answer_is_datasettes_own(archive: Path) -> None:
    """Each question, for each of the archive's tables, asked of Datasette's own
    Database on the same file: equal answers. The counts also equal a count(*) done
    here."""
    ds = datasette([archive])

    async def both() -> list[tuple[str, Any, Any]]:
        ours = ds.get_database("archive")
        theirs = Database(ds, str(archive), is_mutable=True)
        theirs.name = "archive"
        try:
            pairs = []
            for question in (
                "table_names",
                "view_names",
                "hidden_table_names",
                "get_all_foreign_keys",
            ):
                pairs.append(
                    (question, await getattr(ours, question)(), await getattr(theirs, question)())
                )
            pairs.append(("table_counts", await ours.table_counts(1000), None))
            for table in await theirs.table_names():
                for question in (
                    "table_columns",
                    "table_column_details",
                    "primary_keys",
                    "fts_table",
                    "foreign_keys_for_table",
                    "table_exists",
                ):
                    pairs.append(
                        (
                            f"{question}({table})",
                            await getattr(ours, question)(table),
                            await getattr(theirs, question)(table),
                        )
                    )
            return pairs
        finally:
            theirs.close()

    answers = run(ds, both)
    counts = next(ours for question, ours, _ in answers if question == "table_counts")
    truth = counted(archive)
    assert counts == truth
    assert truth["articles"] == 5
    assert len(truth) > 20  # the archive's tables, shadow tables and summaries
    for question, ours, theirs in answers:
        if question != "table_counts":
            assert ours == theirs, question
    assert any(q.startswith("fts_table") and ours for q, ours, _ in answers)


def test_a_permission_check_finds_the_tables_spelling(archive: Path) -> None:
    """Datasette looks up how SQLite spells a table (NOCASE) before asking the permission
    hooks: the lookup, answered on the loop, gives the archive's own spelling."""
    ds = datasette([archive])
    seen: list[Any] = []

    from datasette import hookimpl
    from datasette.plugins import pm

    class Spy:
        @hookimpl
        def permission_allowed(self, action: str, resource: Any) -> None:
            if action == "view-table":
                seen.append(resource)

    spy = Spy()
    pm.register(spy, name="spelling-spy")
    try:
        run(ds, lambda: ds.permission_allowed(None, "view-table", ("archive", "ARTICLES")))
    finally:
        pm.unregister(spy)
    assert seen == [("archive", "articles")]


#: The SQL threads of the tests that serve as ``centrasia serve`` does, with threads.
THREADS = 2


def stop_threads(ds: Any, threads: int) -> None:
    """Stops Datasette's SQL threads after closing the connections each keeps (one per
    database, in the thread: those of its in-memory databases are nowhere else to
    close). One job a thread, each held at a barrier until all are running."""
    from datasette.database import connections

    barrier = threading.Barrier(threads)

    def close() -> None:
        barrier.wait(10)
        for name in list(ds.databases):
            conn = getattr(connections, name, None)
            if conn is not None:
                conn.close()

    for job in [ds.executor.submit(close) for _ in range(threads)]:
        job.result()
    ds.executor.shutdown(wait=True)


class Trips:
    """Counts the jobs given to Datasette's SQL threads."""

    def __init__(self, ds: Any) -> None:
        self.count = 0
        submit = ds.executor.submit

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return submit(*args, **kwargs)

        ds.executor.submit = counting


def test_a_page_takes_a_handful_of_trips_to_the_threads(archive: Path) -> None:
    """With SQL threads, as served: the index and database pages each send a few jobs
    to the pool. The same file served as Datasette's own Database (added after startup,
    so left alone) sends more than four per table: what queued behind the searches."""
    ds = datasette([archive], settings={"num_sql_threads": THREADS})
    trips = Trips(ds)
    with sqlite3.connect(archive) as conn:
        tables = len(conn.execute("SELECT name FROM sqlite_master").fetchall())
    conn.close()
    counts: dict[str, int] = {}

    async def pages() -> None:
        plain = Database(ds, str(archive), is_mutable=True)
        ds.add_database(plain, "plain", "plain")
        for url in ("/", "/archive", "/archive/articles", "/plain"):
            trips.count = 0
            response = await ds.client.get(url)
            assert response.status_code == 200, url
            counts[url] = trips.count

    try:
        run(ds, pages)
    finally:
        stop_threads(ds, THREADS)
    assert counts["/archive"] <= 10, counts
    assert counts["/archive/articles"] <= 15, counts
    assert counts["/plain"] > 4 * tables / 2, counts  # the measure counts what it should
    assert counts["/"] <= 10 + counts["/plain"], counts  # the index shows "plain" too


def test_a_table_made_after_startup_is_listed_at_once(archive: Path) -> None:
    """Nothing is cached: a table made by another connection is on the next page."""
    ds = datasette([archive])

    async def pages() -> tuple[str, str]:
        before = (await ds.client.get("/archive.json")).text
        with sqlite3.connect(archive) as conn:
            conn.execute("CREATE TABLE made_later (a INTEGER PRIMARY KEY, b TEXT)")
            conn.execute("INSERT INTO made_later (b) VALUES ('x'), ('y')")
        conn.close()
        return before, (await ds.client.get("/archive.json")).json()

    before, after = run(ds, pages)
    assert "made_later" not in before
    table = next(t for t in after["tables"] if t["name"] == "made_later")
    assert table["columns"] == ["a", "b"]
    assert table["primary_keys"] == ["a"]
    assert table["count"] == 2


def test_the_counts_are_kept_until_another_connection_commits(archive: Path) -> None:
    """The database page twice: the second counts nothing (one job fewer for the
    threads). After a crawl's write, and after a delete by plain sqlite3 (as
    sqlite-utils would), the counts are counted again and equal count(*) done here."""
    ds = datasette([archive], settings={"num_sql_threads": THREADS})
    trips = Trips(ds)
    seen: list[tuple[int, dict[str, int]]] = []

    async def page() -> None:
        trips.count = 0
        tables = (await ds.client.get("/archive.json")).json()["tables"]
        shown = {t["name"]: t["count"] for t in tables if t["count"] is not None}
        seen.append((trips.count, shown))

    async def pages() -> list[dict[str, int]]:
        truths = []
        await page()  # the first request's own work: connections, the upgrade check
        with sqlite3.connect(archive) as conn:
            conn.execute("UPDATE articles SET title = title WHERE st = 2")  # a commit
        conn.close()
        await page()
        await page()
        truths.append(counted(archive))
        with Archive.open(archive) as store:
            store.write_batch([article(6, "Ташиев в Оше", "Камчыбек Ташиев приехал в Ош.")])
        await page()
        truths.append(counted(archive))
        with sqlite3.connect(archive) as conn:
            conn.execute("DELETE FROM articles WHERE st = 1")
        conn.close()
        await page()
        truths.append(counted(archive))
        return truths

    try:
        truths = run(ds, pages)
    finally:
        stop_threads(ds, THREADS)
    _, (first, shown_1), (second, shown_2), (written, shown_3), (deleted, shown_4) = seen
    assert second == first - 1, seen  # the counts kept
    assert written == first and deleted == first, seen  # counted again
    assert shown_1 == shown_2
    for shown, truth in zip((shown_2, shown_3, shown_4), truths, strict=True):
        assert shown["articles"] == truth["articles"]
        assert all(truth[name] == value for name, value in shown.items()), (shown, truth)
    assert [shown["articles"] for shown in (shown_2, shown_3, shown_4)] == [5, 6, 5]


def test_a_locked_file_is_asked_in_the_threads_and_the_loop_turns(archive: Path) -> None:
    """Another connection, the file's first, holds it locked (exclusive locking mode,
    as a careless tool might) for half a second: the loop's connection does not wait for
    it, the question goes to the SQL threads, which wait as Datasette's do, and it is
    answered once the lock goes, while the event loop went on turning meanwhile. (Asked
    of the database itself: a page's first question is the plugin's own, in a thread.)"""
    ds = datasette([archive], settings={"num_sql_threads": THREADS})
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(archive)
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("CREATE TABLE held (a)")
        locked.set()
        release.wait(10)
        conn.rollback()
        conn.close()

    ticks: list[float] = []

    async def page() -> Any:
        async def ticker() -> None:
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.01)

        beat = asyncio.ensure_future(ticker())
        holder = threading.Thread(target=hold)
        holder.start()
        assert locked.wait(5)  # before any of Datasette's connections opened the file
        threading.Timer(0.5, release.set).start()
        started = time.monotonic()
        try:
            names = await ds.get_database("archive").table_names()
        finally:
            beat.cancel()
            release.set()
            holder.join()
        return names, started

    try:
        names, started = run(ds, page)
    finally:
        stop_threads(ds, THREADS)
    assert "articles" in names
    assert "held" not in names  # rolled back
    turns = [started, *(t for t in ticks if t > started)]
    assert turns[-1] - started >= 0.4  # the question waited for the lock...
    assert max(b - a for a, b in itertools.pairwise(turns)) < 0.25  # ...the loop not
