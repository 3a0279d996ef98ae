"""The articles as export rows, streamed in ``st`` order, all of them or a query's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from centrasia_crawler.archive.closed import streamed
from centrasia_crawler.archive.schema import COUNTRY_LIST_SQL, ENTITY_LIST_SQL
from centrasia_crawler.archive.search import Filters, matching, run_matching
from centrasia_crawler.exports import EXPORT_COLUMNS

if TYPE_CHECKING:
    from centrasia_crawler.archive.store import Archive

#: The tag lists of an export row, as JSON lists read beside the article: the entities'
#: names (most mentioned first, then by name) and the countries' codes (sorted).
TAG_LISTS: Final = {
    "entities": ENTITY_LIST_SQL.format(st="a.st"),
    "countries": COUNTRY_LIST_SQL.format(st="a.st"),
}


def export_rows(
    archive: Archive, filters: Filters | None = None, query: str | None = None
) -> Iterator[dict[str, Any]]:
    """Every article (oldest first) as a dict, streamed from the cursor; with ``query``,
    only the articles it matches (exactly those :func:`search` finds). Each row has the
    columns of :data:`~centrasia_crawler.exports.EXPORT_COLUMNS` with ``entities`` and
    ``countries`` (lists, empty for an article no entity was found in) before the body."""
    names = [*(c for c in EXPORT_COLUMNS if c != "body"), *TAG_LISTS, "body"]
    columns = ", ".join(TAG_LISTS.get(c, "a." + c) for c in names)
    if query is None:
        where, params = (filters or Filters()).where()
        cursor = archive.conn.execute(
            f"SELECT {columns} FROM articles a WHERE {where} ORDER BY a.st", params
        )
    else:
        found, params = matching(archive, query, filters)
        cursor = run_matching(archive, query, f"SELECT {columns} {found} ORDER BY a.st", params)
    for row in streamed(archive, cursor):
        article = dict(zip(names, row, strict=True))
        for name in TAG_LISTS:
            article[name] = json.loads(article[name] or "[]")
        yield article
