"""The archive calendar -> the days it links to.

A day is a link that names a date: in its title (``01.02.2026``), in its text, or
as a bare day number under a month heading (``Февраль 2026``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from centrasia_crawler.extraction.blocks import Page
from centrasia_crawler.extraction.errors import NotACentrasiaPage
from centrasia_crawler.extraction.listing import link_date
from centrasia_crawler.normalize.permalinks import article_st
from centrasia_crawler.normalize.site_clock import parse_month_heading


def extract_calendar(page: Page) -> dict[str, Any]:
    """``days``: every linked day, oldest first, each ``{"date", "url"}``."""
    found: dict[dt.date, str] = {}
    month: tuple[int, int] | None = None
    for block in page.blocks:
        heading = parse_month_heading(block.text)
        if heading is not None:
            month = heading
            continue
        for link in block.links:
            if article_st(link.raw, page.url) is not None:
                continue
            when = link_date(link)
            if when is None and month is not None and link.text.isdigit() and len(link.text) <= 2:
                try:
                    when = dt.date(month[0], month[1], int(link.text))
                except ValueError:
                    when = None
            if when is not None:
                found.setdefault(when, link.href)
    if not found:
        raise NotACentrasiaPage("no links to days (no dates in link texts or titles)")
    return {"days": [{"date": d.isoformat(), "url": found[d]} for d in sorted(found)]}
