"""Extensions: progress lines, and the JOBDIR kept resumable.

- :class:`Progress`: progress in the log at a steady interval
  (CENTRASIA_PROGRESS_INTERVAL seconds). A line says days done of days in range
  (backfills), articles archived, pages per minute and, when the range is known, an
  estimate of the time left. Plain log lines: they read the same under cron as on a
  terminal.
- :class:`JobGuard`: with ``JOBDIR``, takes it before Scrapy reads it
  (:mod:`centrasia_crawler.jobdir`): a JOBDIR left by a killed run is cleared and the
  crawl goes on; one that cannot be resumed stops the crawl before anything is
  fetched, its one-line reason in the stat :data:`JOBDIR_REFUSED_STAT`.
- :class:`CrawlRun`: the run's bookkeeping. It takes the archive's lock, opens the
  archive and records the run in ``crawl_runs`` when the spider's own ``start()`` asks
  for it; it collects the run's problems and failures (a callback's or a pipeline's
  exception, an article that could not be stored) and ends the run ``ok``,
  ``stopped`` (a ``CLOSESPIDER_*`` limit reached, as asked) or ``failed``, its verdict
  in the stat :data:`OUTCOME_STAT`, from which ``scrapy crawl`` takes its exit status
  (:mod:`centrasia_crawler.commands.crawl`) and ``centrasia crawl`` its own. Scrapy's
  tools (shell, fetch, view, parse, check) never run ``start()``, so they never open
  the archive, take its lock or record a run. It keeps ``CENTRASIA_MIN_FREE_BYTES``
  free on the archive's file system: a crawl below that floor does not start (refused
  in one line, like an unusable archive), and one that crosses it stops, failed, its
  reason naming the free space (checked at every response, and every
  :data:`FREE_SPACE_CHECK_SECONDS`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
import traceback
from collections import Counter
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from twisted.internet import task

from centrasia_crawler import jobdir
from centrasia_crawler import signals as our_signals
from centrasia_crawler.archive import Archive, ArchiveVersionError
from centrasia_crawler.health import (
    ARTICLE_URLS_STAT,
    FREE_SPACE_REASON,
    STOPPED_ON_REQUEST,
    URLS_STAT,
    Thresholds,
    assess,
)
from centrasia_crawler.lock import ArchiveLock, LockHeld
from centrasia_crawler.pipelines import (
    NOT_STORED_STAT,
    STORAGE_REASON,
    STORAGE_STAT,
    VERDICT,
    ArchivePipeline,
    ArchiveSession,
    run_counters,
)

logger = logging.getLogger("centrasia.progress")
#: The crawler stat that says, in one line, why the JOBDIR was refused (and its status).
JOBDIR_REFUSED_STAT = "centrasia/jobdir_refused"
JOBDIR_STATUS_STAT = "centrasia/jobdir_refused_status"
#: The crawler stat naming the JOBDIR when this run carries on where its last one stopped.
JOBDIR_RESUMED_STAT = "centrasia/jobdir_resumed"
#: The crawler stat that says, in one line, why the archive could not be used.
REFUSED_STAT = "centrasia/archive_refused"
#: The crawler stat counting the article pages fetched (status 200).
ARTICLES_FETCHED_STAT = "centrasia/article_pages_fetched"
#: The crawler stat holding the run's verdict: ``ok``, ``stopped`` or ``failed``.
OUTCOME_STAT = "centrasia/outcome"
#: Seconds between two checks of the free space beside the archive during a crawl.
FREE_SPACE_CHECK_SECONDS = 1.0
#: The default of CENTRASIA_MIN_FREE_BYTES (deploy/prometheus's CentrasiaDiskLow too).
MIN_FREE_BYTES = 500_000_000
#: The room the run keeps in its lock file and gives back just before it records its
#: end: the dozen pages of that record, on a disk something else filled meanwhile.
END_RESERVE_BYTES = 48 * 1024


def free_bytes(path: str) -> int:
    """The bytes free for an unprivileged writer on the file system of the archive
    ``path`` (its directory: the archive may not exist yet); OSError when the
    directory does not exist."""
    status = os.statvfs(os.path.dirname(os.path.abspath(path)))
    return status.f_bavail * status.f_frsize


def megabytes(count: int) -> str:
    """
    >>> megabytes(500_000_000), megabytes(1_234_567)
    ('500 MB', '1.2 MB')
    """
    return f"{count / 1e6:.0f} MB" if count >= 10e6 else f"{count / 1e6:.1f} MB"


def progress_line(stats: dict[str, Any], elapsed: float) -> str:
    """One line of progress from the crawl's stats.

    >>> progress_line({"centrasia/backfill/days_in_range": 40, "centrasia/backfill/days_done": 10,
    ...                "centrasia/new_articles": 500, "response_received_count": 520}, 60.0)
    'progress: 10/40 days, 500 articles archived, 520 pages/min, about 3 min left'
    """
    pages = int(stats.get("response_received_count", 0))
    per_minute = pages / elapsed * 60 if elapsed > 0 else 0.0
    parts = []
    total = stats.get("centrasia/backfill/days_in_range")
    done = int(stats.get("centrasia/backfill/days_done", 0))
    if total:
        parts.append(f"{done}/{total} days")
    parts.append(f"{int(stats.get('centrasia/new_articles', 0))} articles archived")
    parts.append(f"{per_minute:.0f} pages/min")
    if total and done:
        left = elapsed / done * (int(total) - done)
        parts.append(
            f"about {left / 60:.0f} min left" if left >= 60 else f"about {left:.0f} s left"
        )
    return "progress: " + ", ".join(parts)


class Progress:
    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.started = 0.0
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = crawler.settings.getfloat("CENTRASIA_PROGRESS_INTERVAL", 60)
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.log)
        self.loop.start(self.interval, now=False)

    def log(self) -> None:
        assert self.crawler.stats is not None
        logger.info(progress_line(self.crawler.stats.get_stats(), time.monotonic() - self.started))

    def closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()


class JobGuard:
    """Takes the JOBDIR for this run (see :mod:`centrasia_crawler.jobdir`).

    Built before Scrapy's SpiderState and scheduler (a priority below theirs in
    EXTENSIONS), so a killed run's files are cleared before anything reads them, and a
    refused JOBDIR is taken out of the settings: nothing of it is read or written.
    """

    def __init__(self, crawler: Crawler, job: jobdir.Job | None, refused: str | None) -> None:
        self.crawler = crawler
        self.job = job
        self.refused = refused

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JobGuard:
        path = crawler.settings.get("JOBDIR")
        if not path:
            raise NotConfigured
        spider = crawler.spider
        arguments = {"spider": getattr(spider, "name", "?")}
        arguments |= dict(getattr(spider, "arguments", {}))
        log = logging.getLogger("centrasia.jobdir")
        assert crawler.stats is not None
        try:
            job = jobdir.take(str(path), arguments)
        except jobdir.JobdirRefused as exc:
            crawler.settings.set("JOBDIR", None, priority="cmdline")
            crawler.stats.set_value(JOBDIR_REFUSED_STAT, str(exc))
            crawler.stats.set_value(JOBDIR_STATUS_STAT, exc.exit_status)
            log.error("%s", exc)
            guard = cls(crawler, None, str(exc))
            crawler.signals.connect(guard.refuse, signal=signals.spider_opened)
            return guard
        if job.cleared:
            log.warning("%s", job.cleared)
            crawler.stats.set_value("centrasia/jobdir_cleared", job.cleared)
        if job.resumed:
            crawler.stats.set_value(JOBDIR_RESUMED_STAT, str(path))
        guard = cls(crawler, job, None)
        # After the spider closed: Scrapy has written its queue and the spider's state.
        crawler.signals.connect(guard.stopped, signal=signals.engine_stopped)
        return guard

    def refuse(self) -> None:
        raise CloseSpider("jobdir_refused")

    def stopped(self) -> None:
        if self.job is None:
            return
        if self.crawler.stats.get_value(REFUSED_STAT):  # the archive refused the run
            self.job.forget()
        else:
            self.job.release()


class CrawlRun:
    """The run's bookkeeping: the archive's lock, its row in ``crawl_runs``, its
    problems and its verdict (see the module's documentation).

    When the lock is held by another run, or the archive cannot be used, the spider is
    closed before anything is fetched (reasons ``archive_locked``, ``archive_unusable``;
    the one-line reason in the stat :data:`REFUSED_STAT`).

    Failures it counts, each a reason of a failed run naming where it happened, the
    exception and how often: an exception in a spider callback (``spider_error``), in
    an item pipeline (``item_error``), and articles the archive could not store
    (:data:`~centrasia_crawler.pipelines.STORAGE_STAT`). An item dropped with
    :class:`~scrapy.exceptions.DropItem` is counted and recorded as a problem, not a
    failure: a pipeline drops on purpose.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.path = str(crawler.settings.get("CENTRASIA_ARCHIVE_PATH"))
        self.lock = ArchiveLock(self.path)
        self.session: ArchiveSession | None = None
        self.problems: list[dict[str, Any]] = []
        #: ``(where, exception type)``: how often, and the first message.
        self.raised: Counter[tuple[str, str]] = Counter()
        self.first_message: dict[tuple[str, str], str] = {}
        self.min_free = crawler.settings.getint("CENTRASIA_MIN_FREE_BYTES", MIN_FREE_BYTES)
        #: Why the crawl stopped for lack of space, once it did.
        self.space_failure: str | None = None
        self.space_loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRun:
        run = cls(crawler)
        connect = crawler.signals.connect
        connect(run.open_run, signal=our_signals.run_starting)
        connect(run.problem_found, signal=our_signals.problem_found)
        connect(run.item_dropped, signal=signals.item_dropped)
        connect(run.spider_error, signal=signals.spider_error)
        connect(run.item_error, signal=signals.item_error)
        connect(run.spider_closed, signal=signals.spider_closed)
        connect(run.storage_failed, signal=our_signals.storage_failed)
        connect(run.response_received, signal=signals.response_received)
        connect(run.request_reached_downloader, signal=signals.request_reached_downloader)
        return run

    def request_reached_downloader(self, request: Any) -> None:
        """Count each URL once, on its first attempt (a retry is the same URL again;
        the share of URLs that failed for good is taken of these)."""
        if request.meta.get("retry_times"):
            return
        self.stats.inc_value(URLS_STAT)
        if request.meta.get("article_st") and not request.meta.get("redirect_times"):
            self.stats.inc_value(ARTICLE_URLS_STAT)

    def response_received(self, response: Any, request: Any) -> None:
        """Count the article pages fetched (what a storage error may leave unstored);
        check the free space."""
        if response.status == 200 and request.meta.get("article_st"):
            self.stats.inc_value(ARTICLES_FETCHED_STAT)
        if self.space_loop is not None:  # a fast crawl writes more in a second than a slow one
            self.check_space()

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
        if self.session is not None:
            return
        if self.min_free > 0:
            try:
                free: int | None = free_bytes(self.path)
            except OSError:  # no directory yet: opening the archive makes it, or says why not
                free = None
            if free is not None and free < self.min_free:
                self.refuse(
                    FREE_SPACE_REASON,
                    f"only {megabytes(free)} free beside {self.path}, below"
                    f" CENTRASIA_MIN_FREE_BYTES ({megabytes(self.min_free)});"
                    " free space and re-run; not starting",
                )
        try:
            self.lock.acquire()
        except LockHeld as exc:
            self.refuse("archive_locked", f"{exc}; not starting")
        except OSError as exc:
            self.refuse("archive_unusable", f"cannot use {self.path}: {exc.strerror or exc}")
        session = ArchiveSession()
        spider = self.crawler.spider
        try:
            # Never a silent re-index from a cron job: a changed morphology is reported.
            session.archive = await session.call(Archive.open, self.path, reindex=False)
            session.run_id = await session.call(
                session.archive.start_run,
                getattr(spider, "mode", "unknown"),
                getattr(spider, "arguments", {}),
            )
        except (sqlite3.Error, OSError, ArchiveVersionError) as exc:
            if session.archive is not None:
                await session.call(session.archive.close)
            session.shutdown()
            self.lock.release()
            self.refuse("archive_unusable", f"cannot use {self.path} as an archive: {exc}")
        self.session = session
        self.lock.reserve(END_RESERVE_BYTES)
        self.stats.set_value("centrasia/run_id", session.run_id)
        if self.min_free > 0:
            self.space_loop = task.LoopingCall(self.check_space)
            self.space_loop.start(FREE_SPACE_CHECK_SECONDS, now=False)
        if not self.archive_pipeline_enabled():
            spider.logger.warning(  # type: ignore[union-attr]
                "ArchivePipeline is not in ITEM_PIPELINES: nothing will be archived"
            )
        self.crawler.signals.send_catch_log(
            signal=our_signals.archive_opened, run_id=session.run_id, session=session
        )

    def archive_pipeline_enabled(self) -> bool:
        return any(isinstance(p, ArchivePipeline) for p in enabled_pipelines(self.crawler))

    # What the run meets ------------------------------------------------------------

    def check_space(self) -> None:
        """Stop the crawl, failed, when the free space beside the archive has fallen
        below the floor (what is buffered is still written: the floor leaves it room)."""
        try:
            free = free_bytes(self.path)
        except OSError:  # the archive's writes will say what is wrong
            return
        if free >= self.min_free or self.space_failure is not None:
            return
        self.stop_checking_space()
        self.space_failure = (
            f"free space beside {self.path} fell to {megabytes(free)}, below"
            f" CENTRASIA_MIN_FREE_BYTES ({megabytes(self.min_free)}): crawl stopped;"
            " nothing archived is lost; free space and re-run"
        )
        self.crawler.spider.logger.error(  # type: ignore[union-attr]
            "%s", self.space_failure, extra={VERDICT: True}
        )
        from scrapy.utils.defer import deferred_from_coro

        assert self.crawler.engine is not None
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=FREE_SPACE_REASON))

    def stop_checking_space(self) -> None:
        if self.space_loop is not None and self.space_loop.running:
            self.space_loop.stop()

    def problem_found(self, problem: Any) -> None:
        self.record_problem(problem.url, problem.reason, problem.kind)

    def record_problem(self, url: str, reason: str, kind: str) -> None:
        self.stats.inc_value(f"centrasia/problems/{kind}")
        if kind not in ("robots", "rejected", "dropped"):  # the site's refusals and mistakes
            self.stats.inc_value("centrasia/errors")
        if self.session is not None:
            self.problems.append({"url": url, "reason": reason, "kind": kind})

    def item_dropped(self, item: Any, exception: BaseException) -> None:
        """Dropped on purpose (DropItem): a problem of the run, not a failure."""
        self.record_problem(_item_url(item), str(exception), "dropped")

    def spider_error(self, failure: Any, response: Any) -> None:
        request = getattr(response, "request", None)
        callback = getattr(request, "callback", None) or getattr(self.crawler.spider, "parse", None)
        where = f"callback {getattr(callback, '__name__', '?')}"
        self.failed(where, failure.value, getattr(response, "url", "") or "", "callback")

    def item_error(self, item: Any, failure: Any) -> None:
        where = f"pipeline {_raising_pipeline(failure.value, self.crawler)}"
        self.failed(where, failure.value, _item_url(item), "pipeline")

    def failed(self, where: str, error: BaseException, url: str, kind: str) -> None:
        key = (where, type(error).__name__)
        self.raised[key] += 1
        text = str(error).strip().splitlines()
        self.first_message.setdefault(key, text[0] if text else "")
        self.record_problem(url, f"{where} raised {_one_line(error)}", kind)

    def failures(self) -> list[str]:
        """The reasons the run failed for what it met (not its checks: those are
        :func:`~centrasia_crawler.health.assess`'s)."""
        reasons = [self.space_failure] if self.space_failure else []
        for (where, kind), count in self.raised.items():
            message = self.first_message[(where, kind)]
            times = "once" if count == 1 else f"{count} times"
            reasons.append(
                f"{where} raised {kind}" + (f": {message}" if message else "") + f" ({times})"
            )
        cause = self.stats.get_value(STORAGE_STAT)
        if cause:
            lost = max(self.not_stored(), int(self.stats.get_value(NOT_STORED_STAT, 0)))
            self.stats.set_value(NOT_STORED_STAT, lost)
            reasons.append(
                f"the archive could not store the crawl ({cause}):"
                f" {lost} fetched articles not stored"
            )
        return reasons

    def not_stored(self) -> int:
        """The article pages fetched that did not end stored, dropped on purpose or
        unread: those a storage error lost (in the pipeline, or still on their way to
        it when the crawl stopped)."""
        get = self.stats.get_value
        accounted = sum(
            int(get(f"centrasia/{name}", 0))
            for name in (
                "new_articles",
                "changed_articles",
                "unchanged_articles",
                "problems/dropped",
                "extraction_failed/article",
            )
        )
        return max(0, int(get(ARTICLES_FETCHED_STAT, 0)) - accounted)

    # The end of the run --------------------------------------------------------------

    def storage_failed(self) -> None:
        """The crawl is being closed for a storage error: if Scrapy has not closed it
        within ``CENTRASIA_STOP_GRACE`` seconds (its own JOBDIR queue, on the same full
        disk, can keep it from closing), the run ends here."""
        grace = self.crawler.settings.getfloat("CENTRASIA_STOP_GRACE", 20)
        _call_later(grace, self.force_stop, grace)

    def force_stop(self, grace: float) -> None:
        session = self.session
        if session is None or session.archive is None:  # closed in time
            return
        self.stop_checking_space()
        spider = self.crawler.spider
        spider.logger.error(  # type: ignore[union-attr]
            "the crawl did not stop within %g s of the storage error; ending it",
            grace,
            extra={VERDICT: True},
        )
        failures = self.failures()
        self.stats.set_value(OUTCOME_STAT, "failed")
        for failure in failures:
            spider.logger.error("run failed: %s", failure, extra={VERDICT: True})  # type: ignore[union-attr]
        self.lock.give_back()  # room for the record, were the disk full
        try:
            session.submit(
                session.archive.finish_run,
                session.run_id,
                STORAGE_REASON,
                run_counters(self.stats.get_stats()),
                self.problems,
                failures,
            ).result(timeout=10)
        except Exception as exc:  # told; the run ends all the same
            spider.logger.error("the run's end could not be recorded in %s: %s", self.path, exc)  # type: ignore[union-attr]
        session.submit(session.archive.close)
        session.executor.shutdown(wait=False)
        self.session = None
        self.lock.release()
        _stop_loop()

    async def spider_closed(self, spider: Any, reason: str) -> None:
        self.stop_checking_space()
        session = self.session
        if session is None or session.archive is None or session.run_id is None:
            return  # refused, or not a crawl: nothing was opened
        stats = self.stats.get_stats()
        failures = self.failures() + assess(
            reason, stats, self.problems, Thresholds.from_settings(self.crawler.settings)
        )
        if failures:
            outcome = "failed"
            for failure in failures:
                spider.logger.error("run failed: %s", failure, extra={VERDICT: True})
        elif reason in STOPPED_ON_REQUEST:
            outcome = "stopped"
            spider.logger.info("run stopped as asked (%s)", reason)
        else:
            outcome = "ok"
        self.stats.set_value(OUTCOME_STAT, outcome)
        self.lock.give_back()  # room for the record, were the disk full
        try:
            await session.call(
                session.archive.finish_run,
                session.run_id,
                reason,
                run_counters(stats),
                self.problems,
                failures,
                outcome=outcome,
            )
        except (sqlite3.Error, OSError) as exc:
            spider.logger.error("the run's end could not be recorded in %s: %s", self.path, exc)
        finally:
            try:
                await session.call(session.archive.close)
            except (sqlite3.Error, OSError) as exc:
                spider.logger.error("the archive %s did not close cleanly: %s", self.path, exc)
            session.shutdown()
            self.session = None
            self.lock.release()


