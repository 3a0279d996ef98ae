"""Stories, not reprints: the replica's reprints clustered into stories.

The replica is given reprints here (``Site.edit``: later articles carry an earlier
one's text under their own headline and another outlet) and one article that takes
two paragraphs of another. The truth is computed in the test: the articles grouped by
their text (whitespace and case folded), and the share of paragraphs two articles
have in common."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from centrasia_crawler.archive import Archive
from centrasia_crawler.archive.attention import period_of
from centrasia_crawler.cli import cli
from tests.helpers import rows
from tests.replica.content import Site

SITE = Site(days=20, per_day=12, seed=5, last_day=dt.date(2026, 2, 19))
#: Texts no article of SITE has (another seed's articles).
OTHER = Site(days=2, per_day=6, seed=77, last_day=dt.date(2025, 6, 1))
STS = sorted(st for st in SITE.by_st if st not in SITE.disallowed)


def _reprints() -> tuple[dict[int, int], tuple[int, int]]:
    """Make reprints in SITE: every tenth article is reprinted by the next one to three
    (one of them with its whitespace and case changed); and one article takes two
    paragraphs of another and the rest from elsewhere. Returns reprint -> original,
    and that pair."""
    rng = random.Random(5)
    copies: dict[int, int] = {}
    for i in range(0, len(STS) - 4, 10):
        original = STS[i]
        body = SITE.article(original)["body"]
        for n, st in enumerate(STS[i + 1 : i + 1 + rng.randint(1, 3)]):
            text = body if n else body.replace(" ", "  ").upper()
            SITE.edit(st, body=text, source=f"Перепечатка {n}")
            copies[st] = original
    taken, taker = STS[5], STS[6]  # neither a reprint nor reprinted
    own = SITE.article(taken)["body"].split("\n\n")
    elsewhere = OTHER.article(sorted(OTHER.by_st)[0])["body"].split("\n\n")
    SITE.edit(taker, body="\n\n".join([*own[:2], *elsewhere]))
    return copies, (taken, taker)


COPIES, APART = _reprints()


def normalized(text: str) -> str:
    return " ".join(text.split()).casefold()


@cache
def paragraphs(st: int) -> frozenset[str]:
    """An article's paragraphs, normalized (kept: the premises compare every pair)."""
    return frozenset(normalized(p) for p in SITE.article(st)["body"].split("\n\n") if p.strip())


def truth() -> dict[int, int]:
    """Each article's story by the test's own reading: the first (lowest st) of the
    articles with the same normalized text."""
    groups: dict[str, list[int]] = defaultdict(list)
    for st in STS:
        groups[normalized(SITE.article(st)["body"])].append(st)
    return {st: min(group) for group in groups.values() for st in group}


def stories_of(path: Path) -> dict[int, int]:
    return {r["st"]: r["story"] for r in rows(path, "SELECT st, story FROM article_stories")}


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The replica's articles written as a crawl writes them: in batches, out of order."""
    path = tmp_path_factory.mktemp("stories") / "archive.sqlite"
    order = list(STS)
    random.Random(1).shuffle(order)
    headlines = [
        {**h, "listed_on": day.isoformat(), "page_url": "u"}
        for day in SITE.day_list()
        for h in SITE.headlines(day)
    ]
    with Archive.open(path) as writer:
        writer.write_batch([], headlines)
        for start in range(0, len(order), 40):
            writer.write_batch([SITE.article(st) for st in order[start : start + 40]])
    return path


@pytest.fixture(scope="module")
def store(path: Path) -> Iterator[Archive]:
    with Archive.open(path, readonly=True) as reader:
        yield reader


def test_the_premises_hold() -> None:
    """Reprints exist; every two articles of different texts share under 30% of their
    paragraphs (the generated news shares none), the constructed pair among them."""
    expected = truth()
    assert len(set(expected.values())) < len(STS) - 20
    by_story: dict[int, list[int]] = defaultdict(list)
    for st, story in expected.items():
        by_story[story].append(st)
    firsts = sorted(by_story)
    for i, a in enumerate(firsts):
        for b in firsts[i + 1 :]:
            shared = len(paragraphs(a) & paragraphs(b))
            assert shared < 0.3 * min(len(paragraphs(a)), len(paragraphs(b))), (a, b)
    taken, taker = APART
    assert 0 < len(paragraphs(taken) & paragraphs(taker)) < 0.3 * len(paragraphs(taker))


def test_reprints_are_one_story_and_the_rest_apart(path: Path) -> None:
    """Written in batches and out of order, the stories are the groups of same text:
    their ids the first article's st; the pair sharing two paragraphs stays apart."""
    found = stories_of(path)
    assert found == truth()
    taken, taker = APART
    assert found[taken] != found[taker]


