"""Charts in the browser: ``/<database>/-/attention``, ``-/coverage`` and ``-/sources``.

Each page is a form, the chart (SVG drawn on the server by matplotlib, as ``centrasia
trend --plot`` and ``coverage --plot`` draw them: text as paths, so no script and no
font comes from anywhere) and the chart's numbers as a table; ``.json`` gives the
numbers alone. The numbers come from the archive's library functions
(:func:`~centrasia_crawler.archive.attention.trend`,
:func:`~centrasia_crawler.archive.coverage.coverage`,
:func:`~centrasia_crawler.archive.search.top_sources`).

They are computed and drawn in a pool of their own (:class:`ChartPool`): under a server,
processes (one per core by default, :func:`workers_wanted`), each opening the archive
read-only itself, so that neither SQLite's counting nor matplotlib's drawing holds the
interpreter of the server, whose threads stay free for the index, table, row and search
pages. A result is kept in the server (:class:`ChartCache`) until the archive changes:
its key holds the job, the form's values and the archive's :func:`data_version`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import multiprocessing
import os
import signal
import sqlite3
import sys
import threading
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Final

from centrasia_crawler.archive.attention import PERIODS, trend
from centrasia_crawler.archive.coverage import coverage
from centrasia_crawler.archive.search import Filters, top_sources
from centrasia_crawler.archive.search_query import QueryError
from centrasia_crawler.archive.store import Archive
from centrasia_crawler.datasette_plugin.plots import coverage_plot, sources_plot, trend_plot
from centrasia_crawler.options import OptionError, parse_day
from centrasia_crawler.serve import CHART_WORKERS_VARIABLE

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
    #: What the reader's browser draws (:mod:`.plots`): plain values, JSON in the page.
    plot: dict[str, Any] | None = None
    error: str | None = None
    note: str = ""


#: Under a chart of periods, when one of them is shaded as incomplete.
INCOMPLETE_NOTE: Final = (
    "Periods shaded grey are incomplete: a day of theirs was never read or misses listed"
    " articles, so a low count there may only mean not crawled."
)


def shading_note(rows: list[dict[str, Any]]) -> str:
    """:data:`INCOMPLETE_NOTE` if a period of ``rows`` is incomplete (the chart shades
    it, :func:`~centrasia_crawler.plot.trend_figure`), else nothing."""
    return INCOMPLETE_NOTE if any(not r["complete"] for r in rows) else ""


def _nothing_note(rows: list[dict[str, Any]]) -> str:
    """What an attention chart of ``rows`` cannot show: that the range holds no archived
    article, or which queries match none of them."""
    if not any(r["total"] for r in rows):
        return "The archive has no articles in that range."
    matched = {r["query"] for r in rows if r["articles"]}
    unmatched = [q for q in dict.fromkeys(r["query"] for r in rows) if q not in matched]
    return (
        f"No article in that range matches {', '.join(f'«{q}»' for q in unmatched)}."
        if unmatched
        else ""
    )


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
    site = archive.site()
    if not chart.rows:
        chart.note = "The archive has no articles in that range."
        return
    chart.note = " ".join(filter(None, [_nothing_note(chart.rows), shading_note(chart.rows)]))

    def draw() -> Any:
        from centrasia_crawler.plot import trend_figure

        return trend_figure(chart.rows, by, share, site=site)

    chart.draw = draw
    title = (
        f"articles matching «{queries[0]}»" if len(queries) == 1 else "articles matching each query"
    )
    chart.plot = trend_plot(chart.rows, by, share, title=title, site=site)


def coverage_chart(archive: Archive, args: Args, chart: Chart) -> None:
    chart.columns = ["day", "listed", "archived", "missing", "forbidden", "revisions"]
    since, until = _range(args)
    cover = coverage(archive, since, until)
    site = archive.site()
    chart.rows = [
        {
            "day": d.day,
            "listed": d.listed,
            "archived": d.archived,
            "missing": len(d.missing),
            "forbidden": len(d.forbidden),
            "revisions": d.revisions,
        }
        for d in reversed(cover.days)
    ]
    if not cover.days:
        chart.note = "The archive has no articles or listings in that range."
        return
    gaps = "; ".join(f"{a} .. {b}" for a, b in cover.gaps) or "none"
    chart.note = f"Gaps (shaded red; centrasia crawl --since … --until … fills them): {gaps}."
    forbidden = len(cover.forbidden)
    if forbidden:
        chart.note += (
            f" {forbidden} listed {'article is' if forbidden == 1 else 'articles are'} forbidden"
            " to crawlers by the site's robots.txt: listed, never archived, not a gap."
        )

    def draw() -> Any:
        from centrasia_crawler.plot import coverage_figure

        return coverage_figure(cover, site=site)

    chart.draw = draw
    chart.plot = coverage_plot(cover, site=site)


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
    site = archive.site()
    if not chart.rows:
        chart.note = "No article with a source matches."
        return

    def draw() -> Any:
        from centrasia_crawler.plot import sources_figure

        return sources_figure(chart.rows, query, site=site)

    chart.draw = draw
    chart.plot = sources_plot(chart.rows, query, site=site)


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
        chart.rows, chart.draw, chart.plot, chart.note = [], None, None, ""
        chart.error = str(exc)
    return chart


#: matplotlib's pyplot keeps global state: one figure is drawn at a time in a process.
_drawing = threading.Lock()


def warm_up() -> None:
    """Import matplotlib and load the morphology now (a second or two), so that the
    first chart does not wait for them: in a chart process, as it starts; in the
    server itself (charts on threads), in a thread of its own."""
    from centrasia_crawler.plot import PlotUnavailable, _pyplot

    with _drawing, contextlib.suppress(PlotUnavailable):
        _pyplot()
    from centrasia_crawler.normalize.morphology import morphology

    morphology()


def _svg(draw: Callable[[], Any]) -> str:
    from centrasia_crawler.plot import svg

    with _drawing:
        document = svg(draw())
    return document[document.index("<svg") :]


def draw_svg(chart: Chart) -> tuple[str | None, str | None]:
    """The chart drawn as inline SVG markup, or why it cannot be (matplotlib missing)."""
    if chart.draw is None:
        return None, None
    from centrasia_crawler.plot import PlotUnavailable

    try:
        return _svg(chart.draw), None
    except PlotUnavailable:
        return None, "Charts need matplotlib: pip install 'centrasia-crawler[serve]'."


# --- one job: a chart or an entity's page, computed and drawn ---------------------------


@contextlib.contextmanager
def reading(path: str, immutable: bool) -> Iterator[sqlite3.Connection]:
    """A read-only connection of its own to the archive at ``path`` (``immutable`` as
    Datasette opened it), with the functions Datasette's connections have; closed after."""
    from centrasia_crawler.datasette_plugin.search import register

    flags = "&immutable=1" if immutable else ""
    conn = sqlite3.connect(
        f"file:{urllib.parse.quote(path)}?mode=ro{flags}", uri=True, check_same_thread=False
    )
    try:
        register(conn)
        yield conn
    finally:
        conn.close()


