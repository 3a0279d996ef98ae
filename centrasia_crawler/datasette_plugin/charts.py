"""Charts in the browser: ``/<database>/-/attention``, ``-/coverage`` and ``-/sources``.

Each page is a form, the chart (SVG drawn on the server by matplotlib, as ``centrasia
trend --plot`` and ``coverage --plot`` draw them: text as paths, so no script and no
font comes from anywhere) and the chart's numbers as a table; ``.json`` gives the
numbers alone. The numbers come from the archive's library functions
(:func:`~centrasia_crawler.archive.attention.trend`,
:func:`~centrasia_crawler.archive.coverage.coverage`,
:func:`~centrasia_crawler.archive.search.top_sources`).

They are computed and drawn in a pool of their own, :data:`POOL_SIZE` threads (one per
core), each job on a read-only connection of its own: Datasette's SQL threads stay free
for the index, table, row and search pages, which never queue behind a chart. A chart
computed once is kept (:class:`ChartCache`) until the archive changes: its key holds the
query, the form's values and the archive's :func:`data_version`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final

from markupsafe import Markup

from centrasia_crawler.archive.attention import PERIODS, trend
from centrasia_crawler.archive.coverage import coverage
from centrasia_crawler.archive.search import Filters, top_sources
from centrasia_crawler.archive.search_query import QueryError
from centrasia_crawler.archive.store import Archive
from centrasia_crawler.options import OptionError, parse_day

#: name -> title, in the order the index page lists them.
CHARTS: Final = {
    "attention": "Attention: how many articles match one to four queries, over time",
    "coverage": "Coverage: articles archived per day, the gaps marked",
    "sources": "Sources: the top sources of the articles matching a query",
}
MAX_QUERIES: Final = 4
TOP_SOURCES: Final = 20

Args = dict[str, list[str]]


class ChartError(ValueError):
    """The form's values cannot be charted; the message is one line."""


@dataclass
class Chart:
    """What a chart page shows: its form's fields, the numbers, and how to draw them."""

    fields: list[dict[str, Any]]
    columns: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    draw: Callable[[], Any] | None = None
    error: str | None = None
    note: str = ""


def _one(args: Args, name: str) -> str:
    return next((v.strip() for v in args.get(name, []) if v.strip()), "")


def _date(args: Args, name: str) -> dt.date | None:
    """The day a chart's form gives, read as the command line reads it."""
    try:
        return parse_day(name, _one(args, name))
    except OptionError as exc:
        raise ChartError(str(exc)) from None


def _range_fields(args: Args) -> list[dict[str, Any]]:
    return [
        {"name": name, "label": name, "type": "date", "value": _one(args, name)}
        for name in ("since", "until")
    ]


def _range(args: Args) -> tuple[dt.date | None, dt.date | None]:
    since, until = _date(args, "since"), _date(args, "until")
    if since and until and since > until:
        raise ChartError(f"since {since} is after until {until}")
    return since, until


def attention_fields(args: Args) -> list[dict[str, Any]]:
    queries = [q.strip() for q in args.get("q", []) if q.strip()]
    shown = [*queries, *[""] * MAX_QUERIES][:MAX_QUERIES]
    fields: list[dict[str, Any]] = [
        {"name": "q", "label": f"query {n + 1}", "type": "search", "value": q}
        for n, q in enumerate(shown)
    ]
    by = _one(args, "by") or "month"
    fields.append({"name": "by", "label": "by", "type": "select", "value": by, "options": PERIODS})
    share = "1" if _one(args, "share") not in ("", "0") else ""
    fields.append({"name": "share", "label": "share of all articles", "type": "checkbox"})
    fields[-1]["value"] = share
    return fields + _range_fields(args)


def attention(archive: Archive, args: Args, chart: Chart) -> None:
    chart.columns = ["query", "period", "articles", "total", "share", "complete"]
    # A query given twice is one line of the chart (the same counts, drawn once).
    queries = list(dict.fromkeys(q.strip() for q in args.get("q", []) if q.strip()))
    by = _one(args, "by") or "month"
    share = _one(args, "share") not in ("", "0")
    if by not in PERIODS:
        raise ChartError(f"by: one of {', '.join(PERIODS)}, not {by!r}")
    if len(queries) > MAX_QUERIES:
        raise ChartError(f"at most {MAX_QUERIES} queries, not {len(queries)}")
    since, until = _range(args)
    if not queries:
        chart.note = "Give one to four queries: each is a line, as in centrasia trend."
        return
    chart.rows = trend(archive, queries, by, since, until)
    if not chart.rows:
        chart.note = "The archive has no articles in that range."
        return
    chart.note = "Periods shaded grey are incomplete: a day of theirs was never read or"
    chart.note += " misses listed articles, so a low count there may only mean not crawled."

    def draw() -> Any:
        from centrasia_crawler.plot import trend_figure

        return trend_figure(chart.rows, by, share)

    chart.draw = draw


