"""Entities at the size of the site's whole history (issue 24; a script, not a test).

On the 300,000-article corpus (``bench/corpus.py``; built once and kept), prints:

1. the time to tag every article from scratch, as ``centrasia upgrade`` does it on an
   archive written before entities (target <= 10 min on 2 cores);
2. the archive's growth from the entity tables (target <= 10%);
3. wall time, process start included, of ``search @Астана`` (target 1 s),
   ``entities QUERY`` and ``countries --by month`` (targets 2 s each).

Step 1 works on the archive in place: it drops the tags first.

Run: .venv/bin/python bench/entities.py [--archive FILE] [--no-tagging] [--rounds N]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import ensure  # noqa: E402

CENTRASIA = [sys.executable, "-m", "centrasia_crawler.cli"]
COMMANDS = {
    "search @Астана": ["search", "@Астана"],
    "search @Астана --count": ["search", "@Астана", "--count"],
    "search '@\"Садыр Жапаров\" газ'": ["search", '@"Садыр Жапаров" газ'],
    "entities Жапаров": ["entities", "Жапаров"],
    "entities (whole archive)": ["entities"],
    "entities @Кыргызстан --type person": ["entities", "@Кыргызстан", "--type", "person"],
    "countries --by month": ["countries", "--by", "month"],
    "countries --by year --since 2020-01-01": [
        "countries",
        "--by",
        "year",
        "--since",
        "2020-01-01",
    ],
}
TARGETS = {"search": 1.0, "entities": 2.0, "countries": 2.0}


def entity_bytes(path: Path) -> int:
    """The bytes of the entity tables and their indexes (dbstat)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN ('entities', 'entity_names',"
            " 'entity_posts', 'article_entities', 'article_entities_entity', 'article_tags')"
            " OR name LIKE 'sqlite_autoindex_entit%'"
            " OR name LIKE 'sqlite_autoindex_article_entities%'"
        ).fetchone()
    finally:
        conn.close()
    return int(row[0] or 0)


def tagging(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for table in ("article_entities", "article_tags"):
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone():
            conn.execute(f"DELETE FROM {table}")
    conn.execute("DELETE FROM archive_meta WHERE key LIKE 'entities_%'")
    conn.close()
    before = path.stat().st_size - entity_bytes(path)
    started = time.perf_counter()
    done = subprocess.run(
        [*CENTRASIA, "upgrade", "--archive", str(path)], capture_output=True, text=True
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"upgrade failed: {done.stderr.strip().splitlines()[-1:]}")
    conn = sqlite3.connect(path)
    rows, articles = conn.execute(
        "SELECT count(*), count(DISTINCT st) FROM article_entities"
    ).fetchone()
    total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    conn.close()
    print(f"1. tagging {total:,} articles from scratch: {took / 60:.1f} min (target 10 min)")
    print(f"   {rows:,} tags; {articles:,} articles name at least one entity")
    grown = entity_bytes(path)
    print(
        f"2. entity tables: {grown / 1e6:.0f} MB on an archive of {before / 1e6:.0f} MB:"
        f" +{100 * grown / before:.1f}% (target 10%)"
    )


def timed(args: list[str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            print(f"   {' '.join(args[3:])}: exit {done.returncode}: {done.stderr.strip()}")
            break
    return statistics.median(times)


def wall_times(path: Path, rounds: int) -> None:
    print(f"3. wall time, process start included (median of {rounds}):")
    for label, args in COMMANDS.items():
        took = timed([*CENTRASIA, *args, "--archive", str(path)], rounds)
        target = TARGETS[args[0]]
        print(f"   {label:45} {took:5.2f} s  (target {target:.0f} s: x{took / target:.2f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300_000)
    parser.add_argument("--archive", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-tagging", action="store_true", help="skip steps 1 and 2")
    args = parser.parse_args()
    path = ensure(args.articles, args.archive)
    if not args.no_tagging:
        tagging(path)
    wall_times(path, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
