"""The archive pipeline, the run's bookkeeping (the CrawlRun extension) and the skip
middleware, on a crawler without a network."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import subprocess
import sys
import threading
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
from centrasia_crawler.extensions import CrawlRun
from centrasia_crawler.items import (
    ArchivedArticleItem,
    ArticleItem,
    Headline,
    ListingItem,
    ProblemItem,
)
from centrasia_crawler.middlewares import SkipArchivedMiddleware
from centrasia_crawler.pipelines import MAX_PENDING_BATCHES, ArchivePipeline
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


async def opened(tmp_path: Path, **settings: Any) -> tuple[Any, CrawlRun, ArchivePipeline]:
    """A crawler whose run is open, with the run's bookkeeping and the archive pipeline."""
    crawler = crawler_for(tmp_path, **settings)
    run = CrawlRun.from_crawler(crawler)
    pipeline = ArchivePipeline.from_crawler(crawler)
    await crawler.signals.send_catch_log_async(signal=signals.run_starting)
    return crawler, run, pipeline


async def closed(crawler: Any, run: CrawlRun, pipeline: ArchivePipeline, reason: str) -> None:
    """As Scrapy closes a spider: the item pipelines first, then ``spider_closed``."""
    await pipeline.close_spider()
    await run.spider_closed(crawler.spider, reason)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"st": None}, "missing st"),
        ({"url": None}, "missing url"),
        ({"title": "  "}, "missing title"),
        ({"published_at": None}, "missing published_at"),
        ({"body": ""}, "missing body"),
        ({"title": None, "body": None}, "missing title, body"),
        ({"st": "soon"}, "st is not a whole number: 'soon'"),
    ],
)
def test_incomplete_articles_are_dropped_with_a_counted_reason(
    tmp_path: Path, changes: dict[str, Any], reason: str
) -> None:
    asyncio.run(incomplete_articles_are_dropped(tmp_path, changes, reason))


async def incomplete_articles_are_dropped(
    tmp_path: Path, changes: dict[str, Any], reason: str
) -> None:
    crawler, run, pipeline = await opened(tmp_path)
    with pytest.raises(DropItem, match=re.escape(reason)):
        await pipeline.process_item(good(**changes))
    assert crawler.stats.get_value(f"centrasia/dropped/{reason}") == 1
    assert await pipeline.process_item(good()) == good()
    await closed(crawler, run, pipeline, "finished")


def test_an_item_without_url_is_skipped_and_its_199_neighbours_stored(tmp_path: Path) -> None:
    asyncio.run(item_without_url_amid_a_batch(tmp_path))


async def item_without_url_amid_a_batch(tmp_path: Path) -> None:
    crawler, run, pipeline = await opened(tmp_path, CENTRASIA_BATCH_SIZE=200)
    first = 1771000000
    sts = [first + 60 * n for n in range(200)]
    bad = sts[117]
    for st in sts:
        item = good(st=st, url=None if st == bad else f"https://centrasia.org/newsA.php?st={st}")
        try:
            await pipeline.process_item(item)
        except DropItem as exc:  # as Scrapy's scraper would: the item_dropped signal
            await crawler.signals.send_catch_log_async(
                signal=scrapy_signals.item_dropped,
                item=item,
                response=None,
                exception=exc,
                spider=crawler.spider,
            )
    crawler.stats.set_value("centrasia/index_headlines", 60)  # a run that read its index
    await closed(crawler, run, pipeline, "finished")
    db = sqlite3.connect(tmp_path / "a.sqlite")
    stored = [st for (st,) in db.execute("SELECT st FROM articles ORDER BY st")]
    recorded = json.loads(db.execute("SELECT problems FROM crawl_runs").fetchone()[0])
    outcome, dropped = db.execute("SELECT outcome, dropped_items FROM crawl_runs").fetchone()
    db.close()
    assert stored == [st for st in sts if st != bad]
    assert [p for p in recorded if p["kind"] == "dropped"] == [
        {"url": "", "reason": f"article st={bad}: missing url", "kind": "dropped"}
    ]
    assert (outcome, dropped) == ("ok", 1)  # dropped on purpose: counted, not a failure


def test_archive_pipeline_writes_in_batches_and_records_the_run(tmp_path: Path) -> None:
    asyncio.run(writes_in_batches_and_records_the_run(tmp_path))


