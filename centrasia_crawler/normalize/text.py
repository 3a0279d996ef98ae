"""Plain text: white space and control characters.

>>> clean_text("  S\\xe1nchez\\xa0\\xa0и   &quot;\\u0007 ")
'Sánchez и &quot;'
"""

from __future__ import annotations

import re
from typing import Final

# Dropped: control characters (but the white-space ones), and the invisible ones a
# reader never sees but that would split a word for search: zero-width characters, soft
# hyphens, direction marks and embeddings.
_DROP_RE: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x84\x86-\x9f\xad"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def drop_invisible(text: str) -> str:
    """The text without control (but white-space) and invisible formatting characters."""
    return _DROP_RE.sub("", text) if _DROP_RE.search(text) else text


def clean_text(text: str) -> str:
    """One line of text: control and zero-width characters dropped, spaces collapsed.

    ``str.split()`` splits at every Unicode space, non-breaking ones included.
    """
    squashed = " ".join(text.split())
    # isprintable() is one fast pass; only text with something to drop pays for the regex.
    return squashed if squashed.isprintable() else " ".join(drop_invisible(text).split())


def fold_yo(text: str) -> str:
    """Fold ``ё`` to ``е`` the way the full-text indexes do: the one place it is done.

    >>> fold_yo("Ёлка и её")
    'Елка и ее'
    """
    return text.replace("ё", "е").replace("Ё", "Е")
