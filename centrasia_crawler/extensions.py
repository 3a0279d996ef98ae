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
"""

from __future__ import annotations

import logging
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from twisted.internet import task

from centrasia_crawler import jobdir

logger = logging.getLogger("centrasia.progress")
#: The crawler stat that says, in one line, why the JOBDIR was refused (and its status).
JOBDIR_REFUSED_STAT = "centrasia/jobdir_refused"
JOBDIR_STATUS_STAT = "centrasia/jobdir_refused_status"
#: The crawler stat naming the JOBDIR when this run carries on where its last one stopped.
JOBDIR_RESUMED_STAT = "centrasia/jobdir_resumed"


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
        from centrasia_crawler.pipelines import REFUSED_STAT

        if self.job is None:
            return
        if self.crawler.stats.get_value(REFUSED_STAT):  # the archive refused the run
            self.job.forget()
        else:
            self.job.release()