def test_a_rebuild_gives_the_same_stories(path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.sqlite"
    with Archive.open(path, readonly=True) as reader:
        reader.conn.execute("VACUUM INTO ?", (str(copy),))
    with Archive.open(copy) as writer:
        assert writer.rebuild_stories() == len(STS)
    assert stories_of(copy) == truth()
    assert rows(copy, "SELECT count(DISTINCT st) AS n FROM story_bands")[0]["n"] == len(STS)


def test_an_article_revised_leaves_its_story(path: Path, tmp_path: Path) -> None:
    """A reprint whose text changes to another leaves the story; an original whose
    reprint is revised keeps the rest of its story."""
    copy = tmp_path / "copy.sqlite"
    with Archive.open(path, readonly=True) as reader:
        reader.conn.execute("VACUUM INTO ?", (str(copy),))
    original = min(set(COPIES.values()))
    reprints = sorted(st for st, of in COPIES.items() if of == original)
    changed = reprints[0]
    other = OTHER.article(sorted(OTHER.by_st)[1])["body"]
    with Archive.open(copy) as writer:
        writer.write_batch([{**SITE.article(changed), "body": other}])
    found = stories_of(copy)
    assert found[changed] == changed
    assert all(found[st] == original for st in [original, *reprints[1:]])


def test_story_lists_its_articles_outlets_and_days(store: Archive) -> None:
    original = max(set(COPIES.values()))
    members = sorted([original, *(st for st, of in COPIES.items() if of == original)])
    story = store.story(members[-1])
    assert story is not None
    assert story["story"] == original
    assert [a["st"] for a in story["articles"]] == members
    outlets = [SITE.article(st)["source"] for st in members]
    assert story["outlets"] == list(dict.fromkeys(outlets))
    days = [SITE.article(st)["published_at"][:10] for st in members]
    assert (story["first"], story["last"]) == (min(days), max(days))
    assert store.story(1) is None
    alone = next(st for st in STS if truth()[st] == st and st not in COPIES.values())
    assert [a["st"] for a in store.story(alone)["articles"]] == [alone]  # type: ignore[index]


def test_stories_lists_the_reprinted_ones(store: Archive) -> None:
    sizes: dict[int, int] = defaultdict(int)
    for story in truth().values():
        sizes[story] += 1
    reprinted = {s: n for s, n in sizes.items() if n > 1}
    listed = store.stories(limit=None)
    assert {s["story"]: s["articles"] for s in listed} == reprinted
    assert [s["articles"] for s in listed] == sorted(reprinted.values(), reverse=True)


#: The query of the trend, and the test's own reading of what it matches: the name in
#: any of its case forms, in the title or the text.
QUERY, FORMS = "Узбекистан", re.compile(r"\bУзбекистан(?:а|у|ом|е)?\b", re.IGNORECASE)


@pytest.mark.parametrize("by", ["day", "week"])
def test_trend_counts_distinct_stories_per_period(path: Path, store: Archive, by: str) -> None:
    articles = [SITE.article(st) for st in STS]
    matching = [a for a in articles if FORMS.search(f"{a['title']}\n{a['body']}")]
    assert store.count(QUERY) == len(matching) > 10
    expected = truth()
    stories: dict[str, set[int]] = defaultdict(set)
    everything: dict[str, set[int]] = defaultdict(set)
    for a in articles:
        label = period_of(dt.date.fromisoformat(a["published_at"][:10]), by)  # type: ignore[arg-type]
        everything[label].add(expected[a["st"]])
        if a in matching:
            stories[label].add(expected[a["st"]])
    result = CliRunner().invoke(
        cli, ["trend", QUERY, "--by", by, "--stories", "--json", "--archive", str(path)]
    )
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    assert {r["period"]: r["articles"] for r in got} == {
        label: len(stories.get(label, ())) for label in everything
    }
    assert {r["period"]: r["total"] for r in got} == {k: len(v) for k, v in everything.items()}
    plain = {r["period"]: r["articles"] for r in store.trend(QUERY, by=by)}
    assert sum(plain.values()) == len(matching) > sum(len(s) for s in stories.values())


def test_search_by_story_shows_each_story_once_with_its_reprints(path: Path) -> None:
    expected = truth()
    sizes: dict[int, int] = defaultdict(int)
    for story in expected.values():
        sizes[story] += 1
    result = CliRunner().invoke(
        cli, ["search", QUERY, "--stories", "--limit", "0", "--json", "--archive", str(path)]
    )
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    matching = {
        a["st"] for a in map(SITE.article, STS) if FORMS.search(f"{a['title']}\n{a['body']}")
    }
    assert sorted(r["story"] for r in got) == sorted({expected[st] for st in matching})
    assert all(r["reprints"] == sizes[r["story"]] for r in got)
    assert all(expected[r["st"]] == r["story"] for r in got)


def test_countries_count_stories(path: Path) -> None:
    """Truth: the countries the tagger stored for each article (article_tags), each
    article's story from the test's grouping."""
    expected = truth()
    day_of = {st: SITE.article(st)["published_at"][:10] for st in STS}
    want: dict[tuple[str, str], set[int]] = defaultdict(set)
    for r in rows(path, "SELECT st, countries FROM article_tags"):
        for country in json.loads(r["countries"]):
            want[country, period_of(dt.date.fromisoformat(day_of[r["st"]]), "week")].add(
                expected[r["st"]]
            )
    assert want
    result = CliRunner().invoke(
        cli,
        ["countries", "--by", "week", "--top", "0", "--stories", "--json", "--archive", str(path)],
    )
    assert result.exit_code == 0, result.output
    got = {(r["country"], r["period"]): r["articles"] for r in json.loads(result.output)}
    assert {k: n for k, n in got.items() if n} == {k: len(v) for k, v in want.items()}


def test_entities_count_stories(path: Path) -> None:
    """Truth: the entities the tagger stored for each article, each article's story
    from the test's grouping; the stories matched by a query from the test's scan."""
    expected = truth()
    names = {r["id"]: r["name"] for r in rows(path, "SELECT id, name FROM entities")}
    tags = rows(path, "SELECT st, entity_id FROM article_entities")
    matching = {
        a["st"] for a in map(SITE.article, STS) if FORMS.search(f"{a['title']}\n{a['body']}")
    }
    for query in (None, QUERY):
        want: dict[str, set[int]] = defaultdict(set)
        for r in tags:
            if query is None or r["st"] in matching:
                want[names[r["entity_id"]]].add(expected[r["st"]])
        arguments = ["entities", *([query] if query else []), "--stories", "--limit", "0"]
        result = CliRunner().invoke(cli, [*arguments, "--json", "--archive", str(path)])
        assert result.exit_code == 0, result.output
        found = json.loads(result.output)
        assert len(want) > 5
        stories = {expected[st] for st in (matching if query else STS)}
        assert found["matched"] == len(stories)
        assert {e["name"]: e["articles"] for e in found["entities"]} == {
            name: len(v) for name, v in want.items()
        }


@pytest.mark.parametrize("form", ["jsonl", "csv", "parquet"])
def test_the_export_carries_each_articles_story(path: Path, tmp_path: Path, form: str) -> None:
    if form == "parquet":
        pytest.importorskip("pyarrow", reason="pyarrow is not installed ([parquet] extra)")
    out = tmp_path / f"articles.{form}"
    result = CliRunner().invoke(cli, ["export", "--archive", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    if form == "jsonl":
        found = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    elif form == "csv":
        import csv

        with out.open(encoding="utf-8", newline="") as f:
            found = [{**r, "st": int(r["st"]), "story": int(r["story"])} for r in csv.DictReader(f)]
    else:
        import pyarrow.parquet as pq

        found = pq.read_table(out).to_pylist()
    assert list(found[0])[-2:] == ["story", "body"]
    assert {r["st"]: r["story"] for r in found} == truth()
    with Archive.open(path, readonly=True) as reader:
        assert {r["st"]: r["story"] for r in reader.articles()} == truth()


def test_upgrade_clusters_an_archive_stored_before_stories(tmp_path: Path) -> None:
    from centrasia_crawler.archive.store import upgrade
    from tests.helpers import schema_4_archive

    sts = STS[:40]
    old = schema_4_archive(
        tmp_path / "old.sqlite", [(st, f"t{st}", SITE.article(st)["body"]) for st in sts]
    )
    done = upgrade(old, progress=lambda line: None)
    assert done["clustered"] == len(sts)
    expected = truth()
    firsts = {st: min(s for s in sts if expected[s] == expected[st]) for st in sts}
    assert stories_of(old) == firsts
    assert len(set(firsts.values())) < len(sts)


def test_reparse_clusters_every_article_again(path: Path, tmp_path: Path) -> None:
    from centrasia_crawler.reparse import reparse

    copy = tmp_path / "copy.sqlite"
    with Archive.open(path, readonly=True) as reader:
        reader.conn.execute("VACUUM INTO ?", (str(copy),))
    with Archive.open(copy) as writer:
        with writer.transaction() as conn:
            conn.execute("UPDATE article_stories SET story = st")
        reparse(writer)
    assert stories_of(copy) == truth()
