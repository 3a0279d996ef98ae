"""Article pages -> the article's data.

Anchors, in page order: the title (the line before the time line), the time line
``HH:MM DD.MM.YYYY``, the body, optionally the original date at the source
(``10 февраля 2026 г.``), the line ``Источник - ...`` and the line
``Постоянный адрес статьи - ...``. The body ends at the permalink line, at the end
of the element that holds the time line and the text after it, at a run of links
to other articles (the sidebar), or at the site's footer.

The date and source lines are whatever the reprinted outlet printed (docs/extraction.md):
the date in any common form, before or after the source line; ``Источник``,
``Источники`` or ``По материалам`` with one source or several. None of them is ever body
text: a line that looks like one but is not read is kept out of the body and listed in
``unread_lines`` with the reason.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Final

from centrasia_crawler.extraction.blocks import Block, Page
from centrasia_crawler.extraction.errors import NotACentrasiaPage
from centrasia_crawler.normalize.permalinks import article_st, permalink
from centrasia_crawler.normalize.site_clock import (
    DateParseError,
    moscow_to_st,
    parse_shown_time,
    shown_time_disagrees,
    st_to_moscow,
)
from centrasia_crawler.normalize.source_dates import read_source_date
from centrasia_crawler.normalize.source_line import (
    SOURCE_LINE_RE,
    Source,
    is_permalink_line,
    read_source_line,
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
#: Lines at most after the body: the date, a few source lines.
_TAIL_MAX: Final = 6
#: How far after the article's publication its source's date may be (time zones).
_DATE_LEEWAY: Final = dt.timedelta(days=1)
#: No outlet the site reprints dates its articles earlier.
_EARLIEST_YEAR: Final = 1900


@dataclass
class AtSource:
    """What the lines after the body say about the source."""

    date: dt.date | None = None
    date_text: str | None = None
    sources: list[Source] = field(default_factory=list)
    source_lines: list[str] = field(default_factory=list)
    unread: list[dict[str, str]] = field(default_factory=list)  #: {line, reason}

    def take_date(self, text: str, published: dt.date) -> None:
        """Read a date line: the first one that can be the source's date is taken."""
        read = read_source_date(text)
        if read is None:  # cannot happen: the tail holds only such lines
            self.unread.append({"line": text, "reason": "neither a date nor a source line"})
            return
        date, reason = read
        if self.date_text is not None:
            reason = "a second date line"
        elif date is not None and date > published + _DATE_LEEWAY:
            reason = f"the source's date {date.isoformat()} is after the article's {published}"
        elif date is not None and date.year < _EARLIEST_YEAR:
            reason = f"the source's date {date.isoformat()} is before {_EARLIEST_YEAR}"
        if self.date_text is None:
            self.date_text = text
        if reason is None:
            self.date = date
        else:
            self.unread.append({"line": text, "reason": reason})


def read_tail(tail: list[Block], published: dt.date) -> AtSource:
    """The original date and the sources on the lines after the body.

    A line that looks like a date or source line but says no date or source it can
    have is kept out of the body all the same, with the reason in ``unread``: a date
    that does not exist, one more than a day after the article's publication, a second
    date line, a source line naming nothing.
    """
    found = AtSource()
    for block in tail:
        text = block.text
        line = read_source_line(text, block.link_pairs(), loose=True)
        if line is not None:
            found.source_lines.append(text)
            found.sources.extend(line.sources)
            if not line.sources:
                found.unread.append({"line": text, "reason": "a source line naming no source"})
            for date_text in line.dates:  # "Источник: Фергана, 10.02.2026"
                found.take_date(date_text, published)
            continue
        found.take_date(text, published)
    return found


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