def enabled_pipelines(crawler: Crawler) -> list[Any]:
    """The item pipelines of a running crawl, in their order."""
    try:
        engine = crawler.engine
    except RuntimeError:  # not crawling (yet)
        return []
    scraper = getattr(engine, "scraper", None)
    return list(getattr(getattr(scraper, "itemproc", None), "middlewares", ()))


def _item_url(item: Any) -> str:
    try:
        return str(ItemAdapter(item).get("url") or "")
    except TypeError:  # not an item itemadapter knows
        return ""


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _raising_pipeline(error: BaseException, crawler: Crawler) -> str:
    """The class of the item pipeline whose code raised ``error`` (the innermost frame
    whose ``self`` is one of the crawl's pipelines)."""
    pipelines = {id(p): type(p).__name__ for p in enabled_pipelines(crawler)}
    found = "?"
    for frame, _ in traceback.walk_tb(error.__traceback__):
        owner = frame.f_locals.get("self")
        if owner is not None and id(owner) in pipelines:
            found = pipelines[id(owner)]
    return found


def _call_later(seconds: float, job: Any, *args: Any) -> None:
    """Run ``job`` later on the crawl's loop (Twisted's reactor, or asyncio's)."""
    from scrapy.utils.reactor import is_reactor_installed

    if is_reactor_installed():
        from twisted.internet import reactor as installed

        loop: Any = installed
        loop.callLater(seconds, job, *args)
    else:
        import asyncio

        asyncio.get_running_loop().call_later(seconds, job, *args)


def _stop_loop() -> None:
    """Stop the crawl's loop at once, without the shutdown that waits for the crawl to
    close (it would wait for ever): the crawl ends where it stands."""
    from scrapy.utils.reactor import is_reactor_installed

    if is_reactor_installed():
        from twisted.internet import reactor as installed

        loop: Any = installed
        loop.crash()
        pool = getattr(loop, "threadpool", None)  # its threads would keep the process alive
        if pool is not None:
            pool.stop()
    else:
        import asyncio

        asyncio.get_running_loop().stop()
