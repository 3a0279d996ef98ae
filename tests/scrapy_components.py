"""Components a user might add to the crawl, loaded by the end-to-end tests through
``-s`` (each test's crawl is a child process that imports them from here)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from itemadapter import ItemAdapter


class NeedsWordCount:
    """A pipeline that reads a field no one set: ``KeyError: 'word_count'`` on every item."""

    def process_item(self, item: Any) -> Any:
        ItemAdapter(item)["word_count"] += 0
        return item


class BreaksArticles:
    """A spider middleware whose output step fails on every article page: to Scrapy, an
    exception of the spider's callback (``spider_error``)."""

    async def process_spider_output(
        self, response: Any, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for output in result:
            if "newsA.php" in response.url:
                raise ValueError("broken on purpose")
            yield output
