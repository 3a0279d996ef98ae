"""The summary tables equal GROUP BY queries over the tables they count, written here,
after every kind of write; the data version moves with every write."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import re
import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centrasia_crawler.archive import Archive
from tests.helpers import close_datasette, datasette
from tests.replica.content import Site

SITE = Site(days=10, per_day=10, seed=11, last_day=dt.date(2026, 2, 19))
STS = sorted(s for s in SITE.by_st if s not in SITE.disallowed)


def truth(conn: sqlite3.Connection) -> dict[str, Counter[Any]]:
    """The counts, grouped here over the base tables (zeros left out)."""
    days: Counter[Any] = Counter()
    for day, n in conn.execute(
        "SELECT listed_on, count(DISTINCT st) FROM listings GROUP BY listed_on"
    ):
        days[day, "listed"] = n
    for day, n in conn.execute("SELECT published_date, count(*) FROM articles GROUP BY 1"):
        days[day, "archived"] = n
    for day, n in conn.execute(
        "SELECT a.published_date, count(*) FROM article_revisions r"
        " JOIN articles a ON a.st = r.st GROUP BY 1"
    ):
        days[day, "revisions"] = n
    grouped = {
        "outlets": "SELECT coalesce(outlet, source), count(*) FROM articles"
        " WHERE coalesce(outlet, source) IS NOT NULL GROUP BY 1",
        "attributions": "SELECT attribution, count(*) FROM articles"
        " WHERE attribution IS NOT NULL GROUP BY 1",
        "entities": "SELECT entity_id, count(*) || '/' || sum(mentions) FROM article_entities"
        " GROUP BY 1",
        "entity_days": "SELECT ae.entity_id || ' ' || a.published_date, count(*)"
        " FROM article_entities ae JOIN articles a ON a.st = ae.st GROUP BY 1",
        "entity_pairs": "SELECT one.entity_id || ' ' || two.entity_id, count(*)"
        " FROM article_entities one JOIN article_entities two ON two.st = one.st"
        " WHERE one.entity_id != two.entity_id GROUP BY 1",
        # From the entities themselves (the view), not from the lists kept in article_tags.
        "country_days": "SELECT c.country || ' ' || a.published_date, count(*)"
        " FROM article_countries c JOIN articles a ON a.st = c.st GROUP BY 1",
    }
    found = {"days": days}
    for name, sql in grouped.items():
        found[name] = Counter(dict(conn.execute(sql).fetchall()))
    return found


def kept(conn: sqlite3.Connection) -> dict[str, Counter[Any]]:
    """The summary tables, read as plainly as can be (zeros left out)."""
    days: Counter[Any] = Counter()
    for day, listed, archived, revisions in conn.execute("SELECT * FROM summary_days"):
        for name, n in (("listed", listed), ("archived", archived), ("revisions", revisions)):
            assert n >= 0, (day, name, n)
            if n:
                days[day, name] = n
    tables = {
        "outlets": "SELECT outlet, articles FROM summary_outlets",
        "attributions": "SELECT attribution, articles FROM summary_attributions",
        "entities": "SELECT entity_id, articles || '/' || mentions FROM summary_entities"
        " WHERE articles != 0 OR mentions != 0",
        "entity_days": "SELECT entity_id || ' ' || day, articles FROM summary_entity_days",
        "entity_pairs": "SELECT entity_id || ' ' || other_id, articles FROM summary_entity_pairs",
        "country_days": "SELECT country || ' ' || day, articles FROM summary_country_days",
    }
    found = {"days": days}
    for name, sql in tables.items():
        rows = conn.execute(sql).fetchall()
        assert all(not isinstance(n, int) or n >= 0 for _, n in rows), (name, rows)
        found[name] = Counter({k: n for k, n in rows if n not in (0, "0/0")})
    return found


def assert_kept(conn: sqlite3.Connection) -> None:
    assert kept(conn) == truth(conn)


def headlines() -> list[dict[str, Any]]:
    return [
        {**h, "listed_on": day.isoformat(), "page_url": "u"}
        for day in SITE.day_list()
        for h in SITE.headlines(day)
    ]


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The replica's articles written as a crawl writes them: in batches, out of order."""
    path = tmp_path_factory.mktemp("summaries") / "archive.sqlite"
    order = list(STS)
    random.Random(3).shuffle(order)
    with Archive.open(path) as writer:
        writer.write_batch([], headlines())
        for start in range(0, len(order), 25):
            writer.write_batch([SITE.article(s) for s in order[start : start + 25]])
    return path


def copy(path: Path, to: Path) -> Path:
    shutil.copy(path, to)
    return to


