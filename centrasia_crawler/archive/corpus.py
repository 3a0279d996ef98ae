"""Corpus tools: collocates and word lists (``centrasia collocates``, ``centrasia words``).

Both read words as the morphological index does (:mod:`centrasia_crawler.normalize.
morphology`): a *lemma* is an index term (the lemmas of an ambiguous form, joined by
``/``), a *form* is a token in lower case with ё as е, as the exact-form index holds it.

**Collocates.** The *nodes* are the query's matches as the index finds them (FTS5's
``highlight``, as ``kwic`` marks them: a phrase is one node); the *window* is the
``window`` tokens either side of a node, in the same column (title or body), the node's
own tokens left out. A token within the windows of several nodes is counted once. For
each lemma ``y`` near the node ``x``:

* ``cofreq`` ``f(xy)``: its occurrences in the windows;
* ``total`` ``f(y)``: its occurrences in the whole archive (``morph_counts``);
* ``logdice``: ``14 + log2(2 f(xy) / (f(x) + f(y)))``, ``f(x)`` the nodes (Rychlý 2008);
* ``ll``: Dunning's log-likelihood G² (Dunning 1993) of the 2×2 table of ``y`` against
  the other tokens, in the windows (``W`` tokens) and outside them (``N - W``, ``N`` the
  archive's tokens), negative when ``y`` is rarer in the windows than outside them.

With ``by``, each period gets its own ``f(x)``, ``f(xy)`` and ``W``; ``f(y)`` and ``N``
stay the whole archive's (the index keeps no count per period).

**Samples.** On a result of more than ``sample`` articles, a random sample of that many
is read (fixed seed) and the counts read in it are scaled by matched / read (a
co-frequency at most the lemma's total), as an
estimate: ``matched`` and ``sample`` in the result say so. ``sample`` 0 reads them all.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
import json
import math
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from centrasia_crawler.archive.store import Archive

#: Articles read at most on a larger result (0: all).
SAMPLE: Final = 1000
#: The longest n-gram ``words`` counts.
MAX_NGRAM: Final = 3
#: A list's default length.
LIMIT: Final = 50
#: SQLite's limit on a statement's parameters, with room to spare.
_CHUNK: Final = 500


class CorpusError(ValueError):
    """An option the corpus tools cannot take; the message is one line."""


def _stop(term: str) -> bool:
    """A stop word: one of the term's lemmas is on the stop list."""
    from centrasia_crawler.normalize.morphology import JOIN
    from centrasia_crawler.normalize.stopwords import stop_words

    listed = stop_words()
    return any(lemma in listed for lemma in term.split(JOIN))


def _shown(term: str) -> str:
    from centrasia_crawler.normalize.morphology import JOIN

    return term.replace(JOIN, "/")


def log_dice(cofreq: float, node: float, total: float) -> float:
    """Rychlý's logDice: 14 at most, for a pair that only occurs together.

    >>> log_dice(10, 10, 10)
    14.0
    """
    if cofreq <= 0 or node + total <= 0:
        return float("-inf")
    return 14 + math.log2(2 * cofreq / (node + total))


def log_likelihood(o11: float, o12: float, o21: float, o22: float) -> float:
    """Dunning's G² of a 2×2 contingency table (0 log 0 taken as 0).

    >>> round(log_likelihood(10, 0, 0, 10), 3)
    27.726
    """
    n = o11 + o12 + o21 + o22
    if n <= 0:
        return 0.0
    rows, cols = (o11 + o12, o21 + o22), (o11 + o21, o12 + o22)
    g2 = 0.0
    for observed, r, c in ((o11, 0, 0), (o12, 0, 1), (o21, 1, 0), (o22, 1, 1)):
        expected = rows[r] * cols[c] / n
        if observed > 0 and expected > 0:
            g2 += observed * math.log(observed / expected)
    return 2 * g2


# --- the articles a query matches ----------------------------------------------------------


def _matched(archive: Archive, query: str) -> list[tuple[int, str | None]]:
    """``(st, published_date)`` of the articles ``query`` matches, oldest first."""
    from centrasia_crawler.archive.search import matching, run_matching

    found, params = matching(archive, query, indexed_by="articles_meta")
    sql = f"SELECT a.st, a.published_date {found} ORDER BY a.st"
    return [(st, day) for st, day in run_matching(archive, query, sql, params)]


