"""Russian dates and times, Moscow time, st <-> time."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrasia_crawler.normalize import site_clock
from centrasia_crawler.normalize.site_clock import (
    MONTH_FORMS,
    DateParseError,
    moscow_to_st,
    parse_date_line,
    parse_day_heading,
    parse_leading_time,
    parse_month_heading,
    parse_russian_date,
    parse_shown_time,
    shown_time_disagrees,
    st_to_moscow,
)

ST_2000 = 946_684_800  # 2000-01-01T00:00Z
ST_2031 = 1_924_992_000  # 2031-01-01T00:00Z


@given(st.integers(min_value=ST_2000, max_value=ST_2031 - 1))
def test_any_st_shown_as_the_site_shows_it_parses_back_to_the_same_minute(st_: int) -> None:
    shown = st_to_moscow(st_).strftime("%H:%M %d.%m.%Y")
    parsed = parse_shown_time(shown, near_st=st_)
    assert parsed is not None
    assert moscow_to_st(parsed) == st_ - st_ % 60
    assert not shown_time_disagrees(st_, parsed)


@given(st.integers(min_value=ST_2000, max_value=ST_2031 - 1))
def test_without_st_a_shown_time_is_the_same_minute_or_the_repeated_hour(st_: int) -> None:
    shown = st_to_moscow(st_).strftime("%H:%M %d.%m.%Y")
    parsed = parse_shown_time(shown)
    assert parsed is not None
    assert moscow_to_st(parsed) - (st_ - st_ % 60) in (0, -3600)


@pytest.mark.parametrize(
    ("st_", "iso"),
    [
        (1771493400, "2026-02-19T12:30:00+03:00"),  # UTC+3 since 26.10.2014
        (1341129600, "2012-07-01T12:00:00+04:00"),  # UTC+4 from 27.03.2011 to 26.10.2014
        (1105347600, "2005-01-10T12:00:00+03:00"),  # winter time before 2011
        (1120982400, "2005-07-10T12:00:00+04:00"),  # summer time before 2011
    ],
)
def test_moscow_offset_comes_from_the_tz_database(st_: int, iso: str) -> None:
    assert st_to_moscow(st_).isoformat() == iso
    assert moscow_to_st(dt.datetime.fromisoformat(iso)) == st_


@pytest.mark.parametrize("month", range(1, 13))
def test_every_month_in_every_form_parses(month: int) -> None:
    """Every spelling of the month, in every case, with every year suffix, abbreviations
    with and without their dot: each once, on days and years spread over the range."""
    combos = itertools.product(
        MONTH_FORMS[month - 1],
        [str.lower, str.title, str.upper],
        ["", " г.", " г", " года"],
        ["", "."],
    )
    for i, (form, case, suffix, dot) in enumerate(combos):
        if dot and len(form) > 4:
            continue
        day, year = 1 + (i * 11 + month) % 28, 1995 + (i * 7 + month) % 41
        text = f"{day} {case(form)}{dot} {year}{suffix}"
        assert parse_russian_date(text) == dt.date(year, month, day), text


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("10 февраля 2026 г.", dt.date(2026, 2, 10)),
        ("Четверг, 19.02.2026", dt.date(2026, 2, 19)),
        ("19.02.2026", dt.date(2026, 2, 19)),
        ("1 мая 2001 года", dt.date(2001, 5, 1)),
        ("среда, 3 марта 2010", dt.date(2010, 3, 3)),
    ],
)
def test_russian_dates(text: str, date: dt.date) -> None:
    assert parse_russian_date(text) == date


@pytest.mark.parametrize(
    "text", ["", "февраля", "10 февраля", "31.02.2026", "31 февраля 2026", "abc"]
)
def test_not_a_complete_or_real_date(text: str) -> None:
    with pytest.raises(DateParseError):
        parse_russian_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Четверг, 19.02.2026", dt.date(2026, 2, 19)),
        ("  ВОСКРЕСЕНЬЕ,15.02.2026 ", dt.date(2026, 2, 15)),
        ("пн 16.02.2026", dt.date(2026, 2, 16)),
        ("19.02.2026", None),
        ("Четверг, 19.02.2026 и ещё", None),
    ],
)
def test_day_headings(text: str, expected: dt.date | None) -> None:
    assert parse_day_heading(text) == expected


def test_impossible_day_heading_raises() -> None:
    with pytest.raises(DateParseError, match="impossible"):
        parse_day_heading("Среда, 31.02.2026")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17:02\xa0\xa0Поезд", (17, 2)),
        ("00:05 Сводка", (0, 5)),
        ("24:00 x", None),
        ("12:30:15", None),
        ("1234", None),
        ("9:05 x", (9, 5)),
    ],
)
def test_leading_times(text: str, expected: tuple[int, int] | None) -> None:
    assert parse_leading_time(text) == expected


def test_shown_time_must_be_alone_and_real() -> None:
    assert parse_shown_time("Обновлено 12:30 19.02.2026") is None
    with pytest.raises(DateParseError):
        parse_shown_time("25:30 19.02.2026")
    with pytest.raises(DateParseError):
        parse_shown_time("12:30 30.02.2026")


def test_worded_date_line_and_month_heading() -> None:
    assert parse_date_line("10 февраля 2026 г.") == dt.date(2026, 2, 10)
    assert parse_date_line("10 февраля 2026 г. в Бишкеке прошел форум") is None
    assert parse_month_heading("Февраль 2026") == (2026, 2)
    assert parse_month_heading("Февраль") is None


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("10 февраля 2026 г.", dt.date(2026, 2, 10)),
        ("10 февраля 2026 г", dt.date(2026, 2, 10)),
        ("10 февраля 2026 года", dt.date(2026, 2, 10)),
        ("10 февраля 2026", dt.date(2026, 2, 10)),
        ("10 фев 2026", dt.date(2026, 2, 10)),
        ("10 фев. 2026 г.", dt.date(2026, 2, 10)),
        ("10 ФЕВРАЛЯ 2026 Г.", dt.date(2026, 2, 10)),
        ("10.02.2026", dt.date(2026, 2, 10)),
        ("1 мая 2001 года", dt.date(2001, 5, 1)),
        ("10 февраля 2026 г. в Бишкеке прошел форум", None),
        ("Москва, 10 февраля 2026 г.", None),
        ("10 февраля", None),
        ("февраль 2026", None),
        ("12:30 19.02.2026", None),
        ("10 февраля 2026 г. 15:40", None),
        ("31 февраля 2026 г.", None),
        ("В 2026 году", None),
        ("Итоги 2025 года обсудят 10 февраля 2026 года на форуме в Астане", None),
    ],
)
def test_a_line_that_is_only_a_date(text: str, date: dt.date | None) -> None:
    assert parse_date_line(text) == date


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("Февраль 2026", (2026, 2)),
        ("ФЕВРАЛЬ 2026 г.", (2026, 2)),
        ("сентябрь 2009", (2009, 9)),
        ("Февраль", None),
        ("12 февраля 2026", None),
        ("2026", None),
        ("Архив 2026", None),
    ],
)
def test_calendar_month_headings(text: str, month: tuple[int, int] | None) -> None:
    assert parse_month_heading(text) == month


def test_the_sites_time_zone_is_named_in_one_place() -> None:
    package = Path(site_clock.__file__).parent.parent
    naming = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "Europe/Moscow" in path.read_text(encoding="utf-8")
    )
    assert naming == ["normalize/site_clock.py"]
    assert site_clock.MOSCOW.key == "Europe/Moscow"
