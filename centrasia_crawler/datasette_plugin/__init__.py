"""The Datasette plugin: the archive as a researcher's front end, with plain ``datasette``.

Installed with the package (an entry point), so ``datasette archive.sqlite`` behaves as
``centrasia serve`` does; ``centrasia serve`` only starts Datasette. Only databases that
are centrasia archives (they have ``morph_terms``) are touched; on them the plugin gives:

- the metadata (:func:`metadata`, through ``get_metadata``): every table and column
  described from ``TABLE_DOCS``, the internal tables hidden, the articles newest first
  with facets on source, date and attribution, searched through ``articles_morph`` (set
  explicitly: Datasette's own detection finds the exact-form ``articles_fts``), and the
  canned queries of :mod:`centrasia_crawler.archive.canned`;
- the settings (:data:`SETTINGS`, at ``startup``), each where Datasette's default was
  left as it was (a ``--setting`` to another value wins);
- ``morph_query(text)``, the SQL function the canned queries search with, and
  ``escape_fts(text)``, which Datasette's own search box calls (``prepare_connection``);
- the index page: the articles first, a search box, the charts, the canned queries, the
  other tables (``templates/index.html``); the articles table as a listing of date, title, source,
  attribution and the body's first :data:`EXCERPT` characters, its column descriptions
  folded away (``templates/_table.html``); the full text stays on the row page;
- the articles table's search box ranked by relevance: a search without filters is sent
  on to the canned ``search`` query (``asgi_wrapper``), best match first, with snippets
  whose matches are ``<mark>``-ed (``render_cell``); a query that cannot be searched is
  explained in words (``extra_template_vars``), not as an SQL error, and its JSON is a
  400 with that sentence (``asgi_wrapper``);
- the charts, ``/<database>/-/attention``, ``-/coverage``, ``-/sources``
  (:mod:`~centrasia_crawler.datasette_plugin.charts`, ``register_routes``);
- who and where: the ``tagged_articles`` view faceted by country and entity (array
  facets), and an entity's page, ``/<database>/-/entity/<id>`` (its names with their
  years, its articles over time, the entities it appears with most).
"""

from __future__ import annotations

import copy
import functools
import json
import sqlite3
import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

from datasette import hookimpl
from datasette.utils import escape_fts
from markupsafe import Markup, escape

from centrasia_crawler.archive.canned import CANNED_QUERIES, IS_ARCHIVE_SQL, QUERY_PARAMETER
from centrasia_crawler.archive.queries import MARK_CLOSE, MARK_OPEN
from centrasia_crawler.archive.schema import TABLE_DOCS
from centrasia_crawler.archive.search_query import QueryError, QueryTranslator

#: Datasette settings: pages of 50 rows; a query may run 3 s; a canned query returns up
#: to 20,000 rows (articles_per_day has a row per day: 25 years are over 9,000); no
#: suggested facets (a probe of every column on each table page, bodies included: a
#: second of a 300,000-article table page went there). A setting given on Datasette's
#: command line (``--setting``) wins.
SETTINGS: Final = {
    "default_page_size": 50,
    "sql_time_limit_ms": 3000,
    "max_returned_rows": 20000,
    "suggest_facets": False,
}

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
    "article_tags",
    "story_bands",
)

#: The articles table's listing: its columns, in order, and the body's excerpt.
LISTING_COLUMNS: Final = ("st", "published_at", "title", "source", "attribution", "body")
EXCERPT: Final = 300

#: Values each facet of the articles table shows (Datasette's 30 fill the first screen).
FACET_SIZE: Final = 5

#: An FTS5 query that finds nothing.
NOTHING: Final = '""'

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


# --- the configuration ------------------------------------------------------------------


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


@functools.cache
def _metadata_json(databases: tuple[str, ...]) -> str:
    return json.dumps(metadata(list(databases)))


@hookimpl  # type: ignore[untyped-decorator]
def get_metadata(datasette: Any) -> dict[str, Any]:
    # Datasette asks for it many times a page, and merges into what it gets: a new copy
    # each time, from JSON made once (a tenth of the time of building it).
    found: dict[str, Any] = json.loads(_metadata_json(tuple(archive_names(datasette))))
    return found


