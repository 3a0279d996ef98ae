"""Which databases are archives, and Datasette's metadata for them.

Only databases that are centrasia archives (they have ``morph_terms``) are touched; for
them :func:`metadata` describes every table and column from ``TABLE_DOCS``, hides the
internal tables, lists the articles newest first with facets on source, date and
attribution, searched through ``articles_morph`` (set explicitly: Datasette's own
detection finds the exact-form ``articles_fts``), and adds the canned queries of
:mod:`centrasia_crawler.archive.canned`.
"""

from __future__ import annotations

import copy
import functools
import json
import sqlite3
import urllib.parse
from typing import Any, Final

from centrasia_crawler.archive import Archive, ArchiveNeedsUpgrade
from centrasia_crawler.archive.canned import CANNED_QUERIES, IS_ARCHIVE_SQL
from centrasia_crawler.archive.schema import TABLE_DOCS, ArchiveVersionError

#: Tables a researcher never needs; Datasette hides the FTS tables' shadow tables (and
#: every table whose name starts with a hidden one's) itself.
HIDDEN_TABLES: Final = (
    "morph_terms",
    "morph_counts",
    "archive_meta",
    "compression_dicts",
    "page_bodies",
    "articles_fts",
    "articles_morph",
    "articles_kwic",
    "article_tags",
    "story_bands",
    "entity_articles",
    # The counts the writer keeps (the pages and canned queries read them).
    "summary_days",
    "summary_outlets",
    "summary_attributions",
    "summary_entities",
    "summary_entity_days",
    "summary_entity_pairs",
    "summary_country_days",
    "data_version",
)

#: Values each facet of the articles table shows (Datasette's 30 fill the first screen).
FACET_SIZE: Final = 5

#: The tables the index page links to after the articles, in order.
OTHER_TABLES: Final = (
    "entities",
    "article_entities",
    "entity_names",
    "entity_posts",
    "listings",
    "article_revisions",
    "crawl_runs",
    "pages",
    "robots_refusals",
    "article_stories",
)

#: The tables whose ``_search`` is the archive's query language (:mod:`.search`).
SEARCHED_TABLES: Final = ("articles", "tagged_articles")

# --- which databases are archives -------------------------------------------------------

_is_archive: dict[str, bool] = {}


def is_archive_file(path: str) -> bool:
    """Whether the SQLite file at ``path`` is a centrasia archive (asked once per path)."""
    if path not in _is_archive:
        try:
            conn = sqlite3.connect(f"file:{urllib.parse.quote(path)}?mode=ro", uri=True)
            try:
                _is_archive[path] = conn.execute(IS_ARCHIVE_SQL).fetchone() is not None
            finally:
                conn.close()
        except sqlite3.Error:
            _is_archive[path] = False
    return _is_archive[path]


def archive_names(datasette: Any) -> list[str]:
    """The names of the databases ``datasette`` serves that are archives."""
    return [
        name
        for name, db in datasette.databases.items()
        if getattr(db, "path", None) and is_archive_file(str(db.path))
    ]


def archive_route(datasette: Any, route: str) -> str | None:
    """The name of the archive served at ``/route``; None if it is no archive."""
    try:
        name = str(datasette.get_database(route=route).name)
    except KeyError:
        return None
    return name if name in archive_names(datasette) else None


def readable_problem(conn: sqlite3.Connection, path: str) -> str | None:
    """Why the archive at ``path`` cannot be read by this version (its schema is older
    or newer, or its search index another morphology's), in one line that says what to
    do; None if it can."""
    try:
        Archive.reading(conn, path)
    except (ArchiveNeedsUpgrade, ArchiveVersionError) as exc:
        return str(exc)
    return None


async def upgrade_problem(datasette: Any, name: str) -> str | None:
    """:func:`readable_problem` of the archive ``name`` that ``datasette`` serves, asked
    on each request (an upgrade while Datasette runs is seen at once)."""
    db = datasette.get_database(name)
    path = str(db.path)
    found: str | None = await db.execute_fn(lambda conn: readable_problem(conn, path))
    return found


async def upgrade_problems(datasette: Any) -> dict[str, str]:
    """Each archive ``datasette`` serves that needs upgrading: why."""
    found: dict[str, str] = {}
    for name in archive_names(datasette):
        problem = await upgrade_problem(datasette, name)
        if problem is not None:
            found[name] = problem
    return found


# --- the metadata -----------------------------------------------------------------------


