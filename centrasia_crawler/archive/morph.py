"""The morphological index: keeping it up to date with the articles.

``articles_morph`` is an FTS5 table over ``articles`` (``content="articles"``, so
sqlite-utils and Datasette find it as the articles' index) whose text is each word's
term (:mod:`centrasia_crawler.normalize.morphology`): one term per word, so positions,
phrases, ``NEAR``, bm25 and snippets work as on the text, and snippets show the words
as the article spells them. ``morph_terms`` lists, for each term made of several lemmas,
the lemmas it stands for; a query word becomes every term that shares a lemma with it
(:mod:`centrasia_crawler.archive.search_query`).
``morph_counts`` keeps each term's occurrences in the archive (for ``centrasia terms``),
and ``articles_morph_forms`` each written form's, with its term: a prefix query is matched
against the forms as written (:func:`prefix_terms`), since a term need not begin with
the letters of its form (``ташиевым`` is ``ташиевǀташиевым``, ``был`` is ``быть``).

The index is written with the article, in the same transaction. It depends on the
morphology's version: when that changes, the next writable open re-indexes every
article, a batch per transaction, resuming where a killed run stopped.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Final

from centrasia_crawler import workers
from centrasia_crawler.archive import meta
from centrasia_crawler.archive.neighbours import neighbour_text
from centrasia_crawler.archive.transactions import immediate
from centrasia_crawler.normalize.morphology import (
    DECIMAL,
    JOIN,
    PERCENT,
    TOKEN_RE,
    Morphology,
    morphology,
)
from centrasia_crawler.normalize.text import fold_yo

_BATCH: Final = 2000
#: The letters the index's terms are built with, which no written form has.
_MARKS: Final = frozenset((JOIN, DECIMAL, PERCENT))


# --- keeping the index ----------------------------------------------------------------


def index_ready(conn: sqlite3.Connection) -> bool:
    """Whether every article is in the morphological index (of today's morphology)."""
    return meta.get(conn, "morph_version") == Morphology.version()


def index_outdated(conn: sqlite3.Connection) -> str | None:
    """Why the search index needs rebuilding over the archive's articles (the morphology
    or its dictionary changed, or a rebuild was left half-way), or None: an empty
    archive, or an index of today's morphology, needs nothing."""
    version = Morphology.version()
    built = meta.get(conn, "morph_version")
    if built == version or conn.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is None:
        return None
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    if built is None and meta.get(conn, "morph_building"):
        return f"its search index is being rebuilt for {version} ({articles:,} articles)"
    if built is None:  # an upgrade of the schema added to the index
        plural = "" if articles == 1 else "s"
        return f"its search index is to be rebuilt for this schema ({articles:,} article{plural})"
    return f"its search index was built with {built}, this install has {version}"


def indexed_upto(conn: sqlite3.Connection) -> int | None:
    """While the index is being built, the last ``st`` in it; None when it is complete."""
    return None if index_ready(conn) else _building_upto(conn)


def _building_upto(conn: sqlite3.Connection) -> int:
    """How far the index being built got (-1: not started)."""
    return int(meta.get(conn, "morph_indexed_upto") or -1)


def _vocabulary(terms: Iterable[str]) -> list[tuple[str, str]]:
    return [(lemma, term) for term in terms if JOIN in term for lemma in term.split(JOIN)]


@dataclass
class Indexed:
    """Articles as the index reads them: ``(st, title, body)`` in index terms, and
    each ``(form, term)`` of their words with its occurrences in them all."""

    rows: list[tuple[int, str, str]]
    forms: dict[tuple[str, str], int]
    #: ``(st, text)`` of the neighbour index (:mod:`centrasia_crawler.archive.neighbours`).
    neighbours: list[tuple[int, str]]


def index_rows(rows: Sequence[tuple[int, str, str]]) -> Indexed:
    """``(st, title, body)`` as the index reads them (pure: runs in worker processes)."""
    morph = morphology()
    out, neighbours = [], []
    words: Counter[str] = Counter()
    for st, title, body in rows:
        title_terms, title_words = morph.index(title)
        body_terms, body_words = morph.index(body)
        words.update(title_words)
        words.update(body_words)
        out.append((st, title_terms, body_terms))
        neighbours.append((st, neighbour_text(title, body)))
    forms: dict[tuple[str, str], int] = {}
    for word, n in words.items():  # once a word, not once an article
        key = morph.written(word)
        forms[key] = forms.get(key, 0) + n
    return Indexed(out, forms, neighbours)


def _store(conn: sqlite3.Connection, indexed: Indexed, *, delete: bool = False) -> None:
    """Write (or take out) indexed articles: the FTS rows (and the neighbour index's),
    the vocabulary of ambiguous terms, each term's occurrences in ``morph_counts`` and
    each form's in ``articles_morph_forms``."""
    if not indexed.rows:
        return
    counts: Counter[str] = Counter()
    for _, title, body in indexed.rows:
        counts.update(title.split())
        counts.update(body.split())
    rows, forms = indexed.rows, indexed.forms
    if delete:
        conn.executemany(
            "INSERT INTO articles_morph (articles_morph, rowid, title, body)"
            " VALUES ('delete', ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO articles_kwic (articles_kwic, rowid, pairs) VALUES ('delete', ?, ?)",
            indexed.neighbours,
        )
        conn.executemany(
            "UPDATE morph_counts SET occurrences = occurrences - ? WHERE term = ?",
            [(n, term) for term, n in counts.items()],
        )
        conn.executemany(
            "UPDATE articles_morph_forms SET occurrences = occurrences - ?"
            " WHERE form = ? AND term = ?",
            [(n, form, term) for (form, term), n in forms.items()],
        )
        return
    conn.executemany("INSERT INTO articles_morph (rowid, title, body) VALUES (?, ?, ?)", rows)
    conn.executemany("INSERT INTO articles_kwic (rowid, pairs) VALUES (?, ?)", indexed.neighbours)
    conn.executemany(
        "INSERT OR IGNORE INTO morph_terms (lemma, term) VALUES (?, ?)", _vocabulary(counts)
    )
    conn.executemany(
        "INSERT INTO morph_counts (term, occurrences) VALUES (?, ?) ON CONFLICT (term)"
        " DO UPDATE SET occurrences = occurrences + excluded.occurrences",
        counts.items(),
    )
    conn.executemany(
        "INSERT INTO articles_morph_forms (form, term, occurrences) VALUES (?, ?, ?)"
        " ON CONFLICT (form, term) DO UPDATE SET occurrences = occurrences + excluded.occurrences",
        [(form, term, n) for (form, term), n in forms.items()],
    )


def index_articles(
    conn: sqlite3.Connection,
    rows: Sequence[tuple[int, str, str]],
    *,
    delete: bool = False,
) -> None:
    """Add ``(st, title, body)`` to the index, or with ``delete`` take them out (with the
    text they were indexed with). Runs inside the caller's transaction."""
    _store(conn, index_rows(rows), delete=delete)


def _workers() -> int:
    return min(workers.cores(), 4)


def build_index(conn: sqlite3.Connection, progress: Callable[[str], None] | None = None) -> int:
    """Bring the index up to date with today's morphology; the articles indexed.

    Each batch is one transaction that also records how far the index got, so a run
    killed half-way leaves an archive that opens, and the next run carries on. On a
    large archive the words are read in worker processes (one per core, a few batches
    ahead: :func:`centrasia_crawler.workers.ordered_map`) while this process writes;
    each batch is checked against the articles as they are when it is written (a crawl
    may have added or changed some meanwhile).
    """
    version = Morphology.version()
    if meta.get(conn, "morph_version") == version:
        return 0
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    with immediate(conn):
        if meta.get(conn, "morph_building") != version:  # start afresh
            conn.execute("INSERT INTO articles_morph (articles_morph) VALUES ('delete-all')")
            conn.execute("INSERT INTO articles_kwic (articles_kwic) VALUES ('delete-all')")
            conn.execute("DELETE FROM morph_terms")
            conn.execute("DELETE FROM morph_counts")
            conn.execute("DELETE FROM articles_morph_forms")
            meta.put(conn, "morph_version", None)
            meta.put(conn, "morph_building", version)
            meta.put(conn, "morph_indexed_upto", "-1")
    total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]

    def report(last: int) -> None:
        if total > _BATCH:
            row = conn.execute("SELECT count(*) FROM articles WHERE st <= ?", (last,))
            indexed = row.fetchone()[0]
            say(f"centrasia: indexing words for search: {indexed:,} of {total:,} articles")

    done = 0
    while True:
        written, interrupted = _index_pass(conn, report)
        done += written
        if not interrupted and _finish(conn, version):
            return done


