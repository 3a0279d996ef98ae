"""What a crawl produces: articles, headlines as listed, and problems.

Only articles are Scrapy items (what ``item_scraped_count``, ``CLOSESPIDER_ITEMCOUNT``
and feeds count): :class:`ArticleItem` for an article fetched in this run,
:class:`ArchivedArticleItem` for one a backfill read from the archive instead of
fetching it again (the same fields: a feed cannot tell them apart). Listings,
problems and raw pages reach the archive through the signals of
:mod:`centrasia_crawler.signals`.

Plain dataclasses, which Scrapy, the pipelines and the archive read through
itemadapter. Fields that extraction may not fill are optional, so the archive pipeline
can drop what is incomplete with a reason instead of failing on it.

An article's ``extra`` (a dict, empty by default) holds the fields a user's pipeline
adds (``item.extra["word_count"] = 120``): feeds write them as fields of their own,
after the article's, and the archive keeps them in ``articles.extra`` (JSON).

:func:`article_item` and :func:`listing_item` turn extraction's data into items: the
crawl and ``centrasia reparse`` both go through them, so an article is stored the same
way whichever way it came.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from centrasia_crawler.fields import ITEM_FIELDS, JSON_FIELDS

if TYPE_CHECKING:
    from centrasia_crawler.extraction import PageKind


def _default(kind: str) -> Any:
    if kind == "bool":
        return False
    if kind == "object":
        return field(default_factory=dict)
    return None


def _article_fields() -> list[tuple[str, Any] | tuple[str, Any, Any]]:
    """The item's fields from :data:`~centrasia_crawler.fields.ARTICLE`: what an item
    must have has no default; a flag defaults to False, ``extra`` to an empty dict,
    the rest to None."""
    return [
        (f.name, f.python_type()) if f.required else (f.name, f.python_type(), _default(f.kind))
        for f in ITEM_FIELDS
    ]


if TYPE_CHECKING:  # the fields are made at run time: to a type checker, any attribute

    class ArticleItem:
        def __init__(self, **fields: Any) -> None: ...
        def __getattr__(self, name: str) -> Any: ...

    class ArchivedArticleItem(ArticleItem): ...

else:
    ArticleItem = dataclasses.make_dataclass(
        "ArticleItem",
        _article_fields(),
        kw_only=True,
        namespace={
            "__module__": __name__,
            "__doc__": "An article: the shape of ``specimen/expected/article_*.json``, and its"
            " attribution (extraction reads it from the title, as a headline's); its fields"
            " are those of :data:`centrasia_crawler.fields.ARTICLE` that are the item's.",
        },
    )
    ArchivedArticleItem = dataclasses.make_dataclass(
        "ArchivedArticleItem",
        [],
        bases=(ArticleItem,),
        kw_only=True,
        namespace={
            "__module__": __name__,
            "__doc__": "An article of a backfill's range that the archive already held: read"
            " from it, not fetched again, so that a feed holds the whole range. Not written"
            " again.",
        },
    )


def archived_article_item(row: dict[str, Any]) -> ArchivedArticleItem:
    """The item of an article as the archive holds it (a row of ``articles``)."""
    import json

    fields: dict[str, Any] = {name: row.get(name) for name in ARTICLE_FIELDS}
    fields["time_mismatch"] = bool(fields["time_mismatch"])
    for name in JSON_FIELDS:  # stored as JSON text
        if isinstance(fields[name], str):
            fields[name] = json.loads(fields[name])
    fields["extra"] = fields.get("extra") or {}
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
ARTICLE_FIELDS: tuple[str, ...] = tuple(f.name for f in ITEM_FIELDS)


def article_item(data: dict[str, Any]) -> ArticleItem:
    """The item of an extracted article (as :func:`~centrasia_crawler.extraction.extract_as`
    gives it, with its attribution): a flag as a bool, an empty list as None."""
    values: dict[str, Any] = {}
    for f in ITEM_FIELDS:
        value = data.get(f.name)
        if f.kind == "bool":
            value = bool(value)
        elif f.kind == "json":
            value = value or None
        elif f.kind == "object":
            value = dict(value or {})
        values[f.name] = value
    return ArticleItem(**values)


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


@dataclass(frozen=True)
class ReadPage:
    """A page as the crawl reads it: its kind, its data, and its item (an article's
    :class:`ArticleItem`, a listing's :class:`ListingItem`; None for the rest)."""

    kind: PageKind
    data: dict[str, Any]
    item: Any


def read_page(
    document: bytes | str,
    url: str,
    content_type: str | bytes | None = None,
    kind: PageKind | None = None,
) -> ReadPage:
    """The one reading of a page: the crawl's (``kind`` given: what it asked for), and
    so that of ``scrapy parse``, of the shell helper (:func:`extract_response`) and of
    ``centrasia extract --item`` (``kind`` recognised from the content). An article's data has its
    attribution, a listing's its days of headlines (:func:`extraction.extract_as
    <centrasia_crawler.extraction.extract_as>`); raises
    :class:`~centrasia_crawler.extraction.NotACentrasiaPage`."""
    from centrasia_crawler.extraction import extract, extract_as

    if kind is None:
        kind = extract(document, url, content_type).kind
    data = extract_as(kind, document, url, content_type)
    item: Any = None
    if kind == "article":
        item = article_item(data)
    elif kind == "listing":
        item = listing_item(data, url)
    return ReadPage(kind, data, item)


def extract_response(response: Any) -> ReadPage:
    """A Scrapy response read as the crawl reads it (:func:`read_page`), in one call; in
    ``scrapy shell URL``::

        from centrasia_crawler.items import extract_response
        page = extract_response(response)   # page.kind: 'article'; page.data; page.item

    Anything with ``body``, ``url`` and ``headers`` will do (no Scrapy import here).
    """
    return read_page(response.body, response.url, response.headers.get("Content-Type"))
