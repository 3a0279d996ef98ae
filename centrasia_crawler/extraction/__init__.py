"""Extraction: a centrasia.org page (bytes or text) -> plain data. No Scrapy, no network.

:func:`extract` recognises the kind of page from its content and returns its data in
exactly the shapes of ``tests/fixtures/specimen/expected``; :func:`extract_as` reads a
page of a kind known beforehand (a listing always as days of headlines). Anything
they cannot take raises :class:`NotACentrasiaPage` with a one-line reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from centrasia_crawler.extraction.article import extract_article, find_time_line
from centrasia_crawler.extraction.blocks import Page, read_page
from centrasia_crawler.extraction.calendar import extract_calendar
from centrasia_crawler.extraction.decode import decode_document
from centrasia_crawler.extraction.errors import NotACentrasiaPage
from centrasia_crawler.extraction.feed import extract_feed, looks_like_feed
from centrasia_crawler.extraction.listing import as_published, extract_listing
from centrasia_crawler.normalize.headline import attribution
from centrasia_crawler.site import CANONICAL_ROOT, SITE_MARKER

__all__ = [
    "Extracted",
    "NotACentrasiaPage",
    "Page",
    "PageKind",
    "extract",
    "extract_article",
    "extract_as",
    "extract_calendar",
    "extract_feed",
    "extract_listing",
]

PageKind = Literal["article", "listing", "calendar", "feed"]


@dataclass(frozen=True, slots=True)
class Extracted:
    """What a page is, and its data."""

    kind: PageKind
    data: dict[str, Any]


def _text(document: bytes | str, content_type: str | bytes | None) -> str:
    text = decode_document(document, content_type) if isinstance(document, bytes) else document
    if not text.strip():
        raise NotACentrasiaPage("empty document")
    if SITE_MARKER.search(text) is None:
        raise NotACentrasiaPage("no sign of centrasia.org (no ЦентрАзия, no newsA.php links)")
    return text


def extract(
    document: bytes | str, url: str = CANONICAL_ROOT, content_type: str | bytes | None = None
) -> Extracted:
    """Recognise the kind of page by its content and extract its data.

    ``url`` is the address the page was fetched from (relative links resolve
    against it); ``content_type`` the HTTP ``Content-Type``, if any, as text or as
    bytes (Scrapy's ``response.headers.get("Content-Type")``).
    """
    text = _text(document, content_type)
    if looks_like_feed(text):
        return Extracted("feed", extract_feed(text, url))
    page = read_page(text, url)
    if find_time_line(page) is not None:
        return Extracted("article", extract_article(page))
    try:
        return Extracted("listing", as_published(extract_listing(page)))
    except NotACentrasiaPage as listing_error:
        try:
            return Extracted("calendar", extract_calendar(page))
        except NotACentrasiaPage:
            raise listing_error from None


def extract_as(
    kind: PageKind,
    document: bytes | str,
    url: str = CANONICAL_ROOT,
    content_type: str | bytes | None = None,
) -> dict[str, Any]:
    """Extract a page expected to be of ``kind``; the error says what that kind lacks.

    A listing comes as :func:`~centrasia_crawler.extraction.listing.extract_listing`
    gives it: always ``days`` of headlines. An article also has its ``attribution``,
    read from its title as a headline's is.
    """
    text = _text(document, content_type)
    if kind == "feed":
        if not looks_like_feed(text):
            raise NotACentrasiaPage("not an RSS feed (no <rss> element)")
        return extract_feed(text, url)
    page = read_page(text, url)
    if kind == "article":
        article = extract_article(page)
        return {**article, "attribution": attribution(article["title"])}
    if kind == "listing":
        return extract_listing(page)
    return extract_calendar(page)
