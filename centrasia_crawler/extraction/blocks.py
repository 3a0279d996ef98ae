"""HTML -> a flat list of text blocks, the way a reader sees the page.

Extraction anchors on what the page says, not on its tags: every page is first
read into *blocks*, one per visual line (split at block elements and ``<br>``),
each with its text, its links and the block elements it sits in. ``<table>`` with
``<font>`` and ``<br>``, or ``<div>`` with ``<p>``: the blocks come out the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from typing import Final
from urllib.parse import urljoin

from lxml import etree, html

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
_CLOSING_TAG_RE: Final = re.compile(r"</(html|body)\s*>", re.IGNORECASE)
_TAG_RE: Final = re.compile(r"<[^>]*>")
_TITLE_RE: Final = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)


@dataclass(slots=True)
class Link:
    """A link as it stands on the page: its address made absolute, and its text."""

    href: str
    text: str
    title: str = ""


@dataclass(slots=True)
class Block:
    """One line of the page: cleaned text, its links, and the block elements around it."""

    text: str
    links: list[Link] = field(default_factory=list)
    containers: tuple[object, ...] = ()

    def link_pairs(self) -> list[tuple[str, str]]:
        return [(link.href, link.text) for link in self.links]


@dataclass(slots=True)
class Page:
    """A parsed HTML page: its blocks, its ``<title>`` and the address it came from."""

    blocks: list[Block]
    title: str
    url: str


def read_page(text: str, url: str) -> Page:
    """Parse an HTML document into blocks.

    Raises :class:`NotACentrasiaPage` when the document is cut short (no closing
    ``</body>`` or ``</html>``) or cannot be parsed at all.
    """
    if not _CLOSING_TAG_RE.search(text):
        raise NotACentrasiaPage("truncated document (no closing </body> or </html>)")
    try:
        root = html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise NotACentrasiaPage(f"unparseable HTML ({exc})") from None
    title_match = _TITLE_RE.search(text[:65536])
    title = clean_text(unescape(_TAG_RE.sub("", title_match[1]))) if title_match else ""
    return Page(blocks=linearize(root, url), title=title, url=url)


def _absolute(base_url: str, href: str) -> str | None:
    if not href or href.lower().startswith(("javascript:", "mailto:", "#", "data:")):
        return None
    try:
        return urljoin(base_url, href)
    except ValueError:  # a malformed address, such as an unclosed IPv6 bracket
        return None


def linearize(root: etree._Element, base_url: str) -> list[Block]:
    """The blocks of an element tree, in document order."""
    blocks: list[Block] = []
    parts: list[str] = []
    links: list[Link] = []
    stack: list[object] = []
    open_links: list[tuple[etree._Element, int]] = []
    skip = 0

    def flush() -> None:
        nonlocal parts, links
        if parts:
            line = clean_text("".join(parts))
            if line:
                blocks.append(Block(line, links, tuple(stack)))
            parts = []
            links = []
            for i, (el, _) in enumerate(open_links):
                open_links[i] = (el, 0)

    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag
        if not isinstance(tag, str):  # comments, processing instructions
            if event == "end" and el.tail and not skip:
                parts.append(el.tail)
            continue
        tag = tag.lower()
        if event == "start":
            if tag in SKIP_TAGS:
                skip += 1
                continue
            if skip:
                continue
            if tag in BLOCK_TAGS or tag == "br":
                flush()
                if tag != "br":
                    stack.append(el)
            elif tag == "a" and el.get("href") is not None:
                open_links.append((el, len(parts)))
            if el.text:
                parts.append(el.text)
        else:
            if tag in SKIP_TAGS:
                skip -= 1
            elif skip:
                continue
            elif tag in BLOCK_TAGS:
                flush()
                if stack and stack[-1] is el:
                    stack.pop()
            elif tag == "a" and open_links and open_links[-1][0] is el:
                _, start = open_links.pop()
                href = el.get("href", "").strip()
                absolute = _absolute(base_url, href)
                if absolute is not None:
                    text = clean_text("".join(parts[start:]))
                    links.append(Link(absolute, text, clean_text(el.get("title", ""))))
            if el.tail and not skip:
                parts.append(el.tail)
    flush()
    return blocks
