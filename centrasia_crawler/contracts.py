"""Contracts for ``scrapy check``: ``@site KIND`` asks for a page of the site being
crawled (``CENTRASIA_ROOT_URL``), the live site or a replica alike.

``index`` and ``feed`` have fixed addresses under the root. The others are found the
way a reader finds them, through Scrapy's own downloader (its robots.txt, retries,
User-Agent and cache apply): the request starts at the index, and
:class:`SiteDiscovery`, a downloader middleware, sends it on to the page it is after:
``article`` is the first article the index lists, ``calendar`` the page its ``Архив``
link names, and ``day`` the newest day page that calendar lists. Scrapy's own contracts
(``@returns``, ``@scrapes``) then check what the callback made of that page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

from scrapy.contracts import Contract

from centrasia_crawler.extraction import NotACentrasiaPage, extract_as
from centrasia_crawler.normalize.permalinks import fetch_url, rebase
from centrasia_crawler.site import FEED_PATH

KINDS = ("index", "feed", "article", "calendar", "day")
#: The request meta naming the kind of page a ``@site`` request is still on its way to.
SITE_META = "centrasia_site"

logger = logging.getLogger(__name__)


def next_address(kind: str, body: bytes, url: str, content_type: Any, root: str) -> str | None:
    """From a page on the way (the index, or the calendar on the way to a day), the
    address of the next one; raises :class:`ValueError` saying what is missing."""
    try:
        if url.rstrip("/") == root.rstrip("/"):  # the index
            index = extract_as("listing", body, url, content_type)
            if kind == "article":
                st = next(h["st"] for day in index["days"] for h in day["headlines"])
                return fetch_url(st, root)
            calendar = rebase(index.get("archive_url") or "", root)
            if calendar is None:
                raise ValueError("the index has no link to the archive (Архив)")
            return calendar
        days = extract_as("calendar", body, url, content_type)["days"]  # on the way to a day
    except (NotACentrasiaPage, StopIteration) as exc:
        raise ValueError(f"@site {kind}: {url} was not read: {exc or 'no headlines'}") from None
    newest = max(days, key=lambda d: d["date"])
    day = rebase(newest["url"], root)
    if day is None:
        raise ValueError(f"the calendar's day {newest['date']} is on another site")
    return day


def site_url(kind: str, root: str) -> str:
    """Where a ``@site KIND`` request starts: the page itself for ``index`` and
    ``feed``, the index for the others (found from there by :class:`SiteDiscovery`)."""
    if kind not in KINDS:
        raise ValueError(f"@site {kind}: expected one of {', '.join(KINDS)}")
    if kind == "feed":
        return urljoin(root, FEED_PATH)
    return root


class SiteContract(Contract):
    """``@site KIND``: the request goes to a page of that kind on the crawled site."""

    name = "site"

    def __init__(self, method: Callable[..., Any], *args: Any) -> None:
        super().__init__(method, *args)
        self.spider = getattr(method, "__self__", None)

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        settings = self.spider.crawler.settings  # type: ignore[union-attr]
        root = self.spider.root or str(settings.get("CENTRASIA_ROOT_URL"))  # type: ignore[union-attr]
        kind = self.args[0]
        args["url"] = site_url(kind, root)
        if kind not in ("index", "feed"):
            args["meta"] = {**(args.get("meta") or {}), SITE_META: kind}
        return args


class SiteDiscovery:
    """A downloader middleware for ``@site`` requests: the response of a page on the way
    (the index; the calendar, on the way to a day) becomes the request for the next
    page, until the page of the kind asked for comes back to the callback. Any other
    request passes untouched."""

    def __init__(self, root: str) -> None:
        self.root = root

    @classmethod
    def from_crawler(cls, crawler: Any) -> SiteDiscovery:
        from centrasia_crawler.options import DEFAULT_ROOT, OptionError, check_root

        root = str(crawler.settings.get("CENTRASIA_ROOT_URL") or DEFAULT_ROOT)
        try:
            return cls(check_root(root))
        except OptionError:  # the spider refuses it, in one line
            return cls(root)

    def process_response(self, request: Any, response: Any) -> Any:
        kind = request.meta.get(SITE_META)
        if not kind or response.status != 200:
            return response
        root = self.root
        try:
            target = next_address(
                kind, response.body, response.url, response.headers.get("Content-Type"), root
            )
        except ValueError as exc:
            logger.error("%s", exc)
            return response
        meta = dict(request.meta)
        if kind != "day" or response.url.rstrip("/") != root.rstrip("/"):
            del meta[SITE_META]  # the next page is the one asked for
        return request.replace(url=target, meta=meta)
