"""``entity_articles``: each entity's articles as arrays, kept with ``article_entities``
by triggers, a log and folds. Checked against ``article_entities`` itself (the truth)
after every kind of write, folded and not."""

from __future__ import annotations

import random
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler.archive import Archive, entity_articles
from centrasia_crawler.cli import main
from tests.helpers import article, drop_named

#: Names the gazetteer knows: people, countries, cities.
NAMES = [
    "Садыр Жапаров",
    "Касым-Жомарт Токаев",
    "Шавкат Мирзиёев",
    "Казахстан",
    "Узбекистан",
    "Бишкек",
    "Ташкент",
    "Душанбе",
]


def text(rnd: random.Random) -> str:
    return " и ".join(rnd.sample(NAMES, k=rnd.randint(0, 4))) + " встретились в пятницу."


def truth(conn: sqlite3.Connection) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for entity_id, st in conn.execute(
        "SELECT entity_id, st FROM article_entities ORDER BY entity_id, st"
    ):
        found.setdefault(entity_id, []).append(st)
    return found


def kept(conn: sqlite3.Connection, entities: list[str] | None = None) -> dict[str, list[int]]:
    read = entity_articles.read(conn, entities)
    assert read is not None
    return {entity_id: sts.tolist() for entity_id, sts in read.items()}


def log_rows(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM entity_articles_log").fetchone()[0])


def check_chunks(conn: sqlite3.Connection) -> None:
    """Each chunk holds sts in order, from its first_st up to the next chunk's."""
    chunks: dict[str, list[tuple[int, list[int]]]] = {}
    for entity_id, first, data in conn.execute(
        "SELECT entity_id, first_st, sts FROM entity_articles ORDER BY entity_id, first_st"
    ):
        sts = [
            int.from_bytes(data[i : i + 8], "little", signed=True) for i in range(0, len(data), 8)
        ]
        chunks.setdefault(entity_id, []).append((first, sts))
    for listed in chunks.values():
        for place, (first, sts) in enumerate(listed):
            assert sts and sts[0] == first and sts == sorted(set(sts))
            if place + 1 < len(listed):
                assert sts[-1] < listed[place + 1][0]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_arrays_follow_every_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """New articles (some older than those stored), rewrites naming others (or none),
    articles deleted; folded by the writer once the log is long, by hand, or not at all."""
    monkeypatch.setattr(entity_articles, "CHUNK", 3)
    monkeypatch.setattr(entity_articles, "FOLD_AT", 70)
    folds: list[int] = []
    fold_if_long = entity_articles.fold_if_long
    monkeypatch.setattr(
        entity_articles, "fold_if_long", lambda conn: folds.append(fold_if_long(conn)) or 0
    )
    rnd = random.Random(seed)
    path = tmp_path / "archive.sqlite"
    stored: list[int] = []
    by_hand: list[int] = []
    with Archive.open(path) as store:
        assert entity_articles.built(store.conn)
        for round_ in range(8):
            new = [1000 + 10 * round_ + i for i in range(rnd.randint(5, 12))]
            new += [rnd.randint(1, 999) for _ in range(3)]  # older than the rest
            again = rnd.sample(stored, k=min(len(stored), 6))  # rewritten: other names
            store.write_batch(
                [article(st, f"Новости {st}", text(rnd)) for st in dict.fromkeys(new + again)]
            )
            stored = sorted(set(stored) | set(new))
            if round_ == 7:  # the last: the deleted articles leave their stories behind
                gone = rnd.sample(stored, k=2)
                # by another writer (sqlite3's own, no foreign keys): the triggers take
                # its tags out, and log that
                with closing(sqlite3.connect(path, isolation_level=None)) as other:
                    other.executemany("DELETE FROM articles WHERE st = ?", [(st,) for st in gone])
                stored = [st for st in stored if st not in gone]
            expected = truth(store.conn)
            assert kept(store.conn) == expected  # the log applied to the chunks
            some = sorted(expected)[:3]
            assert kept(store.conn, some) == {e: expected[e] for e in some}
            if round_ % 2:
                logged = log_rows(store.conn)
                with store.transaction() as conn:
                    assert entity_articles.fold(conn) == logged
                by_hand.append(logged)
                assert log_rows(store.conn) == 0
                check_chunks(store.conn)
                assert kept(store.conn) == expected
        assert any(folds) and any(by_hand)  # folded by the writer, and by hand
        assert sum(len(sts) for sts in truth(store.conn).values()) > 100


def test_not_built_reads_none_and_the_upgrade_builds_it(tmp_path: Path) -> None:
    """An archive of schema 22 has no arrays: reads answer None (the network reads the
    tags) until the upgrade to 23 builds them from article_entities."""
    rnd = random.Random(7)
    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(st, f"Новости {st}", text(rnd)) for st in range(1, 60)])
    conn = sqlite3.connect(path, isolation_level=None)
    drop_named(conn, "entity_articles")  # schema 23's tables and triggers
    conn.execute("PRAGMA user_version = 22")
    conn.close()
    assert main(["upgrade", "--archive", str(path)]) == 0
    with Archive.open(path, readonly=True) as store:
        assert entity_articles.built(store.conn)
        assert kept(store.conn) == truth(store.conn) != {}
        check_chunks(store.conn)
    # and while not built, nothing is read from the (empty) arrays
    with Archive.open(path) as store, store.transaction() as conn:
        entity_articles.forget(conn)
        assert entity_articles.read(conn) is None