@dataclass
class Drawn:
    """A job's result, kept in :data:`CACHE`: a :class:`Chart` (``kind`` "chart") or an
    :class:`EntityPage` ("entity"), its drawing function dropped, and, if it was asked
    drawn, its SVG markup or why it cannot be drawn. Plain values: it crosses from a
    chart process to the server pickled."""

    found: Any
    svg: str | None = None
    unavailable: str | None = None
    drawn: bool = False


def job(kind: str, path: str, immutable: bool, name: str, args: Args, draw: bool) -> Drawn:
    """The chart ``name`` (``kind`` "chart") or the entity ``name``'s page ("entity") of
    the archive at ``path`` for the form's ``args``, drawn if ``draw``: what a chart
    process (or thread) runs, on a read-only connection of its own. An archive that needs
    upgrading raises :class:`~centrasia_crawler.archive.ArchiveNeedsUpgrade`."""
    with reading(path, immutable) as conn:
        if kind == "chart":
            found: Any = build(conn, path, name, args)
            chart = found
        else:
            found = entity_page(conn, path, name, args)
            chart = found.chart
    result = Drawn(found)
    if draw:
        result.svg, result.unavailable = draw_svg(chart)
        result.drawn = True
    chart.draw = None  # a function of this process's objects
    return result


# --- where the jobs run: processes of their own, or threads -----------------------------

