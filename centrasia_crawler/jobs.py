"""Running the crawl in-process, for `centrasia crawl` (cron, systemd, by hand).

`scrapy crawl` exits 0 even when the crawl failed; this runs the same spider with the
project's settings, then reads the run's verdict from the archive, so that the CLI can
turn it into an exit status. Scrapy is imported only when a crawl runs.
"""

from __future__ import annotations

import logging
import logging.handlers
import math
import os
import signal
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from centrasia_crawler.archive import Archive
from centrasia_crawler.jobdir import Holdings, JobdirRefused, check_archive, record_archive
from centrasia_crawler.journal import JournalFormatter, to_journal
from centrasia_crawler.lock import LockHeld
from centrasia_crawler.options import OptionError


class StorageFailed(RuntimeError):
    """The archive could not store what the crawl fetched (a full disk, a read-only or
    damaged file): the run stopped; what was committed before stays."""

    def __init__(self, cause: str, not_stored: int) -> None:
        self.cause, self.not_stored = cause, not_stored
        lost = f"{not_stored} fetched articles not stored; nothing archived before is lost"
        if cause == "disk full":
            super().__init__(f"disk full: {lost}; free space and re-run")
        else:
            super().__init__(f"the archive could not store the crawl ({cause}): {lost}")


@dataclass
class CrawlOutcome:
    run: dict[str, Any] | None
    seconds: float
    failures: list[str] = field(default_factory=list)
    #: The JOBDIR of a run that carried on where the job's last run stopped.
    resumed: str | None = None
    #: The JOBDIR, when the run had one.
    jobdir: str | None = None
    #: The signal that asked the run to stop (SIGTERM: ``systemctl stop``), if one did.
    stopped_by: int | None = None

    def exit_status(self) -> int:
        """0 ok; 128 + the signal when the run's only failure is that a signal stopped
        it (143: SIGTERM, as ``systemctl stop`` sends; 130: Ctrl-C): a stop asked for
        is no failure of the crawl, and a JOBDIR keeps its place; 1 otherwise."""
        if not self.failures:
            return 0
        reason = (self.run or {}).get("finish_reason")
        if self.stopped_by is not None and reason == "shutdown" and len(self.failures) == 1:
            return 128 + self.stopped_by
        return 1

    def summary(self) -> str:
        run = self.run or {}
        verdict = "failed" if self.failures else (run.get("outcome") or "ok")
        return (
            f"centrasia crawl: {verdict}: {run.get('new_articles', 0)} new,"
            f" {run.get('changed_articles', 0)} changed,"
            f" {run.get('unchanged_articles', 0)} unchanged,"
            f" {run.get('dropped_items', 0)} dropped, {run.get('errors', 0)} errors,"
            f" {run.get('requests', 0)} requests"
            + (f" ({run['retries']} retries)" if run.get("retries") else "")
            + f", {self.seconds:.1f} s"
            + (f"; resumed the job in {self.resumed}" if self.resumed else "")
        )

    def next_step(self) -> str | None:
        """What to do about a run of a JOBDIR that stopped before the end (Ctrl-C, a
        time limit): run it again. None otherwise."""
        reason = (self.run or {}).get("finish_reason")
        if self.jobdir and reason not in (None, "finished"):
            return (
                f"the job in {self.jobdir} keeps its place ({reason}):"
                " run the same command again to carry on"
            )
        return None


