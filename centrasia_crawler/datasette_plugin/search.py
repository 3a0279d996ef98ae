"""Search in Datasette in the language of ``centrasia search``, accepted and refused alike.

- ``morph_query(text)``, the SQL function the canned queries search with, and
  ``morph_group(text, n)``, a ranked search's groups (headline matches, then the rest)
  (:func:`register`, at ``prepare_connection``);
- a table search (``_search``, ``_search_<column>``) of ``articles`` and
  ``tagged_articles``: the request reaches Datasette with the search under
  :data:`PARAMETER` (:func:`rewritten_query`), which Datasette's own search leaves alone,
  and :func:`search_filters` (``filters_from_request``) adds its ``morph_query`` clause;
- the articles table's search box ranked by relevance: a search without filters is sent
  on to the canned ``search`` query (:func:`ranked_search_url`), best match first;
- a query that cannot be searched (in a table's ``_search``, the search box, a canned
  query) is answered 400 with the one line ``centrasia search`` says (:func:`wrap`; a
  canned query's page shows it above its form), never run leniently and never a 500.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

from centrasia_crawler.archive.canned import (
    CANNED_QUERIES,
    IS_ARCHIVE_SQL,
    QUERY_PARAMETER,
    SEARCH_COLUMNS,
    table_search_clause,
)
from centrasia_crawler.archive.search_query import QueryError, QueryTranslator
from centrasia_crawler.datasette_plugin.metadata import (
    SEARCHED_TABLES,
    archive_names,
    archive_route,
)

#: An FTS5 query that finds nothing.
NOTHING: Final = '""'

#: The argument a table search reaches Datasette under (``_search`` is renamed so; a
#: column's ``_search_title`` is ``_centrasia_q_title``).
PARAMETER: Final = "_centrasia_q"

# --- SQL functions ----------------------------------------------------------------------


def register(conn: sqlite3.Connection) -> None:
    """Register ``morph_query`` and ``morph_group`` on ``conn``, if it is an archive's."""
    try:
        is_archive = conn.execute(IS_ARCHIVE_SQL).fetchone()
    except sqlite3.Error:
        return
    if not is_archive:
        return
    translator: list[QueryTranslator] = []

    def the_translator() -> QueryTranslator:
        if not translator:
            translator.append(QueryTranslator(conn))
        return translator[0]

    # Neither function raises: Datasette prints the traceback of an SQL function's
    # exception, and SQLite reports it as «user-defined function raised exception».
    # A query that cannot be searched finds nothing; the request was answered 400 with
    # why (wrap), before any SQL ran.
    def morph_query(text: str | None) -> str:
        try:
            return the_translator().translate(text or "") if (text or "").strip() else NOTHING
        except QueryError:
            return NOTHING

    def morph_group(text: str | None, group: int) -> str:
        """The FTS5 query of one group of a ranked search (``ranked_groups``): 0, the
        headlines that match; 1, the body-only matches."""
        if not (text or "").strip():
            return NOTHING
        try:
            groups = the_translator().ranked_groups(text or "")
        except QueryError:
            return NOTHING
        if len(groups) == 1:  # one group: all of it second
            groups = [NOTHING, groups[0]]
        return groups[group] if group in (0, 1) else NOTHING

    conn.create_function("morph_query", 1, morph_query)
    conn.create_function("morph_group", 2, morph_group)


# --- a table's search -------------------------------------------------------------------


def _searched_column(key: str) -> str | None:
    """``""`` for :data:`PARAMETER`, the column for ``PARAMETER_<column>``; None else."""
    if key == PARAMETER:
        return ""
    if key.startswith(PARAMETER + "_"):
        return key[len(PARAMETER) + 1 :]
    return None


def search_filters(request: Any, database: str, table: str, datasette: Any) -> Any:
    """``filters_from_request``: the table search of an archive's articles, translated
    by ``morph_query`` where its SQL is built."""
    from datasette.filters import FilterArguments
    from datasette.utils.asgi import BadRequest

    async def inner() -> Any:
        if table not in SEARCHED_TABLES or database not in archive_names(datasette):
            return None
        clauses: list[str] = []
        params: dict[str, str] = {}
        described: list[str] = []
        context: dict[str, Any] = {}
        for key in request.args:
            column = _searched_column(key)
            text = request.args.get(key) or ""
            if column is None or not text.strip():
                continue
            if column and column not in SEARCH_COLUMNS:
                raise BadRequest("Cannot search by that column")
            name = f"centrasia_search_{len(params)}"
            clauses.append(table_search_clause(name, column or None))
            params[name] = text
            described.append(
                f'search column "{column}" matches "{text}"'
                if column
                else f'search matches "{text}"'
            )
            context["search"] = text
        return FilterArguments(clauses, params, described, context)

    return inner


def table_path(datasette: Any, path: str) -> tuple[str, str] | None:
    """The archive and searched table of a table page (``/db/articles``, or ``.json``);
    None if ``path`` is another."""
    parts = path.strip("/").split("/")
    if len(parts) != 2:
        return None
    table = parts[1].removesuffix(".json")
    if table not in SEARCHED_TABLES:
        return None
    database = archive_route(datasette, parts[0])
    return None if database is None else (database, table)


