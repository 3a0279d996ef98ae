"""`make demo`: start the replica, crawl it into data/demo.sqlite, show what landed.

For a newcomer on a machine without internet access: the whole job, offline. The
site's real articles that the specimen in ``tests/fixtures/specimen/`` holds are served
under their real headlines; the other articles are generated news
(``tests/replica/news.py``) whose topics rise and fall with events, under generated
headlines, each with the source line ``content.GENERATED`` so the archive says it is
not the site's (``Site.use_real_days``).

    python -m tests.replica.demo [--archive FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shlex
import subprocess
import sys
from pathlib import Path

from tests.replica.content import GENERATED
from tests.replica.server import serve

PROJECT = Path(__file__).resolve().parents[2]
ARCHIVE = PROJECT / "data" / "demo.sqlite"
EXPECTED = PROJECT / "tests" / "fixtures" / "specimen" / "expected"
#: The specimen index's newest day.
LAST_DAY = dt.date(2026, 2, 19)
#: Forty days of twelve articles: long enough for the replica's events (a referendum in
#: Kyrgyzstan 24 days before the last day, a gas crisis 10 days before) to rise and fall.
DAYS, PER_DAY = 40, 12


def specimen() -> tuple[list[dict], list[dict]]:  # type: ignore[type-arg]
    """The specimen index's days and the specimen articles, as extraction reads them."""
    index = json.loads((EXPECTED / "index.json").read_text(encoding="utf-8"))
    articles = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(EXPECTED.glob("article_*.json"))
    ]
    return index["days"], articles


def hints(archive: Path) -> list[tuple[str, list[str]]]:
    """What to try next: the project's own commands on the demo archive."""
    shown = archive.relative_to(PROJECT) if archive.is_relative_to(PROJECT) else archive
    where = ["--archive", str(shown)]
    plot = shown.with_name(f"{shown.stem}-trend.png")
    countries = shown.with_name(f"{shown.stem}-countries.png")
    return [
        (
            "search by any form of a word («в Казахстане», «Казахстана»)",
            ["search", "Казахстан", "--limit", "5", *where],
        ),
        (
            "two words, each in any form («с Садыром Жапаровым»)",
            ["search", "Садыр Жапаров", "--limit", "5", *where],
        ),
        (
            "a phrase, whatever its case («Центральной Азии»)",
            ["search", '"Центральная Азия"', "--limit", "3", *where],
        ),
        (
            f"attention per day: the referendum and the gas crisis come and go; chart in {plot}",
            ["trend", "референдум", "газ", "--by", "day", "--plot", str(plot), *where],
        ),
        ("the words that characterise the referendum's articles", ["terms", "референдум", *where]),
        (
            "a concordance sorted by the words after the match (AntConc's 1R-3R)",
            ["kwic", "Жапаров", "--sort", "right", "--limit", "10", "--width", "30", *where],
        ),
        (
            "an entity under every name (Акмола, Астана, Нур-Султан)",
            ["search", "@Астана", "--limit", "3", *where],
        ),
        ("who and where the referendum's articles name most", ["entities", "референдум", *where]),
        (
            f"articles per country per week; chart in {countries}",
            ["countries", "--by", "week", "--top", "6", "--plot", str(countries), *where],
        ),
        ("per day: listed, archived, missing, gaps", ["coverage", *where]),
        ("totals, top sources and attributions", ["stats", *where]),
        ("the crawl runs and their outcome", ["runs", *where]),
        ("browse it in Datasette, then open http://127.0.0.1:8001/", ["serve", *where]),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, default=ARCHIVE)
    archive = parser.parse_args(argv).archive.resolve()
    days, articles = specimen()
    with serve(days=DAYS, per_day=PER_DAY, markup="table", last_day=LAST_DAY) as replica:
        replica.site.use_real_days(days, articles)
        real = len(replica.site.real)
        print(
            f"replica of centrasia.org at {replica.root}: {DAYS} days; {real} of the site's"
            f" real articles, the others generated (their source: {GENERATED})",
            flush=True,
        )
        site_days = replica.site.day_list()
        if archive.exists():  # a demo of an older version: upgraded, as an operator would
            upgrade = [sys.executable, "-m", "centrasia_crawler.cli", "upgrade"]
            print("$ centrasia upgrade --archive", archive, flush=True)
            if subprocess.run([*upgrade, "--archive", str(archive)], check=False).returncode:
                return 1
        for args in ([], ["--since", str(site_days[-1]), "--until", str(site_days[0])]):
            command = [
                sys.executable,
                "-m",
                "centrasia_crawler.cli",
                "crawl",
                *args,
                "--root",
                replica.root,
                "--archive",
                str(archive),
                *("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"),
                *("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "LOG_LEVEL=WARNING"),
            ]
            print("$ centrasia", shlex.join(command[3:]), flush=True)
            if subprocess.run(command, cwd=PROJECT, check=False).returncode != 0:
                return 1
    print(f"\n{archive} holds the crawl. Try:")
    for what, args in hints(archive):
        print(f"  .venv/bin/centrasia {shlex.join(args)}\n      {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