@hookimpl  # type: ignore[untyped-decorator]
def startup(datasette: Any) -> None:
    """Datasette has no hook for settings: each of ours replaces a default left as it was."""
    from datasette.app import DEFAULT_SETTINGS

    if not archive_names(datasette):
        return
    for name, value in SETTINGS.items():
        if datasette._settings.get(name) == DEFAULT_SETTINGS[name]:
            datasette._settings[name] = value
    # What Datasette's constructor read from its settings once.
    datasette.max_returned_rows = datasette.setting("max_returned_rows")
    datasette.sql_time_limit_ms = datasette.setting("sql_time_limit_ms")
    datasette.page_size = datasette.setting("default_page_size")
    from centrasia_crawler.datasette_plugin.charts import warm_up

    warm_up()


# --- SQL functions ----------------------------------------------------------------------


def register(conn: sqlite3.Connection) -> None:
    """Register ``morph_query`` (and the search box's ``escape_fts``) on ``conn``."""
    try:
        is_archive = conn.execute(IS_ARCHIVE_SQL).fetchone()
    except sqlite3.Error:
        return
    if not is_archive:
        return
    translator: list[QueryTranslator] = []

    def translate(text: str) -> str:
        if not translator:
            translator.append(QueryTranslator(conn))
        return translator[0].translate(text)

    # Neither function raises: Datasette prints the traceback of an SQL function's
    # exception, and SQLite reports it as «user-defined function raised exception».
    # A query that cannot be searched finds nothing; the page says why
    # (extra_template_vars), and a JSON request is answered 400 (asgi_wrapper).
    def morph_query(text: str | None) -> str:
        try:
            return translate(text or "") if (text or "").strip() else NOTHING
        except QueryError:
            return NOTHING

    def search_box(text: str | None) -> str:
        if not (text or "").strip():
            return NOTHING
        try:
            return translate(text or "")
        except QueryError:  # what Datasette does with a query it cannot read
            return morph_query(escape_fts(text or ""))

    conn.create_function("morph_query", 1, morph_query)
    conn.create_function("escape_fts", 1, search_box)


# trylast: after Datasette's own escape_fts is registered, so that ours is the one used.
@hookimpl(trylast=True)  # type: ignore[untyped-decorator]
def prepare_connection(conn: sqlite3.Connection) -> None:
    register(conn)


# --- pages ------------------------------------------------------------------------------


def marked_html(text: str) -> Markup:
    """A snippet as HTML: its text escaped, its matches in ``<mark>``.

    >>> str(marked_html("a \\x02<b>\\x03 c"))
    'a <mark>&lt;b&gt;</mark> c'
    """
    html = str(escape(text)).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
    return Markup(html)


@hookimpl  # type: ignore[untyped-decorator]
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Any:
    if database not in archive_names(datasette):
        return None
    if table == "tagged_articles":
        return _tagged_cell(datasette, database, column, value)
    if table is not None:
        return None
    keys = set(row.keys()) if hasattr(row, "keys") else set()
    if column in ("id", "name") and {"id", "name", "type"} <= keys and value is not None:
        url = f"{datasette.urls.database(database)}/-/entity/{urllib.parse.quote(row['id'])}"
        return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    if column == "snippet" and isinstance(value, str):
        return marked_html(value)
    # An article's st (a query about articles has its date), not a listing's (whose
    # article may not be archived): a link to the article's page.
    if column == "st" and isinstance(value, int) and keys & {"published_date", "published_at"}:
        url = datasette.urls.row(database, "articles", str(value))
        return Markup(f'<a href="{escape(url)}">{value}</a>')
    return None


def _tagged_cell(datasette: Any, database: str, column: str, value: Any) -> Any:
    """A cell of ``tagged_articles``: the st links to the article, each entity to its
    page; the lists are shown as lists, not JSON."""
    if column == "st" and isinstance(value, int):
        url = datasette.urls.row(database, "articles", str(value))
        return Markup(f'<a href="{escape(url)}">{value}</a>')
    if column not in ("countries", "entities") or not isinstance(value, str):
        return None
    try:
        items = [str(item) for item in json.loads(value)]
    except (ValueError, TypeError):
        return None
    if column == "countries":
        return ", ".join(items)
    base = f"{datasette.urls.database(database)}/-/entity/"
    return Markup(
        ", ".join(
            f'<a href="{escape(base + urllib.parse.quote(item, safe=""))}">{escape(item)}</a>'
            for item in items
        )
    )


def _listing(request: Any) -> bool:
    """Whether the articles table page shows the listing (no columns chosen by hand)."""
    return request is not None and not any(k in request.args for k in ("_col", "_nocol"))