def coverage_chart(archive: Archive, args: Args, chart: Chart) -> None:
    chart.columns = ["day", "listed", "archived", "missing", "revisions"]
    since, until = _range(args)
    cover = coverage(archive, since, until)
    chart.rows = [
        {
            "day": d.day,
            "listed": d.listed,
            "archived": d.archived,
            "missing": len(d.missing),
            "revisions": d.revisions,
        }
        for d in reversed(cover.days)
    ]
    if not cover.days:
        chart.note = "The archive has no articles or listings in that range."
        return
    gaps = "; ".join(f"{a} .. {b}" for a, b in cover.gaps) or "none"
    chart.note = f"Gaps (shaded red; centrasia crawl --since … --until … fills them): {gaps}."

    def draw() -> Any:
        from centrasia_crawler.plot import coverage_figure

        return coverage_figure(cover)

    chart.draw = draw


def sources_fields(args: Args) -> list[dict[str, Any]]:
    query = {"name": "q", "label": "query", "type": "search", "value": _one(args, "q")}
    return [query, *_range_fields(args)]


def sources(archive: Archive, args: Args, chart: Chart) -> None:
    chart.columns = ["source", "articles"]
    query = _one(args, "q")
    since, until = _range(args)
    if not query:
        chart.note = "Give a query: its matching articles' sources, most articles first."
        return
    chart.rows = top_sources(archive, query, Filters(since=since, until=until), TOP_SOURCES)
    if not chart.rows:
        chart.note = "No article with a source matches."
        return

    def draw() -> Any:
        from centrasia_crawler.plot import sources_figure

        return sources_figure(chart.rows, query)

    chart.draw = draw


#: name -> (the form's fields for the arguments given, what fills the chart).
BUILDERS: Final[
    dict[str, tuple[Callable[[Args], list[dict[str, Any]]], Callable[[Archive, Args, Chart], None]]]
] = {
    "attention": (attention_fields, attention),
    "coverage": (_range_fields, coverage_chart),
    "sources": (sources_fields, sources),
}


def build(conn: sqlite3.Connection, path: str, name: str, args: Args) -> Chart:
    """The chart ``name`` of the archive on ``conn`` for the form's ``args``; a problem
    with them (a bad query, date or period) is the chart's ``error``, in one line. An
    archive that needs upgrading raises
    :class:`~centrasia_crawler.archive.ArchiveNeedsUpgrade`."""
    fields, fill = BUILDERS[name]
    chart = Chart(fields(args))
    try:
        fill(Archive.reading(conn, path), args, chart)
    except (ChartError, QueryError) as exc:
        chart.rows, chart.draw, chart.note, chart.error = [], None, "", str(exc)
    return chart


#: matplotlib's pyplot keeps global state: one figure is drawn at a time.
_drawing = threading.Lock()


def warm_up() -> None:
    """Import matplotlib in the background (1.4 s here), so that the first chart after
    Datasette starts does not wait for it."""

    def load() -> None:
        from centrasia_crawler.plot import PlotUnavailable, _pyplot

        with _drawing, contextlib.suppress(PlotUnavailable):
            _pyplot()

    threading.Thread(target=load, name="centrasia-matplotlib", daemon=True).start()


def _svg(draw: Callable[[], Any]) -> str:
    from centrasia_crawler.plot import svg

    with _drawing:
        document = svg(draw())
    return document[document.index("<svg") :]


def draw_svg(chart: Chart) -> tuple[Markup | None, str | None]:
    """The chart drawn as inline SVG, or why it cannot be (matplotlib missing)."""
    if chart.draw is None:
        return None, None
    from centrasia_crawler.plot import PlotUnavailable

    try:
        return Markup(_svg(chart.draw)), None
    except PlotUnavailable:
        return None, "Charts need matplotlib: pip install 'centrasia-crawler[serve]'."


# --- the charts' own threads, and what they computed ---------------------------------

#: The chart threads: one per core (charts are CPU-bound: SQLite counting, matplotlib).
POOL_SIZE: Final = os.cpu_count() or 1
_pool: ThreadPoolExecutor | None = None
_pool_made = threading.Lock()


def pool() -> ThreadPoolExecutor:
    """The chart threads (made when first needed, threads started as jobs come)."""
    global _pool
    with _pool_made:
        if _pool is None:
            _pool = ThreadPoolExecutor(POOL_SIZE, thread_name_prefix="centrasia-chart")
        return _pool


async def in_pool(job: Callable[[], Any]) -> Any:
    """``job()`` run on a chart thread, awaited."""
    return await asyncio.get_running_loop().run_in_executor(pool(), job)


def data_version(path: str) -> int:
    """The archive's data version (:meth:`Archive.data_version`): a counter the
    archive's own triggers move on with every write, so a write makes every chart
    computed before it stale."""
    with Archive.open(path, readonly=True) as archive:
        return archive.data_version()


def args_key(args: Args) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The form's values as a key: the same values in any order are the same key."""
    return tuple(sorted((name, tuple(values)) for name, values in args.items()))


