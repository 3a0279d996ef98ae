"""The analysts' queries: search, coverage, statistics, streaming exports.

Read-only, over an :class:`~centrasia_crawler.archive.Archive`; every row is streamed
from a cursor, so exports run in constant memory however large the archive.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from centrasia_crawler.archive import listed
from centrasia_crawler.archive.closed import ArchiveClosed, _ClosedConnection
from centrasia_crawler.archive.schema import fold_yo
from centrasia_crawler.archive.search_query import QueryError, QueryTranslator
from centrasia_crawler.fields import ARTICLE_COLUMNS

if TYPE_CHECKING:
    from centrasia_crawler.archive.store import Archive

#: Marks around a match in a snippet (plain text; the CLI shows them as [ ]).
MARK_OPEN: Final = "\x02"
MARK_CLOSE: Final = "\x03"
ELLIPSIS: Final = "…"

#: The columns of an export: the article's, without its hash, the body last.
EXPORT_COLUMNS: Final = (
    *(c for c in ARTICLE_COLUMNS if c not in ("content_hash", "body")),
    "body",
)


@dataclass
class Filters:
    since: dt.date | None = None
    until: dt.date | None = None
    source: str | None = None
    attribution: str | None = None

    def where(self, alias: str = "a") -> tuple[str, list[Any]]:
        clauses, params = [], []
        if self.since:
            clauses.append(f"{alias}.published_date >= ?")
            params.append(self.since.isoformat())
        if self.until:
            clauses.append(f"{alias}.published_date <= ?")
            params.append(self.until.isoformat())
        if self.source:
            clauses.append(f"(fold({alias}.source) = fold(?) OR fold({alias}.outlet) = fold(?))")
            params.extend((self.source, self.source))
        if self.attribution:
            clauses.append(f"fold({alias}.attribution) = fold(?)")
            params.append(self.attribution)
        return (" AND ".join(clauses) or "1"), params


def unfold_snippet(snippet: str, original: str, folded: str) -> str:
    r"""The snippet FTS made from the ё-folded text, in the original's letters.

    Folding replaces one letter by one letter, so the snippet's text stands at the same
    place in both; the marks (and the ellipses FTS adds at either end) stay as they are.

    >>> unfold_snippet("…\x02Елка\x03 у дома", "Эта Ёлка у дома", "Эта Елка у дома")
    '…\x02Ёлка\x03 у дома'
    """
    plain = snippet.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    for lead in (0, 1):
        for trail in (0, 1):
            if (lead and not plain.startswith(ELLIPSIS)) or (
                trail and not plain.endswith(ELLIPSIS)
            ):
                continue
            core = plain[lead : len(plain) - trail]
            start = folded.find(core) if core else -1
            if start < 0:
                continue
            out, position, letters = [], start, 0
            for ch in snippet:
                if ch in (MARK_OPEN, MARK_CLOSE):
                    out.append(ch)
                    continue
                letters += 1
                if letters <= lead or letters > len(plain) - trail:
                    out.append(ch)  # an ellipsis FTS added
                else:
                    out.append(original[position])
                    position += 1
            return "".join(out)
    return snippet


#: bm25 weights of articles_morph's columns: a title match counts ten body matches.
TITLE_WEIGHT: Final = 10.0
#: The ranking as FTS5's ``rank`` column: ordered by it, FTS5 sorts the matches itself
#: and SQLite reads the articles (and makes snippets) only for the rows returned.
RANKING: Final = f"bm25({TITLE_WEIGHT}, 1.0)"


def matching(
    archive: Archive, query: str, filters: Filters | None = None, *, indexed_by: str = ""
) -> tuple[str, list[Any]]:
    """The ``FROM … WHERE …`` of the articles (``a``) that match ``query`` and
    ``filters``, and its parameters: the one place a query meets the index, for search,
    count, kwic, export, trend and terms. Raises :class:`QueryError` on a bad query."""
    where, params = (filters or Filters()).where()
    match = QueryTranslator(archive.conn).translate(query)
    hint = f" INDEXED BY {indexed_by}" if indexed_by else ""
    sql = (
        f"FROM articles_morph JOIN articles a{hint} ON a.st = articles_morph.rowid"
        f" WHERE articles_morph MATCH ? AND {where}"
    )
    return sql, [match, *params]


def run_matching(archive: Archive, query: str, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
    """Run SQL built on :func:`matching`; an error of the index's is the query's."""
    try:
        return archive.conn.execute(sql, params)
    except sqlite3.OperationalError as exc:
        raise QueryError(f"bad search query {query!r}: the index cannot run it ({exc})") from None


def search(
    archive: Archive,
    query: str,
    filters: Filters | None = None,
    limit: int | None = 20,
    *,
    exact: bool = False,
) -> list[dict[str, Any]]:
    """Articles matching a query (words, "phrases", prefix*, OR, NOT, -word, NEAR,
    title:, body:), best first; ``limit`` None: all of them.

    A word finds every form of it (``Казахстан`` finds «в Казахстане», a phrase
    «Центральной Азии» for ``"Центральная Азия"``); ``exact`` finds the forms as typed.
    Case and ё/е do not matter. The articles whose headline alone matches the query come
    first, then those that match only with their body; each group by bm25 (a title
    match counting :data:`TITLE_WEIGHT` body matches). Each result has the article's
    date, title, source, attribution, url, rank, and a snippet of the title or body
    (whichever matched best) with the matches marked as the article spells them.
    """
    if exact:
        return _search_exact(archive, query, filters, limit)
    groups = QueryTranslator(archive.conn).ranked_groups(query)
    where, params = (filters or Filters()).where()
    sql = f"""
        SELECT a.st, a.published_at, a.title, a.source, a.attribution, a.url,
               snippet(articles_morph, -1, ?, ?, ?, 12) AS best_snippet,
               articles_morph.rank
        FROM articles_morph JOIN articles a ON a.st = articles_morph.rowid
        WHERE articles_morph MATCH ? AND {where} AND articles_morph.rank MATCH ?
        ORDER BY articles_morph.rank LIMIT ?"""
    keys = ("st", "published_at", "title", "source", "attribution", "url", "snippet", "rank")
    found: list[dict[str, Any]] = []
    for group in groups:
        left = -1 if limit is None else limit - len(found)
        if left == 0:
            break
        marks = [MARK_OPEN, MARK_CLOSE, ELLIPSIS]
        cursor = run_matching(archive, query, sql, [*marks, group, *params, RANKING, left])
        found += [dict(zip(keys, row, strict=True)) for row in cursor]
    return found


def count(
    archive: Archive, query: str, filters: Filters | None = None, *, exact: bool = False
) -> int:
    """How many articles match ``query`` (and ``filters``); ``exact``: in the forms as
    typed, as :func:`search` with ``exact`` finds them."""
    if exact:
        where, params = (filters or Filters()).where()
        sql = (
            "SELECT count(*) FROM articles_fts f JOIN articles a ON a.st = f.rowid"
            f" WHERE articles_fts MATCH ? AND {where}"
        )
        try:
            return int(archive.conn.execute(sql, [fold_yo(query), *params]).fetchone()[0])
        except sqlite3.OperationalError as exc:
            raise QueryError(f"bad search query {query!r}: {exc}") from None
    if filters is None or filters == Filters():  # the index alone knows: no join
        match = QueryTranslator(archive.conn).translate(query)
        sql = "SELECT count(*) FROM articles_morph WHERE articles_morph MATCH ?"
        return int(run_matching(archive, query, sql, [match]).fetchone()[0])
    found, params = matching(archive, query, filters)
    return int(run_matching(archive, query, f"SELECT count(*) {found}", params).fetchone()[0])


def top_sources(
    archive: Archive, query: str, filters: Filters | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """The sources of the articles matching ``query``, by outlet (its name where the
    outlet table has none), most articles first (ties by name): ``{"source",
    "articles"}``; articles without a source are left out."""
    found, params = matching(archive, query, filters, indexed_by="articles_meta")
    sql = (
        f"SELECT coalesce(a.outlet, a.source), count(*) AS n {found} AND a.source IS NOT NULL"
        " GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?"
    )
    rows = run_matching(archive, query, sql, [*params, limit]).fetchall()
    return [{"source": source, "articles": n} for source, n in rows]


#: A concordance line's keys, in order.
KWIC_KEYS: Final = ("date", "st", "column", "left", "match", "right", "url")


def kwic(
    archive: Archive,
    query: str,
    filters: Filters | None = None,
    *,
    width: int = 40,
    exact: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every match of ``query`` in the articles it matches, oldest article first, as a
    concordance line: ``left`` and ``right`` context (``width`` characters each, white
    space made single spaces), the ``match`` as the article spells it (a phrase whole),
    and the article's ``st``, ``date``, ``column`` (title or body) and ``url``;
    ``exact``: only the forms as typed. Streamed."""
    if exact:
        where, params = (filters or Filters()).where()
        sql = (
            "SELECT a.st, a.published_date, a.url, highlight(articles_fts, 0, ?, ?),"
            " highlight(articles_fts, 1, ?, ?), a.title, a.body"
            " FROM articles_fts f JOIN articles a ON a.st = f.rowid"
            f" WHERE articles_fts MATCH ? AND {where} ORDER BY a.st"
        )
        params = [fold_yo(query), *params]
    else:
        found, params = matching(archive, query, filters)
        sql = (
            "SELECT a.st, a.published_date, a.url, highlight(articles_morph, 0, ?, ?),"
            f" highlight(articles_morph, 1, ?, ?), NULL, NULL {found} ORDER BY a.st"
        )
    marks = [MARK_OPEN, MARK_CLOSE] * 2
    rows = streamed(archive, run_matching(archive, query, sql, [*marks, *params]))
    for st, day, url, title, body, title_as_written, body_as_written in rows:
        if exact:  # the exact index reads the text with ё folded: marks back on the text
            title = _marked_as_written(title, title_as_written)
            body = _marked_as_written(body, body_as_written)
        for column, text in (("title", title), ("body", body)):
            for left, match, right in concordance(text or "", width):
                yield {
                    "date": day,
                    "st": st,
                    "column": column,
                    "left": left,
                    "match": match,
                    "right": right,
                    "url": url,
                }


