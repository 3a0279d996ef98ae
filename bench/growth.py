"""How fast the archive grows in steady state, hourly run by hourly run (a script, not a test).

A backfill of a week of the replica, then hourly incremental runs, the site's index and
feed changing before each (a headline edited, as new articles change them on the live
site). Prints the bytes each hourly run adds (the index and feed pages fetched again,
the run's row), the same after ``centrasia prune`` (the newest fetch of each page a
day kept), and what a year comes to with and without pruning, beside the articles'
own share at 40 a day.

Run: .venv/bin/python bench/growth.py [--runs N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from centrasia_crawler.archive import Archive  # noqa: E402
from centrasia_crawler.archive.backup import prune  # noqa: E402
from tests.crawling import FAST  # noqa: E402
from tests.replica.server import serve  # noqa: E402

HOURS_A_YEAR = 24 * 365.25
ARTICLES_A_DAY = 40


def used_bytes(path: Path) -> int:
    """The bytes the archive's pages hold (free pages left out), the log moved in."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        return int((pages - free) * size)
    finally:
        conn.close()


def run(root: str, archive: Path, *args: str) -> None:
    command = [sys.executable, "-m", "centrasia_crawler.cli", "crawl", "--root", root]
    command += ["--archive", str(archive), *args]
    for name, value in FAST.items():
        command += ["-s", f"{name}={value}"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=24, help="hourly runs to measure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, serve(days=7, per_day=ARTICLES_A_DAY) as replica:
        archive = Path(tmp) / "a.sqlite"
        site = replica.site
        run(replica.root, archive, "--since", str(site.day_list()[-1]))
        articles_bytes = used_bytes(archive)
        with Archive.open(archive, readonly=True) as store:
            articles = store.table_count("articles")
        newest = site.by_day[site.last_day]
        for hour in range(args.runs):
            meta = newest[hour % len(newest)]
            site.edit(meta.st, title=f"{site.article(meta.st)['title']} ({hour})")
            run(replica.root, archive)
        grown = used_bytes(archive) - articles_bytes
        with Archive.open(archive) as store:
            report = prune(store.conn, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        pruned = used_bytes(archive) - articles_bytes
    per_run = grown / args.runs
    per_article = articles_bytes / articles
    print(
        f"backfill: {articles} articles, {articles_bytes / 1e6:.1f} MB,"
        f" {per_article / 1e3:.1f} KB an article (text, indexes, listings, raw page)"
    )
    print(f"hourly runs: {args.runs}, {grown / 1e3:.0f} KB, {per_run / 1e3:.1f} KB a run")
    print(f"after prune ({report.line()}): {pruned / 1e3:.0f} KB kept of {grown / 1e3:.0f} KB")
    year_runs = per_run * HOURS_A_YEAR
    year_articles = per_article * ARTICLES_A_DAY * 365.25
    kept_a_day = pruned  # one day of runs, pruned: the newest index and feed of the day
    print(
        f"a year: articles {year_articles / 1e6:.0f} MB; hourly runs unpruned"
        f" {year_runs / 1e6:.0f} MB; pruned with --older-than 90: a window of"
        f" {90 * 24 * per_run / 1e6:.0f} MB, then {365.25 * kept_a_day / 1e6:.1f} MB a year"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
