"""The archive pipeline: it validates articles and stores them, nothing else.

:class:`ArchivePipeline` checks each article against :mod:`centrasia_crawler.fields`
(an article that cannot be stored is dropped with its reason, counted, and recorded as
a problem of the run, never written into a batch where it would undo its neighbours),
then writes the articles, and the raw pages and listings the spider reports through
:mod:`centrasia_crawler.signals`, to the archive in batches (one transaction each).
A batch is handed to the writer when it holds ``CENTRASIA_BATCH_SIZE`` items, or when
its oldest item has waited ``CENTRASIA_COMMIT_SECONDS`` (checked at every item and
four times in that span, so nothing waits longer than it for a slow site): a killed
crawl loses at most that many seconds of fetches, and each batch brings the run's row
in ``crawl_runs`` (its requests so far) up to date.

The run itself (the archive's lock, its row in ``crawl_runs``, its problems, its
verdict) is kept by the extension :class:`centrasia_crawler.extensions.CrawlRun`, which
opens the archive and hands this pipeline the :class:`ArchiveSession` to write through.
A crawl whose ``ITEM_PIPELINES`` leave this pipeline out archives nothing, and says so.

A batch that cannot be written (a full disk, a read-only file, a damaged archive)
stops the crawl (finish reason ``storage_error``): what it could not store is counted
in the stats (:data:`NOT_STORED_STAT`), its cause in one line (:data:`STORAGE_STAT`).
"""

from __future__ import annotations

import asyncio
import errno
import sqlite3
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.asyncio import is_asyncio_available
from twisted.internet import task

from centrasia_crawler import signals as our_signals
from centrasia_crawler.archive import Archive, BatchResult, RawPage
from centrasia_crawler.fields import item_problems
from centrasia_crawler.items import ArchivedArticleItem, ArticleItem, Headline, ListingItem

#: Batches handed to the writer thread and not yet written; past this the crawl waits.
MAX_PENDING_BATCHES = 2
#: The crawler stat holding, in one line, why the archive could not store a batch.
STORAGE_STAT = "centrasia/storage_error"
#: The crawler stat counting the fetched articles the archive could not store.
NOT_STORED_STAT = "centrasia/articles_not_stored"
#: Marks the log records of the run's verdict (``run failed: ...``, and why the archive
#: could not store the crawl), which ``centrasia crawl`` prints in its own lines.
VERDICT = "centrasia_verdict"
#: The finish reason of a crawl stopped because its batches could not be stored.
STORAGE_REASON = "storage_error"

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


class ArchiveSession:
    """The open archive of a run and the one thread that writes to it (SQLite and zstd
    release the GIL, so the writes overlap with the crawl), shared by the run's
    bookkeeping and the archive pipeline: every write goes through :meth:`call`, in the
    order it was asked for."""

    def __init__(self, archive: Archive | None = None) -> None:
        self.archive = archive
        self.run_id: int | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-writer")

    def submit(self, job: Any, *args: Any, **kwargs: Any) -> Future[Any]:
        return self.executor.submit(job, *args, **kwargs)

    async def call(self, job: Any, *args: Any, **kwargs: Any) -> Any:
        return await waited(self.submit(job, *args, **kwargs))

    def shutdown(self) -> None:
        self.executor.shutdown()


def storage_cause(error: BaseException) -> str:
    """One line naming why the archive could not store a batch.

    >>> storage_cause(sqlite3.OperationalError("database or disk is full"))
    'disk full'
    >>> storage_cause(sqlite3.OperationalError("attempt to write a readonly database"))
    'OperationalError: attempt to write a readonly database'
    """
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if getattr(error, "errno", None) == errno.ENOSPC or (
        isinstance(error, sqlite3.Error) and "full" in text
    ):
        return "disk full"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def run_counters(stats: dict[str, Any]) -> dict[str, int]:
    """The run's counters as the crawl's stats hold them (see ``crawl_runs``)."""
    http_errors = sum(
        int(value)
        for name, value in stats.items()
        if name.startswith("downloader/response_status_count/") and name[-3:] >= "400"
    )
    return {
        "requests": int(stats.get("downloader/request_count", 0)),
        "retries": int(stats.get("retry/count", 0)),
        "http_errors": http_errors,
        "errors": int(stats.get("centrasia/errors", 0)),
        "dropped_items": int(stats.get("centrasia/problems/dropped", 0)),
        "new_articles": int(stats.get("centrasia/new_articles", 0)),
        "changed_articles": int(stats.get("centrasia/changed_articles", 0)),
        "unchanged_articles": int(stats.get("centrasia/unchanged_articles", 0)),
    }


