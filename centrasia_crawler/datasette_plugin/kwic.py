"""A concordance in Datasette: ``/<database>/-/kwic?q=…&sort=…`` and its CSV,
``/<database>/-/kwic.csv?q=…``.

The lines of :func:`centrasia_crawler.archive.search.kwic`, in the same sorts as
``centrasia kwic --sort`` (``date``, ``left``, ``right``); ``width`` characters of
context (40) and ``limit`` lines (100 on the page; the CSV has every line unless
given one). A bad query, sort, width or limit answers 400: the page, its form with the
values given and the reason in one line, as the chart pages answer; the CSV, the line
``centrasia kwic`` prints for it. A database that is no archive, 404.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from typing import Any, Final

from centrasia_crawler.archive.search import KWIC_KEYS, KWIC_SORTS, kwic
from centrasia_crawler.archive.search_query import QueryError
from centrasia_crawler.archive.store import Archive

#: The route, registered by the plugin's ``register_routes`` before the chart pages'.
ROUTE: Final = r"^/(?P<database>[^/]+)/-/kwic(\.(?P<format>csv))?$"
#: Lines on the page when the request gives no limit.
PAGE_LIMIT: Final = 100
#: The sort and the characters of context when the request gives none.
DEFAULT_SORT: Final = "date"
DEFAULT_WIDTH: Final = 40
#: The most lines the page shows (the CSV has no such bound).
PAGE_MOST: Final = 5000


class BadRequest(ValueError):
    """A parameter the page cannot take: its one line."""


def _number(args: Any, name: str, default: int | None, low: int, high: int | None) -> int | None:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or int(raw) < low or (high is not None and int(raw) > high):
        bound = f"{low} to {high}" if high is not None else f"{low} or more"
        raise BadRequest(f"{name}: {raw!r} is not a whole number from {bound}")
    return int(raw)


def parameters(args: Any, csv_form: bool) -> dict[str, Any]:
    """The query, sort, width and limit of a request's arguments; BadRequest if one is bad."""
    query = (args.get("q") or "").strip()
    sort = args.get("sort") or DEFAULT_SORT
    if sort not in KWIC_SORTS:
        raise BadRequest(f"sort: {sort!r} is not one of {', '.join(KWIC_SORTS)}")
    width = _number(args, "width", DEFAULT_WIDTH, 1, 500)
    most = None if csv_form else PAGE_MOST
    limit = _number(args, "limit", None if csv_form else PAGE_LIMIT, 1, most)
    return {"query": query, "sort": sort, "width": width, "limit": limit}


def typed(args: Any) -> dict[str, Any]:
    """The form's values as the request gives them (a bad one too), else the page's
    defaults: what the form shows again beside the reason a value is refused."""
    return {
        "query": (args.get("q") or "").strip(),
        "sort": args.get("sort") or DEFAULT_SORT,
        "width": args.get("width") or DEFAULT_WIDTH,
        "limit": args.get("limit") or PAGE_LIMIT,
    }


def lines(conn: sqlite3.Connection, path: str, asked: dict[str, Any]) -> list[dict[str, Any]]:
    """The concordance lines asked for; QueryError on a bad query."""
    archive = Archive.reading(conn, path)
    return list(
        kwic(
            archive,
            asked["query"],
            width=asked["width"],
            sort=asked["sort"],
            limit=asked["limit"],
        )
    )


def as_csv(found: list[dict[str, Any]]) -> str:
    """The lines as CSV, with the columns of ``centrasia kwic --csv``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=KWIC_KEYS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(found)
    return out.getvalue()


async def kwic_page(datasette: Any, request: Any) -> Any:
    """``/<database>/-/kwic``: the page (or, as ``.csv``, the lines)."""
    from datasette.utils.asgi import Response

    route = request.url_vars["database"]
    csv_form = request.url_vars.get("format") == "csv"

    async def error(line: str, status: int) -> Any:
        if csv_form:
            return Response.text(line + "\n", status=status)
        title = "Bad request" if status == 400 else "Not found"
        context = {"ok": False, "error": line, "status": status, "title": title}
        page = await datasette.render_template("error.html", context, request=request)
        return Response.html(page, status=status)

    try:
        db = datasette.get_database(route=route)
    except KeyError:
        return await error(f"There is no database {route!r}.", 404)
    if not getattr(db, "path", None):
        return await error(f"{db.name} is no archive.", 404)
    asked = typed(request.args)
    found: list[dict[str, Any]] = []
    refused: str | None = None
    try:
        asked = parameters(request.args, csv_form)
        if asked["query"]:
            found = await db.execute_fn(lambda conn: lines(conn, str(db.path), asked))
        elif csv_form:
            raise BadRequest("q: a query is needed")
    except (BadRequest, QueryError) as exc:
        refused = str(exc)
    except sqlite3.OperationalError:
        return await error(f"{db.name} is no archive.", 404)
    if csv_form:
        if refused is not None:
            return Response.text(f"centrasia kwic: {refused}\n", status=400)
        return Response(
            as_csv(found),
            content_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="kwic.csv"'},
        )
    base = datasette.urls.database(db.name)
    context = {
        **asked,
        "database": db.name,
        "lines": found,
        "sorts": KWIC_SORTS,
        "error": refused,
        "article_url": f"{base}/-/article/",
        "csv_url": f"{base}/-/kwic.csv?" + request.query_string,
    }
    page = await datasette.render_template("centrasia_kwic.html", context, request=request)
    return Response.html(page, status=400 if refused is not None else 200)
