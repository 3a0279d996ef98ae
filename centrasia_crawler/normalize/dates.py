"""Russian dates and times as the site prints them, in Moscow time.

The site prints times in Moscow time: day headings (``Четверг, 19.02.2026``), the
article time line (``12:30 19.02.2026``), bare ``HH:MM`` in listings, and the
original date at the source (``10 февраля 2026 г.``). Moscow's offset changed over
the years (summer time until 2011, UTC+4 in 2011-2014, UTC+3 since), so every
conversion goes through the tz database, never a constant.

The site's own numeric forms (day headings, the time line, ``HH:MM``) are matched with
regular expressions: they are on every page, dozens of times per listing. Dates in
words (``10 февраля 2026 г.``, ``10 фев 2026``, ``Февраль 2026``) and any other form a
page may use are read by :func:`dateutil.parser.parse` with :class:`RussianParserInfo`.

>>> parse_shown_time("12:30 19.02.2026").isoformat()
'2026-02-19T12:30:00+03:00'
>>> parse_date_line("10 февраля 2026 г.").isoformat()
'2026-02-10'
>>> parse_day_heading("Четверг, 19.02.2026").isoformat()
'2026-02-19'
>>> st_to_moscow(1771493400).isoformat()
'2026-02-19T12:30:00+03:00'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Final
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser

MOSCOW: Final = ZoneInfo("Europe/Moscow")

# Each month in every form the site (or a Russian text) uses: nominative, genitive,
# abbreviated (with and without the dot, which dateutil strips as a separator).
MONTH_FORMS: Final = (
    ("январь", "января", "янв"),
    ("февраль", "февраля", "фев", "февр"),
    ("март", "марта", "мар"),
    ("апрель", "апреля", "апр"),
    ("май", "мая"),
    ("июнь", "июня", "июн"),
    ("июль", "июля", "июл"),
    ("август", "августа", "авг"),
    ("сентябрь", "сентября", "сен", "сент"),
    ("октябрь", "октября", "окт"),
    ("ноябрь", "ноября", "ноя", "нояб"),
    ("декабрь", "декабря", "дек"),
)

WEEKDAY_FORMS: Final = (
    ("понедельник", "пн"),
    ("вторник", "вт"),
    ("среда", "ср"),
    ("четверг", "чт"),
    ("пятница", "пт"),
    ("суббота", "сб"),
    ("воскресенье", "вс"),
)


class RussianParserInfo(dateutil_parser.parserinfo):
    """dateutil's parserinfo for Russian month and weekday names.

    ``г``/``г.``/``года`` (the "year" suffix) and ``в`` ("at") are skipped.
    """

    def __init__(self) -> None:
        # parserinfo builds its look-up tables from these attributes in __init__.
        self.JUMP = [*dateutil_parser.parserinfo.JUMP, "г", "года", "год", "году", "в"]
        self.MONTHS = [tuple(forms) for forms in MONTH_FORMS]  # type: ignore[misc]
        self.WEEKDAYS = [tuple(forms) for forms in WEEKDAY_FORMS]  # type: ignore[misc]
        super().__init__(dayfirst=True, yearfirst=False)


_PARSERINFO: Final = RussianParserInfo()
_WEEKDAYS_RE: Final = "|".join(form for forms in WEEKDAY_FORMS for form in forms)

_DMY: Final = r"(\d{1,2})\.(\d{1,2})\.(\d{4})"
#: ``2026-02-10``: ISO 8601, the year first (never read day first).
ISO_DATE_RE: Final = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
#: ``Четверг, 19.02.2026``: a weekday, a comma and a numeric date, alone on a line.
DAY_HEADING_RE: Final = re.compile(rf"^\s*(?:{_WEEKDAYS_RE})\s*,?\s*{_DMY}\s*$", re.IGNORECASE)
#: ``12:30 19.02.2026``: the article's time line, alone on a line.
SHOWN_TIME_RE: Final = re.compile(rf"^\s*(\d{{1,2}}):(\d{{2}})\s+{_DMY}\s*$")
#: ``17:02`` at the start of a listing line.
LEADING_TIME_RE: Final = re.compile(r"^\s*(\d{1,2}):(\d{2})(?!\d|:\d)")
#: A numeric date anywhere in a string (link texts, titles).
NUMERIC_DATE_RE: Final = re.compile(rf"(?<![\d.]){_DMY}(?![\d.]\d)")
#: What a line that is only a date or a month must hold: a year, and no time of day.
_YEAR_RE: Final = re.compile(r"(?<!\d)\d{4}(?!\d)")
_TIME_OF_DAY_RE: Final = re.compile(r"\d\s*:\s*\d")
#: A date or month written alone is at most this long ("3 сентября 2009 года": 20).
_DATE_LINE_MAX: Final = 40


class DateParseError(ValueError):
    """A string is not a date or time in a form the site uses, or names no real day."""


def _date(year: int, month: int, day: int, text: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise DateParseError(f"impossible date {text!r}: {exc}") from None


def moscow_time(day: dt.date, hour: int, minute: int) -> dt.datetime:
    """The aware datetime of ``HH:MM`` on ``day`` in Moscow.

    >>> moscow_time(dt.date(2012, 7, 1), 12, 0).isoformat()
    '2012-07-01T12:00:00+04:00'
    >>> moscow_time(dt.date(2005, 1, 10), 12, 0).isoformat()
    '2005-01-10T12:00:00+03:00'
    >>> moscow_time(dt.date(2005, 7, 10), 12, 0).isoformat()
    '2005-07-10T12:00:00+04:00'
    """
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DateParseError(f"impossible time {hour:02d}:{minute:02d}")
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=MOSCOW)


def clock_of_day(day: dt.date) -> Callable[[int, int], str]:
    """A function giving ``HH:MM`` on ``day`` as ISO 8601 in Moscow time.

    A listing has dozens of times per day; when the offset holds all day (every day
    but the few when the clocks changed) the offset is looked up once.

    >>> clock_of_day(dt.date(2026, 2, 19))(17, 2)
    '2026-02-19T17:02:00+03:00'
    >>> clock_of_day(dt.date(2010, 3, 28))(12, 0)
    '2010-03-28T12:00:00+04:00'
    """
    midnight = moscow_time(day, 0, 0)
    if midnight.utcoffset() != moscow_time(day, 23, 59).utcoffset():
        return lambda hour, minute: moscow_time(day, hour, minute).isoformat()
    prefix, suffix = day.isoformat() + "T", ":00" + midnight.isoformat()[19:]

    def clock(hour: int, minute: int) -> str:
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise DateParseError(f"impossible time {hour:02d}:{minute:02d}")
        return f"{prefix}{hour:02d}:{minute:02d}{suffix}"

    return clock


def parse_numeric_date(text: str) -> dt.date | None:
    """The first ``DD.MM.YYYY`` date in ``text``, or None.

    >>> parse_numeric_date("« 11.02.2026")
    datetime.date(2026, 2, 11)
    """
    m = NUMERIC_DATE_RE.search(text)
    if m is None:
        return None
    return _date(int(m[3]), int(m[2]), int(m[1]), m[0])


def parse_day_heading(text: str) -> dt.date | None:
    """The date of a listing's day heading (``Четверг, 19.02.2026``), or None."""
    m = DAY_HEADING_RE.match(text)
    if m is None:
        return None
    return _date(int(m[3]), int(m[2]), int(m[1]), text)


