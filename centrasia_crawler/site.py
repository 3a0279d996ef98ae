"""Everything we know or assume about centrasia.org, in one place.

What the site's pages show us (the specimen under ``tests/fixtures/specimen/``) and
what we assume about the rest: each is a constant here, so that a change on the live
site is a one-line change in this module.
"""

from __future__ import annotations

import re
from typing import Final

#: The canonical root of the site. Archived ``url`` values always start with it.
CANONICAL_ROOT: Final = "https://centrasia.org/"

#: Host names under which the site publishes (or once published) its pages.
#: Old permalinks printed on pages use ``www.centrasia.ru``, often over http.
SITE_HOSTS: Final = frozenset(
    {"centrasia.org", "www.centrasia.org", "centrasia.ru", "www.centrasia.ru"}
)

#: Path of an article page; the query parameter ``st`` is the Unix time of publication.
ARTICLE_PATH: Final = "newsA.php"
ARTICLE_KEY: Final = "st"

#: The RSS feed, relative to the root.
FEED_PATH: Final = "rss/redtram.xml"

#: What the site writes in front of an article's source and its permalink.
SOURCE_LABEL: Final = "Источник"
PERMALINK_LABEL: Final = "Постоянный адрес статьи"

#: The text of the link from the index to the archive of older days.
ARCHIVE_LINK_TEXT: Final = "Архив"

#: Separators the site puts after a label: hyphen, en dash, em dash, or a colon.
LABEL_SEPARATORS: Final = "-–—:"

#: Lines after an article that end it: site navigation and the footer.
END_OF_ARTICLE_LINES: Final = (
    re.compile(r"^Перейти на версию с фреймами", re.IGNORECASE),
    re.compile(r"^(©|\(c\)|&copy;)\s*Cent[r]?Asia", re.IGNORECASE),
)

#: A page is ours when it names the site somewhere or links to an article.
SITE_MARKER: Final = re.compile(r"centrasia|центразия|newsA\.php", re.IGNORECASE)
