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
import itertools
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from centrasia_crawler.normalize.morphology import NOT_PLAIN_RE, TOKEN_RE, surface
from centrasia_crawler.normalize.text import fold_yo

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


#: A token of a plain text (no underscore, combining mark or private-use letter): a run
#: of ``\w``, which ``re`` scans in C.
_PLAIN_TOKEN_RE: Final = re.compile(r"\w+")


class Column:
    """A column's text, read for its matches and their sort words. A plain text (one
    whose lower case, ё as е, is as long as it, with no underscore, combining mark or
    private-use letter) is read folded whole, its tokens by a regular expression and
    only about the matches; any other is cut into folded tokens (:func:`words`)."""

    def __init__(self, text: str) -> None:
        self.text = text
        folded = fold_yo(text.lower())
        plain = len(folded) == len(text) and NOT_PLAIN_RE.search(text) is None
        self.folded: str | None = folded if plain else None
        self._words: Words | None = None if plain else words(text)

    def matches(
        self, forms: re.Pattern[str], folded_forms: frozenset[str]
    ) -> list[tuple[int, int]]:
        """``(start, end)`` of each token whose folded form is one of ``folded_forms``
        (``forms``: a pattern of them, whole tokens, for plain texts)."""
        if self.folded is not None:
            return [m.span() for m in forms.finditer(self.folded)]
        assert self._words is not None
        cut = self._words
        return [
            (cut.starts[i], cut.ends[i])
            for i, form in enumerate(cut.folded)
            if form in folded_forms
        ]

    def key(self, start: int, end: int, sort: str) -> tuple[str, ...]:
        """:meth:`Words.key` of a match from ``start`` to ``end``."""
        if self._words is not None:
            return self._words.key(start, end, sort)
        assert self.folded is not None
        if sort == "right":
            found = _PLAIN_TOKEN_RE.finditer(self.folded, end)
            return tuple(m.group() for m in itertools.islice(found, SORT_WORDS))
        reach = 64
        while True:  # a window wide enough for the words wanted and one more (maybe cut)
            first = max(0, start - reach)
            before = _PLAIN_TOKEN_RE.findall(self.folded, first, start)
            if first == 0 or len(before) > SORT_WORDS:
                return tuple(reversed(before[-SORT_WORDS:]))
            reach *= 4


def forms_pattern(forms: frozenset[str]) -> re.Pattern[str]:
    """Whole tokens that are one of ``forms`` (folded), in a folded plain text."""
    longest_first = sorted(forms, key=lambda form: (-len(form), form))
    return re.compile(r"\b(?:" + "|".join(map(re.escape, longest_first)) + r")\b")


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
