"""The search query language, and its translation into the morphological index's terms.

One translator serves every reader of the archive: ``centrasia search``, ``count``,
``kwic``, ``trend``, ``terms``, ``export --query``, Datasette's search box and its canned
queries. A query is parsed into a tree by this grammar (loosest first)::

    query   := or
    or      := and ("OR" and)*
    and     := not (["AND"] not)*        words side by side are ANDed
    not     := unary ("NOT" unary)*
    unary   := "(" query ")" | column ":" unary | near | entity | phrase ["*"]
    entity  := "@" a word | "@" "a phrase"       every name of a gazetteer entity
    column  := title | body | -title | -body | {title body}
    near    := "NEAR(" phrase phrase ... ["," N] ")"
    phrase  := a word | "a phrase" | «a phrase» | „a phrase“ | “a phrase”

and the tree is written out as an FTS5 query over ``articles_morph`` in which every
operator is explicit and every group is in parentheses: FTS5's own grammar rejects a
group beside a phrase without an ``AND`` (``"a" ("b" OR "c")``), which is what a word
with several readings becomes. A word becomes every index term that shares a lemma with
it (:class:`QueryTranslator`), a phrase every combination of its words' terms. Column
filters are pushed down to each phrase (``title:(a OR b)`` is ``title:a OR title:b``),
so only the oldest FTS5 forms are ever emitted.

``@Астана`` stands for every name the gazetteer gives that entity (Акмола, Астана,
Нур-Султан, ...; :mod:`centrasia_crawler.entities`), each a phrase: a name several
entities share is left out, as the tagger leaves it undecided.

Hyphenated words (``Нур-Султан``) and words joined by other marks are phrases of their
parts, as the index cuts them; ё and е, and case, do not matter. What cannot be searched
raises :class:`QueryError`, whose message is one line naming the problem.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from centrasia_crawler.normalize.morphology import (
    DECIMAL,
    JOIN,
    morphology,
    number,
    surface,
    tokens,
)
from centrasia_crawler.normalize.stopwords import function_words
from centrasia_crawler.normalize.text import fold_yo

if TYPE_CHECKING:
    from centrasia_crawler.entities.gazetteer import Entity, Gazetteer

#: The longest query taken.
MAX_QUERY: Final = 1000
#: The most forms a phrase of several words may expand to before it is searched as its
#: words, each alone.
MAX_PHRASE_FORMS: Final = 64
#: The deepest nesting of parentheses a query may have: the parser recurses once per
#: level, and nothing else in it recurses, so its cost is bounded by the query's length.
MAX_DEPTH: Final = 32
#: The most FTS5 ``NEAR`` groups one ``NEAR(...)`` may become (each combination of
#: its phrases' readings, an ``@Name``'s names among them) before it is refused.
MAX_NEAR_FORMS: Final = 256
#: The columns of the index, in its order.
COLUMNS: Final = ("title", "body")
#: The most index terms one prefix may be written as, besides FTS5's own prefix query
#: (each is a phrase of its own in the FTS5 query, with its own doclist to read and
#: rank): beyond, it is refused, and more letters are asked for.
MAX_PREFIX_TERMS: Final = 200
#: The shortest prefix taken.
MIN_PREFIX: Final = 2
#: A term no index holds (``ǁ`` is a letter no form or term has): what a prefix that no
#: written form begins with stands for.
NOWHERE: Final = "ǁ"

#: Opening quote -> its closing quote.
_QUOTES: Final = {'"': '"', "«": "»", "„": "“", "“": "”"}
#: Characters that end a bare word.
_BREAK: Final = frozenset('()*,{}+^"«»„“”@') | frozenset(" \t\r\n\f\v")
_COLUMN_RE: Final = re.compile(r"(title|body)\s*:", re.IGNORECASE)
#: A field name with its colon, as ``source:`` or ``st:``, that is no column of the index
#: (a web address's ``https://`` is a word).
_FIELD_RE: Final = re.compile(r"([A-Za-z_]+):(?!//)")
_COLUMN_SET_RE: Final = re.compile(r"\{([^{}]*)\}\s*:")
#: The operators, as a query may type them in lower case between words.
_OPERATORS: Final = frozenset({"AND", "OR", "NOT", "NEAR"})


class QueryError(ValueError):
    """The search query cannot be searched; the message is one line."""


class UnknownEntity(QueryError):
    """``@name`` names no entity; the message (one line) names the three closest names."""


def _error(query: str, problem: str, kind: type[QueryError] = QueryError) -> QueryError:
    return kind(f"bad search query {query!r}: {problem}")


# --- the tree ---------------------------------------------------------------------------


@dataclass
class Phrase:
    """A word or a quoted phrase; ``prefix``: its last word ends in ``*``; ``bare``: a
    word typed without quotes (a stop word beside other words is left out)."""

    text: str
    prefix: bool = False
    bare: bool = field(default=False, repr=False, compare=False)

    def words(self) -> list[str]:
        return list(tokens(self.text))


@dataclass
class Near:
    """``NEAR(a b, N)``: each of ``phrases`` a phrase, an ``@Name``, or (an ``@Name``
    expanded) an ``OR`` of phrases."""

    phrases: list[Phrase | EntityRef | Group]
    distance: int | None = None


@dataclass
class Group:
    """``AND`` or ``OR`` over its parts."""

    op: str
    parts: list[Node]


@dataclass
class Not:
    keep: Node
    drop: Node


@dataclass
class EntityRef:
    """``@Name``: every name of the entity so named."""

    text: str


@dataclass
class Column:
    columns: frozenset[str]
    node: Node


Node = Phrase | Near | Group | Not | Column | EntityRef


# --- reading a query ----------------------------------------------------------------------


@dataclass
class _Token:
    kind: str  # word phrase op near ( ) , * columns entity minus
    text: str = ""
    columns: frozenset[str] = field(default_factory=frozenset)


#: Tokens after which a word ends an operand, and before which one begins.
_ENDS: Final = frozenset({"word", "phrase", "entity", ")", "*"})
_BEGINS: Final = frozenset({"word", "phrase", "entity", "(", "near", "columns", "minus"})


def _lex(query: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace() or ch in "+^":
            i += 1
        elif ch == "-":
            # A '-' that opens a term excludes it; one inside a word (Нур-Султан) or
            # standing alone is no operator.
            after = query[i + 1 : i + 2]
            if (i == 0 or query[i - 1].isspace() or query[i - 1] in "(:,") and (
                after and not after.isspace() and after not in "-),*»”}"
            ):
                out.append(_Token("minus"))
                i += 1
            else:
                j = i
                while j < n and query[j] not in _BREAK:
                    j += 1
                out.append(_Token("word", query[i:j]))
                i = j
        elif ch in _QUOTES:
            text, i = _quoted(query, i)
            out.append(_Token("phrase", text))
        elif ch == "@":
            i += 1
            if i < n and query[i] in _QUOTES:
                text, i = _quoted(query, i)
            else:
                j = i
                while j < n and query[j] not in _BREAK:
                    j += 1
                text, i = query[i:j], j
            if not text.strip():
                raise _error(query, 'an @ names no entity: @Астана, @"Касым-Жомарт Токаев"')
            out.append(_Token("entity", text.strip()))
        elif ch in "(),*":
            out.append(_Token(ch))
            i += 1
        elif ch == "{":
            found = _COLUMN_SET_RE.match(query, i)
            if found is None:
                raise _error(query, "a '{' that opens no column set: {title body}:")
            out.append(_Token("columns", columns=_column_set(query, found[1].split())))
            i = found.end()
        elif ch in "»”}":  # a closing mark without its opening one: a separator
            i += 1
        else:
            found = _COLUMN_RE.match(query, i)
            if found is not None:
                out.append(_Token("columns", columns=_column_set(query, [found[1]])))
                i = found.end()
                continue
            j = _word_end(query, i)
            word = query[i:j]
            field = _FIELD_RE.match(word)
            if field is not None:
                raise _error(
                    query,
                    f"{field[1]}: is no field of the search; it reads title: and body:"
                    " (the source, the date: --source, --attribution, --since, --until)",
                )
            if word in ("AND", "OR", "NOT"):
                out.append(_Token("op", word))
            elif word.upper() == "NEAR" and query[j : j + 1] == "(":
                out.append(_Token("near", word))
            else:
                out.append(_Token("word", word))
            i = j
    return out


def _operators(found: list[_Token]) -> list[str]:
    """Reads ``or``, ``and``, ``not`` and ``near`` typed between words (in any case but
    upper) as the operators, and ``NEAR`` between words as ``NEAR(a b)``; the words so
    read, as typed."""
    typed = []
    for k, token in enumerate(found):
        if token.kind == "near" and token.text != "NEAR":
            typed.append(token.text)
        if token.kind != "word" or token.text.upper() not in _OPERATORS:
            continue
        before = found[k - 1].kind if k else None
        after = found[k + 1].kind if k + 1 < len(found) else None
        if before in _ENDS and after in _BEGINS:
            if token.text != token.text.upper():
                typed.append(token.text)
            found[k] = _Token("op", token.text.upper())
    return typed


def _word_end(query: str, start: int) -> int:
    """Where the bare word at ``start`` ends: at a break, but a comma between digits is
    a decimal's (``1,6``, ``8,5%``), and a number's percent sign after a space is its
    own (``20 %``), as the index reads them."""
    j, n = start, len(query)
    while j < n and (
        query[j] not in _BREAK
        or (query[j] == "," and query[j - 1 : j].isdigit() and query[j + 1 : j + 2].isdigit())
    ):
        j += 1
    if j > start and query[j - 1].isdigit() and query[j : j + 2] == " %":
        j += 2
    return j


def _quoted(query: str, start: int) -> tuple[str, int]:
    """The text of the quoted phrase opening at ``start``, and where it ends. In ``"…"``
    a doubled quote stands for itself, as in FTS5."""
    close = _QUOTES[query[start]]
    text, i = [], start + 1
    while True:
        if i >= len(query):
            raise _error(query, f"a {query[start]} that is never closed")
        if query[i] == close:
            if close == '"' and query[i + 1 : i + 2] == '"':
                text.append('"')
                i += 2
                continue
            return "".join(text), i + 1
        text.append(query[i])
        i += 1


def _column_set(query: str, names: list[str]) -> frozenset[str]:
    chosen = {name.lower() for name in names}
    unknown = sorted(chosen - set(COLUMNS))
    if unknown or not chosen:
        raise _error(query, f"unknown column {' '.join(unknown)!r}: the columns are title, body")
    return frozenset(chosen)


def _depth(found: list[_Token]) -> int:
    """How deep the query's parentheses nest (an unclosed one counts as open)."""
    depth = deepest = 0
    for token in found:
        if token.kind == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif token.kind == ")":
            depth = max(0, depth - 1)
    return deepest


