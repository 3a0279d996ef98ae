"""The original date at the source, in every form outlets print it (issue 27)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrasia_crawler.normalize.site_clock import MONTH_FORMS, parse_date_line, parse_russian_date
from centrasia_crawler.normalize.source_dates import (
    TWO_DIGIT_PIVOT,
    looks_like_date_line,
    parse_source_date,
    read_source_date,
)

D = dt.date
ENGLISH = (
    ("January", "Jan"),
    ("February", "Feb"),
    ("March", "Mar"),
    ("April", "Apr"),
    ("May", "May"),
    ("June", "Jun"),
    ("July", "Jul"),
    ("August", "Aug"),
    ("September", "Sep"),
    ("October", "Oct"),
    ("November", "Nov"),
    ("December", "Dec"),
)

#: Lines as outlets print them, and the date each says (None: not read, a problem).
LINES: list[tuple[str, D | None]] = [
    # words, Russian
    ("10 февраля 2026 г.", D(2026, 2, 10)),
    ("10 февраля 2026 г", D(2026, 2, 10)),
    ("10 февраля 2026 года", D(2026, 2, 10)),
    ("10 февраля 2026", D(2026, 2, 10)),
    ("10 ФЕВРАЛЯ 2026 Г.", D(2026, 2, 10)),
    ("10 Февраля 2026 Года", D(2026, 2, 10)),
    ("10 февраль 2026", D(2026, 2, 10)),
    ("10 фев 2026", D(2026, 2, 10)),
    ("10 фев. 2026 г.", D(2026, 2, 10)),
    ("10 февр. 2026 года", D(2026, 2, 10)),
    ("3 сент. 2009 года", D(2009, 9, 3)),
    ("1-го мая 2001 года", D(2001, 5, 1)),
    ("01 января 2000 г.", D(2000, 1, 1)),
    ("Вторник, 10 февраля 2026 г.", D(2026, 2, 10)),
    ("вт, 10 фев 2026", D(2026, 2, 10)),
    ("10 февраля 2026 г., вторник", D(2026, 2, 10)),
    ("10 февраля 26", D(2026, 2, 10)),
    ("31 декабря 99 г.", D(1999, 12, 31)),
    ("10\xa0февраля\xa02026\xa0г.", D(2026, 2, 10)),
    ("2026, 10 февраля", D(2026, 2, 10)),
    # numbers, day first
    ("10.02.2026", D(2026, 2, 10)),
    ("10/02/2026", D(2026, 2, 10)),
    ("10-02-2026", D(2026, 2, 10)),
    ("1.2.2026", D(2026, 2, 1)),
    ("10.02.26", D(2026, 2, 10)),
    ("10/02/26", D(2026, 2, 10)),
    ("05.11.98", D(1998, 11, 5)),
    ("Четверг, 19.02.2026", D(2026, 2, 19)),
    # ISO, year first always
    ("2026-02-10", D(2026, 2, 10)),
    ("2026-10-02", D(2026, 10, 2)),
    ("2026/02/10", D(2026, 2, 10)),
    ("2026.02.10", D(2026, 2, 10)),
    ("2026-02-10T14:35:00+03:00", D(2026, 2, 10)),
    ("2026-02-10 14:35", D(2026, 2, 10)),
    # English
    ("February 10, 2026", D(2026, 2, 10)),
    ("Feb 10, 2026", D(2026, 2, 10)),
    ("10 Feb 2026", D(2026, 2, 10)),
    ("10 February 2026", D(2026, 2, 10)),
    ("Tuesday, February 10, 2026", D(2026, 2, 10)),
    ("May 1st, 2001", D(2001, 5, 1)),
    ("Sept. 3, 2009", D(2009, 9, 3)),
    # a time after (or before) the date
    ("10.02.2026 12:30", D(2026, 2, 10)),
    ("10 февраля 2026, 12:30", D(2026, 2, 10)),
    ("10 февраля 2026 г. 14:35", D(2026, 2, 10)),
    ("10 февраля 2026 г. в 14:35", D(2026, 2, 10)),
    ("10 февраля 2026 года в 14.35", D(2026, 2, 10)),
    ("10 февраля 2026, 14:35 МСК", D(2026, 2, 10)),
    ("10.02.2026 14:35 (GMT+3)", D(2026, 2, 10)),
    ("10.02.2026 | 14:35", D(2026, 2, 10)),
    ("10.02.2026 — 14:35:07", D(2026, 2, 10)),
    ("February 10, 2026 2:35 pm", D(2026, 2, 10)),
    ("Feb 10, 2026 14:35 UTC+3", D(2026, 2, 10)),
    ("14:35, 10 февраля 2026", D(2026, 2, 10)),
    ("вт, 10 фев. 2026 г. в 14:35 МСК", D(2026, 2, 10)),
    # dates that do not exist, and lines that look like dates but are none
    ("31.02.2026", None),
    ("31 февраля 2026 г.", None),
    ("2026-13-01", None),
    ("29.02.2025", None),
    ("Февраль 2026", None),
    ("10 февраля", None),
    ("2026-02-10-11", None),
]
NOT_DATE_LINES = [
    "Итоги года",
    "2026",
    "10 февраля 2026 г. в Бишкеке прошел форум",
    "В 2026 году",
    "Москва, 10 февраля 2026 г.",
    "Источник - ИноСМИ",
    "Выборы 10.02.2026 и после",
]


def test_the_table_is_large() -> None:
    assert len(LINES) >= 60


@pytest.mark.parametrize(("line", "date"), LINES)
def test_date_lines(line: str, date: D | None) -> None:
    read = read_source_date(line)
    assert read is not None, "a date line is a date line, read or not"
    if date is None:
        assert read[0] is None and read[1]  # not taken, and why
    else:
        assert read == (date, None)


@pytest.mark.parametrize("line", NOT_DATE_LINES)
def test_lines_that_are_no_date_line(line: str) -> None:
    assert read_source_date(line) is None
    assert not looks_like_date_line(line)


#: Every month in every Russian word form (nominative, genitive, abbreviated with and
#: without a dot) and both English forms, each read by itself.
MONTH_LINES = [
    (f"{month + 14} {form}{dot} 20{month + 10}", D(2000 + month + 10, month, month + 14))
    for month, forms in enumerate(MONTH_FORMS, start=1)
    for form in forms
    for dot in (("", ".") if len(form) <= 4 and form not in ("май", "мая") else ("",))
] + [
    (text, D(2011, month, 9))
    for month, (full, short) in enumerate(ENGLISH, start=1)
    for text in (f"{full} 9, 2011", f"9 {short} 2011")
]


@pytest.mark.parametrize(("line", "date"), MONTH_LINES)
def test_every_month_in_every_word_form(line: str, date: D) -> None:
    assert parse_source_date(line) == date
    assert parse_source_date(line.upper()) == date
    assert parse_source_date(line.title()) == date


def test_every_month_has_its_word_forms_tested() -> None:
    months = {date.month for _, date in MONTH_LINES}
    assert months == set(range(1, 13))
    assert len(MONTH_LINES) >= 12 * 5


RU_GENITIVE = [forms[1] for forms in MONTH_FORMS]
RU_NOMINATIVE = [forms[0] for forms in MONTH_FORMS]
RU_SHORT = [forms[-1] for forms in MONTH_FORMS]
WEEKDAYS_RU = ["Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота", "Воскресенье"]


def _yy(d: D) -> str:
    return f"{d.year % 100:02d}"


#: Every rendering the reader supports.
RENDERINGS: list[Callable[[D], str]] = [
    lambda d: f"{d.day} {RU_GENITIVE[d.month - 1]} {d.year} г.",
    lambda d: f"{d.day} {RU_GENITIVE[d.month - 1]} {d.year} года",
    lambda d: f"{d.day} {RU_NOMINATIVE[d.month - 1]} {d.year}",
    lambda d: f"{d.day} {RU_SHORT[d.month - 1]}{'' if d.month == 5 else '.'} {d.year} г",
    lambda d: f"{d.day} {RU_GENITIVE[d.month - 1].upper()} {d.year} Г.",
    lambda d: f"{WEEKDAYS_RU[d.weekday()]}, {d.day} {RU_GENITIVE[d.month - 1]} {d.year} г.",
    lambda d: f"{d.day} {RU_GENITIVE[d.month - 1]} {_yy(d)}",
    lambda d: d.strftime("%d.%m.%Y"),
    lambda d: d.strftime("%d/%m/%Y"),
    lambda d: d.strftime("%d-%m-%Y"),
    lambda d: f"{d.day}.{d.month}.{d.year}",
    lambda d: f"{d:%d.%m}.{_yy(d)}",
    lambda d: d.isoformat(),
    lambda d: f"{d.isoformat()}T09:05:00+03:00",
    lambda d: f"{ENGLISH[d.month - 1][0]} {d.day}, {d.year}",
    lambda d: f"{d.day} {ENGLISH[d.month - 1][1]} {d.year}",
    lambda d: f"{d:%A}, {ENGLISH[d.month - 1][0]} {d.day}, {d.year} 9:05 am",
    lambda d: f"{d.day} {RU_GENITIVE[d.month - 1]} {d.year}, 09:05",
    lambda d: f"{d.day} {RU_GENITIVE[d.month - 1]} {d.year} г. в 9:05 МСК",
    lambda d: f"{d:%d.%m.%Y} 23:59 (GMT+3)",
    lambda d: f"{d:%d.%m.%Y} | 00:00",
    lambda d: f"09:05, {d:%d.%m.%Y}",
]


@given(
    date=st.dates(D(1995, 1, 1), D(2030, 12, 31)),
    rendering=st.sampled_from(range(len(RENDERINGS))),
)
def test_every_rendering_of_any_date_parses_back(date: D, rendering: int) -> None:
    line = RENDERINGS[rendering](date)
    assert read_source_date(line) == (date, None), line


@pytest.mark.parametrize(("yy", "year"), [("69", 1969), ("95", 1995), ("00", 2000), ("30", 2030)])
def test_two_digit_years_are_fixed_not_moving_with_the_clock(yy: str, year: int) -> None:
    assert TWO_DIGIT_PIVOT == 69
    assert parse_source_date(f"10.02.{yy}") == D(year, 2, 10)


def test_iso_dates_are_year_first_everywhere() -> None:
    # The bug of issue 27: dateutil's day-first rule read 2026-02-10 as 2 October.
    assert parse_date_line("2026-02-10") == D(2026, 2, 10)
    assert parse_russian_date("2026-02-10") == D(2026, 2, 10)
    assert parse_source_date("2026-02-10") == D(2026, 2, 10)