def test_a_crawl_keeps_them(path: Path) -> None:
    with Archive.open(path, readonly=True) as reader:
        found = truth(reader.conn)
        assert found["entities"] and found["country_days"] and found["outlets"]
        assert_kept(reader.conn)


def test_changed_articles_and_deleted_revisions_keep_them(path: Path, tmp_path: Path) -> None:
    archive = copy(path, tmp_path / "a.sqlite")
    with Archive.open(archive) as writer:
        changed = []
        for n, s in enumerate(STS[::7]):  # a new text, day, source: a new revision
            item = SITE.article(s)
            moved = dt.date.fromisoformat(item["published_at"][:10]) - dt.timedelta(days=n % 3)
            item |= {
                "body": item["body"] + "\n\nКасым-Жомарт Токаев прибыл в Бишкек.",
                "published_at": moved.isoformat() + item["published_at"][10:],
                "source": f"Источник {n % 2}",
            }
            changed.append(item)
        writer.write_batch(changed)
        writer.write_batch(changed[:3], fetched=False)  # unchanged now
        assert_kept(writer.conn)
        assert truth(writer.conn)["days"].total() > 0
        with writer.transaction() as conn:
            conn.execute("DELETE FROM article_revisions WHERE st IN (?, ?)", STS[:14:7])
        assert_kept(writer.conn)
    # A writer without sqlite-utils' recursive triggers, and without foreign keys.
    conn = sqlite3.connect(archive, isolation_level=None)
    try:
        conn.execute("DELETE FROM article_revisions WHERE st = ?", (STS[14],))
        conn.execute("DELETE FROM articles WHERE st IN (?, ?)", (STS[1], STS[14]))
        conn.execute(
            "INSERT OR REPLACE INTO article_tags (st, countries) SELECT st, '[\"CN\"]'"
            " FROM article_tags WHERE st = ?",
            (STS[2],),
        )
        conn.execute("DELETE FROM article_entities WHERE st = ?", (STS[2],))
        conn.execute(
            "INSERT INTO article_entities (st, entity_id, mentions) VALUES (?, 'china', 1)",
            (STS[2],),
        )
        conn.execute("DELETE FROM listings WHERE st = ?", (STS[3],))
        assert_kept(conn)
        # An entity's row given another entity, and rows moved to another article.
        named = "SELECT entity_id FROM article_entities WHERE st = ? ORDER BY 1"
        first = [e for (e,) in conn.execute(named, (STS[4],))]
        assert len(first) > 1, first
        renamed = next(e for e in ("china", "russia", "mongolia") if e not in first)
        conn.execute(
            "UPDATE article_entities SET entity_id = ? WHERE st = ? AND entity_id = ?",
            (renamed, STS[4], first[0]),
        )
        moved = conn.execute(
            "UPDATE article_entities SET st = ? WHERE st = ? AND entity_id NOT IN"
            " (SELECT entity_id FROM article_entities WHERE st = ?)",
            (STS[2], STS[4], STS[2]),  # which names china alone
        )
        assert moved.rowcount > 0
        # (article_tags, which the countries' summary counts, are not moved with them.)
        found, expected = kept(conn), truth(conn)
        for name in ("entities", "entity_days", "entity_pairs"):
            assert found[name] == expected[name], name
    finally:
        conn.close()


def test_reparse_keeps_them(path: Path, tmp_path: Path) -> None:
    from centrasia_crawler.reparse import reparse

    archive = copy(path, tmp_path / "a.sqlite")
    with Archive.open(archive) as writer:
        reparse(writer)
        assert_kept(writer.conn)


def test_upgrade_from_19_fills_them(path: Path, tmp_path: Path) -> None:
    """An archive of schema 19: the replica's archive with what version 20 made taken
    out again (checked against a fresh archive migrated to 19)."""
    from centrasia_crawler.archive.schema import migrate
    from centrasia_crawler.archive.store import upgrade

    archive = copy(path, tmp_path / "a.sqlite")
    conn = sqlite3.connect(archive, isolation_level=None)
    fresh = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(fresh, upto=19)
        shape = "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY 2"
        for kind, name in conn.execute(shape).fetchall():
            if name.startswith(
                ("summary_", "data_version", "articles_kwic", "entity_articles")
            ) or name.endswith("_data_count"):  # schemas 20 to 23
                conn.execute(f"DROP {kind.upper()} IF EXISTS {name}")
        conn.execute("PRAGMA user_version = 19")
        assert conn.execute(shape).fetchall() == fresh.execute(shape).fetchall()
    finally:
        conn.close()
        fresh.close()
    lines: list[str] = []
    assert upgrade(archive, progress=lines.append)["schema_before"] == 19
    assert any("schema 20" in line for line in lines)
    assert any("schema 21" in line for line in lines)
    with Archive.open(archive, readonly=True) as reader:
        assert truth(reader.conn)["entity_days"]
        assert_kept(reader.conn)