def _labelled(text: str) -> bool:
    """Cheap: could the line be a source line (its links are read only then)?"""
    return SOURCE_LINE_RE.match(text) is not None


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
    ``"time_mismatch": true`` and ``st_time``, the time ``st`` stands for. The
    source's lines give ``source``, ``source_url``, ``original_date`` and the fields of
    schema 11 (``outlet``, ``source_domain``, ``sources``, ``source_text``,
    ``original_date_text``, and ``unread_lines`` when some line was not read).
    """
    found = find_time_line(page)
    if found is None:
        raise NotACentrasiaPage("no 'HH:MM DD.MM.YYYY' time line, so not an article")
    index, shown = found
    title = _title(page, index)
    lines, tail, stated = _body_and_tail(page, index)
    body = [block.text for block in lines]
    if not body:
        raise NotACentrasiaPage("article has a title and a time line but no body text")
    st = article_st(page.url, page.url) or (article_st(stated) if stated else None)
    if st is None:
        st = moscow_to_st(shown)
    else:
        shown = parse_shown_time(page.blocks[index].text, near_st=st) or shown
    result: dict[str, Any] = {
        "st": st,
        "url": permalink(st),
        "title": title,
        "published_at": shown.isoformat(),
        "body": "\n\n".join(body),
        **_after_body(read_tail(tail, st_to_moscow(st).date()), stated),
    }
    if shown_time_disagrees(st, shown):
        result["time_mismatch"] = True
        result["st_time"] = st_to_moscow(st).isoformat()
    return result


def _title(page: Page, index: int) -> str:
    """The line before the time line, unless that is a breadcrumb ("ЦентрАзия |"): then
    the page's own title."""
    title = page.blocks[index - 1].text if index > 0 else ""
    if not title or title.endswith("|"):
        title = TITLE_PREFIX_RE.sub("", page.title)
    if not title:
        raise NotACentrasiaPage("article has a time line but no title before it")
    return title


def _body_and_tail(page: Page, index: int) -> tuple[list[Block], list[Block], str | None]:
    """After the time line at ``index``: the body's lines, the source's lines (from the
    first "Источник" line on, and the date and "По материалам" lines that end the
    body), and the stated permalink."""
    blocks = page.blocks
    after = blocks[index + 1 :]
    container = _container(blocks[index], after[0] if after else None)
    lines: list[Block] = []
    tail: list[Block] = []
    stated: str | None = None
    for block in after:
        text = block.text
        if _is_end_line(text):
            break
        if is_permalink_line(text):
            stated = stated_permalink(text, block.link_pairs())
            break
        if tail:  # after the source line: more source lines, or the date line
            if read_source_line(text, block.link_pairs()) or read_source_date(text):
                tail.append(block)
                continue
            break
        source_line = read_source_line(text, block.link_pairs()) if _labelled(text) else None
        if source_line is not None and not source_line.based_on:
            tail.append(block)
            continue
        if container is not None and container not in block.containers:
            break
        if _is_sidebar_link(block, page.url):
            if lines and _looks_like_heading(lines[-1].text) and len(lines) > 1:
                lines.pop()  # the sidebar's own heading ("Новости Казахстана")
            break
        lines.append(block)
    # The date and "По материалам" lines end the body (and "Источник ИноСМИ" there).
    while len(lines) > 1 and len(tail) < _TAIL_MAX:
        last = lines[-1]
        if read_source_line(last.text, last.link_pairs(), loose=True) is None and (
            read_source_date(last.text) is None
        ):
            break
        tail.insert(0, lines.pop())
    return lines, tail, stated


def _after_body(at_source: AtSource, stated: str | None) -> dict[str, Any]:
    """The article's fields read after its body: from the source's lines (the first
    source named is ``source``) and the stated permalink."""
    first = at_source.sources[0] if at_source.sources else None
    fields: dict[str, Any] = {
        "source": first.name if first else None,
        "source_url": first.url if first else None,
        "original_date": at_source.date.isoformat() if at_source.date else None,
        "stated_permalink": stated,
        "outlet": first.outlet if first else None,
        "source_domain": first.domain if first else None,
        "sources": [s.as_dict() for s in at_source.sources] or None,
        "source_text": "\n".join(at_source.source_lines) or None,
        "original_date_text": at_source.date_text,
    }
    if at_source.unread:
        fields["unread_lines"] = at_source.unread
    return fields