def _matched_sts(archive: Archive, query: str) -> list[int]:
    """The ``st`` of the articles ``query`` matches, in order (their dates unread)."""
    from centrasia_crawler.archive.search import matching, run_matching

    found, params = matching(archive, query, indexed_by="articles_meta")
    sql = f"SELECT a.st {found} ORDER BY a.st"
    return [st for (st,) in run_matching(archive, query, sql, params)]


def _sampled(items: Sequence[Any], sample: int, seed: int = 0) -> list[Any]:
    if sample < 0:
        raise CorpusError(f"sample: {sample} is negative (0 reads every article)")
    if not sample or len(items) <= sample:
        return list(items)
    chosen = sorted(random.Random(seed).sample(range(len(items)), sample))
    return [items[i] for i in chosen]


def _chunks(sts: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(sts), _CHUNK):
        yield list(sts[start : start + _CHUNK])


# --- collocates ----------------------------------------------------------------------------


def _nodes_and_windows(marked: str, window: int) -> tuple[int, list[str]]:
    """The nodes of a highlighted text, and the tokens in their windows (each once).

    Only the text around each node is cut into tokens: an article is long and its
    nodes few.
    """
    from centrasia_crawler.archive.snippets import MARK_CLOSE, MARK_OPEN
    from centrasia_crawler.normalize.morphology import WORD_RE

    spans: list[tuple[int, int]] = []  # where each node's marks stand in ``marked``
    opened = marked.find(MARK_OPEN)
    while opened >= 0:
        closed = marked.find(MARK_CLOSE, opened)
        if closed < 0:
            break
        if WORD_RE.search(marked, opened, closed):
            spans.append((opened, closed))
        opened = marked.find(MARK_OPEN, closed)
    if not spans:
        return 0, []
    opens = [o for o, _ in spans]

    def inside(at: int) -> bool:
        k = bisect.bisect_right(opens, at) - 1
        return k >= 0 and at < spans[k][1]

    near: dict[int, str] = {}
    for opened, closed in spans:
        reach = 16 * window + 32
        while True:  # the ``window`` tokens before the node
            start = max(0, opened - reach)
            before = list(WORD_RE.finditer(marked, start, opened))
            if len(before) > window or start == 0:
                break
            reach *= 4
        for found in before[-window:]:
            near[found.start()] = found[0]
        reach = 16 * window + 32
        while True:  # and after it
            end = min(len(marked), closed + 1 + reach)
            after = list(itertools.islice(WORD_RE.finditer(marked, closed + 1, end), window + 1))
            if len(after) > window or end == len(marked):
                break
            reach *= 4
        for found in after[:window]:
            near[found.start()] = found[0]
    return len(spans), [token for at, token in near.items() if not inside(at)]


class _Tally:
    """One period's (or the whole result's) node, window and co-occurrence counts."""

    def __init__(self) -> None:
        self.nodes = 0
        self.window = 0
        self.articles = 0
        self.cofreq: Counter[str] = Counter()