def parse_shown_time(text: str, near_st: int | None = None) -> dt.datetime | None:
    """The Moscow time of an article's time line (``12:30 19.02.2026``), or None.

    When the clocks went back (summer time, before 2011) one shown hour happened
    twice; ``near_st``, the article's ``st`` if known, picks the one it means.

    >>> parse_shown_time("02:30 31.10.2010", near_st=1288481400).isoformat()
    '2010-10-31T02:30:00+03:00'
    >>> parse_shown_time("02:30 31.10.2010").isoformat()
    '2010-10-31T02:30:00+04:00'
    """
    m = SHOWN_TIME_RE.match(text)
    if m is None:
        return None
    shown = moscow_time(_date(int(m[5]), int(m[4]), int(m[3]), text), int(m[1]), int(m[2]))
    if near_st is not None:
        later = shown.replace(fold=1)
        if later.utcoffset() != shown.utcoffset() and abs(moscow_to_st(later) - near_st) < abs(
            moscow_to_st(shown) - near_st
        ):
            return later
    return shown


def parse_leading_time(text: str) -> tuple[int, int] | None:
    """``(hour, minute)`` of the ``HH:MM`` a listing line starts with, or None.

    >>> parse_leading_time("17:02\\xa0\\xa0Первый поезд")
    (17, 2)
    """
    m = LEADING_TIME_RE.match(text)
    if m is None:
        return None
    hour, minute = int(m[1]), int(m[2])
    if hour > 23 or minute > 59:
        return None
    return hour, minute


# Two defaults that differ in every field: a field dateutil takes from the default
# differs between the two readings, a field the text gives does not.
_DEFAULTS: Final = (dt.datetime(1900, 1, 1, 0, 0), dt.datetime(1904, 2, 2, 1, 1))


def _read_twice(text: str) -> tuple[dt.datetime, dt.datetime]:
    try:
        first, second = (
            dateutil_parser.parse(text, parserinfo=_PARSERINFO, default=default)
            for default in _DEFAULTS
        )
    except (ValueError, OverflowError) as exc:
        raise DateParseError(f"not a date: {text!r} ({exc})") from None
    return first, second


