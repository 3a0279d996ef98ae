"""The replica's generated news: grammatical in the checkable sense, deterministic, with
topics and events, and a ground truth (``Site.mentions``) that a plain search agrees with."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from functools import cache
from typing import Any

import pytest

from centrasia_crawler.normalize.headline import attribution
from tests.replica.content import Site
from tests.replica.gazetteer import CASES, ENTITIES
from tests.replica.news import Emission, Template, name_form, name_forms
from tests.replica.topics import EVENTS, GENERIC, GENERIC_SUBHEADS, TOPICS


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(days=40, per_day=12, seed=3)


def generated(site: Site) -> list[int]:
    return sorted(site.by_st)


@cache
def morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


def declined_words(key: str) -> set[str]:
    """The words of ``key``'s forms that change with the case (not «Жогорку», «ГЭС»)."""
    words: set[str] = set()
    for short in (False, True):
        split = [name_form(key, c, short).split() for c in CASES]
        for position in zip(*split, strict=True):
            if len(set(position)) > 1:
                words |= set(position)
    return words


@cache
def accepted(word: str, case: str) -> bool:
    """pymorphy3 reads ``word`` as a form in ``case`` (a hyphenated name: its last part)."""
    cases = {case} | ({"gent"} if case == "accs" else set())  # animate accusative
    for w in {word, word.split("-")[-1]}:
        if any(p.tag.case in cases for p in morph().parse(w)):
            return True
    return False


#: Forms pymorphy3 reads in another case only, checked by hand (gazetteer.py): the
#: nominatives of surnames it takes for a genitive plural («Токаев» of «токай»), and
#: towns it knows only as a person's name (an animate accusative).
UNREAD = {
    ("Токаев", "nomn"),
    ("Бектенов", "nomn"),
    ("Бердымухамедов", "nomn"),
    ("Баткен", "accs"),
    ("Джалал-Абад", "accs"),
}


def test_every_declined_name_word_is_in_the_case_its_slot_asked_for(site: Site) -> None:
    checked: Counter[str] = Counter()
    for st in generated(site):
        truth = site.mentions(st)
        assert truth is not None
        for e in truth.phrases:
            if e.key == "#":
                continue
            assert e.text == name_form(e.key, e.case, e.short)
            declined = declined_words(e.key)
            for word in e.text.split():
                if word in declined and (word, e.case) not in UNREAD:
                    assert accepted(word, e.case), (e, word)
                    checked[e.case] += 1
    assert set(checked) == set(CASES), checked  # every case was asked for and checked


def test_the_hand_written_forms_are_the_ones_pymorphy3_makes_where_it_knows_the_word() -> None:
    """Where pymorphy3's dictionary knows every word of a name, its forms and the
    gazetteer's agree: the hard-coded ones are only for what it does not know."""
    for key, entity in ENTITIES.items():
        for case in CASES:
            form = name_form(key, case)
            assert form, (key, case)
            if entity.fixed:
                assert form == entity.name
        assert name_form(key, "nomn") == entity.name
    assert name_form("mirziyoyev", "ablt") == "Шавкатом Мирзиёевым"
    assert name_form("kenesh", "gent") == "Жогорку Кенеша"
    assert name_form("bishkek", "loct") == "Бишкеке"
    assert name_form("japarov", "datv", short=True) == "Жапарову"
    assert name_form("putin", "ablt") == "Владимиром Путиным"
    assert name_form("tokayev", "gent") == "Касым-Жомарта Токаева"
    assert name_form("amudarya", "ablt") == "Амударьёй"
    assert name_form("matviyenko", "ablt", short=True) == "Матвиенко"


