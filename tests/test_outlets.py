"""Source lines as outlets print them, and the outlet table (issue 27)."""

from __future__ import annotations

import pytest

from centrasia_crawler.normalize.outlets import (
    OutletTableError,
    name_key,
    outlet_for,
    outlet_table,
    parse_table,
    registered_domain,
)
from centrasia_crawler.normalize.source_line import parse_source_line, read_source_line

INOSMI = "https://inosmi.ru/20260210/tsentralnaya-aziya-redkozemelnye-metally.html"
RIA = "https://ria.ru/20260210/kazakhstan-123.html"
Link = tuple[str, str]
#: (line, its links, [(name, url, domain, outlet), ...] in order)
Expected = list[tuple[str | None, str | None, str | None, str | None]]
LINES: list[tuple[str, list[Link], Expected]] = [
    ("Источник - ИноСМИ", [(INOSMI, "ИноСМИ")], [("ИноСМИ", INOSMI, "inosmi.ru", "ИноСМИ")]),
    ("Источник: ИноСМИ", [(INOSMI, "ИноСМИ")], [("ИноСМИ", INOSMI, "inosmi.ru", "ИноСМИ")]),
    ("Источник — ИноСМИ", [], [("ИноСМИ", None, None, "ИноСМИ")]),
    ("Источник – ИноСМИ", [], [("ИноСМИ", None, None, "ИноСМИ")]),
    ("Источник-ИноСМИ", [(INOSMI, "ИноСМИ")], [("ИноСМИ", INOSMI, "inosmi.ru", "ИноСМИ")]),
    ("ИСТОЧНИК: ИНОСМИ", [], [("ИНОСМИ", None, None, "ИноСМИ")]),
    ("Источник – «ИноСМИ»", [(INOSMI, "ИноСМИ")], [("ИноСМИ", INOSMI, "inosmi.ru", "ИноСМИ")]),
    ("Источник: “ИноСМИ”", [], [("ИноСМИ", None, None, "ИноСМИ")]),
    ('Источник - "InoSMI"', [], [("InoSMI", None, None, "ИноСМИ")]),
    ("Источник: ИноСМИ.", [], [("ИноСМИ", None, None, "ИноСМИ")]),
    # an address: bare, or a link whose text is its address
    ("Источник: " + INOSMI, [], [("ИноСМИ", INOSMI, "inosmi.ru", "ИноСМИ")]),
    ("Источник: " + INOSMI, [(INOSMI, INOSMI)], [("ИноСМИ", INOSMI, "inosmi.ru", "ИноСМИ")]),
    (
        "Источник: www.fergana.news/articles/1/",
        [],
        [("Фергана", "http://www.fergana.news/articles/1/", "fergana.news", "Фергана")],
    ),
    (
        "Источник: https://example.org/news/1",
        [],
        [("example.org", "https://example.org/news/1", "example.org", "example.org")],
    ),
    (
        "Источник: ИноСМИ (" + INOSMI + ")",
        [],
        [("ИноСМИ", INOSMI, "inosmi.ru", "ИноСМИ")],
    ),
    # several sources, in order
    (
        "Источники: ИноСМИ, РИА Новости",
        [(INOSMI, "ИноСМИ"), (RIA, "РИА Новости")],
        [("ИноСМИ", INOSMI, "inosmi.ru", "ИноСМИ"), ("РИА Новости", RIA, "ria.ru", "РИА Новости")],
    ),
    (
        "Источники - ТАСС; Интерфакс",
        [],
        [("ТАСС", None, None, "ТАСС"), ("Интерфакс", None, None, "Интерфакс")],
    ),
    (
        "Источники: Азия-Плюс и Sputnik Таджикистан",
        [],
        [("Азия-Плюс", None, None, "Азия-Плюс"), ("Sputnik Таджикистан", None, None, "Sputnik")],
    ),
    # По материалам
    ("По материалам ИноСМИ", [(INOSMI, "ИноСМИ")], [("ИноСМИ", INOSMI, "inosmi.ru", "ИноСМИ")]),
    ("По материалам: «Фергана»", [], [("Фергана", None, None, "Фергана")]),
    (
        "По материалам ИноСМИ и РИА Новости",
        [(RIA, "РИА Новости")],
        [("ИноСМИ", None, None, "ИноСМИ"), ("РИА Новости", RIA, "ria.ru", "РИА Новости")],
    ),
    # name variants and domains of the outlet table
    (
        "Источник: РИА «Новости»",
        [("https://ria.ru/x", "РИА «Новости»")],
        [("РИА Новости", "https://ria.ru/x", "ria.ru", "РИА Новости")],
    ),
    (
        "Источник - Sputnik Кыргызстан",
        [("https://ru.sputnik.kg/20260210/x.html", "Sputnik Кыргызстан")],
        [
            (
                "Sputnik Кыргызстан",
                "https://ru.sputnik.kg/20260210/x.html",
                "sputnik.kg",
                "Sputnik",
            )
        ],
    ),
    ("Источник: ИТАР-ТАСС", [], [("ИТАР-ТАСС", None, None, "ТАСС")]),
    ("Источник: Газета.uz", [], [("Газета.uz", None, None, "Газета.uz")]),
    ("Источник: Gazeta.uz", [], [("Gazeta.uz", None, None, "Газета.uz")]),
    ("Источник: Тренд", [], [("Тренд", None, None, "Trend")]),
    (
        "Источник: 24.kg",
        [("https://24.kg/x/", "24.kg")],
        [("24.kg", "https://24.kg/x/", "24.kg", "24.kg")],
    ),
    ("Источник: Kabar", [], [("Kabar", None, None, "Кабар")]),
    (
        "Источник: Курсив",
        [("https://kursiv.media/x", "Курсив")],
        [("Курсив", "https://kursiv.media/x", "kursiv.media", "Курсив")],
    ),
    (
        "Источник: Би-би-си",
        [("https://www.bbc.co.uk/russian/x", "Би-би-си")],
        [("Би-би-си", "https://www.bbc.co.uk/russian/x", "bbc.co.uk", "Би-би-си")],
    ),
    # a name the table does not know is its own outlet; a link names its domain
    (
        "Источник: Новый Портал",
        [("https://portal.example.kz/a", "Новый Портал")],
        [("Новый Портал", "https://portal.example.kz/a", "example.kz", "Новый Портал")],
    ),
    # a line naming nothing
    ("Источник: ", [], []),
]