@hookimpl  # type: ignore[untyped-decorator]
def extra_template_vars(
    template: str, database: str | None, table: str | None, request: Any, datasette: Any
) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def variables() -> dict[str, Any]:
        archives = archive_names(datasette)
        from centrasia_crawler.datasette_plugin.charts import CHARTS

        found: dict[str, Any] = {
            "centrasia_archives": archives,
            "centrasia_charts": CHARTS,
            "centrasia_queries": CANNED_QUERIES,
            "centrasia_other_tables": OTHER_TABLES,
        }
        if database not in archives:
            return found
        if template == "table.html" and table == "articles" and _listing(request):
            found["centrasia_listing"] = {"columns": LISTING_COLUMNS, "excerpt": EXCERPT}
        if template == "query.html" and request is not None:
            name = request.url_vars.get("table") or ""
            text = request.args.get(QUERY_PARAMETER) or ""
            problem = await query_problem(datasette, database, name, text)
            if problem:
                found["error"] = problem
        return found

    return variables


async def query_problem(datasette: Any, database: str, name: str, text: str) -> str | None:
    """Why the search query ``text`` given to the canned query ``name`` cannot be
    searched, in one line; None if it can (or the query takes no search query)."""
    if name not in CANNED_QUERIES or f":{QUERY_PARAMETER}" not in CANNED_QUERIES[name]["sql"]:
        return None
    if not text.strip():
        return None

    def translate(conn: sqlite3.Connection) -> str | None:
        try:
            QueryTranslator(conn).translate(text)
        except QueryError as exc:
            return str(exc)
        return None

    result: str | None = await datasette.get_database(database).execute_fn(translate)
    return result


# --- the search box ---------------------------------------------------------------------

#: What the articles table's search form sends besides the search (its sort, an empty
#: filter row, facets): a search with only these is a ranked search.
_FORM_ARGUMENTS: Final = frozenset(
    {"_search", "_sort", "_sort_desc", "_sort_by_desc", "_filter_column", "_filter_op"}
)


def ranked_search_url(datasette: Any, path: str, query_string: str) -> str | None:
    """Where the articles table's search box sends a search: the ranked ``search`` query,
    unless the search comes with filters (then the table filters it, newest first)."""
    parts = path.strip("/").split("/")
    if len(parts) != 2 or parts[1] != "articles":
        return None
    database = archive_route(datasette, parts[0])
    if database is None:
        return None
    args = urllib.parse.parse_qs(query_string, keep_blank_values=True)
    search = " ".join(args.get("_search", [])).strip()
    if not search:
        return None
    for key, values in args.items():
        if key in _FORM_ARGUMENTS or key.startswith("_facet"):
            continue
        if key == "_filter_value" and not any(v.strip() for v in values):
            continue
        return None  # a filter: the table's own search, within it
    query = urllib.parse.urlencode({QUERY_PARAMETER: search})
    return f"{datasette.urls.table(database, 'search')}?{query}"


def archive_route(datasette: Any, route: str) -> str | None:
    """The name of the archive served at ``/route``; None if it is no archive."""
    try:
        name = str(datasette.get_database(route=route).name)
    except KeyError:
        return None
    return name if name in archive_names(datasette) else None


async def json_query_problem(datasette: Any, path: str, query_string: str) -> str | None:
    """For a canned query's JSON (``/db/name.json?q=``): why its search query cannot be
    searched; None if it can, or the request is another."""
    parts = path.strip("/").split("/")
    if len(parts) != 2 or not parts[1].endswith(".json"):
        return None
    database = archive_route(datasette, parts[0])
    if database is None:
        return None
    args = urllib.parse.parse_qs(query_string, keep_blank_values=True)
    text = " ".join(args.get(QUERY_PARAMETER, []))
    return await query_problem(datasette, database, parts[1].removesuffix(".json"), text)


