"""The summary tables: the counts that only a write changes, read in milliseconds.

Triggers of the schema (:data:`~centrasia_crawler.archive.schema.V20`) keep them in the
writer's own transaction, whichever code writes: per day the headlines listed, the
articles archived and their revisions (``summary_days``), the articles per outlet
(``summary_outlets``) and attribution (``summary_attributions``), per entity
(``summary_entities``), per entity and day (``summary_entity_days``) and per pair of
entities (``summary_entity_pairs``), per country and day (``summary_country_days``). A
row may hold zeros (what it counted is gone): the reads here leave such rows out, so
each answers as the GROUP BY over the articles would.

The same triggers bump the archive's data version (``data_version``) on every write of
the articles, their listings, revisions, tags and stories, the gazetteer and the
robots.txt refusals: a result computed at one version (a chart, an entity's page) is
stale once the version moves.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any


def data_version(conn: sqlite3.Connection) -> int:
    """The archive's data version: a counter every write moves on."""
    return int(conn.execute("SELECT version FROM data_version").fetchone()[0])


def bounds(conn: sqlite3.Connection) -> tuple[str | None, str | None]:
    """The first and last day with a headline listed or an article archived (None, None
    in an empty archive)."""
    low, high = conn.execute(
        "SELECT min(day), max(day) FROM summary_days WHERE listed > 0 OR archived > 0"
    ).fetchone()
    return low, high


def days(conn: sqlite3.Connection, first: str, last: str) -> Iterator[tuple[str, int, int, int]]:
    """``(day, listed, archived, revisions)`` of each day from ``first`` to ``last`` (ISO
    dates) with any: the articles listed that day (each once), those published that day
    and the revisions of those."""
    yield from conn.execute(
        "SELECT day, listed, archived, revisions FROM summary_days WHERE day BETWEEN ? AND ?"
        " AND (listed > 0 OR archived > 0 OR revisions > 0) ORDER BY day",
        (first, last),
    )


def totals(conn: sqlite3.Connection) -> dict[str, int]:
    """The archive's ``articles``, their ``revisions`` and the ``days`` they were
    published on."""
    articles, revisions, count = conn.execute(
        "SELECT coalesce(sum(archived), 0), coalesce(sum(revisions), 0),"
        " coalesce(sum(archived > 0), 0) FROM summary_days"
    ).fetchone()
    return {"articles": articles, "revisions": revisions, "days": count}


def ranked(conn: sqlite3.Connection, by: str, top: int | None) -> list[tuple[str, int]]:
    """``(name, articles)`` of the ``top`` outlets (``by`` "outlet") or attributions
    (``by`` "attribution") with the most articles, then by name."""
    table = {"outlet": "summary_outlets", "attribution": "summary_attributions"}[by]
    return list(
        conn.execute(
            f"SELECT {by}, articles FROM {table} WHERE articles > 0"
            f" ORDER BY articles DESC, {by} LIMIT ?",
            (-1 if top is None else top,),
        )
    )


def entity_counts(conn: sqlite3.Connection, type: str | None = None) -> dict[str, tuple[int, int]]:
    """Each entity's ``(articles, mentions)`` in the whole archive, of those named at
    least once (of ``type``, when given)."""
    sql = "SELECT s.entity_id, s.articles, s.mentions FROM summary_entities s WHERE s.articles > 0"
    params: list[Any] = []
    if type is not None:
        sql += " AND s.entity_id IN (SELECT id FROM entities WHERE type = ?)"
        params.append(type)
    return {entity_id: (n, mentions) for entity_id, n, mentions in conn.execute(sql, params)}


def entity_totals(
    conn: sqlite3.Connection, entity_id: str
) -> tuple[int, int, str | None, str | None]:
    """An entity's ``(articles, mentions, first day, last day)``."""
    found = conn.execute(
        "SELECT articles, mentions FROM summary_entities WHERE entity_id = ?", (entity_id,)
    ).fetchone()
    first, last = conn.execute(
        "SELECT min(day), max(day) FROM summary_entity_days WHERE entity_id = ? AND articles > 0",
        (entity_id,),
    ).fetchone()
    n, mentions = found if found is not None else (0, 0)
    return n, mentions, first, last


def entity_companions(
    conn: sqlite3.Connection, entity_id: str, limit: int
) -> list[tuple[str, int]]:
    """``(entity id, articles)`` of the ``limit`` entities named in the most articles
    that also name ``entity_id``, most first, then by id."""
    return conn.execute(
        "SELECT other_id, articles FROM summary_entity_pairs WHERE entity_id = ?"
        " AND articles > 0 ORDER BY articles DESC, other_id LIMIT ?",
        (entity_id, limit),
    ).fetchall()


def entity_days(
    conn: sqlite3.Connection, entity_id: str, first: str, last: str
) -> Iterator[tuple[str, int]]:
    """``(day, articles)`` of the days from ``first`` to ``last`` with articles naming
    the entity."""
    yield from conn.execute(
        "SELECT day, articles FROM summary_entity_days WHERE entity_id = ?"
        " AND day BETWEEN ? AND ? AND articles > 0 ORDER BY day",
        (entity_id, first, last),
    )


def country_periods(
    conn: sqlite3.Connection, first: str, last: str, prefix: int | None
) -> Iterator[tuple[str, str, int]]:
    """``(country, key, articles)``: the articles about each country (an article counts
    once for each of its countries) from ``first`` to ``last``, per day, or per the
    first ``prefix`` characters of the day (7: a month, 4: a year)."""
    key = "day" if prefix is None else f"substr(day, 1, {int(prefix)})"
    yield from conn.execute(
        f"SELECT country, {key}, sum(articles) FROM summary_country_days"
        " WHERE day BETWEEN ? AND ? AND articles > 0 GROUP BY 1, 2",
        (first, last),
    )