class _Parser:
    """Recursive descent that recurses only into parentheses (at most
    :data:`MAX_DEPTH` deep); prefixes (``-``, ``title:``) and separators are loops."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _lex(query)
        self.operators = _operators(self.tokens)
        deepest = _depth(self.tokens)
        if deepest > MAX_DEPTH:
            raise QueryError(f"bad search query: nested {deepest} deep; at most {MAX_DEPTH}")
        self.at = 0
        self.dropped: list[str] = []

    def fail(self, problem: str) -> QueryError:
        return _error(self.query, problem)

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            raise self.fail("no word to search for")
        node = self.or_()
        if self.peek() is not None:  # only a ')' stops or_() early
            raise self.fail("a ')' that closes nothing")
        return node

    def notes(self) -> list[str]:
        """What the query was read as, where that is not what it says: one line each."""
        found = []
        if self.operators:
            typed = ", ".join(f"'{w}'" for w in self.operators)
            upper = ", ".join(dict.fromkeys(w.upper() for w in self.operators))
            found.append(
                f"read {typed} as {upper}: an operator between words"
                " (Russian text has no such word)"
            )
        if self.dropped:
            words = ", ".join(f"'{w}'" for w in dict.fromkeys(self.dropped))
            found.append(
                f"left out the stop words {words} beside the other words"
                ' (a stop word alone, or in "quotes", is searched)'
            )
        return found

    def or_(self) -> Node:
        parts = [self.and_()]
        while (token := self.peek()) is not None and token.kind == "op" and token.text == "OR":
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else Group("OR", parts)

    def and_(self) -> Node:
        keep: list[Node] = []
        drop: list[Node] = []
        while True:
            node, excluded = self.not_()
            (drop if excluded else keep).append(node)
            token = self.peek()
            if token is None or token.kind == ")" or (token.kind == "op" and token.text == "OR"):
                break
            if token.kind == "op" and token.text == "AND":
                self.take()
        if not keep:
            raise self.fail(
                "a query of exclusions (-word) alone finds nothing:"
                " say what to search as well, 'Казахстан -Узбекистан'"
            )
        keep = self.without_stop_words(keep)
        node = keep[0] if len(keep) == 1 else Group("AND", keep)
        if drop:
            node = Not(node, drop[0] if len(drop) == 1 else Group("OR", drop))
        return node

    def without_stop_words(self, parts: list[Node]) -> list[Node]:
        """The words ANDed, less the bare stop words among them when another word is
        left (a query of stop words alone is searched as written)."""
        if len(parts) < 2:
            return parts
        single = [
            p
            for p in parts
            if isinstance(p, Phrase) and p.bare and not p.prefix and len(p.words()) == 1
        ]
        if not single:
            return parts
        stop = function_words()
        dropped = [p for p in single if fold(p.words()[0]) in stop]
        left = [p for p in parts if not any(p is d for d in dropped)]
        if not dropped or not any(not isinstance(p, Phrase) or p.words() for p in left):
            return parts
        self.dropped.extend(p.words()[0] for p in dropped if isinstance(p, Phrase))
        return left

    def not_(self) -> tuple[Node, bool]:
        node, excluded = self.unary()
        drops: list[Node] = []
        while (token := self.peek()) is not None and token.kind == "op" and token.text == "NOT":
            self.take()
            drop, negated = self.unary()
            if negated or excluded:
                raise self.fail("NOT and - say the same: write 'a NOT b' or 'a -b'")
            drops.append(drop)
        if drops:
            node = Not(node, drops[0] if len(drops) == 1 else Group("OR", drops))
        return node, excluded

    def unary(self) -> tuple[Node, bool]:
        """A term with its prefixes: ``-`` (exclude it) and column filters."""
        columns: frozenset[str] | None = None
        excluded = False
        while True:
            token = self.peek()
            if token is None:
                raise self.fail("it ends where a word should follow")
            if token.kind == ",":  # a comma between words: a separator
                self.take()
            elif token.kind == "minus":
                self.take()
                excluded = True
            elif token.kind == "columns":
                self.take()
                columns = token.columns if columns is None else columns & token.columns
                if not columns:
                    raise self.fail("its column filters leave no column to search")
            else:
                break
        node = self.primary()
        if columns is not None:
            node = Column(columns, node)
        return node, excluded

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "(":
            if (after := self.peek()) is not None and after.kind == ")":
                raise self.fail("empty parentheses")
            node = self.or_()
            if self.peek() is None:
                raise self.fail("a '(' that is never closed")
            self.take()
            return node
        if token.kind == "near":
            return self.near()
        if token.kind in ("word", "phrase", "entity"):
            node = self.phrase(token)
            if (after := self.peek()) is None or after.kind != "op" or after.text != "NEAR":
                return node
            near = Near([node])
            while (
                (after := self.peek()) is not None and after.kind == "op" and after.text == "NEAR"
            ):
                self.take()
                other = self.peek()
                if other is None or other.kind not in ("word", "phrase", "entity"):
                    raise self.fail('NEAR joins words, "phrases" and @Names: a NEAR b')
                near.phrases.append(self.phrase(self.take()))
            return near
        if token.kind == "op":
            raise self.fail(f"{token.text} needs words on both sides")
        if token.kind == ")":
            raise self.fail("a ')' that closes nothing")
        raise self.fail("a '*' that follows no word")

    def phrase(self, token: _Token) -> Phrase | EntityRef:
        if token.kind == "entity":
            return EntityRef(token.text)
        phrase = Phrase(token.text, bare=token.kind == "word")
        if (after := self.peek()) is not None and after.kind == "*":
            self.take()
            phrase.prefix = True
        return phrase

    def near(self) -> Near:
        self.take()  # the '(' the lexer saw
        near = Near([])
        while (token := self.peek()) is not None and token.kind in ("word", "phrase", "entity"):
            near.phrases.append(self.phrase(self.take()))
        token = self.peek()
        if token is not None and token.kind == ",":
            self.take()
            distance = self.peek()
            if distance is None or distance.kind != "word" or not distance.text.isdigit():
                raise self.fail("NEAR's distance must be a number: NEAR(a b, 10)")
            near.distance = int(self.take().text)
            token = self.peek()
        if token is None or token.kind != ")" or not near.phrases:
            raise self.fail(
                'NEAR takes words, "phrases" and @Names, then an optional , N: NEAR(a b, 10)'
            )
        self.take()
        return near


def read_query(query: str) -> tuple[Node, list[str]]:
    """The tree of a query, and the notes on how it was read (:meth:`_Parser.notes`):
    lower-case operators read as operators, stop words left out."""
    if len(query) > MAX_QUERY:
        raise QueryError(f"bad search query: {len(query):,} characters long; at most {MAX_QUERY:,}")
    parser = _Parser(query)
    node = parser.parse()
    return node, parser.notes()


def parse_query(query: str) -> Node:
    """The tree of a query.

    >>> parse_query('Жапаров "новая конституция"')
    Group(op='AND', parts=[Phrase(text='Жапаров', prefix=False), Phrase(text='новая конституция', prefix=False)])
    >>> parse_query("title:мир* NOT Китай")
    Not(keep=Column(columns=frozenset({'title'}), node=Phrase(text='мир', prefix=True)), drop=Phrase(text='Китай', prefix=False))
    >>> parse_query("Казахстан -Узбекистан")
    Not(keep=Phrase(text='Казахстан', prefix=False), drop=Phrase(text='Узбекистан', prefix=False))
    """  # noqa: E501
    return read_query(query)[0]


def query_notes(query: str) -> list[str]:
    """How ``query`` was read where that is not what it says, one line each (empty for
    most queries); raises :class:`QueryError` as :func:`parse_query` does."""
    return read_query(query)[1]


def phrases(node: Node, *, positive: bool = True) -> Iterator[Phrase]:
    """The phrases of a query; with ``positive``, only those a match must contain some
    of (not those after a NOT)."""
    if isinstance(node, Phrase):
        yield node
    elif isinstance(node, Near | Group):
        for part in node.phrases if isinstance(node, Near) else node.parts:
            yield from phrases(part, positive=positive)
    elif isinstance(node, Not):
        yield from phrases(node.keep, positive=positive)
        if not positive:
            yield from phrases(node.drop, positive=positive)
    elif isinstance(node, Column):
        yield from phrases(node.node, positive=positive)


# --- writing it in the index's terms ------------------------------------------------------


def _quoted_prefix(phrase: Phrase) -> bool:
    """A quoted phrase whose last word ends in ``*`` inside the quotes (``"Садыр Жап*"``)."""
    return phrase.text.rstrip().endswith("*")


def _typed(phrase: Phrase) -> str:
    """A prefix phrase as it was typed, for a message."""
    return phrase.text if _quoted_prefix(phrase) else f"{phrase.text}*"


def _quote(term: str) -> str:
    """A term as an FTS5 string; a prefix keeps its ``*`` outside the quotes."""
    if term.endswith("*"):
        return '"' + term[:-1].replace('"', '""') + '"*'
    return '"' + term.replace('"', '""') + '"'


def _filter(columns: frozenset[str] | None) -> str:
    if columns is None or columns == frozenset(COLUMNS):
        return ""
    names = [c for c in COLUMNS if c in columns]
    return (names[0] if len(names) == 1 else "{" + " ".join(names) + "}") + " : "


def _any(alternatives: list[str]) -> str:
    return alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")"


#: A gazetteer's names (hashed) -> its names with their words' lemmas (one kept).
_NAME_READINGS: dict[int, list[tuple[Entity, str, tuple[frozenset[str], ...]]]] = {}


class QueryTranslator:
    """Writes queries in the terms of ``articles_morph``, looking each word up once."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.morph = morphology()
        self._terms: dict[str, list[str]] = {}
        #: How the queries translated were read where that is not what they say.
        self.notes: list[str] = []

    def terms(self, word: str) -> list[str]:
        """Every term of the index a query word may stand for."""
        lemmas = sorted(self.morph.lemmas(word, query=True))
        key = JOIN.join(lemmas)
        if key not in self._terms:
            marks = ",".join("?" * len(lemmas))
            found = {
                row[0]
                for row in self.conn.execute(
                    f"SELECT term FROM morph_terms WHERE lemma IN ({marks})", lemmas
                )
            }
            self._terms[key] = sorted(found.union(lemmas))
        return self._terms[key]

    def choices(self, phrase: Phrase) -> list[list[str]]:
        """For each token of a phrase as the index holds it, the terms it may be: a
        word's (:meth:`terms`), a decimal's placeholder after a decimal, and for a
        prefix, the terms of every form the archive writes beginning with it
        (:meth:`prefix_choice`)."""
        words = phrase.words()
        prefix = phrase.prefix or _quoted_prefix(phrase)
        found: list[list[str]] = []
        for word in words[:-1] if prefix else words:
            found.append(self.terms(word))
            if (read := number(word)) is not None and read[1]:
                found.append([DECIMAL])
        if prefix and words:
            found.append(self.prefix_choice(phrase, words[-1]))
            combinations = 1
            for choice in found:
                combinations *= len(choice)
            if len(found) > 1 and combinations > MAX_PHRASE_FORMS:
                raise _error(
                    _typed(phrase),
                    f"the phrase stands for {combinations:,} sequences of the archive's"
                    f" words, at most {MAX_PHRASE_FORMS}: give more letters",
                )
        return found

    def prefix_choice(self, phrase: Phrase, word: str) -> list[str]:
        """The index terms of every form the archive writes beginning with ``word``
        (its case and ё aside): exactly the articles a scan of the text would find.
        A prefix the index cannot answer so (too short, standing for too many words,
        or running into endings the index keeps as one term) is a :class:`QueryError`."""
        from centrasia_crawler.archive.morph import prefix_terms

        prefix = surface(word)
        query = _typed(phrase)
        if len(prefix) < MIN_PREFIX:
            raise _error(query, f"a prefix needs at least {MIN_PREFIX} letters: {word}*")
        found = prefix_terms(self.conn, prefix, MAX_PREFIX_TERMS)
        if len(found.terms) > MAX_PREFIX_TERMS:
            raise _error(
                query,
                f"{word}* begins over {MAX_PREFIX_TERMS:,} different words of the archive:"
                " give more letters",
            )
        if found.shared:
            lemmas = sorted({lemma for term in found.shared for lemma in term.split(JOIN)})
            listed = ", ".join(lemmas[:3]) + (", ..." if len(lemmas) > 3 else "")
            raise _error(
                query,
                f"the index keeps the forms of {listed} as one term, so it cannot tell those"
                f" beginning {prefix}* from the rest: --exact searches the forms as written,"
                " or give fewer letters",
            )
        terms = ([prefix + "*"] if found.native else []) + found.terms
        return terms or [NOWHERE]

    def forms(self, phrase: Phrase) -> list[str]:
        """The FTS5 phrases (``"a" + "b"``) a phrase of the query may be."""
        return [
            " + ".join(_quote(t) for t in form) for form in itertools.product(*self.choices(phrase))
        ]

    def expand(self, node: Node, query: str) -> Node:
        """The tree with each ``@Name`` replaced by its entity's names, ORed."""
        if isinstance(node, EntityRef):
            return Group("OR", [Phrase(name) for name in self.entity_names(node.text, query)])
        if isinstance(node, Group):
            return Group(node.op, [self.expand(part, query) for part in node.parts])
        if isinstance(node, Not):
            return Not(self.expand(node.keep, query), self.expand(node.drop, query))
        if isinstance(node, Column):
            return Column(node.columns, self.expand(node.node, query))
        if isinstance(node, Near):
            slots: list[Phrase | EntityRef | Group] = []
            for part in node.phrases:
                expanded = self.expand(part, query) if isinstance(part, EntityRef) else part
                assert isinstance(expanded, Phrase | Group)
                slots.append(expanded)
            return Near(slots, node.distance)
        return node

    @functools.cached_property
    def gazetteer(self) -> Gazetteer:
        """The archive's own (what its tags were made with), else the package's files:
        read once for all the ``@Name``s of a query."""
        from centrasia_crawler.archive.tagging import gazetteer, stored_gazetteer

        return stored_gazetteer(self.conn) or gazetteer(self.conn)

    @functools.cached_property
    def _name_readings(self) -> list[tuple[Entity, str, tuple[frozenset[str], ...]]]:
        """Every name of the gazetteer with the lemmas each of its words may be (read
        once per gazetteer in a process)."""
        names = tuple((entity, name.text) for entity in self.gazetteer for name in entity.names)
        key = hash(tuple((entity.id, name) for entity, name in names))
        if key not in _NAME_READINGS:
            _NAME_READINGS.clear()
            _NAME_READINGS[key] = [(e, name, self._readings(name)) for e, name in names]
        return _NAME_READINGS[key]

    def _readings(self, text: str) -> tuple[frozenset[str], ...]:
        return tuple(self.morph.lemmas(w, query=True) | {fold(w)} for w in tokens(text))

    def entity(self, text: str, query: str) -> Entity:
        """The entity ``@text`` names: by one of its names as written, else by a name
        whose words ``text``'s words are forms of (``@Астане``, ``@Жапарову``); a
        one-line :class:`QueryError` if several are, :class:`UnknownEntity` (naming the
        three closest names) if none is."""
        from centrasia_crawler.entities.gazetteer import closest_names

        found = self.gazetteer
        if found.named(text):
            try:
                return found.find(text)
            except LookupError as exc:
                raise _error(query, str(exc)) from None
        typed = self._readings(text)
        matches = {
            entity.id: entity
            for entity, _, readings in self._name_readings
            if len(readings) == len(typed)
            and all(a & b for a, b in zip(readings, typed, strict=True))
        }
        if len(matches) == 1:
            return next(iter(matches.values()))
        if matches:
            choices = ", ".join(f'@"{e.name}"' for e in matches.values())
            raise _error(query, f"@{text} names {len(matches)} entities: say which, {choices}")
        hint = ", ".join(name for _, name in closest_names(found, text))
        problem = f"no entity is named {text!r}; the closest names: {hint}"
        raise _error(query, problem, UnknownEntity)

    def entity_names(self, text: str, query: str) -> list[str]:
        """The names ``@text`` stands for: its entity's, but those another shares, and
        those that hold another of them (where «Садыр Жапаров» is, «Жапаров» is)."""
        from centrasia_crawler.entities.gazetteer import name_key

        entity = self.entity(text, query)
        found = self.gazetteer
        names = [n.text for n in entity.names if len(found.named(n.text)) == 1]
        unique = sorted({name_key(n): n for n in names}.values()) or [entity.name]
        words = {n: tuple(fold(w) for w in tokens(n)) for n in unique}
        return [n for n in unique if not any(_holds(words[n], words[m]) for m in unique)]

    def parse(self, query: str) -> Node:
        """The tree of ``query``, its ``@Name``s expanded."""
        return self.expand(parse_query(query), query)

    def translate(self, query: str, columns: frozenset[str] | None = None) -> str:
        """``query`` as an FTS5 query over ``articles_morph`` (with ``columns``: matched
        in those columns only)."""
        tree = self.parse(query)
        words = [w for p in phrases(tree, positive=False) for w in p.words()]
        if not words:
            raise _error(query, "no word to search for")
        written = self._write(tree, columns, query)
        if written is None:
            raise _error(query, "no word to search for")
        return written

    def ranked_groups(self, query: str) -> list[str]:
        """``query`` as the FTS5 queries of the groups a ranked search lists in turn: the
        articles whose headline alone matches it, then the others that match (one
        group, all of them, when the query searches the body only)."""
        match = self.translate(query)
        try:
            in_title = self.translate(query, frozenset({"title"}))
        except QueryError:  # its column filters leave the headline out
            return [match]
        return [f"({match}) AND ({in_title})", f"({match}) NOT ({in_title})"]

    def _write(self, node: Node, columns: frozenset[str] | None, query: str) -> str | None:
        if isinstance(node, Phrase):
            return self._phrase(node, columns)
        if isinstance(node, Near):
            return self._near(node, columns, query)
        if isinstance(node, Column):
            inner = node.columns if columns is None else columns & node.columns
            if not inner:
                raise _error(query, "its column filters leave no column to search")
            return self._write(node.node, inner, query)
        if isinstance(node, EntityRef):
            return self._write(self.expand(node, query), columns, query)
        if isinstance(node, Not):
            keep = self._write(node.keep, columns, query)
            drop = self._write(node.drop, columns, query)
            if keep is None:
                raise _error(query, "NOT needs words before it: 'a NOT b'")
            return keep if drop is None else f"({keep} NOT {drop})"
        parts = [p for p in (self._write(part, columns, query) for part in node.parts) if p]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else "(" + f" {node.op} ".join(parts) + ")"

    def _phrase(self, phrase: Phrase, columns: frozenset[str] | None) -> str | None:
        """A phrase as the ORed FTS5 phrases it may be; one of more than
        :data:`MAX_PHRASE_FORMS` readings as its words, all of them, each any of its
        terms (a word alone may stand for any number of terms)."""
        words = phrase.words()
        if not words:
            return None
        choices = self.choices(phrase)
        where = _filter(columns)
        if len(choices) > 1 and math.prod(len(c) for c in choices) > MAX_PHRASE_FORMS:
            self.notes.append(
                f'the phrase "{phrase.text}" has too many readings to search as a phrase:'
                " searched as its words, all of them, anywhere in the article"
            )
            alone = [_any([where + _quote(t) for t in choice]) for choice in choices]
            return "(" + " AND ".join(alone) + ")"
        return _any(
            [where + " + ".join(_quote(t) for t in form) for form in itertools.product(*choices)]
        )

    def _near(self, near: Near, columns: frozenset[str] | None, query: str) -> str | None:
        too_many = _error(query, "NEAR(...) has too many readings of its words: give fewer words")
        slots = []
        expanded = self.expand(near, query)
        assert isinstance(expanded, Near)
        for part in expanded.phrases:
            alternatives: list[str] = []
            for phrase in part.parts if isinstance(part, Group) else [part]:
                if not isinstance(phrase, Phrase) or not phrase.words():
                    continue
                if math.prod(len(c) for c in self.choices(phrase)) > MAX_NEAR_FORMS:
                    raise too_many
                alternatives.extend(self.forms(phrase))
            if alternatives:
                slots.append(list(dict.fromkeys(alternatives)))
        if not slots:
            return None
        combos = list(itertools.islice(itertools.product(*slots), MAX_NEAR_FORMS + 1))
        if len(combos) > MAX_NEAR_FORMS:
            raise too_many
        distance = "" if near.distance is None else f", {near.distance}"
        where = _filter(columns)
        return _any([f"{where}NEAR({' '.join(combo)}{distance})" for combo in combos])


def _holds(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    """Whether ``shorter`` is a run of words of ``longer``, and shorter."""
    size = len(shorter)
    return 0 < size < len(longer) and any(
        longer[i : i + size] == shorter for i in range(len(longer) - size + 1)
    )


def notes(conn: sqlite3.Connection, query: str) -> list[str]:
    """How ``query`` is read where that is not what it says, one line each: lower-case
    operators, stop words left out, phrases searched as their words; raises
    :class:`QueryError` as :func:`translate` does."""
    translator = QueryTranslator(conn)
    translator.translate(query)
    return query_notes(query) + list(dict.fromkeys(translator.notes))


def translate(conn: sqlite3.Connection, query: str) -> str:
    """``query`` as an FTS5 query over ``articles_morph`` (see :class:`QueryTranslator`)."""
    return QueryTranslator(conn).translate(query)


def fold(word: str) -> str:
    """Lower case, ё as е: how the indexes compare letters."""
    return fold_yo(word.lower())
