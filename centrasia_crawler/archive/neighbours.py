"""The neighbour index: the words beside each word, for a concordance sorted by its
context without reading every matching article.

A concordance line sorts by the words right of its match (``right``) or left of it,
nearest first (``left``): :data:`SORT_WORDS` whole words of the same column, each
folded as a form is (:func:`~centrasia_crawler.normalize.morphology.surface`: lower
case, ё as е, no stress marks, a number whole and without its spaces: ``5,4%``); a
match with no word on that side (at its column's end, or start) sorts first.
``articles_kwic`` holds, for each article, a token ``word>next!after`` and a token
``word<previous!before`` for every word of its title and body: the :data:`INDEXED`
words after it and before it, nearest first (fewer where the column ends: ``word>next``,
``word>``), words as the search index reads them and folded so. It keeps no text and
no positions (``detail=none``): it says which articles have a word followed, or
preceded, by two others, and FTS5 keeps its terms in order (:data:`THEN` sorts below
every character of a word, so that the order of the tokens is that of their words,
word by word), so the articles where a form stands before the alphabetically first
words are the first rows of a range of its vocabulary.

:class:`FirstLines` walks those ranges for the forms of a query, the next (or
previous) two words in order (:func:`runs`), and stops once the articles it has read
hold the lines asked for: every line of an article it did not read sorts after all of
those (its first two key words are later). Two words beside many articles are walked
by the third, among the second word's own neighbours (:func:`thirds`); lines whose
three words are the same are in date order, and only their first articles are read.

The index is written with the morphological index (:mod:`centrasia_crawler.archive.morph`),
in the same transaction, and taken out with the text it was written with.
"""

from __future__ import annotations

import heapq
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from centrasia_crawler.normalize.morphology import (
    NOT_PLAIN_RE,
    PLAIN_WORD_RE,
    WORD_RE,
    surface,
    word_list,
)
from centrasia_crawler.normalize.text import fold_yo

#: The words a concordance line sorts by, on the side its sort reads: AntConc's
#: default sort levels (1R, 2R, 3R; 1L, 2L, 3L).
SORT_WORDS: Final = 3
#: The words beside a word that the index keeps, on each side: the first sort words; the
#: last is found among the second's own neighbours (:class:`FirstLines`).
INDEXED: Final = SORT_WORDS - 1
#: What joins a word to the next one, and to the previous one, in a token of the index.
NEXT: Final = ">"
PREVIOUS: Final = "<"
#: What joins the second word beside a word to the first: below every character a word
#: holds (letters, digits, ``,.%``), so that ``1!x`` sorts before ``10`` as ``1`` before
#: ``10``.
THEN: Final = "!"
#: The index's terms, each with the number of articles that hold it (``term, doc``).
_TERMS: Final = "temp.centrasia_kwic_tokens"
_TERMS_SQL: Final = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {_TERMS} USING fts5vocab(main, 'articles_kwic', 'row')"
)


@dataclass(frozen=True)
class Words:
    """The words of a column (:data:`WORD_RE`, as the search index reads them: a
    number whole, ``5,4 %``): where each starts and ends, and each folded."""

    starts: list[int]
    ends: list[int]
    folded: list[str]


def words(text: str) -> Words:
    """The words of ``text``, folded as forms are (:func:`surface`: lower case, ё as е,
    no stress marks, a number without its spaces: ``5,4%``)."""
    found = list(WORD_RE.finditer(text))
    return Words(
        [m.start() for m in found], [m.end() for m in found], [surface(m.group()) for m in found]
    )


def sort_key(data: str | bytes, start: int, end: int, sort: str) -> tuple[str, ...]:
    """The words a match from ``start`` to ``end`` of a column sorts by: the
    :data:`SORT_WORDS` words after it (``right``), or before it, nearest first
    (``left``), folded (:func:`words`). ``data`` is the column's text, or its UTF-8
    (offsets in bytes); only a window about the match is read, widened until it holds
    one word more than the words wanted (the farthest may be cut at the window's edge)
    or the column's edge."""
    reach, size = 96, len(data)
    while True:
        if sort == "right":
            last = min(size, end + reach)
            found = _tokens(data[end:last])
            if last == size or len(found) > SORT_WORDS:
                return tuple(found[:SORT_WORDS])
        else:
            first = max(0, start - reach)
            found = _tokens(data[first:start])
            if first == 0 or len(found) > SORT_WORDS:
                return tuple(reversed(found[-SORT_WORDS:]))
        reach *= 4


