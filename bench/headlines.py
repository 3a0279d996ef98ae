"""Headline-first search against the one ranked query it replaced (a script, not a test).

``centrasia search`` lists the articles whose headline matches first, by two FTS5
queries each ordered by rank; before, one query ordered every match by rank. This
prints the median time of each, in this process with the archive warm, and their ratio,
for the queries of ``bench/search.py``.

Run: .venv/bin/python bench/headlines.py ARCHIVE (one of ``bench/corpus.py``'s)
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import RARE  # noqa: E402
from centrasia_crawler.archive import Archive  # noqa: E402
from centrasia_crawler.archive.search import (  # noqa: E402
    RANKING,
    Filters,
    matching,
    run_matching,
    search,
)
from centrasia_crawler.archive.snippets import ELLIPSIS, MARK_CLOSE, MARK_OPEN  # noqa: E402


def one_query(archive: Archive, query: str, filters: Filters | None, limit: int = 20) -> Any:
    """The search as one query ordered by rank (before headlines came first)."""
    found, params = matching(archive, query, filters)
    sql = (
        "SELECT a.st, a.published_at, a.title, a.source, a.attribution, a.url,"
        " snippet(articles_morph, -1, ?, ?, ?, 12), articles_morph.rank"
        f" {found} AND articles_morph.rank MATCH ? ORDER BY articles_morph.rank LIMIT ?"
    )
    marks = [MARK_OPEN, MARK_CLOSE, ELLIPSIS]
    return run_matching(archive, query, sql, [*marks, *params, RANKING, limit]).fetchall()


def median(run: Callable[[], Any], times: int = 15) -> float:
    took = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        took.append(time.perf_counter() - started)
    return statistics.median(took)


def main() -> int:
    since = Filters(since=dt.date(2025, 1, 1))
    cases = [
        ("rare word", RARE, None),
        ("common word", "казахстан", None),
        ("very common word", "страна", None),
        ("phrase", '"новая конституция"', None),
        ("common word, --since", "казахстан", since),
        ("two words", "Жапаров Ташиев", None),
    ]
    with Archive.open(sys.argv[1], readonly=True) as archive:
        for label, query, filters in cases:
            search(archive, query, filters)  # warm
            new = median(lambda q=query, f=filters: search(archive, q, f))
            old = median(lambda q=query, f=filters: one_query(archive, q, f))
            print(
                f"{label:22s} one query {old * 1000:7.1f} ms  headlines first"
                f" {new * 1000:7.1f} ms  ratio {new / old:4.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
