"""The queries a researcher types, against the replica's ground truth.

The replica's generated news (tests/replica/news.py) records every name it writes
(``Site.mentions``): which entity, as spelled, in the title or the body. Each query
below is checked against a predicate over that record, not against the search's own
reading of the text: two and three unquoted words, a first name with a surname in
another case, OR/NOT/NEAR, a phrase with a word, prefixes, column filters, hyphenated
names, ё/е, Latin and digits. The same queries run through ``count``, ``kwic`` and
``export --query``, which must agree with ``search``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.normalize.morphology import TOKEN_RE
from tests.helpers import site_archive
from tests.replica.content import Mentions, Site

Truth = Callable[[Mentions], bool]
SITE = Site(days=40, per_day=12, last_day=Site.last_day)


@cache
def mentions_of(st: int) -> Mentions | None:
    """The generator's record for ``st``, made once (each query reads all of them)."""
    return SITE.mentions(st)


@cache
def article_of(st: int) -> dict[str, Any]:
    return SITE.article(st)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    path = tmp_path_factory.mktemp("research") / "archive.sqlite"
    site_archive(tmp_path_factory, SITE, path)
    with Archive.open(path, readonly=True) as reader:
        yield reader


def has(key: str) -> Truth:
    return lambda m: key in m.entities


def full(key: str) -> Truth:
    """The entity named with more than one word (a person's first name and surname)."""
    return lambda m: (
        key in m.entities and any(len(TOKEN_RE.findall(form)) > 1 for form in m.entities[key].forms)
    )


def in_title(key: str) -> Truth:
    return lambda m: key in m.entities and m.entities[key].in_title


def in_body(key: str) -> Truth:
    return lambda m: key in m.entities and m.entities[key].in_body


def every(*truths: Truth) -> Truth:
    return lambda m: all(t(m) for t in truths)


def any_of(*truths: Truth) -> Truth:
    return lambda m: any(t(m) for t in truths)


def but(keep: Truth, drop: Truth) -> Truth:
    return lambda m: keep(m) and not drop(m)


def number(digits: str) -> Truth:
    return lambda m: any(digits in TOKEN_RE.findall(n) for n in m.numbers)


def _positions(st: int, key: str, column: str) -> list[int]:
    """Where the entity's name ends (its last word: a surname) in a column's tokens."""
    text = article_of(st)[column]
    words = TOKEN_RE.findall(text)
    found = []
    for form in mentions_of(st).entities[key].forms:  # type: ignore[union-attr]
        parts = TOKEN_RE.findall(form)
        for i in range(len(words) - len(parts) + 1):
            if words[i : i + len(parts)] == parts:
                found.append(i + len(parts) - 1)
    return found


def near(a: str, b: str, distance: int = 10) -> Truth:
    """FTS5's NEAR: at most ``distance`` tokens between the two names, either order."""

    def truth(m: Mentions) -> bool:
        if a not in m.entities or b not in m.entities:
            return False
        for column in ("title", "body"):
            for pa in _positions(m.st, a, column):
                for pb in _positions(m.st, b, column):
                    if abs(pa - pb) - 1 <= distance:
                        return True
        return False

    return truth