class ChartCache:
    """The last :attr:`size` results computed, by key (least recently used dropped)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._found: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            if key not in self._found:
                return None
            self._found.move_to_end(key)
            return self._found[key]

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._found[key] = value
            self._found.move_to_end(key)
            while len(self._found) > self.size:
                self._found.popitem(last=False)


#: The charts and entity pages computed, with their drawings once drawn.
CACHE: Final = ChartCache()


@dataclass
class Drawn:
    """A result kept in :data:`CACHE`: a chart (or an entity's page) and, once an HTML
    page asked for it, its SVG or why it cannot be drawn."""

    found: Any
    svg: Markup | None = None
    unavailable: str | None = None
    drawn: bool = False


def computed(
    key: Hashable, path: str, compute: Callable[[], Any], chart: Callable[[Any], Chart], draw: bool
) -> Drawn:
    """The result of ``compute()`` for ``key`` at the archive's current version, from
    :data:`CACHE` or computed now, and drawn if ``draw``. Run on a chart thread."""
    full_key = (key, data_version(path))
    kept: Drawn | None = CACHE.get(full_key)
    if kept is None:
        kept = Drawn(compute())
        CACHE.put(full_key, kept)
    if draw and not kept.drawn:
        kept.svg, kept.unavailable = draw_svg(chart(kept.found))
        kept.drawn = True
    return kept


# --- an entity's page -------------------------------------------------------------------


@dataclass
class EntityPage:
    """What ``/<database>/-/entity/<id>`` shows: the entity (its names, posts and the
    entities it appears with), its articles per period and their chart."""

    entity: dict[str, Any] | None
    by: str = "year"
    chart: Chart = field(default_factory=lambda: Chart([]))
    #: For a name no entity has: why, in one line, and the closest names (id, name).
    unknown: str | None = None
    closest: list[tuple[str, str]] = field(default_factory=list)


def entity_page(conn: sqlite3.Connection, path: str, key: str, args: Args) -> EntityPage:
    """The entity ``key`` (an id, or one of its names) of the archive on ``conn``; its
    articles per ``by`` (the form's; by default years, months on an archive of three
    years or less, weeks on one of six months or less). A name in another form
    (``Астане``) is the entity ``@Астане`` names in a search; a name no entity has is
    ``unknown``, with the ``closest`` names. An archive not tagged yet, a name several
    entities share, or a bad period, is the chart's error."""
    from centrasia_crawler.archive.entities import AmbiguousEntity, EntitiesNotTagged

    archive = Archive.reading(conn, path)
    by = _one(args, "by")
    page = EntityPage(None)
    page.chart.fields = [
        {"name": "by", "label": "by", "type": "select", "value": by, "options": PERIODS}
    ]
    try:
        if by and by not in PERIODS:
            raise ChartError(f"by: one of {', '.join(PERIODS)}, not {by!r}")
        page.entity = archive.entity(key)
        if page.entity is None:
            page.entity = _entity_named(archive, conn, key, page)
    except (ChartError, EntitiesNotTagged, AmbiguousEntity) as exc:
        page.chart.error = str(exc)
        return page
    if page.entity is None:
        return page
    first, last = page.entity["first"], page.entity["last"]
    if not by:
        span = (dt.date.fromisoformat(last) - dt.date.fromisoformat(first)).days if first else 0
        by = "year" if span > 3 * 366 else "month" if span > 183 else "week"
    page.by = page.chart.fields[0]["value"] = by
    if not first:
        page.chart.note = "No archived article names it."
        return page
    rows = archive.entity_trend(page.entity["id"], by=by, since=first, until=last)
    page.chart.columns = ["period", "articles", "total", "share", "complete"]
    page.chart.rows = rows
    page.chart.note = "Periods shaded grey are incomplete: a day of theirs was never read or"
    page.chart.note += " misses listed articles, so a low count there may only mean not crawled."

    def draw() -> Any:
        from centrasia_crawler.plot import trend_figure

        return trend_figure(rows, by, key="entity", title=f"articles naming {rows[0]['entity']}")

    page.chart.draw = draw
    return page


def _entity_named(
    archive: Archive, conn: sqlite3.Connection, key: str, page: EntityPage
) -> dict[str, Any] | None:
    """The entity that ``@key`` names in a search (a name in any of its forms); None,
    with the page's ``unknown`` (what the search says of ``@key``) and ``closest`` set,
    if there is none."""
    from centrasia_crawler.archive.search_query import QueryTranslator
    from centrasia_crawler.entities.gazetteer import closest_names

    translator = QueryTranslator(conn)
    try:
        named = translator.entity(key, f"@{key}")
    except QueryError as exc:
        page.unknown = str(exc)
        page.closest = closest_names(translator.gazetteer, key)
        return None
    found = archive.entity(named.id)
    if found is None:
        page.unknown = f"no entity is named {key!r} in this archive"
        page.closest = closest_names(translator.gazetteer, key)
    return found
