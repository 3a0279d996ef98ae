"""``centrasia entities`` and ``centrasia countries``, their Archive methods, and the
entities in Datasette, against the replica's ground truth.

The archive's entities are written here from the generator's record of what each
article names (``Site.mentions``), through the Archive's own writers (the tagger's):
the numbers below are counted again from that record, not from the archive."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from centrasia_crawler.archive import Archive
from centrasia_crawler.archive.attention import period_of
from centrasia_crawler.archive.entities import EntitiesNotTagged
from centrasia_crawler.cli import cli
from centrasia_crawler.entities.gazetteer import Entity, Gazetteer, Name
from tests.replica.content import Site
from tests.replica.gazetteer import ENTITIES

SITE = Site(days=40, per_day=12, last_day=dt.date(2026, 2, 19))
#: The replica's kinds as the entities table's types (its Latin terms are no entities).
TYPES = {"country": "country", "city": "place", "place": "place", "person": "person"}
TYPES["org"] = "organization"
#: Days whose listing is not read: the periods holding them are incomplete.
UNLISTED = {dt.date(2026, 1, 20), dt.date(2026, 2, 3)}


def code(key: str | None) -> str | None:
    """The ISO code of a replica country key ("kg" -> "KG")."""
    return key.upper() if key else None


def country_of(key: str) -> str | None:
    entity = ENTITIES[key]
    return code(key) if entity.kind == "country" else code(entity.country)


def gazetteer() -> Gazetteer:
    found = []
    for key, e in ENTITIES.items():
        if e.kind not in TYPES:
            continue
        names = (Name(e.name), Name(e.short)) if e.short and e.short != e.name else (Name(e.name),)
        found.append(Entity(key, e.name, TYPES[e.kind], country_of(key), names=names))
    return Gazetteer(found)


def truth(st: int) -> dict[str, tuple[int, bool]]:
    """What article ``st`` names: entity key -> (mentions, in the title)."""
    return dict(named(st))


@cache
def named(st: int) -> tuple[tuple[str, tuple[int, bool]], ...]:
    """``truth``, read from the generator's record once for each st (the tests ask for
    every article's again and again)."""
    m = SITE.mentions(st)
    assert m is not None
    counts = Counter(e.key for e in m.phrases if e.key in m.entities)
    return tuple(
        (key, (counts[key], mention.in_title))
        for key, mention in m.entities.items()
        if ENTITIES[key].kind in TYPES
    )


