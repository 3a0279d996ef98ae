"""Spider middleware: skip the articles the archive already has.

scrapy-deltafetch and scrapy-crawl-once do not work on Scrapy 2.19, and the archive
already knows what it holds: every article request (``meta["article_st"]``) is
checked against it, unless the request is a refresh. A read-only connection
sees what earlier runs (and this run's committed batches) stored.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from centrasia_crawler.archive import Archive


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
        if self._archive is None:
            Archive.open(self.path).close()  # create or upgrade before reading
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
