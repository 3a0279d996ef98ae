"""Search over the archive: the filters, the matching articles, search, count, kwic.

Read-only, over an :class:`~centrasia_crawler.archive.Archive`; a query meets the index
in :func:`matching` alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import heapq
import itertools
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

from centrasia_crawler.archive.closed import streamed
from centrasia_crawler.archive.concordance import (
    WordMatcher,
    query_forms,
    word_matcher,
)
from centrasia_crawler.archive.neighbours import FirstLines, FormMatcher, Line, sort_key
from centrasia_crawler.archive.schema import OUTLET_SQL, fold_yo
from centrasia_crawler.archive.search_query import QueryError, QueryTranslator
from centrasia_crawler.archive.snippets import (
    ELLIPSIS,
    MARK_CLOSE,
    MARK_OPEN,
    marked_as_written,
    marked_spans,
    oneline,
    unfold_snippet,
)
from centrasia_crawler.normalize.morphology import morphology

if TYPE_CHECKING:
    from centrasia_crawler.archive.store import Archive


@dataclasses.dataclass
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
        f"SELECT {OUTLET_SQL.format('a.')}, count(*) AS n {found} AND a.source IS NOT NULL"
        " GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?"
    )
    rows = run_matching(archive, query, sql, [*params, limit]).fetchall()
    return [{"source": source, "articles": n} for source, n in rows]


#: A concordance line's keys, in order.
KWIC_KEYS: Final = ("date", "st", "column", "left", "match", "right", "url")
#: The orders of concordance lines: by date (oldest article first, each article's
#: matches in the order they stand), by the words left of the match (nearest first),
#: by the words right of it (:data:`~centrasia_crawler.archive.neighbours.SORT_WORDS`
#: whole words of the column, folded: :func:`~centrasia_crawler.archive.neighbours.sort_key`).
KWIC_SORTS: Final = ("date", "left", "right")


def kwic(
    archive: Archive,
    query: str,
    filters: Filters | None = None,
    *,
    width: int = 40,
    exact: bool = False,
    sort: str = "date",
    limit: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Every match of ``query`` in the articles it matches, as a concordance line:
    ``left`` and ``right`` context (``width`` characters each, white space made single
    spaces), the ``match`` as the article spells it (a phrase whole), and the article's
    ``st``, ``date``, ``column`` (title or body) and ``url``; ``exact``: only the forms
    as typed.

    ``sort`` (one of :data:`KWIC_SORTS`): ``date``, oldest article first, streamed;
    ``left`` or ``right``, by the :data:`~centrasia_crawler.archive.neighbours.SORT_WORDS`
    words on that side (:func:`~centrasia_crawler.archive.neighbours.sort_key`), lines
    of equal words in date order.
    ``limit``: only the first so many lines. For a query of one word (or words ORed)
    only the articles those lines need are read: the oldest first in date order, and
    sorted by context those the neighbour index puts first (:func:`_kwic_by_neighbours`);
    another query reads every match's key but makes only the lines returned."""
    if sort not in KWIC_SORTS:
        raise ValueError(f"sort: {sort!r} is not one of {', '.join(KWIC_SORTS)}")
    if limit is not None and not exact:
        words = _query_words(archive.conn, query)
        if words is not None and sort == "date":  # only the first articles are read
            texts = _kwic_found(archive, query, filters, words)
            yield from itertools.islice(
                (
                    _kwic_line(article, column, text, start, end, width)
                    for article, column, text, spans in texts
                    for start, end in spans
                ),
                limit,
            )
            return
        if words is not None:
            chosen = _kwic_by_neighbours(
                archive, filters, words, sort=sort, width=width, limit=limit
            )
            if chosen is not None:
                yield from chosen
                return
    matcher = None if exact else word_matcher(archive.conn, query)
    if matcher is not None:  # the text as stored (UTF-8: keys read a few bytes a match)
        stored = _kwic_words(archive, query, filters, matcher)
        yield from _kwic_lines(stored, _char_spans, sort, width, limit)
    else:
        texts = _kwic_texts(archive, query, filters, exact)
        yield from _kwic_lines(texts, _as_text, sort, width, limit)


_Text = TypeVar("_Text", str, bytes)


def _kwic_lines(
    texts: Iterator[tuple[_Article, str, _Text, _Spans]],
    as_text: Callable[[_Text, _Spans], tuple[str, _Spans]],
    sort: str,
    width: int,
    limit: int | None,
) -> Iterator[dict[str, Any]]:
    """The concordance lines of ``texts`` (columns with the spans of their matches, as
    text or as UTF-8, which ``as_text`` makes text and character spans): in date order,
    streamed; by the words beside each match (left or right), only the lines returned
    made."""
    if sort == "date":
        lines = (
            _kwic_line(article, column, plain, start, end, width)
            for article, column, data, spans in texts
            for plain, char_spans in [as_text(data, spans)]
            for start, end in char_spans
        )
        yield from itertools.islice(lines, limit)
        return
    keyed = _kwic_keys(texts, sort)
    chosen = sorted(keyed) if limit is None else heapq.nsmallest(limit, keyed)
    for _key, _order, (article, column, data, start, end) in chosen:
        plain, ((first, last),) = as_text(data, [(start, end)])
        yield _kwic_line(article, column, plain, first, last, width)


