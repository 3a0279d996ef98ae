"""The original date at the source, in every form outlets print it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centrasia_crawler.archive import Archive
from centrasia_crawler.archive.store import RawPage
from centrasia_crawler.extraction import extract
from centrasia_crawler.normalize import source_dates
from centrasia_crawler.normalize.site_clock import MONTH_FORMS, parse_date_line, parse_russian_date
from centrasia_crawler.normalize.source_dates import (
    TWO_DIGIT_PIVOT,
    looks_like_date_line,
    parse_source_date,
    read_source_date,
)
from centrasia_crawler.reparse import reparse
from tests.helpers import SPECIMEN

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
    # dateutil's day-first rule would read 2026-02-10 as 2 October.
    assert parse_date_line("2026-02-10") == D(2026, 2, 10)
    assert parse_russian_date("2026-02-10") == D(2026, 2, 10)
    assert parse_source_date("2026-02-10") == D(2026, 2, 10)


# Forms read by dateparser behind the grammar ----------------------------------------------

#: Every example of the forms an outlet may print that the grammar alone did not read
#: (three-letter weekdays, ``году``, a dotted time, offsets without a colon, 12-hour
#: times, other English shapes), each with the date it prints.
NEW_FORMS: list[tuple[str, D]] = [
    ("Пнд, 07 янв. 2019 г. 12:15", D(2019, 1, 7)),
    ("Срд, 09 янв. 2019 г. 12:15", D(2019, 1, 9)),
    ("чтв, 1 сентября 2022 г. 09:00", D(2022, 9, 1)),
    ("Птн, 11 янв. 2019 г. 12:15", D(2019, 1, 11)),
    ("сбт, 1 окт. 2022 г. 10:22", D(2022, 10, 1)),
    ("вск, 2 окт. 2022 г. 11:17", D(2022, 10, 2)),
    ("14 декабря в 1989 году", D(1989, 12, 14)),
    ("29.02.2020 13.12", D(2020, 2, 29)),
    ("26. 10.21 14.12", D(2021, 10, 26)),
    ("30 . 09 . 22 12.12", D(2022, 9, 30)),
    ("1999-12-31 19:00:00 +0500", D(1999, 12, 31)),
    ("2015-05-02T10:20:19+0000", D(2015, 5, 2)),
    ("Fri, 09 Sep 2005 13:51:39 +0000", D(2005, 9, 9)),
    ("15 May 2004 16:10 -0400", D(2004, 5, 15)),
    ("August 8, 2018 5 PM", D(2018, 8, 8)),
    ("April 9, 2013 at 6:11 a.m.", D(2013, 4, 9)),
    ("2:21 p.m., December 11, 2014", D(2014, 12, 11)),
    ("8:25 a.m. Dec. 12, 2014", D(2014, 12, 12)),
    ("Tues 9th Aug, 2015", D(2015, 8, 9)),
    ("Wed Aug 05 12:00:00 2015", D(2015, 8, 5)),
    ("20 Mar 2013 10h11", D(2013, 3, 20)),
    ("Wednesday, 22nd June, 2016, 12.16 pm.", D(2016, 6, 22)),
    # ten more of the same shapes
    ("Втр, 10 фев. 2026 г. 14:35", D(2026, 2, 10)),
    ("Вск, 01 марта 2026 г. 09:05", D(2026, 3, 1)),
    ("3 марта в 2009 году", D(2009, 3, 3)),
    ("10.02.2026 14.35", D(2026, 2, 10)),
    ("1999-12-31T23:59:59-0800", D(1999, 12, 31)),
    ("Mon, 29 Feb 2016 08:00:00 -0500", D(2016, 2, 29)),
    ("February 10, 2026 11 AM", D(2026, 2, 10)),
    ("9:05 p.m., February 10, 2026", D(2026, 2, 10)),
    ("Thurs 1st Jan, 2015", D(2015, 1, 1)),
    ("Sun Mar 01 00:00:00 2020", D(2020, 3, 1)),
    ("5 Jan 2021 09h30", D(2021, 1, 5)),
]


def test_the_new_forms_table_holds_every_form_and_ten_more() -> None:
    assert len(NEW_FORMS) >= 22 + 10


@pytest.mark.parametrize(("line", "date"), NEW_FORMS)
def test_the_new_forms_are_read(line: str, date: D) -> None:
    assert read_source_date(line) == (date, None)


@pytest.mark.parametrize(
    ("line", "date"),
    [
        # late in the evening west of Greenwich: the next day in UTC, the printed day here
        ("Fri, 09 Sep 2005 23:51:39 -0700", D(2005, 9, 9)),
        ("1999-12-31 19:00:00 -0500", D(1999, 12, 31)),
        ("15 May 2004 23:24 EDT", D(2004, 5, 15)),
        # early in the morning east of it: the day before in UTC
        ("2016-09-23T01:30:00+0800", D(2016, 9, 23)),
        ("Fri Sep 23 2016 01:34:51 GMT+0800 (CST)", D(2016, 9, 23)),
        ("23 сентября 2016 г. 01:30 (GMT+6)", D(2016, 9, 23)),
    ],
)
def test_the_printed_zone_is_kept_not_converted(line: str, date: D) -> None:
    assert read_source_date(line) == (date, None)


@pytest.mark.parametrize(
    "line",
    [
        "вчера",
        "вчера в 14:35",
        "сегодня, 14:35",
        "2 дня назад",
        "неделю назад",
        "yesterday",
        "3 days ago",
        "Mon 10:04am",
        "1484823450",  # a Unix time
    ],
)
def test_relative_dates_are_no_source_date(line: str) -> None:
    read = read_source_date(line)
    assert read is None or read[0] is None


@pytest.mark.parametrize(
    "line",
    [
        "Февраль 2026",  # no day
        "10 февраля в 14:35",  # no year
        "August 8 5 PM",
        "May 2020",
        "30 февраля в 2009 году",  # no such day
        "Wed Feb 30 12:00:00 2015",
        "29.02.2021 13.12",
    ],
)
def test_incomplete_or_impossible_dates_are_not_taken(line: str) -> None:
    read = read_source_date(line)
    assert read is not None and read[0] is None and read[1]


#: dateparser's own test cases (tests/fixtures/dateparser/cases.tsv names the file and
#: line of each): the text, the date it prints, and the group (ru, or other: numeric, ISO
#: and English).
CASES_TSV = Path(__file__).parent / "fixtures" / "dateparser" / "cases.tsv"
CASES = [
    (group, text, D.fromisoformat(date))
    for group, text, date, _where in (
        line.rstrip("\n").split("\t")
        for line in CASES_TSV.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
]


def test_dateparsers_own_cases_are_read_and_never_wrong() -> None:
    assert Counter(group for group, _, _ in CASES) == {"ru": 25, "other": 98}
    read: Counter[str] = Counter()
    wrong = []
    for group, text, date in CASES:
        got = read_source_date(text)
        if got is not None and got[0] is not None:
            if got[0] == date:
                read[group] += 1
            else:
                wrong.append((text, got[0], date))
    assert wrong == []
    assert read["ru"] == 25
    assert read["other"] >= 94


def test_dateparser_is_loaded_only_when_the_grammar_fails() -> None:
    code = (
        "import sys\n"
        "from centrasia_crawler.normalize.source_dates import read_source_date as r\n"
        "assert r('10 февраля 2026 г., 14:35 МСК')[0] and r('Итоги года') is None\n"
        "assert 'dateparser' not in sys.modules, 'loaded for the grammar'\n"
        "assert r('Wed Aug 05 12:00:00 2015')[0]\n"
        "assert 'dateparser' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


WEEKDAYS_RU3 = ["Пнд", "Втр", "Срд", "Чтв", "Птн", "Сбт", "Вск"]
WEEKDAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WEEKDAYS_EN4 = ["Mon", "Tues", "Wed", "Thurs", "Fri", "Sat", "Sun"]


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


#: The forms dateparser reads behind the grammar, as in :data:`NEW_FORMS`.
NEW_RENDERINGS: list[Callable[[D], str]] = [
    lambda d: f"{WEEKDAYS_RU3[d.weekday()]}, {d:%d} {RU_SHORT[d.month - 1]}. {d.year} г. 12:15",
    lambda d: f"{d.day} {RU_GENITIVE[d.month - 1]} в {d.year} году",
    lambda d: f"{d:%d.%m.%Y} 13.12",
    lambda d: f"{d.day}. {d:%m}.{_yy(d)} 14.12",
    lambda d: f"{d.day} . {d:%m} . {_yy(d)} 12.12",
    lambda d: f"{d.isoformat()} 19:00:00 +0500",
    lambda d: f"{d.isoformat()}T10:20:19-0800",
    lambda d: f"{d:%a}, {d:%d} {ENGLISH[d.month - 1][1]} {d.year} 13:51:39 +0000",
    lambda d: f"{d.day} {ENGLISH[d.month - 1][1]} {d.year} 23:10 -0400",
    lambda d: f"{ENGLISH[d.month - 1][0]} {d.day}, {d.year} 5 PM",
    lambda d: f"{ENGLISH[d.month - 1][0]} {d.day}, {d.year} at 6:11 a.m.",
    lambda d: f"2:21 p.m., {ENGLISH[d.month - 1][0]} {d.day}, {d.year}",
    lambda d: f"8:25 a.m. {ENGLISH[d.month - 1][1]}. {d.day}, {d.year}",
    lambda d: f"{WEEKDAYS_EN4[d.weekday()]} {_ordinal(d.day)} {ENGLISH[d.month - 1][1]}, {d.year}",
    lambda d: f"{WEEKDAYS_EN4[d.weekday()]} {ENGLISH[d.month - 1][1]} {d:%d} 12:00:00 {d.year}",
    lambda d: f"{d.day} {ENGLISH[d.month - 1][1]} {d.year} 10h11",
    lambda d: (
        f"{WEEKDAYS_EN[d.weekday()]}, {_ordinal(d.day)} {ENGLISH[d.month - 1][0]}, {d.year},"
        " 12.16 pm."
    ),
]


def test_the_new_renderings_print_the_new_forms() -> None:
    day = D(2016, 6, 22)
    printed = {render(day) for render in NEW_RENDERINGS}
    assert "Wednesday, 22nd June, 2016, 12.16 pm." in printed
    assert "Wed Jun 22 12:00:00 2016" in printed
    assert "22 июня в 2016 году" in printed


def _never_another_date(date: D) -> None:
    """Every form of ``date`` reads back as it or as no date (a two-digit year is 1969 to
    2068: :data:`TWO_DIGIT_PIVOT`)."""
    for render in RENDERINGS + NEW_RENDERINGS:
        line = render(date)
        read = read_source_date(line)
        assert read is not None, f"{line!r} is a date line"
        assert read[0] in (date, None), f"{line!r} read as {read[0]}"


@settings(max_examples=40, deadline=None)
@given(date=st.dates(D(1969, 1, 1), D(2068, 12, 31)))
def test_any_date_in_any_form_reads_back_as_itself_or_null(date: D) -> None:
    _never_another_date(date)


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(date=st.dates(D(1969, 1, 1), D(2068, 12, 31)))
def test_500_dates_in_every_form_read_back_as_themselves_or_null(date: D) -> None:
    _never_another_date(date)


def test_the_new_forms_are_mostly_read_not_just_not_wrong() -> None:
    days = [D(1999, 12, 31), D(2004, 2, 29), D(2011, 3, 27), D(2026, 2, 10)]
    read = sum(
        read_source_date(render(day)) == (day, None) for day in days for render in NEW_RENDERINGS
    )
    assert read == len(days) * len(NEW_RENDERINGS)


# Repairing an archive --------------------------------------------------------------------

ST = 1771493400  # the specimen article, published 2026-02-19
SPECIMEN_PAGE = (SPECIMEN / f"article_{ST}.html").read_bytes().decode("cp1251")
SPECIMEN_DATE_LINE = "10 февраля 2026 г.<br><br>\n"


def test_reparse_reads_the_date_lines_an_older_reader_left_null(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert SPECIMEN_DATE_LINE in SPECIMEN_PAGE
    lines = {ST: "Wed Feb 11 12:00:00 2026", ST + 60: "14 февраля в 2026 году"}
    printed = {ST: "2026-02-11", ST + 60: "2026-02-14"}
    pages = {
        st: SPECIMEN_PAGE.replace(SPECIMEN_DATE_LINE, f"{line}<br><br>\n")
        .replace(f"st={ST}", f"st={st}")
        .encode("cp1251")
        for st, line in lines.items()
    }
    with Archive.open(tmp_path / "a.sqlite") as store:
        # The archive as the grammar alone read it: the date lines stored as not read.
        with monkeypatch.context() as patch:
            patch.setattr(source_dates, "read_with_dateparser", lambda text: None)
            for st, body in pages.items():
                url = f"https://centrasia.org/newsA.php?st={st}"
                data = extract(body, url).data
                assert data["original_date"] is None and data["unread_lines"]
                raw = RawPage(
                    url=url,
                    status=200,
                    headers={"Content-Type": ["text/html; charset=windows-1251"]},
                    body=body,
                    fetched_at="2026-02-19T10:00:00+00:00",
                    kind="article",
                    st=st,
                )
                store.write_batch([data], pages=[raw])
        for st in lines:
            assert store.article(st)["original_date"] is None  # type: ignore[index]

        summary = reparse(store)

        assert (summary.changed, summary.failed, summary.unread_lines) == (2, [], 0)
        for st, line in lines.items():
            row = store.article(st)
            assert row is not None and row["revision"] == 2
            assert row["original_date"] == printed[st]
            assert row["original_date_text"] == line
            assert not row["unread_lines"] or json.loads(row["unread_lines"]) == []
        assert reparse(store).changed == 0


@pytest.mark.parametrize(
    "line", ["Wed Aug 05 12:00:00 2026", "14 декабря в 2026 году", "2:21 p.m., March 11, 2026"]
)
def test_a_date_dateparser_reads_after_the_articles_publication_is_refused(line: str) -> None:
    page = SPECIMEN_PAGE.replace(SPECIMEN_DATE_LINE, f"{line}<br><br>\n").encode("cp1251")
    data = extract(page, f"https://centrasia.org/newsA.php?st={ST}").data
    assert read_source_date(line)[0] > D(2026, 2, 20)  # type: ignore[index, operator]
    assert data["original_date"] is None and data["original_date_text"] == line
    (unread,) = data["unread_lines"]
    assert unread["line"] == line and "after the article's 2026-02-19" in unread["reason"]