@cache
def pattern(key: str) -> re.Pattern[str]:
    """Any form of ``key`` as a whole word (hyphenated names whole too)."""
    forms = "|".join(re.escape(f) for f in sorted(name_forms(key), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{forms})(?![\w-])")


def search_forms(text: str, key: str) -> bool:
    # A text that holds none of the forms as a substring holds none as a word: the
    # pattern is searched only in a text that does.
    return any(form in text for form in name_forms(key)) and pattern(key).search(text) is not None


def test_the_truth_equals_a_plain_search_of_the_surface_forms(site: Site) -> None:
    for st in generated(site):
        article, truth = site.article(st), site.mentions(st)
        assert truth is not None
        for where, text in (("title", article["title"]), ("body", article["body"])):
            found = {key for key in ENTITIES if search_forms(text, key)}
            named = {
                key
                for key, m in truth.entities.items()
                if (m.in_title if where == "title" else m.in_body)
            }
            assert found == named, (st, where, text)
        for m in truth.entities.values():
            assert all(f in f"{article['title']}\n{article['body']}" for f in m.forms)
        for number in truth.numbers:
            assert number in article["title"] + article["body"]


def test_no_two_entities_share_a_form() -> None:
    """A search for one entity's word never finds another (no shared surname); words as
    the index splits them (at hyphens too: «Касым», «Жомарт»)."""
    owner: dict[str, str] = {}
    for key in ENTITIES:
        for form in name_forms(key):
            for word in re.findall(r"\w+", form):
                if word in owner and owner[word] != key and word not in SHARED_WORDS:
                    raise AssertionError((word, owner[word], key))
                owner[word] = key


#: Words of several names, not a name on their own: Рогунская ГЭС, Камбаратинская ГЭС-1.
SHARED_WORDS = {"ГЭС"}


def test_no_template_writes_a_name_as_plain_text() -> None:
    texts = [*GENERIC, *GENERIC_SUBHEADS]
    for topic in (*TOPICS, *EVENTS.values()):
        texts += [*topic.headlines, *topic.sentences, *topic.subheads]
    texts += [e.role or "" for e in ENTITIES.values()]
    for text in texts:
        literal = "".join(p for p in Template.of(text).parts if isinstance(p, str))
        for key in ENTITIES:
            assert not search_forms(literal, key), (key, text)


def test_headlines_keep_the_sites_shapes(site: Site) -> None:
    titles = [site.title(st) for st in generated(site)]
    assert all(attribution(site.title(st)) == site.attribution(st) for st in generated(site))
    assert any(t.startswith("НГ: ") for t in titles) and any(
        t.startswith("Взгляд: ") for t in titles
    )
    assert sum(", - " in t for t in titles) > 20
    undashed = [t for t in titles if " - " in t and ", - " not in t]
    assert len(undashed) > 20
    assert all(t[0].isupper() or t[0] == '"' for t in titles)


def test_the_text_has_what_queries_need(site: Site) -> None:
    text = "\n".join(
        f"{site.article(st)['title']}\n{site.article(st)['body']}" for st in generated(site)
    )
    for needed in (
        "Садыр Жапаров",
        "Касым-Жомарт",
        "Нур-Султан",
        "Мирзиёев",
        "SCImago",
        "Brent",
        "IT",
        "CASA-1000",
        "«",
        "ё",
        "%",
    ):
        assert needed in text, needed
    assert re.search(r"\b20[23]\d году\b", text)


def test_articles_are_about_one_topic_and_not_every_country(site: Site) -> None:
    truths = [site.mentions(st) for st in generated(site)]
    assert all(t is not None for t in truths)
    topics = Counter(t.topic for t in truths if t)
    assert set(topics) == {t.key for t in TOPICS}
    for country in ("kz", "kg", "uz", "tj"):
        share = sum(country in t.entities for t in truths if t) / len(truths)
        assert 0.05 < share < 0.6, (country, share)
    both = sum({"kz", "kg"} <= set(t.entities) for t in truths if t)
    assert both < len(truths) / 4


def test_events_make_attention_rise_and_fall(site: Site) -> None:
    """The referendum peaks 24 days before the last day; far from it, nobody writes of it."""
    peak = site.last_day - dt.timedelta(days=24)
    per_day: Counter[int] = Counter()
    for st in generated(site):
        if "референдум" in site.article(st)["body"].lower():
            per_day[(site.by_st[st].day - peak).days] += 1
    near = sum(per_day[d] for d in (-1, 0, 1))
    far = sum(n for d, n in per_day.items() if abs(d) > 10)
    assert near >= 10 and far == 0, per_day


def test_the_same_seed_writes_the_same_site() -> None:
    """Sites writing their own text (``shared=False``): two of one seed write the same;
    another seed writes other text; a Site of more articles a day writes the same text
    for the articles both have. Sites sharing their newsroom's text give that text."""
    a, b = Site(days=3, per_day=5, shared=False), Site(days=3, per_day=5, shared=False)
    c = Site(days=3, per_day=5, seed=2, shared=False)
    assert [a.article(st) for st in sorted(a.by_st)] == [b.article(st) for st in sorted(b.by_st)]
    assert [a.article(st)["body"] for st in sorted(a.by_st)] != [
        c.article(st)["body"] for st in sorted(c.by_st)
    ]
    more = Site(days=3, per_day=20, shared=False)
    both = sorted(set(a.by_st) & set(more.by_st))
    assert len(both) >= 5, both
    for st in both:
        assert (a.article(st)["body"], a.title(st)) == (more.article(st)["body"], more.title(st))
        assert a.mentions(st) == more.mentions(st)
    writer = Site(days=3, per_day=20)  # writes the newsroom's shared text (or reads it)
    assert [writer.mentions(st) for st in both] == [a.mentions(st) for st in both]
    shared = Site(days=3, per_day=5)
    assert [shared.article(st) for st in sorted(shared.by_st)] == [
        a.article(st) for st in sorted(a.by_st)
    ]
    assert [shared.mentions(st) for st in both] == [a.mentions(st) for st in both]


def test_mentions_covers_only_what_the_generator_wrote(site: Site) -> None:
    own = Site(days=2, per_day=5)
    first, second = sorted(own.by_st)[:2]
    own.edit(first, body="Текст.")
    own.edit(second, title="Заголовок")
    assert own.mentions(first) is None
    truth = own.mentions(second)
    assert truth is not None and not truth.title_generated
    assert not any(m.in_title for m in truth.entities.values())
    assert all(isinstance(e, Emission) for e in truth.phrases)
