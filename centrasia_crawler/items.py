"""What a crawl produces: articles, headlines as listed, and problems.

Only articles are Scrapy items (what ``item_scraped_count``, ``CLOSESPIDER_ITEMCOUNT``
and feeds count): :class:`ArticleItem` for an article fetched in this run,
:class:`ArchivedArticleItem` for one a backfill read from the archive instead of
fetching it again (the same fields: a feed cannot tell them apart). Listings,
problems and raw pages reach the archive through the signals of
:mod:`centrasia_crawler.signals`.

Plain dataclasses, which Scrapy, the pipelines and the archive read through
itemadapter. Fields that extraction may not fill are optional, so the validation
pipeline can drop what is incomplete with a reason instead of failing on it.

:func:`article_item` and :func:`listing_item` turn extraction's data into items: the
crawl and ``centrasia reparse`` both go through them, so an article is stored the same
way whichever way it came.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ArticleItem:
    """An article: the shape of ``specimen/expected/article_*.json``, and its
    attribution (extraction reads it from the title, as a headline's)."""

    st: int | None
    url: str | None
    title: str | None
    published_at: str | None
    body: str | None
    source: str | None = None
    source_url: str | None = None
    original_date: str | None = None
    stated_permalink: str | None = None
    time_mismatch: bool = False
    attribution: str | None = None
    outlet: str | None = None
    source_domain: str | None = None
    sources: list[dict[str, str | None]] | None = None
    source_text: str | None = None
    original_date_text: str | None = None
    unread_lines: list[dict[str, str]] | None = None


@dataclass
class ArchivedArticleItem(ArticleItem):
    """An article of a backfill's range that the archive already held: read from it,
    not fetched again, so that a feed holds the whole range. Not written again."""


def archived_article_item(row: dict[str, Any]) -> ArchivedArticleItem:
    """The item of an article as the archive holds it (a row of ``articles``)."""
    import json

    fields: dict[str, Any] = {name: row.get(name) for name in ARTICLE_FIELDS}
    fields["time_mismatch"] = bool(fields["time_mismatch"])
    for name in ("sources", "unread_lines"):  # stored as JSON text
        if isinstance(fields[name], str):
            fields[name] = json.loads(fields[name])
    return ArchivedArticleItem(**fields)


@dataclass
class Headline:
    """A headline as a listing page shows it."""

    st: int
    listed_on: str
    listed_at: str
    title: str
    attribution: str | None
    page_url: str


@dataclass
class ListingItem:
    """The headlines of one listing page (one item, not fifty: items are not free)."""

    page_url: str
    headlines: list[Headline]


@dataclass
class ProblemItem:
    """Something that went wrong with one URL, recorded in the run's row."""

    url: str
    reason: str
    kind: str = "error"
    extra: dict[str, Any] = field(default_factory=dict)


#: The fields of an article item, in their order (a feed's columns).
ARTICLE_FIELDS: tuple[str, ...] = tuple(ArticleItem.__dataclass_fields__)


def article_item(data: dict[str, Any]) -> ArticleItem:
    """The item of an extracted article (as :func:`~centrasia_crawler.extraction.extract_as`
    gives it, with its attribution)."""
    return ArticleItem(
        st=data.get("st"),
        url=data.get("url"),
        title=data.get("title"),
        published_at=data.get("published_at"),
        body=data.get("body"),
        source=data.get("source"),
        source_url=data.get("source_url"),
        original_date=data.get("original_date"),
        stated_permalink=data.get("stated_permalink"),
        time_mismatch=bool(data.get("time_mismatch")),
        attribution=data.get("attribution"),
        outlet=data.get("outlet"),
        source_domain=data.get("source_domain"),
        sources=data.get("sources"),
        source_text=data.get("source_text"),
        original_date_text=data.get("original_date_text"),
        unread_lines=data.get("unread_lines") or None,
    )


def listing_item(listing: dict[str, Any], page_url: str) -> ListingItem:
    """The item of an extracted listing page (its days of headlines)."""
    return ListingItem(
        page_url,
        [
            Headline(
                st=h["st"],
                listed_on=day["date"],
                listed_at=h["listed_at"],
                title=h["title"],
                attribution=h["attribution"],
                page_url=page_url,
            )
            for day in listing["days"]
            for h in day["headlines"]
        ],
    )
