"""Finding the gazetteer's entities in an article: pure, so it runs in worker processes.

A name matches a run of words when each of its words shares a lemma with the word of
the text (so «в Ташкенте», «Мирзиёевым», «Жогорку Кенеша» are found), a capitalised word
of the name matches only a capitalised word of the text (a name is a proper noun:
«Талас» the city, not a common word at the start of nothing), and an abbreviation
matches only the same letters in capitals («ШОС»). Where names overlap, the longest
wins («Сенат Казахстана» is the senate, not also the country), left to right.

A name several entities share («Бердымухамедов»: the father and the son; «Сенат»: each
country's) is given to one of them only when something decides it:

1. the date: only one of them used the name in the article's year;
2. the text: only one of them is also named unambiguously in the same article;
3. the country: only one of them belongs to a country the article names unambiguously.

Otherwise the mention is counted for none of them.

>>> from centrasia_crawler.entities.gazetteer import load
>>> tagger = Tagger(load())
>>> tags = tagger.tag("Мирзиёев прилетел в Астану", "В Нур-Султане его встретили.", 2020)
>>> sorted((t.entity_id, t.mentions, t.in_title) for t in tags)
[('astana', 2, True), ('mirziyoyev', 1, True)]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final, NamedTuple

from centrasia_crawler.entities.gazetteer import Entity, Gazetteer, Name
from centrasia_crawler.normalize.morphology import JOIN, TOKEN_RE, Morphology, morphology
from centrasia_crawler.normalize.text import fold_yo

#: Bumped when the same text and gazetteer would be tagged differently.
ALGORITHM: Final = 1
#: pymorphy3's grammemes of proper names.
_PROPER: Final = frozenset({"Geox", "Name", "Surn", "Patr", "Orgn", "Trad"})


class Tag(NamedTuple):
    """An entity an article names: how often, and whether its headline does."""

    entity_id: str
    mentions: int
    in_title: bool


@dataclass(frozen=True, eq=False)
class _Pattern:
    """A name as the tagger matches it: per word, the lemmas it may take and whether
    it must be capitalised (or, for an abbreviation, its exact capitals)."""

    words: tuple[frozenset[str], ...]
    capital: tuple[bool, ...]
    exact: tuple[str, ...] | None  # an abbreviation's tokens
    owners: tuple[tuple[Entity, Name], ...]

    size: int = field(init=False)
    #: The countries it is the name of («Казахстан»).
    names_countries: frozenset[str] = field(init=False)
    #: For a name of several words, its owners' countries, which it may name inside
    #: («МИД Казахстана»).
    nested: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        size = len(self.exact or self.words)
        object.__setattr__(self, "size", size)
        countries = {e.country for e, _ in self.owners if e.country and e.type == "country"}
        object.__setattr__(self, "names_countries", frozenset(countries))
        others = {e.country for e, _ in self.owners if e.country and e.type != "country"}
        object.__setattr__(self, "nested", frozenset(others if size > 1 else ()))


class _Hit(NamedTuple):
    pattern: _Pattern
    in_title: bool


def _is_capital(token: str) -> bool:
    return token[:1].isupper()


class Tagger:
    """The gazetteer's names, ready to be found in text."""

    def __init__(self, gazetteer: Gazetteer, morph: Morphology | None = None) -> None:
        self.gazetteer = gazetteer
        self.morph = morph or morphology()
        self._lemmas: dict[str, frozenset[str]] = {}
        #: A token (as written) -> the patterns that may start with it.
        self._starts: dict[str, tuple[_Pattern, ...]] = {}
        self._by_lemma: dict[str, list[_Pattern]] = {}
        self._by_exact: dict[str, list[_Pattern]] = {}
        self._patterns: list[_Pattern] = []  # kept alive: _order is by their ids
        self._order: dict[int, int] = {}
        grouped: dict[tuple[object, ...], list[tuple[Entity, Name]]] = {}
        shapes: dict[tuple[object, ...], tuple[object, ...]] = {}
        for entity in gazetteer:
            for name in entity.names:
                shape = self._shape(name)
                if shape is None:
                    continue
                key = shape if shape[2] is not None else (shape[0], shape[1], None)
                grouped.setdefault(key, []).append((entity, name))
                shapes[key] = shape
        for key, owners in grouped.items():
            words, capital, exact = shapes[key]
            pattern = _Pattern(words, capital, exact, tuple(owners))  # type: ignore[arg-type]
            self._order[id(pattern)] = len(self._order)
            self._patterns.append(pattern)
            if exact is not None:
                self._by_exact.setdefault(exact[0], []).append(pattern)  # type: ignore[index]
            else:
                for lemma in pattern.words[0]:
                    self._by_lemma.setdefault(lemma, []).append(pattern)

    def _shape(self, name: Name) -> tuple[object, ...] | None:
        tokens = TOKEN_RE.findall(name.text)
        if not tokens:
            return None
        if name.kind == "abbreviation":
            return ((), (), tuple(tokens))
        words = tuple(self.name_lemmas(t) for t in tokens)
        return (words, tuple(_is_capital(t) for t in tokens), None)

    def name_lemmas(self, token: str) -> frozenset[str]:
        """The lemmas a word of a name stands for (:func:`name_lemmas`)."""
        return name_lemmas(self.morph, token)

    def lemmas(self, token: str) -> frozenset[str]:
        """:func:`token_lemmas`, kept per token."""
        found = self._lemmas.get(token)
        if found is None:
            found = token_lemmas(self.morph, token)
            if len(self._lemmas) > 200_000:
                self._lemmas.clear()
            self._lemmas[token] = found
        return found

    def _candidates(self, token: str) -> tuple[_Pattern, ...]:
        found = self._starts.get(token)
        if found is None:
            patterns: list[_Pattern] = list(self._by_exact.get(token, ()))
            if _is_capital(token) or not token[:1].isalpha():
                for lemma in self.lemmas(token):
                    patterns.extend(self._by_lemma.get(lemma, ()))
            else:
                patterns.extend(
                    p
                    for lemma in self.lemmas(token)
                    for p in self._by_lemma.get(lemma, ())
                    if not p.capital[0]
                )
            # Longest first; among as long, in the gazetteer's order (deterministic).
            unique = {id(p): p for p in patterns}.values()
            found = tuple(sorted(unique, key=lambda p: (-p.size, self._order[id(p)])))
            if len(self._starts) > 200_000:
                self._starts.clear()
            self._starts[token] = found
        return found

    def _matches(self, pattern: _Pattern, tokens: Sequence[str], at: int) -> bool:
        if pattern.exact is not None:
            n = len(pattern.exact)
            return tuple(tokens[at : at + n]) == pattern.exact
        n = len(pattern.words)
        if at + n > len(tokens):
            return False
        for k in range(1, n):
            token = tokens[at + k]
            if pattern.capital[k] and not _is_capital(token):
                return False
            if not (pattern.words[k] & self.lemmas(token)):
                return False
        return True

    def hits(self, text: str, *, in_title: bool = False) -> list[_Hit]:
        """The names found in ``text``, longest first where they overlap."""
        tokens = TOKEN_RE.findall(text)
        starts = self._starts
        out = []
        at, n = 0, len(tokens)
        while at < n:
            candidates = starts.get(tokens[at])
            if candidates is None:
                candidates = self._candidates(tokens[at])
            for pattern in candidates:
                if self._matches(pattern, tokens, at):
                    out.append(_Hit(pattern, in_title))
                    end = at + pattern.size
                    if pattern.nested:
                        out += self._countries_within(pattern, tokens, at, end, in_title)
                    at = end
                    break
            else:
                at += 1
        return out

    def _countries_within(
        self, outer: _Pattern, tokens: Sequence[str], start: int, end: int, in_title: bool
    ) -> list[_Hit]:
        """A name that names its own country («МИД Казахстана», «Сенат США») is also
        a mention of that country."""
        countries = outer.nested
        found = []
        for at in range(start + 1, end):
            for pattern in self._candidates(tokens[at]):
                if (
                    at + pattern.size <= end
                    and pattern.names_countries & countries
                    and self._matches(pattern, tokens, at)
                ):
                    found.append(_Hit(pattern, in_title))
                    break
        return found

    def tag(self, title: str, body: str, year: int | None = None) -> list[Tag]:
        """The entities an article names, by id, with mentions and whether in the title."""
        hits = self.hits(title, in_title=True) + self.hits(body)
        return _resolve(hits, year)


