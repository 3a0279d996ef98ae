"""How well the tagger finds the gazetteer's entities, on labelled mentions:

- the demo generator's ground truth (``Site.mentions``: every name it wrote, as
  spelled, in which case, in the headline or the body), mapped to gazetteer ids by
  ``tests/replica/entity_ids.py``;
- the site's real headlines and paragraphs, labelled by hand
  (``tests/fixtures/entities/labelled.toml``).

A mention is counted per article and entity: found ``min(found, labelled)`` times.
Targets (issue 24): precision >= 0.95, recall >= 0.90; the countries each article is
about agree with the labels'.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from centrasia_crawler.entities.gazetteer import load
from centrasia_crawler.entities.tagger import Tagger
from tests.replica.content import Site
from tests.replica.entity_ids import REPLICA_TO_GAZETTEER

LABELLED = Path(__file__).parent / "fixtures" / "entities" / "labelled.toml"
SITE = Site(days=12, per_day=25, seed=24)

Case = tuple[str, str, int | None, Counter[str]]  # title, body, year, labelled mentions


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load())


@cache
def replica_cases() -> list[Case]:
    cases = []
    for st in sorted(SITE.by_st):
        truth = SITE.mentions(st)
        if truth is None:
            continue
        labelled = Counter(
            REPLICA_TO_GAZETTEER[e.key] for e in truth.phrases if e.key in REPLICA_TO_GAZETTEER
        )
        body, _ = SITE._body(st)
        cases.append((SITE.title(st), body, SITE.by_st[st].day.year, labelled))
    return cases


@cache
def hand_cases() -> list[Case]:
    data = tomllib.loads(LABELLED.read_text(encoding="utf-8"))
    return [
        (
            "",
            item["text"],
            int(item["date"][:4]) if item.get("date") else None,
            Counter(m["id"] for m in item.get("mentions", [])),
        )
        for item in data["text"]
    ]


def score(
    tagger: Tagger, cases: list[Case], universe: set[str] | None = None
) -> tuple[int, int, int, list[str]]:
    """Labelled mentions, found ones, and those both; with a line per disagreement.
    With a ``universe``, only its entities are judged (those the labels know)."""
    labelled = found = right = 0
    wrong = []
    for title, body, year, truth in cases:
        got = Counter(
            {
                t.entity_id: t.mentions
                for t in tagger.tag(title, body, year)
                if universe is None or t.entity_id in universe
            }
        )
        labelled += sum(truth.values())
        found += sum(got.values())
        right += sum((truth & got).values())
        if truth != got:
            text = (title + " " + body)[:70]
            wrong.append(f"{text!r}: missed {dict(truth - got)}, extra {dict(got - truth)}")
    return labelled, found, right, wrong


@pytest.mark.parametrize("cases", [replica_cases, hand_cases], ids=["replica", "by hand"])
def test_precision_and_recall_on_labelled_mentions(
    tagger: Tagger, cases: Callable[[], list[Case]]
) -> None:
    # The generator labels only its own entities (its templates name no other of them
    # as plain words); every gazetteer entity is judged in the hand-labelled texts.
    universe = set(REPLICA_TO_GAZETTEER.values()) if cases is replica_cases else None
    labelled, found, right, wrong = score(tagger, cases(), universe)
    precision, recall = right / found, right / labelled
    print(f"{labelled} labelled, {found} found: precision {precision:.3f}, recall {recall:.3f}")
    print("\n".join(wrong[:40]))
    assert labelled >= (1000 if cases is replica_cases else 120)
    assert precision >= 0.95 and recall >= 0.90, wrong[:10]


def test_at_least_300_labelled_mentions_in_all() -> None:
    total = sum(sum(c[3].values()) for c in (*replica_cases(), *hand_cases()))
    assert total >= 300


def test_each_article_is_about_the_countries_its_labels_say(tagger: Tagger) -> None:
    gazetteer = tagger.gazetteer
    universe = set(REPLICA_TO_GAZETTEER.values())
    agree = 0
    cases = replica_cases()
    for title, body, year, truth in cases:
        expected = {gazetteer[i].country for i in truth if gazetteer[i].country}
        got = {
            gazetteer[t.entity_id].country
            for t in tagger.tag(title, body, year)
            if t.entity_id in universe and gazetteer[t.entity_id].country
        }
        agree += expected == got
    print(f"{agree} of {len(cases)} articles: the same countries")
    assert agree / len(cases) >= 0.95
