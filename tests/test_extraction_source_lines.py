"""The specimen article with its date and source lines as other outlets print them
(issue 27): the body never changes, the fields are right, and ``centrasia reparse``
repairs what an older extractor misread."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.archive.coverage import stats
from centrasia_crawler.archive.store import RawPage
from centrasia_crawler.extraction import extract
from centrasia_crawler.reparse import reparse
from tests.helpers import SPECIMEN, expected

ST = 1771493400  # published 2026-02-19 12:30 Moscow time
URL = f"https://centrasia.org/newsA.php?st={ST}"
PAGE = (SPECIMEN / f"article_{ST}.html").read_bytes().decode("cp1251")
INOSMI = "https://inosmi.ru/20260210/tsentralnaya-aziya-redkozemelnye-metally.html"
RIA = "https://ria.ru/20260210/kazakhstan.html"
DATE_LINE = "10 февраля 2026 г.<br><br>\n"
SOURCE_LINE = f'Источник - <a href="{INOSMI}" target="_blank">ИноСМИ</a><br>\n'
BODY = expected(f"article_{ST}")["body"]
assert DATE_LINE in PAGE and SOURCE_LINE in PAGE


def variant(date: str | None = None, source: str | None = None) -> str:
    """The specimen page with its date line and/or its source line replaced."""
    page = PAGE
    if date is not None:
        page = page.replace(DATE_LINE, date)
    if source is not None:
        page = page.replace(SOURCE_LINE, source)
    return page


def extracted(page: str) -> dict[str, Any]:
    return extract(page.encode("cp1251"), URL).data


@pytest.mark.parametrize(
    ("line", "date"),
    [
        ("10 февраля 2026 г.", "2026-02-10"),
        ("2026-02-10", "2026-02-10"),
        ("10.02.2026 12:30", "2026-02-10"),
        ("10 февраля 2026, 12:30", "2026-02-10"),
        ("10 февраля 2026 г. 14:35", "2026-02-10"),
        ("February 10, 2026", "2026-02-10"),
        ("10.02.26", "2026-02-10"),
        ("10 Feb 2026", "2026-02-10"),
        ("Вторник, 10 ФЕВ. 2026 года в 14:35 МСК", "2026-02-10"),
        ("10/02/2026 | 14:35 (GMT+3)", "2026-02-10"),
        ("2026-02-10T14:35:00+03:00", "2026-02-10"),
        ("14:35, 10 февраля 2026", "2026-02-10"),
        ("20 февраля 2026 г.", "2026-02-20"),  # a day after publication: time zones
    ],
)
def test_every_date_line_is_read_and_leaves_the_body(line: str, date: str) -> None:
    got = extracted(variant(date=f"{line}<br><br>\n"))
    assert got["body"] == BODY
    assert got["original_date"] == date
    assert got["original_date_text"] == line
    assert got["source"] == "ИноСМИ" and "unread_lines" not in got


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("31.02.2026", "impossible date"),
        ("21 февраля 2026 г.", "after the article's 2026-02-19"),
        ("2026-10-02", "after the article's 2026-02-19"),
        ("01.01.1111", "before 1900"),
        ("2026-02-10-11", "no known form"),
        ("Февраль 2026", "no known form"),
    ],
)
def test_a_date_line_not_read_stays_out_of_the_body_as_a_problem(line: str, reason: str) -> None:
    got = extracted(variant(date=f"{line}<br><br>\n"))
    assert got["body"] == BODY
    assert got["original_date"] is None
    assert got["original_date_text"] == line
    (unread,) = got["unread_lines"]
    assert unread["line"] == line and reason in unread["reason"]
    assert got["source"] == "ИноСМИ"


def test_a_date_line_after_the_source_line_is_read_too() -> None:
    got = extracted(variant(date="", source=SOURCE_LINE + "10.02.2026<br>\n"))
    assert (got["body"], got["original_date"], got["source"]) == (BODY, "2026-02-10", "ИноСМИ")


SOURCES = [
    (f'Источник: <a href="{INOSMI}">ИноСМИ</a><br>', "ИноСМИ", INOSMI),
    (f'Источник — <a href="{INOSMI}">ИноСМИ</a><br>', "ИноСМИ", INOSMI),
    (f'Источник-<a href="{INOSMI}">ИноСМИ</a><br>', "ИноСМИ", INOSMI),
    (f'ИСТОЧНИК - <a href="{INOSMI}">ИноСМИ</a><br>', "ИноСМИ", INOSMI),
    (f'Источник - <b><a href="{INOSMI}">ИноСМИ</a></b><br>', "ИноСМИ", INOSMI),
    (f'Источник – «<a href="{INOSMI}">ИноСМИ</a>»<br>', "ИноСМИ", INOSMI),
    (f"Источник: {INOSMI}<br>", "ИноСМИ", INOSMI),
    (f'Источник: <a href="{INOSMI}">{INOSMI}</a><br>', "ИноСМИ", INOSMI),
    (f'По материалам <a href="{INOSMI}">ИноСМИ</a><br>', "ИноСМИ", INOSMI),
    ('Источник - "ИноСМИ"<br>', "ИноСМИ", None),
    ("Источник ИноСМИ<br>", "ИноСМИ", None),
    (f'<p>Источник: <a href="{INOSMI}">InoSMI</a></p>', "InoSMI", INOSMI),
]


@pytest.mark.parametrize(("line", "name", "url"), SOURCES)
def test_every_source_line_is_read_and_leaves_the_body(
    line: str, name: str, url: str | None
) -> None:
    got = extracted(variant(source=line + "\n"))
    assert got["body"] == BODY
    assert (got["source"], got["source_url"], got["outlet"]) == (name, url, "ИноСМИ")
    assert got["source_domain"] == ("inosmi.ru" if url else None)
    assert got["original_date"] == "2026-02-10"
    assert got["sources"] == [
        {"name": name, "url": url, "domain": got["source_domain"], "outlet": "ИноСМИ"}
    ]
    assert got["source_text"].startswith(("Источник", "ИСТОЧНИК", "По материалам"))


def test_several_sources_are_kept_in_order() -> None:
    line = f'Источники: <a href="{INOSMI}">ИноСМИ</a>, <a href="{RIA}">РИА Новости</a><br>\n'
    got = extracted(variant(source=line))
    assert got["body"] == BODY and got["original_date"] == "2026-02-10"
    assert (got["source"], got["source_url"], got["source_domain"]) == (
        "ИноСМИ",
        INOSMI,
        "inosmi.ru",
    )
    assert [(s["outlet"], s["domain"]) for s in got["sources"]] == [
        ("ИноСМИ", "inosmi.ru"),
        ("РИА Новости", "ria.ru"),
    ]
    assert got["source_text"] == "Источники: ИноСМИ, РИА Новости"


def test_two_source_lines_and_a_based_on_line() -> None:
    lines = f"По материалам РИА Новости<br>\n{SOURCE_LINE}"
    got = extracted(variant(source=lines))
    assert got["body"] == BODY and got["original_date"] == "2026-02-10"
    assert [s["outlet"] for s in got["sources"]] == ["РИА Новости", "ИноСМИ"]
    assert got["source_text"] == "По материалам РИА Новости\nИсточник - ИноСМИ"


def test_a_source_line_naming_nothing_is_a_problem() -> None:
    got = extracted(variant(source="Источник: <br>\n"))
    assert got["body"] == BODY and got["source"] is None
    assert got["unread_lines"] == [
        {"line": "Источник:", "reason": "a source line naming no source"}
    ]


def test_a_sentence_starting_like_a_source_line_stays_in_the_body() -> None:
    sentence = "По материалам расследования журналистов, выводы сделаны."
    got = extracted(variant(date=f"{sentence}<br><br>\n{DATE_LINE}"))
    assert got["body"] == BODY + "\n\n" + sentence
    assert got["original_date"] == "2026-02-10"


# Repairing an archive --------------------------------------------------------------------


#: What the extractor gave before issue 27.
OLDER_FIELDS = (
    "title",
    "published_at",
    "body",
    "source",
    "source_url",
    "original_date",
    "stated_permalink",
)


def _store_as_an_older_extractor(store: Archive, st: int, page: str, **misread: Any) -> None:
    """The page, and the article as the extractor before issue 27 read it."""
    data = extracted(page)
    url = f"https://centrasia.org/newsA.php?st={st}"
    old = {k: data[k] for k in OLDER_FIELDS} | {"st": st, "url": url}
    store.write_batch(
        [old | misread],
        pages=[
            RawPage(
                url=url,
                status=200,
                headers={"Content-Type": ["text/html; charset=windows-1251"]},
                body=page.replace(f"st={ST}", f"st={st}").encode("cp1251"),
                fetched_at="2026-02-19T10:00:00+00:00",
                kind="article",
                st=st,
            )
        ],
    )


def test_reparse_repairs_a_misread_iso_date_and_a_quoted_outlet(tmp_path: Path) -> None:
    iso = variant(date="2026-02-10<br><br>\n")
    quoted = variant(source=f'Источник – «<a href="{INOSMI}">ИноСМИ</a>»<br>\n')
    with Archive.open(tmp_path / "a.sqlite") as store:
        _store_as_an_older_extractor(store, ST, iso, original_date="2026-10-02")
        _store_as_an_older_extractor(store, ST + 60, quoted, source="«ИноСМИ»")
        before = {e["name"] for e in stats(store)["top_sources"]}
        assert before == {"ИноСМИ", "«ИноСМИ»"}  # one outlet under two names

        summary = reparse(store)
        assert (summary.changed, summary.unchanged, summary.failed) == (2, 0, [])

        first, second = store.article(ST), store.article(ST + 60)
        assert first is not None and second is not None
        assert (first["original_date"], first["original_date_text"]) == ("2026-02-10", "2026-02-10")
        assert (second["source"], second["outlet"], second["source_domain"]) == (
            "ИноСМИ",
            "ИноСМИ",
            "inosmi.ru",
        )
        assert json.loads(second["sources"])[0]["url"] == INOSMI
        for row in (first, second):
            assert row["revision"] == 2 and row["body"] == BODY
        assert store.revisions(ST)[0]["original_date"] == "2026-10-02"
        assert store.revisions(ST + 60)[0]["source"] == "«ИноСМИ»"

        figures = stats(store)
        assert figures["top_sources"] == [{"name": "ИноСМИ", "articles": 2}]
        assert figures["unread_lines"] == 0
        assert reparse(store).changed == 0  # and again: nothing left to repair


def test_reparse_fills_the_new_columns_of_an_unchanged_article_without_a_revision(
    tmp_path: Path,
) -> None:
    with Archive.open(tmp_path / "a.sqlite") as store:
        _store_as_an_older_extractor(store, ST, PAGE)  # read right, before the columns
        assert store.article(ST)["outlet"] is None  # type: ignore[index]
        summary = reparse(store)
        assert (summary.changed, summary.unchanged) == (0, 1)
        row = store.article(ST)
        assert row is not None and row["revision"] == 1 and store.revisions(ST) == []
        assert (row["outlet"], row["source_domain"], row["source_text"]) == (
            "ИноСМИ",
            "inosmi.ru",
            "Источник - ИноСМИ",
        )
        assert reparse(store).unchanged == 1


def test_stats_count_the_lines_not_read(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "a.sqlite") as store:
        _store_as_an_older_extractor(store, ST, variant(date="31.02.2026<br><br>\n"))
        _store_as_an_older_extractor(store, ST + 60, PAGE)
        reparse(store)
        figures = stats(store)
        assert (figures["unread_lines"], figures["articles_with_unread_lines"]) == (1, 1)
        row = store.article(ST)
        assert row is not None and json.loads(row["unread_lines"])[0]["line"] == "31.02.2026"
        assert row["body"] == BODY


def test_a_date_on_the_source_line_is_the_original_date() -> None:
    got = extracted(
        variant(date="", source=f'Источник: <a href="{INOSMI}">ИноСМИ</a>, 10.02.2026<br>\n')
    )
    assert (got["body"], got["original_date"], got["original_date_text"]) == (
        BODY,
        "2026-02-10",
        "10.02.2026",
    )
    assert (got["source"], got["source_url"]) == ("ИноСМИ", INOSMI)


def test_the_crawl_records_a_line_not_read_as_a_problem_naming_the_article() -> None:
    import asyncio

    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from centrasia_crawler import signals
    from centrasia_crawler.items import ArticleItem, ProblemItem
    from centrasia_crawler.spiders.centrasia import CentrasiaSpider

    crawler = get_crawler(CentrasiaSpider)
    spider = CentrasiaSpider.from_crawler(crawler)
    crawler.spider = spider
    crawler.stats.open_spider()
    body = variant(date="31.02.2026<br><br>\n").encode("cp1251")
    response = HtmlResponse(
        URL,
        body=body,
        headers={"Content-Type": "text/html; charset=windows-1251"},
        request=Request(URL),
    )

    async def collect() -> list[Any]:
        return [item async for item in spider.parse_article(response)]

    problems: list[ProblemItem] = []

    def found(problem: ProblemItem) -> None:
        problems.append(problem)

    crawler.signals.connect(found, signal=signals.problem_found, weak=False)
    items = asyncio.run(collect())
    (article,) = items  # the problem is the run's, never an item
    assert isinstance(article, ArticleItem)
    assert article.original_date is None and article.body == BODY
    (unread,) = article.unread_lines or []
    assert unread["line"] == "31.02.2026" and "impossible date" in unread["reason"]
    assert [(p.url, p.reason, p.kind) for p in problems] == [
        (URL, f"{unread['reason']}: 31.02.2026", "rejected")
    ]


def test_an_archive_from_before_the_columns_is_upgraded_and_counted_by_source(
    tmp_path: Path,
) -> None:
    import sqlite3

    from centrasia_crawler.archive.schema import MIGRATIONS, V11, migrate, schema_version

    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate_to = MIGRATIONS.index(V11)  # the version before these columns
    migrate(conn, upto=migrate_to)
    conn.execute(
        "INSERT INTO articles (st, url, title, published_at, published_date, body, source,"
        " content_hash, first_seen_at, last_fetched_at) VALUES"
        " (5, 'u', 'T', '2026-02-19T12:30:00+03:00', '2026-02-19', 'B', 'Кабар', 'h', 't', 't')"
    )
    conn.close()
    with Archive.open(path) as store:
        assert schema_version(store.conn) > migrate_to
        row = store.article(5)
        assert row is not None and row["outlet"] is None and row["sources"] is None
        indexed = [r[2] for r in store.conn.execute("PRAGMA index_info(articles_meta)")]
        assert "outlet" in indexed  # terms reads the outlet beside st from the index
        assert stats(store)["top_sources"] == [{"name": "Кабар", "articles": 1}]
