"""Item pipelines: one concern each.

- :class:`ValidatePipeline` drops an article missing ``st``, ``title``,
  ``published_at`` or ``body``, with the reason counted in crawler stats and in the
  run's row.
- :class:`ArchivePipeline` holds the archive's lock for the whole crawl, writes the
  articles, and the raw pages, listings and problems the spider reports through
  :mod:`centrasia_crawler.signals`, to the archive in batches (one transaction each),
  and records the run in ``crawl_runs``. It opens nothing until the spider's own
  ``start()`` asks for it: Scrapy's tools (shell, fetch, view, parse, check) never
  run that, so they never open the archive, take its lock or record a run.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DropItem
from scrapy.utils.asyncio import is_asyncio_available

from centrasia_crawler import signals as our_signals
from centrasia_crawler.archive import Archive, ArchiveVersionError, BatchResult, RawPage
from centrasia_crawler.health import Thresholds, assess
from centrasia_crawler.items import (
    ArchivedArticleItem,
    ArticleItem,
    Headline,
    ListingItem,
    ProblemItem,
)
from centrasia_crawler.lock import ArchiveLock, LockHeld

REQUIRED_ARTICLE_FIELDS = ("st", "title", "published_at", "body")
#: Batches handed to the writer thread and not yet written; past this the crawl waits.
MAX_PENDING_BATCHES = 2
#: The crawler stat that says, in one line, why the archive could not be used.
REFUSED_STAT = "centrasia/archive_refused"
#: Marks the log records of the run's verdict (``run failed: ...``), which
#: ``centrasia crawl`` prints in its own lines.
VERDICT = "centrasia_verdict"

T = TypeVar("T")


async def waited(future: Future[T]) -> T:
    """The result of a job handed to the writer thread, awaited: the reactor goes on
    downloading and parsing while the writer works (``future.result()`` would hold it)."""
    if is_asyncio_available():  # Scrapy's default reactor, or a plain asyncio loop
        return await asyncio.wrap_future(future)
    from twisted.internet import reactor
    from twisted.internet.defer import Deferred

    settled: Deferred[T] = Deferred()

    def settle(done: Future[T]) -> None:
        error = done.exception()
        if error is None:
            settled.callback(done.result())
        else:
            settled.errback(error)

    future.add_done_callback(lambda done: reactor.callFromThread(settle, done))
    return await settled


def missing_fields(item: Any) -> list[str]:
    """The required fields an article lacks (None or blank).

    >>> missing_fields(ArticleItem(st=1, url=None, title=" ", published_at="x", body=None))
    ['title', 'body']
    """
    adapter = ItemAdapter(item)
    missing = []
    for name in REQUIRED_ARTICLE_FIELDS:
        value = adapter.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(name)
    return missing


class ValidatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            missing = missing_fields(item)
            if missing:
                reason = "missing " + ", ".join(missing)
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value(f"centrasia/dropped/{reason}")
                raise DropItem(f"article st={item.st}: {reason}")
        return item


class ArchivePipeline:
    """Takes the archive's lock when the spider opens, buffers items and writes them in
    batches; owns the run's row in ``crawl_runs``.

    When the lock is held by another run, or the archive cannot be used, the spider is
    closed before anything is fetched (reasons ``archive_locked``, ``archive_unusable``;
    the one-line reason in the stat :data:`REFUSED_STAT`).

    Batches are written by one writer thread (SQLite and zstd release the GIL, so the
    writes overlap with the crawl), in the order they were handed over. The pipeline
    awaits the writer, as Scrapy expects of an asynchronous component, never blocks on
    it: while a batch is written the reactor keeps downloading. Back-pressure: when more
    than :data:`MAX_PENDING_BATCHES` batches wait, the next item or page waits (awaits)
    for the oldest to be written. A batch that failed raises where it is awaited.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.path = str(settings.get("CENTRASIA_ARCHIVE_PATH"))
        self.batch_size = settings.getint("CENTRASIA_BATCH_SIZE", 200)
        self.lock = ArchiveLock(self.path)
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.articles: list[Any] = []
        self.headlines: list[Headline] = []
        self.pages: list[RawPage] = []
        self.problems: list[dict[str, Any]] = []
        #: robots.txt's refusals since the last batch: stored with the next one.
        self.refusals: list[str] = []
        self.counters: Counter[str] = Counter()
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-writer")
        self.pending: deque[Future[BatchResult]] = deque()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        pipeline = cls(crawler)
        connect = crawler.signals.connect
        connect(pipeline.spider_closed, signal=signals.spider_closed)
        connect(pipeline.item_dropped, signal=signals.item_dropped)
        connect(pipeline.open_run, signal=our_signals.run_starting)
        connect(pipeline.page_read, signal=our_signals.page_read)
        connect(pipeline.listing_read, signal=our_signals.listing_read)
        connect(pipeline.problem_found, signal=our_signals.problem_found)
        return pipeline

    @property
    def stats(self) -> Any:
        return self.crawler.stats

    def refuse(self, reason: str, message: str) -> None:
        """Close the spider before anything is fetched, saying why in one line."""
        self.crawler.spider.logger.error("%s", message)  # type: ignore[union-attr]
        self.stats.set_value(REFUSED_STAT, message)
        raise CloseSpider(reason)

    async def open_run(self) -> None:
        """Take the lock, open the archive and record the run (the spider's ``start()``
        sends :data:`~centrasia_crawler.signals.run_starting`); :class:`CloseSpider`
        when that cannot be done."""
        if self.archive is not None:
            return
        try:
            self.lock.acquire()
        except LockHeld as exc:
            self.refuse("archive_locked", f"{exc}; not starting")
        except OSError as exc:
            self.refuse("archive_unusable", f"cannot use {self.path}: {exc.strerror or exc}")
        try:
            # Never a silent re-index from a cron job: a changed morphology is reported.
            self.archive = await waited(self.writer.submit(Archive.open, self.path, reindex=False))
        except (sqlite3.Error, OSError, ArchiveVersionError) as exc:
            self.lock.release()
            self.refuse("archive_unusable", f"cannot use {self.path} as an archive: {exc}")
        spider = self.crawler.spider
        self.run_id = await waited(
            self.writer.submit(
                self.archive.start_run,  # type: ignore[union-attr]
                getattr(spider, "mode", "unknown"),
                getattr(spider, "arguments", {}),
            )
        )
        self.stats.set_value("centrasia/run_id", self.run_id)
        self.crawler.signals.send_catch_log(signal=our_signals.archive_opened, run_id=self.run_id)

    async def process_item(self, item: Any) -> Any:
        if self.archive is None:  # not a crawl (scrapy parse --pipelines): nothing to keep
            return item
        if isinstance(item, ArchivedArticleItem):  # read from the archive for a feed
            self.stats.inc_value("centrasia/articles_from_archive")
        elif isinstance(item, ArticleItem):
            self.articles.append(item)
            self.hand_over_when_full()
            await self.keep_up()
        return item

    async def page_read(self, page: RawPage) -> None:
        """Every response the spider read, buffered for the next batch without waiting:
        the wait for a writer that is behind is in one place, :meth:`process_item`."""
        if self.archive is not None:
            self.pages.append(page)
            self.hand_over_when_full()

    def listing_read(self, listing: ListingItem) -> None:
        """A listing's headlines (sent right after the listing's ``page_read``)."""
        if self.archive is not None:
            self.headlines.extend(listing.headlines)
            self.hand_over_when_full()

    def problem_found(self, problem: ProblemItem) -> None:
        if self.archive is not None:
            self.record_problem(problem.url, problem.reason, problem.kind)

    def hand_over_when_full(self) -> None:
        if len(self.articles) + len(self.headlines) + len(self.pages) >= self.batch_size:
            self.hand_over()

    def record_problem(self, url: str, reason: str, kind: str) -> None:
        self.problems.append({"url": url, "reason": reason, "kind": kind})
        if kind == "robots":
            self.refusals.append(url)
        self.stats.inc_value(f"centrasia/problems/{kind}")
        if kind not in ("robots", "rejected"):  # the site's own refusals and mistakes
            self.counters["errors"] += 1

    def item_dropped(self, item: Any, response: Any, exception: BaseException) -> None:
        if self.archive is None:
            return
        self.counters["dropped_items"] += 1
        url = ItemAdapter(item).get("url") or ""
        self.problems.append({"url": url, "reason": str(exception), "kind": "dropped"})

    def hand_over(self) -> None:
        """Hand what is buffered to the writer as one batch (not waiting for it)."""
        if self.archive is not None and (
            self.articles or self.headlines or self.pages or self.refusals
        ):
            self.pending.append(
                self.writer.submit(
                    self.archive.write_batch,
                    self.articles,
                    self.headlines,
                    self.pages,
                    self.run_id,
                    run_counters=self.stat_counters(),
                    refusals=self.refusals,
                )
            )
            self.articles, self.headlines, self.pages, self.refusals = [], [], [], []

    async def keep_up(self, everything: bool = False) -> None:
        """Count the batches written; wait for the oldest while more than
        :data:`MAX_PENDING_BATCHES` are pending (all of them with ``everything``)."""
        while self.pending and (
            everything or self.pending[0].done() or len(self.pending) > MAX_PENDING_BATCHES
        ):
            self.count(await waited(self.pending.popleft()))

    async def flush(self) -> None:
        """Hand over what is buffered and wait until every batch is written."""
        self.hand_over()
        await self.keep_up(everything=True)

    def stat_counters(self) -> dict[str, int]:
        """The run's counters that Scrapy's stats hold, and those counted here."""
        stats = self.stats.get_stats()
        http_errors = sum(
            int(value)
            for name, value in stats.items()
            if name.startswith("downloader/response_status_count/") and name[-3:] >= "400"
        )
        return {
            "requests": int(stats.get("downloader/request_count", 0)),
            "retries": int(stats.get("retry/count", 0)),
            "http_errors": http_errors,
            "errors": self.counters["errors"],
            "dropped_items": self.counters["dropped_items"],
        }

    def count(self, result: BatchResult) -> None:
        for name, sts in (
            ("new_articles", result.new),
            ("changed_articles", result.changed),
            ("unchanged_articles", result.unchanged),
        ):
            self.counters[name] += len(sts)
            self.stats.inc_value(f"centrasia/{name}", len(sts))

    async def close_spider(self) -> None:
        await self.flush()

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        archive, run_id = self.archive, self.run_id
        if archive is None or run_id is None:  # refused: nothing was opened
            self.writer.shutdown()
            return
        await self.flush()
        for name, value in self.stat_counters().items():  # set (Counter.update would add)
            self.counters[name] = value
        failures = assess(
            reason,
            self.stats.get_stats(),
            self.problems,
            Thresholds.from_settings(self.crawler.settings),
        )
        for failure in failures:
            spider.logger.error("run failed: %s", failure, extra={VERDICT: True})
        self.stats.set_value("centrasia/outcome", "failed" if failures else "ok")
        await waited(
            self.writer.submit(
                archive.finish_run, run_id, reason, self.counters, self.problems, failures
            )
        )
        await waited(self.writer.submit(archive.close))
        self.writer.shutdown()
        self.archive = None
        self.lock.release()