def rewritten_query(query_string: str) -> str:
    """A searched table's query string with ``_search`` (and ``_search_<column>``) under
    :data:`PARAMETER`; a search typed in the box wins over one carried along."""
    pairs = urllib.parse.parse_qsl(query_string, keep_blank_values=True)
    typed = {key.removeprefix("_search") for key, _ in pairs if key.startswith("_search")}
    kept: list[tuple[str, str]] = []
    for key, value in pairs:
        if key == "_search" or key.startswith("_search_"):
            kept.append((PARAMETER + key.removeprefix("_search"), value))
        elif key.startswith(PARAMETER) and key.removeprefix(PARAMETER) in typed:
            continue
        else:
            kept.append((key, value))
    return urllib.parse.urlencode(kept)


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


async def query_problem(datasette: Any, database: str, name: str, text: str) -> str | None:
    """Why the search query ``text`` given to the canned query ``name`` cannot be
    searched, in one line; None if it can (or the query takes no search query)."""
    if name not in CANNED_QUERIES or f":{QUERY_PARAMETER}" not in CANNED_QUERIES[name]["sql"]:
        return None
    if not text.strip():
        return None
    return await searches_problem(datasette, database, [text])


async def searches_problem(datasette: Any, database: str, searches: list[str]) -> str | None:
    """Why one of ``searches`` cannot be searched in the archive ``database``, in one
    line, as ``centrasia search`` says it; None if each can."""

    def translate(conn: sqlite3.Connection) -> str | None:
        translator = QueryTranslator(conn)
        for text in searches:
            try:
                translator.translate(text)
            except QueryError as exc:
                return str(exc)
        return None

    result: str | None = await datasette.get_database(database).execute_fn(translate)
    return result


async def canned_query_problem(datasette: Any, path: str, query_string: str) -> str | None:
    """For a canned query (``/db/name?q=``, or its ``.json``): why its search query
    cannot be searched; None if it can, or the request is another."""
    parts = path.strip("/").split("/")
    if len(parts) != 2:
        return None
    database = archive_route(datasette, parts[0])
    if database is None:
        return None
    args = urllib.parse.parse_qs(query_string, keep_blank_values=True)
    text = " ".join(args.get(QUERY_PARAMETER, []))
    return await query_problem(datasette, database, parts[1].removesuffix(".json"), text)


def search_arguments(query_string: str) -> list[str]:
    """The table search queries of a request: ``_search`` and ``_search_<column>`` (or
    their :data:`PARAMETER` forms)."""
    args = urllib.parse.parse_qs(query_string, keep_blank_values=True)
    return [
        value
        for key, values in args.items()
        if key == "_search" or key.startswith("_search_") or _searched_column(key) is not None
        for value in values
        if value.strip()
    ]


async def table_search_problem(datasette: Any, path: str, query_string: str) -> str | None:
    """For an archive's table page (HTML or JSON) searched with ``_search``: why its
    search query cannot be searched, in one line (as ``centrasia search`` says it);
    None if it can, or the request is another."""
    parts = path.strip("/").split("/")
    if len(parts) != 2 or parts[1].startswith("-"):
        return None
    searches = search_arguments(query_string)
    if not searches:
        return None
    database = archive_route(datasette, parts[0])
    if database is None:
        return None
    return await searches_problem(datasette, database, searches)


# --- answering ---------------------------------------------------------------------------


async def refuse(datasette: Any, send: Any, problem: str, as_json: bool) -> None:
    """A search that cannot run, answered 400 with its one-line reason."""
    if as_json:
        body = json.dumps({"ok": False, "error": problem}, ensure_ascii=False).encode()
        kind = b"application/json; charset=utf-8"
    else:
        context = {"error": problem, "status": 400, "title": "This search cannot run"}
        await datasette.invoke_startup()  # done once; this may be the first request
        body = (await datasette.render_template("error.html", context)).encode()
        kind = b"text/html; charset=utf-8"
    await respond(send, 400, body, [(b"content-type", kind)])


def with_status(send: Any, status: int) -> Any:
    """``send`` with the response's status replaced by ``status``."""

    async def sending(message: dict[str, Any]) -> None:
        if message.get("type") == "http.response.start":
            message = {**message, "status": status}
        await send(message)

    return sending


async def respond(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    length = (b"content-length", str(len(body)).encode())
    await send({"type": "http.response.start", "status": status, "headers": [*headers, length]})
    await send({"type": "http.response.body", "body": body})


Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]


def wrap(datasette: Any, app: ASGI) -> ASGI:
    """``app`` with the archive's searches checked, ranked and translated."""

    async def searching(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").decode("utf-8", "replace")
            path = scope["path"]
            target = ranked_search_url(datasette, path, query)
            if target is not None:
                await respond(send, 302, b"", [(b"location", target.encode())])
                return
            as_json = path.endswith(".json")
            problem = await table_search_problem(datasette, path, query)
            if problem is not None:
                await refuse(datasette, send, problem, as_json)
                return
            problem = await canned_query_problem(datasette, path, query)
            if problem is not None and as_json:
                await refuse(datasette, send, problem, as_json)
                return
            if problem is not None:  # the page shows why (pages.template_variables)
                send = with_status(send, 400)
            if table_path(datasette, path) is not None and "_search" in query:
                scope = {**scope, "query_string": rewritten_query(query).encode()}
        await app(scope, receive, send)

    return searching
