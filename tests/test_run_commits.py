"""A crawl's batches are bounded in time as well as in size: a crawl of a slow site,
killed with SIGKILL, has stored every page fetched more than CENTRASIA_COMMIT_SECONDS
before the kill (by the replica's own log), and its run's row shows its requests."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.crawling import FAST, PROJECT
from tests.helpers import running_children
from tests.replica.server import Faults, serve

COMMIT_SECONDS = 10


@pytest.mark.slow
def test_a_killed_crawl_loses_at_most_the_commit_interval(tmp_path: Path) -> None:
    archive = tmp_path / "archive.sqlite"
    before = running_children()
    with serve(days=3, per_day=50, faults=Faults(latency=0.25)) as replica:
        command = [sys.executable, "-m", "scrapy", "crawl", "centrasia"]
        settings = FAST | {
            "CONCURRENT_REQUESTS": "2",
            "CONCURRENT_REQUESTS_PER_DOMAIN": "2",
            "CENTRASIA_ROOT_URL": replica.root,
            "CENTRASIA_ARCHIVE_PATH": str(archive),
            "CENTRASIA_COMMIT_SECONDS": str(COMMIT_SECONDS),
            # Batches never fill: only the time bound writes them.
            "CENTRASIA_BATCH_SIZE": "100000",
            "CENTRASIA_PROGRESS_INTERVAL": "0",
        }
        for name, value in settings.items():
            command += ["-s", f"{name}={value}"]
        crawler = subprocess.Popen(
            command,
            cwd=PROJECT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # Fifteen seconds of crawling: counted from its first request.
            deadline = time.monotonic() + 60
            while not replica.log and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(15)
            assert crawler.poll() is None, "the crawl ended before it was killed"
            killed_at = time.time()
            os.kill(crawler.pid, signal.SIGKILL)
        finally:
            crawler.kill()
            crawler.wait(timeout=30)
        log = list(replica.log)
    assert running_children() == before
    # The truth: the pages the replica served, and when, by its own clock.
    early = {r.path for r in log if r.status == 200 and r.at < killed_at - COMMIT_SECONDS}
    late = {r.path for r in log if r.status == 200 and r.at >= killed_at - COMMIT_SECONDS}
    articles = {p for p in early if p.startswith("/newsA.php")}
    assert len(articles) >= 5 and late, "too few pages fetched to tell"
    conn = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    try:
        stored = {row[0] for row in conn.execute("SELECT url FROM pages")}
        requests, outcome = conn.execute(
            "SELECT requests, outcome FROM crawl_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    root = replica.root.rstrip("/")
    missing = {path for path in early - {"/robots.txt"} if root + path not in stored}
    assert not missing, sorted(missing)[:5]
    # The run's row was brought up to date with its batches: at least every request
    # answered before the last interval.
    answered_early = sum(1 for r in log if r.at < killed_at - COMMIT_SECONDS)
    assert requests >= answered_early > 0, (requests, answered_early)
    assert outcome in (None, "running"), outcome
