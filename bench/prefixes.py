"""Prefix search against a scan of the text, and the time of the common commands (a
script, not a test).

On an archive of generated news (``bench/corpus.py``), prints:

1. for every prefix of two letters or more of random words of the archive, whether
   ``count('prefix*')`` equals a regular-expression scan of the stored text, or the
   prefix is refused (one line: the index keeps the forms it would need apart as one
   term); the share refused;
2. the median time of ``search`` (20 results), ``count`` and ``trend`` (by month), in
   this process, for the queries of ``QUERIES``: run it on the same archive with the
   code before and after a change to compare them.

Run: .venv/bin/python bench/prefixes.py [--archive FILE] [--articles N] [--words N]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import ensure  # noqa: E402
from centrasia_crawler.archive import Archive, attention  # noqa: E402
from centrasia_crawler.archive.search import count, search  # noqa: E402
from centrasia_crawler.archive.search_query import QueryError  # noqa: E402
from centrasia_crawler.normalize.text import fold_yo  # noqa: E402

QUERIES = (
    "казахстан",
    "страна",
    "редкоземельный",
    '"новая конституция"',
    "Жапаров",
    "Токаев OR Мирзиёев",
    "газ AND вода",
    "Жапаров*",
    "Казахст*",
)


def prefixes(store: Archive, n_words: int, seed: int) -> None:
    texts = [
        fold_yo(f"{t}\n{b}".lower())
        for t, b in store.conn.execute("SELECT title, body FROM articles")
    ]
    words = sorted({w for text in texts[:500] for w in re.findall(r"[^\W\d_]{3,}", text)})
    right = wrong = refused = 0
    for word in random.Random(seed).sample(words, min(n_words, len(words))):
        for end in range(2, len(word) + 1):
            prefix = word[:end]
            pattern = re.compile(r"(?<![^\W_])" + re.escape(prefix))
            truth = sum(1 for text in texts if pattern.search(text))
            try:
                got = count(store, f"{prefix}*")
            except QueryError:
                refused += 1
                continue
            if got == truth:
                right += 1
            else:
                wrong += 1
                print(f"   {prefix}*: {got:,} articles, the scan {truth:,}")
    total = right + wrong + refused
    print(
        f"1. prefixes of {n_words} random words: {right:,} equal to the scan, {wrong:,} not,"
        f" {refused:,} refused ({refused / max(total, 1):.0%}; stop words included)"
    )


def median(run: Callable[[], object], times: int) -> float:
    took = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        took.append(time.perf_counter() - start)
    return statistics.median(took) * 1000


def timings(store: Archive) -> None:
    print("2. median ms in this process: search (20 results), count, trend (by month)")
    for query in QUERIES:
        found = median(lambda q=query: search(store, q, limit=20), 7)  # type: ignore[misc]
        counted = median(lambda q=query: count(store, q), 7)  # type: ignore[misc]
        trend = median(lambda q=query: attention.trend(store, [q], "month", None, None), 3)  # type: ignore[misc]
        print(f"   {query:24s} {found:8.1f} {counted:8.1f} {trend:8.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path)
    parser.add_argument("--articles", type=int, default=4000)
    parser.add_argument("--words", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    path = ensure(args.articles, args.archive)
    with Archive.open(path, readonly=True) as store:
        prefixes(store, args.words, args.seed)
        timings(store)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