def test_tagging_every_article_again_builds_them_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gazetteer change tags every article again: the arrays are marked not built,
    and built from the new tags after (not folded from a log of every tag)."""
    from centrasia_crawler.archive import tagging

    rnd = random.Random(11)
    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(st, f"Новости {st}", text(rnd)) for st in range(1, 80)])
        before = truth(store.conn)
        with store.transaction() as conn:
            tagging.forget_tags(conn)
            conn.execute("DELETE FROM archive_meta WHERE key LIKE 'entities_%'")
        assert entity_articles.read(store.conn) is None
    built: list[Any] = []
    build = entity_articles.build
    monkeypatch.setattr(entity_articles, "build", lambda conn: built.append(build(conn)))
    with Archive.open(path) as store:  # the writable open tags again, then builds
        assert truth(store.conn) == before
        assert kept(store.conn) == before
        assert log_rows(store.conn) == 0
    assert built == [True]


def test_a_fold_between_the_reads_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer folds the log after a reader read the chunks and before it reads the
    log: the reader still answers as of one moment (the chunks without the changes
    the fold took out of the log would be a state that never was)."""
    monkeypatch.setattr(entity_articles, "FOLD_AT", 10**9)  # the writer keeps its log
    rnd = random.Random(5)
    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(st, f"Новости {st}", text(rnd)) for st in range(1, 40)])
        with store.transaction() as conn:
            entity_articles.fold(conn)
        store.write_batch([article(st, f"Новости {st}", text(rnd)) for st in range(20, 70)])
        expected = truth(store.conn)
        assert log_rows(store.conn) > 0
    changes = entity_articles._changes
    folded: list[int] = []

    def fold_first(conn: sqlite3.Connection, entities: list[str] | None) -> Any:
        if not folded:  # the reader's call (the fold's own call passes through)
            with closing(sqlite3.connect(path, isolation_level=None)) as writer:
                writer.execute("BEGIN IMMEDIATE")
                folded.append(0)
                folded[0] = entity_articles.fold(writer)
                writer.execute("COMMIT")
        return changes(conn, entities)

    monkeypatch.setattr(entity_articles, "_changes", fold_first)
    with Archive.open(path, readonly=True) as reader:
        assert kept(reader.conn) == expected
    assert folded and folded[0] > 0  # the fold took the log out meanwhile
    monkeypatch.setattr(entity_articles, "_changes", changes)
    with Archive.open(path, readonly=True) as reader:
        assert log_rows(reader.conn) == 0 and kept(reader.conn) == expected


def test_the_full_check_finds_arrays_out_of_step_with_the_tags(tmp_path: Path) -> None:
    """An array that no longer says what article_entities does (an st taken out of a
    chunk behind the triggers' back) is a problem of the full check, not "sound"."""
    from centrasia_crawler.archive.integrity import check

    rnd = random.Random(3)
    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(st, f"Новости {st}", text(rnd)) for st in range(1, 50)])
        with store.transaction() as conn:
            entity_articles.fold(conn)  # the log into the chunks
    before = check(path, full=True).problems  # (these articles have no stored pages)
    assert not any("entities" in problem for problem in before)
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        entity_id, first, data = conn.execute(
            "SELECT entity_id, first_st, sts FROM entity_articles ORDER BY length(sts) DESC"
        ).fetchone()
        assert len(data) >= 16
        conn.execute(
            "UPDATE entity_articles SET sts = ? WHERE entity_id = ? AND first_st = ?",
            (data[:-8], entity_id, first),
        )
    report = check(path, full=True)
    assert report.problems == [*before, "1 entity whose list of articles differs from its tags"]
