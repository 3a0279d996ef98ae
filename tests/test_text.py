"""Plain text: spaces and control characters."""

from __future__ import annotations

from centrasia_crawler.normalize.text import clean_text


def test_spaces_of_every_kind_collapse() -> None:
    assert clean_text("a\xa0\xa0b\u2009c\u202f d\t\ne") == "a b c d e"


def test_control_and_zero_width_characters_are_dropped() -> None:
    assert clean_text("a\x00b\x07c\u200bd\ufeff") == "abcd"


def test_invisible_formatting_is_dropped_so_words_stay_whole() -> None:
    # soft hyphen, direction marks and embeddings, a C1 control from a misdecoded page
    assert clean_text("пере\xadговоры\u200e \u202bмир\u202c\u2066!\u2069\x9c") == "переговоры мир!"
    # NEL (U+0085) is white space, not dropped
    assert clean_text("a\x85b") == "a b"