def _resolve(hits: Iterable[_Hit], year: int | None) -> list[Tag]:
    """Give each hit to its entity, deciding shared names (see the module's rules)."""
    settled: list[tuple[Entity, bool]] = []
    undecided: list[tuple[list[Entity], bool]] = []
    for hit in hits:
        owners = _in_use(hit.pattern, year)
        if len(owners) == 1:
            settled.append((owners[0], hit.in_title))
        else:
            undecided.append((owners, hit.in_title))
    named = {entity.id for entity, _ in settled}
    countries = {entity.country for entity, _ in settled if entity.country}
    for owners, in_title in undecided:
        chosen = _by_context(owners, named, countries)
        if chosen is not None:
            settled.append((chosen, in_title))
    mentions = Counter(entity.id for entity, _ in settled)
    titled = {entity.id for entity, in_title in settled if in_title}
    return [Tag(entity_id, n, entity_id in titled) for entity_id, n in mentions.items()]


def _in_use(pattern: _Pattern, year: int | None) -> list[Entity]:
    """The owners of a name; of a shared one, those that used it in ``year`` (rule 1),
    unless none did."""
    owners = [entity for entity, _ in pattern.owners]
    if len(owners) == 1:
        return owners
    return [entity for entity, name in pattern.owners if name.in_use(year)] or owners


