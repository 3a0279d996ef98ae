"""KWIC against search on a generated archive (a script, not a test).

Prints the wall time of ``centrasia search QUERY --limit 100`` and of ``centrasia kwic
QUERY --limit 100`` in each of its sorts (a new process each time, start included, the
best of three), the ratio to search, and the target: kwic at most twice search.

The archive is made by ``bench/corpus.py`` if it does not exist; it must be of this
program's schema (``centrasia upgrade`` one of an older schema, on a copy).

Run: .venv/bin/python bench/kwic.py [--archive FILE] [--articles N] [QUERY ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import RARE, ensure  # noqa: E402

CENTRASIA = [sys.executable, "-m", "centrasia_crawler.cli"]


def wall(args: list[str], runs: int = 3) -> float:
    """The best wall time of a command, in seconds."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([*CENTRASIA, *args], check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archive", type=Path, default=Path("/tmp/kwic-20k.sqlite"))
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("queries", nargs="*", default=[RARE, "казахстан", "страна"])
    args = parser.parse_args()
    ensure(args.articles, args.archive)
    where = ["--archive", str(args.archive), "--limit", "100"]
    print("| query | search | kwic (date) | kwic --sort left | kwic --sort right |")
    print("|---|---|---|---|---|")
    for query in args.queries:
        base = wall(["search", query, *where])
        cells = [f"{base:.2f} s"]
        for sort in ("date", "left", "right"):
            took = wall(["kwic", query, "--sort", sort, *where])
            verdict = "met" if took <= 2 * base else "NOT met"
            cells.append(f"{took:.2f} s ({took / base:.1f}×, {verdict})")
        print(f"| `{query}` | " + " | ".join(cells) + " |")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
