"""HTML -> the page's lines, the way a reader sees them.

Extraction anchors on what the page says, not on its tags: every page is first read
into *blocks*, one per line a browser shows (lines end at block elements and
``<br>``; a newline in the HTML text is only a space), each with its text, its links
and the numbers of the block elements it sits in. ``<table>`` with ``<font>`` and
``<br>``, or ``<div>`` with ``<p>``: the blocks come out the same.

The page is parsed by parsel (Scrapy's selector library); :class:`Page` keeps the
selector for what a selector says best (the ``<title>``, one link by its text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

from centrasia_crawler.extraction.errors import NotACentrasiaPage
from centrasia_crawler.normalize.text import clean_text

#: Elements that start and end a line of text.
BLOCK_TAGS: Final = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt "
    "fieldset figcaption figure footer form frameset h1 h2 h3 h4 h5 h6 header hgroup hr html "
    "legend li main menu nav noframes ol p pre section summary table tbody td tfoot th thead "
    "tr ul".split()
)
#: Elements whose content is never text of the page.
SKIP_TAGS: Final = frozenset(
    "script style noscript template head title iframe object embed svg math select option "
    "textarea button".split()
)
#: Addresses that lead nowhere a crawler could go.
NOT_LINKS: Final = ("javascript:", "mailto:", "#", "data:")
_CLOSING_TAG_RE: Final = re.compile(r"</(html|body)\s*>", re.IGNORECASE)


@dataclass(slots=True)
class Link:
    """A link as it stands on the page."""

    raw: str  #: the address as written (white space around it removed)
    text: str  #: what a reader sees, cleaned
    title: str = ""  #: its ``title`` attribute
    base: str = ""  #: the address of the page it is on

    @property
    def href(self) -> str:
        """The address resolved against the page's ("" when it cannot be)."""
        try:
            return urljoin(self.base, self.raw)
        except ValueError:  # a malformed address, such as an unclosed IPv6 bracket
            return ""


@dataclass(slots=True)
class Block:
    """One line of the page: its cleaned text, its links, and the block elements around
    it (numbered in document order, outermost first)."""

    text: str
    links: list[Link] = field(default_factory=list)
    containers: tuple[int, ...] = ()

    def link_pairs(self) -> list[tuple[str, str]]:
        """``(href, text)`` of the line's links that resolve."""
        return [(link.href, link.text) for link in self.links if link.href]


@dataclass(slots=True)
class Page:
    """A parsed HTML page: its lines, its ``<title>``, its address and its selector."""

    blocks: list[Block]
    title: str
    url: str
    selector: Selector


def read_page(text: str, url: str) -> Page:
    """Parse an HTML document into lines.

    Raises :class:`NotACentrasiaPage` when the document is cut short (no closing
    ``</body>`` or ``</html>``) or cannot be parsed at all.
    """
    if not _CLOSING_TAG_RE.search(text):
        raise NotACentrasiaPage("truncated document (no closing </body> or </html>)")
    # Parsed as UTF-8 bytes, so that an XML declaration naming another encoding is moot.
    parser = etree.HTMLParser(
        encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True
    )
    try:
        root = etree.fromstring(text.replace("\x00", "").encode("utf-8", "replace"), parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise NotACentrasiaPage(f"unparseable HTML ({exc})") from None
    if root is None:
        raise NotACentrasiaPage("unparseable HTML (no elements)")
    selector = Selector(root=root, type="html")
    title = clean_text(selector.xpath("string(//title)").get() or "")
    # What a browser does not show as text goes before the walk (the selector no longer
    # sees it either: the head, scripts, forms' controls).
    etree.strip_elements(root, *SKIP_TAGS, with_tail=False)
    return Page(linearize(root, url), title, url, selector)


def linearize(root: etree._Element, base_url: str) -> list[Block]:
    """The lines of an element tree, in document order.

    The tree is walked once: text is added to the current line until a block element
    or a ``<br>`` ends it. Inside a link a ``<br>`` or a block element is only a space,
    so a link's text always stays on one line.
    """
    blocks: list[Block] = []
    parts: list[str] = []  # the current line's text, piece by piece
    add = parts.append
    links: list[Link] = []  # the current line's links
    around: list[int] = []  # numbers of the block elements open around the current line
    numbered = 0  # block elements met so far
    link: etree._Element | None = None  # the link being read ...
    link_start = 0  # ... whose text starts at parts[link_start]

    def end_line() -> None:
        nonlocal links
        text = clean_text("".join(parts)) if parts else ""
        parts.clear()
        if text:
            blocks.append(Block(text, links, tuple(around)))
            links = []
        elif links:  # links with no text (images): they end with their line
            links.clear()

    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag  # lower case: the HTML parser writes tag names so
        if event == "start":
            if tag in BLOCK_TAGS or tag == "br":
                if link is not None:
                    add(" ")
                else:
                    end_line()
                    if tag != "br":
                        numbered += 1
                        around.append(numbered)
            elif tag == "a" and link is None and element.get("href") is not None:
                link, link_start = element, len(parts)
            if element.text:
                add(element.text)
            continue
        if link is not None and element is link:
            raw = (link.get("href") or "").strip()
            if raw and not raw.lower().startswith(NOT_LINKS):
                text = clean_text("".join(parts[link_start:]))
                title = (link.get("title") or "").strip()
                links.append(Link(raw, text, title, base_url))
            link = None
        elif tag in BLOCK_TAGS:
            if link is not None:
                add(" ")
            else:
                end_line()
                if around:
                    around.pop()
        if element.tail:
            add(element.tail)
    end_line()
    return blocks