def _tokens(window: str | bytes) -> list[str]:
    """The folded words of a window of a column (UTF-8 cut at the window's far edge
    loses the cut character, which belongs to the word left out). A plain window (see
    :class:`FormMatcher`) is folded whole and its words found in C."""
    text = window.decode("utf-8", "ignore") if isinstance(window, bytes) else window
    folded = _plain_folded(text)
    if folded is not None:
        return [
            "".join(word.split()) if word[:1].isdigit() else word
            for word in PLAIN_WORD_RE.findall(folded)
        ]
    return [surface(word) for word in WORD_RE.findall(text)]


def _plain_folded(text: str) -> str | None:
    """``text`` lower case, ё as е, when it is plain: as long as that (every character
    one character in lower case) and with no underscore, combining mark or private-use
    letter, so that its words are runs of ``\\w`` at the same places; else None."""
    folded = fold_yo(text.lower())
    if len(folded) == len(text) and NOT_PLAIN_RE.search(text) is None:
        return folded
    return None


class FormMatcher:
    """The tokens of a column whose folded form (:func:`words`) is one of ``forms``.

    A plain column (its lower case, ё as е, as long as it, and no underscore,
    combining mark or private-use letter in it: its tokens are runs of ``\\w``) is
    folded whole and searched for the forms, a literal of each group's shared letters
    first (which ``re`` finds fast); any other is cut into folded tokens."""

    def __init__(self, forms: frozenset[str]) -> None:
        self.forms = forms
        groups: dict[str, list[str]] = {}
        for form in forms:
            groups.setdefault(form[:1], []).append(form)
        self._patterns = []
        for group in groups.values():
            common = common_beginning(group)
            tails = "|".join(
                re.escape(form[len(common) :])
                for form in sorted(group, key=lambda form: (-len(form), form))
            )
            self._patterns.append(re.compile(f"{re.escape(common)}(?:{tails})(?!\\w)"))

    def matches(self, text: str) -> list[tuple[int, int]]:
        """``(start, end)`` of each such token of ``text``, in order."""
        folded = _plain_folded(text)
        if folded is None:
            cut = words(text)
            return [
                (cut.starts[i], cut.ends[i])
                for i, form in enumerate(cut.folded)
                if form in self.forms
            ]
        found = [
            match.span()
            for pattern in self._patterns
            for match in pattern.finditer(folded)
            if not match.start() or not folded[match.start() - 1].isalnum()
        ]
        if len(self._patterns) > 1:
            found.sort()
        return found


def common_beginning(forms: Iterable[str]) -> str:
    """The letters all ``forms`` begin with."""
    ordered = sorted(forms)
    first, last = ordered[0], ordered[-1]
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


def neighbour_text(*columns: str | None) -> str:
    """The index's text for an article's columns: for each word, ``word>next!after``
    and ``word<previous!before`` (:data:`INDEXED` words, fewer where the column ends),
    each token once."""
    tokens: dict[str, None] = {}
    folds: dict[str, str] = {}
    for text in columns:
        found = []
        for token in word_list(text or ""):
            word = folds.get(token)
            if word is None:
                word = folds[token] = surface(token)
            found.append(word)
        # two words each side (INDEXED), "" past the column's edge (a list of one word
        # has two of those each side: zip stops at the words)
        after, later = [*found[1:], ""], [*found[2:], "", ""]
        before, earlier = ["", *found[:-1]], ["", "", *found[:-2]]
        shifted = zip(found, after, later, before, earlier, strict=False)
        for word, one, two, back, further in shifted:
            tokens[f"{word}{NEXT}{one}{THEN}{two}" if two else f"{word}{NEXT}{one}"] = None
            if further:
                tokens[f"{word}{PREVIOUS}{back}{THEN}{further}"] = None
            else:
                tokens[f"{word}{PREVIOUS}{back}"] = None
    return " ".join(tokens)


@dataclass
class Run:
    """Words beside a query's forms (:data:`INDEXED`, fewer at a column's edge), the
    index's tokens that say so (one a form) and the articles that hold each token,
    added up (an article may count once for each)."""

    words: tuple[str, ...]
    tokens: list[str]
    articles: int


