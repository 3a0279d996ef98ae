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
    from centrasia_crawler.entities.gazetteer import Gazetteer

#: The longest query taken.
MAX_QUERY: Final = 1000
#: The most forms one phrase (or one NEAR) may expand to before it is refused or, for a
#: phrase, searched as its words.
MAX_PHRASE_FORMS: Final = 64
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
_COLUMN_RE: Final = re.compile(r"(-?)(title|body)\s*:", re.IGNORECASE)
_COLUMN_SET_RE: Final = re.compile(r"(-?)\{([^{}]*)\}\s*:")


class QueryError(ValueError):
    """The search query cannot be searched; the message is one line."""


def _error(query: str, problem: str) -> QueryError:
    return QueryError(f"bad search query {query!r}: {problem}")


# --- the tree ---------------------------------------------------------------------------


@dataclass
class Phrase:
    """A word or a quoted phrase; ``prefix``: its last word ends in ``*``."""

    text: str
    prefix: bool = False

    def words(self) -> list[str]:
        return list(tokens(self.text))


@dataclass
class Near:
    phrases: list[Phrase]
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
    kind: str  # word phrase op near ( ) , * columns
    text: str = ""
    columns: frozenset[str] = field(default_factory=frozenset)


def _lex(query: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace() or ch in "+^":
            i += 1
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
        elif ch == "{" or (ch == "-" and query[i + 1 : i + 2] == "{"):
            found = _COLUMN_SET_RE.match(query, i)
            if found is None:
                raise _error(query, "a '{' that opens no column set: {title body}:")
            out.append(_Token("columns", columns=_column_set(query, found[1], found[2].split())))
            i = found.end()
        elif ch in "»”}":  # a closing mark without its opening one: a separator
            i += 1
        else:
            found = _COLUMN_RE.match(query, i)
            if found is not None:
                columns = _column_set(query, found[1], [found[2]])
                out.append(_Token("columns", columns=columns))
                i = found.end()
                continue
            j = _word_end(query, i)
            word = query[i:j]
            if word in ("AND", "OR", "NOT"):
                out.append(_Token("op", word))
            elif word == "NEAR" and query[j : j + 1] == "(":
                out.append(_Token("near"))
            else:
                out.append(_Token("word", word))
            i = j
    return out


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


def _column_set(query: str, negated: str, names: list[str]) -> frozenset[str]:
    chosen = {name.lower() for name in names}
    unknown = sorted(chosen - set(COLUMNS))
    if unknown or not chosen:
        raise _error(query, f"unknown column {' '.join(unknown)!r}: the columns are title, body")
    return frozenset(COLUMNS) - chosen if negated else frozenset(chosen)


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _lex(query)
        self.at = 0

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

    def or_(self) -> Node:
        parts = [self.and_()]
        while (token := self.peek()) is not None and token.kind == "op" and token.text == "OR":
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else Group("OR", parts)

    def and_(self) -> Node:
        parts = [self.not_()]
        while (token := self.peek()) is not None and token.kind != ")":
            if token.kind == "op" and token.text == "OR":
                break
            if token.kind == "op" and token.text == "AND":
                self.take()
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else Group("AND", parts)

    def not_(self) -> Node:
        node = self.unary()
        while (token := self.peek()) is not None and token.kind == "op" and token.text == "NOT":
            self.take()
            node = Not(node, self.unary())
        return node

    def unary(self) -> Node:
        token = self.peek()
        if token is None:
            raise self.fail("it ends where a word should follow")
        if token.kind == "(":
            self.take()
            if (after := self.peek()) is not None and after.kind == ")":
                raise self.fail("empty parentheses")
            node = self.or_()
            if self.peek() is None:
                raise self.fail("a '(' that is never closed")
            self.take()
            return node
        if token.kind == "columns":
            self.take()
            return Column(token.columns, self.unary())
        if token.kind == "near":
            return self.near()
        if token.kind == "entity":
            return EntityRef(self.take().text)
        if token.kind in ("word", "phrase"):
            return self.phrase()
        if token.kind == "op":
            raise self.fail(f"{token.text} needs words on both sides")
        if token.kind == ")":
            raise self.fail("a ')' that closes nothing")
        if token.kind == "*":
            raise self.fail("a '*' that follows no word")
        self.take()  # a comma between words: a separator
        return self.unary()

    def phrase(self) -> Phrase:
        token = self.take()
        phrase = Phrase(token.text)
        if (after := self.peek()) is not None and after.kind == "*":
            self.take()
            phrase.prefix = True
        return phrase

    def near(self) -> Near:
        self.take()
        self.take()  # the '(' the lexer saw
        near = Near([])
        while (token := self.peek()) is not None and token.kind in ("word", "phrase"):
            near.phrases.append(self.phrase())
        token = self.peek()
        if token is not None and token.kind == ",":
            self.take()
            distance = self.peek()
            if distance is None or distance.kind != "word" or not distance.text.isdigit():
                raise self.fail("NEAR's distance must be a number: NEAR(a b, 10)")
            near.distance = int(self.take().text)
            token = self.peek()
        if token is None or token.kind != ")" or not near.phrases:
            raise self.fail('NEAR takes words and "phrases", then an optional , N: NEAR(a b, 10)')
        self.take()
        return near


def parse_query(query: str) -> Node:
    """The tree of a query.

    >>> parse_query('Жапаров "новая конституция"')
    Group(op='AND', parts=[Phrase(text='Жапаров', prefix=False), Phrase(text='новая конституция', prefix=False)])
    >>> parse_query("title:мир* NOT Китай")
    Not(keep=Column(columns=frozenset({'title'}), node=Phrase(text='мир', prefix=True)), drop=Phrase(text='Китай', prefix=False))
    """  # noqa: E501
    if len(query) > MAX_QUERY:
        raise QueryError(f"bad search query: {len(query):,} characters long; at most {MAX_QUERY:,}")
    return _Parser(query).parse()


def phrases(node: Node, *, positive: bool = True) -> Iterator[Phrase]:
    """The phrases of a query; with ``positive``, only those a match must contain some
    of (not those after a NOT)."""
    if isinstance(node, Phrase):
        yield node
    elif isinstance(node, Near):
        yield from node.phrases
    elif isinstance(node, Group):
        for part in node.parts:
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


class QueryTranslator:
    """Writes queries in the terms of ``articles_morph``, looking each word up once."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.morph = morphology()
        self._terms: dict[str, list[str]] = {}

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
            raise _error(query, f"a prefix needs at least {MIN_PREFIX} letters: {prefix}*")
        found = prefix_terms(self.conn, prefix, MAX_PREFIX_TERMS)
        if len(found.terms) > MAX_PREFIX_TERMS:
            raise _error(
                query,
                f"{prefix}* begins over {MAX_PREFIX_TERMS:,} different words of the archive:"
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
        return node

    @functools.cached_property
    def gazetteer(self) -> Gazetteer:
        """The archive's own (what its tags were made with), else the package's files:
        read once for all the ``@Name``s of a query."""
        from centrasia_crawler.archive.entities import stored_gazetteer
        from centrasia_crawler.archive.tagging import gazetteer

        return stored_gazetteer(self.conn) or gazetteer(self.conn)

    def entity_names(self, text: str, query: str) -> list[str]:
        """The names ``@text`` stands for: its entity's, but those another shares."""
        from centrasia_crawler.entities.gazetteer import name_key

        found = self.gazetteer
        try:
            entity = found.find(text)
        except LookupError as exc:
            raise _error(query, str(exc)) from None
        names = [n.text for n in entity.names if len(found.named(n.text)) == 1]
        return sorted({name_key(n): n for n in names}.values()) or [entity.name]

    def parse(self, query: str) -> Node:
        """The tree of ``query``, its ``@Name``s expanded."""
        return self.expand(parse_query(query), query)

    def translate(self, query: str) -> str:
        """``query`` as an FTS5 query over ``articles_morph``."""
        tree = self.parse(query)
        words = [w for p in phrases(tree, positive=False) for w in p.words()]
        if not words:
            raise _error(query, "no word to search for")
        if all(fold(w) in function_words() for w in words):
            raise _error(query, "only stop words (и, в, на, ...)")
        written = self._write(tree, None, query)
        if written is None:
            raise _error(query, "no word to search for")
        return written

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
        words = phrase.words()
        if not words:
            return None
        forms = self.forms(phrase)
        if len(forms) > MAX_PHRASE_FORMS and len(words) > 1:  # too ambiguous: its words, all
            last = len(words) - 1
            alone = [Phrase(w, phrase.prefix and k == last) for k, w in enumerate(words)]
            return "(" + " AND ".join(str(self._phrase(p, columns)) for p in alone) + ")"
        where = _filter(columns)
        return _any([where + form for form in forms])

    def _near(self, near: Near, columns: frozenset[str] | None, query: str) -> str | None:
        alternatives = [self.forms(p) for p in near.phrases if p.words()]
        if not alternatives:
            return None
        combos = list(itertools.islice(itertools.product(*alternatives), MAX_PHRASE_FORMS + 1))
        if len(combos) > MAX_PHRASE_FORMS:
            raise _error(query, "NEAR(...) has too many readings of its words: give fewer words")
        distance = "" if near.distance is None else f", {near.distance}"
        where = _filter(columns)
        return _any([f"{where}NEAR({' '.join(combo)}{distance})" for combo in combos])


def translate(conn: sqlite3.Connection, query: str) -> str:
    """``query`` as an FTS5 query over ``articles_morph`` (see :class:`QueryTranslator`)."""
    return QueryTranslator(conn).translate(query)


def fold(word: str) -> str:
    """Lower case, ё as е: how the indexes compare letters."""
    return fold_yo(word.lower())
