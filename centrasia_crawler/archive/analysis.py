"""The analysts' Python API: what the commands print, as plain Python values.

:class:`~centrasia_crawler.archive.Archive` is the front of it: each of its analysts'
methods (search, count, kwic, trend, terms, entities, countries, entity, entity_trend,
coverage, stats, runs, articles, story, stories) calls the function of the same name
here with itself.
Every function returns plain dicts or lists of dicts whose keys are those of the
matching command's ``--json``, so ``pandas.DataFrame`` takes them as they are; dates may
be given as :class:`datetime.date` or ISO strings (``"2026-01-31"``)::

    from centrasia_crawler import Archive

    with Archive.open("data/archive.sqlite", readonly=True) as archive:
        archive.count("Садыр Жапаров")
        archive.search("новая конституция", since="2026-01-01", limit=5)
        pandas.DataFrame(archive.trend(["Жапаров", "Токаев"], by="week"))

Queries read as in ``centrasia search`` (:mod:`centrasia_crawler.archive.search_query`);
a query that cannot run raises :class:`~centrasia_crawler.archive.search_query.QueryError`
(a ``ValueError``) with a one-line message.

The functions import the query modules when first called (opening an archive does not
load them) and take the archive only as an argument, so nothing here imports
:mod:`centrasia_crawler.archive.store`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from centrasia_crawler.normalize.periods import as_period
from centrasia_crawler.options import parse_day

if TYPE_CHECKING:
    from centrasia_crawler.archive.search import Filters
    from centrasia_crawler.archive.store import Archive

Day = dt.date | str | None


def _filters(since: Day, until: Day, source: str | None, attribution: str | None) -> Filters:
    from centrasia_crawler.archive.search import Filters

    return Filters(parse_day("since", since), parse_day("until", until), source, attribution)


def search(
    archive: Archive,
    query: str,
    *,
    since: Day = None,
    until: Day = None,
    source: str | None = None,
    attribution: str | None = None,
    limit: int | None = 20,
    exact: bool = False,
    marks: tuple[str, str] = ("[", "]"),
) -> list[dict[str, Any]]:
    """:meth:`Archive.search <centrasia_crawler.archive.Archive.search>`."""
    from centrasia_crawler.archive import search as searching
    from centrasia_crawler.archive.snippets import MARK_CLOSE, MARK_OPEN

    filters = _filters(since, until, source, attribution)
    found = searching.search(archive, query, filters, limit, exact=exact)
    for row in found:
        row["snippet"] = row["snippet"].replace(MARK_OPEN, marks[0]).replace(MARK_CLOSE, marks[1])
    return found


def count(
    archive: Archive,
    query: str,
    *,
    since: Day = None,
    until: Day = None,
    source: str | None = None,
    attribution: str | None = None,
    exact: bool = False,
) -> int:
    """:meth:`Archive.count <centrasia_crawler.archive.Archive.count>`."""
    from centrasia_crawler.archive import search

    filters = _filters(since, until, source, attribution)
    return search.count(archive, query, filters, exact=exact)


def kwic(
    archive: Archive,
    query: str,
    *,
    since: Day = None,
    until: Day = None,
    source: str | None = None,
    attribution: str | None = None,
    width: int = 40,
    exact: bool = False,
    sort: str = "date",
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """:meth:`Archive.kwic <centrasia_crawler.archive.Archive.kwic>`."""
    from centrasia_crawler.archive import search

    filters = _filters(since, until, source, attribution)
    return search.kwic(archive, query, filters, width=width, exact=exact, sort=sort, limit=limit)


def trend(
    archive: Archive,
    asked: str | Sequence[str],
    *,
    by: str = "month",
    since: Day = None,
    until: Day = None,
    stories: bool = False,
) -> list[dict[str, Any]]:
    """:meth:`Archive.trend <centrasia_crawler.archive.Archive.trend>`."""
    from centrasia_crawler.archive import attention

    period = as_period(by)
    queries = [asked] if isinstance(asked, str) else list(asked)
    since_day, until_day = parse_day("since", since), parse_day("until", until)
    return attention.trend(archive, queries, period, since_day, until_day, stories)


def terms(archive: Archive, query: str, *, limit: int = 30) -> dict[str, Any]:
    """:meth:`Archive.terms <centrasia_crawler.archive.Archive.terms>`."""
    from centrasia_crawler.archive import attention

    return attention.terms(archive, query, limit)


def entities(
    archive: Archive,
    query: str | None = None,
    *,
    type: str | None = None,
    since: Day = None,
    until: Day = None,
    source: str | None = None,
    limit: int | None = 20,
    stories: bool = False,
) -> dict[str, Any]:
    """:meth:`Archive.entities <centrasia_crawler.archive.Archive.entities>`."""
    from centrasia_crawler.archive import entities

    filters = _filters(since, until, source, None)
    return entities.entities(archive, query, filters, type=type, limit=limit, stories=stories)


def countries(
    archive: Archive,
    *,
    by: str = "month",
    since: Day = None,
    until: Day = None,
    query: str | None = None,
    top: int | None = None,
    stories: bool = False,
) -> list[dict[str, Any]]:
    """:meth:`Archive.countries <centrasia_crawler.archive.Archive.countries>`."""
    from centrasia_crawler.archive import entities

    as_period(by)
    since_day, until_day = parse_day("since", since), parse_day("until", until)
    return entities.countries(archive, by, since_day, until_day, query, top, stories)


def entity(archive: Archive, key: str, *, limit: int = 20) -> dict[str, Any] | None:
    """:meth:`Archive.entity <centrasia_crawler.archive.Archive.entity>`."""
    from centrasia_crawler.archive import entities

    return entities.entity(archive, key, limit=limit)


def entity_trend(
    archive: Archive, entity_id: str, *, by: str = "year", since: Day = None, until: Day = None
) -> list[dict[str, Any]]:
    """:meth:`Archive.entity_trend <centrasia_crawler.archive.Archive.entity_trend>`."""
    from centrasia_crawler.archive import entities

    as_period(by)
    since_day, until_day = parse_day("since", since), parse_day("until", until)
    return entities.entity_trend(archive, entity_id, by, since_day, until_day)


def coverage(archive: Archive, *, since: Day = None, until: Day = None) -> dict[str, Any]:
    """:meth:`Archive.coverage <centrasia_crawler.archive.Archive.coverage>`."""
    from centrasia_crawler.archive import coverage as covering

    cover = covering.coverage(archive, parse_day("since", since), parse_day("until", until))
    return {
        "days": [dataclasses.asdict(day) for day in cover.days],
        "never_crawled": cover.never_crawled,
        "gaps": [{"start": start, "end": end} for start, end in cover.gaps],
    }


def stats(archive: Archive, *, top: int = 10) -> dict[str, Any]:
    """:meth:`Archive.stats <centrasia_crawler.archive.Archive.stats>`."""
    from centrasia_crawler.archive import coverage

    return coverage.stats(archive, top)


def runs(archive: Archive, *, limit: int | None = 20) -> list[dict[str, Any]]:
    """:meth:`Archive.runs <centrasia_crawler.archive.Archive.runs>`."""
    from centrasia_crawler.archive import runs as stored_runs

    return stored_runs.runs(archive, limit)


def articles(
    archive: Archive,
    query: str | None = None,
    *,
    since: Day = None,
    until: Day = None,
    source: str | None = None,
) -> Iterator[dict[str, Any]]:
    """:meth:`Archive.articles <centrasia_crawler.archive.Archive.articles>`."""
    from centrasia_crawler.archive import exporting, stories

    rows = exporting.export_rows(archive, _filters(since, until, source, None), query)
    return stories.with_stories(archive, rows)


def story(archive: Archive, st: int) -> dict[str, Any] | None:
    """:meth:`Archive.story <centrasia_crawler.archive.Archive.story>`."""
    from centrasia_crawler.archive import stories

    return stories.story(archive, int(st))


def stories(
    archive: Archive, *, since: Day = None, until: Day = None, limit: int | None = 20
) -> list[dict[str, Any]]:
    """:meth:`Archive.stories <centrasia_crawler.archive.Archive.stories>`."""
    from centrasia_crawler.archive import stories

    low, high = parse_day("since", since), parse_day("until", until)
    return stories.stories(
        archive,
        since=low.isoformat() if low else None,
        until=high.isoformat() if high else None,
        limit=limit,
    )
