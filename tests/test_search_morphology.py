"""Search by any form of a word: the inflection set, homographs, phrases, the index
kept with the articles and rebuilt on upgrade, and sqlite-utils finding it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.archive.search import search
from centrasia_crawler.archive.search_query import QueryError
from centrasia_crawler.archive.store import ADDED_CONTENT
from tests.helpers import built_once, schema_4_archive
from tests.inflection import article_texts, evaluate


def article(st: int, title: str, body: str) -> dict[str, Any]:
    return {
        "st": st,
        "url": f"https://centrasia.org/newsA.php?st={st}",
        "title": title,
        "published_at": "2026-02-19T12:00:00+03:00",
        "body": body,
    }


@pytest.fixture(scope="module")
def inflected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("morph") / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(*row) for row in article_texts()])
    return path


@contextmanager
def finder(path: Path) -> Iterator[Any]:
    with Archive.open(path, readonly=True) as store:

        def find(query: str, mode: str = "morph") -> set[int]:
            found = search(store, query, limit=100_000, exact=mode != "morph")
            return {r["st"] for r in found}

        yield find


def test_any_form_finds_every_form_of_the_inflection_set(inflected: Path) -> None:
    """303 words (nouns of every declension, indeclinables, adjectives, verbs, surnames,
    Central Asian places), six forms each, each word searched by two of its forms."""
    with finder(inflected) as find:
        score = evaluate(find)
    assert score.relevant > 3000
    assert score.recall >= 0.99, score
    assert score.precision >= 0.97, score


def test_exact_search_finds_only_the_form_typed(inflected: Path) -> None:
    with finder(inflected) as find:
        score = evaluate(find, mode="exact")
    assert score.precision == 1.0 and score.recall < 0.5, score


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with Archive.open(tmp_path / "a.sqlite") as opened:
        yield opened


CASES = [
    (1, "Президент в Казахстане", "Визит в Казахстане прошёл спокойно."),
    (2, "Казахстанский бизнес", "Казахстанские компании растут."),
    (3, "Мировые цены", "Мировые рынки упали."),
    (4, "Мир и война", "Переговоры о мире."),
    (5, "В Центральной Азии", "Страны Центральной Азии и Китай."),
    (6, "Центральный банк", "Азия и Европа: центральный вопрос."),
    (7, "Встреча с Жапаровым", "Садыр Жапаров провёл встречу."),
    (8, "Токаева встретили", "Касым-Жомарт Токаев прибыл."),
    (9, "Ёлка в Бишкеке", "В Бишкеке нарядили ёлку."),
]


@pytest.fixture
def cases(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    """The archive of the articles ``CASES``, open, at ``tmp_path / "a.sqlite"`` (where
    ``store`` makes an empty one): each test's own copy of one archive."""

    def build(into: Path) -> None:
        with Archive.open(into) as written:
            written.write_batch([article(*case) for case in CASES])

    path = built_once(tmp_path_factory, "morphology-cases.sqlite", build, tmp_path / "a.sqlite")
    with Archive.open(path) as opened:
        yield opened


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Казахстан", {1}),  # not «казахстанский»
        ("казахстанский", {2}),
        ("мир", {4}),  # not «мировые»
        ("мировой", {3}),
        ('"Центральная Азия"', {5}),  # a phrase in another case; not 6 (words apart)
        ("Жапаров", {7}),
        ("жапарову", {7}),
        ("Токаев", {8}),
        ("Бишкек", {9}),
        ("елка", {9}),
        ("Казахстан OR мир", {1, 4}),
        ("Казахстан NOT визит", set()),
        ("казах*", {1, 2}),
        ("NEAR(страна Китай, 3)", {5}),
        ("title:Бишкек", {9}),
    ],
)
def test_words_phrases_and_operators(cases: Archive, query: str, expected: set[int]) -> None:
    assert {r["st"] for r in search(cases, query, limit=100)} == expected


def test_a_title_match_ranks_first_and_snippets_spell_as_the_article(store: Archive) -> None:
    store.write_batch(
        [
            article(1, "Новости", "В Бишкеке тепло. " * 3),
            article(2, "Бишкек сегодня", "Погода хорошая."),
        ]
    )
    results = search(store, "Бишкеком", limit=10)
    assert [r["st"] for r in results] == [2, 1]
    assert "\x02Бишкеке\x03" in results[1]["snippet"]


@pytest.mark.parametrize(
    "query", ['"unclosed', "AND", "title:", "((", "-и", "ж" * 10_000, "*", "OR OR"]
)
def test_bad_queries_are_one_line_errors(cases: Archive, query: str) -> None:
    with pytest.raises(QueryError, match=r"^bad search query") as caught:
        search(cases, query)
    assert "\n" not in str(caught.value)


