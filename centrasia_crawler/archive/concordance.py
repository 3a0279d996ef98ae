"""Where a query of words matches in an article's text, found without the index's
``highlight()``: the concordance's way to every match of a broad word.

``highlight()`` re-reads each matching article through the tokenizer and the index;
over most of the archive that is what a concordance sorted by its context costs. A word
of the query stands for a set of index terms (:class:`QueryTranslator`), and
``articles_morph_forms`` lists every form the archive writes each term in. Regular
expressions of those forms, over the text as stored (its UTF-8, which SQLite gives
without decoding), find the tokens that may be one of them, lower case or capitalised:
a literal of the forms' shared letters after the first, that letter in either case
before it. The morphology the index was built with keeps those whose term is one of
the query's. Tokens are the index's
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
from collections.abc import Callable, Iterable
from typing import Final

from centrasia_crawler.archive.morph import index_ready
from centrasia_crawler.archive.neighbours import common_beginning
from centrasia_crawler.archive.search_query import COLUMNS, Group, Phrase, QueryTranslator
from centrasia_crawler.normalize.morphology import TOKEN_RE, morphology

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
    form those terms are written in, and how many each article's columns hold. Texts
    are UTF-8 bytes, spans byte offsets."""

    def __init__(
        self, terms: frozenset[str], forms: frozenset[str], counts: dict[tuple[int, str], int]
    ) -> None:
        self.terms = terms
        self.forms = forms
        #: ``(st, column)`` -> how many tokens of the terms the index holds there.
        self.counts = counts
        self._term: Callable[[str], str] = morphology().term
        groups: dict[str, list[str]] = {}
        for form in forms:
            groups.setdefault(form[:2], []).append(form)
        #: For each beginning the forms share: its first letter in either case, and
        #: the rest of the forms after it (a literal first, which the engine finds fast).
        self._searches: list[tuple[tuple[bytes, ...], re.Pattern[bytes]]] = []
        for group in groups.values():
            common = common_beginning(group)
            firsts = {common[0], common[0].upper()}
            tails = b"|".join(
                re.escape(form[len(common) :].encode()) for form in _longest_first(group)
            )
            pattern = re.compile(re.escape(common[1:].encode()) + b"(?:" + tails + b")")
            self._searches.append((tuple(first.encode() for first in firsts), pattern))

    def spans(self, st: int, column: str, data: bytes | None) -> list[tuple[int, int]] | None:
        """``(start, end)`` of each match in ``data`` (article ``st``'s ``column``,
        UTF-8), in order; None when fewer are found than the index holds."""
        expected = self.counts.get((st, column), 0)
        if not expected:
            return []
        if not data:
            return None
        found = []
        term, terms = self._term, self.terms
        for firsts, pattern in self._searches:
            for match in pattern.finditer(data):
                start, end = match.span()
                first = next(
                    (f for f in firsts if start >= len(f) and data.startswith(f, start - len(f))),
                    None,
                )
                if first is None:
                    continue
                start -= len(first)
                if _token_char_before(data, start) or _token_char_at(data, end):
                    continue  # the form is part of a longer token
                if term(data[start:end].decode()) in terms:
                    found.append((start, end))
        if len(self._searches) > 1:
            found.sort()
        return found if len(found) == expected else None


def _token_char_before(data: bytes, at: int) -> bool:
    before = data[max(0, at - 4) : at].decode("utf-8", "ignore")
    return bool(before) and _CHAR_RE.match(before[-1]) is not None


def _token_char_at(data: bytes, at: int) -> bool:
    after = data[at : at + 4].decode("utf-8", "ignore")
    return bool(after) and _CHAR_RE.match(after[0]) is not None


def _letter(ch: str) -> bool:
    """A character of a token that is no digit and is one character in upper case."""
    return bool(_CHAR_RE.fullmatch(ch)) and not ch.isdigit() and len(ch.upper()) == 1


def _longest_first(forms: Iterable[str]) -> list[str]:
    return sorted(forms, key=lambda form: (-len(form), form))


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


def written_forms(conn: sqlite3.Connection, terms: frozenset[str]) -> frozenset[str]:
    """Every form the archive writes ``terms`` in (lower case, ё as е), from
    ``articles_morph_forms``."""
    marks = ",".join("?" * len(terms))
    sql = f"SELECT DISTINCT form FROM articles_morph_forms WHERE term IN ({marks})"
    return frozenset(row[0] for row in conn.execute(sql, sorted(terms)))


def query_forms(
    conn: sqlite3.Connection, query: str
) -> tuple[frozenset[str], frozenset[str]] | None:
    """The index terms of a query that is one word or words ORed, and every form the
    archive writes them in, over a complete index of today's morphology; else None."""
    if not index_ready(conn):
        return None
    terms = query_terms(QueryTranslator(conn), query)
    if not terms:
        return None
    return terms, written_forms(conn, terms)


def word_matcher(conn: sqlite3.Connection, query: str) -> WordMatcher | None:
    """The matcher of a query that is one word or words ORed, over a complete index of
    today's morphology; else None."""
    found = query_forms(conn, query)
    if found is None:
        return None
    terms, forms = found
    marks = ",".join("?" * len(terms))
    if any(len(f) < 2 or not all(_letter(ch) for ch in f) for f in forms) or not forms:
        return None
    if conn.execute("PRAGMA encoding").fetchone()[0] != "UTF-8":
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