def table_metadata() -> dict[str, Any]:
    """The tables' metadata: descriptions, hidden tables, the articles' search and facets."""
    tables: dict[str, Any] = {}
    for table, (description, columns) in TABLE_DOCS.items():
        tables[table] = {"description": description, "columns": dict(columns)}
    tables["article_revisions"]["columns"] = {
        **TABLE_DOCS["articles"][1],
        **TABLE_DOCS["article_revisions"][1],
    }
    tables["articles"].update(
        {
            "facets": ["outlet", "published_date", "attribution"],
            "facet_size": FACET_SIZE,
            "fts_table": "articles_morph",
            "fts_pk": "st",
            "sort_desc": "st",
            "label_column": "title",
        }
    )
    # Articles by country and entity: array facets on the view's JSON lists.
    tables["tagged_articles"].update(
        {
            "facets": [{"array": "countries"}, {"array": "entities"}],
            "facet_size": FACET_SIZE,
            "sort_desc": "st",
            "fts_table": "articles_morph",
            "fts_pk": "st",
            "label_column": "title",
        }
    )
    for table in HIDDEN_TABLES:
        tables.setdefault(table, {})["hidden"] = True
    # A view cannot be hidden: say what it is for.
    tables["articles_fts_text"] = {
        "description": "The text the exact-form index (articles_fts) reads, ё folded to е: "
        "an internal view; query the articles table instead."
    }
    tables["articles_kwic_source"] = {
        "description": "The articles' numbers, no text: what the concordance's neighbour "
        "index (articles_kwic) is declared over; an internal view."
    }
    return tables


def metadata(databases: list[str]) -> dict[str, Any]:
    """Datasette's metadata for the archives named ``databases`` (a new dict each time:
    Datasette merges other metadata into what it is given)."""
    if not databases:
        return {}
    tables = table_metadata()
    return {
        "title": "centrasia.org archive",
        "description": "Articles of centrasia.org (ЦентрАзия), archived by centrasia-crawler. "
        "Search finds every form of a word (Казахстан: «в Казахстане»), whatever its case "
        "and ё/е, best matches first.",
        "databases": {
            name: {"tables": copy.deepcopy(tables), "queries": copy.deepcopy(CANNED_QUERIES)}
            for name in databases
        },
    }


#: What Datasette reads when it asks for the key "tables" alone (``get_metadata``'s
#: ``key``): a table's access rules and facet size (0.65.5: ``_table_permission_allows``
#: and ``Facet.get_facet_size``), nothing else. It asks so for every permission check,
#: one a table on the index and database pages, and copies every table's settings each
#: time: given only the tables that have such a setting, a page's checks take a few
#: milliseconds instead of some 40.
_TABLES_KEY: Final = ("allow", "facet_size")


def _only(found: dict[str, Any], key: str) -> dict[str, Any]:
    """``found`` with only what Datasette reads when it asks for ``key``: the key itself
    at the top, in each database and in each table (``Datasette.metadata`` looks for it
    there, in that order); for "tables", each table's :data:`_TABLES_KEY`."""
    databases: dict[str, Any] = {}
    for name, database in found.get("databases", {}).items():
        if key == "tables":
            tables = {
                table: {k: v for k, v in settings.items() if k in _TABLES_KEY}
                for table, settings in database.get("tables", {}).items()
            }
            databases[name] = {"tables": {table: kept for table, kept in tables.items() if kept}}
            continue
        tables = {
            table: {key: settings[key]}
            for table, settings in database.get("tables", {}).items()
            if key in settings
        }
        databases[name] = {key: database[key]} if key in database else {}
        if tables:
            databases[name]["tables"] = tables
    top = {key: found[key]} if key in found else {}
    return {**top, "databases": databases} if found else {}


@functools.cache
def _metadata_json(databases: tuple[str, ...], key: str | None) -> str:
    found = metadata(list(databases))
    return json.dumps(found if key in (None, "databases") else _only(found, key))


def metadata_for(datasette: Any, key: str | None = None) -> dict[str, Any]:
    """The metadata of the archives ``datasette`` serves: a new copy each time (Datasette
    asks for it many times a page and merges into what it gets), from JSON made once a
    ``key``; asked for one ``key``, only what Datasette reads of it (:func:`_only`:
    Datasette 0.65 asks some 230 times a database page, and parsing the whole took 12 ms
    of it)."""
    names = tuple(archive_names(datasette))
    found: dict[str, Any] = json.loads(_metadata_json(names, key))
    return found
