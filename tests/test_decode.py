"""Decoding by what the document declares."""

from __future__ import annotations

import pytest

from centrasia_crawler.extraction import NotACentrasiaPage
from centrasia_crawler.extraction.decode import declared_encodings, decode_document

TEXT = "ЦентрАзия: Редкоземельные металлы"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (
            f'<meta http-equiv="Content-Type" content="text/html; charset=cp1251">{TEXT}'.encode(
                "cp1251"
            ),
            None,
        ),
        (f'<meta charset="utf-8">{TEXT}'.encode(), None),
        (f'<?xml version="1.0" encoding="windows-1251"?><rss>{TEXT}'.encode("cp1251"), None),
        (TEXT.encode("cp1251"), "text/html; charset=windows-1251"),
        (TEXT.encode(), "text/html; charset=UTF-8"),
        (TEXT.encode("cp1251"), None),  # nothing declared, not UTF-8: windows-1251
        (TEXT.encode(), None),  # nothing declared, valid UTF-8
        ("\ufeff".encode() + TEXT.encode(), None),
        # The page lies: it says utf-8 and is windows-1251.
        (f'<meta charset="utf-8">{TEXT}'.encode("cp1251"), None),
        # The header lies; the page tells the truth.
        (f'<meta charset="windows-1251">{TEXT}'.encode("cp1251"), "text/html; charset=utf-8"),
    ],
)
def test_decodes_by_what_is_declared(data: bytes, content_type: str | None) -> None:
    assert TEXT in decode_document(data, content_type)


def test_header_comes_first() -> None:
    data = b'<meta charset="koi8-r">'
    assert declared_encodings(data, "text/html; charset=cp1251")[:2] == ["cp1251", "koi8-r"]


def test_unknown_labels_are_ignored() -> None:
    assert declared_encodings(b'<meta charset="no-such-thing">') == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "empty"), (b"  \n", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00", "binary")],
)
def test_empty_and_binary_input(data: bytes, reason: str) -> None:
    with pytest.raises(NotACentrasiaPage, match=reason):
        decode_document(data)


@pytest.mark.parametrize("encoding", ["utf-8", "windows-1251"])
def test_a_few_invalid_bytes_are_replaced_not_a_reason_to_change_encoding(encoding: str) -> None:
    page = f'<meta charset="{encoding}"><p>{TEXT}</p><p>Второй абзац.</p>'.encode(encoding)
    broken = page.replace("Второй".encode(encoding), b"\x98\xff\xfe" + "Второй".encode(encoding))
    text = decode_document(broken)
    assert TEXT in text and "Второй абзац." in text
    assert "\ufffd" in text