def runs(conn: sqlite3.Connection, forms: frozenset[str], sort: str) -> Iterator[Run]:
    """The runs of words that stand beside one of ``forms`` (folded), in order: the next
    words (``right``) or the previous ones, nearest first (``left``), from the
    alphabetically first (no word: a column's end or start; fewer words: the column
    ends after the first). Read from the index's vocabulary, a row a token, as the
    caller goes on."""
    conn.execute(_TERMS_SQL)
    mark = NEXT if sort == "right" else PREVIOUS
    above = chr(ord(mark) + 1)

    def one(form: str) -> Iterator[tuple[tuple[str, ...], str, int]]:
        skip = len(form) + 1
        cursor = conn.execute(
            f"SELECT term, doc FROM {_TERMS} WHERE term >= ? AND term < ?",
            (form + mark, form + above),
        )
        for term, docs in cursor:
            beside = term[skip:]
            yield (tuple(beside.split(THEN)) if beside else ()), term, docs

    run: Run | None = None
    for words, term, docs in heapq.merge(*(one(form) for form in sorted(forms))):
        if run is not None and run.words == words:
            run.tokens.append(term)
            run.articles += docs
            continue
        if run is not None:
            yield run
        run = Run(words, [term], docs)
    if run is not None:
        yield run


def thirds(conn: sqlite3.Connection, second: str, sort: str) -> Iterator[tuple[str, str]]:
    """Each word that stands after ``second`` (``right``), or before it (``left``), in
    order, once, from the index's vocabulary (a seek a word, past the tokens of the
    words after it): ``(word, FTS5 query of its tokens)``; ``""`` first where
    ``second`` ends (or begins) a column."""
    conn.execute(_TERMS_SQL)
    mark = NEXT if sort == "right" else PREVIOUS
    lowest = second + mark
    # the first term at or after one: a seek (with an upper bound too, the vocabulary
    # is read from the range's start, ~1.5 ms a step on 100,000 articles, not 0.1 ms)
    sql = f"SELECT term FROM {_TERMS} WHERE term >= ? LIMIT 1"
    past = lowest
    while (row := conn.execute(sql, (past,)).fetchone()) is not None:
        term = row[0]
        if not term.startswith(lowest):
            return
        if term == lowest:  # the column's edge
            yield "", _quoted(lowest)
            past = lowest + "\x01"
            continue
        word = term[len(lowest) :].split(THEN, 1)[0]
        token = lowest + word
        yield word, f"{_quoted(token)} OR {_quoted(token + THEN)} *"
        past = token + chr(ord(THEN) + 1)  # past ``word!…``, not past a longer word


def _quoted(token: str) -> str:
    """A token as an FTS5 string (its words hold no quotation mark)."""
    return f'"{token}"'


def articles(conn: sqlite3.Connection, *any_of: str) -> list[int]:
    """The articles that hold a token of each of the FTS5 queries ``any_of``, in
    order."""
    match = " AND ".join(f"({query})" for query in any_of)
    cursor = conn.execute(
        "SELECT rowid FROM articles_kwic WHERE articles_kwic MATCH ? ORDER BY rowid", (match,)
    )
    return [st for (st,) in cursor]


def any_token(tokens: Iterable[str]) -> str:
    """The FTS5 query of any of ``tokens``."""
    return " OR ".join(_quoted(token) for token in tokens)


#: The sort key of a concordance line and its article's number.
Line = tuple[tuple[str, ...], int]
#: A word after every word (for a bound past every line that begins with some words).
_LAST: Final = "\U0010ffff"
#: Two first sort words shared by more articles than this many times the limit are
#: ordered by their third word from the index rather than by reading them all...
_THIRD_AT: Final = 4
#: ...unless that takes more steps (a third word each: a seek in the vocabulary and a
#: query, ~0.5 ms on 100,000 articles) than one per this many articles of them, each
#: ~0.08 ms to read (a common second word: ``в``), when they are read after all.
_ARTICLES_A_STEP: Final = 8


