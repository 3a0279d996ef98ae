"""The archive's pages in Datasette: its cells, its templates' variables, the chart pages
and an entity's page.

- the index page: the articles first, a search box, the charts, the canned queries, the
  other tables (``templates/index.html``); the articles table as a listing of date,
  title, source, attribution and the body's first :data:`EXCERPT` characters, its column
  descriptions folded away (``templates/_table.html``); the full text stays on the row
  page;
- a search's snippets with their matches ``<mark>``-ed (:func:`render_cell`);
- the charts, ``/<database>/-/attention``, ``-/coverage``, ``-/sources``
  (:mod:`~centrasia_crawler.datasette_plugin.charts`);
- who and where: the ``tagged_articles`` view faceted by country and entity (array
  facets), and an entity's page, ``/<database>/-/entity/<id>`` (its names with their
  years, its articles over time, the entities it appears with most).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any, Final

from markupsafe import Markup, escape

from centrasia_crawler.archive import ArchiveNeedsUpgrade
from centrasia_crawler.archive.canned import CANNED_QUERIES, QUERY_PARAMETER, snippets_sql
from centrasia_crawler.archive.snippets import MARK_CLOSE, MARK_OPEN
from centrasia_crawler.datasette_plugin import charts
from centrasia_crawler.datasette_plugin.metadata import (
    OTHER_TABLES,
    archive_names,
    archive_route,
    upgrade_problem,
    upgrade_problems,
)
from centrasia_crawler.datasette_plugin.search import (
    ASGI,
    Scope,
    query_problem,
    respond,
)
from centrasia_crawler.datasette_plugin.search import PARAMETER as SEARCH_PARAMETER

#: The articles table's listing: its columns, in order, and the body's excerpt.
LISTING_COLUMNS: Final = ("st", "published_at", "title", "source", "attribution", "body")
EXCERPT: Final = 300

#: Where an article is shown, after its database's address: its row of the articles
#: table (a page of the article alone would be ``/-/article/{st}``).
ARTICLE_PATH: Final = "/-/article/{st}"


def marked_html(text: str) -> Markup:
    """A snippet as HTML: its text escaped, its matches in ``<mark>``.

    >>> str(marked_html("a \\x02<b>\\x03 c"))
    'a <mark>&lt;b&gt;</mark> c'
    """
    html = str(escape(text)).replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
    return Markup(html)


def article_url(datasette: Any, database: str, st: int) -> str:
    """Where an article is shown (:data:`ARTICLE_PATH`)."""
    return str(datasette.urls.database(database)) + ARTICLE_PATH.format(st=int(st))


def article_link(datasette: Any, database: str, st: int, text: Any) -> Markup:
    return Markup(f'<a href="{escape(article_url(datasette, database, st))}">{escape(text)}</a>')


def entity_link(datasette: Any, database: str, key: str, text: str) -> Markup:
    url = f"{datasette.urls.database(database)}/-/entity/{urllib.parse.quote(key, safe='')}"
    return Markup(f'<a href="{escape(url)}">{escape(text)}</a>')


def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Any:
    """A cell of an archive's page: links to articles and entities, marked snippets."""
    if database not in archive_names(datasette):
        return None
    keys = set(row.keys()) if hasattr(row, "keys") else set()
    # A title beside its article's st (a table's, a search's): a link to the article.
    if column == "title" and "st" in keys and isinstance(row["st"], int) and value:
        return article_link(datasette, database, row["st"], value)
    if table == "tagged_articles":
        return _tagged_cell(datasette, database, column, value)
    if table is not None:
        return None
    if column in ("id", "name") and {"id", "name", "type"} <= keys and value is not None:
        return entity_link(datasette, database, row["id"], value)
    if column == "snippet" and isinstance(value, str):
        return marked_html(value)
    # An article's st (a query about articles has its date), not a listing's (whose
    # article may not be archived): a link to the article's page.
    if column == "st" and isinstance(value, int) and keys & {"published_date", "published_at"}:
        return Markup(f'<a href="{escape(article_url(datasette, database, value))}">{value}</a>')
    return None


def _tagged_cell(datasette: Any, database: str, column: str, value: Any) -> Any:
    """A cell of ``tagged_articles``: the st links to the article, each entity to its
    page; the lists are shown as lists, not JSON."""
    if column == "st" and isinstance(value, int):
        return Markup(f'<a href="{escape(article_url(datasette, database, value))}">{value}</a>')
    if column not in ("countries", "entities") or not isinstance(value, str):
        return None
    try:
        items = [str(item) for item in json.loads(value)]
    except (ValueError, TypeError):
        return None
    if column == "countries":
        return ", ".join(items)
    return Markup(", ".join(entity_link(datasette, database, item, item) for item in items))