QUERIES: list[tuple[str, Truth]] = [
    # two and three unquoted words, each word with its readings
    ("Садыр Жапаров", full("japarov")),
    ("Жапаров Ташиев", every(has("japarov"), has("tashiev"))),
    ("Жапаров Ташиев Бишкек", every(has("japarov"), has("tashiev"), has("bishkek"))),
    ("Ташкент Астана", every(has("tashkent"), has("astana"))),
    ("Токаев Мирзиёев Путин", every(has("tokayev"), has("mirziyoyev"), has("putin"))),
    ("Токаев Мирзиёев", every(has("tokayev"), has("mirziyoyev"))),
    ("ШОС OR ОДКБ", any_of(has("sco"), has("csto"))),
    ("ГКНБ Ташиев", every(has("gknb"), has("tashiev"))),
    ("Талибан Кабул", every(has("taliban"), has("kabul"))),
    ("Рогунская ГЭС", has("rogun")),
    # a first name with a surname, in other cases
    ("Садыра Жапаровым", full("japarov")),
    ("Камчыбеку Ташиева", full("tashiev")),
    ("Шавката Мирзиёеву", full("mirziyoyev")),
    ("Жапарову", has("japarov")),
    ("Ташкенте", has("tashkent")),
    ("Кыргызстана", has("kg")),
    # operators
    ("Жапаров OR Токаев", any_of(has("japarov"), has("tokayev"))),
    ("Жапаров NOT Ташиев", but(has("japarov"), has("tashiev"))),
    ("Кыргызстан NOT Казахстан", but(has("kg"), has("kz"))),
    (
        "(Токаев OR Мирзиёев) Путин",
        every(any_of(has("tokayev"), has("mirziyoyev")), has("putin")),
    ),
    ("Токаев Мирзиёев NOT Путин", but(every(has("tokayev"), has("mirziyoyev")), has("putin"))),
    (
        "Жапаров AND (Бишкек OR Москва)",
        every(has("japarov"), any_of(has("bishkek"), has("moscow"))),
    ),
    ("NEAR(Жапаров Ташиев, 5)", near("japarov", "tashiev", 5)),
    ("NEAR(Путин Токаев)", near("putin", "tokayev")),
    # phrases, alone and with words
    ('"Садыр Жапаров"', full("japarov")),
    ('"Жогорку Кенеш"', has("kenesh")),
    ('"Жогорку Кенеша" Жапаров', every(has("kenesh"), has("japarov"))),
    ("«Жогорку Кенеш» OR Мажилис", any_of(has("kenesh"), has("mazhilis"))),
    ('"Центральная Азия"', has("ca")),
    ('"Центральной Азии" Китай', every(has("ca"), has("cn"))),
    ('"Ферганская долина" NOT Таджикистан', but(has("fergana"), has("tj"))),
    # prefixes and columns
    ("Жапар*", has("japarov")),
    ("Токае* Путин", every(has("tokayev"), has("putin"))),
    ("title:Жапаров", in_title("japarov")),
    ("title:(Токаев OR Мирзиёев)", any_of(in_title("tokayev"), in_title("mirziyoyev"))),
    ("body:Жапаров", in_body("japarov")),
    ("title:Жапаров body:Ташиев", every(in_title("japarov"), in_body("tashiev"))),
    # hyphens, ё and е, Latin, digits
    ("Касым-Жомарт Токаев", full("tokayev")),
    ("Касым-Жомарта", full("tokayev")),
    ("Нур-Султан", has("nursultan")),
    ("Джалал-Абаде", has("jalalabad")),
    ("Иссык-Куль", has("issykkul")),
    ("Мирзиёев", has("mirziyoyev")),
    ("Мирзиеев", has("mirziyoyev")),
    ("SCImago", has("scimago")),
    ("scimago", has("scimago")),
    ("Brent", has("brent")),
    ("CASA-1000", has("casa")),
    ("Си Цзиньпин", has("xi")),
    ("2027", number("2027")),
]


def truth(query: Truth) -> set[int]:
    found = set()
    for st in SITE.by_st:
        mentions = mentions_of(st)
        if mentions is not None and query(mentions):
            found.add(st)
    return found


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[q for q, _ in QUERIES])
def test_a_researchers_query_finds_exactly_the_articles_that_match(
    store: Archive, query: str, expected: Truth
) -> None:
    wanted = truth(expected)
    found = {r["st"] for r in store.search(query, limit=None)}
    assert found == wanted, (query, sorted(found - wanted)[:5], sorted(wanted - found)[:5])
    assert store.count(query) == len(wanted)
    assert [r["st"] for r in store.articles(query)] == sorted(wanted)


def test_the_table_is_not_trivial() -> None:
    """Each query matches some articles and not all (or it would test nothing)."""
    total = len(SITE.by_st)
    for query, expected in QUERIES:
        assert 0 < len(truth(expected)) < total, query


@pytest.mark.parametrize(
    "query", ["Садыр Жапаров", '"Жогорку Кенеш"', "Касым-Жомарт Токаев", "Мирзиеев", "2027"]
)
def test_kwic_shows_the_names_as_the_articles_spell_them(store: Archive, query: str) -> None:
    lines = list(store.kwic(query, width=30))
    assert lines
    for line in lines:
        text = SITE.article(line["st"])[line["column"]]
        assert f"{line['left']}{line['match']}{line['right']}" in text.replace("\n", " ")
        mentions = SITE.mentions(line["st"])
        assert mentions is not None
        spelled = {form for m in mentions.entities.values() for form in m.forms}
        parts = {p for form in spelled | set(mentions.numbers) for p in TOKEN_RE.findall(form)}
        assert set(TOKEN_RE.findall(line["match"])) <= parts, line