async def _respond(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    length = (b"content-length", str(len(body)).encode())
    await send({"type": "http.response.start", "status": status, "headers": [*headers, length]})
    await send({"type": "http.response.body", "body": body})


# --- charts -----------------------------------------------------------------------------


async def chart_page(datasette: Any, request: Any) -> Any:
    """``/<database>/-/<chart>`` (``.json``: the numbers alone)."""
    from datasette.utils.asgi import NotFound, Response

    from centrasia_crawler.datasette_plugin import charts

    database = archive_route(datasette, request.url_vars["database"])
    name = request.url_vars["chart"]
    if database is None or name not in charts.CHARTS:
        raise NotFound("no such chart")
    args = {key: request.args.getlist(key) for key in request.args}
    db = datasette.get_database(database)
    chart = await db.execute_fn(lambda conn: charts.build(conn, str(db.path), name, args))
    status = 400 if chart.error else 200
    if request.url_vars.get("format") == "json":
        found = {"ok": not chart.error, "error": chart.error, "rows": chart.rows}
        return Response.json(found, status=status)
    svg, unavailable = await charts.render_svg(chart)
    query = request.query_string
    context = {
        "database": database,
        "chart_name": name,
        "title": charts.CHARTS[name],
        "charts": charts.CHARTS,
        "fields": chart.fields,
        "columns": chart.columns,
        "rows": chart.rows,
        "svg": svg,
        "note": unavailable or chart.note,
        "error": chart.error,
        "json_url": f"{datasette.urls.database(database)}/-/{name}.json"
        + (f"?{query}" if query else ""),
    }
    page = await datasette.render_template("centrasia_chart.html", context, request=request)
    return Response.html(page, status=status)


async def entity_page(datasette: Any, request: Any) -> Any:
    """``/<database>/-/entity/<id>`` (or a name for the id; ``.json``: the data alone):
    the entity's names with their years, its posts, its articles over time (a chart as
    ``-/attention`` draws, per ``?by=``) and the entities it appears with most."""
    from datasette.utils import tilde_decode
    from datasette.utils.asgi import NotFound, Response

    from centrasia_crawler.datasette_plugin import charts

    database = archive_route(datasette, request.url_vars["database"])
    if database is None:
        raise NotFound("no such archive")
    key = tilde_decode(urllib.parse.unquote(request.url_vars["entity"]))
    args = {name: request.args.getlist(name) for name in request.args}
    db = datasette.get_database(database)
    found = await db.execute_fn(lambda conn: charts.entity_page(conn, str(db.path), key, args))
    chart = found.chart
    if found.entity is None and not chart.error:
        raise NotFound(f"no entity is named {key!r}")
    status = 400 if chart.error else 200
    if request.url_vars.get("format") == "json":
        body = {"ok": not chart.error, "error": chart.error, "entity": found.entity}
        return Response.json({**body, "by": found.by, "rows": chart.rows}, status=status)
    svg, unavailable = await charts.render_svg(chart)
    entity_url = f"{datasette.urls.database(database)}/-/entity/"
    context = {
        "database": database,
        "entity": found.entity,
        "entity_url": entity_url,
        "articles_url": datasette.urls.table(database, "tagged_articles"),
        "fields": chart.fields,
        "columns": chart.columns,
        "rows": chart.rows,
        "svg": svg,
        "note": unavailable or chart.note,
        "error": chart.error,
        "self_url": entity_url + urllib.parse.quote(key, safe=""),
    }
    page = await datasette.render_template("centrasia_entity.html", context, request=request)
    return Response.html(page, status=status)


@hookimpl  # type: ignore[untyped-decorator]
def register_routes() -> list[tuple[str, Any]]:
    from centrasia_crawler.datasette_plugin import article

    return [
        (r"^/(?P<database>[^/]+)/-/(?P<chart>\w+)(\.(?P<format>json))?$", chart_page),
        (
            r"^/(?P<database>[^/]+)/-/entity/(?P<entity>[^/]+?)(\.(?P<format>json))?$",
            entity_page,
        ),
        (article.ROUTE, article.article_page),
    ]


Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]


@hookimpl  # type: ignore[untyped-decorator]
def asgi_wrapper(datasette: Any) -> Callable[[ASGI], ASGI]:
    def wrap(app: ASGI) -> ASGI:
        async def search_box(scope: Scope, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                query = scope.get("query_string", b"").decode("utf-8", "replace")
                target = ranked_search_url(datasette, scope["path"], query)
                if target is not None:
                    await _respond(send, 302, b"", [(b"location", target.encode())])
                    return
                problem = await json_query_problem(datasette, scope["path"], query)
                if problem is not None:
                    body = json.dumps({"ok": False, "error": problem}, ensure_ascii=False)
                    json_type = (b"content-type", b"application/json; charset=utf-8")
                    await _respond(send, 400, body.encode(), [json_type])
                    return
            await app(scope, receive, send)

        return search_box

    return wrap
