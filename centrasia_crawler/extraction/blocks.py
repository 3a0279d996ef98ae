"""HTML -> a flat list of text blocks, the way a reader sees the page.

Extraction anchors on what the page says, not on its tags: every page is first
read into *blocks*, one per visual line (split at block elements and ``<br>``),
each with its text, its links and the block elements it sits in. ``<table>`` with
``<font>`` and ``<br>``, or ``<div>`` with ``<p>``: the blocks come out the same.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from html import unescape
from typing import Final
from urllib.parse import urljoin

from lxml import etree

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


class Link:
    """A link as it stands on the page: its address (made absolute on demand), text, title."""

    __slots__ = ("_absolute", "base", "raw", "text", "title")

    def __init__(self, raw: str, text: str, title: str = "", base: str = "") -> None:
        self.raw = raw
        self.text = text
        self.title = title
        self.base = base
        self._absolute: str | None = None

    @property
    def href(self) -> str:
        """The address, resolved against the page's (empty for an unusable one)."""
        if self._absolute is None:
            try:
                self._absolute = urljoin(self.base, self.raw)
            except ValueError:  # a malformed address, such as an unclosed IPv6 bracket
                self._absolute = ""
        return self._absolute

    def __repr__(self) -> str:
        return f"Link({self.raw!r}, {self.text!r})"