def collocates(
    archive: Archive,
    query: str,
    *,
    window: int = 5,
    by: str | None = None,
    min_count: int = 3,
    stop_words: bool = False,
    limit: int | None = LIMIT,
    sort: str = "logdice",
    sample: int = SAMPLE,
) -> dict[str, Any]:
    """The lemmas near ``query``'s matches (see the module's note for the measures):
    ``{"query", "window", "matched", "sample", "nodes", "collocates": [{"period"?,
    "lemma", "cofreq", "total", "logdice", "ll"}]}``, best first by ``sort``
    (``logdice`` or ``ll``), at least ``min_count`` co-occurrences each (as read in
    the sample), ``limit`` a period (None: all); stop words left out unless
    ``stop_words``."""
    from centrasia_crawler.archive.attention import archive_tokens
    from centrasia_crawler.archive.snippets import MARK_CLOSE, MARK_OPEN
    from centrasia_crawler.normalize.morphology import morphology
    from centrasia_crawler.normalize.periods import as_period, period_of

    if window < 1:
        raise CorpusError(f"window: {window} must be 1 or more")
    if min_count < 1:
        raise CorpusError(f"min: {min_count} must be 1 or more")
    if sort not in ("logdice", "ll"):
        raise CorpusError(f"sort: {sort!r} is not one of logdice, ll")
    period = as_period(by) if by is not None else None
    matched = _matched(archive, query)
    read = _sampled(matched, sample)
    scale = len(matched) / len(read) if read else 1.0
    day_of = dict(read)
    morph = morphology()
    tallies: dict[str, _Tally] = {}
    translated = _translated(archive, query)
    # One pass over the matches, highlighting only the articles read: asked for a few
    # rowids at a time, FTS5 would evaluate the query again for each.
    wanted = "rowid IN (SELECT value FROM json_each(?))"
    sql = (
        f"SELECT rowid, CASE WHEN {wanted} THEN highlight(articles_morph, 0, ?, ?) END,"
        f" CASE WHEN {wanted} THEN highlight(articles_morph, 1, ?, ?) END"
        " FROM articles_morph WHERE articles_morph MATCH ?"
    )
    sts = json.dumps(sorted(day_of))
    for st, title, body in archive.conn.execute(
        sql, [sts, MARK_OPEN, MARK_CLOSE, sts, MARK_OPEN, MARK_CLOSE, translated]
    ):
        if st not in day_of:
            continue
        day = day_of[st]
        label = ""
        if period is not None:
            label = period_of(dt.date.fromisoformat(day), period) if day else "undated"
        tally = tallies.setdefault(label, _Tally())
        tally.articles += 1
        for text in (title, body):
            spans, near = _nodes_and_windows(text or "", window)
            tally.nodes += spans
            tally.window += len(near)
            tally.cofreq.update(morph.term(token) for token in near)
    total_tokens = archive_tokens(archive.conn)
    candidates = {
        term
        for tally in tallies.values()
        for term, n in tally.cofreq.items()
        if n >= min_count and (stop_words or not _stop(term))
    }
    totals = _term_counts(archive, candidates)
    rows: list[dict[str, Any]] = []
    for label in sorted(tallies):
        tally = tallies[label]
        found = []
        nodes, in_windows = tally.nodes * scale, tally.window * scale
        for term, n in tally.cofreq.items():
            if term not in candidates or n < min_count:
                continue
            counted = totals.get(term, 0)
            cofreq = min(n * scale, float(counted)) if scale != 1 else float(n)
            total = max(float(counted), cofreq)
            ll = log_likelihood(
                cofreq,
                in_windows - cofreq,
                total - cofreq,
                max(total_tokens - in_windows - (total - cofreq), 0),
            )
            if total_tokens and cofreq < in_windows * total / total_tokens:
                ll = -ll  # rarer near the node than apart
            row: dict[str, Any] = {} if period is None else {"period": label}
            row.update(
                lemma=_shown(term),
                cofreq=round(cofreq, 1) if scale != 1 else n,
                total=counted,
                logdice=round(log_dice(cofreq, nodes, total), 3),
                ll=round(ll, 3),
            )
            found.append(row)
        found.sort(key=lambda r: (-r[sort], r["lemma"]))
        rows.extend(found if limit is None else found[:limit])
    all_nodes = sum(t.nodes for t in tallies.values())
    return {
        "query": query,
        "window": window,
        "matched": len(matched),
        "sample": len(read),
        "nodes": round(all_nodes * scale, 1) if scale != 1 else all_nodes,
        "collocates": rows,
    }


def _translated(archive: Archive, query: str) -> str:
    from centrasia_crawler.archive.search_query import QueryTranslator

    return QueryTranslator(archive.conn).translate(query)


