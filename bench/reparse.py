"""Re-extraction on both cores (a script, not a test).

Backfills the replica into an archive (politeness off), then times ``centrasia reparse``
with ``--jobs 1`` and ``--jobs N`` (each on its own copy, a new process, start
included) and prints pages/s and the ratio. Target (issue 15): at least 1.7x the
one-process throughput on these 2-core machines, on 20,000 stored pages.

Run: .venv/bin/python bench/reparse.py [--pages 20000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
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
        rates = {}
        for jobs in (1, args.jobs):
            copy = Path(tmp) / f"jobs{jobs}.sqlite"
            shutil.copy(archive, copy)
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
            rates[jobs] = pages / seconds
            print(f"reparse --jobs {jobs}: {seconds:.1f} s, {rates[jobs]:,.0f} pages/s")
            copy.unlink()
        print(f"ratio: {rates[args.jobs] / rates[1]:.2f}x (target >= 1.7x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
