"""Russian morphology for search: every word form -> the lemmas it may be a form of.

A form is read by pymorphy3 with its Russian dictionary; every lemma the dictionary
gives for it is kept (as Manticore's ``lemmatize_ru_all`` keeps them), since a form
alone cannot say which one the text means (``стали``: of ``сталь`` or of ``стать``).
A word the dictionary does not know keeps its own form as a lemma. A capitalised one
of the surname kind (``-ов/-ев/-ин``: ``Ташиевым``, ``Мирзиёеву``, ``Жапарова``) also
gets its stem by the surname endings (``ташиев``); any other gets its Snowball stem
(PyStemmer: ``кенеша`` -> ``кенеш``), its stem without a noun's case ending (``Арала``
-> ``арал``) and pymorphy3's likeliest reading of it as a noun or an adjective, each
unless it is a word the dictionary knows, which would join it to that word's forms
(``Плано`` -> ``план``, ``Домье`` -> ``дом``).

Numbers are read as written: a decimal (``1,6``, ``1.6``) is one word, and a
percentage (``20%``, ``20 %``, ``8,5%``) is the figure and its own form ``20ǃ``, so
that ``20%`` finds only the percentage and ``20`` finds both. A decimal is two tokens
to SQLite's tokenizer, so its index term is followed by the placeholder term ``ǂ``:
the index keeps the text's token positions.

In the index a word is one *term*: its lemmas, sorted and joined by ``ǀ`` (U+01C0, a
letter, so SQLite's unicode61 tokenizer keeps the term whole). One term per word
keeps the index's token positions those of the text, so phrases and snippets work on
it as on the text. A query word is expanded to every term that shares a lemma with it
(see :mod:`centrasia_crawler.archive.morph`).

>>> m = Morphology()
>>> sorted(m.lemmas("Казахстане"))
['казахстан']
>>> m.index_text("В Бишкеке прошла встреча")
'в бишкек пройти встреча'
>>> "жапаров" in m.lemmas("Жапаровым") and "жапаров" in m.lemmas("жапаров", query=True)
True
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import Final

from centrasia_crawler.normalize.text import fold_yo

#: Joins the lemmas of an ambiguous form into one index term.
JOIN: Final = "ǀ"
#: A decimal's separator in its index term (``1ǂ6``), and the term that stands in the
#: index for a decimal's second token.
DECIMAL: Final = "ǂ"
#: Marks a percentage's own form (``20ǃ``).
PERCENT: Final = "ǃ"
#: Bumped when the terms an article gets change: the archive then re-indexes itself.
ALGORITHM: Final = 2
#: The combining marks and private-use characters a token holds, as ranges of a class.
_MARKS: Final = (
    "\u0300-\u036f\u0483-\u0487\u1ab0-\u1abd\u1dc0-\u1dff\u20d0-\u20dc\ufe20-\ufe2f\ue000-\uf8ff"
)
#: A token as SQLite's unicode61 tokenizer cuts one: letters, digits, combining marks,
#: private-use characters (its categories L*, N*, Mn, Co); everything else separates.
TOKEN_RE: Final = re.compile(f"(?:[^\\W_]|[{_MARKS}])+")
#: A word of the index: a number as written (a decimal, a percentage), else a token.
#: A decimal is two groups of digits joined by one comma or point, in no longer chain
#: (``01.06.2024`` stays three numbers) and touching no letter.
WORD_RE: Final = re.compile(
    r"(?<![0-9][.,])[0-9]+(?:[.,][0-9]+)?(?![.,]?[^\W_])(?:[ \u00a0\u202f]?%)?|" + TOKEN_RE.pattern
)
#: :data:`WORD_RE` for a text with no combining mark, private-use character or
#: underscore: there a token is a run of ``\w`` (one character class, which ``re``
#: repeats faster than a group of alternatives) and a number begins at a digit (so
#: ``re`` skips to a token's first character before trying the pattern).
PLAIN_WORD_RE: Final = re.compile(
    r"[0-9](?<![0-9][.,][0-9])[0-9]*(?:[.,][0-9]+)?(?![.,]?\w)(?:[ \u00a0\u202f]?%)?|\w+"
)
#: A character :data:`PLAIN_WORD_RE` does not read as :data:`WORD_RE` does.
NOT_PLAIN_RE: Final = re.compile(f"[_{_MARKS}]")
_NUMBER_RE: Final = re.compile(r"([0-9]+)(?:[.,]([0-9]+))?\s*(%?)")
_CYRILLIC_RE: Final = re.compile("[а-яё]")
_NOT_CYRILLIC_RE: Final = re.compile("[^а-яё]")
#: A surname's stem and one of its endings (after ё -> е): Жапаров|ым, Путин|а.
_SURNAME_RE: Final = re.compile(r"^([а-я]{2,}(?:ов|ев|ин|ын))(?:а|у|ым|ом|е|ой|ы|ых|ыми|ую)?$")
#: The shortest stem an unknown word is given (shorter ones join unrelated words).
_MIN_STEM: Final = 3
#: The parts of speech a guess for an unknown word is taken from.
_NOMINAL: Final = frozenset(("NOUN", "ADJF"))
#: A noun's or adjective's case ending (the shortest stem first, so the longest ending):
#: Snowball also takes verb endings off, which a name does not have (``Арала`` -> ``ара``).
_NOUN_END_RE: Final = re.compile(
    r"^(.{3,}?)(?:ами|ями|ого|его|ому|ему|ыми|ими|ой|ей|ом|ем|ам|ям|ах|ях|ую|юю|ая|яя"
    r"|ое|ее|ые|ие|ых|их|ым|им|а|я|у|ю|е|ы|и)$"
)
#: Index terms kept by token: a 20-year archive has over a million distinct tokens, and
#: the cache is emptied when full (its frequent tokens come back within a few pages).
_TERM_CACHE: Final = 400_000


def tokens(text: str) -> Iterator[str]:
    """The words of ``text`` as the morphological index reads them: SQLite's tokens,
    but a decimal or a percentage is one word (``1,6``, ``20 %``)."""
    return (m[0] for m in WORD_RE.finditer(text))


def word_list(text: str) -> list[str]:
    """The words of ``text`` as :func:`tokens` gives them, as a list: the same list as
    ``WORD_RE.findall(text)``.

    >>> word_list("Рост 8,5 % за 01.06.2024, а_б")
    ['Рост', '8,5 %', 'за', '01', '06', '2024', 'а', 'б']
    """
    if NOT_PLAIN_RE.search(text) is None:
        return PLAIN_WORD_RE.findall(text)
    return WORD_RE.findall(text)


def number(token: str) -> tuple[str, bool, bool] | None:
    """A number token as ``(figure, decimal, percentage)``, the figure in index letters
    (``1ǂ6``); None for any other token.

    >>> number("8,5 %"), number("20"), number("мир")
    (('8ǂ5', True, True), ('20', False, False), None)
    """
    found = _NUMBER_RE.fullmatch(token)
    if found is None:
        return None
    figure = found[1] if found[2] is None else found[1] + DECIMAL + found[2]
    return figure, found[2] is not None, bool(found[3])


def _noun_stem(word: str) -> str:
    """``word`` without a noun's or adjective's case ending (``арала`` -> ``арал``)."""
    found = _NOUN_END_RE.match(word)
    return found[1] if found else word


def surface(token: str) -> str:
    """The form a token is written in, as prefixes are matched against it: lower case,
    ё as е, no stress marks; a number without its spaces (``20 %`` -> ``20%``)."""
    if number(token) is not None:
        return "".join(token.split())
    return _plain(token)


def _plain(token: str) -> str:
    """Lower case, ё -> е, combining marks (stress marks) dropped."""
    word = fold_yo(token.lower())
    if not word.isalnum():
        word = "".join(ch for ch in word if not unicodedata.combining(ch))
    return word


class Morphology:
    """The analyser (one per process: pymorphy3 loads its dictionary in ~0.2 s)."""

    def __init__(self) -> None:
        import pymorphy3
        import Stemmer

        self.analyser = pymorphy3.MorphAnalyzer(lang="ru")
        self._dictionary = self.analyser.dictionary
        self._substitutes = self.analyser.char_substitutes
        self._stem = Stemmer.Stemmer("russian").stemWord
        # Cached by form: a parse is slow next to a look-up, and text repeats its words.
        self._analyse = lru_cache(maxsize=50_000)(self._analyse_uncached)
        self._terms: dict[str, str] = {}
        self._indexed: dict[str, str] = {}
        self._written: dict[str, tuple[str, str]] = {}

    @staticmethod
    @lru_cache(maxsize=1)
    def version() -> str:
        """What the index depends on: the algorithm and the dictionary's version."""
        from importlib.metadata import version

        return f"{ALGORITHM}/pymorphy3-dicts-ru {version('pymorphy3-dicts-ru')}"

    def _analyse_uncached(self, word: str, capitalised: bool) -> frozenset[str]:
        read = number(word)
        if read is not None:
            figure, _, percentage = read
            return frozenset((figure, figure + PERCENT) if percentage else (figure,))
        if not _CYRILLIC_RE.search(word) or _NOT_CYRILLIC_RE.search(word):
            return frozenset((word,))  # Latin, mixed: the form itself
        lemmas = self._dictionary_lemmas(word)
        if not lemmas:
            lemmas = self._unknown_lemmas(word, capitalised)
        elif capitalised and (surname := _SURNAME_RE.match(word)):
            lemmas.add(surname[1])
        return frozenset(fold_yo(lemma) for lemma in lemmas)

    def _unknown_lemmas(self, word: str, capitalised: bool) -> set[str]:
        """A word the dictionary lacks: its own form, and its surname stem (capitalised)
        or its Snowball stem, when that stem is no word of the dictionary's."""
        lemmas = {word}
        surname = _SURNAME_RE.match(word) if capitalised else None
        if surname:
            lemmas.add(surname[1])
        else:
            for stem in (self._stem(word), _noun_stem(word), self._guess(word)):
                if len(stem) >= _MIN_STEM and not self._dictionary_lemmas(stem):
                    lemmas.add(stem)
        return lemmas

    def _guess(self, word: str) -> str:
        """pymorphy3's likeliest normal form for a word its dictionary lacks, read as a
        noun or an adjective (what a name is), else the word itself."""
        nominal = [p for p in self.analyser.parse(word) if p.tag.POS in _NOMINAL]
        return max(nominal, key=lambda p: p.score).normal_form if nominal else word

    def _dictionary_lemmas(self, word: str) -> set[str]:
        """The normal forms the dictionary gives a word it knows, read straight from it:
        what ``parse`` gives as its known parses, without building every parse (about
        twice as fast)."""
        words = self._dictionary.words
        build = self._dictionary.build_normal_form
        return {
            build(para_id, idx, fixed)
            for fixed, parses in words.similar_items(word, self._substitutes)
            for para_id, idx in parses
        }

    def lemmas(self, token: str, *, query: bool = False) -> frozenset[str]:
        """The lemmas ``token`` may be a form of.

        In text, only a capitalised word may be a surname; a query word may be typed in
        lower case, so there every word is also read as one. A percentage typed in a
        query stands for the percentage only (in text, for its figure too).
        """
        word = _plain(token)
        if query and (read := number(word)) is not None and read[2]:
            return frozenset((read[0] + PERCENT,))  # a percentage: not the bare figure
        return self._analyse(word, query or token[:1].isupper())

    def term(self, token: str) -> str:
        """The index term of a word of text: its lemmas, sorted, joined (a decimal's
        term is followed by :data:`DECIMAL` in the index)."""
        term = self._terms.get(token)
        if term is None:
            lemmas = self._analyse_uncached(_plain(token), token[:1].isupper())
            term = JOIN.join(sorted(lemmas))
            if len(self._terms) >= _TERM_CACHE:
                self._terms.clear()
            self._terms[token] = term
        return term

    def index(self, text: str) -> tuple[str, list[str]]:
        """``text`` as the index reads it (one term per token, in order, a decimal's
        followed by :data:`DECIMAL`), and its words."""
        words = word_list(text)
        indexed = self._indexed
        return " ".join([indexed.get(w) or self._index_of(w) for w in words]), words

    def _index_of(self, word: str) -> str:
        term = self.term(word)
        read = number(word) if word[:1].isdigit() else None
        indexed = f"{term} {DECIMAL}" if read is not None and read[1] else term
        if len(self._indexed) >= _TERM_CACHE:
            self._indexed.clear()
        self._indexed[word] = indexed
        return indexed

    def written(self, word: str) -> tuple[str, str]:
        """``(form, term)`` of a word of text: how it is written (:func:`surface`) and
        its index term."""
        found = self._written.get(word)
        if found is None:
            found = (surface(word), self.term(word))
            if len(self._written) >= _TERM_CACHE:
                self._written.clear()
            self._written[word] = found
        return found

    def index_text(self, text: str) -> str:
        """``text`` as the index reads it: one term per token, in order."""
        return self.index(text)[0]


@lru_cache(maxsize=1)
def morphology() -> Morphology:
    """The process's analyser."""
    return Morphology()