def _listing(request: Any) -> bool:
    """Whether the articles table page shows the listing (no columns chosen by hand)."""
    return request is not None and not any(k in request.args for k in ("_col", "_nocol"))


def template_variables(
    template: str, database: str | None, table: str | None, request: Any, datasette: Any
) -> Callable[[], Awaitable[dict[str, Any]]]:
    """``extra_template_vars``: what the package's templates show."""

    async def variables() -> dict[str, Any]:
        archives = archive_names(datasette)
        found: dict[str, Any] = {
            "centrasia_archives": archives,
            "centrasia_charts": charts.CHARTS,
            "centrasia_queries": CANNED_QUERIES,
            "centrasia_other_tables": OTHER_TABLES,
        }
        if template == "index.html":
            found["centrasia_outdated"] = await upgrade_problems(datasette)
        if database not in archives:
            return found
        if template == "table.html" and table == "articles" and _listing(request):
            found["centrasia_listing"] = {"columns": LISTING_COLUMNS, "excerpt": EXCERPT}
            text = searched_text(request)
            if text:
                found["centrasia_snippets"] = lambda rows: snippets(datasette, database, text, rows)
        if template == "query.html" and request is not None:
            name = request.url_vars.get("table") or ""
            text = request.args.get(QUERY_PARAMETER) or ""
            problem = await query_problem(datasette, database, name, text)
            if problem:
                found["error"] = problem
        return found

    return variables


def searched_text(request: Any) -> str:
    """The search query of a table search, as typed (the search of its ``_search``)."""
    return str(request.args.get(SEARCH_PARAMETER) or "").strip()


async def snippets(datasette: Any, database: str, text: str, rows: Any) -> dict[str, Markup]:
    """The snippets of a table page's ``rows`` (Datasette's ``display_rows``, whose st
    is the text of a link) for the search ``text``: its matches marked, as the ranked
    search shows them, by the st's text."""
    sts = [
        int(cell["raw"])
        for row in rows
        for cell in row
        if cell["column"] == "st" and str(cell["raw"]).isdigit()
    ]
    if not sts:
        return {}
    params: dict[str, Any] = {f"st{n}": st for n, st in enumerate(sts)}
    params[QUERY_PARAMETER] = text
    result = await datasette.get_database(database).execute(snippets_sql(len(sts)), params)
    return {str(st): marked_html(snippet) for st, snippet in result.rows}


# --- an immutable file written under the server ---------------------------------------

#: What a page of an immutable archive that changed under the server answers, 503.
CHANGED_FILE: Final = (
    "The archive file changed under this server, which serves it as immutable: restart"
    " it, and serve an archive a crawl writes without --immutable.\n"
)


def changed_under(datasette: Any, exception: BaseException, database: str | None) -> bool:
    """Whether ``exception`` is SQLite finding a file "malformed" that ``datasette``
    serves as immutable (``database``, or any when the page names none): read without
    locks, a file written meanwhile looks corrupt. A mutable one that is malformed is
    damaged, and left to Datasette's error page."""
    if not isinstance(exception, sqlite3.DatabaseError) or "malformed" not in str(exception):
        return False
    named = [datasette.databases[database]] if database in datasette.databases else []
    return any(not db.is_mutable for db in named or datasette.databases.values() if db.path)


def changed_file_response(datasette: Any, request: Any, exception: BaseException) -> Any:
    """``handle_exception``: :data:`CHANGED_FILE` for a changed immutable file, 503;
    None (Datasette's own error page) for anything else."""
    route = (getattr(request, "url_vars", None) or {}).get("database")
    try:
        database = str(datasette.get_database(route=route).name) if route else None
    except KeyError:
        database = None
    if not changed_under(datasette, exception, database):
        return None
    from datasette.utils.asgi import Response

    return Response.text(CHANGED_FILE, status=503)


# --- an archive that needs upgrading ---------------------------------------------------


async def upgrade_page(datasette: Any, database: str, problem: str) -> Any:
    """The page every address of an archive that needs upgrading answers, 200: what to
    run, never a page whose numbers an older schema would make wrong."""
    from datasette.utils.asgi import Response

    await datasette.invoke_startup()  # done once; this may be the first request
    context = {"database": database, "problem": problem}
    return Response.html(await datasette.render_template("centrasia_upgrade.html", context))


