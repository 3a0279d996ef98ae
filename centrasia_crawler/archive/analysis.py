"""The analysts' Python API: what the commands print, as plain Python values.

:class:`~centrasia_crawler.archive.Archive` has these methods (this module is their
home; ``Archive`` inherits them). Every method returns plain dicts or lists of dicts
whose keys are those of the matching command's ``--json``, so ``pandas.DataFrame``
takes them as they are; dates may be given as :class:`datetime.date` or ISO strings
(``"2026-01-31"``)::

    from centrasia_crawler import Archive

    with Archive.open("data/archive.sqlite", readonly=True) as archive:
        archive.count("Садыр Жапаров")
        archive.search("новая конституция", since="2026-01-01", limit=5)
        pandas.DataFrame(archive.trend(["Жапаров", "Токаев"], by="week"))

Queries read as in ``centrasia search`` (:mod:`centrasia_crawler.archive.search_query`);
a query that cannot run raises :class:`~centrasia_crawler.archive.search_query.QueryError`
(a ``ValueError``) with a one-line message.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from centrasia_crawler.archive.queries import Filters
    from centrasia_crawler.archive.store import Archive

Day = dt.date | str | None


def as_day(value: Day, name: str = "date") -> dt.date | None:
    """A day given as a date or an ISO string (``"2026-01-31"``).

    >>> as_day("2026-01-31")
    datetime.date(2026, 1, 31)
    """
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None


class AnalystMethods:
    """Reading the archive as an analyst does (mixed into ``Archive``)."""

    def _archive(self) -> Archive:
        return cast("Archive", self)

    def _filters(
        self, since: Day, until: Day, source: str | None, attribution: str | None
    ) -> Filters:
        from centrasia_crawler.archive.queries import Filters

        return Filters(as_day(since, "since"), as_day(until, "until"), source, attribution)

    def search(
        self,
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
        """The articles matching ``query``, best first (``limit`` None: all), as
        ``centrasia search --json`` gives them: ``st published_at title source
        attribution url snippet rank``; the snippet's matches between ``marks``."""
        from centrasia_crawler.archive import queries

        found = queries.search(
            self._archive(),
            query,
            self._filters(since, until, source, attribution),
            limit,
            exact=exact,
        )
        for row in found:
            row["snippet"] = (
                row["snippet"]
                .replace(queries.MARK_OPEN, marks[0])
                .replace(queries.MARK_CLOSE, marks[1])
            )
        return found

    def count(
        self,
        query: str,
        *,
        since: Day = None,
        until: Day = None,
        source: str | None = None,
        attribution: str | None = None,
        exact: bool = False,
    ) -> int:
        """How many articles match ``query`` (``centrasia search --count``);
        ``exact``: in the forms as typed."""
        from centrasia_crawler.archive import queries

        filters = self._filters(since, until, source, attribution)
        return queries.count(self._archive(), query, filters, exact=exact)

    def kwic(
        self,
        query: str,
        *,
        since: Day = None,
        until: Day = None,
        source: str | None = None,
        attribution: str | None = None,
        width: int = 40,
        exact: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Concordance lines, streamed (``centrasia kwic --json``): ``date st column
        left match right url``; ``exact``: only the forms as typed."""
        from centrasia_crawler.archive import queries

        filters = self._filters(since, until, source, attribution)
        return queries.kwic(self._archive(), query, filters, width=width, exact=exact)

    def trend(
        self,
        queries: str | Sequence[str],
        *,
        by: str = "month",
        since: Day = None,
        until: Day = None,
    ) -> list[dict[str, Any]]:
        """Matching articles per period (``day week month year``), one row per query
        and period: ``query period articles total share complete`` (``share`` None
        where nothing is archived)."""
        from centrasia_crawler.archive import attention

        if by not in attention.PERIODS:
            raise ValueError(f"by: {by!r} is not one of {', '.join(attention.PERIODS)}")
        asked = [queries] if isinstance(queries, str) else list(queries)
        return attention.trend(
            self._archive(),
            asked,
            by,
            as_day(since, "since"),
            as_day(until, "until"),
        )

    def terms(self, query: str, *, limit: int = 30) -> dict[str, Any]:
        """The words characteristic of the matching articles (``centrasia terms
        --json``): ``matched sample terms sources attributions days``."""
        from centrasia_crawler.archive import attention

        return attention.terms(self._archive(), query, limit)

    def entities(
        self,
        query: str | None = None,
        *,
        type: str | None = None,
        since: Day = None,
        until: Day = None,
        source: str | None = None,
        limit: int | None = 20,
    ) -> dict[str, Any]:
        """The people, places, organisations and countries most present in the articles
        matching ``query`` (the whole archive without one), as ``centrasia entities
        --json`` gives them: ``{"matched": N, "entities": [{"name", "type", "country",
        "articles", "mentions", "share", "lift"}]}``, most articles first. ``type``: one
        of ``country place person organization``; ``limit`` None: all. An archive not
        tagged yet raises :class:`~centrasia_crawler.archive.entities.EntitiesNotTagged`."""
        from centrasia_crawler.archive import entities

        filters = self._filters(since, until, source, None)
        return entities.entities(self._archive(), query, filters, type=type, limit=limit)

    def countries(
        self,
        *,
        by: str = "month",
        since: Day = None,
        until: Day = None,
        query: str | None = None,
        top: int | None = None,
    ) -> list[dict[str, Any]]:
        """Articles per country (ISO 3166-1 alpha-2) per period, as ``centrasia
        countries --json`` gives them: ``country period articles total share complete``,
        complete as in :meth:`trend`; the countries with the most articles first (``top``:
        only that many); with ``query``, only the articles it matches."""
        from centrasia_crawler.archive import attention, entities

        if by not in attention.PERIODS:
            raise ValueError(f"by: {by!r} is not one of {', '.join(attention.PERIODS)}")
        return entities.countries(
            self._archive(), by, as_day(since, "since"), as_day(until, "until"), query, top
        )

    def entity(self, key: str, *, limit: int = 20) -> dict[str, Any] | None:
        """An entity, by id or by one of its names: its names (with the years they were
        in use), posts, articles, mentions, first and last day, and the entities its
        articles name most (``with``); None if the archive has none such. A name
        several entities share (``Бердымухамедов``) raises
        :class:`~centrasia_crawler.archive.entities.AmbiguousEntity` naming them."""
        from centrasia_crawler.archive import entities

        return entities.entity(self._archive(), key, limit=limit)

    def entity_trend(
        self, entity_id: str, *, by: str = "year", since: Day = None, until: Day = None
    ) -> list[dict[str, Any]]:
        """The articles naming an entity per period, as :meth:`trend` counts a query's:
        ``entity period articles total share complete``."""
        from centrasia_crawler.archive import attention, entities

        if by not in attention.PERIODS:
            raise ValueError(f"by: {by!r} is not one of {', '.join(attention.PERIODS)}")
        return entities.entity_trend(
            self._archive(), entity_id, by, as_day(since, "since"), as_day(until, "until")
        )

    def coverage(self, *, since: Day = None, until: Day = None) -> dict[str, Any]:
        """Per day (``days``: ``day listed archived missing forbidden revisions``), the
        days never crawled and the gaps (``start``, ``end``)."""
        from centrasia_crawler.archive import queries

        cover = queries.coverage(
            self._archive(),
            as_day(since, "since"),
            as_day(until, "until"),
        )
        return {
            "days": [dataclasses.asdict(day) for day in cover.days],
            "never_crawled": cover.never_crawled,
            "gaps": [{"start": start, "end": end} for start, end in cover.gaps],
        }

    def stats(self, *, top: int = 10) -> dict[str, Any]:
        """Totals, top sources and attributions (``centrasia stats --json``)."""
        from centrasia_crawler.archive import queries

        return queries.stats(self._archive(), top)

    def runs(self, *, limit: int | None = 20) -> list[dict[str, Any]]:
        """The crawl runs, newest first (``centrasia runs --json``)."""
        from centrasia_crawler.archive import queries

        return queries.runs(self._archive(), limit)

    def articles(
        self,
        query: str | None = None,
        *,
        since: Day = None,
        until: Day = None,
        source: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every article (oldest first), or those ``query`` matches, streamed with the
        columns of ``centrasia export``."""
        from centrasia_crawler.archive import queries

        filters = self._filters(since, until, source, None)
        return queries.export_rows(self._archive(), filters, query)
