"""`make demo`: start the replica, crawl it into data/demo.sqlite, show what landed.

For a newcomer on a machine without internet access: the whole job, offline.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.replica.server import serve

PROJECT = Path(__file__).resolve().parents[2]
ARCHIVE = PROJECT / "data" / "demo.sqlite"


def main() -> int:
    with serve(days=10, per_day=50, markup="table") as replica:
        print(f"replica of centrasia.org with 10 days x 50 articles at {replica.root}")
        days = replica.site.day_list()
        for args in ([], ["-a", f"since={days[-1]}", "-a", f"until={days[0]}"]):
            command = [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "centrasia",
                *args,
                "-s",
                f"CENTRASIA_ROOT_URL={replica.root}",
                "-s",
                f"CENTRASIA_ARCHIVE_PATH={ARCHIVE}",
                "-s",
                "DOWNLOAD_DELAY=0",
                "-s",
                "AUTOTHROTTLE_ENABLED=False",
                "-s",
                "CONCURRENT_REQUESTS_PER_DOMAIN=16",
                "-s",
                "LOG_LEVEL=WARNING",
            ]
            print("$ scrapy", *command[3:])
            if subprocess.run(command, cwd=PROJECT, check=False).returncode != 0:
                return 1
    conn = sqlite3.connect(ARCHIVE)
    runs = conn.execute(
        "SELECT id, mode, finish_reason, requests, new_articles FROM crawl_runs ORDER BY id"
    ).fetchall()
    for run in runs:
        print("run {}: {} {}, {} requests, {} new articles".format(*run))
    total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    print(f"\n{ARCHIVE.relative_to(PROJECT)} holds {total} articles. Try:")
    print(
        f'  sqlite3 {ARCHIVE.relative_to(PROJECT)} "SELECT published_at, title FROM articles'
        ' ORDER BY st DESC LIMIT 5"'
    )
    print(
        f'  sqlite3 {ARCHIVE.relative_to(PROJECT)} "SELECT rowid, snippet(articles_fts, 1,'
        " '[', ']', '…', 8) FROM articles_fts WHERE articles_fts MATCH 'елка' LIMIT 5\""
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
