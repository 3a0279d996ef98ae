"""Bytes -> text, by what the document (or its HTTP response) declares.

Order, as browsers do it: a byte-order mark; the charset of the HTTP
``Content-Type``; the XML declaration; ``<meta charset>``; ``<meta http-equiv>``.
A declared encoding that decodes the bytes wins. One that fails on a few bytes
still wins, the bad bytes replaced by U+FFFD; one that fails throughout is passed
over (servers lie). With nothing usable declared: UTF-8 when the bytes are valid
UTF-8, else windows-1251 (the site's historical encoding).

>>> decode_document("Привет".encode("cp1251"))
'Привет'
>>> decode_document(b'<meta charset="utf-8">\\xd0\\x9f')
'<meta charset="utf-8">П'
"""

from __future__ import annotations

import codecs
import re
from typing import Final

from parsel import Selector

from centrasia_crawler.extraction.errors import NotACentrasiaPage

#: Tried, in order, when nothing declared decodes the bytes.
FALLBACK_ENCODINGS: Final = ("utf-8", "windows-1251")

_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEAD_LIMIT: Final = 4096
_XML_DECL_RE: Final = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']?([\w.:-]+)""", re.I)
_CHARSET_RE: Final = re.compile(r"""charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)


def _codec(label: str | bytes | None) -> str | None:
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    try:
        name = codecs.lookup(label.strip()).name
    except LookupError:
        return None
    # As browsers do: a page declared latin-1 is read as windows-1252.
    return "cp1252" if name in ("latin-1", "iso8859-1") else name


def declarations(data: bytes, content_type: str | bytes | None = None) -> list[tuple[str, str]]:
    """``(encoding, where declared)`` for each encoding the bytes and their
    ``Content-Type`` declare, in order of authority; ``where`` is ``BOM``, ``header``,
    ``XML declaration`` or ``<meta>``."""
    found: list[tuple[str, str]] = []
    for bom, name in _BOMS:
        if data.startswith(bom):
            found.append((name, "BOM"))
    if isinstance(content_type, bytes):  # as Scrapy's response.headers give it
        content_type = content_type.decode("latin-1")
    if content_type:
        m = _CHARSET_RE.search(content_type)
        found.append(((_codec(m[1]) or "") if m else "", "header"))
    head = data[:_HEAD_LIMIT]
    m_xml = _XML_DECL_RE.match(head)
    if m_xml:
        found.append((_codec(m_xml[1]) or "", "XML declaration"))
    found.extend((_codec(name) or "", "<meta>") for name in meta_charsets(head))
    seen: dict[str, str] = {}
    for name, where in found:
        if name and name not in seen:
            seen[name] = where
    return list(seen.items())


def declared_encodings(data: bytes, content_type: str | bytes | None = None) -> list[str]:
    """The encodings the bytes and their ``Content-Type`` declare, in order of authority."""
    return [name for name, _ in declarations(data, content_type)]


def meta_charsets(head: bytes) -> list[str]:
    """The charsets the ``<meta>`` elements of a document's head declare, in order:
    ``<meta charset>`` and ``<meta http-equiv="Content-Type" content="...; charset=...">``.

    >>> meta_charsets(b'<!-- <meta charset="koi8-r"> --><meta charset=utf-8>')
    ['utf-8']
    """
    lowered = head.lower()
    if b"<meta" not in lowered:
        return []
    end = lowered.find(b"</head")
    if end >= 0:  # the <meta> elements are in the head: the body need not be parsed
        head = head[:end]
    # The names are ASCII: any ASCII-compatible reading of the bytes finds them.
    selector = Selector(text=head.decode("latin-1"), type="html")
    declared = selector.xpath(
        "//meta/@charset | //meta/@content[contains(translate(., 'CHARSET', 'charset'), 'charset')]"
    ).getall()
    found = []
    for value in declared:
        m = _CHARSET_RE.search(value)
        found.append(m[1] if m else value.strip())
    return found


def decode_document(data: bytes, content_type: str | bytes | None = None) -> str:
    """The text of a document, decoded as described above.

    Raises :class:`NotACentrasiaPage` for empty or binary input.
    """
    return decode_reporting(data, content_type)[0]


def decode_reporting(data: bytes, content_type: str | bytes | None = None) -> tuple[str, str, str]:
    """``(text, encoding, how it was chosen)``, the last one of: where it was declared
    (``header``, ``<meta>``, ...), ``... , bad bytes replaced``, ``sniffed`` (nothing
    declared decodes the bytes), ``forced`` (nothing decodes them cleanly).

    >>> decode_reporting("Привет".encode("cp1251"), "text/html")[1:]
    ('cp1251', 'sniffed')
    """
    if not data.strip():
        raise NotACentrasiaPage("empty document")
    candidates = declarations(data, content_type)
    if b"\x00" in data[:_HEAD_LIMIT] and not any(c.startswith("utf-16") for c, _ in candidates):
        raise NotACentrasiaPage("binary data, not a text document")
    for name, where in candidates:
        try:
            return data.decode(name).lstrip("\ufeff"), name, where
        except (UnicodeDecodeError, LookupError):
            continue
    # What the page declares fails somewhere: a few bad bytes in a page that is otherwise
    # what it says are replaced; a page in another encoding altogether is sniffed.
    for name, where in candidates:
        text = data.decode(name, errors="replace")
        if text.count("\ufffd") <= max(8, len(data) // 500):
            return text.lstrip("\ufeff"), name, f"{where}, bad bytes replaced"
    for name in FALLBACK_ENCODINGS:
        try:
            return data.decode(name).lstrip("\ufeff"), codecs.lookup(name).name, "sniffed"
        except UnicodeDecodeError:
            continue
    # Nothing decodes cleanly: keep what the document says it is, mark the bad bytes.
    name = candidates[0][0] if candidates else "utf-8"
    return data.decode(name, errors="replace").lstrip("\ufeff"), name, "forced"
