"""Scrapy's log lines about items, without the items' text.

Scrapy logs every scraped item whole at DEBUG (``Scraped from <url>`` and the item),
and dropped ones at WARNING: for an article that is its whole body, for 50 articles a
megabyte of log. Here an item is named in one line (its class, ``st`` and the start
of its title), so that no log line at any level holds a page's body or an article's
text (setting ``LOG_FORMATTER``).
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy import logformatter

#: How much of a title a log line shows.
TITLE_CHARS = 60


def item_summary(item: Any) -> str:
    """One line naming an item.

    >>> from centrasia_crawler.items import ArticleItem
    >>> item_summary(ArticleItem(st=1, url="u", title="Заголовок", published_at=None, body="…"))
    'ArticleItem st=1: Заголовок'
    """
    try:
        adapter = ItemAdapter(item)
    except TypeError:
        return type(item).__name__
    title = str(adapter.get("title") or "")
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1] + "…"
    return f"{type(item).__name__} st={adapter.get('st')}: {title}"


class LogFormatter(logformatter.LogFormatter):
    def scraped(self, item: Any, response: Any, spider: Any) -> Any:
        entry = super().scraped(item, response, spider)
        entry["msg"] = "Scraped from %(src)s: %(item)s"
        entry["args"] = {**entry["args"], "item": item_summary(item)}  # type: ignore[dict-item]
        return entry

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> Any:
        entry = super().dropped(item, exception, response, spider)
        entry["msg"] = "Dropped: %(exception)s: %(item)s"
        entry["args"] = {**entry["args"], "item": item_summary(item)}  # type: ignore[dict-item]
        return entry

    def item_error(self, item: Any, exception: BaseException, response: Any, spider: Any) -> Any:
        entry = super().item_error(item, exception, response, spider)
        entry["args"] = {**entry["args"], "item": item_summary(item)}  # type: ignore[dict-item]
        return entry
