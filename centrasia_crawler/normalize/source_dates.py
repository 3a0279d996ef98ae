"""The original date at the source: the date line an outlet printed under its article.

The line is whatever that outlet printed: ``10 февраля 2026 г.``, ``10.02.26``,
``2026-02-10``, ``February 10, 2026``, ``Вторник, 10 фев 2026, 14:35 МСК``. It is read
by a small grammar (the shapes a date takes: numbers first, ISO year first, words), with
month and weekday names looked up in dateutil's parserinfo tables (Russian and English);
numbers are never left to dateutil, whose day-first rule misreads ISO dates. A line that
looks like a date but is not read is reported as such, never taken for body text. The
site's own dates and times are read by :mod:`centrasia_crawler.normalize.site_clock`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from dateutil import parser as dateutil_parser

from centrasia_crawler.normalize.site_clock import (
    MONTH_FORMS,
    WEEKDAY_FORMS,
    DateParseError,
    calendar_date,
)

ENGLISH_MONTH_FORMS: Final = tuple(
    tuple(f.lower() for f in forms) for forms in dateutil_parser.parserinfo.MONTHS
)
ENGLISH_WEEKDAY_FORMS: Final = tuple(
    tuple(f.lower() for f in forms) for forms in dateutil_parser.parserinfo.WEEKDAYS
)


class SourceDateParserInfo(dateutil_parser.parserinfo):
    """Month and weekday names in Russian and in English (``Feb``, ``February``)."""

    def __init__(self) -> None:
        # parserinfo builds its look-up tables from these attributes in __init__.
        months = [(*ru, *en) for ru, en in zip(MONTH_FORMS, ENGLISH_MONTH_FORMS, strict=True)]
        weekdays = [(*ru, *en) for ru, en in zip(WEEKDAY_FORMS, ENGLISH_WEEKDAY_FORMS, strict=True)]
        self.MONTHS = months  # type: ignore[assignment]
        self.WEEKDAYS = weekdays  # type: ignore[assignment]
        super().__init__(dayfirst=True, yearfirst=False)


_SOURCE_INFO: Final = SourceDateParserInfo()

#: Two-digit years: 69-99 are 1969-1999, 00-68 are 2000-2068 (the POSIX rule, fixed:
#: never a window that moves with the clock).
TWO_DIGIT_PIVOT: Final = 69
#: A date line is short: ``Воскресенье, 10 сентября 2026 года, 14:35 (GMT+3)`` is 48.
SOURCE_DATE_MAX: Final = 64

_ZONE: Final = (
    r"(?:\(?\s*(?:мск|msk|gmt|utc|мсв|ast|алматы|астаны|бишкека|ташкента|душанбе)"
    r"(?:\s*[+\-−]\s*\d{1,2}(?::?\d{2})?)?\s*\)?|\(?\s*[+\-−]\d{2}:\d{2}\s*\)?)"
)
_TIME: Final = r"(?:\d{1,2}:\d{2}(?::\d{2})?|(?<=в )\d{1,2}\.\d{2})(?:\s*(?:am|pm))?"
#: A time after the date: ``, 14:35``, `` в 14:35``, `` | 14:35 МСК``, ``T14:35:00+03:00``.
_TIME_AFTER_RE: Final = re.compile(
    rf"(?:\s*[,|/;•·—–-]\s*|\s+|t)(?:в\s+)?{_TIME}(?:\.\d+)?(?:\s*{_ZONE}|z)?\s*$"
)
#: A time before the date: ``14:35, 10 февраля 2026``.
_TIME_BEFORE_RE: Final = re.compile(rf"^(?:в\s+)?{_TIME}(?:\s*{_ZONE})?(?:\s*[,|/;•·—–-]\s*|\s+)")
_ZONE_AFTER_RE: Final = re.compile(rf"\s*{_ZONE}\s*$")
_WORD_AT_START_RE: Final = re.compile(r"^([a-zа-я]+)\.?\s*,?\s*")
_WORD_AT_END_RE: Final = re.compile(r"\s*[,(]\s*([a-zа-я]+)\.?\)?$")
_YEAR_WORD_RE: Final = re.compile(r"(?<=\d)\s*(?:г\.?|гг\.?|года?|year)$")
_ORDINAL: Final = r"(?:-?(?:го|е|ое|st|nd|rd|th))?"
_NUMERIC_RE: Final = re.compile(r"^(\d{1,2})\s*([./-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})$")
_ISO_RE: Final = re.compile(r"^(\d{4})\s*([./-])\s*(\d{1,2})\s*\2\s*(\d{1,2})$")
_DAY_MONTH_YEAR_RE: Final = re.compile(
    rf"^(\d{{1,2}}){_ORDINAL}(?:\s+|\s*[-./]\s*)([a-zа-я]+)\.?(?:\s*,?\s+|\s*[-./,]\s*)'?(\d{{4}}|\d{{2}})$"
)
_MONTH_DAY_YEAR_RE: Final = re.compile(
    rf"^([a-zа-я]+)\.?\s*(\d{{1,2}}){_ORDINAL}\s*(?:,\s*|\s+)'?(\d{{4}}|\d{{2}})$"
)
_YEAR_DAY_MONTH_RE: Final = re.compile(r"^(\d{4})\s*,?\s+(\d{1,2})\s+([a-zа-я]+)\.?$")
#: The words a date line may hold besides month and weekday names.
_DATE_WORDS: Final = frozenset(
    "г гг год года в t z am pm st nd rd th е го ое мск msk gmt utc мсв ast алматы астаны"
    " бишкека ташкента душанбе".split()
)
#: A numeric date's shape: ``d.m.yy(yy)`` or ``yyyy-m-d``, day 1-31, month 1-12 (31.02
#: is a date line, if no date; 0.0.0 or 1.2.3 is none).
_DAY: Final = r"(?:0?[1-9]|[12]\d|3[01])"
_MON: Final = r"(?:0?[1-9]|1[0-2])"
_NUMERIC_SHAPE_RE: Final = re.compile(
    rf"(?<!\d)(?:{_DAY}\s*([./-])\s*{_MON}\s*\1\s*(?:\d{{4}}|\d{{2}})"
    rf"|\d{{4}}\s*([./-])\s*{_MON}\s*\2\s*{_DAY})(?!\d)"
)
_TOKEN_RE: Final = re.compile(r"[a-zа-я]+|\d+")


def _folded(text: str) -> str:
    text = text.replace("ё", "е").replace("Ё", "Е").lower()
    text = re.sub(r"[\s\u00a0\u2009\u202f]+", " ", text).strip()
    return text.strip("()[] ").strip()


def _month(word: str) -> int | None:
    return _SOURCE_INFO.month(word)


def _full_year(digits: str) -> int:
    year = int(digits)
    if len(digits) == 2:
        year += 1900 if year >= TWO_DIGIT_PIVOT else 2000
    return year


def looks_like_date_line(text: str) -> bool:
    """True for a short line made of nothing but a date's words and numbers: a month
    name or a numeric ``d.m.y``, with a year, a weekday, a time, ``г.``, a zone.

    >>> looks_like_date_line("31.02.2026"), looks_like_date_line("Февраль 2026 г.")
    (True, True)
    >>> looks_like_date_line("10 февраля в Бишкеке"), looks_like_date_line("2026")
    (False, False)
    """
    if len(text) > 2 * SOURCE_DATE_MAX:  # a paragraph: no need to fold it
        return False
    folded = _folded(text)
    if len(folded) > SOURCE_DATE_MAX or not any(ch.isdigit() for ch in folded):
        return False
    months = 0
    for token in _TOKEN_RE.findall(folded):
        if token.isdigit() or token in _DATE_WORDS or _SOURCE_INFO.weekday(token) is not None:
            continue
        if _month(token) is None:
            return False
        months += 1
    return months > 0 or _NUMERIC_SHAPE_RE.search(folded) is not None


def _strip_extras(text: str) -> str:
    """The date alone: without a time, a zone, a weekday and ``г.``/``года``."""
    text = _TIME_BEFORE_RE.sub("", text)
    text = _TIME_AFTER_RE.sub("", text)
    text = _ZONE_AFTER_RE.sub("", text)
    m = _WORD_AT_START_RE.match(text)
    if m and _SOURCE_INFO.weekday(m[1]) is not None and _month(m[1]) is None:
        text = text[m.end() :]
    m = _WORD_AT_END_RE.search(text)
    if m and _SOURCE_INFO.weekday(m[1]) is not None and _month(m[1]) is None:
        text = text[: m.start()]
    text = text.rstrip(" ,;")
    text = _YEAR_WORD_RE.sub("", text).rstrip(" ,;.")
    return text


def parse_source_date(text: str) -> dt.date | None:
    """The date of an original-date line in any common form, or None when the line is
    no date in a form known here.

    Raises :class:`DateParseError` for a date that does not exist (``31.02.2026``).

    >>> parse_source_date("2026-02-10"), parse_source_date("10.02.26 12:30")
    (datetime.date(2026, 2, 10), datetime.date(2026, 2, 10))
    >>> parse_source_date("Tuesday, February 10, 2026 14:35 GMT+3")
    datetime.date(2026, 2, 10)
    >>> parse_source_date("вт, 10 фев. 2026 г. в 14:35 МСК")
    datetime.date(2026, 2, 10)
    """
    if len(text) > 2 * SOURCE_DATE_MAX:
        return None
    folded = _folded(text)
    if len(folded) > SOURCE_DATE_MAX:
        return None
    date = _strip_extras(folded)
    if m := _ISO_RE.match(date):
        return calendar_date(int(m[1]), int(m[3]), int(m[4]), text)
    if m := _NUMERIC_RE.match(date):
        return calendar_date(_full_year(m[4]), int(m[3]), int(m[1]), text)
    if (m := _DAY_MONTH_YEAR_RE.match(date)) and (month := _month(m[2])):
        return calendar_date(_full_year(m[3]), month, int(m[1]), text)
    if (m := _MONTH_DAY_YEAR_RE.match(date)) and (month := _month(m[1])):
        return calendar_date(_full_year(m[3]), month, int(m[2]), text)
    if (m := _YEAR_DAY_MONTH_RE.match(date)) and (month := _month(m[3])):
        return calendar_date(int(m[1]), month, int(m[2]), text)
    return None


def read_source_date(text: str) -> tuple[dt.date | None, str | None] | None:
    """An original-date line read: ``(date, None)``; ``(None, why)`` for a line that looks
    like a date but is not read; None for a line that is no date line.

    >>> read_source_date("10 февраля 2026 г.")
    (datetime.date(2026, 2, 10), None)
    >>> read_source_date("31.02.2026")
    (None, "impossible date '31.02.2026': day is out of range for month")
    >>> read_source_date("Итоги года") is None
    True
    """
    try:
        date = parse_source_date(text)
    except DateParseError as exc:
        return None, str(exc)
    if date is not None:
        return date, None
    if looks_like_date_line(text):
        return None, "a date line in no known form"
    return None