def _batches(conn: sqlite3.Connection, after: int) -> Iterator[list[tuple[int, str, str]]]:
    """The articles past ``after``, a batch at a time (each read when it is asked for)."""
    while True:
        rows = conn.execute(
            "SELECT st, title, body FROM articles WHERE st > ? ORDER BY st LIMIT ?",
            (after, _BATCH),
        ).fetchall()
        if not rows:
            return
        after = rows[-1][0]
        yield rows


def _index_pass(conn: sqlite3.Connection, report: Callable[[int], None]) -> tuple[int, bool]:
    """Index the articles past how far the index got, a batch per transaction: the
    articles written, and whether another process indexed some meanwhile (then the
    caller starts again from where that one got)."""
    upto = _building_upto(conn)
    left = conn.execute("SELECT count(*) FROM articles WHERE st > ?", (upto,)).fetchone()[0]
    jobs = _workers() if left > 2 * _BATCH else 1
    written = 0
    results = workers.ordered_map(index_rows, _batches(conn, upto), workers=jobs)
    with closing(results):  # leaving early shuts the workers down at once
        for rows, indexed in results:
            stored = _write_indexed(conn, rows, indexed)
            if stored is None:
                return written, True
            written += stored
            report(rows[-1][0])
    return written, False


def _write_indexed(
    conn: sqlite3.Connection, rows: list[tuple[int, str, str]], indexed: Indexed
) -> int | None:
    """Store one indexed batch and how far the index got, in one transaction; the
    articles written, or None when another process indexed these meanwhile."""
    first, last = rows[0][0], rows[-1][0]
    with immediate(conn):
        upto = _building_upto(conn)
        if upto >= first:
            return None  # nothing written: the transaction commits nothing
        read = {st: (title, body) for st, title, body in rows}
        now = conn.execute(
            "SELECT st, title, body FROM articles WHERE st > ? AND st <= ?", (upto, last)
        ).fetchall()
        stale = [row for row in now if read.get(row[0]) != (row[1], row[2])]
        if stale:  # added or changed since they were read: index them as they are
            indexed = index_rows(now)
        _store(conn, indexed)
        meta.put(conn, "morph_indexed_upto", str(last))
    return len(now)


