"""Listing pages (the index and the archive's day pages) -> days of headlines.

Anchors: day headings (``Четверг, 19.02.2026``), lines that start with ``HH:MM``
and link to ``newsA.php?st=``, the link ``Архив``, and links whose text or title
carries a date (previous / next day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from centrasia_crawler.extraction.blocks import Link, Page
from centrasia_crawler.extraction.errors import NotACentrasiaPage
from centrasia_crawler.normalize.headline import attribution
from centrasia_crawler.normalize.permalinks import article_st, permalink
from centrasia_crawler.normalize.site_clock import (
    DateParseError,
    clock_of_day,
    parse_date_line,
    parse_day_heading,
    parse_leading_time,
    parse_numeric_date,
)
from centrasia_crawler.site import ARCHIVE_LINK_TEXT, ARTICLE_PATH

PREV_MARKS: Final = ("«", "‹", "←", "◄", "<", "назад", "пред")
NEXT_MARKS: Final = ("»", "›", "→", "►", ">", "вперед", "вперёд", "след")


def link_date(link: Link) -> dt.date | None:
    """The date a (non-article) link names in its title or text, or None."""
    for text in (link.title, link.text):
        if not text:
            continue
        try:
            found = parse_numeric_date(text) or parse_date_line(text)
        except DateParseError:  # a numeric date naming no real day
            continue
        if found is not None:
            return found
    return None


def _article_link(links: list[Link], base: str) -> tuple[int, Link] | None:
    for link in links:
        st = article_st(link.raw, base)
        if st is not None:
            return st, link
    return None


@dataclass
class Days:
    """What a listing page gave: days of headlines, and what it had to leave out."""

    days: list[dict[str, Any]] = field(default_factory=list)
    orphans: int = 0  # timed article lines before any day heading
    rejected: list[dict[str, str]] = field(default_factory=list)

    def reject(self, line: str, reason: str) -> None:
        self.rejected.append({"line": line, "reason": reason})


def _bad_article_link(links: list[Link]) -> Link | None:
    """A link that points at ``newsA.php`` but names no valid ``st`` (negative, huge, text)."""
    return next((link for link in links if ARTICLE_PATH.lower() in link.raw.lower()), None)


def read_days(page: Page) -> Days:
    """The days of headlines on a page; lines it cannot trust are rejected with a reason."""
    found_days = Days()
    current: dict[str, Any] | None = None
    clock: Callable[[int, int], str] | None = None
    pending: tuple[int, int] | None = None
    bad_heading: str | None = None
    for block in page.blocks:
        try:
            heading = parse_day_heading(block.text)
        except DateParseError:
            found_days.reject(block.text, "day heading names no real day")
            current, clock, bad_heading, pending = None, None, block.text, None
            continue
        if heading is not None:
            clock = clock_of_day(heading)
            current = {"date": heading.isoformat(), "headlines": []}
            found_days.days.append(current)
            pending, bad_heading = None, None
            continue
        line_time = parse_leading_time(block.text)
        time = line_time or pending
        if time is None:
            continue  # no time: not a listing line (an untimed link is a sidebar's)
        found = _article_link(block.links, page.url)
        if found is None:
            if line_time is not None:
                bad = _bad_article_link(block.links)
                if bad is not None:
                    found_days.reject(block.text, f"link names no valid article: {bad.raw}")
            # A time alone on its line, its headline on the next (time and title in cells).
            pending = line_time if line_time is not None and len(block.text) <= 5 else None
            continue
        st, link = found
        title = link.text or block.text[block.text.find(" ") + 1 :].strip()
        pending = None
        if current is None or clock is None:
            if bad_heading is not None:
                found_days.reject(block.text, f"listed under an impossible day: {bad_heading}")
            else:
                found_days.orphans += 1
            continue
        current["headlines"].append(
            {
                "st": st,
                "url": permalink(st),
                "title": title,
                "listed_at": clock(*time),
                "attribution": attribution(title),
            }
        )
    found_days.days = [d for d in found_days.days if d["headlines"]]
    return found_days


def _neighbours(page: Page, day: dt.date) -> tuple[dict[str, str] | None, dict[str, str] | None]:
    before: list[tuple[dt.date, bool, str]] = []
    after: list[tuple[dt.date, bool, str]] = []
    for block in page.blocks:
        for link in block.links:
            if article_st(link.raw, page.url) is not None:
                continue
            when = link_date(link)
            if when is None or when == day:
                continue
            text = f"{link.text} {block.text}".lower()
            if when < day:
                before.append((when, any(m in text for m in PREV_MARKS), link.href))
            else:
                after.append((when, any(m in text for m in NEXT_MARKS), link.href))

    def pick(found: list[tuple[dt.date, bool, str]], latest: bool) -> dict[str, str] | None:
        if not found:
            return None
        marked = [f for f in found if f[1]] or found
        when, _, href = max(marked) if latest else min(marked)
        return {"date": when.isoformat(), "url": href}

    return pick(before, latest=True), pick(after, latest=False)


def archive_url(page: Page) -> str | None:
    """Where the page's ``Архив`` link leads (its text in any case), or None."""
    label = ARCHIVE_LINK_TEXT.lower()
    for block in page.blocks:
        for link in block.links:
            if link.text.lower() == label and link.href:
                return link.href
    return None


def extract_listing(page: Page) -> dict[str, Any]:
    """The days of headlines on a listing page (the index or an archive day), newest
    first, with the page's navigation: ``days``, ``archive_url``, ``prev_day``,
    ``next_day`` (each None when the page has none), and ``rejected`` when lines were
    left out (they are reported, never dropped silently).

    :func:`as_published` gives the shape of ``specimen/expected``.
    """
    found = read_days(page)
    days = found.days
    if not days:
        if found.orphans:
            raise NotACentrasiaPage(
                f"{found.orphans} timed headlines but no day heading ('Четверг, 19.02.2026')"
            )
        if found.rejected:
            raise NotACentrasiaPage(f"no usable headlines: {found.rejected[0]['reason']}")
        raise NotACentrasiaPage("no day heading followed by timed headlines")
    days.sort(key=lambda d: d["date"], reverse=True)
    prev_day = next_day = None
    if len(days) == 1:  # a day page links to its neighbours
        prev_day, next_day = _neighbours(page, dt.date.fromisoformat(days[0]["date"]))
    listing: dict[str, Any] = {
        "days": days,
        "archive_url": archive_url(page),
        "prev_day": prev_day,
        "next_day": next_day,
    }
    if found.rejected:
        listing["rejected"] = found.rejected
    return listing


def as_published(listing: dict[str, Any]) -> dict[str, Any]:
    """A listing in the shape of ``specimen/expected``: a page of one day that links to a
    neighbouring day is an archive day (``date``, ``headlines``, ``prev_day``,
    ``next_day``); any other is the index (``days``, ``archive_url``)."""
    extra = {"rejected": listing["rejected"]} if "rejected" in listing else {}
    if listing["prev_day"] or listing["next_day"]:
        [day] = listing["days"]
        return {**day, "prev_day": listing["prev_day"], "next_day": listing["next_day"], **extra}
    return {"days": listing["days"], "archive_url": listing["archive_url"], **extra}
