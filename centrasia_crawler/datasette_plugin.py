"""A Datasette plugin: the archive's articles searched by any form of a word.

Installed with the package (an entry point), so ``datasette archive.sqlite`` behaves
as ``centrasia serve`` does. On a connection to an archive it registers:

- ``morph_query(text)``: the FTS5 query for ``articles_morph`` that finds every form
  of the words of ``text`` (``WHERE articles_morph MATCH morph_query(:q)``);
- ``escape_fts(text)``, which Datasette's search box calls: the same, for the
  articles table's search box (on other databases, Datasette's own).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from datasette import hookimpl
from datasette.utils import escape_fts

from centrasia_crawler.archive.search_query import QueryError, QueryTranslator


def register(conn: sqlite3.Connection) -> None:
    """Register ``morph_query`` (and the search box's ``escape_fts``) on ``conn``."""
    try:
        is_archive = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'morph_terms'"
        ).fetchone()
    except sqlite3.Error:
        return
    if not is_archive:
        return
    translator: list[QueryTranslator] = []

    def morph_query(text: str | None) -> str:
        if not translator:
            translator.append(QueryTranslator(conn))
        return translator[0].translate(text or "")

    def search_box(text: str | None) -> str:
        try:
            return morph_query(text)
        except QueryError:  # what Datasette does with a query it cannot read
            return morph_query(escape_fts(text or "")) if (text or "").strip() else '""'

    conn.create_function("morph_query", 1, morph_query)
    conn.create_function("escape_fts", 1, search_box)


# trylast: after Datasette's own escape_fts is registered, so that ours is the one used.
@hookimpl(trylast=True)  # type: ignore[untyped-decorator]
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    register(conn)
