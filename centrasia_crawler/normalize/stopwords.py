"""Russian stop words: one list (the stop-words package's), two uses.

``centrasia terms`` never lists any of :func:`stop_words`. A query made only of
:func:`function_words` (prepositions, conjunctions, particles, pronouns...) is refused:
the list's nouns, verbs and adjectives (``год``, ``стать``, ``новый``) are words a news
archive is searched for.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from centrasia_crawler.normalize.text import fold_yo

#: Parts of speech that carry no topic (pymorphy3's tags).
_FUNCTION_POS: Final = frozenset("PREP CONJ PRCL NPRO INTJ ADVB PRED".split())


@cache
def stop_words() -> frozenset[str]:
    """The stop-words package's Russian list, lower case, ё folded."""
    from stop_words import get_stop_words

    return frozenset(fold_yo(w.lower()) for w in get_stop_words("russian"))


@cache
def function_words() -> frozenset[str]:
    """The stop words that are function words (no noun, verb or adjective)."""
    from centrasia_crawler.normalize.morphology import morphology

    parse = morphology().analyser.parse
    return frozenset(w for w in stop_words() if parse(w)[0].tag.POS in _FUNCTION_POS)