def _marked_as_written(marked: str | None, text: str | None) -> str | None:
    """A text highlighted in its folded letters (one letter for one), in its own."""
    if marked is None or text is None:
        return marked
    out, position = [], 0
    for ch in marked:
        if ch in (MARK_OPEN, MARK_CLOSE):
            out.append(ch)
        else:
            out.append(text[position] if position < len(text) else ch)
            position += 1
    return "".join(out)


def names_no_article(archive: Archive, column: str, value: str) -> list[str] | None:
    """None if some article has ``value`` as its ``column`` (``source``, which also
    answers to the outlet's name, or ``attribution``), compared as :class:`Filters`
    compares; else the three names of that column closest to it."""
    import difflib

    if column == "source":
        sql = "SELECT 1 FROM articles WHERE fold(source) = fold(?) OR fold(outlet) = fold(?)"
        names_sql = (
            "SELECT DISTINCT source FROM articles WHERE source IS NOT NULL"
            " UNION SELECT DISTINCT outlet FROM articles WHERE outlet IS NOT NULL"
        )
        params: list[str] = [value, value]
    elif column == "attribution":
        sql = "SELECT 1 FROM articles WHERE fold(attribution) = fold(?)"
        names_sql = "SELECT DISTINCT attribution FROM articles WHERE attribution IS NOT NULL"
        params = [value]
    else:
        raise ValueError(f"column: {column!r} is not source or attribution")
    if archive.conn.execute(sql + " LIMIT 1", params).fetchone() is not None:
        return None
    names = [row[0] for row in archive.conn.execute(names_sql)]
    by_key = {fold_yo(name.lower()): name for name in names}
    close = difflib.get_close_matches(fold_yo(value.lower()), list(by_key), n=3, cutoff=0.0)
    return [by_key[key] for key in close]