@dataclasses.dataclass(frozen=True)
class _Words:
    """A query of one word or words ORed, as the text writes it: its index terms, every
    form they are written in, and a matcher of those forms."""

    terms: frozenset[str]
    forms: frozenset[str]
    matcher: FormMatcher

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The matches in ``text``: its words whose form is one of the query's and whose
        term is (as the index reads them)."""
        term = morphology().term
        return [
            (start, end)
            for start, end in self.matcher.matches(text)
            if term(text[start:end]) in self.terms
        ]


def _query_words(conn: sqlite3.Connection, query: str) -> _Words | None:
    """:class:`_Words` of a query of one word or words ORed, over complete indexes; else
    None."""
    found = query_forms(conn, query)
    if found is None:
        return None
    terms, forms = found
    return _Words(terms, forms, FormMatcher(forms))


def _kwic_found(
    archive: Archive, query: str, filters: Filters | None, words: _Words
) -> Iterator[tuple[_Article, str, str, _Spans]]:
    """The matching articles' columns with their matches, oldest article first,
    streamed: the first lines read only the first articles."""
    found, params = matching(archive, query, filters)
    sql = (
        "SELECT a.st, a.published_date, a.url, a.title, a.body"
        f" {found} ORDER BY articles_morph.rowid"
    )
    for st, day, url, title, body in streamed(archive, run_matching(archive, query, sql, params)):
        for column, text in (("title", title), ("body", body)):
            spans = words.spans(text) if text else []
            if spans:
                yield (st, day, url), column, text, spans


def _kwic_by_neighbours(
    archive: Archive,
    filters: Filters | None,
    words: _Words,
    *,
    sort: str,
    width: int,
    limit: int,
) -> list[dict[str, Any]] | None:
    """The first ``limit`` lines of a query of words sorted by ``sort`` (``left`` or
    ``right``), reading only the articles the neighbour index puts first
    (:class:`~centrasia_crawler.archive.neighbours.FirstLines`); None when a pass over
    every matching article is cheaper."""
    conn = archive.conn
    if not words.forms:
        return []
    where, params = (filters or Filters()).where()
    keyed: list[tuple[tuple[str, ...], tuple[int, int, int], dict[str, Any]]] = []

    def read_lines(articles: list[int]) -> list[Line]:
        """Make the lines of these articles (those the filters keep): the sort key and
        article of each."""
        made: list[Line] = []
        for st, day, url, title, body in conn.execute(
            "SELECT a.st, a.published_date, a.url, a.title, a.body FROM articles a"
            f" WHERE a.st IN (SELECT value FROM json_each(?)) AND {where}",
            [json.dumps(articles), *params],
        ):
            for place, (column, text) in enumerate((("title", title), ("body", body))):
                if not text:
                    continue
                for start, end in words.spans(text):
                    key = sort_key(text, start, end, sort)
                    line = _kwic_line((st, day, url), column, text, start, end, width)
                    keyed.append((key, (st, place, start), line))
                    made.append((key, st))
        return made

    # An article's lines cost about twice as much read here as in the pass over every
    # matching article: past that share of them, that pass is taken instead.
    most = _matching_at_most(conn, words.terms) // 2
    if not FirstLines(conn, words.forms, sort, limit, read_lines).walk(most):
        return None
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [line for _, _, line in keyed[:limit]]


def _matching_at_most(conn: sqlite3.Connection, terms: frozenset[str]) -> int:
    """At most how many articles hold one of ``terms``: the sum of each term's articles
    in the morphological index's vocabulary."""
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.centrasia_kwic_terms"
        " USING fts5vocab(main, 'articles_morph', 'row')"
    )
    marks = ",".join("?" * len(terms))
    sql = f"SELECT coalesce(sum(doc), 0) FROM temp.centrasia_kwic_terms WHERE term IN ({marks})"
    return int(conn.execute(sql, sorted(terms)).fetchone()[0])


def _as_text(plain: str, spans: _Spans) -> tuple[str, _Spans]:
    """A column already text, its spans in characters."""
    return plain, spans


_Article = tuple[int, str, str]  # st, date, url
_Spans = list[tuple[int, int]]


