"""Running the crawl in-process, for `centrasia crawl` (cron, systemd, by hand).

`scrapy crawl` exits 0 even when the crawl failed; this runs the same spider with the
project's settings, then reads the run's verdict from the archive and turns it into
an exit status.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from centrasia_crawler import lock
from centrasia_crawler.archive import Archive

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_LOCKED = 75  # EX_TEMPFAIL: try again later


class UsageError(ValueError):
    """An option or setting makes no sense; the message is one line."""


@dataclass
class CrawlOutcome:
    run: dict[str, Any] | None
    seconds: float
    failures: list[str] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        return EXIT_FAILED if self.failures else EXIT_OK

    def summary(self) -> str:
        run = self.run or {}
        verdict = "failed" if self.failures else "ok"
        return (
            f"centrasia crawl: {verdict}: {run.get('new_articles', 0)} new,"
            f" {run.get('changed_articles', 0)} changed,"
            f" {run.get('unchanged_articles', 0)} unchanged,"
            f" {run.get('dropped_items', 0)} dropped, {run.get('errors', 0)} errors,"
            f" {run.get('requests', 0)} requests, {self.seconds:.1f} s"
        )


def parse_setting(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` from ``-s``.

    >>> parse_setting("DOWNLOAD_DELAY=0")
    ('DOWNLOAD_DELAY', '0')
    """
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not name.strip().replace("_", "").isalnum():
        raise UsageError(f"-s {text!r}: expected NAME=VALUE")
    return name.strip(), value


def project_settings(overrides: dict[str, str]) -> Any:
    """The project's Scrapy settings with command-line overrides (wherever we run from)."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "centrasia_crawler.settings")
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict(overrides, priority="cmdline")
    return settings


def run_crawl(settings: Any, spider_args: dict[str, str]) -> CrawlOutcome:
    """Run the spider to the end, holding the archive's lock.

    Raises lock.LockHeld at once when another run holds it, and UsageError when the
    site root or the archive path cannot be used (before anything is fetched).
    """
    from scrapy.crawler import CrawlerProcess

    from centrasia_crawler.spiders.centrasia import CentrasiaSpider

    archive_path = str(settings.get("CENTRASIA_ARCHIVE_PATH"))
    root = str(settings.get("CENTRASIA_ROOT_URL") or "")
    parts = urlsplit(root)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"the site root {root!r} is not an http(s) address")
    started = time.monotonic()
    try:
        lock.acquire(archive_path)
    except OSError as exc:
        raise UsageError(f"cannot use {archive_path}: {exc.strerror or exc}") from None
    try:
        try:  # create or upgrade it now: a bad path is a usage error, not a failed crawl
            Archive.open(archive_path).close()
        except (sqlite3.Error, OSError) as exc:
            raise UsageError(f"cannot use {archive_path} as an archive: {exc}") from None
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(CentrasiaSpider)
        process.crawl(crawler, **spider_args)
        process.start()
    finally:
        lock.release(archive_path)
    seconds = time.monotonic() - started
    assert crawler.stats is not None
    stats = crawler.stats.get_stats()
    run_id = stats.get("centrasia/run_id")
    if run_id is None:
        reason = stats.get("finish_reason") or "the crawl did not start (see the log)"
        return CrawlOutcome(None, seconds, [f"no run was recorded: {reason}"])
    with Archive.open(archive_path, readonly=True) as archive:
        run = archive.run(int(run_id))
    if run is None:
        return CrawlOutcome(None, seconds, ["the run's row is missing from the archive"])
    return CrawlOutcome(run, seconds, list(run["outcome_reasons"]))
