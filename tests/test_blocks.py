"""The linearizer: HTML -> one block per visual line, with its text and links."""

from __future__ import annotations

from html import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centrasia_crawler.extraction import extract
from centrasia_crawler.extraction.blocks import MARKERS, read_page
from centrasia_crawler.normalize.text import clean_text

ROOT = "https://centrasia.org/"

# Letters, digits and punctuation, and white space, control and zero-width characters
# of every kind the cleaning has to deal with (newlines included: in HTML text they are
# only white space).
TEXT = st.text(
    alphabet=st.sampled_from(
        [
            *"абвгдеёжАБВabcXYZ019.,;:!?-–—«»\"'()&<> ",
            *"\n\r\t\xa0\u2009\u202f\u3000\u200b\ufeff\xad",
        ]
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(before=TEXT, inside=TEXT, after=TEXT)
def test_a_line_reads_as_its_cleaned_text_whatever_its_spacing(
    before: str, inside: str, after: str
) -> None:
    html = (
        f"<html><body><p>{escape(before)}<a href='/x.php'>{escape(inside)}</a>"
        f"{escape(after)}</p><p>end</p></body></html>"
    )
    blocks = read_page(html, ROOT).blocks
    line = clean_text(f"{before}{inside}{after}")
    expected = [line, "end"] if line else ["end"]
    assert [b.text for b in blocks] == expected
    if line:
        [link] = blocks[0].links
        assert link.text == clean_text(inside)
        assert link.href == "https://centrasia.org/x.php"


def test_lines_break_at_blocks_and_br_not_at_newlines_in_the_source() -> None:
    html = (
        "<html><body><div>Первая строка,\n   перенесённая в исходнике<br>Вторая"
        "<p>Третья <a href='/a'>со\nссылкой</a></p>хвост</div></body></html>"
    )
    texts = [b.text for b in read_page(html, ROOT).blocks]
    assert texts == [
        "Первая строка, перенесённая в исходнике",
        "Вторая",
        "Третья со ссылкой",
        "хвост",
    ]


def test_paragraph_wrapped_in_the_source_stays_one_paragraph_of_the_body() -> None:
    html = (
        "<html><head><title>ЦентрАзия</title></head><body>"
        "<p><b>Заголовок статьи</b></p><p>12:30 19.02.2026</p>"
        "<p>Первый абзац, который редактор\nперенёс на две строки.</p>"
        "<p>Второй\r\nабзац.</p>"
        "<p>Источник - Газета</p>"
        "<p>Постоянный адрес статьи - https://centrasia.org/newsA.php?st=1771493400</p>"
        "</body></html>"
    )
    data = extract(html.encode(), "https://centrasia.org/newsA.php?st=1771493400").data
    assert data["body"] == "Первый абзац, который редактор перенёс на две строки.\n\nВторой абзац."
    assert data["source"] == "Газета"


@pytest.mark.parametrize(
    "mark",
    [
        *MARKERS,
        *(f"&#x{ord(c):X};" for c in MARKERS),
        *(f"&#{ord(c)};" for c in MARKERS),
        f"&#x{ord(MARKERS[1]):x}",
        f"&#X00{ord(MARKERS[-1]):X};",
        f"&#00{ord(MARKERS[0])};",
    ],
)
def test_the_pages_own_private_use_characters_do_not_break_its_lines(mark: str) -> None:
    """The linearizer marks lines and links with private-use characters; icon fonts use
    them too."""
    html = (
        f"<html><body><div><p>До {mark}и после</p>"
        f"<p><a href='/x{mark}.php' title='t{mark}'>ссы{mark}лка</a> {mark}</p></div>"
        "<p>Конец</p></body></html>"
    )
    blocks = read_page(html, ROOT).blocks
    assert [b.text for b in blocks] == ["До и после", "ссылка", "Конец"]
    assert [b.containers for b in blocks] == [(1, 2, 3, 4), (1, 2, 3, 5), (1, 2, 6)]
    [link] = blocks[1].links
    assert (link.href, link.title, link.text) == ("https://centrasia.org/x.php", "t", "ссылка")


def test_other_character_references_stay() -> None:
    first, after = ord(MARKERS[0]), ord(MARKERS[-1]) + 1
    html = (
        f"<html><body><p>&#x{first:X}1;&#{after};&#x{after:X};&#{first}0;&#8212;</p></body></html>"
    )
    [block] = read_page(html, ROOT).blocks
    assert block.text == f"{chr(first * 16 + 1)}{chr(after)}{chr(after)}{chr(first * 10)}—"


def test_a_link_whose_text_has_breaks_or_blocks_stays_on_one_line() -> None:
    html = (
        "<html><body><div><p>До <a href='/x'>один<br>два<div>три</div>четыре"
        "<script>x</script></a> после</p><p>Дальше</p></div></body></html>"
    )
    blocks = read_page(html, ROOT).blocks
    assert [(b.text, b.containers) for b in blocks] == [
        ("До один два три четыре после", (1, 2, 3, 4)),
        ("Дальше", (1, 2, 3, 5)),
    ]
    [link] = blocks[0].links
    assert link.text == "один два три четыре"


def test_one_character_lines_around_blocks_are_kept() -> None:
    html = "<html><body><div>a<p>b</p>c<p> d </p><br>e</div>f</body></html>"
    blocks = read_page(html, ROOT).blocks
    assert [(b.text, b.containers) for b in blocks] == [
        ("a", (1, 2, 3)),
        ("b", (1, 2, 3, 4)),
        ("c", (1, 2, 3)),
        ("d", (1, 2, 3, 5)),
        ("e", (1, 2, 3)),
        ("f", (1, 2)),
    ]


def test_a_links_address_and_title_lose_the_white_space_around_them() -> None:
    html = (
        "<html><body><p><a href='\n  /x.php?a=1 \n' title=' 19.02.2026\n'>x</a>"
        "<a href='  javascript:void(0)'>y</a></p></body></html>"
    )
    [block] = read_page(html, ROOT).blocks
    [link] = block.links
    assert (link.raw, link.href, link.title) == (
        "/x.php?a=1",
        "https://centrasia.org/x.php?a=1",
        "19.02.2026",
    )
