"""`centrasia backup` (the restore drill: a backup taken during a crawl, restored) and
`centrasia prune` (coverage's answers unchanged)."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.archive.backup import BackupError, backup, dated_name, prune
from centrasia_crawler.archive.coverage import coverage
from tests.crawling import FAST, PROJECT, centrasia, crawl
from tests.helpers import assert_archive_is_ground_truth
from tests.replica.server import Faults, serve

CONTENT = "SELECT st, title, body, published_at, source, revision, content_hash FROM articles"


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.mark.slow
def test_a_backup_taken_during_a_crawl_restores_to_that_moment(tmp_path: Path) -> None:
    archive, backups = tmp_path / "a.sqlite", tmp_path / "backups"
    backups.mkdir()
    # Slow enough (one request at a time, 0.2 s each) to still run when the backup ends.
    with serve(days=4, per_day=15, faults=Faults(latency=0.2)) as replica:
        site, days = replica.site, replica.site.day_list()
        args = ["crawl", "--root", replica.root, "--archive", str(archive)]
        args += ["--since", str(days[-1]), "--until", str(days[0])]
        args += [
            a
            for k, v in (FAST | {"CENTRASIA_BATCH_SIZE": "8", "CONCURRENT_REQUESTS": "1"}).items()
            for a in ("-s", f"{k}={v}")
        ]
        Archive.open(archive).close()
        process = subprocess.Popen(
            [sys.executable, "-m", "centrasia_crawler.cli", *args],
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while process.poll() is None:
                if rows(archive, "SELECT count(*) FROM articles")[0][0] > 5:
                    break
                time.sleep(0.05)
            done = centrasia("backup", str(backups), "--archive", str(archive), "--keep", "2")
            assert process.poll() is None, "the crawl ended before the backup"
        finally:
            assert process.wait(timeout=300) == 0  # the crawl went on undisturbed
        assert done.returncode == 0, done.stderr
        (copy,) = backups.iterdir()
        assert done.stdout.startswith(f"centrasia backup: {copy}: ")
        assert "integrity ok" in done.stdout
        # The backup is the archive at one moment: a prefix of what the crawl wrote,
        # each article as it is in the source, with its search entry, and its run's
        # counters (written with each batch) matching its articles.
        backed = rows(copy, CONTENT)
        final = rows(archive, CONTENT)
        assert 5 < len(backed) < len(final)
        assert set(backed) <= set(final)
        assert f"{len(backed):,} articles" in done.stdout
        ((new, finished),) = rows(copy, "SELECT new_articles, finished_at FROM crawl_runs")
        assert (new, finished) == (len(backed), None)
        assert rows(copy, "SELECT count(*) FROM articles_fts") == [(len(backed),)]
        assert not Path(f"{copy}-wal").exists()

        # The drill: restore it (the crawl stopped), open it, crawl on from it.
        restored = tmp_path / "restored.sqlite"
        shutil.copy(copy, restored)
        stats = centrasia("stats", "--archive", str(restored))
        assert stats.returncode == 0, stats.stderr
        with Archive.open(restored, readonly=True) as store:
            assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert store.table_count("articles") == len(backed)
        again = centrasia(*[a if a != str(archive) else str(restored) for a in args])
        assert again.returncode == 0, again.stderr[-2000:]
    assert_archive_is_ground_truth(restored, site, site.in_range(days[-1], days[0]))


def test_backup_rotates_dated_copies_and_leaves_nothing_half_written(tmp_path: Path) -> None:
    archive, backups = tmp_path / "a.sqlite", tmp_path / "b"
    backups.mkdir()
    with Archive.open(archive) as store:
        store.write_batch([], [], [], store.start_run("incremental", {}))
    for hour in range(4):
        when = dt.datetime(2026, 11, 30, hour, tzinfo=dt.UTC)
        backup(archive, backups, keep=2, now=when)
    names = sorted(p.name for p in backups.iterdir())
    assert names == [
        dated_name(archive, dt.datetime(2026, 11, 30, 2, tzinfo=dt.UTC)),
        dated_name(archive, dt.datetime(2026, 11, 30, 3, tzinfo=dt.UTC)),
    ]

    # A copy that fails its check is never left under DEST's name.
    def damage() -> None:
        raise sqlite3.OperationalError("disk I/O error")

    target = tmp_path / "one.sqlite"
    with pytest.raises(BackupError, match="disk I/O error"):
        backup(archive, target, before_copy=damage)
    assert not target.exists() and not list(tmp_path.glob(".*partial"))
    done = centrasia("backup", str(target), "--archive", str(archive), "--keep", "3")
    assert done.returncode == 1 and "--keep needs DEST to be a directory" in done.stderr


@pytest.mark.slow
def test_prune_keeps_coverage_unchanged_and_every_article_page(tmp_path: Path) -> None:
    archive = tmp_path / "a.sqlite"
    with serve(days=3, per_day=8) as replica:
        days = replica.site.day_list()
        crawl(replica, archive, f"since={days[-1]}")
        for _ in range(3):  # the hourly runs: the index and the feed again, each time
            crawl(replica, archive)
    assert replica.site.disallowed  # a robots.txt refusal coverage must keep telling
    with Archive.open(archive) as store:
        before = asdict(coverage(store))
        articles = store.conn.execute(
            "SELECT count(*) FROM pages WHERE kind = 'article'"
        ).fetchone()
        listing = "SELECT url, count(*) FROM pages WHERE kind IN ('listing', 'feed') GROUP BY url"
        assert max(n for _, n in store.conn.execute(listing)) == 4
        runs = store.table_count("crawl_runs")
        report = prune(store.conn, dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        assert report.pages > 0 and report.bodies >= 0
        assert asdict(coverage(store)) == before
        assert before["days"] and any(d["forbidden"] for d in before["days"])
        assert (
            store.conn.execute("SELECT count(*) FROM pages WHERE kind = 'article'").fetchone()
            == articles
        )
        assert {n for _, n in store.conn.execute(listing)} == {1}  # the newest of the day
        assert store.table_count("crawl_runs") == runs - report.runs
        assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        page = store.page_body(replica.root)
        assert page is not None and page.body  # the kept fetch still reads
    done = centrasia("prune", "--archive", str(archive), "--older-than", "30")
    assert done.returncode == 0 and done.stdout.startswith("centrasia prune: 0 stored fetches")
