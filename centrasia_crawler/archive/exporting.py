"""The articles as export rows, streamed in ``st`` order, all of them or a query's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from centrasia_crawler.archive.closed import streamed
from centrasia_crawler.archive.search import Filters, matching, run_matching
from centrasia_crawler.fields import ARTICLE_COLUMNS

if TYPE_CHECKING:
    from centrasia_crawler.archive.store import Archive

#: The columns of an export: the article's, without its hash, the body last.
EXPORT_COLUMNS: Final = (
    *(c for c in ARTICLE_COLUMNS if c not in ("content_hash", "body")),
    "body",
)


def export_rows(
    archive: Archive, filters: Filters | None = None, query: str | None = None
) -> Iterator[dict[str, Any]]:
    """Every article (oldest first) as a dict, streamed from the cursor; with ``query``,
    only the articles it matches (exactly those :func:`search` finds)."""
    columns = ", ".join("a." + c for c in EXPORT_COLUMNS)
    if query is None:
        where, params = (filters or Filters()).where()
        cursor = archive.conn.execute(
            f"SELECT {columns} FROM articles a WHERE {where} ORDER BY a.st", params
        )
    else:
        found, params = matching(archive, query, filters)
        cursor = run_matching(archive, query, f"SELECT {columns} {found} ORDER BY a.st", params)
    for row in streamed(archive, cursor):
        yield dict(zip(EXPORT_COLUMNS, row, strict=True))
