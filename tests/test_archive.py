"""The archive: dedup, revisions, raw pages, runs, full-text search, upgrades."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler.archive import (
    SCHEMA_VERSION,
    Archive,
    ArchiveVersionError,
    RawPage,
    blank,
    fold_yo,
)
from centrasia_crawler.archive.schema import migrate, schema_version
from centrasia_crawler.items import ArticleItem
from tests.helpers import crawled_article as article


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with Archive.open(tmp_path / "a.sqlite") as opened:
        yield opened


def test_new_archive_is_current_and_in_wal_mode(store: Archive) -> None:
    assert schema_version(store.conn) == SCHEMA_VERSION
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert set(store.db.table_names()) >= {
        "articles",
        "article_revisions",
        "listings",
        "pages",
        "page_bodies",
        "crawl_runs",
        "articles_fts",
    }


def _contents(path: Path) -> tuple[int, list[str]]:
    """The schema version and every statement of the file's SQL dump, sorted (the
    order of rows on the pages is not part of an archive)."""
    conn = sqlite3.connect(path)
    try:
        return schema_version(conn), sorted(conn.iterdump())
    finally:
        conn.close()


def test_a_new_archive_holds_what_its_upgrades_make_in_the_file(tmp_path: Path) -> None:
    # An existing empty file is made in place, upgrade by upgrade: the truth to compare.
    in_place = tmp_path / "in_place.sqlite"
    in_place.touch()
    with Archive.open(in_place):
        pass
    new = tmp_path / "new.sqlite"
    with Archive.open(new) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    version, dump = _contents(new)
    assert version == SCHEMA_VERSION
    assert dump == _contents(in_place)[1]
    assert any('INSERT INTO "entity_names"' in line for line in dump)  # the gazetteer
    plain = tmp_path / "plain.sqlite"  # a file SQLite itself makes: the same mode
    sqlite3.connect(plain).close()
    assert new.stat().st_mode == plain.stat().st_mode
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "in_place.sqlite",
        "new.sqlite",
        "plain.sqlite",
    ]


def test_a_blank_is_never_written_over_a_file(tmp_path: Path) -> None:
    taken = tmp_path / "taken.sqlite"
    taken.write_bytes(b"someone else's")
    assert not blank.create(str(taken))
    assert taken.read_bytes() == b"someone else's"
    assert [p.name for p in tmp_path.iterdir()] == ["taken.sqlite"]


def test_an_article_is_stored_once_and_unchanged_refetches_only_touch_it(store: Archive) -> None:
    first = store.write_batch([article()])
    again = store.write_batch([article()])
    assert first.new == [1771493400] and again.unchanged == [1771493400]
    row = store.article(1771493400)
    assert row is not None
    assert row["revision"] == 1
    assert row["attribution"] == "Сергей Лавров"
    assert row["published_date"] == "2026-02-19"
    assert store.table_count("articles") == 1 and store.table_count("article_revisions") == 0


def test_a_changed_article_gets_a_revision_and_the_old_text_is_kept(store: Archive) -> None:
    store.write_batch([article()])
    result = store.write_batch([article(body="Новый текст.")])
    store.write_batch([article(body="Третий текст.", title="Другой заголовок")])
    assert result.changed == [1771493400]
    row = store.article(1771493400)
    assert row is not None and row["revision"] == 3 and row["body"] == "Третий текст."
    assert row["attribution"] is None
    old = store.revisions(1771493400)
    assert [r["revision"] for r in old] == [1, 2]
    assert old[0]["body"] == article().body and old[1]["body"] == "Новый текст."
    assert old[0]["first_seen_at"] == row["first_seen_at"]


def test_the_last_fetch_in_a_batch_wins(store: Archive) -> None:
    result = store.write_batch([article(body="Первый."), article(body="Второй.")])
    assert result.new == [1771493400]
    assert store.article(1771493400)["body"] == "Второй."  # type: ignore[index]


def test_a_failed_batch_writes_nothing(store: Archive) -> None:
    with pytest.raises(KeyError):
        store.write_batch([article(st=1), {"st": 2}])  # the second has no title
    assert store.table_count("articles") == 0


def test_headlines_are_kept_once_per_day(store: Archive) -> None:
    headline = {
        "st": 1,
        "listed_on": "2026-02-19",
        "listed_at": "2026-02-19T12:30:00+03:00",
        "title": "Заголовок",
        "attribution": None,
        "page_url": "https://centrasia.org/",
    }
    assert store.write_batch(listings=[headline, headline]).listings == 1
    assert store.write_batch(listings=[headline | {"listed_on": "2026-02-18"}]).listings == 1
    assert store.table_count("listings") == 2


def test_raw_pages_are_compressed_deduplicated_and_read_back(store: Archive) -> None:
    body = "<html>ЦентрАзия</html>".encode("cp1251") * 100
    page = RawPage("https://centrasia.org/", 200, {"Content-Type": ["text/html"]}, body, "t1")
    store.write_batch(pages=[page])
    store.write_batch(pages=[RawPage(page.url, 200, page.headers, body, "t2")])
    assert store.table_count("pages") == 2 and store.table_count("page_bodies") == 1
    size, stored = store.conn.execute("SELECT size, length(body) FROM page_bodies").fetchone()
    assert size == len(body) and stored < len(body) / 5
    back = store.page_body("https://centrasia.org/")
    assert back is not None and back.body == body and back.fetched_at == "t2"
    assert back.headers == {"Content-Type": ["text/html"]}


def test_a_run_is_recorded(store: Archive) -> None:
    run_id = store.start_run("backfill", {"since": "2026-02-01"})
    store.finish_run(
        run_id,
        "finished",
        {"requests": 7, "new_articles": 5, "errors": 1},
        [{"url": "u", "reason": "HTTP 500", "kind": "fetch"}],
    )
    run = store.run(run_id)
    assert run is not None
    assert run["mode"] == "backfill" and run["arguments"] == {"since": "2026-02-01"}
    assert (run["requests"], run["new_articles"], run["errors"]) == (7, 5, 1)
    assert run["problems"][0]["reason"] == "HTTP 500"
    assert run["finished_at"] and run["finish_reason"] == "finished"


def search(store: Archive, query: str) -> list[int]:
    return [
        st
        for (st,) in store.conn.execute(
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid",
            (fold_yo(query),),
        )
    ]


@pytest.mark.parametrize("query", ["ёлку", "елку", "ЁЛКУ", "Елку", "её", "ЕЕ", "ёлка", "Елка"])
def test_full_text_search_ignores_case_and_yo(store: Archive, query: str) -> None:
    store.write_batch([article(), article(st=2, title="Другое", body="Ничего общего.")])
    assert search(store, query) == [1771493400]


def test_full_text_index_follows_revisions(store: Archive) -> None:
    store.write_batch([article()])
    store.write_batch([article(body="Теперь о тополях.", title="Тополь")])
    assert search(store, "ёлку") == []
    assert search(store, "тополях") == [1771493400]
    fts_intact(store.conn)


def fts_intact(conn: sqlite3.Connection) -> None:
    """FTS5's own check of the index against the text it reads (raises if they differ)."""
    conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)")


