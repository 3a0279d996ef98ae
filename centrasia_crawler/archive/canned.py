"""The archive's canned queries: the SQL Datasette shows researchers, beside the tables.

The package's Datasette plugin (:mod:`centrasia_crawler.datasette_plugin`) offers them on
every archive it serves. ``morph_query(text)`` is the plugin's SQL function: the query
language of ``centrasia search`` (:mod:`centrasia_crawler.archive.search_query`) written
as an FTS5 query over ``articles_morph`` (``morph_group(text, n)``: the two groups of
a ranked search, the headlines that match, then the body-only matches); an empty
query finds nothing (so every canned
query opens, with its form, before a word is typed). Snippets mark their matches with
:data:`~centrasia_crawler.archive.snippets.MARK_OPEN` and ``MARK_CLOSE`` (the characters
2 and 3), which the plugin shows as HTML ``<mark>``: the text itself is always escaped.
"""

from __future__ import annotations

from typing import Any, Final

from centrasia_crawler.archive import listed
from centrasia_crawler.archive.schema import OUTLET_SQL
from centrasia_crawler.archive.search import RANKING
from centrasia_crawler.archive.snippets import ELLIPSIS, MARK_CLOSE, MARK_OPEN

#: The parameter the queries by search query take (and the search box passes on).
QUERY_PARAMETER: Final = "q"

_MARKS: Final = f"char({ord(MARK_OPEN)}), char({ord(MARK_CLOSE)}), '{ELLIPSIS}'"

#: The rows of the canned search.
SEARCH_ROWS: Final = 100
#: One group of a ranked search (``morph_group``), best first, at most ``limit`` rows.
_RANKED_GROUP: Final = (
    "SELECT * FROM (SELECT a.st, a.published_date, a.title, a.source, a.attribution,"
    f" snippet(articles_morph, -1, {_MARKS}, 12) AS snippet,"
    " {group} AS grouped, articles_morph.rank AS ranked"
    " FROM articles_morph JOIN articles a ON a.st = articles_morph.rowid"
    " WHERE articles_morph MATCH morph_group(:q, {group})"
    f" AND articles_morph.rank MATCH '{RANKING}'"
    " ORDER BY articles_morph.rank LIMIT {limit})"
)
#: The rows the headlines that match leave for the body-only matches.
_LEFT_BY_HEADLINES: Final = f"{SEARCH_ROWS} - (SELECT count(*) FROM headlines)"