class Block:
    """One line of the page: cleaned text, its links, and the block elements around it.

    The links are read from the line's marked text when first asked for: most lines'
    links (navigation, sidebars) are never looked at.
    """

    __slots__ = ("_base", "_links", "containers", "marked", "text", "tidy")

    def __init__(
        self,
        text: str,
        links: list[Link] | None = None,
        containers: tuple[int, ...] = (),
        marked: str = "",
        base: str = "",
        tidy: bool = False,
    ) -> None:
        self.text = text
        self.containers = containers  # the block elements around it, by number
        self._links = links
        self.marked = marked  # the line as the linearizer wrote it, link marks and all
        self._base = base
        # True when the line had nothing to clean but its ends: then any part of it
        # (a link's text) needs no more than strip() either.
        self.tidy = tidy

    def clean(self, part: str) -> str:
        """A part of the marked line (a link's text), cleaned."""
        return part.strip() if self.tidy else clean_line(part)

    @property
    def links(self) -> list[Link]:
        """The line's links, in order (``javascript:``, ``mailto:`` and ``#`` ones left out)."""
        if self._links is None:
            self._links = []
            for raw, title, text in _LINK_PARTS_RE.findall(self.marked):
                address = raw.strip()
                if address and not address.lower().startswith(_NOT_LINKS):
                    self._links.append(Link(address, self.clean(text), title.strip(), self._base))
        return self._links

    def link_pairs(self) -> list[tuple[str, str]]:
        return [(link.href, link.text) for link in self.links if link.href]

    def __repr__(self) -> str:
        return f"Block({self.text!r}, {self.links!r}, {self.containers!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Block):
            return NotImplemented
        return (self.text, self.containers, self.links) == (
            other.text,
            other.containers,
            other.links,
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(slots=True)
class Page:
    """A parsed HTML page: its blocks, its ``<title>`` and the address it came from."""

    blocks: list[Block]
    title: str
    url: str


# lxml parsers and stylesheets may not be shared between threads: one of each per thread.
_local = threading.local()


def _parser() -> etree.HTMLParser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.HTMLParser(
            no_network=True, remove_comments=True, remove_pis=True
        )
    return parser


def _linearizer() -> etree.XSLT:
    linearizer = getattr(_local, "linearizer", None)
    if linearizer is None:
        linearizer = _local.linearizer = _stylesheet()
    return linearizer


_NOT_LINKS: Final = ("javascript:", "mailto:", "#", "data:")


def read_page(text: str, url: str) -> Page:
    """Parse an HTML document into blocks.

    Raises :class:`NotACentrasiaPage` when the document is cut short (no closing
    ``</body>`` or ``</html>``) or cannot be parsed at all.
    """
    if not (_CLOSING_TAG_RE.search(text, len(text) - 1024) or _CLOSING_TAG_RE.search(text)):
        raise NotACentrasiaPage("truncated document (no closing </body> or </html>)")
    text = strip_markers(text)
    try:
        root = etree.fromstring(text, _parser())
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise NotACentrasiaPage(f"unparseable HTML ({exc})") from None
    if root is None:
        raise NotACentrasiaPage("unparseable HTML (no elements)")
    title_match = _TITLE_RE.search(text, 0, 65536)
    title = clean_text(unescape(_TAG_RE.sub("", title_match[1]))) if title_match else ""
    return Page(blocks=linearize(root, url), title=title, url=url)


# The tree is flattened by libxslt, in C: each block element starts a line with
# BLOCK_START and its content, and after it a line starts with BLOCK_END and the text
# that follows the element; <br> starts a new line; a link
# LINK_START href LINK_TITLE title LINK_TEXT text LINK_END, always on one line (a <br>
# or a block element inside a link is a space: mode "link"). Lines end with LINE_BREAK:
# a newline in the page's text is only white space, as a browser shows it (even in
# <pre>, which the site does not use). Private-use characters mark them; the page's
# own (characters or character references) are removed before parsing. Their low
# bytes (F0-F6) are rare in text, which lets `mark in text` run at memchr speed (with
# U+E000-U+E006, low bytes 00-06, it was ten times slower on Cyrillic).
BLOCK_START, BLOCK_END, LINK_START, LINK_TITLE, LINK_TEXT, LINK_END, LINE_BREAK = (
    "\ue0f0",
    "\ue0f1",
    "\ue0f2",
    "\ue0f3",
    "\ue0f4",
    "\ue0f5",
    "\ue0f6",
)
_BLOCK_MARKS: Final = BLOCK_START + BLOCK_END
MARKERS: Final = (
    BLOCK_START + BLOCK_END + LINK_START + LINK_TITLE + LINK_TEXT + LINK_END + LINE_BREAK
)


def _stylesheet() -> etree.XSLT:
    def entity(ch: str) -> str:
        return f"&#x{ord(ch):X};"

    nl = f"<xsl:text>{entity(LINE_BREAK)}</xsl:text>"
    skip, block = "|".join(sorted(SKIP_TAGS)), "|".join(sorted(BLOCK_TAGS))
    link = f"""
 <xsl:text>{entity(LINK_START)}</xsl:text><xsl:value-of select="@href"/>
 <xsl:text>{entity(LINK_TITLE)}</xsl:text><xsl:value-of select="@title"/>
 <xsl:text>{entity(LINK_TEXT)}</xsl:text><xsl:apply-templates mode="link"/>
 <xsl:text>{entity(LINK_END)}</xsl:text>"""
    xsl = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="utf-8"/>
<xsl:strip-space elements="html head table thead tbody tfoot tr ul ol dl select"/>
<xsl:template match="{skip}"/>
<xsl:template match="br">{nl}</xsl:template>
<xsl:template match="{block}">
 {nl}<xsl:text>{entity(BLOCK_START)}</xsl:text>
 <xsl:apply-templates/>{nl}<xsl:text>{entity(BLOCK_END)}</xsl:text>
</xsl:template>
<xsl:template match="a[@href]">{link}</xsl:template>
<xsl:template match="{skip}" mode="link"/>
<xsl:template match="br" mode="link"><xsl:text> </xsl:text></xsl:template>
<xsl:template match="{block}" mode="link">
 <xsl:text> </xsl:text><xsl:apply-templates mode="link"/><xsl:text> </xsl:text>
</xsl:template>
<xsl:template match="a[@href]" mode="link">{link}</xsl:template>
</xsl:stylesheet>"""
    return etree.XSLT(
        etree.XML(xsl),
        access_control=etree.XSLTAccessControl.DENY_ALL,  # type: ignore[attr-defined]
    )


# A link's address, title and text.
_LINK_PARTS_RE: Final = re.compile(
    f"{LINK_START}([^{LINK_TITLE}]*){LINK_TITLE}([^{LINK_TEXT}]*){LINK_TEXT}([^{LINK_END}]*)"
)
# Everything of a link but its text.
_LINK_HEAD_RE: Final = re.compile(f"{LINK_START}[^{LINK_TEXT}]*{LINK_TEXT}")
_STRAY_RE: Final = re.compile(f"[{MARKERS}]")
# The marks written as character references (``&#xE0F1;``, ``&#57585;``), which the
# parser would turn into marks (icon fonts put their glyphs in this range).
_MARK_REFERENCE_RE: Final = re.compile(
    r"&#(?:[xX]0*[eE]0[fF][0-6](?![0-9a-fA-F])|0*(?:5758[4-9]|57590)(?![0-9]));?"
)


def strip_markers(text: str) -> str:
    """The text without the private-use characters the linearizer uses as marks,
    written as characters or as character references."""
    if any(m in text for m in MARKERS):
        text = _STRAY_RE.sub("", text)
    if "&#" in text and _MARK_REFERENCE_RE.search(text):
        text = _MARK_REFERENCE_RE.sub("", text)
    return text


def clean_line(text: str) -> str:
    """:func:`clean_text`, with a fast path for text that has nothing to clean but its ends.

    Only a printable string (no control, zero-width or non-breaking characters) whose
    only white space is single spaces needs no more than ``strip()``.
    """
    return text.strip() if "  " not in text and text.isprintable() else clean_text(text)


def linearize(root: etree._Element, base_url: str) -> list[Block]:
    """The blocks of an element tree, in document order."""
    blocks: list[Block] = []
    add = blocks.append
    stack: list[int] = []
    containers: tuple[int, ...] | None = ()  # None: the stack changed since it was made
    opened = 0  # numbers the block elements in document order
    # Newlines, non-breaking spaces and runs of spaces are made single spaces in one
    # pass over the whole text (far cheaper than line by line), so most lines need
    # only strip().
    flat = str(_linearizer()(root)).replace("\n", " ").replace("\xa0", " ")
    while "  " in flat:
        flat = flat.replace("    ", " ").replace("  ", " ")
    lines = flat.split(LINE_BREAK)
    # The same lines without link addresses and titles: what a reader sees. Link heads
    # hold no line break, so the two lists stay line for line.
    plain_lines = (
        _LINK_HEAD_RE.sub("", flat).replace(LINK_END, "").split(LINE_BREAK)
        if LINK_START in flat
        else lines
    )
    for line, plain in zip(lines, plain_lines, strict=True):
        if not line:
            continue
        first = line[0]
        if first in _BLOCK_MARKS:  # a block starts or ends where this line starts
            if first == BLOCK_START:
                opened += 1
                stack.append(opened)
            elif stack:
                stack.pop()
            containers = None
            if len(line) == 1:
                continue
            line, plain = line[1:], plain[1:]
        if line == " ":
            continue
        # clean_line(), inline: most lines need no more than strip()
        tidy = "  " not in plain and plain.isprintable()
        text = plain.strip() if tidy else clean_text(plain)
        if text:
            if containers is None:
                containers = tuple(stack)
            # None: the links are read from the line when first asked for
            links: list[Link] | None = None if LINK_START in line else []
            add(Block(text, links, containers, line, base_url, tidy))
    return blocks