def test_an_edited_article_is_found_by_its_new_words_only(store: Archive) -> None:
    store.write_batch([article(1, "Бишкек", "Встреча в Бишкеке.")])
    store.write_batch([article(1, "Ташкент", "Встреча в Ташкенте.")])
    assert search(store, "Бишкек") == []
    assert [r["st"] for r in search(store, "Ташкента")] == [1]
    store.conn.execute("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, articles_morph, row)")
    terms = dict(store.conn.execute("SELECT term, cnt FROM temp.terms"))
    assert "бишкек" not in terms and "ташкент" in terms


def test_sqlite_utils_finds_the_exact_form_index(cases: Archive) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(cases.conn)
    assert db["articles"].detect_fts() == "articles_fts"  # type: ignore[union-attr]
    assert db.table_names(fts5=True) == ["articles_fts"]  # never the lemmas' index
    found = list(db["articles"].search("бишкеке"))  # type: ignore[union-attr]
    assert [r["st"] for r in found] == [9]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("Казахстане", [1]), ("бишкеке", [9]), ("жапаров", [7]), ("Токаев", [8])],
)
def test_the_sqlite_utils_command_finds_the_form_typed(
    cases: Archive, tmp_path: Path, query: str, expected: list[int]
) -> None:
    import json

    from click.testing import CliRunner
    from sqlite_utils.cli import cli

    done = CliRunner().invoke(cli, ["search", str(tmp_path / "a.sqlite"), "articles", query])
    assert done.exit_code == 0, done.output
    assert [r["st"] for r in json.loads(done.output)] == expected


def test_sqlite_utils_rebuild_fts_leaves_the_morphological_index_alone(
    cases: Archive, tmp_path: Path
) -> None:
    from click.testing import CliRunner
    from sqlite_utils.cli import cli

    before = {q: {r["st"] for r in search(cases, q)} for q in ("Бишкеком", "Жапарову", "елка")}
    assert before == {"Бишкеком": {9}, "Жапарову": {7}, "елка": {9}}
    for args in ([], ["articles"]):
        done = CliRunner().invoke(cli, ["rebuild-fts", str(tmp_path / "a.sqlite"), *args])
        assert done.exit_code == 0, done.output
        assert {q: {r["st"] for r in search(cases, q)} for q in before} == before
    vocabulary = "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, articles_morph, row)"
    cases.conn.execute(vocabulary)
    terms = {t for (t,) in cases.conn.execute("SELECT term FROM temp.v")}
    assert "бишкек" in terms and "бишкеке" not in terms  # lemmas still, not words


def test_an_older_archive_upgrades_and_searches_by_every_form(tmp_path: Path) -> None:
    path = schema_4_archive(tmp_path / "old.sqlite", CASES)
    with Archive.open(path) as upgraded:
        assert {r["st"] for r in search(upgraded, '"Центральной Азией"')} == {5}
        assert upgraded.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.slow
def test_an_upgrade_killed_half_way_finishes_at_the_next_open(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    from centrasia_crawler.archive.schema import migrate

    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, upto=4)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO articles (st, url, title, published_at, published_date, body,"
        " content_hash, first_seen_at, last_fetched_at, revision)"
        " VALUES (?, 'u', ?, '2026-02-19T12:00:00+03:00', '2026-02-19', ?, 'h', 't', 't', 1)",
        [
            (st, f"Встреча {st}", f"В Бишкеке прошла встреча номер {st}. " * 20)
            for st in range(30_000)
        ],
    )
    conn.execute("COMMIT")
    conn.close()
    opener = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from centrasia_crawler.archive import Archive; Archive.open({str(path)!r})",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert opener.stderr is not None
        line = opener.stderr.readline()
        assert "indexing words for search" in line, line
        opener.send_signal(signal.SIGKILL)
    finally:
        opener.kill()
        opener.wait(timeout=30)
        if opener.stderr is not None:
            opener.stderr.close()
    half = sqlite3.connect(path)
    upto = half.execute("SELECT value FROM archive_meta WHERE key = 'morph_indexed_upto'")
    assert 0 < int(upto.fetchone()[0]) < 29_999  # killed half-way
    half.close()
    with Archive.open(path, readonly=False) as reopened:
        assert reopened.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        found = search(reopened, "Бишкек", limit=100_000)
        assert len(found) == 30_000