def concordance(marked: str, width: int) -> Iterator[tuple[str, str, str]]:
    r"""The marked spans of a highlighted text with ``width`` characters either side.

    >>> list(concordance("Визит Жапарова в Москву", 6))
    [('Визит ', 'Жапарова', ' в Мос')]
    """
    plain = marked.replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    position = 0  # in the plain text
    start = None
    for piece in re.split(f"([{MARK_OPEN}{MARK_CLOSE}])", marked):
        if piece == MARK_OPEN:
            start = position
        elif piece == MARK_CLOSE and start is not None:
            left = plain[max(0, start - width) : start]
            right = plain[position : position + width]
            yield _oneline(left), _oneline(plain[start:position]), _oneline(right)
            start = None
        elif piece not in (MARK_OPEN, MARK_CLOSE):
            position += len(piece)


def _oneline(text: str) -> str:
    return re.sub(r"\s", " ", text)


def _search_exact(
    archive: Archive, query: str, filters: Filters | None, limit: int | None
) -> list[dict[str, Any]]:
    where, params = (filters or Filters()).where()
    sql = f"""
        SELECT a.st, a.published_at, a.title, a.source, a.attribution, a.url, a.body,
               snippet(articles_fts, -1, ?, ?, ?, 12) AS best_snippet,
               f.title AS folded_title, f.body AS folded,
               f.rank
        FROM articles_fts f JOIN articles a ON a.st = f.rowid
        WHERE articles_fts MATCH ? AND {where}
        ORDER BY f.rank LIMIT ?"""
    try:
        rows = archive.conn.execute(
            sql,
            [
                MARK_OPEN,
                MARK_CLOSE,
                ELLIPSIS,
                fold_yo(query),
                *params,
                -1 if limit is None else limit,
            ],
        ).fetchall()
    except sqlite3.OperationalError as exc:
        raise QueryError(f"bad search query {query!r}: {exc}") from None
    results = []
    for (
        st,
        published_at,
        title,
        source,
        attribution,
        url,
        body,
        snip,
        folded_title,
        folded,
        rank,
    ) in rows:
        # The snippet comes from the column that matched best: the title or the body.
        plain = snip.replace(MARK_OPEN, "").replace(MARK_CLOSE, "").strip(ELLIPSIS)
        original, folded_text = (title, folded_title) if plain in folded_title else (body, folded)
        results.append(
            {
                "st": st,
                "published_at": published_at,
                "title": title,
                "source": source,
                "attribution": attribution,
                "url": url,
                "snippet": unfold_snippet(snip, original, folded_text),
                "rank": rank,
            }
        )
    return results


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
    bounds = conn.execute(
        "SELECT min(d), max(d) FROM (SELECT listed_on AS d FROM listings"
        " UNION ALL SELECT published_date FROM articles)"
    ).fetchone()
    if bounds[0] is None:
        return Coverage([], [], [])
    first = since or dt.date.fromisoformat(bounds[0])
    last = until or dt.date.fromisoformat(bounds[1])
    days = {
        (first + dt.timedelta(days=n)).isoformat(): DayCoverage(
            (first + dt.timedelta(days=n)).isoformat()
        )
        for n in range((last - first).days + 1)
    }
    lo, hi = first.isoformat(), last.isoformat()
    for day, heads in conn.execute(
        "SELECT listed_on, count(DISTINCT st) FROM listings WHERE listed_on BETWEEN ? AND ?"
        " GROUP BY listed_on",
        (lo, hi),
    ):
        days[day].listed = heads
    for day, archived in conn.execute(
        "SELECT published_date, count(*) FROM articles WHERE published_date BETWEEN ? AND ?"
        " GROUP BY published_date",
        (lo, hi),
    ):
        days[day].archived = archived
    for day, st, forbidden in listed.lacking(conn, lo, hi):
        (days[day].forbidden if forbidden else days[day].missing).append(st)
    for day, revisions in conn.execute(
        "SELECT a.published_date, count(*) FROM article_revisions r JOIN articles a"
        " ON a.st = r.st WHERE a.published_date BETWEEN ? AND ? GROUP BY a.published_date",
        (lo, hi),
    ):
        days[day].revisions = revisions
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

    def ranked(column: str) -> list[dict[str, Any]]:
        return [
            {"name": name, "articles": n}
            for name, n in conn.execute(
                f"SELECT {column}, count(*) AS n FROM articles WHERE {column} IS NOT NULL"
                f" GROUP BY {column} ORDER BY n DESC, {column} LIMIT ?",
                (top,),
            )
        ]

    unread = one(
        "SELECT count(*), coalesce(sum(json_array_length(unread_lines)), 0) FROM articles"
        " WHERE unread_lines IS NOT NULL"
    )
    lacking = listed.totals(conn)
    first = one("SELECT published_at, title, url FROM articles ORDER BY st LIMIT 1")
    last = one("SELECT published_at, title, url FROM articles ORDER BY st DESC LIMIT 1")
    return {
        "articles": one("SELECT count(*) FROM articles")[0],
        "revisions": one("SELECT count(*) FROM article_revisions")[0],
        "listed_headlines": lacking["listed"],
        # robots.txt's refusals aside, as coverage and the metrics count them
        "listed_but_missing": lacking["missing"],
        "listed_but_forbidden": lacking["forbidden"],
        "pages": one("SELECT count(*) FROM pages")[0],
        "runs": one("SELECT count(*) FROM crawl_runs")[0],
        "days": one("SELECT count(DISTINCT published_date) FROM articles")[0],
        # By outlet: «ИноСМИ», ИНОСМИ and inosmi.ru are one (the source itself for rows
        # stored before the outlet column, until centrasia reparse fills it).
        "top_sources": ranked("coalesce(outlet, source)"),
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


#: A run's row as ``centrasia runs`` shows it.
RUN_FIELDS: Final = (
    "id",
    "mode",
    "started_at",
    "finished_at",
    "seconds",
    "requests",
    "new_articles",
    "changed_articles",
    "errors",
    "retries",
    "http_errors",
    "outcome",
    "reason",
)


def runs(archive: Archive, limit: int | None = 20) -> list[dict[str, Any]]:
    """The crawl runs, newest first: counters, duration, outcome and the first reason.

    The outcome of a run with no end recorded is ``running`` while its process holds
    the archive's lock, else ``killed`` (its counters show what it wrote, batch by
    batch, until it died)."""
    from centrasia_crawler.lock import holder

    rows = archive.conn.execute(
        "SELECT id, mode, started_at, finished_at, requests, new_articles, changed_articles,"
        " errors, retries, http_errors, outcome, outcome_reasons, finish_reason, pid"
        " FROM crawl_runs ORDER BY id DESC LIMIT ?",
        (-1 if limit is None else limit,),
    ).fetchall()
    running = holder(archive.path)
    found = []
    for row in rows:
        run = dict(zip(RUN_FIELDS[:4] + RUN_FIELDS[5:12], row[:11], strict=True))
        reasons = json.loads(row[11] or "[]")
        run["seconds"] = (
            round(_utc(run["finished_at"]) - _utc(run["started_at"]), 1)
            if run["finished_at"]
            else None
        )
        if not run["finished_at"]:
            run["outcome"] = "running" if running is not None and row[13] == running else "killed"
        run["outcome"] = run["outcome"] or "failed"
        run["reason"] = reasons[0] if reasons else (None if run["outcome"] == "ok" else row[12])
        if run["outcome"] in ("running", "killed"):
            run["reason"] = None
        found.append({name: run[name] for name in RUN_FIELDS})
    return found


def run_in_progress(archive: Archive) -> dict[str, Any] | None:
    """The run going on now (its process holds the archive's lock), if any."""
    from centrasia_crawler.lock import holder

    pid = holder(archive.path)
    if pid is None:
        return None
    row = archive.conn.execute(
        "SELECT max(id) FROM crawl_runs WHERE finished_at IS NULL AND pid = ?", (pid,)
    ).fetchone()
    return archive.run(row[0]) if row[0] is not None else None


def last_finished_run(archive: Archive) -> dict[str, Any] | None:
    """The newest run that ended (ok or failed); runs going on or killed do not count."""
    row = archive.conn.execute(
        "SELECT max(id) FROM crawl_runs WHERE finished_at IS NOT NULL"
    ).fetchone()
    return archive.run(row[0]) if row[0] is not None else None


def last_ok_run(archive: Archive) -> dict[str, Any] | None:
    """The newest run whose outcome was ``ok``."""
    row = archive.conn.execute(
        "SELECT max(id) FROM crawl_runs WHERE outcome = 'ok' AND finished_at IS NOT NULL"
    ).fetchone()
    return archive.run(row[0]) if row[0] is not None else None


def _utc(stamp: str) -> float:
    """Seconds since the epoch of a stored UTC time."""
    return dt.datetime.fromisoformat(stamp).timestamp()


#: The node_exporter textfile metrics: name and help, in order (values: run_metrics).
RUN_METRICS: Final = (
    ("centrasia_run_in_progress", "1 while a crawl run holds the archive's lock, else 0."),
    (
        "centrasia_last_ok_run_timestamp_seconds",
        "End of the newest crawl run whose outcome was ok (0: none).",
    ),
    (
        "centrasia_last_ok_run_age_seconds",
        "Seconds since the newest ok crawl run ended (-1: none ever did).",
    ),
    (
        "centrasia_last_run_ok",
        "1 if the newest crawl run that ended was ok, else 0 (runs going on do not count).",
    ),
    (
        "centrasia_last_run_layout_drift",
        "1 if the newest crawl run that ended failed on layout drift, else 0.",
    ),
    ("centrasia_last_run_timestamp_seconds", "End of the newest crawl run that ended (0: none)."),
    ("centrasia_last_run_errors", "Errors of the newest crawl run that ended."),
    ("centrasia_last_run_retries", "Requests the newest crawl run that ended retried."),
    (
        "centrasia_last_run_http_errors",
        "HTTP error answers (4xx, 5xx, retried ones too) of the newest crawl run that ended.",
    ),
    (
        "centrasia_last_run_new_articles",
        "Articles the newest crawl run that ended stored for the first time.",
    ),
    ("centrasia_articles", "Articles in the archive."),
    (
        "centrasia_listed_but_missing",
        "Articles listed on the site's pages but not archived, robots.txt refusals aside.",
    ),
    (
        "centrasia_robots_forbidden",
        "Articles listed but not archived because the site's robots.txt forbids them.",
    ),
)


def run_metrics(archive: Archive, now: float | None = None) -> list[tuple[str, str, float]]:
    """The node_exporter textfile metrics: ``(name, help, value)``, as :data:`RUN_METRICS`.

    The last run's figures are those of the newest run that *ended*: a backfill going
    on for hours is ``centrasia_run_in_progress``, not a failure.
    """
    import time

    now = time.time() if now is None else now
    last = last_finished_run(archive)
    ok = last_ok_run(archive)
    lacking = listed.totals(archive.conn)
    drift = any("layout drift" in r for r in (last or {}).get("outcome_reasons", ()))

    def of_last(name: str) -> float:
        return float(last[name]) if last else 0.0

    values = {
        "centrasia_run_in_progress": 1.0 if run_in_progress(archive) else 0.0,
        "centrasia_last_ok_run_timestamp_seconds": _utc(ok["finished_at"]) if ok else 0.0,
        "centrasia_last_ok_run_age_seconds": (
            float(round(now - _utc(ok["finished_at"]))) if ok else -1.0
        ),
        "centrasia_last_run_ok": 1.0 if last and last["outcome"] == "ok" else 0.0,
        "centrasia_last_run_layout_drift": 1.0 if drift else 0.0,
        "centrasia_last_run_timestamp_seconds": _utc(last["finished_at"]) if last else 0.0,
        "centrasia_last_run_errors": of_last("errors"),
        "centrasia_last_run_retries": of_last("retries"),
        "centrasia_last_run_http_errors": of_last("http_errors"),
        "centrasia_last_run_new_articles": of_last("new_articles"),
        "centrasia_articles": float(archive.table_count("articles")),
        "centrasia_listed_but_missing": float(lacking["missing"]),
        "centrasia_robots_forbidden": float(lacking["forbidden"]),
    }
    return [(name, text, values[name]) for name, text in RUN_METRICS]


def export_rows(
    archive: Archive, filters: Filters | None = None, query: str | None = None
) -> Iterator[dict[str, Any]]:
    """Every article (oldest first) as a dict, streamed from the cursor; with ``query``,
    only the articles it matches (exactly those :func:`search` finds)."""
    columns = ", ".join("a." + c for c in EXPORT_COLUMNS)
    if query is None:
        where, params = (filters or Filters()).where()
        cursor = archive.conn.execute(
            f"SELECT {columns} FROM articles a WHERE {where} ORDER BY a.st", params
        )
    else:
        found, params = matching(archive, query, filters)
        cursor = run_matching(archive, query, f"SELECT {columns} {found} ORDER BY a.st", params)
    for row in streamed(archive, cursor):
        yield dict(zip(EXPORT_COLUMNS, row, strict=True))


def streamed(archive: Archive, cursor: Iterable[Any]) -> Iterator[Any]:
    """The rows of ``cursor``; :class:`~centrasia_crawler.archive.closed.ArchiveClosed`
    if the archive is closed before they are all read."""
    iterator = iter(cursor)
    while True:
        try:
            row = next(iterator)
        except StopIteration:
            return
        except sqlite3.ProgrammingError:
            if isinstance(archive.conn, _ClosedConnection):
                raise ArchiveClosed from None
            raise
        yield row
