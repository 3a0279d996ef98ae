"""The linearizer: HTML -> one block per visual line, with its text and links."""

from __future__ import annotations

from html import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centrasia_crawler.extraction import extract
from centrasia_crawler.extraction.blocks import read_page
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


@pytest.mark.parametrize("mark", ["\ue0f1", "&#xE0F1;", "&#57585;", "\uf101", "\n", "&#10;"])
def test_icon_font_characters_and_newlines_in_the_text_do_not_break_its_lines(mark: str) -> None:
    html = (
        f"<html><body><div><p>До {mark}после</p>"
        f"<p><a href='/x.php' title='t'>ссы{mark}лка</a></p></div>"
        "<p>Конец</p></body></html>"
    )
    blocks = read_page(html, ROOT).blocks
    assert len(blocks) == 3 and blocks[2].text == "Конец"
    [link] = blocks[1].links
    assert (link.href, link.title, link.text) == (
        "https://centrasia.org/x.php",
        "t",
        blocks[1].text,
    )


def test_a_link_whose_text_has_breaks_or_blocks_stays_on_one_line() -> None:
    html = (
        "<html><body><div><p>До <a href='/x'>один<br>два<div>три</div>четыре"
        "<script>x</script></a> после</p><p>Дальше</p></div></body></html>"
    )
    blocks = read_page(html, ROOT).blocks
    assert [b.text for b in blocks] == ["До один два три четыре после", "Дальше"]
    [link] = blocks[0].links
    assert link.text == "один два три четыре"


def test_one_character_lines_around_blocks_are_kept() -> None:
    html = "<html><body><div>a<p>b</p>c<p> d </p><br>e</div>f</body></html>"
    blocks = read_page(html, ROOT).blocks
    assert [b.text for b in blocks] == ["a", "b", "c", "d", "e", "f"]


def test_a_line_of_image_links_keeps_its_links_to_itself() -> None:
    html = (
        "<html><body><p><a href='/banner'><img src='b.png'></a></p>"
        "<p>Текст <a href='/x'>ссылка</a></p></body></html>"
    )
    [block] = read_page(html, ROOT).blocks
    assert [link.raw for link in block.links] == ["/x"]


def test_comments_and_scripts_are_not_text_but_what_follows_them_is() -> None:
    html = (
        "<html><head><title>ЦентрАзия</title><style>p {}</style></head><body>"
        "<p>один<!-- комментарий -->два<script>var x = 1;</script>три</p></body></html>"
    )
    page = read_page(html, ROOT)
    assert [b.text for b in page.blocks] == ["одиндватри"]
    assert page.title == "ЦентрАзия"


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