async def writes_in_batches_and_records_the_run(tmp_path: Path) -> None:
    crawler, run, pipeline = await opened(tmp_path)
    await pipeline.process_item(good())
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
    await crawler.signals.send_catch_log_async(signal=signals.page_read, page=page)
    problem = ProblemItem("http://x/newsA.php?st=2", "HTTP 500", "fetch")
    crawler.signals.send_catch_log(signal=signals.problem_found, problem=problem)
    # An article read from the archive for a feed is not written again.
    await pipeline.process_item(ArchivedArticleItem(**{**vars(good()), "st": 7}))
    run.item_dropped(good(title=None), DropItem("article st=1: missing title"))
    await closed(crawler, run, pipeline, "finished")
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
    asyncio.run(nothing_is_opened_until_the_crawl_starts(tmp_path))


async def nothing_is_opened_until_the_crawl_starts(tmp_path: Path) -> None:
    crawler = crawler_for(tmp_path)
    run = CrawlRun.from_crawler(crawler)
    pipeline = ArchivePipeline.from_crawler(crawler)
    middleware = SkipArchivedMiddleware.from_crawler(crawler)
    request = Request("http://x/newsA.php?st=5", meta={"article_st": 5})
    assert list(middleware.process_spider_output(None, [request])) == [request]
    assert await pipeline.process_item(good()) == good()
    problem = ProblemItem("http://x/", "HTTP 500", "fetch")
    crawler.signals.send_catch_log(signal=signals.problem_found, problem=problem)
    await closed(crawler, run, pipeline, "finished")
    assert list(tmp_path.iterdir()) == []


def test_the_crawl_goes_on_while_the_writer_is_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pipeline awaits its writer thread: an item that must wait for a slow batch
    (more than MAX_PENDING_BATCHES pending) leaves the event loop free meanwhile, and
    the batches land in the order they were handed over."""
    asyncio.run(crawl_goes_on_while_the_writer_is_behind(tmp_path, monkeypatch))


async def crawl_goes_on_while_the_writer_is_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crawler, run, pipeline = await opened(tmp_path)  # batches of two
    assert pipeline.session is not None and pipeline.session.archive is not None
    archive = pipeline.session.archive
    write, release, written = archive.write_batch, threading.Event(), []

    def slow_write(articles: list[Any], *args: Any, **kwargs: Any) -> Any:
        release.wait(timeout=20)  # held until the test lets it go
        written.append([a.st for a in articles])
        return write(articles, *args, **kwargs)

    monkeypatch.setattr(archive, "write_batch", slow_write)
    held = 2 * (MAX_PENDING_BATCHES + 1) - 1
    for st in range(1, held + 1):  # the writer can fall this far behind without a wait
        assert await pipeline.process_item(good(st=st)) == good(st=st)
    waiting = asyncio.ensure_future(pipeline.process_item(good(st=held + 1)))
    served = asyncio.Event()
    asyncio.get_running_loop().call_soon(served.set)  # scheduled after the item's first step
    await served.wait()
    assert written == [] and not waiting.done()  # the loop ran while the batch was unwritten
    release.set()
    assert await waiting == good(st=held + 1)
    await closed(crawler, run, pipeline, "finished")
    assert written == [[2 * n + 1, 2 * n + 2] for n in range(MAX_PENDING_BATCHES + 1)]
    with Archive.open(tmp_path / "a.sqlite", readonly=True) as reader:
        assert reader.table_count("articles") == held + 1
        run = reader.last_run()
    assert run is not None and run["new_articles"] == held + 1


def test_the_writer_is_awaited_under_a_reactor_without_asyncio() -> None:
    """With another Twisted reactor (TWISTED_REACTOR set so), the wait is a Deferred
    fired from the reactor's thread: results and errors come through alike."""
    script = """
from concurrent.futures import ThreadPoolExecutor
from twisted.internet import selectreactor
selectreactor.install()
from twisted.internet import defer, task
from centrasia_crawler.pipelines import waited

async def both():
    with ThreadPoolExecutor(max_workers=1) as pool:
        value = await waited(pool.submit(lambda: 42))
        try:
            await waited(pool.submit(lambda: 1 / 0))
        except ZeroDivisionError:
            print(value, "and the error")

task.react(lambda reactor: defer.Deferred.fromCoroutine(both()))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout) == (0, "42 and the error\n"), done.stderr