def test_the_table_is_large() -> None:
    assert len(LINES) >= 25


@pytest.mark.parametrize(("line", "links", "expected"), LINES)
def test_source_lines(line: str, links: list[Link], expected: Expected) -> None:
    read = read_source_line(line, links)
    assert read is not None
    assert [(s.name, s.url, s.domain, s.outlet) for s in read.sources] == expected
    first = expected[0][:2] if expected else (None, None)
    assert parse_source_line(line, links) == first


@pytest.mark.parametrize(
    "line",
    [
        "Источники сообщают, что",
        "По данным источника",
        "Источник ИноСМИ",
        "ИноСМИ",
        "По материаламъ",
        "По материалам расследования журналистов, которое длилось три года и охватило"
        " десятки компаний в пяти странах региона, сделаны выводы",
    ],
)
def test_not_a_source_line(line: str) -> None:
    assert read_source_line(line) is None


def test_a_source_without_a_separator_is_read_only_where_asked() -> None:
    assert read_source_line("Источник ИноСМИ") is None
    loose = read_source_line("Источник ИноСМИ", loose=True)
    assert loose is not None and [s.outlet for s in loose.sources] == ["ИноСМИ"]
    assert read_source_line("Источники сообщают, что переговоры идут.", loose=True) is None


def test_the_outlet_table_holds_the_outlets_the_site_reprints() -> None:
    table = outlet_table()
    names = {outlet.name for outlet in table.outlets}
    assert len(names) >= 40
    wanted = {"ИноСМИ", "РИА Новости", "ТАСС", "Фергана", "Азия-Плюс", "24.kg", "Кабар"}
    assert wanted | {"Trend", "Газета.uz", "Курсив", "Sputnik"} <= names
    for outlet in table.outlets:  # each outlet is found by its name and each domain
        assert outlet_for(outlet.name) == outlet.name
        for domain in outlet.domains:
            assert outlet_for(None, f"https://www.{domain}/a/b.html") == outlet.name


def test_name_keys_ignore_case_yo_quotes_hyphens_and_spaces() -> None:
    assert name_key("«Азия - Плюс»") == name_key("АЗИЯ-ПЛЮС") == name_key("азия плюс")
    assert name_key("Ёлка") == name_key("елка")
    assert outlet_for("«ИНОСМИ»") == "ИноСМИ"
    assert outlet_for("Никому не известное издание") is None


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('[[outlet]]\ndomains = ["a.ru"]\n', "has no name"),
        ('[[outlet]]\nname = "A"\nnames = ["X"]\n[[outlet]]\nname = "B"\nnames = ["x"]\n', "both"),
        (
            '[[outlet]]\nname = "A"\ndomains = ["a.ru"]\n'
            '[[outlet]]\nname = "B"\ndomains = ["a.ru"]\n',
            "both",
        ),
        ("[[outlet]\n", "no TOML"),
    ],
)
def test_a_malformed_table_is_refused(text: str, error: str) -> None:
    with pytest.raises(OutletTableError, match=error):
        parse_table(text)


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://inosmi.ru/20260210/x.html", "inosmi.ru"),
        ("https://www.bbc.co.uk/russian/x", "bbc.co.uk"),
        ("https://rus.azattyq.org/a/1.html", "azattyq.org"),
        ("http://127.0.0.1:8765/x", None),
        ("https://localhost/x", None),
        ("not an address", None),
    ],
)
def test_registered_domains_come_from_the_bundled_suffix_list(url: str, domain: str | None) -> None:
    assert registered_domain(url) == domain


def test_the_suffix_list_is_never_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    import tldextract

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("tldextract tried the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    fresh = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    assert fresh("https://news.example.co.uk/x").top_domain_under_public_suffix == "example.co.uk"
    assert registered_domain("https://sputnik-tj.com/x") == "sputnik-tj.com"


@pytest.mark.parametrize(
    ("line", "outlets", "dates"),
    [
        ("Источник: Фергана, 10.02.2026", ["Фергана"], ("10.02.2026",)),
        (
            "Источники: «Фергана», Кабар, 10 февраля 2026 г., 14:35",
            ["Фергана", "Кабар"],
            ("10 февраля 2026 г., 14:35",),
        ),
        ("Источник: Интерфакс, Казахстан", ["Интерфакс", "Казахстан"], ()),
    ],
)
def test_a_date_printed_after_the_sources_is_no_source(
    line: str, outlets: list[str], dates: tuple[str, ...]
) -> None:
    read = read_source_line(line)
    assert read is not None
    assert [s.outlet for s in read.sources] == outlets
    assert read.dates == dates