def _finish(conn: sqlite3.Connection, version: str) -> bool:
    """Mark the index complete, unless a crawl added articles past it meanwhile."""
    with immediate(conn):
        if conn.execute(
            "SELECT 1 FROM articles WHERE st > ? LIMIT 1", (_building_upto(conn),)
        ).fetchone():
            return False  # nothing written: the transaction commits nothing
        meta.put(conn, "morph_version", version)
        meta.put(conn, "morph_building", None)
        meta.put(conn, "morph_indexed_upto", None)
    return True


# --- prefixes ---------------------------------------------------------------------------


def _plain_token(prefix: str) -> bool:
    """Whether FTS5 reads ``prefix`` as the start of one token of letters and digits,
    none of them the index's own marks (``1,6`` is two tokens, ``1ǂ6`` an index term)."""
    return TOKEN_RE.fullmatch(prefix) is not None and not (set(prefix) & _MARKS)


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """The range of forms that start with ``prefix`` (already folded), for ``>= AND <``."""
    return prefix, prefix + "\U0010ffff"


@dataclass
class Prefix:
    """What a prefix stands for in the index: with ``native``, every term that begins
    with its letters (FTS5's own prefix query, exact when every form of those terms
    begins so too), and ``terms``, the terms of the forms beginning with it that are
    not among those (all of them without ``native``); ``shared``: those of ``terms``
    that forms not beginning so share too (searched, such a term would also find the
    articles that only have those: ``стан*`` would find ``стал`` through ``стать``).
    More than the limit asked for: ``terms`` is cut there, one past it."""

    native: bool
    terms: list[str]
    shared: list[str]


def prefix_terms(conn: sqlite3.Connection, prefix: str, limit: int) -> Prefix:
    """The index terms that stand for the forms the archive writes beginning with
    ``prefix`` (any case, ё as е): see :class:`Prefix`."""
    low, high = prefix_bounds(fold_yo(prefix.lower()))
    spilled = (
        not _plain_token(low)
        or conn.execute(  # a term beginning so that some form not beginning so has
            "SELECT 1 FROM articles_morph_forms WHERE term >= ? AND term < ? AND occurrences > 0"
            " AND NOT (form >= ? AND form < ?) LIMIT 1",
            (low, high, low, high),
        ).fetchone()
        is not None
    )
    native = not spilled
    outside = " AND NOT (term >= ? AND term < ?)" if native else ""
    terms = [
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT term FROM articles_morph_forms"
            f" WHERE form >= ? AND form < ? AND occurrences > 0{outside} LIMIT ?",
            (low, high, *((low, high) if native else ()), limit + 1),
        )
    ]
    if len(terms) > limit:
        return Prefix(native, terms, [])
    shared = [
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT term FROM articles_morph_forms"
            " WHERE term IN (SELECT value FROM json_each(?)) AND occurrences > 0"
            " AND NOT (form >= ? AND form < ?)",
            (json.dumps(terms, ensure_ascii=False), low, high),
        )
    ]
    return Prefix(native, sorted(terms), sorted(shared))
