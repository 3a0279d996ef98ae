"""What the archive holds: coverage per day (listed, archived, missing) and its totals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from centrasia_crawler.archive import listed, summaries

if TYPE_CHECKING:
    from centrasia_crawler.archive.store import Archive


@dataclass
class DayCoverage:
    day: str
    listed: int = 0
    archived: int = 0
    missing: list[int] = field(default_factory=list)
    #: Listed, not archived, and forbidden to crawlers by the site's robots.txt when a
    #: crawl last asked for them: no crawl can fill these, so they are no gap.
    forbidden: list[int] = field(default_factory=list)
    revisions: int = 0


@dataclass
class Coverage:
    days: list[DayCoverage]
    never_crawled: list[str]
    gaps: list[tuple[str, str]]

    @property
    def missing(self) -> int:
        """The articles listed but missing (each once, whatever the days it was listed)."""
        return len({st for d in self.days for st in d.missing})

    @property
    def forbidden(self) -> list[int]:
        """The listed articles robots.txt refused, each once, in order."""
        return list(dict.fromkeys(st for d in self.days for st in d.forbidden))


def coverage(
    archive: Archive, since: dt.date | None = None, until: dt.date | None = None
) -> Coverage:
    """Per day: headlines listed, articles archived, listed but missing, revisions."""
    conn = archive.conn
    low, high = summaries.bounds(conn)
    if low is None or high is None:
        return Coverage([], [], [])
    first = since or dt.date.fromisoformat(low)
    last = until or dt.date.fromisoformat(high)
    days = {
        (first + dt.timedelta(days=n)).isoformat(): DayCoverage(
            (first + dt.timedelta(days=n)).isoformat()
        )
        for n in range((last - first).days + 1)
    }
    lo, hi = first.isoformat(), last.isoformat()
    # The counts per day from the summary the writer keeps; the articles lacking, by st.
    for day, heads, archived, revisions in summaries.days(conn, lo, hi):
        days[day].listed, days[day].archived, days[day].revisions = heads, archived, revisions
    for day, st, forbidden in listed.lacking(conn, lo, hi):
        (days[day].forbidden if forbidden else days[day].missing).append(st)
    ordered = list(days.values())
    never = [d.day for d in ordered if not d.listed and not d.archived]
    gaps: list[tuple[str, str]] = []
    for d in ordered:  # a day whose listing was never read may lack articles too
        if not d.listed or d.missing:
            if gaps and _next_day(gaps[-1][1]) == d.day:
                gaps[-1] = (gaps[-1][0], d.day)
            else:
                gaps.append((d.day, d.day))
    return Coverage(ordered, never, gaps)


def _next_day(day: str) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


def stats(archive: Archive, top: int = 10) -> dict[str, Any]:
    """Totals, top sources and attributions, first and last article."""
    conn = archive.conn

    def one(sql: str) -> Any:
        return conn.execute(sql).fetchone()

    def ranked(by: str) -> list[dict[str, Any]]:
        return [{"name": name, "articles": n} for name, n in summaries.ranked(conn, by, top)]

    unread = one(
        "SELECT count(*), coalesce(sum(json_array_length(unread_lines)), 0) FROM articles"
        " WHERE unread_lines IS NOT NULL"
    )
    lacking = listed.totals(conn)
    counted = summaries.totals(conn)
    first = one("SELECT published_at, title, url FROM articles ORDER BY st LIMIT 1")
    last = one("SELECT published_at, title, url FROM articles ORDER BY st DESC LIMIT 1")
    return {
        "articles": counted["articles"],
        # An article's revisions, as the summary counts them (those of its article).
        "revisions": counted["revisions"],
        "listed_headlines": lacking["listed"],
        # robots.txt's refusals aside, as coverage and the metrics count them
        "listed_but_missing": lacking["missing"],
        "listed_but_forbidden": lacking["forbidden"],
        "pages": one("SELECT count(*) FROM pages")[0],
        "runs": one("SELECT count(*) FROM crawl_runs")[0],
        "days": counted["days"],
        # By outlet: «ИноСМИ», ИНОСМИ and inosmi.ru are one (the source itself for rows
        # stored before the outlet column, until centrasia reparse fills it).
        "top_sources": ranked("outlet"),
        "unread_lines": unread[1],
        "articles_with_unread_lines": unread[0],
        "top_attributions": ranked("attribution"),
        "first_article": dict(zip(("published_at", "title", "url"), first, strict=True))
        if first
        else None,
        "last_article": dict(zip(("published_at", "title", "url"), last, strict=True))
        if last
        else None,
    }