#: name -> Datasette's canned query ({"title", "description", "sql", "hide_sql"}), in
#: the order the index page lists them.
CANNED_QUERIES: Final[dict[str, dict[str, Any]]] = {
    "search": {
        "title": "Search articles: any form of a word, case and ё/е do not matter",
        "description": "Best matches first, ranked as centrasia search ranks them (a title"
        ' match counts ten body matches). Words, "phrases", prefix*, OR, NOT, NEAR(a b),'
        " title:word, and @Name for every name of a person, place or organisation"
        ' (@Астана, @"Касым-Жомарт Токаев"). At most 100 rows: centrasia search --count'
        " counts them all.",
        "hide_sql": True,
        # The headlines that match first, then the body-only matches, each by rank;
        # the second group only for the rows the first leaves (as centrasia search
        # runs them): a broad word's headlines fill the page, and ranking its other
        # matches (most of the archive) would cost four times the whole search.
        "sql": f"WITH headlines AS ({_RANKED_GROUP.format(group=0, limit=SEARCH_ROWS)})"
        " SELECT st, published_date, title, source, attribution, snippet FROM"
        " (SELECT * FROM headlines UNION ALL"
        f" {_RANKED_GROUP.format(group=1, limit=_LEFT_BY_HEADLINES)})"
        f" ORDER BY grouped, ranked LIMIT {SEARCH_ROWS}",
    },
    "trend_by_month": {
        "title": "Articles matching a query, by month, and their share of all articles",
        "description": "Every month of the archive; without a query, its totals alone.",
        "sql": "WITH matching AS (SELECT substr(a.published_date, 1, 7) AS month,"
        " count(*) AS articles FROM articles_morph"
        " JOIN articles a INDEXED BY articles_meta ON a.st = articles_morph.rowid"
        " WHERE articles_morph MATCH morph_query(:q) GROUP BY month),"
        " every AS (SELECT substr(day, 1, 7) AS month, sum(archived) AS total"
        " FROM summary_days WHERE archived > 0 GROUP BY month)"
        " SELECT every.month, coalesce(matching.articles, 0) AS articles, every.total,"
        " round(1.0 * coalesce(matching.articles, 0) / every.total, 4) AS share"
        " FROM every LEFT JOIN matching USING (month) ORDER BY every.month",
    },
    "top_sources_for": {
        "title": "Top sources of the articles matching a query",
        "sql": f"SELECT {OUTLET_SQL.format('a.')} AS source, count(*) AS articles"
        " FROM articles_morph"
        " JOIN articles a INDEXED BY articles_meta ON a.st = articles_morph.rowid"
        " WHERE articles_morph MATCH morph_query(:q) AND a.source IS NOT NULL"
        " GROUP BY 1 ORDER BY articles DESC, 1 LIMIT 50",
    },
    "articles_per_day": {
        "title": "Articles per day",
        # The counts the writer keeps (summary_days), not a pass over the articles.
        "sql": "SELECT day AS published_date, archived AS articles FROM summary_days"
        " WHERE archived > 0 ORDER BY day DESC",
    },
    "top_sources": {
        "title": "Top sources",
        "sql": "SELECT outlet AS source, articles FROM summary_outlets WHERE articles > 0"
        " ORDER BY articles DESC, outlet LIMIT 50",
    },
    "attribution_articles": {
        "title": "An attribution's articles",
        "description": "The name after ', - ' in a title, as the attribution facet of the"
        " articles table lists them.",
        "sql": "SELECT st, published_at, title, url FROM articles"
        " WHERE attribution = :attribution ORDER BY st DESC",
    },
    "who_and_where": {
        "title": "Who and where: the people, places, organisations and countries by articles",
        "description": "Each links to its page (its names over the years, its articles over"
        " time, the entities it appears with). The tagged_articles view facets the articles"
        " by country and entity.",
        "sql": "SELECT e.id, e.name, e.type, e.country, coalesce(s.articles, 0) AS articles"
        " FROM entities e LEFT JOIN summary_entities s ON s.entity_id = e.id"
        " WHERE (:type = '' OR e.type = :type) ORDER BY articles DESC, e.name",
    },
    "listed_but_missing": {
        "title": "Listed on the site but not archived (robots.txt's refusals aside)",
        "sql": f"SELECT l.listed_on, l.listed_at, l.st, l.title {listed.LACKING_FROM}"
        f" AND NOT {listed.FORBIDDEN} ORDER BY l.listed_on DESC, l.listed_at DESC",
    },
}

#: Whether a database is an archive: it has the morphological index's vocabulary.
IS_ARCHIVE_SQL: Final = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'morph_terms'"

#: The columns of ``articles_morph`` a table search may be limited to (``_search_title``).
SEARCH_COLUMNS: Final = ("title", "body")


def table_search_clause(parameter: str, column: str | None = None) -> str:
    """The WHERE clause of a table search of the articles (or of a view with their ``st``)
    whose query, in the language of ``centrasia search``, is bound to ``:parameter``:
    ``morph_query`` translates it, as in the canned queries; ``column`` limits it to one
    of :data:`SEARCH_COLUMNS`."""
    if column is not None and column not in SEARCH_COLUMNS:
        raise ValueError(f"no searched column {column!r}")
    target = column or "articles_morph"
    return (
        f"st IN (SELECT rowid FROM articles_morph WHERE {target} MATCH morph_query(:{parameter}))"
    )


def snippets_sql(count: int) -> str:
    """The snippets (``st``, ``snippet``, its matches between ``MARK_OPEN`` and
    ``MARK_CLOSE``, as the ``search`` query gives them) of ``count`` articles whose sts
    are bound to ``:st0`` ... and which match the search query bound to ``:q``."""
    sts = ", ".join(f":st{n:d}" for n in range(count))
    return (
        f"SELECT rowid AS st, snippet(articles_morph, -1, {_MARKS}, 12) AS snippet"
        f" FROM articles_morph WHERE articles_morph MATCH morph_query(:{QUERY_PARAMETER})"
        f" AND rowid IN ({sts})"
    )