def test_the_exact_form_index_keeps_no_copy_of_the_text_after_upgrading(tmp_path: Path) -> None:
    path = tmp_path / "v8.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, upto=8)
    conn.executemany(
        "INSERT INTO articles (st, url, title, published_at, published_date, body,"
        " content_hash, first_seen_at, last_fetched_at) VALUES"
        " (?, 'u', ?, '2026-02-19T12:30:00+03:00', '2026-02-19', ?, 'h', 't', 't')",
        [(1, "Ёлка", "Её объём"), (2, "Тополь", "Другой текст")],
    )
    assert conn.execute("SELECT count(*) FROM articles_fts_content").fetchone() == (2,)
    conn.close()
    with Archive.open(path) as store:
        names = {n for (n,) in store.conn.execute("SELECT name FROM sqlite_master")}
        assert "articles_fts_content" not in names and "articles_fts_text" in names
        assert search(store, "ёлка") == [1] and search(store, "ОБЪЕМ") == [1]
        assert search(store, "другой") == [2]
        store.conn.execute("UPDATE articles SET body = 'Третий текст' WHERE st = 2")
        store.conn.execute("DELETE FROM articles WHERE st = 1")
        assert search(store, "другой") == [] and search(store, "ёлка") == []
        assert search(store, "третий") == [2]
        fts_intact(store.conn)


