"""The same content in other markups gives the same JSON.

The replica's renderers re-render every specimen page's expected data as the
specimen's tables (windows-1251) and as HTML5 div/p (utf-8), with the charset in
the page or only in the HTTP header; extraction must give the data back exactly.
Hand-written variants below cover layouts neither renderer produces.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from centrasia_crawler.extraction import NotACentrasiaPage, extract
from tests.helpers import expected
from tests.replica.markup import ArticleStyle, DivMarkup, Markup, TableMarkup

ROOT = "https://centrasia.org/"
ARTICLES = ["article_1770853440", "article_1771493400", "article_1771506720", "article_1771509720"]
SIDEBAR = [
    {"st": 1771489800, "title": "Рабочий график главы государства"},
    {"st": 1771486183, "title": "Жители Туркестанской области готовы проголосовать"},
]
MARKUPS = [
    pytest.param(TableMarkup(), id="table-cp1251-meta"),
    pytest.param(TableMarkup(charset_in_page=False), id="table-cp1251-header-only"),
    pytest.param(DivMarkup(), id="div-utf8-meta"),
    pytest.param(DivMarkup(charset_in_page=False), id="div-utf8-header-only"),
]


def _extract(markup: Markup, page: str, url: str = ROOT) -> dict[str, Any]:
    content_type = None if markup.charset_in_page else markup.content_type()
    return extract(markup.encode(page), url, content_type).data


@pytest.mark.parametrize("markup", MARKUPS)
@pytest.mark.parametrize("name", ARTICLES)
@pytest.mark.parametrize("separator", ["-", "–", "—", ":"])
def test_article_in_other_markup(markup: Markup, name: str, separator: str) -> None:
    article = expected(name)
    page = markup.article(article, SIDEBAR, ArticleStyle(source_sep=separator))
    got = _extract(markup, page, article["url"])
    # The source line as printed is the renderer's, with its separator and spacing.
    printed = got.pop("source_text"), article.pop("source_text")
    assert got == article
    if article["source"]:
        assert printed[0].startswith("Источник") and separator in printed[0]
        assert printed[0].endswith(article["source"])
    else:
        assert printed == (None, None)


@pytest.mark.parametrize("markup", MARKUPS)
def test_index_in_other_markup(markup: Markup) -> None:
    index = expected("index")
    got = _extract(markup, markup.index(index["days"]))
    assert got == {**index, "archive_url": ROOT + markup.calendar_path()}


@pytest.mark.parametrize("markup", MARKUPS)
def test_day_page_in_other_markup(markup: Markup) -> None:
    day = expected("day_2026-02-12")
    prev, nxt = dt.date(2026, 2, 11), dt.date(2026, 2, 13)
    got = _extract(markup, markup.day(day, prev, nxt))
    assert got == {
        **day,
        "prev_day": {"date": "2026-02-11", "url": ROOT + markup.day_path(prev)},
        "next_day": {"date": "2026-02-13", "url": ROOT + markup.day_path(nxt)},
    }


@pytest.mark.parametrize("markup", MARKUPS)
def test_first_day_has_no_previous_day(markup: Markup) -> None:
    day = expected("day_2026-02-12")
    got = _extract(markup, markup.day(day, None, dt.date(2026, 2, 13)))
    assert got["prev_day"] is None
    assert got["next_day"]["date"] == "2026-02-13"


@pytest.mark.parametrize("markup", MARKUPS)
def test_calendar_in_other_markup(markup: Markup) -> None:
    days = [dt.date.fromisoformat(d["date"]) for d in expected("archive")["days"]]
    got = _extract(markup, markup.calendar(days))
    assert got == {
        "days": [{"date": d.isoformat(), "url": ROOT + markup.day_path(d)} for d in days]
    }


@pytest.mark.parametrize("markup", MARKUPS)
def test_feed_in_other_encoding(markup: Markup) -> None:
    feed = expected("redtram")
    assert _extract(markup, markup.feed(feed["items"])) == feed


FLAT_ARTICLE = """<!doctype html><html><head><meta charset="utf-8"><title>x</title></head><body>
<a href="/">ЦентрАзия</a> |<br>
<h2>Мир вступил в эпоху потрясений, - Сергей Лавров</h2>
02:44 12.02.2026<br><br>
Министр иностранных дел России заявил, что мир вступил в эпоху потрясений и перемен.<br><br>
По его словам, международные институты переживают глубокий кризис.<br><br>
<b>Новости Казахстана</b><br>
• <a href="newsA.php?st=1771489800">Рабочий график главы государства</a><br>
• <a href="newsA.php?st=1771486183">Жители Туркестанской области</a><br>
© CentrAsia</body></html>"""


def test_flat_article_stops_at_the_sidebar_and_drops_its_heading() -> None:
    got = extract(FLAT_ARTICLE.encode(), "https://centrasia.org/newsA.php?st=1770853440").data
    assert got == expected("article_1770853440")


def test_article_whose_time_disagrees_with_st_keeps_the_page_time_and_says_so() -> None:
    got = extract(FLAT_ARTICLE.encode(), "https://centrasia.org/newsA.php?st=1770853500").data
    assert got["published_at"] == "2026-02-12T02:44:00+03:00"
    assert got["time_mismatch"] is True
    assert got["st_time"] == "2026-02-12T02:45:00+03:00"
    assert got["st"] == 1770853500


CELL_LISTING = """<html><head><meta charset="utf-8"></head><body><table>
<tr><th colspan=2>Среда, 18.02.2026</th></tr>
<tr><td>21:54</td><td><a href="//www.centrasia.ru/newsA.php?st=1771440840">
О роли Британии, - Олег Яновский</a></td></tr>
<tr><td>20:22</td><td><a href="http://centrasia.org/newsA.php?st=1771435320#c">
Turkmen Serdar: Что</a></td></tr>
</table><p><a href="/old/arch.html">АРХИВ</a></p></body></html>"""


def test_listing_with_times_and_titles_in_separate_cells() -> None:
    got = extract(CELL_LISTING.encode()).data
    assert got == {
        "days": [
            {
                "date": "2026-02-18",
                "headlines": [
                    {
                        "st": 1771440840,
                        "url": "https://centrasia.org/newsA.php?st=1771440840",
                        "title": "О роли Британии, - Олег Яновский",
                        "listed_at": "2026-02-18T21:54:00+03:00",
                        "attribution": "Олег Яновский",
                    },
                    {
                        "st": 1771435320,
                        "url": "https://centrasia.org/newsA.php?st=1771435320",
                        "title": "Turkmen Serdar: Что",
                        "listed_at": "2026-02-18T20:22:00+03:00",
                        "attribution": None,
                    },
                ],
            }
        ],
        "archive_url": "https://centrasia.org/old/arch.html",
    }


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        ("<html><body><p>Hello</p></body></html>", "no sign of centrasia.org"),
        (
            '<html><body><a href="newsA.php?st=1">17:02 Заголовок</a></body></html>',
            "timed headlines but no day heading",
        ),
        ("<html><body>Четверг, 19.02.2026<p>ЦентрАзия</p></body></html>", "no day heading"),
        ("<html><body>ЦентрАзия<p>31.02.2026 12:00</p></body></html>", "no day heading"),
        (
            "<html><body>ЦентрАзия<p>Заголовок</p><p>12:30 31.02.2026</p></body></html>",
            "impossible",
        ),
        ("<html><body>ЦентрАзия<p>Заголовок</p><p>12:30 19.02.2026</p></body></html>", "no body"),
    ],
)
def test_pages_without_the_anchors_are_refused_with_a_reason(page: str, reason: str) -> None:
    with pytest.raises(NotACentrasiaPage, match=reason):
        extract(page.encode())


def test_article_fetched_from_a_mirror_takes_st_from_its_address() -> None:
    mirror = "http://127.0.0.1:8765/newsA.php?st=1770853500"
    got = extract(FLAT_ARTICLE.encode(), mirror).data
    assert got["st"] == 1770853500
    assert got["url"] == "https://centrasia.org/newsA.php?st=1770853500"
    assert got["time_mismatch"] is True


@pytest.mark.parametrize(
    "line", ["10 февраля 2026 г.", "10 фев 2026", "10.02.2026", "10 февраля 2026 года"]
)
def test_the_original_date_at_the_source_in_the_forms_a_page_may_use(line: str) -> None:
    page = FLAT_ARTICLE.replace("© CentrAsia", "").replace(
        "<b>Новости Казахстана</b>", f"{line}<br><br>Источник - ИноСМИ<br>"
    )
    got = extract(page.encode(), "https://centrasia.org/newsA.php?st=1770853440").data
    assert got["original_date"] == "2026-02-10"
    assert got["source"] == "ИноСМИ"
    assert got["body"] == expected("article_1770853440")["body"]
