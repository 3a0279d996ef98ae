"""Where a query of words matches in an article's text, found without the index's
``highlight()``: the concordance's way to every match of a broad word.

``highlight()`` re-reads each matching article through the tokenizer and the index;
over most of the archive that is what a concordance sorted by its context costs. A word
of the query stands for a set of index terms (:class:`QueryTranslator`), and
``articles_morph_forms`` lists every form the archive writes each term in. A regular
expression of those forms finds the tokens that may be one of them (in the text as
stored, lower case or capitalised, when the forms share a beginning; else in the
lower-cased, ё-folded text), and the morphology the index was built with keeps those
whose term is one of the query's. Tokens are the index's
(:data:`~centrasia_crawler.normalize.morphology.TOKEN_RE`), so the spans are the ones
``highlight()`` marks. The index itself says how many matches each column of each
article has (``fts5vocab``'s instances of the terms): a column where fewer are found
(a form written in capitals, with ё, with a stress mark) is given no spans, and its
reader asks ``highlight()`` for that one column.

A query of another shape (a phrase, ``NEAR``, a prefix, a column filter, ``NOT``, a
number) gets no :class:`WordMatcher`: its reader takes ``highlight()`` throughout.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from typing import Final

from centrasia_crawler.archive.morph import index_ready
from centrasia_crawler.archive.search_query import COLUMNS, Group, Phrase, QueryTranslator
from centrasia_crawler.normalize.morphology import TOKEN_RE, morphology
from centrasia_crawler.normalize.text import fold_yo

#: One character of a token, as the index's tokenizer reads it.
_TOKEN_CHAR: Final = TOKEN_RE.pattern.removesuffix("+")
_CHAR_RE: Final = re.compile(_TOKEN_CHAR)
#: The instances of the index's terms: ``(term, doc, col, offset)``.
_VOCAB: Final = "temp.centrasia_concordance_vocab"
_VOCAB_SQL: Final = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {_VOCAB}"
    " USING fts5vocab(main, 'articles_morph', 'instance')"
)


class WordMatcher:
    """The spans of a text's tokens whose index term is one of ``terms``, given every
    form those terms are written in, and how many each article's columns hold."""

    def __init__(
        self, terms: frozenset[str], forms: frozenset[str], counts: dict[tuple[int, str], int]
    ) -> None:
        self.terms = terms
        self.forms = forms
        #: ``(st, column)`` -> how many tokens of the terms the index holds there.
        self.counts = counts
        self._term: Callable[[str], str] = morphology().term
        common = _common_beginning(forms)
        tails = "|".join(re.escape(form[len(common) :]) for form in _longest_first(forms))
        end = f"(?!{_TOKEN_CHAR})"
        self._first: frozenset[str] | None = None
        if len(common) >= 2:
            # The text as stored: the beginning's first letter, either case, stands
            # before a literal the engine searches for fast.
            first = common[0]
            self._first = frozenset({first, first.upper()})
            self._pattern = re.compile(re.escape(common[1:]) + f"(?:{tails}){end}")
        else:
            self._pattern = re.compile(re.escape(common) + f"(?:{tails}){end}")

    def spans(self, st: int, column: str, text: str | None) -> list[tuple[int, int]] | None:
        """``(start, end)`` of each match in ``text`` (article ``st``'s ``column``),
        in order; None when fewer are found than the index holds."""
        expected = self.counts.get((st, column), 0)
        if not expected or not text:
            return [] if not expected else None
        found = self._stored(text) if self._first is not None else self._folded(text)
        return found if found is not None and len(found) == expected else None

    def _stored(self, text: str) -> list[tuple[int, int]]:
        found = []
        first, term, terms, char = self._first, self._term, self.terms, _CHAR_RE.match
        assert first is not None
        for match in self._pattern.finditer(text):
            start, end = match.span()
            start -= 1
            if start < 0 or text[start] not in first or (start and char(text, start - 1)):
                continue
            if term(text[start:end]) in terms:
                found.append((start, end))
        return found

    def _folded(self, text: str) -> list[tuple[int, int]] | None:
        low = text.lower()
        if len(low) != len(text):
            return None  # the offsets would not be the text's
        low = fold_yo(low)
        found = []
        term, terms, char = self._term, self.terms, _CHAR_RE.match
        for match in self._pattern.finditer(low):
            start, end = match.span()
            if start and char(low, start - 1):
                continue
            if term(text[start:end]) in terms:
                found.append((start, end))
        return found


def _longest_first(forms: frozenset[str]) -> list[str]:
    return sorted(forms, key=lambda form: (-len(form), form))


def _common_beginning(forms: frozenset[str]) -> str:
    ordered = sorted(forms)
    first, last = ordered[0], ordered[-1]
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


def query_terms(translator: QueryTranslator, query: str) -> frozenset[str] | None:
    """The index terms of a query that is one word or words ORed (an ``@Name`` of
    one-word names among them), else None."""
    tree = translator.parse(query)
    parts = tree.parts if isinstance(tree, Group) and tree.op == "OR" else [tree]
    terms: set[str] = set()
    for part in parts:
        if not isinstance(part, Phrase) or part.prefix or part.text.rstrip().endswith("*"):
            return None
        words = part.words()
        if len(words) != 1 or any(ch.isdigit() for ch in words[0]):
            return None
        (choice,) = translator.choices(part)
        terms.update(choice)
    return frozenset(terms)


def word_matcher(conn: sqlite3.Connection, query: str) -> WordMatcher | None:
    """The matcher of a query that is one word or words ORed, over a complete index of
    today's morphology; else None."""
    if not index_ready(conn):
        return None
    terms = query_terms(QueryTranslator(conn), query)
    if not terms:
        return None
    marks = ",".join("?" * len(terms))
    forms = frozenset(
        row[0]
        for row in conn.execute(
            f"SELECT DISTINCT form FROM articles_morph_forms WHERE term IN ({marks})",
            sorted(terms),
        )
    )
    if not forms or not all(_CHAR_RE.fullmatch(ch) and not ch.isdigit() for f in forms for ch in f):
        return None
    conn.execute(_VOCAB_SQL)
    counts = {
        (doc, COLUMNS[col] if isinstance(col, int) else col): n
        for doc, col, n in conn.execute(
            f"SELECT doc, col, count(*) FROM {_VOCAB} WHERE term IN ({marks}) GROUP BY doc, col",
            sorted(terms),
        )
    }
    return WordMatcher(terms, forms, counts)