def _by_context(owners: Sequence[Entity], named: set[str], countries: set[str]) -> Entity | None:
    """The one of a shared name's owners the article otherwise names (rule 2), else the
    one of a country it names (rule 3); None when neither rule picks exactly one."""
    chosen = [e for e in owners if e.id in named] or [
        e for e in owners if e.country is not None and e.country in countries
    ]
    return chosen[0] if len(chosen) == 1 else None


def year_of(date: str | None) -> int | None:
    """The year of an ISO date (``2021-03-04``), or None."""
    if date and len(date) >= 4 and date[:4].isdigit():
        return int(date[:4])
    return None


@lru_cache(maxsize=1 << 16)
def name_lemmas(morph: Morphology, token: str) -> frozenset[str]:
    """The lemmas a word of a name stands for. A name is written in the nominative,
    so a common word it is only another case of is not among them («Газа» is not
    «газ», «Индия» not «индий»), while an adjective's nominative is («Центральная»:
    «центральный»). The word itself is kept, so it also matches as written. Kept per
    word: every gazetteer a process reads (its own, an archive's) shares most names."""
    word = fold_yo(token.lower())
    parses = [p for p in morph.analyser.parse(word) if p.is_known]
    kept = {
        fold_yo(p.normal_form)
        for p in parses
        if _PROPER & p.tag.grammemes or p.tag.case in (None, "nomn")
    }
    common = {fold_yo(p.normal_form) for p in parses} - kept - {word}
    return frozenset((token_lemmas(morph, token) - common) | {word})


def token_lemmas(morph: Morphology, token: str) -> frozenset[str]:
    """A token's lemmas, as the search index reads it (its term's lemmas), and the
    token itself (folded), so a name matches as written too."""
    return frozenset(morph.term(token).split(JOIN)) | {fold_yo(token.lower())}
