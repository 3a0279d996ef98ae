"""The original date at the source: the date line an outlet printed under its article.

The line is whatever that outlet printed: ``10 февраля 2026 г.``, ``10.02.26``,
``2026-02-10``, ``February 10, 2026``, ``Вторник, 10 фев 2026, 14:35 МСК``,
``Fri, 09 Sep 2005 13:51:39 +0000``. It is read in two steps:

1. A small grammar (the shapes a date takes: numbers first, ISO year first, words), with
   month and weekday names looked up in dateutil's parserinfo tables (Russian and
   English); numbers are never left to dateutil, whose day-first rule misreads ISO
   dates. This reads the common forms, fast.
2. A line the grammar does not read, but that is made of nothing but a date's words and
   numbers (:func:`looks_like_date_line`), goes to dateparser, in Russian and English,
   day first, with the day, the month and the year all required and no relative dates.
   Its answer is taken only when the day and the year it gives are printed on the line.

A date is the day the outlet printed, in the zone it printed it in (``23:51 -0700``
stays on its day). A line that looks like a date but is not read is reported as such,
never taken for body text. The site's own dates and times are read by
:mod:`centrasia_crawler.normalize.site_clock`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import TYPE_CHECKING, Any, Final

from dateutil import parser as dateutil_parser

from centrasia_crawler.normalize.site_clock import (
    MONTH_FORMS,
    WEEKDAY_FORMS,
    DateParseError,
    calendar_date,
)

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

ENGLISH_MONTH_FORMS: Final = tuple(
    tuple(f.lower() for f in forms) for forms in dateutil_parser.parserinfo.MONTHS
)
ENGLISH_WEEKDAY_FORMS: Final = tuple(
    tuple(f.lower() for f in forms) for forms in dateutil_parser.parserinfo.WEEKDAYS
)


#: Weekday forms outlets print besides the site's: ``Пнд``, ``Срд``, ``Tues``, ``Thurs``.
EXTRA_WEEKDAY_FORMS: Final = (
    ("пнд",),
    ("втр", "tues"),
    ("срд", "weds"),
    ("чтв", "thur", "thurs"),
    ("птн",),
    ("сбт",),
    ("вск",),
)


class SourceDateParserInfo(dateutil_parser.parserinfo):
    """Month and weekday names in Russian and in English (``Feb``, ``February``)."""

    def __init__(self) -> None:
        # parserinfo builds its look-up tables from these attributes in __init__.
        months = [(*ru, *en) for ru, en in zip(MONTH_FORMS, ENGLISH_MONTH_FORMS, strict=True)]
        weekdays = [
            (*ru, *extra, *en)
            for ru, extra, en in zip(
                WEEKDAY_FORMS, EXTRA_WEEKDAY_FORMS, ENGLISH_WEEKDAY_FORMS, strict=True
            )
        ]
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
    rf"(?:\s*[,|/;•·—–-]\s*|\s+|t)(?:в\s+)?{_TIME}(?:\.\d+)?(?:\s*{_ZONE}|\s*[+\-−]\d{{4}}|z)?\s*$"
)
#: A time before the date: ``14:35, 10 февраля 2026``.
_TIME_BEFORE_RE: Final = re.compile(rf"^(?:в\s+)?{_TIME}(?:\s*{_ZONE})?(?:\s*[,|/;•·—–-]\s*|\s+)")
_ZONE_AFTER_RE: Final = re.compile(rf"\s*{_ZONE}\s*$")
_WORD_AT_START_RE: Final = re.compile(r"^([a-zа-я]+)\.?\s*,?\s*")
_WORD_AT_END_RE: Final = re.compile(r"\s*[,(]\s*([a-zа-я]+)\.?\)?$")
_YEAR_WORD_RE: Final = re.compile(r"(?<=\d)\s*(?:г\.?|гг\.?|год[ау]?|year)$")
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
#: The words a date line may hold besides month and weekday names: ``г.``, ``года``,
#: ``в``, ordinals, ``at``, ``a.m.``, ``10h11``, and time zones.
_DATE_WORDS: Final = frozenset(
    "г гг год года году в t z am pm a p m h at noon midnight year st nd rd th е го ое"
    " мск msk мсв алматы астаны бишкека ташкента душанбе gmt utc ut ast est edt cst cdt"
    " mst mdt pst pdt cet cest eet eest wet west bst ist jst aest aedt".split()
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


#: dateparser's languages: Russian and English. Ukrainian, Kazakh and Kyrgyz add no
#: date line dateparser's own Russian and English cases miss (docs/benchmarks.md).
DATEPARSER_LANGUAGES: Final = ("ru", "en")
#: dateparser's settings: day first, a day, a month and a year all printed, absolute
#: dates only (no ``вчера``, no Unix time), the zone printed kept (no conversion).
DATEPARSER_SETTINGS: Final[dict[str, Any]] = {
    "DATE_ORDER": "DMY",
    "PREFER_LOCALE_DATE_ORDER": False,
    "REQUIRE_PARTS": ["day", "month", "year"],
    "STRICT_PARSING": True,
    "PARSERS": ["absolute-time"],
    "RETURN_AS_TIMEZONE_AWARE": False,
}


@functools.cache
def _dateparser() -> DateDataParser:
    # Imported here: dateparser takes a while to load, and most lines never need it.
    from dateparser.date import DateDataParser

    return DateDataParser(languages=list(DATEPARSER_LANGUAGES), settings=DATEPARSER_SETTINGS)


def _printed(date: dt.date, folded: str) -> bool:
    """True when ``date``'s day and year are numbers printed on the line (a day may
    carry an ordinal: ``9th``, ``1-го``; a year may be two digits)."""
    numbers = re.findall(r"\d+", folded)
    day = str(date.day)
    years = {str(date.year), f"{date.year % 100:02d}"}
    return any(n.lstrip("0") == day for n in numbers) and any(n in years for n in numbers)


def read_with_dateparser(text: str) -> dt.date | None:
    """The date dateparser reads in ``text`` (:data:`DATEPARSER_SETTINGS`), or None when it
    reads none, or one whose day and year are not printed in ``text``.

    >>> read_with_dateparser("Пнд, 07 янв. 2019 г. 12:15")
    datetime.date(2019, 1, 7)
    >>> read_with_dateparser("вчера") is None, read_with_dateparser("Февраль 2026") is None
    (True, True)
    """
    folded = _folded(text)
    try:
        found = _dateparser().get_date_data(folded).date_obj
    except (ValueError, OverflowError):
        return None
    if found is None:
        return None
    date: dt.date = found.date()
    return date if _printed(date, folded) else None


def read_source_date(text: str) -> tuple[dt.date | None, str | None] | None:
    """An original-date line read: ``(date, None)``; ``(None, why)`` for a line that looks
    like a date but is not read; None for a line that is no date line.

    The grammar (:func:`parse_source_date`) reads the line first; dateparser
    (:func:`read_with_dateparser`) only a date line the grammar does not read.

    >>> read_source_date("10 февраля 2026 г.")
    (datetime.date(2026, 2, 10), None)
    >>> read_source_date("2:21 p.m., December 11, 2014")
    (datetime.date(2014, 12, 11), None)
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
    if not looks_like_date_line(text):
        return None
    date = read_with_dateparser(text)
    if date is not None:
        return date, None
    return None, "a date line in no known form"
