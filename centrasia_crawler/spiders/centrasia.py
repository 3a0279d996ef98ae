"""The `centrasia` spider: decides what to fetch next; extraction does the reading.

Modes (spider arguments, ``scrapy crawl centrasia -a NAME=VALUE``):

- default, incremental (hourly jobs): the index and the RSS feed, then every listed
  article the archive does not have yet. With nothing new: robots.txt, the index,
  the feed; three requests.
- ``since=YYYY-MM-DD [until=YYYY-MM-DD]``, backfill: the archive's day pages in the
  range (found through the calendar behind ``Архив`` and previous-day links), each
  day once, and their articles the archive does not have.
- ``refresh=DAYS``: also re-fetch the articles published in the last DAYS days, so
  that edits become revisions.

Any other argument, a day that is not a date, or ``since`` after ``until`` is refused
when the spider is made (:class:`SpiderArgumentError`, naming the closest known
argument for a typo), before anything opens: no feed, no archive, no request.
Scrapyd's own arguments (``_job``) pass.

Article addresses are built from ``st`` and ``CENTRASIA_ROOT_URL``, whatever host a
link named; links to other sites are never followed.

Only articles are items. A backfill's items are every article of its range: those the
archive already holds are read from it (:class:`~centrasia_crawler.items.ArchivedArticleItem`),
not fetched again. An incremental run's items are what it fetched. Raw pages, listings
and problems go to the archive through :mod:`centrasia_crawler.signals`.

Debugging: ``parse`` routes a response by its address (index, feed, article) or, for
the addresses the site does not fix (archive calendar, day pages), by its content, so
``scrapy parse URL`` needs no ``-c``; every callback has contracts for ``scrapy check``
(:mod:`centrasia_crawler.contracts`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from centrasia_crawler import signals as our_signals
from centrasia_crawler.archive import Archive, RawPage, utc_now
from centrasia_crawler.extraction import NotACentrasiaPage, PageKind, extract
from centrasia_crawler.items import ProblemItem, article_item, listing_item, read_page
from centrasia_crawler.normalize.permalinks import article_st, fetch_url, rebase
from centrasia_crawler.options import (
    DEFAULT_ROOT,
    OptionError,
    check_range,
    check_root,
    parse_day,
    parse_days,
)
from centrasia_crawler.site import FEED_PATH, SITE_HOSTS

#: The spider's arguments (``-a NAME=VALUE``) and what each means; names starting
#: with ``_`` are Scrapyd's.
ARGUMENTS = {
    "since": "YYYY-MM-DD: a backfill from this day (Moscow), the archive's day pages in"
    " range and their articles",
    "until": "YYYY-MM-DD: the backfill's last day (default: the newest); needs since",
    "refresh": "DAYS: also re-fetch the articles published in the last DAYS days, so that"
    " edits become revisions",
}
KNOWN_ARGUMENTS = tuple(ARGUMENTS)


class SpiderArgumentError(OptionError):
    """A spider argument (or the site's root) makes no sense: one line, raised when the
    spider is made, so nothing opens."""


def unknown_arguments(names: list[str]) -> str:
    """One line refusing unknown spider arguments, naming the closest known one.

    >>> unknown_arguments(["sinse"])
    'unknown argument sinse= (did you mean since=?); the known ones: since=, until=, refresh='
    >>> unknown_arguments(["x", "y"])
    'unknown arguments x=, y=; the known ones: since=, until=, refresh='
    """
    import difflib

    parts = []
    for name in names:
        close = difflib.get_close_matches(name, KNOWN_ARGUMENTS, n=1)
        parts.append(f"{name}=" + (f" (did you mean {close[0]}=?)" if close else ""))
    known = ", ".join(f"{name}=" for name in KNOWN_ARGUMENTS)
    plural = "s" if len(names) > 1 else ""
    return f"unknown argument{plural} {', '.join(parts)}; the known ones: {known}"


#: Hosts a replica or mirror of the site runs on, for :meth:`CentrasiaSpider.handles_request`.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

#: Articles first, so a backfill drains one day before it opens the next.
ARTICLE_PRIORITY = 10
DAY_PRIORITY = 0


class CentrasiaSpider(scrapy.Spider):
    name = "centrasia"
    allowed_domains: list[str]
    state: dict[str, Any]  # kept in JOBDIR by Scrapy's SpiderState extension

    @classmethod
    def handles_request(cls, request: scrapy.Request) -> bool:
        """Whether ``scrapy parse``, ``shell`` and ``fetch`` pick this spider for a URL
        (without ``--spider``): the site's own hosts, and this machine, where replicas
        run. (The root is a setting, which this class method cannot see.)"""
        host = (urlsplit(request.url).hostname or "").lower()
        return host in SITE_HOSTS or host in LOCAL_HOSTS

    def __init__(
        self,
        since: str | None = None,
        until: str | None = None,
        refresh: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        unknown = sorted(name for name in kwargs if not name.startswith("_"))
        if unknown:
            raise SpiderArgumentError(unknown_arguments(unknown))
        super().__init__(*args, **kwargs)
        self.arguments = {
            k: v for k, v in {"since": since, "until": until, "refresh": refresh}.items() if v
        }
        try:
            self.since = parse_day("since", since)
            self.until = parse_day("until", until)
            self.refresh_days = parse_days("refresh", refresh)
            check_range(self.since, self.until)
        except OptionError as exc:
            raise SpiderArgumentError(str(exc)) from None
        self.mode = "backfill" if self.since else "incremental"
        if self.refresh_days:
            self.mode += "+refresh"
        self.root = ""
        self.archive_path = ""
        self.days_requested: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> CentrasiaSpider:
        spider: CentrasiaSpider = super().from_crawler(crawler, *args, **kwargs)
        # Outside the project's settings (a spider built by another project): the site.
        root = str(crawler.settings.get("CENTRASIA_ROOT_URL") or DEFAULT_ROOT)
        try:
            spider.root = check_root(root)
        except OptionError as exc:
            raise SpiderArgumentError(f"CENTRASIA_ROOT_URL: {exc}") from None
        spider.allowed_domains = [urlsplit(root).hostname or ""]
        spider.archive_path = crawler.settings.get("CENTRASIA_ARCHIVE_PATH")
        return spider

    # What to fetch first ----------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        """The crawl's first requests. Only ``scrapy crawl`` (and ``centrasia crawl``,
        Scrapyd) run this: it opens the archive's run first, so Scrapy's tools, which
        bring their own requests, never touch the archive.

        Until the run is open the engine is paused: a resumed JOBDIR's queued requests
        would otherwise be fetched meanwhile (Scrapy sends them alongside ``start()``),
        their items dropped for want of an archive, or fetched and lost to the next
        resume when the archive is refused (locked by another run)."""
        engine = self.crawler.engine
        engine.pause()  # a refused run stays paused: it closes having fetched nothing
        opened = await self.crawler.signals.send_catch_log_async(
            signal=our_signals.run_starting, dont_log=scrapy.exceptions.CloseSpider
        )
        for _, result in opened:
            if isinstance(result, BaseException):  # the async sender returns exceptions
                raise result
        engine.unpause()
        self.logger.info("%s", self.describe())
        if self.refresh_days:
            since_st = int(time.time()) - self.refresh_days * 86400
            with Archive.open(self.archive_path, readonly=True) as archive:
                sts = archive.sts_published_since(since_st)
            self.logger.info("refresh: re-fetching %d articles", len(sts))
            for st in sts:
                yield self.article_request(st, refresh=True)
        # The index and the calendar are where every run starts, a resumed one too:
        # never dropped as "seen" by a JOBDIR's filter.
        yield scrapy.Request(
            self.root, callback=self.parse_index, errback=self.on_error, dont_filter=True
        )
        if not self.since:
            yield scrapy.Request(
                urljoin(self.root, FEED_PATH), callback=self.parse_feed, errback=self.on_error
            )

    def describe(self) -> str:
        """One line saying what this run is: mode, range, root, archive, JOBDIR and the
        item pipelines enabled."""
        from centrasia_crawler.extensions import enabled_pipelines

        if self.since:
            span = f"{self.since} to {self.until or 'today'}"
        else:
            span = "the index and the feed"
        if self.refresh_days:
            span += f", re-fetching the last {self.refresh_days} days"
        jobdir = self.crawler.settings.get("JOBDIR") or "none (no resume)"
        archive = Path(self.archive_path).resolve() if self.archive_path else "none"
        pipelines = ", ".join(type(p).__name__ for p in enabled_pipelines(self.crawler)) or "none"
        return (
            f"centrasia {self.mode}: {span}; root {self.root}; archive {archive}; JOBDIR {jobdir};"
            f" pipelines {pipelines}"
        )

    def article_request(self, st: int, refresh: bool = False) -> scrapy.Request:
        return scrapy.Request(
            fetch_url(st, self.root),
            callback=self.parse_article,
            errback=self.on_error,
            priority=ARTICLE_PRIORITY,
            meta={"article_st": st, "refresh": refresh},
            dont_filter=refresh,
        )

    def in_range(self, day: str) -> bool:
        if self.since is None:
            return True
        date = dt.date.fromisoformat(day)
        return self.since <= date and (self.until is None or date <= self.until)

    def day_request(self, url: str, day: str) -> scrapy.Request | None:
        """The request for a day page: once per run, and not again after a resume
        (with JOBDIR) for a day whose page was read."""
        target = rebase(url, self.root)
        if not hasattr(self, "state"):  # no JOBDIR: Scrapy's SpiderState does not run
            self.state = {}
        done: set[str] = self.state.setdefault("days_done", set())
        if target is None or day in done or day in self.days_requested or not self.in_range(day):
            return None
        self.days_requested.add(day)
        return scrapy.Request(
            target,
            callback=self.parse_day,
            errback=self.on_error,
            priority=DAY_PRIORITY,
            cb_kwargs={"day": day},
        )

    # Reading what came back -------------------------------------------------------------

    def read(
        self, response: Response, expected: PageKind
    ) -> tuple[dict[str, Any] | None, RawPage, ProblemItem | None]:
        """Extract a response: its data (None on failure), its raw page, and the problem
        when it could not be read. Pure of side effects: it runs in a worker thread."""
        headers = {
            k.decode("latin-1"): [v.decode("latin-1") for v in vs]
            for k, vs in response.headers.items()
        }
        cached = "cached" in response.flags
        page = RawPage(
            url=response.url,
            status=response.status,
            headers=headers,
            body=response.body,
            fetched_at=(cached and fetched_at(headers)) or utc_now(),
            kind=expected,
            st=response.meta.get("article_st") or article_st(response.url, self.root or None),
            from_cache=cached,
        )
        try:
            data = read_page(response.body, response.url, page.content_type, expected).data
        except NotACentrasiaPage as exc:
            page.extraction_error = exc.reason
            return None, page, ProblemItem(response.url, exc.reason, kind=f"extraction:{expected}")
        return data, page, None

    def report(self, problem: ProblemItem) -> None:
        """A problem, to the archive's run (not an item)."""
        self.crawler.signals.send_catch_log(signal=our_signals.problem_found, problem=problem)

    def headlines(self, data: dict[str, Any], page_url: str) -> Iterator[Any]:
        """The page's headlines, to the archive; requests for the articles in range."""
        listing = listing_item(data, page_url)
        self.crawler.stats.inc_value("centrasia/headlines", len(listing.headlines))
        self.crawler.signals.send_catch_log(signal=our_signals.listing_read, listing=listing)
        for rejected in data.get("rejected", ()):
            self.logger.warning(
                "left out of %s: %s (%s)", page_url, rejected["line"], rejected["reason"]
            )
            self.report(
                ProblemItem(page_url, f"{rejected['reason']}: {rejected['line']}", "rejected")
            )
        for headline in listing.headlines:
            if self.in_range(headline.listed_on):
                yield self.article_request(headline.st)

    async def extracted(self, response: Response, expected: PageKind) -> dict[str, Any] | None:
        """:meth:`read` in a worker thread (lxml parses and transforms without the GIL,
        so extraction overlaps with the downloads and the archive's writes); the raw
        page and any problem go to the archive from here, on the crawl's own thread."""
        data, page, problem = await asyncio.to_thread(self.read, response, expected)
        self.crawler.stats.inc_value(f"centrasia/pages/{expected}")
        if page.from_cache:
            self.crawler.stats.inc_value("centrasia/pages_from_cache")
        # Awaited: the archive's writer may be behind, and the crawl waits for it here.
        await self.crawler.signals.send_catch_log_async(signal=our_signals.page_read, page=page)
        if problem is not None:
            self.crawler.stats.inc_value(f"centrasia/extraction_failed/{expected}")
            self.logger.warning("extraction failed for %s: %s", response.url, problem.reason)
            self.report(problem)
        return data

    async def parse(self, response: Response, **kwargs: Any) -> AsyncIterator[Any]:
        """Any page of the site, routed by its address: the root is the index, the feed's
        and articles' addresses are fixed; the archive calendar and day pages, whose
        addresses the site does not fix, by their content. ``scrapy parse URL`` calls this.

        @site index
        @returns requests 1
        @returns items 0 0
        """
        callback = await self.route(response)
        async for output in callback(response):
            yield output

    async def route(self, response: Response) -> Any:
        """The callback for a page, by its address or else by its content."""
        url, root = response.url, self.root or response.url
        if url.rstrip("/") == root.rstrip("/"):
            return self.parse_index
        if url == urljoin(root, FEED_PATH):
            return self.parse_feed
        if article_st(url, root) is not None:
            return self.parse_article
        try:
            found = await asyncio.to_thread(
                extract, response.body, url, response.headers.get("Content-Type")
            )
        except NotACentrasiaPage:
            return self.parse_day  # read as a listing: the failure is reported as such
        callbacks = {
            "calendar": self.parse_calendar,
            "feed": self.parse_feed,
            "article": self.parse_article,
        }
        return callbacks.get(found.kind, self.parse_day)

    async def parse_index(self, response: Response) -> AsyncIterator[Any]:
        """The index: its headlines, the articles in range, and (backfills) the calendar.

        @site index
        @returns requests 1
        @returns items 0 0
        """
        data = await self.extracted(response, "listing")
        if data is None:
            return
        count = sum(len(day["headlines"]) for day in data["days"])
        self.crawler.stats.set_value("centrasia/index_headlines", count)
        for request in self.headlines(data, response.url):
            yield request
        if self.since:
            archive_url = data.get("archive_url")
            if archive_url and (target := rebase(archive_url, self.root)):
                yield scrapy.Request(
                    target,
                    callback=self.parse_calendar,
                    errback=self.on_error,
                    priority=1,
                    dont_filter=True,
                )
            else:
                self.report(ProblemItem(response.url, "index has no link to the archive (Архив)"))

    async def parse_feed(self, response: Response) -> AsyncIterator[Any]:
        """The RSS feed: a request for each article it lists.

        @site feed
        @returns requests 1
        @returns items 0 0
        """
        data = await self.extracted(response, "feed")
        for entry in data["items"] if data else ():
            yield self.article_request(entry["st"])

    async def parse_calendar(self, response: Response) -> AsyncIterator[Any]:
        """The archive calendar: a request for each day page in range.

        @site calendar
        @returns requests 1
        @returns items 0 0
        """
        data = await self.extracted(response, "calendar")
        days = [d for d in data["days"] if self.in_range(d["date"])] if data else []
        self.crawler.stats.set_value("centrasia/backfill/days_in_range", len(days))
        if data and data["days"]:  # an empty range is told against the calendar's own
            listed = sorted(d["date"] for d in data["days"])
            self.crawler.stats.set_value(
                "centrasia/backfill/calendar", f"{listed[0]} to {listed[-1]}"
            )
            self.crawler.stats.set_value(
                "centrasia/backfill/range", f"{self.since} to {self.until or 'today'}"
            )
        for day in sorted(days, key=lambda d: d["date"], reverse=True):
            request = self.day_request(day["url"], day["date"])
            if request is not None:
                yield request

    async def parse_day(self, response: Response, day: str | None = None) -> AsyncIterator[Any]:
        """A day page: its headlines, the articles in range, and the previous day.
        ``day`` is the date it was asked for (``scrapy parse``: the page's own first day).

        @site day
        @returns requests 1
        @returns items 0 0
        """
        data = await self.extracted(response, "listing")
        if data is None:
            return
        if day is None:
            day = data["days"][0]["date"] if data["days"] else None
        self.crawler.stats.inc_value("centrasia/backfill/days_done")
        if day is not None:
            if not hasattr(self, "state"):
                self.state = {}
            self.state.setdefault("days_done", set()).add(day)
        for request in self.headlines(data, response.url):
            yield request
        prev_day = data.get("prev_day")
        if prev_day:  # days the calendar did not list are reached through their neighbours
            request = self.day_request(prev_day["url"], prev_day["date"])
            if request is not None:
                yield request

    async def parse_article(self, response: Response) -> AsyncIterator[Any]:
        """An article page: the article, the one item a crawl yields.

        @site article
        @returns items 1 1
        @returns requests 0 0
        @scrapes st url title published_at body
        """
        data = await self.extracted(response, "article")
        if data is not None:
            for unread in data.get("unread_lines", ()):
                # The source's lines are whatever an outlet printed: a line not read is
                # the site's mistake (kept out of the body), not the crawl's error.
                # Recorded on the run, never an item: a feed holds articles only.
                self.logger.warning(
                    "not read in %s: %s (%s)", response.url, unread["line"], unread["reason"]
                )
                self.report(
                    ProblemItem(response.url, f"{unread['reason']}: {unread['line']}", "rejected")
                )
            yield article_item(data)

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        reason = describe_failure(failure)
        kind = "robots" if "robots.txt" in reason else "fetch"
        if kind == "fetch":
            self.logger.error("could not fetch %s: %s", url, reason)
        self.report(ProblemItem(url, reason, kind=kind))


def fetched_at(headers: dict[str, list[str]]) -> str | None:
    """When a response was first fetched, from its ``Date`` header (UTC, ISO 8601): what
    a page replayed from Scrapy's HTTP cache still carries of its original fetch.

    >>> fetched_at({"Date": ["Thu, 19 Feb 2026 09:30:00 GMT"]})
    '2026-02-19T09:30:00+00:00'
    >>> fetched_at({}) is None
    True
    """
    from email.utils import parsedate_to_datetime

    for name, values in headers.items():
        if name.lower() == "date" and values:
            try:
                when = parsedate_to_datetime(values[0])
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            return when.astimezone(dt.UTC).isoformat(timespec="seconds")
    return None


def describe_failure(failure: Failure) -> str:
    """One line saying why a request failed."""
    from scrapy.exceptions import IgnoreRequest
    from scrapy.spidermiddlewares.httperror import HttpError

    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    if isinstance(exc, IgnoreRequest):
        return str(exc) or "ignored"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
