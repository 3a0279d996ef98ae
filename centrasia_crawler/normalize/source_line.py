"""The source line under an article: ``Источник - ИноСМИ``.

After the word ``Источник`` comes a hyphen, an en dash, an em dash or a colon, then
the source's name, plain or as a link (then its address is kept).

>>> parse_source_line("Источник – Азия-Плюс")
('Азия-Плюс', None)
>>> parse_source_line("Источник: Эксперт.ru", [("https://expert.ru/", "Эксперт.ru")])
('Эксперт.ru', 'https://expert.ru/')
>>> parse_source_line("Источники сообщают, что") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from centrasia_crawler.normalize.text import clean_text
from centrasia_crawler.site import LABEL_SEPARATORS, PERMALINK_LABEL, SOURCE_LABEL

SOURCE_LINE_RE: Final = re.compile(
    rf"^\s*{SOURCE_LABEL}\s*[{re.escape(LABEL_SEPARATORS)}]\s*(?P<name>.*?)\s*$",
    re.IGNORECASE | re.DOTALL,
)
PERMALINK_LINE_RE: Final = re.compile(
    rf"^\s*{PERMALINK_LABEL}\s*[{re.escape(LABEL_SEPARATORS)}]?\s*(?P<url>\S*)",
    re.IGNORECASE,
)


def parse_source_line(
    text: str, links: Sequence[tuple[str, str]] = ()
) -> tuple[str | None, str | None] | None:
    """``(name, url)`` of a source line, or None when ``text`` is not a source line.

    ``links`` are the ``(href, text)`` pairs of the links on the line, hrefs already
    absolute; the link whose text is the name (or the only link) gives the url. The
    name is None when the line names none.
    """
    m = SOURCE_LINE_RE.match(text)
    if m is None:
        return None
    name = clean_text(m["name"]) or None
    url = None
    for href, link_text in links:
        if clean_text(link_text) == name or len(links) == 1:
            url = href
            break
    return name, url


def is_permalink_line(text: str) -> bool:
    """True for the line ``Постоянный адрес статьи - ...``.

    >>> is_permalink_line("Постоянный адрес статьи - https://centrasia.org/newsA.php?st=1")
    True
    >>> is_permalink_line("Постоянный читатель")
    False
    """
    return PERMALINK_LINE_RE.match(text) is not None


def stated_permalink(text: str, links: Sequence[tuple[str, str]] = ()) -> str | None:
    """The address a permalink line states, as printed (the old host included).

    None when ``text`` is no permalink line or names no address.

    >>> stated_permalink("Постоянный адрес статьи - http://www.centrasia.ru/newsA.php?st=1")
    'http://www.centrasia.ru/newsA.php?st=1'
    """
    m = PERMALINK_LINE_RE.match(text)
    if m is None:
        return None
    if m["url"]:
        return m["url"]
    return links[0][0] if links else None