#: The chart processes by default: one per core (charts are CPU-bound: SQLite counting,
#: matplotlib).
POOL_SIZE: Final = os.cpu_count() or 1
#: Where the number of chart processes may be given: Datasette's plugin configuration
#: (``plugins: centrasia: chart_workers: N`` in its metadata), else this environment
#: variable (``centrasia serve --chart-workers N`` sets it); 0 runs the charts on
#: threads of the server's own process.
WORKERS_SETTING: Final = "chart_workers"
WORKERS_VARIABLE: Final = CHART_WORKERS_VARIABLE

#: What a chart or entity page answers (503) when its process died under it.
WORKER_LOST: Final = (
    "The process computing this chart stopped (killed, or out of memory) before it"
    " answered: ask again.\n"
)


class WorkerLost(RuntimeError):
    """A chart process died while it computed a job (the pool is replaced)."""


def workers_wanted(configured: Any) -> int:
    """The number of chart processes: ``configured`` (the plugin's setting), else
    :data:`WORKERS_VARIABLE`, else :data:`POOL_SIZE`. Not a whole number >= 0: ValueError,
    in one line."""
    given = configured if configured is not None else os.environ.get(WORKERS_VARIABLE)
    if given is None or given == "":
        return POOL_SIZE
    try:
        workers = int(given)
    except (TypeError, ValueError):
        workers = -1
    if workers < 0 or str(given).strip() != str(workers):
        raise ValueError(f"{WORKERS_SETTING}: a whole number >= 0, not {given!r}")
    return workers


#: How much lower a chart process's priority is than the server's: when the cores are
#: all busy, the server's cheap pages get them first.
WORKER_NICE: Final = 10


def _worker_started(parent: int) -> None:
    """A chart process's first step: it ends with the server that started it (Linux: the
    parent's death signals it), ignores the terminal's ^C (the server stops it), lowers
    its priority (:data:`WORKER_NICE`), and loads what the charts need before its first
    job."""
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the server died before the line above
            os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(WORKER_NICE)
    warm_up()


def _ready() -> int:
    return os.getpid()


