"""Middlewares.

- :class:`SkipArchivedMiddleware` (spider middleware) skips the articles the archive
  already has. scrapy-deltafetch and scrapy-crawl-once do not work on Scrapy 2.19,
  and the archive already knows what it holds: every article request
  (``meta["article_st"]``) is checked against it, unless the request is a refresh.
  A read-only connection sees what earlier runs (and this run's committed batches)
  stored.
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

from centrasia_crawler.archive import Archive
from centrasia_crawler.normalize.permalinks import is_site_url, rebase


class SkipArchivedMiddleware(BaseSpiderMiddleware):
    """Drops requests for articles already archived; counts them in crawler stats."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        path = crawler.settings.get("CENTRASIA_ARCHIVE_PATH")
        if not path or not crawler.settings.getbool("CENTRASIA_SKIP_ARCHIVED", True):
            raise NotConfigured
        self.path = str(path)
        self._archive: Archive | None = None

    @property
    def archive(self) -> Archive:
        if self._archive is None:  # the archive pipeline created or upgraded it on opening
            self._archive = Archive.open(self.path, readonly=True)
            self.crawler.signals.connect(self._close, signal=signals.spider_closed)
        return self._archive

    def _close(self) -> None:
        if self._archive is not None:
            self._archive.close()
            self._archive = None

    def get_processed_request(self, request: Request, response: Response | None) -> Any:
        st = request.meta.get("article_st")
        if st is None or request.meta.get("refresh"):
            return request
        if self.archive.has_article(int(st)):
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("centrasia/skipped_archived")
            return None
        return request


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
