"""The RSS feed -> its items (``st``, ``url``, ``title``, ``published_at``)."""

from __future__ import annotations

import datetime as dt
import re
import threading
from email.utils import parsedate_to_datetime
from typing import Any, Final

from lxml import etree

from centrasia_crawler.extraction.errors import NotACentrasiaPage
from centrasia_crawler.normalize.permalinks import article_st, permalink
from centrasia_crawler.normalize.site_clock import st_to_moscow, to_moscow
from centrasia_crawler.normalize.text import clean_text

_XML_DECL_RE: Final = re.compile(r"^\s*<\?xml[^>]*\?>")
_FEED_START_RE: Final = re.compile(
    r"^\s*(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*<(rss|rdf:RDF)\b", re.S
)
_FEED_END_RE: Final = re.compile(r"</(rss|rdf:RDF)\s*>\s*$")
_local = threading.local()  # lxml parsers may not be shared between threads


def _parser() -> etree.XMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            recover=False, resolve_entities=False, no_network=True, huge_tree=False
        )
    return parser


def looks_like_feed(text: str) -> bool:
    """True when the document is an RSS feed."""
    return _FEED_START_RE.match(text[:4096]) is not None


def extract_feed(text: str, base: str) -> dict[str, Any]:
    """The feed's items in the shape of ``specimen/expected/redtram.json``."""
    if not _FEED_END_RE.search(text[-256:]):
        raise NotACentrasiaPage("truncated feed (no closing </rss>)")
    try:
        root = etree.fromstring(_XML_DECL_RE.sub("", text, count=1).encode("utf-8"), _parser())
    except etree.XMLSyntaxError as exc:
        raise NotACentrasiaPage(f"malformed feed ({exc})") from None
    items = []
    for item in root.iter("item"):
        st = article_st(item.findtext("link") or item.findtext("guid") or "", base)
        if st is None:
            continue
        published = st_to_moscow(st)
        pub_date = item.findtext("pubDate")
        if pub_date:
            try:
                when = parsedate_to_datetime(pub_date.strip())
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None:
                published = to_moscow(when if when.tzinfo else when.replace(tzinfo=dt.UTC))
        items.append(
            {
                "st": st,
                "url": permalink(st),
                "title": clean_text(item.findtext("title") or ""),
                "published_at": published.isoformat(),
            }
        )
    if not items:
        raise NotACentrasiaPage("feed has no items linking to articles")
    return {"items": items}