def project_settings(overrides: dict[str, str]) -> Any:
    """The project's Scrapy settings with command-line overrides (wherever we run from);
    :class:`OptionError` when an override is no value of its setting's kind
    (:func:`check_override`)."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "centrasia_crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    for name, value in overrides.items():
        check_override(name, value, settings.get(name))
    settings.setdict(overrides, priority="cmdline")
    return settings


def check_override(name: str, value: str, default: Any) -> None:
    """An :class:`OptionError` when ``-s NAME=VALUE`` is not a value of the kind the
    setting's default is (a truth value, a number), as Scrapy would find out later, in a
    traceback.

    >>> check_override("DOWNLOAD_DELAY", "0.5", 0)
    >>> check_override("DOWNLOAD_DELAY", "abc", 0)
    Traceback (most recent call last):
    ...
    centrasia_crawler.options.OptionError: -s DOWNLOAD_DELAY='abc': not a number (the default is 0)
    >>> check_override("COOKIES_ENABLED", "yes", False)
    Traceback (most recent call last):
    ...
    centrasia_crawler.options.OptionError: -s COOKIES_ENABLED='yes': not True or False
    """
    if isinstance(default, bool):
        if value not in ("0", "1", "True", "False", "true", "false"):
            raise OptionError(f"-s {name}={value!r}: not True or False")
    elif isinstance(default, (int, float)):
        try:
            number = float(value)
        except ValueError:
            raise OptionError(
                f"-s {name}={value!r}: not a number (the default is {default})"
            ) from None
        if not math.isfinite(number):
            raise OptionError(f"-s {name}={value!r}: not a finite number")


def log_handler(settings: Any) -> logging.Handler:
    """The handler `scrapy crawl` installs, from Scrapy's documented logging settings:
    LOG_FILE (with LOG_FILE_APPEND, LOG_ENCODING), else standard error when LOG_ENABLED,
    else nothing; LOG_FORMAT, LOG_DATEFORMAT, LOG_LEVEL and LOG_SHORT_NAMES. When
    standard error is systemd's journal, each line has its priority in front and no
    timestamp of its own (:mod:`centrasia_crawler.journal`)."""
    handler: logging.Handler
    filename = settings.get("LOG_FILE")
    if filename:
        mode = "a" if settings.getbool("LOG_FILE_APPEND") else "w"
        handler = logging.FileHandler(filename, mode, encoding=settings.get("LOG_ENCODING"))
    elif settings.getbool("LOG_ENABLED"):
        handler = logging.StreamHandler()
    else:
        handler = logging.NullHandler()
    if not filename and to_journal():  # the journal: priorities, its own timestamps
        handler.setFormatter(
            JournalFormatter(settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT"))
        )
    else:
        handler.setFormatter(
            logging.Formatter(settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT"))
        )
    handler.setLevel(settings.get("LOG_LEVEL"))
    if settings.getbool("LOG_SHORT_NAMES"):
        handler.addFilter(_short_names)
    if handler.level > logging.INFO:  # not --verbose: a network error is its one line
        handler.addFilter(_not_disk_full)
        handler.addFilter(NetworkErrorsInOneLine(settings.getlist("RETRY_EXCEPTIONS")))
        if not filename:  # on the terminal, the verdict is the command's own lines
            handler.addFilter(_not_the_verdict)
    return handler


def _not_disk_full(record: logging.LogRecord) -> bool:
    """A full disk's errors (Scrapy's JOBDIR queue meets it too), which the run's one
    line tells (``disk full: ...``)."""
    import errno

    error = record.exc_info[1] if record.exc_info else None
    return not (isinstance(error, OSError) and error.errno == errno.ENOSPC)


def _not_the_verdict(record: logging.LogRecord) -> bool:
    """The pipeline's ``run failed:`` records, which ``centrasia crawl`` prints itself
    (``centrasia crawl: failed: ...``): once on the terminal, not twice."""
    from centrasia_crawler.pipelines import VERDICT

    return not getattr(record, VERDICT, False)


class NetworkErrorsInOneLine(logging.Filter):
    """A record of a network error (one of Scrapy's ``RETRY_EXCEPTIONS``: DNS, refused,
    timeout, connection lost) loses its traceback: Scrapy's robots.txt middleware logs
    a page of Twisted's internals for a site that cannot be reached, where the error's
    one line says it all (kept, added to the message if it lacks it)."""

    def __init__(self, kinds: list[Any]) -> None:
        from scrapy.utils.misc import load_object

        super().__init__()
        self.kinds = tuple(load_object(k) if isinstance(k, str) else k for k in kinds)

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and isinstance(error, self.kinds):
            message = record.getMessage()
            if str(error) not in message:
                message = f"{message} ({type(error).__name__}: {error})"
            record.msg, record.args = message, None
            record.exc_info = record.exc_text = None
        return True


def _short_names(record: logging.LogRecord) -> bool:
    """LOG_SHORT_NAMES: Scrapy's components log as plain ``scrapy``."""
    if record.name.startswith("scrapy."):
        record.name = "scrapy"
    return True


