"""The pipelines and the skip middleware, on a crawler without a network."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from centrasia_crawler.archive import Archive
from centrasia_crawler.items import ArticleItem, Headline, ListingItem, PageItem, ProblemItem
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
    pipeline.open_spider()
    pipeline.process_item(good())
    with Archive.open(tmp_path / "a.sqlite", readonly=True) as reader:
        assert reader.table_count("articles") == 0  # buffered: one item, batches of two
    headline = Headline(
        1771493400, "2026-02-19", "2026-02-19T12:30:00+03:00", "Заголовок", None, "u"
    )
    pipeline.process_item(ListingItem("u", [headline]))
    # A full batch goes to the writer by itself: it lands without a flush.
    deadline = time.monotonic() + 30
    with Archive.open(tmp_path / "a.sqlite", readonly=True) as reader:
        while reader.table_count("articles") == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert reader.table_count("articles") == 1 and reader.table_count("listings") == 1
    pipeline.process_item(PageItem("u", 200, {}, b"<html></html>", "t"))
    pipeline.process_item(ProblemItem("http://x/newsA.php?st=2", "HTTP 500", "fetch"))
    pipeline.item_dropped(good(title=None), None, DropItem("article st=1: missing title"))
    pipeline.close_spider()
    pipeline.spider_closed(crawler.spider, "finished")
    with Archive.open(tmp_path / "a.sqlite", readonly=True) as reader:
        run = reader.last_run()
        assert reader.table_count("pages") == 1
    assert run is not None
    assert run["finish_reason"] == "finished" and run["mode"] == "incremental"
    assert (run["new_articles"], run["errors"], run["dropped_items"]) == (1, 1, 1)
    assert {p["reason"] for p in run["problems"]} == {"HTTP 500", "article st=1: missing title"}


def test_skip_middleware_drops_archived_articles_but_not_refreshes(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "a.sqlite") as store:
        store.write_batch([good()])
    crawler = crawler_for(tmp_path)
    middleware = SkipArchivedMiddleware.from_crawler(crawler)
    known = Request("http://x/newsA.php?st=1771493400", meta={"article_st": 1771493400})
    unknown = Request("http://x/newsA.php?st=5", meta={"article_st": 5})
    refresh = Request(known.url, meta={"article_st": 1771493400, "refresh": True})
    other = Request("http://x/")
    out = list(middleware.process_spider_output(None, [known, unknown, refresh, other]))
    assert out == [unknown, refresh, other]
    assert crawler.stats.get_value("centrasia/skipped_archived") == 1
