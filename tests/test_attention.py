"""``centrasia trend`` and ``centrasia terms``: attention over time, checked against the
replica's ground truth, computed here without the archive's index."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.archive.attention import terms, trend
from tests.crawling import centrasia, crawl
from tests.replica.content import Site
from tests.replica.server import serve

LAST_DAY = dt.date(2026, 1, 20)  # 40 days back cross a year and an ISO week-year
SEEDED = "Плотина на Сарезском озере стареет. Водохранилище за плотиной растёт, и плотину"
SEEDED += " проверяют. Водохранилища Памира и плотины Таджикистана: это вопрос, который"
SEEDED += " решают и в Душанбе, и на месте."


@cache
def forms(word: str) -> frozenset[str]:
    """Every form of ``word`` by pymorphy3's lexeme (independent of the archive)."""
    import pymorphy3

    parse = pymorphy3.MorphAnalyzer(lang="ru").parse(word)[0]
    return frozenset(f.word.replace("ё", "е") for f in parse.lexeme)


def mentions(article: dict[str, Any], word: str) -> bool:
    text = f"{article['title']} {article['body']}".lower().replace("ё", "е")
    return not forms(word).isdisjoint(re.findall(r"\w+", text))


class World:
    def __init__(self, archive: Path, site: Site, listed: set[dt.date]) -> None:
        self.archive, self.site, self.listed = archive, site, listed

    def archived(self) -> list[int]:
        with Archive.open(self.archive, readonly=True) as store:
            return [st for (st,) in store.conn.execute("SELECT st FROM articles")]

    def day_complete(self, day: dt.date) -> bool:
        """The day's listing was read and each article robots.txt allows was archived."""
        if day not in self.listed:
            return False
        allowed = {m.st for m in self.site.by_day.get(day, [])} - self.site.disallowed
        return allowed <= set(self.archived())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """40 days of 6 articles: the index's 3 days and the feed, then a backfill of all
    but the oldest 10 days (never crawled); the word 'плотина' seeded in 6 articles."""
    archive = tmp_path_factory.mktemp("attention") / "archive.sqlite"
    with serve(days=40, per_day=6, index_days=3, last_day=LAST_DAY) as replica:
        site = replica.site
        days = site.day_list()
        for day in days[1:25:4]:
            st = site.by_day[day][1].st
            site.edit(st, title="Сарезская плотина: проверка", body=SEEDED, source="Азия-Плюс")
        crawl(replica, archive)
        crawl(replica, archive, f"since={days[29]}", f"until={days[0]}")
    return World(archive, site, set(days[:30]))


def expected_rows(
    w: World, word: str, label: Any, since: dt.date, until: dt.date
) -> dict[str, Any]:
    archived = set(w.archived())
    counts: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    complete: dict[str, bool] = {}
    day = since
    while day <= until:
        complete[label(day)] = complete.get(label(day), True) and w.day_complete(day)
        day += dt.timedelta(days=1)
    for st in archived:
        article = w.site.article(st)
        day = dt.date.fromisoformat(article["published_at"][:10])
        if since <= day <= until:
            totals[label(day)] += 1
            counts[label(day)] += mentions(article, word)
    return {p: (counts[p], totals[p], complete[p]) for p in complete}


LABELS = {
    "day": lambda d: d.isoformat(),
    "week": lambda d: f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}",
    "month": lambda d: d.strftime("%Y-%m"),
    "year": lambda d: str(d.year),
}


@pytest.mark.parametrize("by", list(LABELS))
def test_trend_counts_equal_the_ground_truth(world: World, by: str) -> None:
    since, until = LAST_DAY - dt.timedelta(days=45), LAST_DAY + dt.timedelta(days=3)
    queries = ["Казахстан", "нефть", "ёлка", "плотина"]
    done = centrasia(
        "trend", *queries, "--by", by, "--since", str(since), "--until", str(until),
        "--archive", str(world.archive), "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert all(
        list(r) == ["query", "period", "articles", "total", "share", "complete"] for r in rows
    )
    for query in queries:
        expected = expected_rows(world, query, LABELS[by], since, until)
        got = {
            r["period"]: (r["articles"], r["total"], r["complete"])
            for r in rows
            if r["query"] == query
        }
        assert list(got) == list(expected)  # every period of the range, in order
        assert got == expected, query
        assert sum(a for a, _, _ in got.values()) > 0, query
    for r in rows:
        assert r["share"] == (round(r["articles"] / r["total"], 6) if r["total"] else None)
    if by == "day":
        empty = [r for r in rows if r["total"] == 0]
        assert {r["complete"] for r in empty} == {False}  # 0 there: nothing crawled


def test_a_zero_on_a_crawled_day_is_complete(world: World) -> None:
    """A day read in full with no match: 0, complete (the site wrote nothing of it)."""
    with Archive.open(world.archive, readonly=True) as store:
        rows = trend(store, ["плотина"], "day")
    zero_complete = [r for r in rows if r["articles"] == 0 and r["complete"]]
    assert zero_complete and all(r["total"] > 0 for r in zero_complete)


