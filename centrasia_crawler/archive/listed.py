"""The one rule for what the site listed and the archive lacks.

An article the site listed (``listings``) and the archive does not hold (``articles``)
is *forbidden* when the site's robots.txt refused it the last time a crawl asked
(``robots_refusals``): no crawl can fill it. Otherwise it is *listed but missing*: a gap
a crawl fills. ``stats``, ``coverage`` and the metrics of ``centrasia runs --metrics``
all count by these functions, so they agree.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Final

#: The listings (``l``) of the articles the archive lacks, each with its refusal (``r``)
#: if robots.txt refused it: the rule's one join, for every count and list of them.
LACKING_FROM: Final = (
    "FROM listings l LEFT JOIN articles a ON a.st = l.st"
    " LEFT JOIN robots_refusals r ON r.st = l.st WHERE a.st IS NULL"
)
#: True of a lacking article that robots.txt refused (``NOT``: listed but missing).
FORBIDDEN: Final = "r.st IS NOT NULL"


def lacking(
    conn: sqlite3.Connection, first: str | None = None, last: str | None = None
) -> Iterator[tuple[str, int, bool]]:
    """``(listed_on, st, forbidden)`` for each listed article the archive lacks, by the
    day it was listed (from ``first`` to ``last``, ISO dates, when given), in day and
    st order."""
    sql = (
        f"SELECT DISTINCT l.listed_on, l.st, {FORBIDDEN} {LACKING_FROM}"
        " AND l.listed_on BETWEEN ? AND ? ORDER BY l.listed_on, l.st"
    )
    for day, st, forbidden in conn.execute(sql, (first or "", last or "9999-12-31")):
        yield day, st, bool(forbidden)


def totals(conn: sqlite3.Connection) -> dict[str, int]:
    """The articles the site listed (each once, whatever the days it was listed on),
    those of them the archive lacks, robots.txt's refusals aside (``missing``), and
    those it lacks because robots.txt refused them (``forbidden``): ``{"listed",
    "missing", "forbidden"}``."""
    listed = conn.execute("SELECT count(DISTINCT st) FROM listings").fetchone()[0]
    missing, forbidden = conn.execute(
        f"SELECT coalesce(sum(NOT forbidden), 0), coalesce(sum(forbidden), 0) FROM"
        f" (SELECT DISTINCT l.st, {FORBIDDEN} AS forbidden {LACKING_FROM})"
    ).fetchone()
    return {"listed": listed, "missing": missing, "forbidden": forbidden}
