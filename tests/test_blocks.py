"""The linearizer: HTML -> one block per visual line, with its text and links."""

from __future__ import annotations

from html import escape

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