def test_an_older_archive_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, upto=1)
    conn.execute(
        "INSERT INTO articles (st, url, title, published_at, published_date, body,"
        " content_hash, first_seen_at, last_fetched_at) VALUES"
        " (5, 'u', 'Ёж', '2026-02-19T12:30:00+03:00', '2026-02-19', 'Ёжик в тумане', 'h', 't', 't')"
    )
    conn.close()
    with Archive.open(path) as store:
        assert schema_version(store.conn) == SCHEMA_VERSION
        row = store.article(5)
        assert row is not None and row["body"] == "Ёжик в тумане" and row["time_mismatch"] == 0
        assert search(store, "ежик") == [5]


def test_an_archive_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(ArchiveVersionError, match="newer"):
        Archive.open(path)


def test_readers_see_only_whole_batches(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    with Archive.open(path) as writer:
        writer.write_batch([article(st=1)])
        reader = Archive.open(path, readonly=True)
        writer.conn.execute("BEGIN IMMEDIATE")
        writer.conn.execute("DELETE FROM articles")
        assert reader.table_count("articles") == 1  # the writer's open transaction is not seen
        writer.conn.execute("ROLLBACK")
        reader.close()


def test_every_column_is_documented(store: Archive) -> None:
    from centrasia_crawler.archive.schema import TABLE_DOCS

    readme = (Path(__file__).resolve().parent.parent / "docs" / "schema.md").read_text(
        encoding="utf-8"
    )
    shared = TABLE_DOCS["articles"][1]
    for table in TABLE_DOCS:
        assert f"`{table}`" in readme, table
        columns = [c.name for c in store.db[table].columns]
        documented = TABLE_DOCS[table][1] | (shared if table == "article_revisions" else {})
        assert sorted(documented) == sorted(columns), table
        for column in columns:
            assert f"`{column}`" in readme, (table, column)


def test_the_article_fields_defined_once_are_the_tables_columns(store: Archive) -> None:
    import dataclasses

    from centrasia_crawler.fields import ARTICLE, ARTICLE_COLUMNS

    def declared(table: str) -> dict[str, tuple[str, bool, bool]]:
        rows = store.conn.execute(f"PRAGMA table_info({table})").fetchall()
        return {name: (kind, bool(notnull), bool(pk)) for _, name, kind, notnull, _, pk in rows}

    defined = {
        f.name: (f.sql.split()[0], "NOT NULL" in f.sql, "PRIMARY KEY" in f.sql) for f in ARTICLE
    }
    assert declared("articles") == defined  # names, types and constraints
    revisions = declared("article_revisions")
    assert set(revisions) == {*ARTICLE_COLUMNS, "superseded_at"}
    assert all(revisions[name][:2] == defined[name][:2] for name in ARTICLE_COLUMNS if name != "st")
    items = [f.name for f in dataclasses.fields(ArticleItem)]
    assert items == [f.name for f in ARTICLE if f.item]
    assert set(ARTICLE_COLUMNS) - set(items) == {
        "published_date",
        "content_hash",
        "first_seen_at",
        "last_fetched_at",
        "revision",
    }