def parse_russian_date(text: str) -> dt.date:
    """A date written in Russian, and nothing else: ``10 февраля 2026 г.``,
    ``10 фев 2026``, ``3 сент. 2009 года``, ``Четверг, 19.02.2026``, ``19.02.2026``.

    Raises :class:`DateParseError` for text that is no complete date (a day, a month and
    a year), names no real day, gives a time of day too, or says anything else.

    >>> parse_russian_date("3 сент. 2009 года").isoformat()
    '2009-09-03'
    """
    if not any(ch.isdigit() for ch in text):
        raise DateParseError(f"not a date: {text!r}")
    iso = ISO_DATE_RE.match(text)
    if iso is not None:  # year first, always: dateutil's dayfirst would swap month and day
        return _date(int(iso[1]), int(iso[2]), int(iso[3]), text)
    first, second = _read_twice(text.strip())
    if first.date() != second.date():
        raise DateParseError(f"incomplete date: {text!r}")
    if first.time() == second.time():
        raise DateParseError(f"a date and a time, not a date: {text!r}")
    return first.date()


def parse_date_line(text: str) -> dt.date | None:
    """The date of a line that is nothing but a date (the original date at the source,
    a link to a day), or None.

    >>> parse_date_line("10.02.2026"), parse_date_line("10 февраля 2026 г. в Бишкеке")
    (datetime.date(2026, 2, 10), None)
    """
    if len(text) > _DATE_LINE_MAX or not _YEAR_RE.search(text) or _TIME_OF_DAY_RE.search(text):
        return None  # most lines: no need to ask dateutil
    try:
        return parse_russian_date(text)
    except DateParseError:
        return None


def parse_month_heading(text: str) -> tuple[int, int] | None:
    """``(year, month)`` of a calendar heading such as ``Февраль 2026``, or None.

    >>> parse_month_heading("Февраль 2026"), parse_month_heading("12 февраля 2026")
    ((2026, 2), None)
    """
    if len(text) > _DATE_LINE_MAX or not _YEAR_RE.search(text) or _TIME_OF_DAY_RE.search(text):
        return None
    try:
        first, second = _read_twice(text.strip())
    except DateParseError:
        return None
    given = (first.year == second.year, first.month == second.month, first.day == second.day)
    return (first.year, first.month) if given == (True, True, False) else None


def st_to_moscow(st: int) -> dt.datetime:
    """The Moscow time of the Unix time ``st``."""
    return dt.datetime.fromtimestamp(st, tz=MOSCOW)


def moscow_to_st(when: dt.datetime) -> int:
    """The Unix time of an aware datetime."""
    return int(when.timestamp())


def shown_time_disagrees(st: int, shown: dt.datetime) -> bool:
    """True when the time a page shows is a minute or more away from its ``st``.

    >>> shown = parse_shown_time("12:30 19.02.2026")
    >>> shown_time_disagrees(1771493400, shown), shown_time_disagrees(1771493400 + 59, shown)
    (False, False)
    >>> shown_time_disagrees(1771493400 + 60, shown), shown_time_disagrees(1771493400 - 60, shown)
    (True, True)
    """
    return abs(st - moscow_to_st(shown)) >= 60


def to_moscow(when: dt.datetime) -> dt.datetime:
    """An aware datetime in Moscow time."""
    return when.astimezone(MOSCOW)


# The original date at the source ---------------------------------------------------------
#
# The line under an article giving the date its source published it is whatever that
# outlet printed: ``10 февраля 2026 г.``, ``10.02.26``, ``2026-02-10``,
# ``February 10, 2026``, ``Вторник, 10 фев 2026, 14:35 МСК``. The line is read by a
# small grammar (the shapes a date takes: numbers first, ISO year first, words), with
# month and weekday names looked up in dateutil's parserinfo tables (Russian and
# English); numbers are never left to dateutil, whose day-first rule misreads ISO
# dates. A line that looks like a date but is not read is reported as such, never
# taken for body text.

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
        return _date(int(m[1]), int(m[3]), int(m[4]), text)
    if m := _NUMERIC_RE.match(date):
        return _date(_full_year(m[4]), int(m[3]), int(m[1]), text)
    if (m := _DAY_MONTH_YEAR_RE.match(date)) and (month := _month(m[2])):
        return _date(_full_year(m[3]), month, int(m[1]), text)
    if (m := _MONTH_DAY_YEAR_RE.match(date)) and (month := _month(m[1])):
        return _date(_full_year(m[3]), month, int(m[2]), text)
    if (m := _YEAR_DAY_MONTH_RE.match(date)) and (month := _month(m[3])):
        return _date(int(m[1]), month, int(m[2]), text)
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
