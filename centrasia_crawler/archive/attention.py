"""Attention over time, as media researchers measure it: ``centrasia trend`` and
``centrasia terms``.

Every query matches as ``centrasia search`` does (any form of a word, phrases, FTS5
operators). A period counts the articles published in it that match, against all the
articles archived for it; a period is *complete* only when every one of its days had its
listing read and no listed article is missing (robots.txt's refusals aside), so a zero
in a period never crawled is told apart from a zero the site wrote.

Characteristic words (``terms``) are scored with the log-odds ratio with an informative
Dirichlet prior (Monroe, Colaresi and Quinn 2008, "Fightin' Words"): the lemmas of the
matching articles (a random sample of 1,000 of them on a large result, as MediaCloud
samples) against the lemmas of the whole archive, whose counts the writer keeps with the
morphological index (``morph_counts``), so nothing but the sample is re-read.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from centrasia_crawler.archive.coverage import coverage
from centrasia_crawler.archive.schema import OUTLET_SQL
from centrasia_crawler.archive.search import Filters, matching, run_matching
from centrasia_crawler.archive.search_query import QueryTranslator, phrases
from centrasia_crawler.normalize.morphology import JOIN, morphology
from centrasia_crawler.normalize.periods import PERIODS as PERIODS  # the Datasette plugin's
from centrasia_crawler.normalize.periods import Period, period_of, period_start
from centrasia_crawler.normalize.stopwords import stop_words

if TYPE_CHECKING:
    from centrasia_crawler.archive.store import Archive

#: On a larger result, ``terms`` reads a random sample of this many matching articles.
SAMPLE: Final = 1000
#: The prior's weight (alpha_0): the pseudo-count spread over the vocabulary in
#: proportion to each lemma's share of the archive.
PRIOR: Final = 1000.0
#: A lemma must occur this many times in the articles read to be listed.
MIN_COUNT: Final = 3
#: A period's counts in a row of ``trend``, ``countries`` and an entity's articles over
#: time, in order, after the keys of what is counted (:meth:`PeriodFrame.row`).
PERIOD_KEYS: Final = ("period", "articles", "total", "share", "complete")
#: A row of ``centrasia trend --json``, in order.
TREND_KEYS: Final = ("query", *PERIOD_KEYS)


def _days(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    return (first + dt.timedelta(days=n) for n in range((last - first).days + 1))


def _bounds(
    archive: Archive, since: dt.date | None, until: dt.date | None
) -> tuple[dt.date, dt.date] | None:
    low, high = archive.conn.execute(
        "SELECT min(d), max(d) FROM (SELECT min(published_date) AS d FROM articles"
        " UNION ALL SELECT max(published_date) FROM articles"
        " UNION ALL SELECT min(listed_on) FROM listings"
        " UNION ALL SELECT max(listed_on) FROM listings)"
    ).fetchone()
    if low is None and (since is None or until is None):
        return None
    first = since or dt.date.fromisoformat(low)
    last = until or dt.date.fromisoformat(high)
    return (first, last) if first <= last else None


@dataclass
class PeriodFrame:
    """The periods of a range as ``trend`` reports them: their labels in order, all the
    articles archived in each, and whether each is complete."""

    first: dt.date
    last: dt.date
    labels: list[str]
    totals: Counter[str]
    complete: dict[str, bool]

    def row(self, label: str, articles: int) -> dict[str, Any]:
        """A period's counts, keyed by :data:`PERIOD_KEYS`: the ``articles`` counted in
        it, all archived in it, their share (None where none is archived), and whether
        the period is complete."""
        total = self.totals[label]
        share = round(articles / total, 6) if total else None
        values = (label, articles, total, share, self.complete[label])
        return dict(zip(PERIOD_KEYS, values, strict=True))


def period_frame(
    archive: Archive,
    by: Period = "month",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> PeriodFrame | None:
    """The one definition of a range's periods and their completeness, for ``trend``,
    ``countries`` and an entity's articles over time: the range is ``since``..``until``
    (the archive's first and last day by default); a period is complete when every day
    of it lies within the range, had its listing read and misses no listed article
    (robots.txt's refusals aside). None when the range is empty."""
    bounds = _bounds(archive, since, until)
    if bounds is None:
        return None
    first, last = bounds
    labels = list(dict.fromkeys(period_of(day, by) for day in _days(first, last)))
    # The articles archived per day (published that day) from the summary the writer
    # keeps, as coverage reads it: not a pass over the articles' dates.
    totals: Counter[str] = Counter()
    cover = coverage(archive, first, last).days
    complete = dict.fromkeys(labels, bool(cover))  # an empty archive crawled nothing
    for day in cover:
        label = period_of(dt.date.fromisoformat(day.day), by)
        if day.archived:
            totals[label] += day.archived
        if not day.listed or day.missing:
            complete[label] = False
    # A period the range cuts (a week begun before the archive's first day) is partial.
    if period_start(labels[0], by) < first:
        complete[labels[0]] = False
    if period_of(last + dt.timedelta(days=1), by) == labels[-1]:
        complete[labels[-1]] = False
    return PeriodFrame(first, last, labels, totals, complete)


#: The story an article is one of (``a`` the article's alias), in SQL: an article not
#: clustered yet is a story of its own.
STORY_SQL: Final = "coalesce((SELECT story FROM article_stories WHERE st = a.st), a.st)"


def story_totals(archive: Archive, frame: PeriodFrame, by: Period) -> Counter[str]:
    """The stories with an article in each period of ``frame`` (a story whose articles
    fall in two periods counts in both)."""
    seen: dict[str, set[int]] = {}
    for day, story in archive.conn.execute(
        f"SELECT a.published_date, {STORY_SQL} FROM articles a"
        " WHERE a.published_date BETWEEN ? AND ?",
        (frame.first.isoformat(), frame.last.isoformat()),
    ):
        seen.setdefault(period_of(dt.date.fromisoformat(day), by), set()).add(story)
    return Counter({label: len(found) for label, found in seen.items()})


def trend(
    archive: Archive,
    queries: Sequence[str],
    by: Period = "month",
    since: dt.date | None = None,
    until: dt.date | None = None,
    stories: bool = False,
) -> list[dict[str, Any]]:
    """One row per query and period, in order: the matching articles, all articles
    archived in the period, the share, and whether the period is complete (every day of
    it within the range, its listing read, no listed article missing:
    :func:`period_frame`). Every period of the range is there, empty ones as 0. With
    ``stories``, the stories (:mod:`centrasia_crawler.archive.stories`) are counted
    instead of the articles, matching and all: a story counts in a period when one of
    its articles of the period matches. Raises :class:`QueryError` on a bad query."""
    frame = period_frame(archive, by, since, until)
    if frame is None:
        return []
    if stories:
        frame.totals = story_totals(archive, frame, by)
    rows = []
    for query in queries:
        counts: Counter[str] = Counter()
        # Read through the covering index of the columns beside st, not the rows.
        found_sql, params = matching(
            archive, query, Filters(since=frame.first, until=frame.last), indexed_by="articles_meta"
        )
        if stories:
            seen: dict[str, set[int]] = {}
            sql = f"SELECT a.published_date, {STORY_SQL} {found_sql}"
            for day, story in run_matching(archive, query, sql, params):
                seen.setdefault(period_of(dt.date.fromisoformat(day), by), set()).add(story)
            counts.update({label: len(found) for label, found in seen.items()})
        else:
            sql = f"SELECT a.published_date, count(*) {found_sql} GROUP BY a.published_date"
            for day, n in run_matching(archive, query, sql, params).fetchall():
                counts[period_of(dt.date.fromisoformat(day), by)] += n
        rows += [{"query": query, **frame.row(label, counts[label])} for label in frame.labels]
    return rows


# --- characteristic words -------------------------------------------------------------


def _listable(term: str) -> bool:
    """A lemma (or the lemmas of an ambiguous form) worth listing: a word of at least two
    letters, none of its readings a stop word."""
    lemmas = term.split(JOIN)
    return all(len(lemma) > 1 and lemma.isalpha() for lemma in lemmas) and not any(
        lemma in stop_words() for lemma in lemmas
    )


def archive_tokens(conn: sqlite3.Connection) -> int:
    """Tokens in the morphological index, title and body: the sum of the occurrences
    the writer keeps with it (``morph_counts``)."""
    return int(conn.execute("SELECT coalesce(sum(occurrences), 0) FROM morph_counts").fetchone()[0])


def own_terms(archive: Archive, query: str) -> Callable[[str], bool]:
    """Whether an index term is one of the query's own words (a term its words, in any
    of their readings, stand for, or a prefix of it matches): ``terms`` leaves them out,
    since the articles that match a word are bound to be characterised by it."""
    translator = QueryTranslator(archive.conn)
    exact: set[str] = set()
    prefixes: list[str] = []
    for phrase in phrases(translator.parse(query)):
        for choice in translator.choices(phrase):
            for term in choice:
                if term.endswith("*"):
                    prefixes.append(term[:-1])
                else:
                    exact.add(term)
    lemmas = {lemma for term in exact for lemma in term.split(JOIN)}
    return lambda term: (
        term in exact
        or any(lemma in lemmas for lemma in term.split(JOIN))
        or term.startswith(tuple(prefixes))
    )


def _top(counter: Counter[str], limit: int) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:limit]


def _focus_terms(conn: sqlite3.Connection, sts: list[int]) -> Counter[str]:
    """The index terms of these articles, counted."""
    morph = morphology()
    focus: Counter[str] = Counter()
    for start in range(0, len(sts), 500):
        chunk = sts[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for title, body in conn.execute(
            f"SELECT title, body FROM articles WHERE st IN ({marks})", chunk
        ):
            focus.update(morph.index_text(title).split())
            focus.update(morph.index_text(body).split())
    return focus


def _counts(conn: sqlite3.Connection, terms: Iterable[str]) -> dict[str, int]:
    """Each term's occurrences in the whole archive (``morph_counts``)."""
    return dict(
        conn.execute(
            "SELECT term, occurrences FROM morph_counts"
            " WHERE term IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(set(terms)), ensure_ascii=False),),
        ).fetchall()
    )


def _canonical(conn: sqlite3.Connection, terms: Iterable[str]) -> dict[str, str]:
    """Each ambiguous term (a form of several lemmas: «выбор/выборы») as the one of its
    lemmas the archive holds most often unambiguously («выбор»), so that a word is
    listed once; a term none of whose lemmas stands alone in the archive stays itself."""
    joined = [t for t in terms if JOIN in t]
    alone = _counts(conn, (lemma for t in joined for lemma in t.split(JOIN)))
    out = {}
    for term in joined:
        best = max(term.split(JOIN), key=lambda lemma: (alone.get(lemma, 0), lemma))
        if alone.get(best, 0) > 0:
            out[term] = best
    return out


def _merged(counts: Counter[str], canonical: dict[str, str]) -> Counter[str]:
    merged: Counter[str] = Counter()
    for term, n in counts.items():
        merged[canonical.get(term, term)] += n
    return merged


def _background(conn: sqlite3.Connection, candidates: list[str]) -> dict[str, int]:
    """Each candidate's occurrences in the whole archive, the ambiguous terms that
    :func:`_canonical` gives to it included."""
    counts = _counts(conn, candidates)
    marks = json.dumps(sorted(c for c in candidates if JOIN not in c), ensure_ascii=False)
    joined = [
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT term FROM morph_terms WHERE lemma IN (SELECT value FROM json_each(?))",
            (marks,),
        )
    ]
    canonical = _canonical(conn, joined)
    wanted = set(candidates)
    for term, n in _counts(conn, joined).items():
        lemma = canonical.get(term)
        if lemma in wanted:
            counts[lemma] = counts.get(lemma, 0) + n
    return counts


def _scored(
    conn: sqlite3.Connection, focus: Counter[str], candidates: list[str]
) -> list[tuple[float, str, int]]:
    """``(z, term, count)`` for each candidate: the log-odds ratio with an informative
    Dirichlet prior (Monroe et al. 2008) of its count in the focus against the archive."""
    n_focus = sum(focus.values())
    n_all = max(archive_tokens(conn), n_focus)
    background = _background(conn, candidates)
    scored = []
    for term in candidates:
        count = focus[term]
        total = max(background.get(term, 0), count)
        alpha = PRIOR * total / n_all
        delta = math.log((count + alpha) / (n_focus + PRIOR - count - alpha)) - math.log(
            (total + alpha) / (n_all + PRIOR - total - alpha)
        )
        z = delta / math.sqrt(1 / (count + alpha) + 1 / (total + alpha))
        scored.append((z, term, count))
    return scored


def terms(
    archive: Archive, query: str, limit: int = 30, sample: int = SAMPLE, seed: int = 0
) -> dict[str, Any]:
    """The lemmas most characteristic of the articles matching ``query`` against the
    whole archive, with the top sources, attributions and days of those articles."""
    conn = archive.conn
    # One pass over the matches, through articles_meta, which holds these columns beside
    # st: read from the table, the source lies past the body's overflow pages.
    found_sql, params = matching(archive, query, indexed_by="articles_meta")
    columns = f"a.st, a.published_date, {OUTLET_SQL.format('a.')}, a.attribution"
    sts: list[int] = []
    sources: Counter[str] = Counter()
    attributions: Counter[str] = Counter()
    days: Counter[str] = Counter()
    for st, day, source, name in run_matching(
        archive, query, f"SELECT {columns} {found_sql}", params
    ):
        sts.append(st)
        days[day] += 1
        if source is not None:
            sources[source] += 1
        if name is not None:
            attributions[name] += 1
    read = sorted(random.Random(seed).sample(sts, sample)) if len(sts) > sample else sts
    raw = _focus_terms(conn, read)
    focus = _merged(raw, _canonical(conn, raw))
    own = own_terms(archive, query)
    candidates = [t for t, n in focus.items() if n >= MIN_COUNT and _listable(t) and not own(t)]
    scored = _scored(conn, focus, candidates)
    scored.sort(key=lambda item: (-item[0], item[1]))
    return {
        "matched": len(sts),
        "sample": len(read),
        "terms": [
            {"term": term.replace(JOIN, "/"), "count": count, "score": round(z, 3)}
            for z, term, count in scored[:limit]
        ],
        "sources": [{"name": n, "count": c} for n, c in _top(sources, limit)],
        "attributions": [{"name": n, "count": c} for n, c in _top(attributions, limit)],
        "days": [{"day": d, "count": c} for d, c in _top(days, limit)],
    }
