"""Middlewares.

- :class:`SkipArchivedMiddleware` (spider middleware) skips the articles the archive
  already has. scrapy-deltafetch and scrapy-crawl-once do not work on Scrapy 2.19,
  and the archive already knows what it holds: every article request
  (``meta["article_st"]``) is checked against it, unless the request is a refresh.
  A read-only connection sees what earlier runs (and this run's committed batches)
  stored. In a backfill, an archived article of the range is read from the archive
  and goes on as an item in place of its request, so that a feed holds the whole
  range. It does nothing until the crawl's run is open (Scrapy's tools never open one).
- :class:`RedirectGuardMiddleware` (downloader middleware) keeps redirects on the
  site: one to the site's old hosts (``www.centrasia.ru``, ``http://…``) is moved
  onto ``CENTRASIA_ROOT_URL``; one to another site is not followed and fails with
  its reason (Scrapy's OffsiteMiddleware would drop it silently at scheduling).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from centrasia_crawler import signals as our_signals
from centrasia_crawler.archive import Archive
from centrasia_crawler.items import archived_article_item
from centrasia_crawler.normalize.permalinks import is_site_url, rebase


class SkipArchivedMiddleware(BaseSpiderMiddleware):
    """Drops requests for articles already archived (a backfill yields them from the
    archive instead); counts them in crawler stats."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        path = crawler.settings.get("CENTRASIA_ARCHIVE_PATH")
        if not path or not crawler.settings.getbool("CENTRASIA_SKIP_ARCHIVED", True):
            raise NotConfigured
        self.path = str(path)
        self.archive: Archive | None = None
        #: Articles asked for (or read from the archive) in this run: each once.
        self.seen: set[int] = set()
        crawler.signals.connect(self._open, signal=our_signals.archive_opened)
        crawler.signals.connect(self._close, signal=signals.spider_closed)

    def _open(self) -> None:  # the archive pipeline created or upgraded it
        self.archive = Archive.open(self.path, readonly=True)

    def _close(self) -> None:
        if self.archive is not None:
            self.archive.close()
            self.archive = None

    def get_processed_request(self, request: Request, response: Response | None) -> Any:
        st = request.meta.get("article_st")
        if self.archive is None or st is None:
            return request
        st = int(st)
        if request.meta.get("refresh"):
            self.seen.add(st)
            return request
        if st in self.seen:  # the dupe filter would drop it; an archived one, once
            return None
        self.seen.add(st)
        if not self.archive.has_article(st):
            return request
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("centrasia/skipped_archived")
        if getattr(self.crawler.spider, "since", None) is None:
            return None  # an incremental run's items are what it fetched
        row = self.archive.article(st)
        return None if row is None else archived_article_item(row)


class RedirectGuardMiddleware:
    """Redirects stay on the site: to its old hosts they are moved onto the root, to
    another site they are not followed (the request fails with the reason, and the
    failure is recorded with the run).

    It sees 3xx responses before Scrapy's RedirectMiddleware (600). A redirect whose
    target rebases to the very address that was asked for is followed anyway (not a
    duplicate); REDIRECT_MAX_TIMES still bounds any loop.
    """

    STATUSES = frozenset({301, 302, 303, 307, 308})

    def __init__(self, root: str, max_times: int) -> None:
        self.root = root.rstrip("/") + "/"
        self.root_netloc = urlsplit(self.root).netloc.lower()
        self.max_times = max_times

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        return cls(
            str(crawler.settings.get("CENTRASIA_ROOT_URL")),
            crawler.settings.getint("REDIRECT_MAX_TIMES", 5),
        )

    def process_response(self, request: Request, response: Response) -> Request | Response:
        location = response.headers.get(b"Location")
        if (
            response.status not in self.STATUSES
            or not location
            or request.meta.get("dont_redirect")
        ):
            return response
        target = urljoin(request.url, location.decode("latin-1").strip())
        if urlsplit(target).netloc.lower() == self.root_netloc:
            return response  # on the root already: Scrapy's RedirectMiddleware follows it
        rebased = rebase(target, self.root) if is_site_url(target) else None
        if rebased is None:
            raise IgnoreRequest(f"redirect to another site not followed: {target}")
        times = request.meta.get("redirect_times", 0) + 1
        if times > self.max_times:
            raise IgnoreRequest(f"more than {self.max_times} redirects, the last to {target}")
        return request.replace(
            url=rebased,
            dont_filter=True,
            meta={**request.meta, "redirect_times": times},
        )
