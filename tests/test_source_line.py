"""Source and permalink lines."""

from __future__ import annotations

import pytest

from centrasia_crawler.normalize.source_line import (
    is_permalink_line,
    parse_source_line,
    stated_permalink,
)


@pytest.mark.parametrize("sep", ["-", "–", "—", ":", " -", " :"])
@pytest.mark.parametrize("linked", [False, True])
def test_source_line_separators_linked_and_plain(sep: str, linked: bool) -> None:
    links = [("https://inosmi.ru/x.html", "ИноСМИ")] if linked else []
    assert parse_source_line(f"Источник{sep} ИноСМИ", links) == (
        "ИноСМИ",
        "https://inosmi.ru/x.html" if linked else None,
    )


@pytest.mark.parametrize(
    "text", ["Источники сообщают", "По данным источника", "Источник ИноСМИ", "ИноСМИ"]
)
def test_not_a_source_line(text: str) -> None:
    assert parse_source_line(text) is None


def test_source_line_without_a_name() -> None:
    assert parse_source_line("Источник: ") == (None, None)


def test_source_link_is_the_one_named() -> None:
    links = [("https://a.example/", "Агентство"), ("https://b.example/", "ИноСМИ")]
    assert parse_source_line("Источник - ИноСМИ", links) == ("ИноСМИ", "https://b.example/")


@pytest.mark.parametrize(
    ("text", "links", "expected"),
    [
        (
            "Постоянный адрес статьи - https://centrasia.org/newsA.php?st=1",
            [],
            "https://centrasia.org/newsA.php?st=1",
        ),
        (
            "Постоянный адрес статьи: http://www.centrasia.ru/newsA.php?st=2",
            [],
            "http://www.centrasia.ru/newsA.php?st=2",
        ),
        (
            "Постоянный адрес статьи — ссылка",
            [("https://centrasia.org/newsA.php?st=3", "ссылка")],
            "ссылка",
        ),
        (
            "Постоянный адрес статьи",
            [("https://centrasia.org/newsA.php?st=3", "x")],
            "https://centrasia.org/newsA.php?st=3",
        ),
    ],
)
def test_permalink_lines(text: str, links: list[tuple[str, str]], expected: str) -> None:
    assert is_permalink_line(text)
    assert stated_permalink(text, links) == expected


def test_not_a_permalink_line() -> None:
    assert not is_permalink_line("Постоянный читатель")
    assert stated_permalink("Адрес: Москва") is None
