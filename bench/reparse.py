"""Re-extraction on both cores (a script, not a test).

Backfills the replica into an archive (politeness off), then times ``centrasia reparse``
with ``--jobs 1`` and ``--jobs N`` (each on its own copy, a new process, start
included), in alternating rounds since these machines' speed drifts from minute to
minute, and prints pages/s and the median of the rounds' ratios. Target (issue 15): at
least 1.7x the one-process throughput on these 2-core machines, on 20,000 stored pages.

Run: .venv/bin/python bench/reparse.py [--pages 20000] [--jobs 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from centrasia_crawler.archive import Archive  # noqa: E402
from tests.crawling import crawl  # noqa: E402
from tests.replica.server import serve  # noqa: E402

PER_DAY = 50
CLI = (sys.executable, "-m", "centrasia_crawler.cli")


def reparse(archive: Path, jobs: int) -> float:
    """Seconds ``centrasia reparse --jobs N`` takes on a copy of ``archive``."""
    copy = archive.with_name(f"jobs{jobs}.sqlite")
    shutil.copy(archive, copy)
    try:
        start = time.perf_counter()
        done = subprocess.run(
            [*CLI, "reparse", "--archive", str(copy), "--jobs", str(jobs)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        return seconds
    finally:
        copy.unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "archive.sqlite"
        days = max(1, args.pages // PER_DAY)
        start = time.perf_counter()
        with serve(days=days, per_day=PER_DAY, index_days=1) as replica:
            replica.prerender()
            listed = replica.site.day_list()
            crawl(replica, archive, f"since={listed[-1]}", f"until={listed[0]}", timeout=3600)
        with Archive.open(archive, readonly=True) as store:
            pages = store.conn.execute(
                "SELECT count(DISTINCT url) FROM pages WHERE kind IN ('article', 'listing')"
            ).fetchone()[0]
        print(f"backfill of {pages:,} pages in {time.perf_counter() - start:.0f} s")
        ratios = []
        for _ in range(args.rounds):
            rates = {jobs: pages / reparse(archive, jobs) for jobs in (1, args.jobs)}
            ratios.append(rates[args.jobs] / rates[1])
            print(
                f"reparse --jobs 1: {rates[1]:,.0f} pages/s;"
                f" --jobs {args.jobs}: {rates[args.jobs]:,.0f} pages/s; {ratios[-1]:.2f}x"
            )
        print(f"ratio: {statistics.median(ratios):.2f}x, median of {len(ratios)} (target >= 1.7x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
