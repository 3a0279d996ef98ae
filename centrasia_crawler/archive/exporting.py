"""The articles as export rows, streamed in ``st`` order, all of them or a query's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from centrasia_crawler.archive.closed import streamed
from centrasia_crawler.archive.search import Filters, matching, run_matching
from centrasia_crawler.exports import EXPORT_COLUMNS

if TYPE_CHECKING:
    from centrasia_crawler.archive.store import Archive


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