class _HeldLog(logging.handlers.MemoryHandler):
    """Scrapy's log, held back until the run is recorded: a run refused before it began
    (the archive locked or unusable) is told in one line, not in a page of start-up
    log; once the run is recorded, what was held goes out and the rest follows as is."""

    def __init__(self, settings: Any) -> None:
        self.output = log_handler(settings)
        super().__init__(sys.maxsize, flushLevel=logging.CRITICAL + 1, target=self.output)
        self.setLevel(self.output.level)
        self.passing = False

    def shouldFlush(self, record: logging.LogRecord) -> bool:
        return self.passing

    def pass_on(self) -> None:
        """From now on, every record goes out (those held first)."""
        self.passing = True
        self.flush()

    def drop(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self.buffer.clear()

    def close(self) -> None:
        super().close()
        self.output.close()


def run_crawl(settings: Any, spider_args: dict[str, str]) -> CrawlOutcome:
    """Run the spider to the end and read its verdict.

    The archive pipeline takes the archive's lock when the spider opens. When another
    run holds it this raises :class:`~centrasia_crawler.lock.LockHeld`, when the
    archive cannot be used :class:`~centrasia_crawler.options.OptionError`, and when
    the JOBDIR cannot be used :class:`~centrasia_crawler.jobdir.JobdirRefused`: in
    each case nothing was fetched, and only that one reason is told.
    """
    from centrasia_crawler.extensions import JOBDIR_RESUMED_STAT

    started = time.monotonic()
    stopped_by: list[int] = []
    archive = str(settings.get("CENTRASIA_ARCHIVE_PATH"))
    job = settings.get("JOBDIR") or None
    note = _bind_jobdir(str(job), archive, spider_args) if job else None
    stats = _crawl(settings, spider_args, stopped_by, note)
    outcome = _verdict(stats, archive, started)
    outcome.resumed = stats.get(JOBDIR_RESUMED_STAT)
    outcome.jobdir = job
    outcome.stopped_by = stopped_by[0] if stopped_by else None
    if job and outcome.run is not None:
        _record_jobdir(str(job), archive, spider_args)
    return outcome


def _holdings(archive: str, spider_args: dict[str, str], create: bool) -> Any:
    """What the archive holds of the crawl's range (:class:`~.jobdir.Holdings`), or
    None when there is no archive (with an identity) there."""
    from centrasia_crawler.archive import meta

    since, until = spider_args.get("since"), spider_args.get("until")
    found = meta.holdings(archive, since, until, create=create)
    return None if found is None else Holdings(*found)


def _bind_jobdir(job: str, archive: str, spider_args: dict[str, str]) -> str | None:
    """Start the JOBDIR afresh when it was filled into another archive, or into this
    one before it was restored from an older backup (:func:`~.jobdir.check_archive`);
    the one-line note saying so, or None. It only reads: this runs before the archive's
    lock is taken, and an archive without an identity yet cannot be the one a JOBDIR
    noted (the identity is made when a run notes it)."""
    try:
        holdings = _holdings(archive, spider_args, create=False)
    except sqlite3.Error:
        return None  # the crawl's own opening of the archive says what is wrong with it
    return check_archive(job, archive, holdings)


def _record_jobdir(job: str, archive: str, spider_args: dict[str, str]) -> None:
    """Note in the JOBDIR the archive it filled, and what of the range it holds now."""
    try:
        holdings = _holdings(archive, spider_args, create=True)
        if holdings is not None and Path(job).is_dir():
            record_archive(job, holdings, spider_args.get("since"), spider_args.get("until"))
    except (sqlite3.Error, OSError) as exc:
        logging.getLogger("centrasia.jobdir").warning(
            "JOBDIR %s: cannot note the archive it filled (%s); a restore from a backup"
            " will not be noticed by it",
            job,
            exc,
        )


#: The signals that ask a crawl to stop gracefully (Scrapy's shutdown handlers).
STOP_SIGNALS: Final = (signal.SIGTERM, signal.SIGINT)


def _note_stop_signals(stopped_by: list[int]) -> None:
    """Wrap the handlers Scrapy installed for SIGTERM and SIGINT so that the first
    signal received is noted in ``stopped_by``; Scrapy's handling goes on as before."""
    for signum in STOP_SIGNALS:
        installed = signal.getsignal(signum)
        if not callable(installed):
            continue

        def noted(number: int, frame: Any, installed: Any = installed) -> None:
            if not stopped_by:
                stopped_by.append(number)
            installed(number, frame)

        signal.signal(signum, noted)


def _crawl(
    settings: Any,
    spider_args: dict[str, str],
    stopped_by: list[int] | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Run the spider to the end in this process, its log held back until the run is
    recorded (dropped when the archive or the JOBDIR refused it); the crawl's stats.
    The signal that stops it, if one does, is appended to ``stopped_by``; ``note``, a
    line about the JOBDIR, is logged as a warning first."""
    from scrapy.crawler import CrawlerProcess

    from centrasia_crawler import signals as our_signals
    from centrasia_crawler.extensions import JOBDIR_REFUSED_STAT, REFUSED_STAT
    from centrasia_crawler.spiders.centrasia import CentrasiaSpider

    settings = settings.copy()
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")  # _HeldLog instead
    # After CrawlerProcess: its logging set-up (dictConfig) closes the handlers before it.
    process = CrawlerProcess(settings)
    log = _HeldLog(settings)
    root = logging.getLogger()
    root_level = root.level
    root.setLevel(logging.NOTSET)  # as Scrapy's own root handler does: the handler filters
    root.addHandler(log)
    if note:
        logging.getLogger("centrasia.jobdir").warning("%s", note)
    stats: dict[str, Any] = {}
    try:
        crawler = process.create_crawler(CentrasiaSpider)
        # The log goes out once the run is recorded (not when a refusal is all it says).
        crawler.signals.connect(log.pass_on, signal=our_signals.archive_opened)
        errors: list[BaseException] = []

        def keep(failure: Any) -> None:
            errors.append(failure.value)

        process.crawl(crawler, **spider_args).addErrback(keep)
        if stopped_by is not None:
            from twisted.internet import reactor

            # Scrapy installs its handlers once the reactor has started: wrap them then.
            reactor.callWhenRunning(
                reactor.callLater,
                0,
                _note_stop_signals,
                stopped_by,
            )
        process.start()
        for error in errors:  # the spider refused its arguments: nothing was opened
            log.drop()
            raise error
        assert crawler.stats is not None
        stats = crawler.stats.get_stats()
    finally:
        if stats.get(REFUSED_STAT) or stats.get(JOBDIR_REFUSED_STAT):
            log.drop()
        log.pass_on()
        root.removeHandler(log)
        root.setLevel(root_level)
        log.close()
    return stats


def _verdict(stats: dict[str, Any], archive_path: str, started: float) -> CrawlOutcome:
    """The run's outcome as the archive recorded it; the refusals as exceptions."""
    from centrasia_crawler.extensions import (
        JOBDIR_REFUSED_STAT,
        JOBDIR_STATUS_STAT,
        REFUSED_STAT,
    )
    from centrasia_crawler.pipelines import NOT_STORED_STAT, STORAGE_STAT

    seconds = time.monotonic() - started
    refused = stats.get(REFUSED_STAT)
    if refused and stats.get("finish_reason") == "archive_locked":
        raise LockHeld(refused)
    if stats.get(JOBDIR_REFUSED_STAT):
        raise JobdirRefused(stats[JOBDIR_REFUSED_STAT], int(stats.get(JOBDIR_STATUS_STAT, 1)))
    if refused:  # the archive cannot be used (a held lock was told above)
        raise OptionError(refused)
    if stats.get(STORAGE_STAT):
        raise StorageFailed(str(stats[STORAGE_STAT]), int(stats.get(NOT_STORED_STAT, 0)))
    run_id = stats.get("centrasia/run_id")
    if run_id is None:
        reason = stats.get("finish_reason") or "the crawl did not start (see the log)"
        return CrawlOutcome(None, seconds, [f"no run was recorded: {reason}"])
    with Archive.open(archive_path, readonly=True) as archive:
        run = archive.run(int(run_id))
    if run is None:
        return CrawlOutcome(None, seconds, ["the run's row is missing from the archive"])
    return CrawlOutcome(run, seconds, list(run["outcome_reasons"]))
