"""The source line under an article: ``Источник - ИноСМИ``, as outlets print it.

The label is ``Источник`` or ``Источники`` followed by a hyphen, an en dash, an em
dash or a colon, or ``По материалам`` (a separator optional). Then one source or
several (separated by commas, semicolons or ``и``), each a name, plain or as a link
(its address is kept), or a bare address. Quotes and guillemets are not part of a
name. A source printed as an address (a bare one, or a link whose text is its
address) is named by the outlet table, else by its domain.

>>> parse_source_line("Источник – «Азия-Плюс»")
('Азия-Плюс', None)
>>> parse_source_line("Источник: Эксперт.ru", [("https://expert.ru/", "Эксперт.ru")])
('Эксперт.ru', 'https://expert.ru/')
>>> parse_source_line("Источник: https://inosmi.ru/20260210/x.html")
('ИноСМИ', 'https://inosmi.ru/20260210/x.html')
>>> parse_source_line("Источники сообщают, что") is None
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from centrasia_crawler.normalize.outlets import (
    QUOTES,
    host_of,
    outlet_for,
    registered_domain,
)
from centrasia_crawler.normalize.source_dates import read_source_date
from centrasia_crawler.normalize.text import clean_text
from centrasia_crawler.site import LABEL_SEPARATORS, PERMALINK_LABEL, SOURCE_LABEL

#: ``По материалам``: the other label a source line may carry.
BASED_ON_LABEL: Final = "По материалам"
_BASED_ON_RE: Final = BASED_ON_LABEL.replace(" ", r"\s+")
SOURCE_LINE_RE: Final = re.compile(
    rf"^\s*(?:(?P<label>{SOURCE_LABEL}и?)\s*(?P<sep>[{re.escape(LABEL_SEPARATORS)}]|(?=\s))"
    rf"|(?P<based>{_BASED_ON_RE})(?![а-яё])\s*[{re.escape(LABEL_SEPARATORS)}]?)"
    r"\s*(?P<name>.*?)\s*$",
    re.IGNORECASE | re.DOTALL,
)
PERMALINK_LINE_RE: Final = re.compile(
    rf"^\s*{PERMALINK_LABEL}\s*[{re.escape(LABEL_SEPARATORS)}]?\s*(?P<url>\S*)",
    re.IGNORECASE,
)
#: Between two sources on one line.
_SPLIT_RE: Final = re.compile(r"\s*;\s*|\s*,\s+|\s+и\s+", re.IGNORECASE)
#: An address as a name: with a scheme, with ``www.``, or a domain with a path.
ADDRESS_RE: Final = re.compile(
    r"^(?:https?://\S+|www\.\S+\.\S+|[a-z0-9][a-z0-9.-]*\.[a-z]{2,}/\S*)$", re.IGNORECASE
)
#: ``ИноСМИ (https://inosmi.ru/...)``: a name with its address after it.
_NAME_AND_ADDRESS_RE: Final = re.compile(r"^(?P<name>.+?)\s*[(\[]\s*(?P<url>\S+?)\s*[)\]]$")
#: A "based on" line names what it is based on in a few words, not in a sentence.
BASED_ON_MAX: Final = 120
#: ``Источник ИноСМИ`` without a separator: a name or two, never a sentence.
LOOSE_MAX: Final = 60
_QUOTES_RE: Final = re.compile(f"[{re.escape(QUOTES)}]")


@dataclass(frozen=True, slots=True)
class Source:
    """One source named on a source line."""

    name: str | None  #: as printed, quotes stripped (an address: its outlet or domain)
    url: str | None  #: its address, if the line gives one
    domain: str | None  #: the registered domain of ``url``
    outlet: str | None  #: the outlet table's name for it, else ``name``

    def as_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "url": self.url, "domain": self.domain, "outlet": self.outlet}


@dataclass(frozen=True, slots=True)
class SourceLine:
    """A source line read: its label and its sources, in the order printed."""

    label: str
    sources: tuple[Source, ...]
    #: Dates printed on the line after the sources (``Источник: Фергана, 10.02.2026``).
    dates: tuple[str, ...] = ()

    @property
    def based_on(self) -> bool:
        """True for ``По материалам ...`` (which only ends an article, never sits in it)."""
        return self.label.casefold().startswith("по")

    @property
    def first(self) -> Source | None:
        return self.sources[0] if self.sources else None


def strip_quotes(name: str) -> str:
    """A name without quotes and guillemets, and without punctuation around it.

    >>> strip_quotes("«РИА «Новости»».")
    'РИА Новости'
    """
    return clean_text(_QUOTES_RE.sub(" ", name)).strip(" .,;:")


def is_address(text: str) -> bool:
    """True for text that is an address (``https://...``, ``www...``, ``host/path``)."""
    return ADDRESS_RE.match(text) is not None


def _names_something(part: str) -> bool:
    """A name has a capital letter or a digit (``ИноСМИ``, ``агентства «Фергана»``,
    ``24.kg``), or is an address; the words of a sentence have none."""
    return is_address(strip_quotes(part)) or any(ch.isupper() or ch.isdigit() for ch in part)


def _absolute(url: str) -> str:
    return url if "://" in url else "http://" + url


def _source(name: str | None, url: str | None) -> Source:
    if url is not None and name is not None and (is_address(name) or host_of(name) == host_of(url)):
        name = None  # the address printed as its own name
    domain = registered_domain(url) if url else None
    if name is None and url is not None:
        name = outlet_for(None, url) or domain or host_of(url) or url
    outlet = outlet_for(name, url) or name
    return Source(name, url, domain, outlet)


def _read_part(part: str, links: Sequence[tuple[str, str]], only: bool) -> Source | None:
    """One source: ``part`` of the line, with the link that is it, if any."""
    printed = strip_quotes(part)
    if not printed:
        return None
    for href, link_text in links:
        text = strip_quotes(link_text)
        if text == printed or (only and len(links) == 1):
            return _source(printed if text == printed else text or printed, href)
    if is_address(printed):
        return _source(None, _absolute(printed))
    m = _NAME_AND_ADDRESS_RE.match(printed)
    if m and is_address(m["url"]):
        return _source(strip_quotes(m["name"]), _absolute(m["url"]))
    return _source(printed, None)


def _labelled(text: str, loose: bool) -> re.Match[str] | None:
    """The label of a source line and what follows it, or None; ``Источник`` without a
    separator only when ``loose``."""
    m = SOURCE_LINE_RE.match(text)
    if m is None or (m["label"] and not m["sep"] and not loose):
        return None
    return m


def _starts_a_sentence(label: re.Match[str], rest: str) -> bool:
    """True when a label begins a sentence, not a source line: ``По материалам
    расследования ...!``, ``Источники сообщают, что ...`` (a label without a separator)."""
    if label["sep"] and not label["based"]:
        return False  # "Источник - ...", "Источник: ..."
    if not rest or len(rest) > BASED_ON_MAX or rest.endswith(("!", "?", "…")):
        return True
    return bool(label["label"]) and (len(rest) > LOOSE_MAX or rest.endswith("."))


def _split_date(rest: str) -> tuple[str, tuple[str, ...]]:
    """The sources of ``rest``, and the date printed after them if any (``Фергана,
    10 февраля 2026 г., 14:35``)."""
    for comma in re.finditer(r",\s+", rest):
        if read_source_date(rest[comma.end() :]) is not None:
            return rest[: comma.start()], (rest[comma.end() :],)
    return rest, ()


def _parts(rest: str) -> list[str]:
    """The sources named in ``rest``, one string each, as printed."""
    return [p for p in _SPLIT_RE.split(rest) if strip_quotes(p)] if rest else []


def read_source_line(
    text: str, links: Sequence[tuple[str, str]] = (), *, loose: bool = False
) -> SourceLine | None:
    """The source line ``text`` read, or None when it is no source line.

    ``links`` are the ``(href, text)`` pairs of the links on the line, hrefs already
    absolute; a link whose text is a source's name gives its address (the only link
    on a line naming one source is that source's). ``loose`` also takes ``Источник``
    without a separator (``Источник ИноСМИ``), as the last line of an article may.

    >>> line = read_source_line("Источники: ИноСМИ, РИА Новости",
    ...     [("https://inosmi.ru/a", "ИноСМИ"), ("https://ria.ru/b", "РИА Новости")])
    >>> [(s.name, s.domain) for s in line.sources]
    [('ИноСМИ', 'inosmi.ru'), ('РИА Новости', 'ria.ru')]
    """
    m = _labelled(text, loose)
    if m is None:
        return None
    rest = clean_text(m["name"])
    if _starts_a_sentence(m, rest):
        return None
    rest, dates = _split_date(rest)
    parts = _parts(rest)
    if (m["based"] or not m["sep"]) and not all(_names_something(p) for p in parts):
        return None  # "По материалам расследования журналистов, ..."
    sources = (_read_part(p, links, only=len(parts) == 1) for p in parts)
    label = clean_text(m["label"] or m["based"])
    return SourceLine(label, tuple(s for s in sources if s is not None), dates)


def parse_source_line(
    text: str, links: Sequence[tuple[str, str]] = ()
) -> tuple[str | None, str | None] | None:
    """``(name, url)`` of a source line's first source, or None when ``text`` is not a
    source line. The name is None when the line names none."""
    line = read_source_line(text, links)
    if line is None:
        return None
    first = line.first
    return (first.name, first.url) if first else (None, None)


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