def _kwic_texts(
    archive: Archive, query: str, filters: Filters | None, exact: bool
) -> Iterator[tuple[_Article, str, str, _Spans]]:
    """The matching articles' highlighted columns, oldest article first, as
    ``(article, column, plain text, [(start, end) of each match])``. The index gives
    its rows in ``st`` order, so they stream: a limit reads only the articles it needs."""
    if exact:
        where, params = (filters or Filters()).where()
        sql = (
            "SELECT a.st, a.published_date, a.url, highlight(articles_fts, 0, ?, ?),"
            " highlight(articles_fts, 1, ?, ?), a.title, a.body"
            " FROM articles_fts f JOIN articles a ON a.st = f.rowid"
            f" WHERE articles_fts MATCH ? AND {where} ORDER BY f.rowid"
        )
        params = [fold_yo(query), *params]
    else:
        found, params = matching(archive, query, filters)
        sql = (
            "SELECT a.st, a.published_date, a.url, highlight(articles_morph, 0, ?, ?),"
            " highlight(articles_morph, 1, ?, ?), NULL, NULL"
            f" {found} ORDER BY articles_morph.rowid"
        )
    marks = [MARK_OPEN, MARK_CLOSE] * 2
    rows = streamed(archive, run_matching(archive, query, sql, [*marks, *params]))
    for st, day, url, title, body, title_as_written, body_as_written in rows:
        if exact:  # the exact index reads the text with ё folded: marks back on the text
            title = marked_as_written(title, title_as_written)
            body = marked_as_written(body, body_as_written)
        for column, text in (("title", title), ("body", body)):
            if text and MARK_OPEN in text:
                plain, spans = marked_spans(text)
                yield (st, day, url), column, plain, spans


def _kwic_words(
    archive: Archive, query: str, filters: Filters | None, matcher: WordMatcher
) -> Iterator[tuple[_Article, str, bytes, _Spans]]:
    """The matching articles' columns as UTF-8, oldest article first, with the byte
    spans of their matches: found by ``matcher``, those of a column it cannot account
    for by ``highlight()``."""
    found, params = matching(archive, query, filters)
    sql = (
        "SELECT a.st, a.published_date, a.url, CAST(a.title AS BLOB), CAST(a.body AS BLOB)"
        f" {found} ORDER BY articles_morph.rowid"
    )
    rows = streamed(archive, run_matching(archive, query, sql, params))
    for st, day, url, title, body in rows:
        for column, data in (("title", title), ("body", body)):
            spans = matcher.spans(st, column, data)
            if spans is None:
                plain, char_spans = _highlighted(archive, query, params[0], st, column)
                data, spans = plain.encode(), _byte_spans(plain, char_spans)
            if spans:
                yield (st, day, url), column, data, spans


def _char_spans(data: bytes, spans: _Spans) -> tuple[str, _Spans]:
    """UTF-8 ``data`` as text, and its byte ``spans`` (in order) as character spans."""
    found, byte, char = [], 0, 0
    for start, end in spans:
        char += len(data[byte:start].decode())
        width = len(data[start:end].decode())
        found.append((char, char + width))
        byte, char = end, char + width
    return data.decode(), found


def _byte_spans(plain: str, spans: _Spans) -> _Spans:
    """Character ``spans`` of ``plain`` (in order) as spans of its UTF-8."""
    found, char, byte = [], 0, 0
    for start, end in spans:
        byte += len(plain[char:start].encode())
        size = len(plain[start:end].encode())
        found.append((byte, byte + size))
        char, byte = end, byte + size
    return found


def _highlighted(
    archive: Archive, query: str, match: str, st: int, column: str
) -> tuple[str, _Spans]:
    """One column of one article highlighted by the index: its text and its matches."""
    sql = (
        f"SELECT highlight(articles_morph, {('title', 'body').index(column)}, ?, ?)"
        " FROM articles_morph WHERE articles_morph MATCH ? AND rowid = ?"
    )
    row = run_matching(archive, query, sql, [MARK_OPEN, MARK_CLOSE, match, st]).fetchone()
    return marked_spans(row[0] or "") if row else ("", [])


def _kwic_keys(
    texts: Iterator[tuple[_Article, str, _Text, _Spans]], sort: str
) -> Iterator[tuple[tuple[str, ...], int, tuple[_Article, str, _Text, int, int]]]:
    """Each match's sort key (read from the column's text or its UTF-8), its place in
    date order, and what makes its line."""
    order = 0
    for article, column, data, spans in texts:
        for start, end in spans:
            yield sort_key(data, start, end, sort), order, (article, column, data, start, end)
            order += 1


def _kwic_line(
    article: _Article, column: str, plain: str, start: int, end: int, width: int
) -> dict[str, Any]:
    st, day, url = article
    return {
        "date": day,
        "st": st,
        "column": column,
        "left": oneline(plain[max(0, start - width) : start]),
        "match": oneline(plain[start:end]),
        "right": oneline(plain[end : end + width]),
        "url": url,
    }


def names_no_article(archive: Archive, column: str, value: str) -> list[str] | None:
    """None if some article has ``value`` as its ``column`` (``source``, which also
    answers to the outlet's name, or ``attribution``), compared as :class:`Filters`
    compares; else the three names of that column closest to it."""
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
