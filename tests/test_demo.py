"""``make demo``: the newcomer's first run, offline: the site's real articles under their
real headlines, and generated ones that say they are generated, with figures that agree."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.crawling import PROJECT, centrasia
from tests.replica.content import Site
from tests.replica.demo import DAYS, LAST_DAY, PER_DAY, specimen
from tests.replica.topics import AUTHORS, OUTLETS

#: What a generated article's source line says in the demo (the marker's words).
NOT_THE_SITES = "не статья centrasia.org"


@pytest.mark.slow
def test_the_demo_crawls_real_headlines_and_its_hints_all_work(tmp_path: Path) -> None:
    archive = tmp_path / "demo.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "tests.replica.demo", "--archive", str(archive)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "sqlite3" not in done.stdout
    days, articles = specimen()
    real_titles = {h["title"]: h["st"] for day in days for h in day["headlines"]}
    real = {a["st"]: a for a in articles}
    conn = sqlite3.connect(archive)
    listed = conn.execute("SELECT st, title FROM listings").fetchall()
    # A real headline is listed only over its own real article.
    for st, title in listed:
        if title in real_titles:
            assert real_titles[title] == st and st in real, (st, title)
    assert {st for st, _ in listed} >= set(real)
    for a in articles:
        row = conn.execute("SELECT title, body, source FROM articles WHERE st = ?", [a["st"]])
        assert row.fetchone() == (a["title"], a["body"], a["source"]), a["st"]
    # Every other article says in its source that it is generated.
    others = conn.execute("SELECT st, title, source FROM articles").fetchall()
    assert len(others) > len(real)
    for st, title, source in others:
        if st not in real:
            assert title not in real_titles and NOT_THE_SITES in (source or ""), (st, source)
    conn.close()
    hints = [line.strip() for line in done.stdout.splitlines() if "bin/centrasia " in line]
    commands = {shlex.split(line)[1] for line in hints}
    assert commands == {
        "search",
        "trend",
        "terms",
        "kwic",
        "entities",
        "countries",
        "coverage",
        "stats",
        "runs",
        "serve",
    }
    for line in hints:
        args = shlex.split(line)[1:]
        if args[0] == "serve":
            continue  # tested in test_analysis: it runs until stopped
        assert args[args.index("--archive") + 1] == str(archive)
        ran = centrasia(*args)
        assert ran.returncode == 0, (line, ran.stderr)
        assert ran.stdout.strip(), line
        if args[:2] == ["search", "Казахстан"]:
            found = ran.stdout
            assert "Казахстана" in found or "Казахстане" in found  # another form, found
        if args[:2] == ["search", "Садыр Жапаров"]:  # two words, unquoted
            assert re.search(r"\[(Садыр|Жапаров)", ran.stdout), ran.stdout  # a match, marked
        if args[:2] == ["search", '"Центральная Азия"']:
            # Headlines come first (in the nominative); among all results, other cases.
            assert "[Центральная Азия]" in ran.stdout
            everything = centrasia(*args, "--limit", "0")
            assert "[Центральной Азии]" in everything.stdout
        if args[0] == "trend":
            plot = Path(args[args.index("--plot") + 1])
            assert plot.parent == tmp_path and plot.read_bytes()[:4] == b"\x89PNG"
            rows = [r.split() for r in ran.stdout.splitlines() if re.match(r"\d{4}-", r)]
            referendum = [int(r[1]) for r in rows]
            # Attention rises and falls: nothing at either end, a peak between.
            assert referendum[0] == referendum[-1] == 0 and max(referendum) >= 4, rows
        if args[0] == "kwic":  # ten lines, each with the name as its match
            lines = ran.stdout.splitlines()
            assert len(lines) == 10 and all("Жапаров" in line for line in lines), ran.stdout
        if args[0] == "terms":
            words = [r.split()[-1] for r in ran.stdout.splitlines()[2:12]]
            assert "конституция" in words, ran.stdout  # the topic, named
    assert json.loads(centrasia("stats", "--archive", str(archive), "--json").stdout)["articles"]


def demo_site() -> tuple[Site, list[dict], list[dict]]:  # type: ignore[type-arg]
    """The replica as ``make demo`` serves it, and the specimen it takes real days from."""
    days, articles = specimen()
    site = Site(days=DAYS, per_day=PER_DAY, last_day=LAST_DAY)
    site.use_real_days(days, articles)
    return site, days, articles


def test_no_real_headline_is_paired_with_a_generated_body() -> None:
    """Truth: the specimen's index (every real headline, with its st) and its article
    extractions. A real headline appears only over its own real article; every other
    article has a generated headline with no outlet or author, and says it is generated."""
    site, days, articles = demo_site()
    real_titles = {h["title"]: h["st"] for day in days for h in day["headlines"]}
    real = {a["st"]: a for a in articles}
    served_real = 0
    for day in site.day_list():
        for headline in site.headlines(day):
            st, title = headline["st"], headline["title"]
            served = site.article(st)
            assert served["title"] == title
            if title in real_titles or st in real_titles.values():
                assert real_titles.get(title) == st and st in real, (st, title)
                assert served["body"] == real[st]["body"], st
                assert served["source"] == real[st]["source"], st
                served_real += 1
                continue
            assert not title.startswith(tuple(o for o in OUTLETS if o)), title
            assert not any(title.endswith(f", - {name}") for name in AUTHORS), title
            assert NOT_THE_SITES in served["source"] and not served["source_url"], served
            for other in site.sidebar(st):  # the sidebar pairs titles with st alike
                assert (
                    other["title"] not in real_titles
                    or real_titles[other["title"]] == (other["st"])
                )
    assert served_real == len(real) == 4  # every real article, under its real headline


#: Facts generated articles state, as a scan reads them: (pattern, lowest, highest).
FACTS = {
    "turnout": (r"[Яя]вка[^.]*? составила (\d+(?:,\d)?)%", 20, 95),
    "yes vote": (r"[Зз]а новую конституцию проголосовали (\d+(?:,\d)?)%", 50, 100),
    "trade": (r"Товарооборот (?!с )[^.:]*? вырос на (\d+(?:,\d)?)%", 0, 60),
    "deals": (r"подписали соглашения на (\d+(?:,\d)?) млрд долларов", 0.5, 30),
    "brent": (r"нефти марки Brent снизилась до (\d+) долларов", 40, 150),
    "remittances": (r"Денежные переводы мигрантов в \w+ выросли на (\d+(?:,\d)?)%", 0, 60),
}


def figures(text: str) -> dict[str, list[float]]:
    return {
        fact: [float(v.replace(",", ".")) for v in re.findall(pattern, text)]
        for fact, (pattern, _, _) in FACTS.items()
    }


@pytest.mark.parametrize("which", ["demo", "seed 3"])
def test_the_figures_of_one_fact_agree_within_each_generated_article(which: str) -> None:
    """Scanned in each generated article's headline and body: every figure of one fact
    is the same, within the fact's plausible range; a percentage is at most 100, a
    growth «на N%» at most 60; a year an article says something will happen in («к
    2028 году») is not before the article's own."""
    site = demo_site()[0] if which == "demo" else Site(days=60, per_day=30, seed=3)
    stated_twice = Counter[str]()
    for st in sorted(site.by_st):
        if site.mentions(st) is None:
            continue  # a real article
        article = site.article(st)
        text = f"{article['title']}\n{article['body']}"
        for fact, values in figures(text).items():
            _, low, high = FACTS[fact]
            assert len(set(values)) <= 1, (st, fact, values, text)
            assert all(low <= v <= high for v in values), (st, fact, values)
            stated_twice[fact] += len(values) >= 2
        for pct in re.findall(r"(\d+(?:,\d)?)%", text):
            assert float(pct.replace(",", ".")) <= 100, (st, pct)
        for growth in re.findall(r"(?:вырос|выросл[аои]|повысятся) на (\d+(?:,\d)?)%", text):
            assert float(growth.replace(",", ".")) <= 60, (st, growth)
        year = site.by_st[st].day.year
        for future in re.findall(r"(?:к|пройдёт в|вернуться к этому вопросу в) (\d{4}) году", text):
            assert int(future) >= year, (st, future, text)
    # Not vacuous: facts stated twice in one article (the headline and the body, or two
    # sentences) are checked in many articles.
    assert sum(stated_twice.values()) >= 10, stated_twice