def upgrade_guard(datasette: Any, app: ASGI) -> ASGI:
    """``app`` with every address under an archive that needs upgrading (``/db``,
    ``/db/table``, ``/db/-/attention``, ...) answered by :func:`upgrade_page` (``.json``:
    ``{"ok": false, "error": ...}``, 400)."""

    async def guarded(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            route = scope["path"].strip("/").split("/")[0].removesuffix(".json")
            database = archive_route(datasette, route) if route and route != "-" else None
            try:
                problem = await upgrade_problem(datasette, database) if database else None
            except sqlite3.DatabaseError as exc:
                if not changed_under(datasette, exc, database):
                    raise
                kind = b"text/plain; charset=utf-8"
                await respond(send, 503, CHANGED_FILE.encode(), [(b"content-type", kind)])
                return
            if database is not None and problem is not None:
                if scope["path"].endswith(".json"):
                    body = json.dumps({"ok": False, "error": problem}, ensure_ascii=False)
                    kind = b"application/json; charset=utf-8"
                    await respond(send, 400, body.encode(), [(b"content-type", kind)])
                    return
                response = await upgrade_page(datasette, database, problem)
                await response.asgi_send(send)
                return
        await app(scope, receive, send)

    return guarded


# --- charts -----------------------------------------------------------------------------


def chart_workers(datasette: Any) -> int:
    """How many chart processes ``datasette`` is to run (:func:`charts.workers_wanted`:
    the plugin's ``chart_workers``, else the environment's, else one per core)."""
    config = datasette.plugin_config("centrasia") or {}
    return charts.workers_wanted(config.get(charts.WORKERS_SETTING))


def chart_pool_lifespan(datasette: Any, app: ASGI) -> ASGI:
    """``app`` with the chart pool (:data:`charts.POOL`) started as the server starts
    (the ASGI lifespan's startup, which uvicorn sends when ``datasette serve`` runs) and
    stopped, its processes ended, as it stops. Datasette driven in-process has no
    lifespan, and no server to stop the processes: its charts run on threads."""

    async def with_pool(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def received() -> Any:
            message = await receive()
            if message["type"] == "lifespan.startup" and archive_names(datasette):
                charts.POOL.start(chart_workers(datasette))
            elif message["type"] == "lifespan.shutdown":
                await asyncio.get_running_loop().run_in_executor(None, charts.POOL.shutdown)
            return message

        await app(scope, received, send)

    return with_pool


async def _computed(
    datasette: Any, database: str, kind: str, name: str, args: charts.Args, draw: bool
) -> Any:
    """The chart or entity page ``name`` of the archive ``database``
    (:func:`charts.computed`, in the chart pool), or the page that answers instead: the
    upgrade page, or :data:`charts.WORKER_LOST` (503) if its process died."""
    from datasette.utils.asgi import Response

    db = datasette.get_database(database)
    try:
        return await charts.computed(kind, str(db.path), not db.is_mutable, name, args, draw)
    except ArchiveNeedsUpgrade as exc:
        return await upgrade_page(datasette, database, str(exc))
    except charts.WorkerLost:
        return Response.text(charts.WORKER_LOST, status=503)


async def chart_page(datasette: Any, request: Any) -> Any:
    """``/<database>/-/<chart>`` (``.json``: the numbers alone)."""
    from datasette.utils.asgi import NotFound, Response

    database = archive_route(datasette, request.url_vars["database"])
    name = request.url_vars["chart"]
    if database is None or name not in charts.CHARTS:
        raise NotFound("no such chart")
    args = {key: request.args.getlist(key) for key in request.args}
    as_format = request.url_vars.get("format")
    kept = await _computed(datasette, database, "chart", name, args, as_format == "svg")
    if not isinstance(kept, charts.Drawn):
        return kept
    chart = kept.found
    status = 400 if chart.error else 200
    if as_format == "json":
        found = {"ok": not chart.error, "error": chart.error, "rows": chart.rows}
        return Response.json(found, status=status)
    if as_format == "svg":
        return svg_response(kept)
    query = request.query_string
    base = f"{datasette.urls.database(database)}/-/{name}"
    context = {
        "database": database,
        "chart_name": name,
        "title": charts.CHARTS[name],
        "charts": charts.CHARTS,
        "fields": chart.fields,
        "columns": chart.columns,
        "rows": chart.rows,
        **plot_context(datasette, chart, base, query),
        "note": chart.note,
        "error": chart.error,
        "json_url": f"{base}.json" + (f"?{query}" if query else ""),
    }
    page = await datasette.render_template("centrasia_chart.html", context, request=request)
    return Response.html(page, status=status)


async def entity_page(datasette: Any, request: Any) -> Any:
    """``/<database>/-/entity/<id>`` (or a name for the id; ``.json``: the data alone):
    the entity's names with their years, its posts, its articles over time (a chart as
    ``-/attention`` draws, per ``?by=``) and the entities it appears with most."""
    from datasette.utils import tilde_decode
    from datasette.utils.asgi import NotFound, Response

    database = archive_route(datasette, request.url_vars["database"])
    if database is None:
        raise NotFound("no such archive")
    key = tilde_decode(urllib.parse.unquote(request.url_vars["entity"]))
    args = {name: request.args.getlist(name) for name in request.args}
    as_format = request.url_vars.get("format")
    kept = await _computed(datasette, database, "entity", key, args, as_format == "svg")
    if not isinstance(kept, charts.Drawn):
        return kept
    found = kept.found
    chart = found.chart
    status = 400 if chart.error else 404 if found.entity is None else 200
    if as_format == "json":
        error = chart.error or found.unknown
        body = {"ok": not error, "error": error, "entity": found.entity}
        closest = [{"id": ident, "name": name} for ident, name in found.closest]
        body |= {"closest": closest} if found.unknown else {}
        return Response.json({**body, "by": found.by, "rows": chart.rows}, status=status)
    if as_format == "svg":
        return svg_response(kept)
    entity_url = f"{datasette.urls.database(database)}/-/entity/"
    self_url = entity_url + urllib.parse.quote(key, safe="")
    context = {
        "database": database,
        "entity": found.entity,
        "entity_url": entity_url,
        "articles_url": datasette.urls.table(database, "tagged_articles"),
        "fields": chart.fields,
        "columns": chart.columns,
        "rows": chart.rows,
        **plot_context(datasette, chart, self_url, request.query_string),
        "note": chart.note,
        "error": chart.error,
        "unknown": found.unknown,
        "closest": found.closest,
        "self_url": self_url,
    }
    page = await datasette.render_template("centrasia_entity.html", context, request=request)
    return Response.html(page, status=status)


#: The scripts a chart page loads, from the plugin's own static files (nothing from
#: outside the machine): d3 and Observable Plot as their authors publish them
#: (static/vendor/, with their licences), and the package's code that draws each kind of
#: chart with them (static/centrasia-charts.js).
PLUGIN: Final = "centrasia-crawler"  # the distribution, as Datasette names the plugin
CHART_SCRIPTS: Final = ("vendor/d3.min.js", "vendor/plot.umd.min.js", "centrasia-charts.js")


def plot_context(datasette: Any, chart: charts.Chart, base: str, query: str) -> dict[str, Any]:
    """What a page's template needs to have the chart drawn in the reader's browser:
    the ``plot`` (JSON, safe inside a script element), the ``scripts`` that draw it and
    the ``svg_url`` of the server's own drawing (for a browser without scripts)."""
    if chart.plot is None:
        return {"plot": None, "scripts": [], "svg_url": None}
    plot = json.dumps(chart.plot, ensure_ascii=False).replace("<", "\\u003c")
    return {
        "plot": Markup(plot),
        "scripts": [datasette.urls.static_plugins(PLUGIN, name) for name in CHART_SCRIPTS],
        "svg_url": f"{base}.svg" + (f"?{query}" if query else ""),
    }


def svg_response(kept: charts.Drawn) -> Any:
    """A chart drawn on the server (matplotlib, text as paths), as an SVG document; else
    why not, in one line: 400 for the form's values, 404 when there is nothing to draw,
    503 when it cannot be drawn here (matplotlib missing)."""
    from datasette.utils.asgi import Response

    chart = kept.found if isinstance(kept.found, charts.Chart) else kept.found.chart
    if kept.svg is not None:
        return Response(kept.svg, content_type="image/svg+xml; charset=utf-8")
    if chart.error:
        return Response.text(chart.error + "\n", status=400)
    if kept.unavailable:
        return Response.text(kept.unavailable + "\n", status=503)
    why = getattr(kept.found, "unknown", None) or chart.note or "Nothing to draw."
    return Response.text(why + "\n", status=404)


#: The pages' routes (``register_routes``).
ROUTES: Final = (
    (r"^/(?P<database>[^/]+)/-/(?P<chart>\w+)(\.(?P<format>json|svg))?$", chart_page),
    (r"^/(?P<database>[^/]+)/-/entity/(?P<entity>[^/]+?)(\.(?P<format>json|svg))?$", entity_page),
)