class ArchivePipeline:
    """Validates each article, buffers it and writes it in batches.

    It writes only while a crawl's run is open (the session arrives with
    :data:`~centrasia_crawler.signals.archive_opened`); under Scrapy's tools (``scrapy
    parse --pipelines``) items pass untouched. The pipeline awaits the writer, as Scrapy
    expects of an asynchronous component, never blocks on it: while a batch is written
    the reactor keeps downloading. Back-pressure: when more than
    :data:`MAX_PENDING_BATCHES` batches wait, the next item waits (awaits) for the
    oldest to be written.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.batch_size = crawler.settings.getint("CENTRASIA_BATCH_SIZE", 200)
        self.commit_seconds = crawler.settings.getfloat("CENTRASIA_COMMIT_SECONDS", 10)
        #: When the oldest item of the buffer came (monotonic), None when it is empty.
        self.buffered_since: float | None = None
        self.timer: task.LoopingCall | None = None
        self.session: ArchiveSession | None = None
        self.articles: list[Any] = []
        self.headlines: list[Headline] = []
        self.pages: list[RawPage] = []
        #: robots.txt's refusals since the last batch: stored with the next one.
        self.refusals: list[str] = []
        #: The batches handed over and not yet counted, with their number of articles.
        self.pending: deque[tuple[Future[BatchResult], int]] = deque()
        #: Why the archive could not store a batch; after that, nothing is written.
        self.failed: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        pipeline = cls(crawler)
        connect = crawler.signals.connect
        connect(pipeline.archive_opened, signal=our_signals.archive_opened)
        connect(pipeline.page_read, signal=our_signals.page_read)
        connect(pipeline.listing_read, signal=our_signals.listing_read)
        connect(pipeline.problem_found, signal=our_signals.problem_found)
        return pipeline

    @property
    def stats(self) -> Any:
        return self.crawler.stats

    @property
    def writing(self) -> bool:
        return self.session is not None and self.failed is None

    def archive_opened(self, session: ArchiveSession) -> None:
        self.session = session
        if self.commit_seconds > 0:
            self.timer = task.LoopingCall(self.hand_over_when_due)
            self.timer.start(self.commit_seconds / 4, now=False)

    async def process_item(self, item: Any) -> Any:
        if self.session is None:  # not a crawl (scrapy parse --pipelines): nothing to keep
            return item
        if isinstance(item, ArchivedArticleItem):  # read from the archive for a feed
            self.stats.inc_value("centrasia/articles_from_archive")
        elif isinstance(item, ArticleItem):
            problems = item_problems(item)
            if problems:
                st = getattr(item, "st", None)
                reason = "; ".join(problems)
                self.stats.inc_value(f"centrasia/dropped/{reason}")
                raise DropItem(f"article st={st}: {reason}")
            if not self.writing:
                self.stats.inc_value(NOT_STORED_STAT)
                return item
            self.articles.append(item)
            self.hand_over_when_full()
            await self.keep_up()
        return item

    async def page_read(self, page: RawPage) -> None:
        """Every response the spider read, buffered for the next batch without waiting:
        the wait for a writer that is behind is in one place, :meth:`process_item`."""
        if self.writing:
            self.pages.append(page)
            self.hand_over_when_full()

    def listing_read(self, listing: ListingItem) -> None:
        """A listing's headlines (sent right after the listing's ``page_read``)."""
        if self.writing:
            self.headlines.extend(listing.headlines)
            self.hand_over_when_full()

    def problem_found(self, problem: Any) -> None:
        """A refusal by robots.txt is stored with the next batch."""
        if self.writing and problem.kind == "robots":
            self.refusals.append(problem.url)

    def hand_over_when_full(self) -> None:
        """Hand the buffer over when it is full, or its oldest item has waited long enough."""
        if self.buffered_since is None:
            self.buffered_since = time.monotonic()
        if len(self.articles) + len(self.headlines) + len(self.pages) >= self.batch_size:
            self.hand_over()
        else:
            self.hand_over_when_due()

    def hand_over_when_due(self) -> None:
        """Hand the buffer over when its oldest item has waited ``CENTRASIA_COMMIT_SECONDS``
        less one check's interval (so nothing waits longer than those seconds)."""
        since = self.buffered_since
        if since is None or self.commit_seconds <= 0:
            return
        if time.monotonic() - since >= self.commit_seconds * 3 / 4:
            self.hand_over()

    def hand_over(self) -> None:
        """Hand what is buffered to the writer as one batch (not waiting for it)."""
        session = self.session
        if session is None or session.archive is None or not self.writing:
            return
        if self.articles or self.headlines or self.pages or self.refusals:
            future = session.submit(
                session.archive.write_batch,
                self.articles,
                self.headlines,
                self.pages,
                session.run_id,
                run_counters=run_counters(self.stats.get_stats()),
                refusals=self.refusals,
            )
            self.pending.append((future, len(self.articles)))
            self.articles, self.headlines, self.pages, self.refusals = [], [], [], []
        self.buffered_since = None

    async def keep_up(self, everything: bool = False) -> None:
        """Count the batches written; wait for the oldest while more than
        :data:`MAX_PENDING_BATCHES` are pending (all of them with ``everything``). A
        batch that could not be written stops the crawl (:meth:`storage_failed`)."""
        while self.pending and (
            everything or self.pending[0][0].done() or len(self.pending) > MAX_PENDING_BATCHES
        ):
            future, articles = self.pending.popleft()
            try:
                self.count(await waited(future))
            except Exception as exc:  # whatever the writer met, the crawl stops here
                self.storage_failed(exc, articles)

    def storage_failed(self, error: BaseException, articles: int) -> None:
        """A batch was not stored: count its articles, and stop the crawl the first time."""
        self.stats.inc_value(NOT_STORED_STAT, articles)
        if self.failed is not None:
            return
        self.failed = storage_cause(error)
        self.stats.set_value(STORAGE_STAT, self.failed)
        unstored = len(self.articles)  # buffered, never to be written
        self.articles, self.headlines, self.pages, self.refusals = [], [], [], []
        self.stats.inc_value(NOT_STORED_STAT, unstored)
        spider = self.crawler.spider
        assert spider is not None
        spider.logger.error(
            "the archive cannot store the crawl: %s; stopping", self.failed, extra={VERDICT: True}
        )
        from scrapy.utils.defer import deferred_from_coro

        assert self.crawler.engine is not None
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=STORAGE_REASON))
        self.crawler.signals.send_catch_log(signal=our_signals.storage_failed, cause=self.failed)

    async def flush(self) -> None:
        """Hand over what is buffered and wait until every batch is written."""
        self.hand_over()
        await self.keep_up(everything=True)

    def count(self, result: BatchResult) -> None:
        for name, sts in (
            ("new_articles", result.new),
            ("changed_articles", result.changed),
            ("unchanged_articles", result.unchanged),
        ):
            self.stats.inc_value(f"centrasia/{name}", len(sts))

    async def close_spider(self) -> None:
        """Everything buffered written before the run is closed (Scrapy closes the item
        pipelines before it sends ``spider_closed``, where the run ends)."""
        if self.timer is not None and self.timer.running:
            self.timer.stop()
        await self.flush()
