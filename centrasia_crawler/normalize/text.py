"""Plain text: white space, control characters, paragraphs.

>>> clean_text("  S\\xe1nchez\\xa0\\xa0и   &quot;\\u0007 ")
'Sánchez и &quot;'
>>> join_paragraphs(["Первый", " ", "Второй"])
'Первый\\n\\nВторой'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

# \s covers non-breaking and other Unicode spaces; zero-width ones are dropped.
_SPACE_RE: Final = re.compile(r"\s+")
_DROP_RE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff]")


def clean_text(text: str) -> str:
    """One line of text: control and zero-width characters dropped, spaces collapsed."""
    return _SPACE_RE.sub(" ", _DROP_RE.sub("", text)).strip()


def join_paragraphs(paragraphs: Iterable[str]) -> str:
    """Paragraphs cleaned, empty ones dropped, separated by one blank line."""
    return "\n\n".join(p for p in map(clean_text, paragraphs) if p)