class FirstLines:
    """Which matching articles the first ``limit`` lines of a concordance sorted by
    ``sort`` (``left``, ``right``) need, read through ``read`` as the neighbour index
    finds them.

    ``read(articles)`` makes the lines of those articles (those the caller keeps) and
    returns the sort key and article of each. :meth:`walk` goes through the runs of
    words beside the query's ``forms`` in order (:func:`runs`) and stops once the lines
    read are known to hold the first ``limit``:

    - lines whose first two sort words are at most the run walked number ``limit``
      (every line of an article not read has later first words);
    - or, for a whole key shared by many lines (no word at a column's edge, or the
      same three words), its lines are read in date order, which is their order, until
      with the lines before them they number ``limit``;
    - two first words shared by many articles (``Садыр Жапаров``) are walked by their
      third word: the second word's own neighbours in the index (:func:`thirds`), kept
      to those articles (an article whose line has the third word ``x`` holds the
      token ``second>x…``), each third word a whole key as above.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        forms: frozenset[str],
        sort: str,
        limit: int,
        read: Callable[[list[int]], list[Line]],
    ) -> None:
        self.conn, self.forms, self.sort, self.limit = conn, forms, sort, limit
        self._read = read
        self.read: set[int] = set()
        self._later: list[Line] = []  # the lines read and not yet counted
        self._counted = 0  # the lines read that are known to come first

    def walk(self, most: int) -> bool:
        """Read what the first lines need; False once that would be more than ``most``
        articles (the caller's pass over every matching article is then cheaper)."""
        pending: list[str] = []  # the tokens of the runs walked, their articles not read
        waiting = 0  # those articles, an article once a token
        for run in runs(self.conn, self.forms, self.sort):
            whole = len(run.words) < INDEXED  # the column's edge within them: a whole key
            if whole or run.articles > _THIRD_AT * self.limit:
                self._lines(pending)
                pending, waiting = [], 0
                found = articles(self.conn, any_token(run.tokens))
                if self._tie(run.words, found) if whole else self._third(run, found):
                    return True
                continue
            if len(self.read) + waiting + run.articles > most:
                return False
            pending += run.tokens
            waiting += run.articles
            if self._counted + waiting < self.limit:  # too few lines yet to be enough
                continue
            self._lines(pending)
            pending, waiting = [], 0
            if self._count((*run.words, _LAST)):
                return True
        self._lines(pending)
        return True

    def _lines(self, tokens: list[str]) -> None:
        """Read the lines of the articles holding these tokens, those not read."""
        if tokens:
            self._read_articles(articles(self.conn, any_token(tokens)))

    def _read_articles(self, found: list[int]) -> None:
        """Read these articles' lines, those not read."""
        fresh = [st for st in found if st not in self.read]
        if fresh:
            self.read.update(fresh)
            for line in self._read(fresh):
                heapq.heappush(self._later, line)

    def _count(self, bound: tuple[str, ...]) -> bool:
        """Count the lines read whose key is at most ``bound``: whether they are the
        first ``limit`` (every line at most it has been read)."""
        while self._later and self._later[0][0] <= bound:
            heapq.heappop(self._later)
            self._counted += 1
        return self._counted >= self.limit

    def _tie(self, key: tuple[str, ...], found: list[int]) -> bool:
        """The lines of the whole key ``key``, which the articles ``found`` (in order)
        hold (and no other), every line before them read: read in date order until,
        with those, they number ``limit``; whether they did (else all are read)."""
        equal: list[int] = []  # the articles of its lines read
        for first in range(0, len(found), self.limit):
            chunk = found[first : first + self.limit]
            self._read_articles(chunk)
            while self._later and self._later[0][0] <= key:
                line, st = heapq.heappop(self._later)
                if line == key:
                    equal.append(st)
                else:
                    self._counted += 1
            if self._counted + sum(st <= chunk[-1] for st in equal) >= self.limit:
                return True
        self._counted += len(equal)
        return False

    def _third(self, run: Run, found: list[int]) -> bool:
        """The lines of the articles ``found`` whose first two sort words are
        ``run.words`` (every line before them read), walked by their third word;
        whether the first ``limit`` lines are read."""
        budget = sum(st not in self.read for st in found) // _ARTICLES_A_STEP
        within = any_token(run.tokens)
        for step, (word, query) in enumerate(thirds(self.conn, run.words[-1], self.sort)):
            if step >= budget:
                break
            group = articles(self.conn, within, query)
            if group and self._tie((*run.words, word) if word else run.words, group):
                return True
        self._read_articles(found)
        return self._count((*run.words, _LAST))
