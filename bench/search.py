"""Search at the size of the site's whole history (a script, not a test).

On an archive of 300,000 generated articles (``bench/corpus.py``: about 40 a day over
20 years, bodies of about 7 KB of grammatical Russian news on the region), prints
the figures of issue 12 against its targets:

1. recall and precision on the inflection set (``tests/inflection.py``, written into
   the same archive): the morphological search (targets: recall >= 99%, precision
   >= 97%), exact-form search and prefix search side by side;
2. wall time of ``centrasia search`` (a new process each time, start included) for a
   rare word, a common one, a very common one, a phrase, and with ``--since``, for
   the morphological search (target <= 1.0 s each) and ``--exact``;
3. the archive's size with and without the morphological index (target <= +50%);
4. the time to build the morphological index from scratch (target <= 10 minutes on
   these 2-core machines), in a new process as an upgrade runs it;
5. a researcher's first commands (issue 21): two-word queries, the broadest word,
   ``--count``, ``kwic`` for a rare word (targets 1 s, 1 s, 2 s) and ``export --query``
   of about 10,000 articles (target 15 s).

The archive is built once (about half an hour) and kept at ``--archive``; step 4
rebuilds its index in place.

Run: .venv/bin/python bench/search.py [--archive FILE] [--articles N] [--no-rebuild]
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

from bench.corpus import RARE, ensure  # noqa: E402
from centrasia_crawler.archive import Archive  # noqa: E402
from centrasia_crawler.archive.schema import fold_yo  # noqa: E402
from centrasia_crawler.archive.search_query import QueryTranslator  # noqa: E402
from tests.inflection import evaluate  # noqa: E402

CENTRASIA = [sys.executable, "-m", "centrasia_crawler.cli"]
#: The inflection set's articles: ``st`` from here up.
SET_FROM = 1_000_000
QUERIES = {
    "rare word": RARE,
    "common word": "казахстан",
    "very common word": "страна",
    "phrase": '"новая конституция"',
    "common word, --since": "казахстан --since 2025-01-01",
    "very common, --since": "страна --since 2025-01-01",
}


def quality(path: Path) -> None:
    """Recall and precision on the inflection set, searched in the whole archive; only
    the set's articles are judged (rowid >= SET_FROM: the generated text uses the test
    words too, unjudged)."""
    store = Archive.open(path, readonly=True)
    translator = QueryTranslator(store.conn)

    def find(query: str, mode: str) -> set[int]:
        if mode == "morph":
            table, match = "articles_morph", translator.translate(query)
        else:
            table, match = "articles_fts", fold_yo(query)
        sql = f"SELECT rowid FROM {table} WHERE {table} MATCH ? AND rowid >= ?"
        try:
            return {r[0] for r in store.conn.execute(sql, (match, SET_FROM))}
        except sqlite3.OperationalError as exc:
            raise ValueError(str(exc)) from None

    print("1. recall / precision on the inflection set (303 words, 2 forms searched each)")
    for mode, target in (("morph", " (targets >= 99% / >= 97%)"), ("exact", ""), ("prefix", "")):
        start = time.perf_counter()
        score = evaluate(find, mode=mode)
        took = time.perf_counter() - start
        print(
            f"   {mode:7} recall {score.recall:6.1%}  precision {score.precision:6.1%}"
            f"  ({score.relevant:,} relevant, {score.found:,} found; {took:.0f} s){target}"
        )
    store.close()


def timed(args: list[str], rounds: int) -> tuple[float, float, str]:
    """Median and longest wall time of a command, and what it printed."""
    times, out = [], ""
    for _ in range(rounds):
        start = time.perf_counter()
        done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)}: {done.stderr.strip()}")
        out = done.stdout
    return statistics.median(times), max(times), out


def wall_times(path: Path, rounds: int) -> None:
    print(f"2. wall time of centrasia search, process start included (median of {rounds})")
    start, _, _ = timed([sys.executable, "-c", "import centrasia_crawler.cli"], rounds)
    print(f"   (python starting and importing the CLI alone: {start:.2f} s); target <= 1.0 s")
    store = Archive.open(path, readonly=True)
    for label, query in QUERIES.items():
        words = query.split(" --")[0]
        matched = store.conn.execute(
            "SELECT count(*) FROM articles_morph WHERE articles_morph MATCH ?",
            (QueryTranslator(store.conn).translate(words),),
        ).fetchone()[0]
        row = []
        for flag in ([], ["--exact"]):
            args = [*CENTRASIA, "search", words, "--archive", str(path), "--limit", "20"]
            if "--since" in query:
                args += ["--since", query.split("--since ")[1]]
            median, worst, _ = timed(args + flag, rounds)
            row.append(f"{median:.2f} s (max {worst:.2f})")
        print(f"   {label:22} {matched:8,} match  any form {row[0]}  --exact {row[1]}")
    store.close()


#: Issue 21's researcher's commands, each against its target (seconds, wall, process
#: start included): (label, command arguments, target).
RESEARCHER = [
    ("two words, several readings each", ["search", "стали страны"], 1.0),
    ("two names, unquoted", ["search", "Садыр Жапаров"], 1.0),
    ("the broadest word", ["search", "страна"], 1.0),
    ("--count, the broadest word", ["search", "страна", "--count"], 1.0),
    ("--count, two words", ["search", "стали страны", "--count"], 1.0),
    ("kwic, a rare word", ["kwic", RARE], 2.0),
]


def researcher(path: Path, rounds: int) -> None:
    """The first hour's commands (issue 21), and ``export --query`` of about 10,000
    matching articles (target <= 15 s)."""
    print(f"5. a researcher's commands, process start included (median of {rounds})")
    where = ["--archive", str(path)]
    for label, args, target in RESEARCHER:
        median, worst, out = timed([*CENTRASIA, *args, *where], rounds)
        shown = out.strip().splitlines()[-1][:40] if out.strip() else ""
        print(f"   {label:34} {median:5.2f} s (max {worst:.2f}; target <= {target:.1f})  {shown}")
    store = Archive.open(path, readonly=True)
    query, matched = _about(store, 10_000)
    store.close()
    median, worst, _ = timed(
        [*CENTRASIA, "export", "--query", query, "-o", "/dev/null", *where], max(1, rounds // 2)
    )
    print(
        f"   export --query {query!r} ({matched:,} articles): {median:.1f} s"
        f" (max {worst:.1f}; target <= 15 s)"
    )


def _about(store: Archive, wanted: int) -> tuple[str, int]:
    """The query of a few candidates whose matches come nearest ``wanted``."""
    counted = [(word, store.count(word)) for word in ("референдум", "газ", "выборы", "страна")]
    return min(counted, key=lambda pair: abs(pair[1] - wanted))


def sizes(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    by_name = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
    total = sum(by_name.values())
    morph = sum(
        v
        for k, v in by_name.items()
        if k.startswith(("articles_morph", "morph_terms", "morph_counts"))
    )
    exact = sum(v for k, v in by_name.items() if k.startswith("articles_fts"))
    articles = by_name.get("articles", 0)
    print("3. size")
    print(
        f"   archive {total / 1e9:.2f} GB: articles {articles / 1e9:.2f} GB, exact-form index"
        f" {exact / 1e9:.2f} GB, morphological index {morph / 1e9:.2f} GB"
    )
    print(
        f"   without the morphological index {(total - morph) / 1e9:.2f} GB:"
        f" +{morph / (total - morph):.0%} with it (target <= +50%)"
    )


BUILD = """
import sqlite3, sys, time
from centrasia_crawler.archive.morph import build_index
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("UPDATE archive_meta SET value = 'bench' WHERE key = 'morph_version'")
start = time.perf_counter()
n = build_index(conn, progress=lambda line: None)
print(n, time.perf_counter() - start)
"""


def rebuild(path: Path) -> None:
    import resource

    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(path)], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    n, seconds = done.stdout.split()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"4. index built from scratch: {int(n):,} articles in {float(seconds) / 60:.1f} min"
        f" ({int(n) / float(seconds):,.0f}/s; peak {peak:.0f} MB) (target <= 10 min)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300_000)
    parser.add_argument("--archive", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-rebuild", action="store_true", help="skip step 4")
    parser.add_argument(
        "--researcher", action="store_true", help="only step 5: the researcher's commands"
    )
    args = parser.parse_args()
    path = ensure(args.articles, args.archive)
    count = Archive.open(path, readonly=True).table_count("articles")
    print(f"archive {path}: {count:,} articles")
    if args.researcher:
        researcher(path, args.rounds)
        return 0
    quality(path)
    wall_times(path, args.rounds)
    researcher(path, args.rounds)
    sizes(path)
    if not args.no_rebuild:
        rebuild(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
