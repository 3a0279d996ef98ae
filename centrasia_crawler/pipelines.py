"""Item pipelines: one concern each.

- :class:`ValidatePipeline` drops an article missing ``st``, ``title``,
  ``published_at`` or ``body``, with the reason counted in crawler stats and in the
  run's row.
- :class:`ArchivePipeline` writes everything else to the archive in batches (one
  transaction each) and records the run in ``crawl_runs``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from centrasia_crawler.archive import Archive, RawPage
from centrasia_crawler.items import ArticleItem, HeadlineItem, PageItem, ProblemItem

REQUIRED_ARTICLE_FIELDS = ("st", "title", "published_at", "body")


def missing_fields(item: ArticleItem) -> list[str]:
    """The required fields an article lacks (None or blank).

    >>> missing_fields(ArticleItem(st=1, url=None, title=" ", published_at="x", body=None))
    ['title', 'body']
    """
    missing = []
    for name in REQUIRED_ARTICLE_FIELDS:
        value = getattr(item, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(name)
    return missing


class ValidatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            missing = missing_fields(item)
            if missing:
                reason = "missing " + ", ".join(missing)
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value(f"centrasia/dropped/{reason}")
                raise DropItem(f"article st={item.st}: {reason}")
        return item


class ArchivePipeline:
    """Buffers items and writes them in batches; owns the run's row in ``crawl_runs``."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.path = str(settings.get("CENTRASIA_ARCHIVE_PATH"))
        self.batch_size = settings.getint("CENTRASIA_BATCH_SIZE", 200)
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.articles: list[dict[str, Any]] = []
        self.listings: list[dict[str, Any]] = []
        self.pages: list[RawPage] = []
        self.problems: list[dict[str, Any]] = []
        self.counters: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    @property
    def stats(self) -> Any:
        return self.crawler.stats

    def open_spider(self) -> None:
        self.archive = Archive.open(self.path)
        spider = self.crawler.spider
        self.run_id = self.archive.start_run(
            getattr(spider, "mode", "unknown"), getattr(spider, "arguments", {})
        )
        self.stats.set_value("centrasia/run_id", self.run_id)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            self.articles.append(asdict(item))
        elif isinstance(item, HeadlineItem):
            self.listings.append(asdict(item))
        elif isinstance(item, PageItem):
            self.pages.append(RawPage(**asdict(item)))
        elif isinstance(item, ProblemItem):
            self.record_problem(item.url, item.reason, item.kind)
        if len(self.articles) + len(self.listings) + len(self.pages) >= self.batch_size:
            self.flush()
        return item

    def record_problem(self, url: str, reason: str, kind: str) -> None:
        self.problems.append({"url": url, "reason": reason, "kind": kind})
        self.stats.inc_value(f"centrasia/problems/{kind}")
        if kind != "robots":
            self.counters["errors"] += 1

    def item_dropped(self, item: Any, response: Any, exception: BaseException) -> None:
        self.counters["dropped_items"] += 1
        self.problems.append(
            {"url": getattr(item, "url", None) or "", "reason": str(exception), "kind": "dropped"}
        )

    def flush(self) -> None:
        if self.archive is None or not (self.articles or self.listings or self.pages):
            return
        result = self.archive.write_batch(self.articles, self.listings, self.pages, self.run_id)
        for name, sts in (
            ("new_articles", result.new),
            ("changed_articles", result.changed),
            ("unchanged_articles", result.unchanged),
        ):
            self.counters[name] += len(sts)
            self.stats.inc_value(f"centrasia/{name}", len(sts))
        self.articles, self.listings, self.pages = [], [], []

    def close_spider(self) -> None:
        self.flush()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.archive is None or self.run_id is None:
            return
        self.flush()
        self.counters["requests"] = self.stats.get_value("downloader/request_count", 0)
        self.archive.finish_run(self.run_id, reason, self.counters, self.problems)
        self.archive.close()
        self.archive = None