class ChartPool:
    """Where the jobs run. Started by the server (:meth:`start`) with ``workers`` > 0:
    that many processes, spawned (never forked from a server that runs threads), each
    with an interpreter of its own, so that drawing a chart never holds the interpreter
    the server's pages need; a pool whose process died is replaced. Not started (a
    Datasette driven in-process, with no server to stop it), or started with 0: the
    server's own threads, :data:`POOL_SIZE` of them."""

    def __init__(self) -> None:
        self.workers = 0
        self._processes: ProcessPoolExecutor | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def start(self, workers: int) -> None:
        """Run the jobs in ``workers`` processes from now on (0: threads), each started
        and loading matplotlib and the morphology at once."""
        with self._lock:
            self.workers = workers
        if workers == 0:
            threading.Thread(target=warm_up, name="centrasia-warm-up", daemon=True).start()
            return
        self._executor()

    def _executor(self) -> Executor:
        """The pool the next job runs in: the threads, or the processes (made now if
        there are none, every one of them started at once)."""
        with self._lock:
            if self.workers == 0:
                if self._threads is None:
                    self._threads = ThreadPoolExecutor(POOL_SIZE, "centrasia-chart")
                return self._threads
            if self._processes is not None:
                return self._processes
            self._processes = made = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_started,
                initargs=(os.getpid(),),
            )
            workers = self.workers
        for _ in range(workers):  # a job each: started now, not one by one on demand
            made.submit(_ready)
        return made

    def pids(self) -> list[int]:
        """The chart processes' ids (none before the first job, or on threads)."""
        with self._lock:
            found = getattr(self._processes, "_processes", None) or {}
            return sorted(found)

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` run in the pool, awaited; :class:`WorkerLost` if its
        process died meanwhile. A pool one of whose processes died before (idle) is
        replaced, and the new one runs it."""
        loop = asyncio.get_running_loop()
        call = functools.partial(function, *args)
        executor = self._executor()
        try:
            running = loop.run_in_executor(executor, call)
        except BrokenProcessPool:
            self._replace(executor)
            executor = self._executor()
            running = loop.run_in_executor(executor, call)
        try:
            return await running
        except BrokenProcessPool:
            self._replace(executor)
            raise WorkerLost(WORKER_LOST.strip()) from None

    def _replace(self, broken: Executor) -> None:
        """The next job gets a new pool, if ``broken`` is still the current one."""
        with self._lock:
            if self._processes is not broken:
                return
            self._processes = None
        broken.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        """Stop the processes (waiting for the jobs they run) or threads."""
        with self._lock:
            executors = [e for e in (self._processes, self._threads) if e is not None]
            self._processes = self._threads = None
            self.workers = 0
        for executor in executors:
            executor.shutdown(wait=True, cancel_futures=True)


#: The server's chart pool.
POOL: Final = ChartPool()


async def in_pool(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` run in :data:`POOL`, awaited."""
    return await POOL.run(function, *args)


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


#: The charts and entity pages computed (:class:`Drawn`), by job and archive version.
CACHE: Final = ChartCache()

#: The jobs under way, by key: a second request for one awaits the first's result.
_PENDING: dict[Hashable, asyncio.Task[Drawn]] = {}


async def computed(
    kind: str, path: str, immutable: bool, name: str, args: Args, draw: bool
) -> Drawn:
    """The :func:`job` for these values at the archive's current :func:`data_version`:
    from :data:`CACHE`, else from the same job already under way, else run in
    :data:`POOL` now (and kept). Drawn if ``draw``; a kept result not drawn yet is
    computed again, drawn."""
    loop = asyncio.get_running_loop()
    version = await loop.run_in_executor(None, data_version, path)
    key = (kind, path, name, args_key(args), version)
    kept: Drawn | None = CACHE.get(key)
    if kept is not None and (kept.drawn or not draw):
        return kept
    pending = _PENDING.get((key, draw))
    if pending is None or pending.get_loop() is not loop:
        pending = loop.create_task(in_pool(job, kind, path, immutable, name, args, draw))
        _PENDING[(key, draw)] = pending
        pending.add_done_callback(lambda task: _done((key, draw), task))
    # Shielded: a reader who leaves does not cancel the job others may be awaiting.
    kept = await asyncio.shield(pending)
    CACHE.put(key, kept)
    return kept


def _done(key: Hashable, task: asyncio.Task[Drawn]) -> None:
    if _PENDING.get(key) is task:
        del _PENDING[key]
    if not task.cancelled():
        task.exception()  # retrieved: awaited by none, it is not reported as lost


# --- an entity's page -------------------------------------------------------------------


@dataclass
class EntityPage:
    """What ``/<database>/-/entity/<id>`` shows: the entity (its names, posts and the
    entities it appears with), its articles per period and their chart."""

    entity: dict[str, Any] | None
    by: str = "year"
    chart: Chart = field(default_factory=lambda: Chart([]))
    #: For a name no entity has: why, in one line (the closest names aside), and the
    #: closest names (id, name).
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
    site = archive.site()
    page.chart.columns = ["period", "articles", "total", "share", "complete"]
    page.chart.rows = rows
    page.chart.note = shading_note(rows)

    def draw() -> Any:
        from centrasia_crawler.plot import trend_figure

        return trend_figure(
            rows, by, key="entity", title=f"articles naming {rows[0]['entity']}", site=site
        )

    page.chart.draw = draw
    page.chart.plot = trend_plot(
        rows, by, key="entity", title=f"articles naming {rows[0]['entity']}", site=site
    )
    return page


def _entity_named(
    archive: Archive, conn: sqlite3.Connection, key: str, page: EntityPage
) -> dict[str, Any] | None:
    """The entity that ``@key`` names in a search (a name in any of its forms); None,
    with the page's ``unknown`` (that no entity is named so, or what the search says of
    ``@key``: that several are) and ``closest`` set, if there is none."""
    from centrasia_crawler.archive.search_query import QueryTranslator, UnknownEntity
    from centrasia_crawler.entities.gazetteer import closest_names

    translator = QueryTranslator(conn)
    try:
        named = translator.entity(key, f"@{key}")
    except QueryError as exc:
        # No search was typed, and the page lists the closest names itself.
        unknown = isinstance(exc, UnknownEntity)
        page.unknown = f"no entity is named {key!r}" if unknown else str(exc)
        page.closest = closest_names(translator.gazetteer, key)
        return None
    found = archive.entity(named.id)
    if found is None:
        page.unknown = f"no entity is named {key!r} in this archive"
        page.closest = closest_names(translator.gazetteer, key)
    return found
