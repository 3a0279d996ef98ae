"""Listing lines: the one-match reading of ``HH:MM <link>`` lines equals the general one.

:func:`read_days` reads a line that is a time and one article link with one regular
expression, and every other line the general way (time, then links, then title). The
two must give the same headlines, rejections and orphans for any line.
"""

from __future__ import annotations

from html import escape

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from centrasia_crawler.extraction import listing
from centrasia_crawler.extraction.blocks import read_page

ROOT = "https://centrasia.org/"

TIMES = st.one_of(
    st.sampled_from(["17:02", "7:05", "00:00", "23:59", "24:00", "12:60", "1:2", "123:45"]),
    st.sampled_from(["٠٧:٠٥", "12:30:15", "12:3015", " 09:15", "09:15 —"]),
    st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 30), st.integers(0, 70)),
)
HREFS = st.one_of(
    st.builds(lambda n: f"newsA.php?st={n}", st.integers(-5, 10**13)),
    st.sampled_from(
        [
            "/newsA.php?st=1771509720",
            "https://centrasia.org/newsA.php?st=1771509720",
            "http://www.centrasia.ru/newsA.php?st=1771509720",
            "https://www.centrasia.org/newsA.php?st=1771509720&x=1",
            "newsA.php?st=0",
            "newsA.php?st=00001771509720",
            "newsA.php?st=abc",
            "NEWSA.PHP?st=1771509720",
            "https://example.com/newsA.php?st=1771509720",
            "  newsA.php?st=1771509720  ",
            "person.php?st=1771509720",
            "javascript:void(0)",
        ]
    ),
)
TITLES = st.one_of(
    st.sampled_from(
        [
            "Первый поезд отправлен",
            "Мир вступил в эпоху потрясений, - Сергей Лавров",
            "  Пробелы\xa0\xa0вокруг  ",
            "",
            " ",
            "Невидимый\u200b\xadсимвол",
            "<b>Жирный</b> заголовок",
        ]
    ),
    st.text(alphabet=st.sampled_from([*"абвАБ019.,-–— ", "\xa0", "\t", "\n"]), max_size=20),
)
AFTER = st.sampled_from(["", "", "", " ", " (видео)", "<br>", "<a href='/x.php'>x</a>"])


def _line(time: str, href: str, title: str, after: str) -> str:
    # titles with markup in them are inserted as markup; the rest as text
    shown = title if title.startswith("<b>") else escape(title)
    return f"{escape(time)}&nbsp;&nbsp;<a href='{escape(href)}'>{shown}</a>{after}"


def _read_both(html: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    page = read_page(html, ROOT)
    fast = listing.read_days(page)
    with monkeypatch.context() as patched:
        patched.setattr(listing, "_headline_line", lambda block: None)
        general = listing.read_days(read_page(html, ROOT))
    return fast, general


@settings(max_examples=400, deadline=None)
@given(lines=st.lists(st.tuples(TIMES, HREFS, TITLES, AFTER), min_size=1, max_size=4))
@example(lines=[("17:02", "newsA.php?st=1771509720", "Заголовок", "")])
@example(lines=[("25:02", "newsA.php?st=1771509720", "Заголовок", "")])
@example(lines=[("17:02", "newsA.php?st=1771509720", " ", "")])
def test_the_fast_reading_of_a_listing_line_equals_the_general_one(
    lines: list[tuple[str, str, str, str]],
) -> None:
    body = "<br>".join(_line(*line) for line in lines)
    html = f"<html><body><p>Четверг, 19.02.2026</p><p>{body}</p></body></html>"
    # hypothesis and function-scoped fixtures do not mix: a context of our own
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, general = _read_both(html, monkeypatch)
    assert fast == general


def test_the_fast_reading_is_taken_for_canonical_lines() -> None:
    """The reading compared above is the one the index's lines go through."""
    html = (
        "<html><body><p>Четверг, 19.02.2026</p><p>17:02&nbsp;&nbsp;"
        "<a href='newsA.php?st=1771509720'>Первый поезд, - Иван Петров</a></p></body></html>"
    )
    [block] = [b for b in read_page(html, ROOT).blocks if b.links]
    assert listing._headline_line(block) == ((17, 2), 1771509720, "Первый поезд, - Иван Петров")
    days = listing.read_days(read_page(html, ROOT)).days
    assert days == [
        {
            "date": "2026-02-19",
            "headlines": [
                {
                    "st": 1771509720,
                    "url": "https://centrasia.org/newsA.php?st=1771509720",
                    "title": "Первый поезд, - Иван Петров",
                    "listed_at": "2026-02-19T17:02:00+03:00",
                    "attribution": "Иван Петров",
                }
            ],
        }
    ]