#: What only a referendum held can have (results), and only one to come can (a call).
HELD = re.compile(
    r"прош[её]л референдум|[Ии]тоги референдума|[Яя]вка[^.]* составила"
    r"|проголосовали \d+(?:,\d)?%|проголосовал на избирательном участке|нарушений на референдуме"
)
CALLED = re.compile(r"призвал прийти на референдум|назначили референдум")


@pytest.mark.parametrize("which", ["demo", "seed 3"])
def test_the_referendum_is_called_before_its_day_and_counted_after(which: str) -> None:
    """The replica's referendum is held 24 days before the site's last day
    (docs/replica-news.md). In the generated articles of the four days before it no
    result is reported; in those of its day and the ten after, nobody calls it."""
    site = demo_site()[0] if which == "demo" else Site(days=60, per_day=30, seed=3)
    day = site.last_day - dt.timedelta(days=24)
    seen = Counter[str]()
    for st in sorted(site.by_st):
        truth = site.mentions(st)
        published = site.by_st[st].day
        if truth is None or not -4 <= (published - day).days <= 10:
            continue
        article = site.article(st)
        text = f"{article['title']}\n{article['body']}"
        if "референдум" not in text:
            continue
        if published < day:
            assert not HELD.search(text), (st, published, text)
            seen["before"] += 1
        else:
            assert not CALLED.search(text), (st, published, text)
            seen["after"] += 1
    assert seen["before"] >= 3 and seen["after"] >= 3, seen
