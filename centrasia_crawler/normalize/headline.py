"""Headlines: who a headline is attributed to.

Opinion pieces and quotes end with ``, - Name`` (a comma, then a dash): that name
is the headline's attribution. A dash without the comma is part of the headline.

>>> attribution("Мир вступил в эпоху потрясений, - Сергей Лавров")
'Сергей Лавров'
>>> attribution("В Кыргызстане новый Торага Жогорку Кенеша - Марлен Маматалиев") is None
True
"""

from __future__ import annotations

import re
from typing import Final

# A name: up to six words of letters, dots, apostrophes and inner hyphens.
ATTRIBUTION_RE: Final = re.compile(
    r",\s*[-–—]\s*(?P<name>[^\W\d_][\w.'’\-]*(?:\s+[\w.'’\-]+){0,5})\s*$"
)


def attribution(title: str) -> str | None:
    """The name after a trailing ``, - `` in ``title``, or None."""
    if "," not in title:  # most headlines: no need to scan for the pattern
        return None
    m = ATTRIBUTION_RE.search(title)
    return m["name"] if m else None