def test_weeks_are_iso_8601(world: World) -> None:
    with Archive.open(world.archive, readonly=True) as store:
        rows = trend(store, ["нефть"], "week", dt.date(2025, 12, 28), dt.date(2026, 1, 5))
    assert [r["period"] for r in rows] == ["2025-W52", "2026-W01", "2026-W02"]


def test_csv_and_the_table(world: World) -> None:
    since = str(LAST_DAY - dt.timedelta(days=45))  # from days never crawled
    args = ["trend", "нефть", "--by", "year", "--since", since, "--archive", str(world.archive)]
    done = centrasia(*args, "--csv")
    table = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(table[0]) == ["query", "period", "articles", "total", "share", "complete"]
    assert [r["period"] for r in table] == ["2025", "2026"]
    shown = centrasia(*args)
    assert shown.returncode == 0
    assert shown.stdout.splitlines()[0].split() == ["period", "нефть", "total"]
    assert "* the archive is incomplete" in shown.stdout


@pytest.mark.parametrize(
    "args",
    [["NEAR(", "--json"], ["нефть", "--json", "--csv"], ["нефть", "--by", "decade"]],
)
def test_bad_arguments_are_one_line(world: World, args: list[str]) -> None:
    done = centrasia("trend", *args, "--archive", str(world.archive))
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_the_plot_draws_the_counts(world: World, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from centrasia_crawler.plot import trend_figure

    with Archive.open(world.archive, readonly=True) as store:
        rows = trend(store, ["нефть", "плотина"], "week")
    figure = trend_figure(rows, "week", site="centrasia.org")
    lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["нефть", "плотина"]
    for line, query in zip(lines, ["нефть", "плотина"], strict=True):
        assert list(line.get_ydata()) == [r["articles"] for r in rows if r["query"] == query]
    shaded = [p for p in figure.axes[0].patches]
    assert len(shaded) == sum(not r["complete"] for r in rows if r["query"] == "нефть")
    for name in ("trend.png", "trend.svg"):
        done = centrasia(
            "trend", "нефть", "плотина", "--by", "week", "--plot", str(tmp_path / name),
            "--share", "--archive", str(world.archive),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "trend.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "trend.svg").read_bytes()[:500]


def test_terms_finds_the_seeded_word_and_neither_stop_words_nor_the_query(world: World) -> None:
    from stop_words import get_stop_words

    done = centrasia("terms", "плотина", "--archive", str(world.archive), "--json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert list(found) == ["matched", "sample", "terms", "sources", "attributions", "days"]
    seeded = [st for st in world.archived() if mentions(world.site.article(st), "плотина")]
    assert found["matched"] == found["sample"] == len(seeded) == 6
    top = [t["term"] for t in found["terms"][:4]]
    assert "водохранилище" in top, top
    stop = {w.replace("ё", "е") for w in get_stop_words("ru")}
    listed = {lemma for t in found["terms"] for lemma in t["term"].split("/")}
    assert not listed & stop
    assert "плотина" not in listed  # the query's own word is no finding
    assert all(set(t) == {"term", "count", "score"} for t in found["terms"])
    assert found["sources"] == [{"name": "Азия-Плюс", "count": 6}]
    days = Counter(world.site.article(st)["published_at"][:10] for st in seeded)
    assert {d["day"]: d["count"] for d in found["days"]} == dict(days)


def test_terms_reads_a_sample_of_a_large_result(world: World) -> None:
    with Archive.open(world.archive, readonly=True) as store:
        full = terms(store, "нефть")
        sampled = terms(store, "нефть", sample=10)
        assert full["matched"] == sampled["matched"] > 10
        assert (full["sample"], sampled["sample"]) == (full["matched"], 10)
        assert sampled == terms(store, "нефть", sample=10)  # the same sample each time


def test_parquet_reads_back_to_the_jsonl_rows(world: World, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "articles.parquet"
    done = centrasia(
        "export", "--format", "parquet", "-o", str(out), "--archive", str(world.archive)
    )
    assert done.returncode == 0, done.stderr
    jsonl = centrasia("export", "--archive", str(world.archive)).stdout.splitlines()
    expected = [json.loads(line) for line in jsonl]
    table = pq.read_table(out)
    assert str(table.schema.field("published_at").type) == "timestamp[ms, tz=Europe/Moscow]"
    assert str(table.schema.field("published_date").type) == "date32[day]"
    assert str(table.schema.field("st").type) == "int64"
    rows = table.to_pylist()
    assert len(rows) == len(expected) > 100
    for got, want in zip(rows, expected, strict=True):
        back = {
            k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
            for k, v in got.items()
        }
        back["time_mismatch"] = int(back["time_mismatch"])
        assert back == want


def test_parquet_keeps_each_offset_of_the_sites_clock(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "archive.sqlite"
    shown = ["2012-05-01T10:00:00+04:00", "2026-02-19T12:30:00+03:00"]
    with Archive.open(path) as store:
        store.write_batch(
            [
                {
                    "st": 1335852000 + i,
                    "url": f"https://centrasia.org/newsA.php?st={i}",
                    "title": "Заголовок",
                    "published_at": when,
                    "body": "Текст.",
                }
                for i, when in enumerate(shown)
            ]
        )
    out = tmp_path / "a.parquet"
    done = centrasia("export", "--format", "parquet", "-o", str(out), "--archive", str(path))
    assert done.returncode == 0, done.stderr
    assert [t.isoformat() for t in pq.read_table(out)["published_at"].to_pylist()] == shown


def test_parquet_needs_a_file(world: World) -> None:
    done = centrasia("export", "--format", "parquet", "--archive", str(world.archive))
    assert done.returncode == 2 and "give -o FILE.parquet" in done.stderr


def datasette_json(path: Path, url: str) -> Any:
    """A page of plain Datasette on the archive, in-process (the package's plugin gives
    it the canned queries and settings ``centrasia serve`` has), as JSON rows."""
    pytest.importorskip("datasette")
    import asyncio

    from tests.helpers import close_datasette, datasette

    async def get() -> Any:
        ds = datasette([path])
        try:
            response = await ds.client.get(url)
        finally:
            close_datasette(ds)
        assert response.status_code == 200, response.text
        return response.json()

    return asyncio.run(get())


def test_datasette_trend_by_month_and_top_sources_for(world: World) -> None:
    rows = datasette_json(world.archive, "/archive/trend_by_month.json?q=плотины&_shape=array")
    with Archive.open(world.archive, readonly=True) as store:
        expected = trend(store, ["плотина"], "month")  # the archive's months
    assert [(r["month"], r["articles"], r["total"]) for r in rows] == [
        (e["period"], e["articles"], e["total"]) for e in expected
    ]
    sources = datasette_json(world.archive, "/archive/top_sources_for.json?q=плотиной&_shape=array")
    assert sources == [{"source": "Азия-Плюс", "articles": 6}]


def test_datasette_articles_per_day_is_complete_past_1000_days(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite"
    first = dt.date(2023, 1, 1)
    rows = []
    for n in range(1200):
        day = first + dt.timedelta(days=n)
        st = int(dt.datetime(day.year, day.month, day.day, 12).timestamp())
        rows.append(
            {"st": st, "url": f"https://centrasia.org/newsA.php?st={st}", "title": "Т"}
            | {"published_at": f"{day}T12:00:00+03:00", "body": "Текст."}
        )
    with Archive.open(path) as store:
        store.write_batch(rows)
    days = datasette_json(path, "/archive/articles_per_day.json?_shape=array")
    assert len(days) == 1200
    assert days[-1] == {"published_date": "2023-01-01", "articles": 1}


def test_an_event_rises_and_falls(world: World) -> None:
    """The replica's referendum: articles on it around its peak, none far from it."""
    (event,) = [e for e in world.site.newsroom.events if e.kind == "referendum"]
    with Archive.open(world.archive, readonly=True) as store:
        rows = trend(store, ["референдум"], "day")
    by_day = {dt.date.fromisoformat(r["period"]): r["articles"] for r in rows}
    near = sum(n for d, n in by_day.items() if abs((d - event.peak).days) <= 2)
    far = [n for d, n in by_day.items() if abs((d - event.peak).days) > 12]
    assert near >= 3 and far and set(far) == {0}, by_day


def test_terms_lists_a_word_once_whether_its_forms_are_ambiguous_or_not(tmp_path: Path) -> None:
    """«выборы», «выборов» may be forms of «выбор» or of «выборы» (one index term for
    both), «выбора» only of «выбор»: terms lists «выбор» once, with all of them."""

    def article(st: int, body: str) -> dict[str, Any]:
        url = f"https://centrasia.org/newsA.php?st={st}"
        day = f"2026-02-{1 + st % 20:02d}T12:00:00+03:00"
        return {"st": st, "url": url, "title": f"Новость {st}", "published_at": day, "body": body}

    focus = "Референдум прошел. Выборы назначены, выборов ждут, выбора нет, выбор сделан."
    other = "Погода в горах хорошая. Урожай собран вовремя, цены на рынке стабильны."
    with Archive.open(tmp_path / "a.sqlite") as store:
        store.write_batch(
            [article(st, focus) for st in range(1, 11)]
            + [article(st, other) for st in range(11, 61)]
        )
        found = {t["term"]: t["count"] for t in terms(store, "референдум")["terms"]}
    assert found.get("выбор") == 40  # 2 ambiguous forms and 2 plain ones, in 10 articles
    assert not [t for t in found if "выбор" in t and t != "выбор"]
