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

Article addresses are built from ``st`` and ``CENTRASIA_ROOT_URL``, whatever host a
link named; links to other sites are never followed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from centrasia_crawler.archive import Archive, utc_now
from centrasia_crawler.extraction import NotACentrasiaPage, PageKind, extract_as
from centrasia_crawler.items import ArticleItem, PageItem, ProblemItem, article_item, listing_item
from centrasia_crawler.normalize.permalinks import fetch_url, rebase
from centrasia_crawler.options import (
    OptionError,
    check_range,
    check_root,
    parse_day,
    parse_days,
)
from centrasia_crawler.site import FEED_PATH

#: Articles first, so a backfill drains one day before it opens the next.
ARTICLE_PRIORITY = 10
DAY_PRIORITY = 0


class CentrasiaSpider(scrapy.Spider):
    name = "centrasia"
    allowed_domains: list[str]
    state: dict[str, Any]  # kept in JOBDIR by Scrapy's SpiderState extension

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """Feed exports (``-o``/``-O``, ``FEEDS``) get the articles, unless a feed names
        its own ``item_classes``: raw pages, listings and problems are the archive's."""
        super().update_settings(settings)
        feeds = settings.getdict("FEEDS")
        if feeds:
            for options in feeds.values():
                options.setdefault("item_classes", [ArticleItem])
            # One above the feeds' own priority: `scrapy crawl` merges its settings into
            # the crawler once more after this, and an equal priority would lose.
            settings.set("FEEDS", feeds, priority=(settings.getpriority("FEEDS") or 0) + 1)

    def __init__(
        self,
        since: str | None = None,
        until: str | None = None,
        refresh: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.argument_error: str | None = None
        self.arguments = {
            k: v for k, v in {"since": since, "until": until, "refresh": refresh}.items() if v
        }
        self.since = self.until = None
        self.refresh_days: int | None = None
        try:
            self.since = parse_day("since", since)
            self.until = parse_day("until", until)
            self.refresh_days = parse_days("refresh", refresh)
            check_range(self.since, self.until)
        except OptionError as exc:
            self.argument_error = str(exc)
        self.mode = "backfill" if self.since else "incremental"
        if self.refresh_days:
            self.mode += "+refresh"
        self.root = ""
        self.archive_path = ""
        self.days_requested: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> CentrasiaSpider:
        spider: CentrasiaSpider = super().from_crawler(crawler, *args, **kwargs)
        root = str(crawler.settings.get("CENTRASIA_ROOT_URL"))
        try:
            spider.root = check_root(root)
        except OptionError as exc:
            spider.argument_error = f"CENTRASIA_ROOT_URL: {exc}"
        spider.allowed_domains = [urlsplit(root).hostname or ""]
        spider.archive_path = crawler.settings.get("CENTRASIA_ARCHIVE_PATH")
        return spider

    # What to fetch first ----------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        if self.argument_error:
            self.logger.error("bad argument: %s", self.argument_error)
            self.crawler.stats.set_value("centrasia/argument_error", self.argument_error)
            raise scrapy.exceptions.CloseSpider("bad_arguments")
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
    ) -> tuple[dict[str, Any] | None, list[Any]]:
        """Extract a response; return its data (None on failure) and the items to yield."""
        page = PageItem(
            url=response.url,
            status=response.status,
            headers={
                k.decode("latin-1"): [v.decode("latin-1") for v in vs]
                for k, vs in response.headers.items()
            },
            body=response.body,
            fetched_at=utc_now(),
            kind=expected,
            st=response.meta.get("article_st"),
        )
        self.crawler.stats.inc_value(f"centrasia/pages/{expected}")
        try:
            data = extract_as(expected, response.body, response.url, page.content_type)
        except NotACentrasiaPage as exc:
            page.extraction_error = exc.reason
            self.crawler.stats.inc_value(f"centrasia/extraction_failed/{expected}")
            self.logger.warning("extraction failed for %s: %s", response.url, exc.reason)
            problem = ProblemItem(response.url, exc.reason, kind=f"extraction:{expected}")
            return None, [page, problem]
        return data, [page]

    def headlines(self, data: dict[str, Any], page_url: str) -> Iterator[Any]:
        """The page's headlines as one item, and requests for the articles in range."""
        listing = listing_item(data, page_url)
        self.crawler.stats.inc_value("centrasia/headlines", len(listing.headlines))
        yield listing
        for rejected in data.get("rejected", ()):
            self.logger.warning(
                "left out of %s: %s (%s)", page_url, rejected["line"], rejected["reason"]
            )
            yield ProblemItem(page_url, f"{rejected['reason']}: {rejected['line']}", "rejected")
        for headline in listing.headlines:
            if self.in_range(headline.listed_on):
                yield self.article_request(headline.st)

    async def extracted(
        self, response: Response, expected: PageKind
    ) -> tuple[dict[str, Any] | None, list[Any]]:
        """:meth:`read` in a worker thread: lxml parses and transforms without the GIL,
        so extraction overlaps with the downloads and the archive's writes."""
        return await asyncio.to_thread(self.read, response, expected)

    async def parse_index(self, response: Response) -> AsyncIterator[Any]:
        data, items = await self.extracted(response, "listing")
        for item in items:
            yield item
        if data is None:
            return
        count = sum(len(day["headlines"]) for day in data["days"])
        self.crawler.stats.set_value("centrasia/index_headlines", count)
        for item in self.headlines(data, response.url):
            yield item
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
                yield ProblemItem(response.url, "index has no link to the archive (Архив)")

    async def parse_feed(self, response: Response) -> AsyncIterator[Any]:
        data, items = await self.extracted(response, "feed")
        for item in items:
            yield item
        for entry in data["items"] if data else ():
            yield self.article_request(entry["st"])

    async def parse_calendar(self, response: Response) -> AsyncIterator[Any]:
        data, items = await self.extracted(response, "calendar")
        for item in items:
            yield item
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

    async def parse_day(self, response: Response, day: str) -> AsyncIterator[Any]:
        data, items = await self.extracted(response, "listing")
        for item in items:
            yield item
        if data is None:
            return
        self.crawler.stats.inc_value("centrasia/backfill/days_done")
        self.state.setdefault("days_done", set()).add(day)
        for item in self.headlines(data, response.url):
            yield item
        prev_day = data.get("prev_day")
        if prev_day:  # days the calendar did not list are reached through their neighbours
            request = self.day_request(prev_day["url"], prev_day["date"])
            if request is not None:
                yield request

    async def parse_article(self, response: Response) -> AsyncIterator[Any]:
        data, items = await self.extracted(response, "article")
        for item in items:
            yield item
        if data is not None:
            yield article_item(data)

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        reason = describe_failure(failure)
        kind = "robots" if "robots.txt" in reason else "fetch"
        if kind == "fetch":
            self.logger.error("could not fetch %s: %s", url, reason)
        yield ProblemItem(url, reason, kind=kind)


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