def stored() -> list[int]:
    return sorted(st for st in SITE.by_st if st not in SITE.disallowed)


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The replica's 480 articles (robots.txt's one aside), listings read on all but two
    days, and the entities of every article from the ground truth."""
    path = tmp_path_factory.mktemp("entities") / "archive.sqlite"
    headlines = [
        {**h, "listed_on": day.isoformat(), "page_url": "u"}
        for day in SITE.day_list()
        if day not in UNLISTED
        for h in SITE.headlines(day)
    ]
    with Archive.open(path) as writer:
        writer.write_batch([SITE.article(st) for st in stored()], headlines)
        with writer.transaction():
            writer.store_gazetteer(gazetteer())
            for st in stored():
                writer.write_entities(st, [(k, n, t) for k, (n, t) in truth(st).items()])
    return path


@pytest.fixture(scope="module")
def store(path: Path) -> Iterator[Archive]:
    with Archive.open(path, readonly=True) as reader:
        yield reader


def expected_entities(sts: list[int], kind: str | None = None) -> dict[str, tuple[int, int]]:
    """Entity name -> (articles, mentions) over ``sts``, from the ground truth."""
    articles: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    for st in sts:
        for key, (n, _) in truth(st).items():
            if kind is None or TYPES[ENTITIES[key].kind] == kind:
                articles[ENTITIES[key].name] += 1
                mentions[ENTITIES[key].name] += n
    return {name: (articles[name], mentions[name]) for name in articles}


def test_entities_of_the_whole_archive_agree_with_the_ground_truth(store: Archive) -> None:
    found = store.entities(limit=None)
    assert found["matched"] == len(stored())
    expected = expected_entities(stored())
    got = {e["name"]: (e["articles"], e["mentions"]) for e in found["entities"]}
    assert got == expected
    assert all(e["lift"] == 1.0 for e in found["entities"])
    ranks = [(-e["articles"], -e["mentions"]) for e in found["entities"]]
    assert ranks == sorted(ranks)
    assert len(store.entities()["entities"]) == 20


@pytest.mark.parametrize("query", ["Талибан", "Жапаров", "Россия OR Китай"])
def test_entities_of_a_query_agree_with_the_ground_truth(store: Archive, query: str) -> None:
    """Few matching articles (read by article) and many (read by entity) alike."""
    matched = sorted(r["st"] for r in store.search(query, limit=None))
    found = store.entities(query, limit=None)
    assert found["matched"] == len(matched) > 0
    got = {e["name"]: (e["articles"], e["mentions"]) for e in found["entities"]}
    assert got == expected_entities(matched)


def test_both_ways_of_reading_are_tried() -> None:
    fractions = []
    for query in ("Талибан", "Россия OR Китай"):
        n = sum(1 for st in stored() if any(ENTITIES[k].name in query.split() for k in truth(st)))
        fractions.append(n / len(stored()))
    assert fractions[0] < 0.2 < fractions[1]


def test_the_stored_lists_are_the_views_countries(store: Archive) -> None:
    view: dict[int, list[str]] = {}
    for st, country in store.conn.execute(
        "SELECT st, country FROM article_countries ORDER BY st, country"
    ):
        view.setdefault(st, []).append(country)
    stored_lists = {
        st: json.loads(countries)
        for st, countries in store.conn.execute("SELECT st, countries FROM article_tags")
    }
    assert {st: c for st, c in stored_lists.items() if c} == view
    assert len(stored_lists) == len(stored())


def test_entities_of_a_query_have_their_share_and_lift(store: Archive) -> None:
    query = "Жапаров"
    matched = sorted(r["st"] for r in store.search(query, limit=None))
    assert 0 < len(matched) < len(stored())
    found = store.entities(query, limit=None)
    assert found["matched"] == len(matched)
    expected = expected_entities(matched)
    everywhere = expected_entities(stored())
    assert {e["name"]: (e["articles"], e["mentions"]) for e in found["entities"]} == expected
    for e in found["entities"]:
        share = e["articles"] / len(matched)
        assert e["share"] == round(share, 6)
        assert e["lift"] == round(share / (everywhere[e["name"]][0] / len(stored())), 3)
    top = next(e for e in found["entities"] if e["name"] == ENTITIES["japarov"].name)
    assert top["articles"] == len(matched) and top["share"] == 1.0 and top["lift"] > 1
    assert found["entities"][0]["articles"] == len(matched)
    assert list(top) == ["name", "type", "country", "articles", "mentions", "share", "lift"]
    assert (top["type"], top["country"]) == ("person", "KG")


@pytest.mark.parametrize("kind", ["person", "place", "organization", "country"])
def test_entities_by_type(store: Archive, kind: str) -> None:
    found = store.entities(type=kind, limit=None)["entities"]
    assert found and {e["type"] for e in found} == {kind}
    assert {e["name"]: (e["articles"], e["mentions"]) for e in found} == expected_entities(
        stored(), kind
    )


@pytest.mark.parametrize("query", ["Талибан", "Россия OR Китай"])
@pytest.mark.parametrize("kind", ["person", "country"])
def test_entities_of_a_query_by_type(store: Archive, query: str, kind: str) -> None:
    """The type is read with the counts (few matching articles and many alike), and
    the first few have the lift they have in the whole list."""
    matched = sorted(r["st"] for r in store.search(query, limit=None))
    found = store.entities(query, type=kind, limit=None)
    assert found["matched"] == len(matched)
    got = {e["name"]: (e["articles"], e["mentions"]) for e in found["entities"]}
    assert got and got == expected_entities(matched, kind)
    everything = store.entities(query, limit=None)["entities"]
    assert found["entities"] == [e for e in everything if e["type"] == kind]
    assert store.entities(query, type=kind, limit=3)["entities"] == found["entities"][:3]


def test_entities_within_dates_and_a_source(store: Archive) -> None:
    since, until = dt.date(2026, 2, 1), dt.date(2026, 2, 10)
    sts = [st for st in stored() if since <= SITE.by_st[st].day <= until]
    found = store.entities(since=since, until="2026-02-10", limit=None)
    assert found["matched"] == len(sts)
    assert {e["name"]: (e["articles"], e["mentions"]) for e in found["entities"]} == (
        expected_entities(sts)
    )
    source = "Кабар"
    sts = [st for st in stored() if SITE.article(st)["source"] == source]
    found = store.entities(source=source, limit=None)
    assert found["matched"] == len(sts) > 0
    assert {e["name"]: e["articles"] for e in found["entities"]} == {
        n: a for n, (a, _) in expected_entities(sts).items()
    }


def expected_countries(by: str) -> dict[tuple[str, str], int]:
    counts: Counter[tuple[str, str]] = Counter()
    for st in stored():
        countries = {country_of(key) for key in truth(st)} - {None}
        for country in countries:
            counts[(str(country), period_of(SITE.by_st[st].day, by))] += 1  # type: ignore[arg-type]
    return counts


@pytest.mark.parametrize("by", ["month", "week", "day"])
def test_countries_per_period_agree_with_the_ground_truth(store: Archive, by: str) -> None:
    rows = store.countries(by=by)
    assert all(
        list(r) == ["country", "name", "period", "articles", "total", "share", "complete"]
        for r in rows
    )
    expected = expected_countries(by)
    got = {(r["country"], r["period"]): r["articles"] for r in rows if r["articles"]}
    assert got == expected
    # Completeness and totals are trend's, period by period.
    trend = {r["period"]: r for r in store.trend("Казахстан", by=by)}
    for r in rows:
        assert (r["total"], r["complete"]) == (
            trend[r["period"]]["total"],
            trend[r["period"]]["complete"],
        )
    flags = {r["complete"] for r in rows}
    assert flags == ({False} if by == "month" else {True, False})
    # Countries with the most articles first.
    totals = Counter[str]()
    for r in rows:
        totals[r["country"]] += r["articles"]
    order = list(dict.fromkeys(r["country"] for r in rows))
    assert [totals[c] for c in order] == sorted(totals.values(), reverse=True)
    assert len({r["country"] for r in store.countries(by=by, top=3)}) == 3


def test_countries_of_a_query(store: Archive) -> None:
    matched = {r["st"] for r in store.search("Жапаров", limit=None)}
    rows = store.countries(by="year", query="Жапаров")
    expected: Counter[str] = Counter()
    for st in matched:
        for country in {country_of(key) for key in truth(st)} - {None}:
            expected[str(country)] += 1
    assert {r["country"]: r["articles"] for r in rows} == expected


def test_an_entity_page(store: Archive) -> None:
    found = store.entity("japarov")
    assert found is not None and store.entity("Жапаров") == found
    assert found["name"] == "Садыр Жапаров" and found["country"] == "KG"
    assert {n["name"] for n in found["names"]} == {"Садыр Жапаров", "Жапаров"}
    sts = [st for st in stored() if "japarov" in truth(st)]
    assert found["articles"] == len(sts)
    together: Counter[str] = Counter()
    for st in sts:
        together.update(ENTITIES[k].name for k in truth(st) if k != "japarov")
    assert all(together[w["name"]] == w["articles"] for w in found["with"])
    assert [w["articles"] for w in found["with"]] == [n for _, n in together.most_common(20)]
    years = store.entity_trend("japarov", by="month")
    assert sum(r["articles"] for r in years) == len(sts)
    assert store.entity("nobody") is None


def test_a_changed_gazetteer_updates_the_articles_lists(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    sts = [st for st in stored() if "japarov" in truth(st)][:5]
    with Archive.open(path) as writer:
        writer.write_batch([SITE.article(st) for st in sts])
        writer.store_gazetteer(gazetteer())
        for st in sts:
            writer.write_entities(st, [(k, n, t) for k, (n, t) in truth(st).items()])
        lists = "SELECT countries, entities FROM tagged_articles WHERE st = ?"
        countries, names = map(json.loads, writer.conn.execute(lists, (sts[0],)).fetchone())
        assert "KG" in countries and "Садыр Жапаров" in names
        renamed = gazetteer()
        entities = [e for e in renamed if e.id not in ("kg", "kenesh", "gknb", "bishkek")]
        entities = [
            Entity(e.id, "Жапаров С. Н.", e.type, "XK", names=e.names) if e.id == "japarov" else e
            for e in entities
        ]
        moved = [e for e in entities if e.country == "KG"]
        writer.store_gazetteer(Gazetteer(entities))
        for st in sts:
            countries, names = map(json.loads, writer.conn.execute(lists, (st,)).fetchone())
            assert "Садыр Жапаров" not in names and "Жапаров С. Н." in names
            assert "Кыргызстан" not in names and "XK" in countries
            assert ("KG" in countries) == any(e.name in names for e in moved)
        assert writer.entity("kg") is None
        found = writer.entity("japarov")
        assert found is not None and (found["name"], found["country"]) == ("Жапаров С. Н.", "XK")
        writer.write_entities(sts[0], [])
        assert writer.conn.execute(lists, (sts[0],)).fetchone() == ("[]", "[]")
        assert writer.entities()["matched"] == len(sts)


def test_upgrading_an_archive_tagged_before_fills_its_lists(path: Path, tmp_path: Path) -> None:
    import shutil
    import sqlite3

    from centrasia_crawler.archive.schema import MIGRATIONS, _statements

    # The migration that adds the lists, run again on an archive tagged without them.
    (script,) = [m for m in MIGRATIONS if "CREATE TABLE article_tags" in m]
    copy = tmp_path / "copy.sqlite"
    shutil.copy(path, copy)
    conn = sqlite3.connect(copy, isolation_level=None)
    expected = conn.execute("SELECT * FROM article_tags ORDER BY st").fetchall()
    conn.execute("DROP VIEW tagged_articles")
    conn.execute("DROP TABLE article_tags")
    for statement in _statements(script):
        conn.execute(statement)
    assert conn.execute("SELECT * FROM article_tags ORDER BY st").fetchall() == expected
    conn.close()
    assert len(expected) == len(stored())


def test_an_archive_not_tagged_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from centrasia_crawler.cli import main

    path = tmp_path / "a.sqlite"
    with Archive.open(path) as writer:
        writer.write_batch([SITE.article(st) for st in stored()[:5]])
        assert writer.entities()["matched"] == 5  # tagged as they were stored
        # As an archive stored before entities is: none, and never tagged.
        writer.conn.execute("DELETE FROM entities")
        writer.conn.execute("DELETE FROM archive_meta WHERE key LIKE 'entities_%'")
    for building in (False, True):
        if building:  # an upgrade tagging it from scratch, stopped half-way
            with Archive.open(path) as writer:
                writer.conn.execute(
                    "INSERT INTO archive_meta (key, value) VALUES ('entities_building', 'v')"
                )
        with Archive.open(path, readonly=True) as reader, pytest.raises(EntitiesNotTagged):
            reader.entities()
        for command in ("entities", "countries"):
            assert main([command, "--archive", str(path)]) == 1
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "centrasia upgrade" in err


def run(*args: str) -> Any:
    """``centrasia ARGS`` in-process (click's runner)."""
    done = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return done


def test_the_entities_command_json_is_the_api_s(store: Archive, path: Path) -> None:
    done = run("entities", "Жапаров", "--archive", str(path), "--json", "--limit", "0")
    assert done.exit_code == 0, done.output
    found = json.loads(done.output)
    assert list(found) == ["matched", "entities"]
    assert found == store.entities("Жапаров", limit=None)
    keys = ["name", "type", "country", "articles", "mentions", "share", "lift"]
    assert all(list(e) == keys for e in found["entities"])
    people = json.loads(
        run("entities", "--type", "person", "--archive", str(path), "--json").output
    )
    assert people["entities"] and {e["type"] for e in people["entities"]} == {"person"}
    assert len(people["entities"]) == min(20, len(expected_entities(stored(), "person")))


def test_the_entities_table_is_aligned(path: Path) -> None:
    done = run("entities", "--archive", str(path), "--limit", "12", "--since", "2026-02-01")
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    matched = sum(1 for st in stored() if SITE.by_st[st].day >= dt.date(2026, 2, 1))
    assert lines[0] == f"{matched} articles in the archive from 2026-02-01"
    table = lines[1:-1]
    assert len(table) == 13 and table[0].split() == [
        "name", "type", "country", "articles", "mentions", "share", "lift",
    ]  # fmt: skip
    assert len({len(line) for line in table}) == 1  # every column ends where its head does
    assert lines[-1].startswith("lift:")
    whole = run("entities", "--archive", str(path), "--limit", "3").output.splitlines()
    assert whole[0] == f"{len(stored())} articles in the archive"
    assert whole[1].split()[-1] == "share" and not any(line.startswith("lift") for line in whole)


def test_a_bad_query_is_one_line_and_exit_2(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from centrasia_crawler.cli import main

    for command in (["entities", "NEAR("], ["countries", "--query", "NEAR("]):
        assert main([*command, "--archive", str(path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"centrasia {command[0]}: bad search query")


def test_the_countries_command(store: Archive, path: Path, tmp_path: Path) -> None:
    done = run("countries", "--archive", str(path), "--json", "--by", "week", "--top", "0")
    assert done.exit_code == 0, done.output
    rows = json.loads(done.output)
    assert rows == store.countries(by="week")
    expected = expected_countries("week")
    assert {(r["country"], r["period"]): r["articles"] for r in rows if r["articles"]} == expected
    csv_out = run("countries", "--archive", str(path), "--csv", "--by", "year", "--top", "3")
    lines = csv_out.output.splitlines()
    assert lines[0] == "country,name,period,articles,total,share,complete" and len(lines) == 4
    table = run("countries", "--archive", str(path), "--top", "4", "--by", "week").output
    head, *body = table.splitlines()
    top4 = list(dict.fromkeys(r["name"] for r in rows))[:4]
    assert head.split() == ["period", *top4, "total"]
    weeks = list(dict.fromkeys(r["period"] for r in rows))
    assert [line.split()[0] for line in body[: len(weeks)]] == weeks
    incomplete = {r["period"] for r in rows if not r["complete"]}
    assert {line.split()[0] for line in body if line.endswith("*")} == incomplete
    pytest.importorskip("matplotlib")
    plot = tmp_path / "countries.png"
    done = run("countries", "--archive", str(path), "--top", "3", "--plot", str(plot))
    assert done.exit_code == 0, done.output
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_countries_plot_draws_a_line_per_country(store: Archive) -> None:
    pytest.importorskip("matplotlib")
    from centrasia_crawler.plot import trend_figure

    rows = store.countries(by="week", top=3)
    figure = trend_figure(
        rows, "week", key="country", title="articles per country", site="centrasia.org"
    )
    lines = figure.axes[0].get_lines()
    codes = list(dict.fromkeys(r["country"] for r in rows))
    assert [line.get_label() for line in lines] == codes
    for line, country in zip(lines, codes, strict=True):
        assert list(line.get_ydata()) == [r["articles"] for r in rows if r["country"] == country]


# --- Datasette --------------------------------------------------------------------------


def datasette_get(path: Path, *urls: str) -> list[Any]:
    """Plain Datasette's answers to ``urls``, in-process (its own test client)."""
    import asyncio

    pytest.importorskip("datasette", reason="Datasette is not installed ([serve] extra)")
    from datasette.app import Datasette

    async def run() -> list[Any]:
        # Facets have 200 ms by default: a busy test machine is no reason to fail.
        ds = Datasette([str(path)], settings={"facet_time_limit_ms": 20000})
        return [await ds.client.get(url) for url in urls]

    return asyncio.run(run())


def test_datasette_facets_the_articles_by_country_and_entity(path: Path) -> None:
    (everything, kyrgyz) = datasette_get(
        path,
        "/archive/tagged_articles.json?_size=1&_facet_size=max",
        "/archive/tagged_articles.json?_size=1&countries__arraycontains=KG&_facet_size=max",
    )
    assert everything.status_code == 200, everything.text[:500]
    facets = everything.json()["facet_results"]
    countries = {f["value"]: f["count"] for f in facets["countries"]["results"]}
    expected: Counter[str] = Counter()
    for st in stored():
        expected.update({str(country_of(k)) for k in truth(st)} - {"None"})
    assert countries == expected
    names = {f["value"]: f["count"] for f in facets["entities"]["results"]}
    assert names == {name: n for name, (n, _) in expected_entities(stored()).items()}
    assert kyrgyz.json()["filtered_table_rows_count"] == expected["KG"]
    row = everything.json()["rows"][0]
    assert json.loads(row[everything.json()["columns"].index("entities")])


def test_datasette_lists_the_tagged_articles_with_links(path: Path) -> None:
    st = stored()[-1]
    (listing,) = datasette_get(path, f"/archive/tagged_articles?st={st}")
    assert listing.status_code == 200, listing.text[:1000]
    for key in truth(st):
        name = ENTITIES[key].name
        assert f'/archive/-/entity/{quote(name, safe="")}">{name}</a>' in listing.text
    assert f'<a href="/archive/-/article/{st}">{st}</a>' in listing.text


def test_datasette_entity_page(store: Archive, path: Path) -> None:
    page, as_json, by_name, unknown, listing = datasette_get(
        path,
        "/archive/-/entity/japarov",
        "/archive/-/entity/japarov.json?by=week",
        "/archive/-/entity/%D0%96%D0%B0%D0%BF%D0%B0%D1%80%D0%BE%D0%B2",  # Жапаров
        "/archive/-/entity/nobody",
        "/archive/who_and_where.json?_shape=array&type=person",
    )
    assert page.status_code == 200, page.text[:1000]
    text = page.text
    assert "<h1>Садыр Жапаров</h1>" in text and 'class="centrasia-plot"' in text
    found = store.entity("japarov")
    assert found is not None
    for name in found["names"]:
        assert f"<td>{name['name']}</td>" in text
    top = found["with"][0]
    assert f'/archive/-/entity/{top["id"]}">{top["name"]}</a>' in text
    assert f"{found['articles']} articles</a> name it" in text
    data = as_json.json()
    assert data["entity"] == found and data["by"] == "week"
    assert sum(r["articles"] for r in data["rows"]) == found["articles"]
    assert [r["period"] for r in data["rows"]] == [
        r["period"]
        for r in store.entity_trend("japarov", by="week", since=found["first"], until=found["last"])
    ]
    assert by_name.status_code == 200 and "<h1>Садыр Жапаров</h1>" in by_name.text
    from tests.helpers import assert_local_only

    assert_local_only(text)
    assert unknown.status_code == 404
    people = listing.json()
    assert people and {p["type"] for p in people} == {"person"}
    assert people[0]["articles"] == max(
        n for n, _ in expected_entities(stored(), "person").values()
    )
