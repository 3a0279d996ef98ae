"""Listing pages (the index and the archive's day pages) -> days of headlines.

Anchors: day headings (``Четверг, 19.02.2026``), lines that start with ``HH:MM``
and link to ``newsA.php?st=``, the link ``Архив``, and links whose text or title
carries a date (previous / next day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, Final

from centrasia_crawler.extraction.blocks import Link, Page
from centrasia_crawler.extraction.errors import NotACentrasiaPage
from centrasia_crawler.normalize.dates import (
    DateParseError,
    clock_of_day,
    parse_day_heading,
    parse_leading_time,
    parse_numeric_date,
    parse_worded_date_line,
)
from centrasia_crawler.normalize.headline import attribution
from centrasia_crawler.normalize.permalinks import article_st, permalink
from centrasia_crawler.site import ARCHIVE_LINK_TEXT

PREV_MARKS: Final = ("«", "‹", "←", "◄", "<", "назад", "пред")
NEXT_MARKS: Final = ("»", "›", "→", "►", ">", "вперед", "вперёд", "след")


def link_date(link: Link) -> dt.date | None:
    """The date a (non-article) link names in its title or text, or None."""
    for text in (link.title, link.text):
        if not text:
            continue
        try:
            found = parse_numeric_date(text) or parse_worded_date_line(text)
        except DateParseError:
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


def read_days(page: Page) -> tuple[list[dict[str, Any]], int]:
    """The days of headlines on a page, and how many timed article lines had no day."""
    days: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    clock: Callable[[int, int], str] | None = None
    pending: tuple[int, int] | None = None
    orphans = 0
    for block in page.blocks:
        try:
            heading = parse_day_heading(block.text)
        except DateParseError as exc:
            raise NotACentrasiaPage(f"impossible day heading ({exc})") from None
        if heading is not None:
            clock = clock_of_day(heading)
            current = {"date": heading.isoformat(), "headlines": []}
            days.append(current)
            pending = None
            continue
        time = parse_leading_time(block.text)
        if time is None and pending is None:
            continue  # no time: not a listing line (an untimed link is a sidebar's)
        found = _article_link(block.links, page.url)
        if found is None:
            # A time alone on its line, its headline on the next (time and title in cells).
            pending = time if time is not None and len(block.text) <= 5 else None
            continue
        time, pending = time or pending, None
        if time is None:
            continue
        if current is None or clock is None:
            orphans += 1
            continue
        st, link = found
        title = link.text or block.text[block.text.find(" ") + 1 :].strip()
        current["headlines"].append(
            {
                "st": st,
                "url": permalink(st),
                "title": title,
                "listed_at": clock(*time),
                "attribution": attribution(title),
            }
        )
    return [d for d in days if d["headlines"]], orphans


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
    """Where the page's ``Архив`` link leads, or None."""
    for block in page.blocks:
        for link in block.links:
            if link.text.strip().lower() == ARCHIVE_LINK_TEXT.lower():
                return link.href
    return None


def extract_listing(page: Page) -> dict[str, Any]:
    """The index (``days``, ``archive_url``) or one archive day (``date``, ``headlines``,
    ``prev_day``, ``next_day``), in the shapes of ``specimen/expected``.

    A page with one day of headlines and a link to a neighbouring day is a day page.
    """
    days, orphans = read_days(page)
    if not days:
        if orphans:
            raise NotACentrasiaPage(
                f"{orphans} timed headlines but no day heading ('Четверг, 19.02.2026')"
            )
        raise NotACentrasiaPage("no day heading followed by timed headlines")
    if len(days) == 1:
        day = dt.date.fromisoformat(days[0]["date"])
        prev_day, next_day = _neighbours(page, day)
        if prev_day or next_day:
            return {**days[0], "prev_day": prev_day, "next_day": next_day}
    days.sort(key=lambda d: d["date"], reverse=True)
    return {"days": days, "archive_url": archive_url(page)}
