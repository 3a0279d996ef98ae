"""Article pages -> the article's data.

Anchors, in page order: the title (the line before the time line), the time line
``HH:MM DD.MM.YYYY``, the body, optionally the original date at the source
(``10 февраля 2026 г.``), the line ``Источник - ...`` and the line
``Постоянный адрес статьи - ...``. The body ends at the permalink line, at the end
of the element that holds the time line and the text after it, at a run of links
to other articles (the sidebar), or at the site's footer.
"""

from __future__ import annotations

import re
from typing import Any, Final

from centrasia_crawler.extraction.blocks import Block, Page
from centrasia_crawler.extraction.errors import NotACentrasiaPage
from centrasia_crawler.normalize.dates import (
    DateParseError,
    moscow_to_st,
    parse_date_line,
    parse_shown_time,
    shown_time_disagrees,
    st_to_moscow,
)
from centrasia_crawler.normalize.permalinks import article_st, permalink
from centrasia_crawler.normalize.source_line import (
    is_permalink_line,
    parse_source_line,
    stated_permalink,
)
from centrasia_crawler.site import END_OF_ARTICLE_LINES

#: What the site puts before a page title in ``<title>``.
TITLE_PREFIX_RE: Final = re.compile(r"^\s*(ЦентрАзия|CentrAsia)\s*[:|\-–—]\s*", re.IGNORECASE)
#: Bullets in front of sidebar headlines.
_BULLETS: Final = "-–—•·*► "
#: A sub-heading or sidebar heading: short, with no sentence-ending punctuation.
_HEADING_MAX: Final = 80
_SENTENCE_END: Final = tuple('.!?…"»:;)')


def find_time_line(page: Page) -> tuple[int, Any] | None:
    """Index and time of the first block that is an ``HH:MM DD.MM.YYYY`` time line."""
    for i, block in enumerate(page.blocks):
        try:
            shown = parse_shown_time(block.text)
        except DateParseError as exc:
            raise NotACentrasiaPage(f"impossible article time line ({exc})") from None
        if shown is not None:
            return i, shown
    return None


def _is_sidebar_link(block: Block, base: str) -> bool:
    """A line that is nothing but a link to another article (optionally bulleted)."""
    text = block.text.lstrip(_BULLETS)
    return any(
        link.text and text == link.text and article_st(link.raw, base) is not None
        for link in block.links
    )


def _is_end_line(text: str) -> bool:
    return any(pattern.search(text) for pattern in END_OF_ARTICLE_LINES)


def _looks_like_heading(text: str) -> bool:
    return len(text) <= _HEADING_MAX and not text.endswith(_SENTENCE_END)


def _container(time_block: Block, next_block: Block | None) -> int | None:
    """The innermost element holding both the time line and the block after it."""
    if next_block is None:
        return None
    common = None
    for mine, theirs in zip(time_block.containers, next_block.containers, strict=False):
        if mine != theirs:
            break
        common = mine
    return common


def extract_article(page: Page) -> dict[str, Any]:
    """The article on ``page``, in the shape of ``specimen/expected/article_*.json``.

    ``st`` comes from the page's address when that is an article address, else from
    the stated permalink, else from the shown time. ``published_at`` is the shown
    time; when it disagrees with ``st`` by a minute or more, the result also has
    ``"time_mismatch": true`` and ``st_time``, the time ``st`` stands for.
    """
    found = find_time_line(page)
    if found is None:
        raise NotACentrasiaPage("no 'HH:MM DD.MM.YYYY' time line, so not an article")
    index, shown = found
    blocks = page.blocks
    # The line before the time line, unless that is a breadcrumb ("ЦентрАзия |").
    title = blocks[index - 1].text if index > 0 else ""
    if not title or title.endswith("|"):
        title = TITLE_PREFIX_RE.sub("", page.title)
    if not title:
        raise NotACentrasiaPage("article has a time line but no title before it")

    after = blocks[index + 1 :]
    container = _container(blocks[index], after[0] if after else None)
    body: list[str] = []
    source: str | None = None
    source_url: str | None = None
    stated: str | None = None
    seen_source = False
    for block in after:
        text = block.text
        if _is_end_line(text):
            break
        if is_permalink_line(text):
            stated = stated_permalink(text, block.link_pairs())
            break
        source_line = parse_source_line(text, block.link_pairs())
        if source_line is not None:
            source, source_url = source_line
            seen_source = True
            continue
        if seen_source:
            break
        if container is not None and container not in block.containers:
            break
        if _is_sidebar_link(block, page.url):
            if body and _looks_like_heading(body[-1]) and len(body) > 1:
                body.pop()  # the sidebar's own heading ("Новости Казахстана")
            break
        body.append(text)

    original_date = None
    if body:
        at_source = parse_date_line(body[-1])
        if at_source is not None:
            original_date = at_source.isoformat()
            body.pop()
    if not body:
        raise NotACentrasiaPage("article has a title and a time line but no body text")

    st = article_st(page.url, page.url) or (article_st(stated) if stated else None)
    if st is None:
        st = moscow_to_st(shown)
    else:
        shown = parse_shown_time(blocks[index].text, near_st=st) or shown
    result: dict[str, Any] = {
        "st": st,
        "url": permalink(st),
        "title": title,
        "published_at": shown.isoformat(),
        "body": "\n\n".join(body),
        "source": source,
        "source_url": source_url,
        "original_date": original_date,
        "stated_permalink": stated,
    }
    if shown_time_disagrees(st, shown):
        result["time_mismatch"] = True
        result["st_time"] = st_to_moscow(st).isoformat()
    return result
