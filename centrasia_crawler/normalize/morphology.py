"""Russian morphology for search: every word form -> the lemmas it may be a form of.

A form is read by pymorphy3 with its Russian dictionary; every lemma the dictionary
gives for it is kept (as Manticore's ``lemmatize_ru_all`` keeps them), since a form
alone cannot say which one the text means (``стали``: of ``сталь`` or of ``стать``).
Words the dictionary does not know get pymorphy3's best guesses, their Snowball stem
(PyStemmer), and, for a surname of the ``-ов/-ев/-ин`` kind (``Ташиевым``,
``Мирзиёеву``, ``Жапарова``), its stem by the surname endings: pymorphy3 reads
``Жапаров`` as the genitive plural of ``жапар`` and ``Токаев`` as that of ``токай``.

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
#: Bumped when the terms an article gets change: the archive then re-indexes itself.
ALGORITHM: Final = 1
#: A token as SQLite's unicode61 tokenizer cuts one: letters, digits, combining marks,
#: private-use characters (its categories L*, N*, Mn, Co); everything else separates.
TOKEN_RE: Final = re.compile(
    "(?:[^\\W_]|[\u0300-\u036f\u0483-\u0487\u1ab0-\u1abd\u1dc0-\u1dff\u20d0-\u20dc"
    "\ufe20-\ufe2f\ue000-\uf8ff])+"
)
_CYRILLIC_RE: Final = re.compile("[а-яё]")
_NOT_CYRILLIC_RE: Final = re.compile("[^а-яё]")
#: A surname's stem and one of its endings (after ё -> е): Жапаров|ым, Путин|а.
_SURNAME_RE: Final = re.compile(r"^([а-я]{2,}(?:ов|ев|ин|ын))(?:а|у|ым|ом|е|ой|ы|ых|ыми|ую)?$")
#: pymorphy3's guesses for unknown words below this share of the best one are noise.
_GUESS_SHARE: Final = 0.1
#: Index terms kept by token: a 20-year archive has over a million distinct tokens, and
#: the cache is emptied when full (its frequent tokens come back within a few pages).
_TERM_CACHE: Final = 400_000


def tokens(text: str) -> Iterator[str]:
    """The tokens of ``text`` as the full-text index cuts them."""
    return (m[0] for m in TOKEN_RE.finditer(text))


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

    @staticmethod
    @lru_cache(maxsize=1)
    def version() -> str:
        """What the index depends on: the algorithm and the dictionary's version."""
        from importlib.metadata import version

        return f"{ALGORITHM}/pymorphy3-dicts-ru {version('pymorphy3-dicts-ru')}"

    def _analyse_uncached(self, word: str, capitalised: bool) -> frozenset[str]:
        if not _CYRILLIC_RE.search(word) or _NOT_CYRILLIC_RE.search(word):
            return frozenset((word,))  # numbers, Latin, mixed: the form itself
        lemmas = self._dictionary_lemmas(word)
        if not lemmas:
            parses = self.analyser.parse(word)
            lemmas = {p.normal_form for p in parses if p.is_known}
            if not lemmas:
                best = max((p.score for p in parses), default=0.0)
                lemmas = {p.normal_form for p in parses if p.score >= best * _GUESS_SHARE}
                lemmas.add(self._stem(word))
        if capitalised:
            surname = _SURNAME_RE.match(word)
            if surname:
                lemmas.add(surname[1])
        return frozenset(fold_yo(lemma) for lemma in lemmas)

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
        lower case, so there every word is also read as one.
        """
        return self._analyse(_plain(token), query or token[:1].isupper())

    def term(self, token: str) -> str:
        """The index term of a token of text: its lemmas, sorted, joined."""
        term = self._terms.get(token)
        if term is None:
            lemmas = self._analyse_uncached(_plain(token), token[:1].isupper())
            term = JOIN.join(sorted(lemmas))
            if len(self._terms) >= _TERM_CACHE:
                self._terms.clear()
            self._terms[token] = term
        return term

    def index_text(self, text: str) -> str:
        """``text`` as the index reads it: one term per token, in order."""
        terms = self._terms
        return " ".join([terms.get(token) or self.term(token) for token in TOKEN_RE.findall(text)])


@lru_cache(maxsize=1)
def morphology() -> Morphology:
    """The process's analyser."""
    return Morphology()
