"""The Datasette plugin: the archive as a researcher's front end, with plain ``datasette``.

Installed with the package (an entry point), so ``datasette archive.sqlite`` shows what
``centrasia serve`` shows (``centrasia serve`` only starts Datasette, with the settings of
:data:`centrasia_crawler.serve.SETTINGS`). Only databases that are centrasia archives are
touched. This module holds the hook implementations alone; each delegates to
:mod:`.metadata` (which databases are archives, their metadata), :mod:`.search` (the query
language of ``centrasia search`` in every search, refused alike), :mod:`.pages` (cells,
templates, the chart and entity pages, the chart processes' start and stop),
:mod:`.charts` (the charts' numbers, counted in processes of their own), :mod:`.plots`
(what the browser draws of them), :mod:`.article`
(the article page), :mod:`.kwic` (the concordance page) and :mod:`.introspection`
(Datasette's questions about the tables, answered without queueing).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from datasette import hookimpl

from centrasia_crawler.datasette_plugin import article, introspection, kwic, metadata, pages, search


@hookimpl  # type: ignore[untyped-decorator]
def get_metadata(datasette: Any, key: str | None) -> dict[str, Any]:
    return metadata.metadata_for(datasette, key)


@hookimpl  # type: ignore[untyped-decorator]
def startup(datasette: Any) -> None:
    pages.chart_workers(datasette)  # a bad setting stops the server before it serves
    # Datasette's questions about the archives' tables, off the SQL threads' queue.
    introspection.install(datasette, metadata.archive_names(datasette))


@hookimpl  # type: ignore[untyped-decorator]
def prepare_connection(conn: sqlite3.Connection) -> None:
    search.register(conn)


@hookimpl  # type: ignore[untyped-decorator]
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    return search.search_filters(request, database, table, datasette)


@hookimpl  # type: ignore[untyped-decorator]
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Any:
    return pages.render_cell(row, value, column, table, database, datasette)


@hookimpl  # type: ignore[untyped-decorator]
def extra_template_vars(
    template: str, database: str | None, table: str | None, request: Any, datasette: Any
) -> Callable[[], Awaitable[dict[str, Any]]]:
    return pages.template_variables(template, database, table, request, datasette)


@hookimpl  # type: ignore[untyped-decorator]
def register_routes() -> list[tuple[str, Any]]:
    return [(kwic.ROUTE, kwic.kwic_page), *pages.ROUTES, (article.ROUTE, article.article_page)]


@hookimpl  # type: ignore[untyped-decorator]
def handle_exception(datasette: Any, request: Any, exception: BaseException) -> Any:
    return pages.changed_file_response(datasette, request, exception)


@hookimpl  # type: ignore[untyped-decorator]
def asgi_wrapper(datasette: Any) -> Callable[[search.ASGI], search.ASGI]:
    return lambda app: pages.chart_pool_lifespan(
        datasette, pages.upgrade_guard(datasette, search.wrap(datasette, app))
    )
