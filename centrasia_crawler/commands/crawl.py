"""``scrapy crawl`` with an exit status that says whether the run can be trusted.

Scrapy's own ``crawl`` exits 0 whatever became of the crawl once it started. This one
(the project's ``COMMANDS_MODULE``) runs it the same way, then exits as ``centrasia
crawl`` does:

- 0: the run ended ``ok``, or ``stopped`` as asked (a ``CLOSESPIDER_*`` limit);
- 1: the run ``failed`` (its reasons in the log and in ``crawl_runs``), or the
  crawl could not start;
- 2: a bad spider argument (one line, nothing opened) or an archive that cannot be used;
- 75: another run holds the archive's lock;
- a refused JOBDIR: the status its line names.

A spider other than the project's, or a crawl without the project's extensions, exits
as Scrapy's would.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import sys
from typing import TYPE_CHECKING, Any

from scrapy.commands import crawl
from scrapy.exceptions import UsageError

from centrasia_crawler.options import OptionError

if TYPE_CHECKING:
    import argparse

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 75


class Command(crawl.Command):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) < 1:
            raise UsageError
        if len(args) > 1:
            raise UsageError("running 'scrapy crawl' with more than one spider is not supported")
        assert self.crawler_process is not None
        known = sorted(self.crawler_process.spider_loader.list())
        if args[0] not in known:
            close = difflib.get_close_matches(args[0], known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UsageError(f"no spider {args[0]!r}{hint}; spiders: {', '.join(known)}")
        crawler = self._create_crawler(args[0])
        errors: list[BaseException] = []
        started = self.crawler_process.crawl(crawler, **opts.spargs)
        _collect_errors(started, errors)
        self.crawler_process.start()
        self.exitcode = exit_status(crawler, errors, self.crawler_process.bootstrap_failed)


def _collect_errors(started: Any, errors: list[BaseException]) -> None:
    """Keep the exception a crawl failed to start with (an asyncio task's, or a
    Deferred's), so it is told here, in one line, rather than as a traceback."""
    if isinstance(started, asyncio.Future):

        def done(task: asyncio.Future[Any]) -> None:
            if not task.cancelled() and task.exception() is not None:
                errors.append(task.exception())  # type: ignore[arg-type]

        started.add_done_callback(done)
    else:
        started.addErrback(lambda failure: errors.append(failure.value))


def exit_status(crawler: Crawler, errors: list[BaseException], bootstrap_failed: bool) -> int:
    """The status for a finished ``scrapy crawl`` (see the module's documentation)."""
    from centrasia_crawler.extensions import (
        JOBDIR_REFUSED_STAT,
        JOBDIR_STATUS_STAT,
        OUTCOME_STAT,
        REFUSED_STAT,
    )

    for error in errors:
        if isinstance(error, OptionError):
            print(f"scrapy crawl: {error}", file=sys.stderr)
            return EXIT_USAGE
        logger.error(
            "the crawl could not start: %s",
            error,
            exc_info=(type(error), error, error.__traceback__),
        )
        return EXIT_FAILED
    if bootstrap_failed:
        return EXIT_FAILED
    stats = crawler.stats.get_stats() if crawler.stats is not None else {}
    if stats.get(JOBDIR_REFUSED_STAT):
        return int(stats.get(JOBDIR_STATUS_STAT, EXIT_FAILED))
    if stats.get(REFUSED_STAT):
        return EXIT_LOCKED if stats.get("finish_reason") == "archive_locked" else EXIT_USAGE
    return EXIT_FAILED if stats.get(OUTCOME_STAT) == "failed" else 0