WRITES = st.lists(
    st.tuples(
        st.sampled_from(["insert", "rewrite", "delete_revision", "retag", "list"]),
        st.integers(0, 19),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=12,
)
TEXTS = (
    "Токаев прибыл в Астану.",
    "Жапаров провёл встречу в Бишкеке.",
    "Мирзиёев и Рахмон обсудили воду.",
    "Новости дня.",
)
COUNT = iter(range(10**6))


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("empty") / "empty.sqlite"
    Archive.open(path).close()
    return path


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(writes=WRITES)
def test_random_writes_keep_them(
    writes: list[tuple[str, int, int]], empty: Path, tmp_path: Path
) -> None:
    archive = copy(empty, tmp_path / f"w{next(COUNT)}.sqlite")
    try:
        with Archive.open(archive) as writer:
            for action, key, variant in writes:
                s = 1_771_000_000 + key * 86_400 // 3
                item = {
                    "st": s,
                    "url": f"https://centrasia.org/newsA.php?st={s}",
                    "title": f"Заголовок {variant}, - Автор {variant % 2}",
                    "attribution": f"Автор {variant % 2}",
                    "published_at": f"2026-02-{10 + variant}T12:00:00+03:00",
                    "body": TEXTS[variant],
                    "source": ["ИноСМИ", "24.kg", None, "Фергана"][(key + variant) % 4],
                }
                if action in ("insert", "rewrite"):
                    writer.write_batch([item])
                elif action == "list":
                    writer.write_batch(
                        listings=[
                            {
                                **item,
                                "listed_on": f"2026-02-{10 + key % 5}",
                                "listed_at": item["published_at"],
                                "page_url": "u",
                            }
                        ]
                    )
                elif action == "delete_revision":
                    with writer.transaction() as conn:
                        conn.execute(
                            "DELETE FROM article_revisions WHERE rowid IN"
                            " (SELECT rowid FROM article_revisions LIMIT 1 OFFSET ?)",
                            (variant,),
                        )
                elif writer.has_article(s):
                    chosen = ["kazakhstan", "bishkek", "china", "tokayev"][: variant + 1]
                    writer.write_entities(s, [(e, key % 3 + 1, 0) for e in chosen])
                assert_kept(writer.conn)
    finally:
        for leftover in tmp_path.glob(f"{archive.name}*"):
            leftover.unlink()


def test_every_write_moves_the_data_version(path: Path, tmp_path: Path) -> None:
    archive = copy(path, tmp_path / "a.sqlite")
    with Archive.open(archive) as writer:
        seen = [writer.data_version()]
        item = SITE.article(STS[0])
        writes = [
            lambda: writer.write_batch([item | {"st": 1_780_000_000}]),
            lambda: writer.write_batch([item]),  # fetched again, unchanged
            lambda: writer.write_batch(listings=[headlines()[0] | {"listed_on": "2027-01-01"}]),
            lambda: writer.write_entities(STS[0], [("china", 1, 0)]),
            lambda: writer.write_batch(refusals=["https://centrasia.org/newsA.php?st=5"]),
        ]
        for write in writes:
            write()
            writer.stats()  # a read moves nothing
            seen.append(writer.data_version())
        assert seen == sorted(set(seen)), seen


def test_a_chart_after_a_write_shows_the_new_article(path: Path, tmp_path: Path) -> None:
    archive = copy(path, tmp_path / "archive.sqlite")
    day = "2026-02-19"
    url = f"/archive/-/coverage.json?since={day}&until={day}"

    async def archived() -> Any:
        ds = datasette([archive])
        try:
            response = await ds.client.get(url)
            assert response.status_code == 200, response.text
            return response.json()
        finally:
            close_datasette(ds)

    def archived_on(found: Any) -> list[int]:
        text = str(found)
        return [int(n) for n in re.findall(r"'archived': (\d+)", text)]

    before = archived_on(asyncio.run(archived()))
    with Archive.open(archive) as writer:
        item = SITE.article(STS[-1])
        writer.write_batch([item | {"st": 1_771_520_000, "published_at": f"{day}T20:00:00+03:00"}])
    after = archived_on(asyncio.run(archived()))
    assert len(before) == 1 and after == [before[0] + 1], (before, after)
