"""The pipelines and the skip middleware, on a crawler without a network."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy import signals as scrapy_signals
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from centrasia_crawler import signals
from centrasia_crawler.archive import Archive, RawPage
from centrasia_crawler.items import (
    ArchivedArticleItem,
    ArticleItem,
    Headline,
    ListingItem,
    ProblemItem,
)
from centrasia_crawler.middlewares import SkipArchivedMiddleware
from centrasia_crawler.pipelines import ArchivePipeline, ValidatePipeline
from centrasia_crawler.spiders.centrasia import CentrasiaSpider


def good(**changes: Any) -> ArticleItem:
    values: dict[str, Any] = {
        "st": 1771493400,
        "url": "https://centrasia.org/newsA.php?st=1771493400",
        "title": "Заголовок",
        "published_at": "2026-02-19T12:30:00+03:00",
        "body": "Текст.",
    }
    return ArticleItem(**(values | changes))


def crawler_for(tmp_path: Path, **settings: Any) -> Any:
    crawler = get_crawler(
        CentrasiaSpider,
        {"CENTRASIA_ARCHIVE_PATH": str(tmp_path / "a.sqlite"), "CENTRASIA_BATCH_SIZE": 2}
        | settings,
    )
    crawler.spider = crawler._create_spider()
    crawler.stats.open_spider()
    return crawler


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"st": None}, "missing st"),
        ({"title": "  "}, "missing title"),
        ({"published_at": None}, "missing published_at"),
        ({"body": ""}, "missing body"),
        ({"title": None, "body": None}, "missing title, body"),
    ],
)
def test_incomplete_articles_are_dropped_with_a_counted_reason(
    tmp_path: Path, changes: dict[str, Any], reason: str
) -> None:
    crawler = crawler_for(tmp_path)
    pipeline = ValidatePipeline.from_crawler(crawler)
    with pytest.raises(DropItem, match=reason):
        pipeline.process_item(good(**changes))
    assert crawler.stats.get_value(f"centrasia/dropped/{reason}") == 1
    assert pipeline.process_item(good()) == good()


def test_archive_pipeline_writes_in_batches_and_records_the_run(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path)
    pipeline = ArchivePipeline.from_crawler(crawler)
    crawler.signals.send_catch_log(signal=signals.run_starting)
    pipeline.process_item(good())
    with Archive.open(tmp_path / "a.sqlite", readonly=True) as reader:
        assert reader.table_count("articles") == 0  # buffered: one item, batches of two
    headline = Headline(
        1771493400, "2026-02-19", "2026-02-19T12:30:00+03:00", "Заголовок", None, "u"
    )
    crawler.signals.send_catch_log(
        signal=signals.listing_read, listing=ListingItem("u", [headline])
    )
    # A full batch goes to the writer by itself: it lands without a flush.
    deadline = time.monotonic() + 30
    with Archive.open(tmp_path / "a.sqlite", readonly=True) as reader:
        while reader.table_count("articles") == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert reader.table_count("articles") == 1 and reader.table_count("listings") == 1
    page = RawPage("u", 200, {}, b"<html></html>", "t", from_cache=True)
    crawler.signals.send_catch_log(signal=signals.page_read, page=page)
    problem = ProblemItem("http://x/newsA.php?st=2", "HTTP 500", "fetch")
    crawler.signals.send_catch_log(signal=signals.problem_found, problem=problem)
    # An article read from the archive for a feed is not written again.
    pipeline.process_item(ArchivedArticleItem(**{**vars(good()), "st": 7}))
    pipeline.item_dropped(good(title=None), None, DropItem("article st=1: missing title"))
    pipeline.close_spider()
    pipeline.spider_closed(crawler.spider, "finished")
    with Archive.open(tmp_path / "a.sqlite", readonly=True) as reader:
        run = reader.last_run()
        assert reader.table_count("pages") == 1 and reader.table_count("articles") == 1
        stored = reader.page_body("u")
    assert stored is not None and stored.from_cache
    assert run is not None
    assert run["finish_reason"] == "finished" and run["mode"] == "incremental"
    assert (run["new_articles"], run["errors"], run["dropped_items"]) == (1, 1, 1)
    assert {p["reason"] for p in run["problems"]} == {"HTTP 500", "article st=1: missing title"}


def test_skip_middleware_drops_archived_articles_but_not_refreshes(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "a.sqlite") as store:
        store.write_batch([good()])
    crawler = crawler_for(tmp_path)
    middleware = SkipArchivedMiddleware.from_crawler(crawler)
    crawler.signals.send_catch_log(signal=signals.archive_opened, run_id=1)
    known = Request("http://x/newsA.php?st=1771493400", meta={"article_st": 1771493400})
    unknown = Request("http://x/newsA.php?st=5", meta={"article_st": 5})
    refresh = Request(known.url, meta={"article_st": 1771493400, "refresh": True})
    other = Request("http://x/")
    out = list(middleware.process_spider_output(None, [known, unknown, refresh, other]))
    crawler.signals.send_catch_log(signal=scrapy_signals.spider_closed)  # closes its reader
    assert middleware.archive is None
    assert out == [unknown, refresh, other]
    assert crawler.stats.get_value("centrasia/skipped_archived") == 1


def test_a_backfill_gets_archived_articles_from_the_archive_once(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "a.sqlite") as store:
        store.write_batch([good()])
    crawler = get_crawler(CentrasiaSpider, {"CENTRASIA_ARCHIVE_PATH": str(tmp_path / "a.sqlite")})
    crawler.spider = crawler._create_spider(since="2026-01-01")
    crawler.stats.open_spider()
    middleware = SkipArchivedMiddleware.from_crawler(crawler)
    crawler.signals.send_catch_log(signal=signals.archive_opened, run_id=1)
    known = Request("http://x/newsA.php?st=1771493400", meta={"article_st": 1771493400})
    unknown = Request("http://x/newsA.php?st=5", meta={"article_st": 5})
    out = list(middleware.process_spider_output(None, [known, unknown, known, unknown]))
    crawler.signals.send_catch_log(signal=scrapy_signals.spider_closed)  # closes its reader
    assert out[1:] == [unknown]
    assert isinstance(out[0], ArchivedArticleItem)
    assert vars(out[0]) == vars(good()) | {"time_mismatch": False}


def test_nothing_is_opened_until_the_crawl_starts(tmp_path: Path) -> None:
    """Scrapy's tools (shell, fetch, parse, check) never run the spider's start()."""
    crawler = crawler_for(tmp_path)
    pipeline = ArchivePipeline.from_crawler(crawler)
    middleware = SkipArchivedMiddleware.from_crawler(crawler)
    request = Request("http://x/newsA.php?st=5", meta={"article_st": 5})
    assert list(middleware.process_spider_output(None, [request])) == [request]
    assert pipeline.process_item(good()) == good()
    problem = ProblemItem("http://x/", "HTTP 500", "fetch")
    crawler.signals.send_catch_log(signal=signals.problem_found, problem=problem)
    pipeline.close_spider()
    pipeline.spider_closed(crawler.spider, "finished")
    assert list(tmp_path.iterdir()) == []
