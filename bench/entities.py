"""How fast ``centrasia entities`` and ``centrasia countries`` (and the entity page's
reads) answer on a large archive.

The archive is built here through the archive's own writers: ``--articles`` short
articles over 25 years (``Archive.write_batch``, the search indexes included), tagged
with a gazetteer of 500 made-up entities in 20 countries (``Archive.store_gazetteer``,
``Archive.write_entities``): each article is about one to three countries (the first
of the list most often) and names 3 to 12 of their entities, the most known most often
(Zipf), as news names its region's capitals and presidents. One article in 20 names
«Жапаров», in its text too, so that a query finds those articles.

    .venv/bin/python bench/entities.py /tmp/entities.sqlite --articles 300000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from centrasia_crawler.archive import Archive  # noqa: E402
from centrasia_crawler.entities.gazetteer import TYPES, Entity, Gazetteer  # noqa: E402

COUNTRIES = ("KZ", "KG", "UZ", "TJ", "TM", "AF", "RU", "CN", "US", "TR")
COUNTRIES += ("IR", "PK", "IN", "MN", "AZ", "UA", "BY", "EU", "GE", "AM")
FIRST_DAY, LAST_DAY = date(2001, 3, 1), date(2026, 2, 19)


def gazetteer(n: int = 500) -> Gazetteer:
    entities = [Entity("japarov", "Садыр Жапаров", "person", "KG")]
    for i in range(1, n):
        kind = TYPES[i % len(TYPES)]
        entities.append(Entity(f"e{i}", f"Сущность {i}", kind, COUNTRIES[i % len(COUNTRIES)]))
    return Gazetteer(entities)


def build(path: Path, n: int, batch: int = 5000) -> float:
    rng = random.Random(7)
    entities = list(gazetteer())
    by_country: dict[str, list[str]] = {}
    for e in entities[1:]:
        by_country.setdefault(e.country or "", []).append(e.id)
    # The region first: an article is about a country (the first ones most often) and
    # up to two partners, and names their people, places and bodies, the most known
    # most often, as news does.
    country_weights = [1 / (rank + 1) for rank in range(len(COUNTRIES))]
    days = (LAST_DAY - FIRST_DAY).days + 1
    started = time.perf_counter()
    with Archive.open(path) as writer:
        writer.store_gazetteer(gazetteer())
        for start in range(0, n, batch):
            articles, tags = [], {}
            for st in range(start + 1, min(n, start + batch) + 1):
                day = FIRST_DAY + timedelta(days=(st - 1) * days // n)
                about = set(rng.choices(COUNTRIES, country_weights, k=rng.randint(1, 3)))
                chosen: set[str] = set()
                for _ in range(rng.randint(3, 12)):
                    ids = by_country[rng.choice(sorted(about))]
                    chosen.add(rng.choices(ids, [1 / (r + 1) for r in range(len(ids))])[0])
                named = st % 20 == 0
                if named:
                    chosen.add("japarov")
                text = "Президент Садыр Жапаров сказал." if named else "Новости региона."
                articles.append(
                    {
                        "st": st,
                        "url": f"https://centrasia.org/newsA.php?st={st}",
                        "title": f"Новость {st}",
                        "published_at": f"{day}T12:00:00+03:00",
                        "body": f"{text} Экономика, газ и вода. Встреча в столице.",
                        "source": rng.choice(("ИноСМИ", "Азия-Плюс", "24.kg")),
                    }
                )
                tags[st] = [(e, rng.randint(1, 5), rng.random() < 0.2) for e in chosen]
            writer.write_batch(articles)
            with writer.transaction():
                for st, found in tags.items():
                    writer.write_entities(st, found)
            print(f"{start + len(articles):,} articles", file=sys.stderr)
    return time.perf_counter() - started


def timed(label: str, run: object) -> None:
    best = min(_once(run) for _ in range(3))
    print(f"{label:<44} {best:6.2f} s")


def _once(run: object) -> float:
    started = time.perf_counter()
    run()  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--articles", type=int, default=300_000)
    args = parser.parse_args()
    if not args.archive.exists():
        seconds = build(args.archive, args.articles)
        print(f"built {args.articles:,} articles in {seconds:.0f} s")
    with Archive.open(args.archive, readonly=True) as archive:
        timed("entities (whole archive)", lambda: archive.entities())
        timed("entities Жапаров (5% of the articles)", lambda: archive.entities("Жапаров"))
        timed("entities газ (every article)", lambda: archive.entities("газ"))
        timed("entities --type person --since 2020-01-01", lambda: archive.entities(
            type="person", since="2020-01-01"))  # fmt: skip
        timed("countries --by month", lambda: archive.countries(by="month"))
        timed("countries --by year --query Жапаров", lambda: archive.countries(
            by="year", query="Жапаров"))  # fmt: skip
        timed("countries --by week", lambda: archive.countries(by="week"))
        timed("entity page: entity(japarov)", lambda: archive.entity("japarov"))
        timed("entity page: entity(e1), the most named", lambda: archive.entity("e1"))
        timed("entity page: entity_trend(japarov, year)", lambda: archive.entity_trend(
            "japarov", by="year"))  # fmt: skip
        size = args.archive.stat().st_size
        print(f"archive {size / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