def _term_counts(archive: Archive, terms: Iterable[str]) -> dict[str, int]:
    """Each term's occurrences in the whole archive (``morph_counts``)."""
    wanted = sorted(set(terms))
    counts: dict[str, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        counts.update(
            archive.conn.execute(
                f"SELECT term, occurrences FROM morph_counts WHERE term IN ({marks})", chunk
            ).fetchall()
        )
    return counts


# --- word lists and n-grams ----------------------------------------------------------------


def words(
    archive: Archive,
    query: str | None = None,
    *,
    ngrams: int = 1,
    by: str = "lemma",
    stop_words: bool = False,
    limit: int | None = LIMIT,
    sample: int = SAMPLE,
) -> dict[str, Any]:
    """A frequency list of the archive's words (or of ``query``'s articles):
    ``{"query", "ngrams", "by", "articles", "sample", "tokens", "words": [{"word",
    "count", "per_million"}]}``, most frequent first (ties by the word). ``ngrams``: 1
    to 3 words in a row (within a column); ``by``: ``lemma`` or ``form``; stop words
    (an n-gram beginning or ending with one) left out unless ``stop_words``.

    The whole archive's lemmas, one at a time, are the counts the index keeps
    (``morph_counts``), exact; anything else is counted in the articles read (a sample,
    scaled, on more than ``sample`` articles)."""
    from centrasia_crawler.archive.attention import archive_tokens
    from centrasia_crawler.normalize.morphology import DECIMAL

    if not 1 <= ngrams <= MAX_NGRAM:
        raise CorpusError(f"ngrams: {ngrams} is not between 1 and {MAX_NGRAM}")
    if by not in ("lemma", "form"):
        raise CorpusError(f"by: {by!r} is not one of lemma, form")
    conn = archive.conn
    if query is None:
        sts = [row[0] for row in conn.execute("SELECT st FROM articles ORDER BY st")]
    else:
        sts = _matched_sts(archive, query)
    if query is None and ngrams == 1 and by == "lemma":
        counts: Counter[str] = Counter(
            dict(
                conn.execute(
                    "SELECT term, occurrences FROM morph_counts WHERE occurrences > 0"
                    " AND term != ?",
                    (DECIMAL,),
                )
            )
        )
        read, tokens, scale = sts, archive_tokens(conn), 1.0
    else:
        read = _sampled(sts, sample)
        scale = len(sts) / len(read) if read else 1.0
        counts, tokens = _count_ngrams(archive, read, ngrams, by)
    keep = (lambda gram: True) if stop_words else _not_stopped(by)
    kept = ((gram, n) for gram, n in counts.items() if keep(gram))
    # The first ``limit`` of the whole order, without sorting the rest.
    ranked = (
        sorted(kept, key=_most_first)
        if limit is None
        else heapq.nsmallest(limit, kept, key=_most_first)
    )
    return {
        "query": query,
        "ngrams": ngrams,
        "by": by,
        "articles": len(sts),
        "sample": len(read),
        "tokens": tokens if scale == 1 else round(tokens * scale),
        "words": [
            {
                "word": _shown(gram),
                "count": n if scale == 1 else round(n * scale, 1),
                "per_million": round(n * 1e6 / tokens, 2) if tokens else 0.0,
            }
            for gram, n in ranked
        ],
    }


def _most_first(item: tuple[str, float]) -> tuple[float, str]:
    """A word list's order: the most frequent first, ties by the word."""
    return -item[1], item[0]


def _not_stopped(by: str) -> Any:
    from centrasia_crawler.normalize.stopwords import stop_words

    listed = stop_words()

    def keep(gram: str) -> bool:
        parts = gram.split(" ")
        ends = {parts[0], parts[-1]}
        if by == "form":
            return not ends & listed
        return not any(_stop(part) for part in ends)

    return keep


def _count_ngrams(
    archive: Archive, sts: Sequence[int], n: int, by: str
) -> tuple[Counter[str], int]:
    """The n-grams of these articles (title and body apart), and their tokens."""
    from centrasia_crawler.normalize.morphology import DECIMAL, morphology, surface, word_list

    # Each written word is read once (its term or its form), not at each occurrence; a
    # word whose term is the index's placeholder after a decimal is no lemma. A form
    # needs no analyser.
    read = morphology().term if by == "lemma" else surface
    placeholder = DECIMAL if by == "lemma" else None
    as_read: dict[str, str] = {}
    counts: Counter[str] = Counter()
    written: Counter[str] = Counter()
    # N-grams are counted as tuples of the words read (whose hashes each word keeps) and
    # joined once each at the end.
    grams: Counter[tuple[str, ...]] = Counter()
    tokens = 0
    for chunk in _chunks(sts):
        marks = ",".join("?" * len(chunk))
        for title, body in archive.conn.execute(
            f"SELECT title, body FROM articles WHERE st IN ({marks})", chunk
        ):
            for text in (title or "", body or ""):
                found = word_list(text)
                if n == 1:
                    written.update(found)
                    continue
                for word in set(found).difference(as_read):
                    as_read[word] = read(word)
                seq = list(map(as_read.__getitem__, found))
                if placeholder is not None:
                    seq = [t for t in seq if t != placeholder]
                tokens += len(seq)
                grams.update(zip(*(seq[i:] for i in range(n)), strict=False))
    joined = dict(zip(map(" ".join, grams), grams.values(), strict=True))
    if len(joined) == len(grams):
        counts.update(joined)
    else:  # two n-grams read as the same words
        for gram, times in grams.items():
            counts[" ".join(gram)] += times
    for word, times in written.items():
        term = read(word)
        if term != placeholder:
            counts[term] += times
            tokens += times
    return counts, tokens