def vocabulary(conn: sqlite3.Connection) -> tuple[dict[str, int], dict[str, int]]:
    """The index's own count of every term (fts5vocab), and morph_counts'."""
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.v USING fts5vocab(main, 'articles_morph', 'row')"
    )
    index = dict(conn.execute("SELECT term, cnt FROM temp.v"))
    kept = dict(conn.execute("SELECT term, occurrences FROM morph_counts WHERE occurrences > 0"))
    return index, kept


def test_term_counts_follow_the_index_through_revisions(store: Archive) -> None:
    store.write_batch([article(30, "Встреча в Бишкеке", "Бишкек и Ош: встреча министров.")])
    store.write_batch([article(30, "Встреча в Оше", "Ош принимает встречу.")])  # a revision
    index, kept = vocabulary(store.conn)
    assert index and index == kept
    assert "бишкек" not in kept and kept["принимать"] == 1  # the old text counted out


def many(n: int) -> list[dict[str, Any]]:
    words = "Бишкек Ош Ташкент Самарканд Алматы Душанбе страна встреча министр".split()
    return [
        article(st, f"Новость {st}", " ".join(words[(st * k) % len(words)] for k in range(1, 30)))
        for st in range(1, n + 1)
    ]


@pytest.mark.slow  # 9,000 articles indexed twice, the second time on forked workers
def test_a_rebuild_on_worker_processes_equals_the_index_written_with_the_articles(
    tmp_path: Path,
) -> None:
    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:
        for start in range(0, 9000, 1000):
            store.write_batch(many(9000)[start : start + 1000])
        before = vocabulary(store.conn)
        store.conn.execute("UPDATE archive_meta SET value = 'old' WHERE key = 'morph_version'")
    lines: list[str] = []
    from centrasia_crawler.archive.morph import build_index

    conn = sqlite3.connect(path, isolation_level=None)
    assert build_index(conn, lines.append) == 9000  # over 2 batches: the worker pool
    assert len(lines) == 5 and lines[-1].endswith("9,000 of 9,000 articles")
    assert vocabulary(conn) == before and before[0] == before[1]
    conn.close()
    with Archive.open(path, readonly=True) as store:
        assert len(search(store, "Бишкека", limit=100_000)) == len(
            [a for a in many(9000) if "Бишкек" in a["body"]]
        )


def test_upgrading_to_schema_7_counts_the_terms_of_the_existing_index(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch(many(50))
        expected = vocabulary(store.conn)[0]
        shape = "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        for kind, name in store.conn.execute(shape).fetchall():
            if name.startswith(("summary_", "data_version")):  # schema 20
                store.conn.execute(f"DROP {kind.upper()} IF EXISTS {name}")
            if name.endswith("_data_count"):  # schema 21
                store.conn.execute(f"DROP INDEX IF EXISTS {name}")
            if name.startswith("articles_kwic"):  # schema 22
                store.conn.execute(f"DROP {kind.upper()} IF EXISTS {name}")
            if name.startswith("entity_articles"):  # schema 23
                store.conn.execute(f"DROP {kind.upper()} IF EXISTS {name}")
        store.conn.execute("DROP TABLE morph_counts")
        store.conn.execute("DROP INDEX articles_meta")
        store.conn.execute("DROP INDEX articles_attribution")  # schema 8
        store.conn.execute("DROP VIEW articles_fts_text")  # schema 9
        store.conn.execute("DROP INDEX articles_outlet")  # schema 11
        store.conn.execute("DROP VIEW tagged_articles")  # schema 15 (reads articles.outlet)
        for table in ("articles", "article_revisions"):
            for column in (*ADDED_CONTENT, "extra"):  # extra: schema 18
                store.conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        store.conn.execute("ALTER TABLE pages DROP COLUMN from_cache")  # schema 12
        store.conn.execute("DROP INDEX pages_kind_fetched")  # schema 13
        store.conn.execute("DROP VIEW article_countries")  # schema 14
        for table in (
            "story_bands",  # schema 19
            "article_stories",
            "article_tags",
            "article_entities",
            "entity_posts",
            "entity_names",
            "entities",
        ):
            store.conn.execute(f"DROP TABLE {table}")
        for column in ("pid", "retries", "http_errors"):
            store.conn.execute(f"ALTER TABLE crawl_runs DROP COLUMN {column}")
        store.conn.execute("DROP TABLE robots_refusals")  # schema 14
        store.conn.execute("DROP TABLE articles_morph_forms")  # schema 17
        store.conn.execute("PRAGMA user_version = 6")
    with Archive.open(path) as store:
        assert vocabulary(store.conn) == (expected, expected)
