"""Contracts for ``scrapy check``: ``@site KIND`` asks for a page of the site being
crawled (``CENTRASIA_ROOT_URL``), the live site or a replica alike.

``index`` and ``feed`` have fixed addresses under the root. The others are found
the way a reader finds them, fetched once when the check starts: ``article`` is the
first article the index lists, ``calendar`` the page its ``Архив`` link names, and
``day`` the newest day page that calendar lists. Scrapy's own contracts
(``@returns``, ``@scrapes``) then check what the callback made of it.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

from scrapy.contracts import Contract

from centrasia_crawler.extraction import extract_as
from centrasia_crawler.normalize.permalinks import fetch_url, rebase
from centrasia_crawler.site import FEED_PATH

KINDS = ("index", "feed", "article", "calendar", "day")


def _get(url: str, user_agent: str) -> tuple[bytes, str | None]:
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.read(), answer.headers.get("Content-Type")


def site_url(kind: str, root: str, user_agent: str = "centrasia-crawler") -> str:
    """The address of a page of ``kind`` on the site at ``root``."""
    if kind not in KINDS:
        raise ValueError(f"@site {kind}: expected one of {', '.join(KINDS)}")
    if kind == "index":
        return root
    if kind == "feed":
        return urljoin(root, FEED_PATH)
    body, content_type = _get(root, user_agent)
    index = extract_as("listing", body, root, content_type)
    if kind == "article":
        st = next(h["st"] for day in index["days"] for h in day["headlines"])
        return fetch_url(st, root)
    calendar = rebase(index.get("archive_url") or "", root)
    if calendar is None:
        raise ValueError("the index has no link to the archive (Архив)")
    if kind == "calendar":
        return calendar
    body, content_type = _get(calendar, user_agent)
    days = extract_as("calendar", body, calendar, content_type)["days"]
    newest = max(days, key=lambda d: d["date"])
    day = rebase(newest["url"], root)
    if day is None:
        raise ValueError(f"the calendar's day {newest['date']} is on another site")
    return day


class SiteContract(Contract):
    """``@site KIND``: the request goes to a page of that kind on the crawled site."""

    name = "site"

    def __init__(self, method: Callable[..., Any], *args: Any) -> None:
        super().__init__(method, *args)
        self.spider = getattr(method, "__self__", None)

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        settings = self.spider.crawler.settings  # type: ignore[union-attr]
        root = self.spider.root or str(settings.get("CENTRASIA_ROOT_URL"))  # type: ignore[union-attr]
        args["url"] = site_url(self.args[0], root, str(settings.get("USER_AGENT")))
        return args
