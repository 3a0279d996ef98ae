"""The site's clock: the dates and times centrasia.org prints, in Moscow time.

The site prints times in Moscow time: day headings (``Четверг, 19.02.2026``), the
article time line (``12:30 19.02.2026``), bare ``HH:MM`` in listings, links to a day
and calendar headings (``Февраль 2026``). Moscow's offset changed over the years
(summer time until 2011, UTC+4 in 2011-2014, UTC+3 since), so every conversion goes
through the tz database (:data:`MOSCOW`, the one place the site's zone is named),
never a constant. The dates outlets print under their articles are read by
:mod:`centrasia_crawler.normalize.source_dates`.

The site's own numeric forms (day headings, the time line, ``HH:MM``) are matched with
regular expressions: they are on every page, dozens of times per listing. Dates in
words (``10 февраля 2026 г.``, ``Февраль 2026``) are read by
:func:`dateutil.parser.parse` with :class:`RussianParserInfo`.

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

#: The site's time zone.
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


def calendar_date(year: int, month: int, day: int, text: str) -> dt.date:
    """The day ``year-month-day``; :class:`DateParseError` naming ``text`` if there is none."""
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
    return calendar_date(int(m[3]), int(m[2]), int(m[1]), m[0])


def parse_day_heading(text: str) -> dt.date | None:
    """The date of a listing's day heading (``Четверг, 19.02.2026``), or None."""
    m = DAY_HEADING_RE.match(text)
    if m is None:
        return None
    return calendar_date(int(m[3]), int(m[2]), int(m[1]), text)


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
    shown = moscow_time(calendar_date(int(m[5]), int(m[4]), int(m[3]), text), int(m[1]), int(m[2]))
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
        return calendar_date(int(iso[1]), int(iso[2]), int(iso[3]), text)
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
