"""The neighbour index: the words beside each word, for a concordance sorted by its
context without reading every matching article.

A concordance line sorts by the words right of its match (``right``) or left of it,
nearest first (``left``): :data:`SORT_WORDS` whole words of the same column, each
folded as a form is (:func:`~centrasia_crawler.normalize.morphology.surface`: lower
case, ё as е, no stress marks). ``articles_kwic`` holds, for each article, a token
``word>next`` and a token ``word<previous`` for every word of its title and body
(``word>`` and ``word<`` where the column ends), words as :data:`TOKEN_RE` cuts them
and folded so. It is contentless and keeps no positions (``detail=none``): it says
which articles have a word followed, or preceded, by another, and FTS5 keeps its terms
in order, so the articles where a form stands before the alphabetically first words
are the first rows of a range of its vocabulary.

:func:`candidates` walks those ranges for the forms of a query, the next (or previous)
word in order, and stops once the articles it has seen hold at least the lines asked
for: every line it did not see sorts after all of those (its first key word is later).
The caller reads only those articles, makes their lines and checks that claim.

The index is written with the morphological index (:mod:`centrasia_crawler.archive.morph`),
in the same transaction, and taken out with the text it was written with.
"""

from __future__ import annotations

import bisect
import heapq
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from centrasia_crawler.normalize.morphology import TOKEN_RE, surface

#: The words a concordance line sorts by, on the side its sort reads: AntConc's
#: default sort levels (1R, 2R, 3R; 1L, 2L, 3L).
SORT_WORDS: Final = 3
#: What joins a word to the next one, and to the previous one, in a token of the index.
NEXT: Final = ">"
PREVIOUS: Final = "<"
#: The instances of the index's terms: ``(term, doc)`` (no column or offset are kept).
_VOCAB: Final = "temp.centrasia_kwic_vocab"
_VOCAB_SQL: Final = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {_VOCAB}"
    " USING fts5vocab(main, 'articles_kwic', 'instance')"
)


@dataclass(frozen=True)
class Words:
    """The tokens of a column (:data:`TOKEN_RE`, as the search index cuts them): where
    each starts and ends, and each folded."""

    starts: list[int]
    ends: list[int]
    folded: list[str]

    def key(self, start: int, end: int, sort: str) -> tuple[str, ...]:
        """The words a match from ``start`` to ``end`` sorts by: the :data:`SORT_WORDS`
        words after it (``right``), or before it, nearest first (``left``)."""
        if sort == "right":
            first = bisect.bisect_left(self.starts, end)
            return tuple(self.folded[first : first + SORT_WORDS])
        last = bisect.bisect_right(self.ends, start)
        return tuple(reversed(self.folded[max(0, last - SORT_WORDS) : last]))


def words(text: str) -> Words:
    """The tokens of ``text``, folded as forms are (lower case, ё as е, no stress
    marks)."""
    found = list(TOKEN_RE.finditer(text))
    return Words(
        [m.start() for m in found], [m.end() for m in found], [surface(m.group()) for m in found]
    )


def neighbour_text(*columns: str | None) -> str:
    """The index's text for an article's columns: for each word, ``word>next`` and
    ``word<previous`` (nothing after the mark at a column's end or start), each token
    once."""
    tokens: dict[str, None] = {}
    folds: dict[str, str] = {}
    for text in columns:
        found = []
        for token in TOKEN_RE.findall(text or ""):
            word = folds.get(token)
            if word is None:
                word = folds[token] = surface(token)
            found.append(word)
        for before, word, after in zip(["", *found], found, [*found[1:], ""], strict=False):
            tokens[f"{word}{NEXT}{after}"] = None
            tokens[f"{word}{PREVIOUS}{before}"] = None
    return " ".join(tokens)


def _ranges(
    conn: sqlite3.Connection, forms: frozenset[str], mark: str
) -> Iterator[tuple[str, int]]:
    """``(neighbour, article)`` of every ``form<mark>neighbour`` token of ``forms``,
    neighbours in order (each form's range of the vocabulary, merged)."""
    conn.execute(_VOCAB_SQL)
    above = chr(ord(mark) + 1)

    def one(form: str) -> Iterator[tuple[str, int]]:
        skip = len(form) + 1
        cursor = conn.execute(
            f"SELECT term, doc FROM {_VOCAB} WHERE term >= ? AND term < ?",
            (form + mark, form + above),
        )
        for term, doc in cursor:
            yield term[skip:], doc

    return heapq.merge(*(one(form) for form in sorted(forms)))


def candidates(
    conn: sqlite3.Connection, forms: frozenset[str], sort: str
) -> Iterator[tuple[str, list[int]]]:
    """The articles where one of ``forms`` (folded) stands beside a word, for each such
    word in order: ``(word, articles)``, the next words (``right``) or the previous ones
    (``left``), from the alphabetically first (the empty word: a column's end or start).
    The caller stops when it has enough."""
    mark = NEXT if sort == "right" else PREVIOUS
    word: str | None = None
    group: list[int] = []
    for neighbour, doc in _ranges(conn, forms, mark):
        if neighbour != word:
            if word is not None:
                yield word, group
            word, group = neighbour, []
        group.append(doc)
    if word is not None:
        yield word, group
