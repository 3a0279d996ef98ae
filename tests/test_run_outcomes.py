"""What a run's outcome says, against the replica: only articles are items, every
failure fails the run, bad arguments stop it before anything opens, and a stop asked
for is not a failure."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler.archive import Archive
from tests.crawling import FAST, PROJECT, centrasia, crawl
from tests.replica.server import Replica, serve

IMPOSSIBLE = "31 февраля 2026 г."


def feed_rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def stat(stderr: str, name: str) -> int:
    found = re.search(rf"'{re.escape(name)}': (\d+)", stderr)
    return int(found[1]) if found else 0


@pytest.mark.slow
def test_impossible_dates_are_problems_of_the_run_never_items(tmp_path: Path) -> None:
    feed, archive = tmp_path / "items.jsonl", tmp_path / "archive.sqlite"
    with serve(days=2, per_day=8) as replica:
        site = replica.site
        odd = site.archivable()[1::5]
        for st in odd:
            site.edit(st, original_date=None, original_date_line=IMPOSSIBLE)
        done = crawl(replica, archive, feed=feed)
        root = replica.root
    rows = feed_rows(feed)
    # Every row is an article of the site, each once: nothing else went out as an item.
    assert sorted(int(str(r["st"])) for r in rows) == site.archivable()
    assert all(r["title"] and r["body"] for r in rows)
    by_st = {r["st"]: r for r in rows}
    for st in odd:
        assert by_st[st]["original_date"] is None
        assert by_st[st]["original_date_text"] == IMPOSSIBLE
    with Archive.open(archive, readonly=True) as store:
        run = store.last_run()
    assert run is not None and run["outcome"] == "ok", run and run["outcome_reasons"]
    unread = {
        p["url"]
        for p in run["problems"]
        if IMPOSSIBLE in p["reason"] and "impossible" in p["reason"]
    }
    assert unread == {f"{root}newsA.php?st={st}" for st in odd}
    assert stat(done.stderr, "centrasia/problems/rejected") == len(odd)
    assert stat(done.stderr, "item_scraped_count") == len(rows)


PIPELINES = json.dumps(
    {
        "tests.scrapy_components.NeedsWordCount": 300,
        "centrasia_crawler.pipelines.ArchivePipeline": 800,
    }
)
SPIDER_MIDDLEWARES = json.dumps(
    {
        "centrasia_crawler.middlewares.SkipArchivedMiddleware": 950,
        "tests.scrapy_components.BreaksArticles": 960,
    }
)


def articles_served(replica: Replica) -> int:
    return len({r.path for r in replica.log if r.path.startswith("/newsA.php") and r.status == 200})


def last_run(archive: Path) -> dict[str, Any]:
    with Archive.open(archive, readonly=True) as store:
        run = store.last_run()
    assert run is not None
    return run


@pytest.mark.slow
@pytest.mark.parametrize(
    ("setting", "where", "error"),
    [
        (f"ITEM_PIPELINES={PIPELINES}", "pipeline NeedsWordCount", "KeyError: 'word_count'"),
        (
            f"SPIDER_MIDDLEWARES={SPIDER_MIDDLEWARES}",
            "callback parse_article",
            "ValueError: broken on purpose",
        ),
    ],
)
def test_a_failing_pipeline_or_callback_fails_the_run_of_both_commands(
    tmp_path: Path, setting: str, where: str, error: str
) -> None:
    name, value = setting.split("=", 1)
    with serve(days=1, per_day=6) as replica:
        archive = tmp_path / "scrapy.sqlite"
        # Scrapy logs each exception with its traceback: the user's code to mend.
        done = crawl(replica, archive, status=None, **{name: value})
        assert done.returncode == 1, done.stderr[-3000:]
        served = articles_served(replica)
        run = last_run(archive)
        assert served == len(replica.site.archivable())
        reason = f"{where} raised {error} ({served} times)"
        assert run["outcome"] == "failed"
        assert reason in run["outcome_reasons"], run["outcome_reasons"]
        assert f"run failed: {reason}" in done.stderr
        with Archive.open(archive, readonly=True) as store:
            assert store.table_count("articles") == 0  # none got past the failure

        replica.reset_log()
        archive = tmp_path / "centrasia.sqlite"
        done = centrasia(
            "crawl",
            "--root",
            replica.root,
            "--archive",
            str(archive),
            "-s",
            setting,
            *[f"-s{n}={v}" for n, v in FAST.items() if n != "LOG_LEVEL"],
        )
        assert done.returncode == 1, done.stderr
        assert f"centrasia crawl: failed: {reason}" in done.stderr.splitlines()
        assert done.stdout.startswith("centrasia crawl: failed:"), done.stdout
        assert last_run(archive)["outcome"] == "failed"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs, unmounted afterwards; skipped where mounting is not allowed."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or 'not allowed'}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["centrasia", "backfill", "scrapy"])
def test_a_full_disk_fails_the_run_in_one_line(small_disk: Path, command: str) -> None:
    """A backfill's JOBDIR on the full disk too keeps Scrapy from closing the crawl
    (its request queue cannot be read or written): the run ends all the same."""
    archive = small_disk / "archive.sqlite"
    with serve(days=8, per_day=40) as replica:
        days = replica.site.day_list()
        backfill = ["--since", str(days[-1]), "--until", str(days[0])]
        backfill += ["-s", f"JOBDIR={small_disk / 'job'}"]
        started = time.monotonic()
        if command != "scrapy":
            done = centrasia(
                "crawl",
                "--root",
                replica.root,
                "--archive",
                str(archive),
                "-s",
                "CENTRASIA_BATCH_SIZE=20",
                "-s",
                "CENTRASIA_MIN_FREE_BYTES=0",  # the disk fills: no floor stops the crawl first
                *[f"-s{n}={v}" for n, v in FAST.items() if n != "LOG_LEVEL"],
                *(backfill if command == "backfill" else []),
                timeout=120,
            )
        else:
            done = crawl(
                replica,
                archive,
                status=None,
                CENTRASIA_BATCH_SIZE="20",
                CENTRASIA_MIN_FREE_BYTES="0",
            )
        took = time.monotonic() - started
        served = articles_served(replica)
    assert shutil.disk_usage(small_disk).free < 64 * 1024, "the disk did not fill"
    # What was committed before stays readable, and is the site's.
    db = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    assert db.execute("PRAGMA quick_check").fetchone() == ("ok",)
    stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    db.close()
    assert 0 < stored < served
    assert took < 60, took  # the disk fills within seconds; the crawl stops within 30 s
    if command != "scrapy":
        assert done.returncode == 2, done.stderr
        assert done.stderr.splitlines() == [
            f"centrasia crawl: disk full: {served - stored} fetched articles not stored;"
            " nothing archived before is lost; free space and re-run"
        ]
        assert done.stdout == ""
    else:
        assert done.returncode == 1, done.stderr[-3000:]
        assert "Traceback" not in done.stderr, done.stderr[-3000:]
        assert "the archive cannot store the crawl: disk full; stopping" in done.stderr
        assert (
            f"run failed: the archive could not store the crawl (disk full):"
            f" {served - stored} fetched articles not stored"
        ) in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-13-01"], "--since='2026-13-01' is not a date (YYYY-MM-DD)"),
        (["--since", "2026-02-10", "--until", "2026-02-01"], "--since 2026-02-10 is after"),
        (["--root", "ftp://example.org/"], "ftp://example.org/"),
    ],
)
def test_centrasia_crawl_refuses_bad_arguments_in_one_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = centrasia("crawl", "--archive", str(tmp_path / "archive.sqlite"), *args)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.splitlines()) == 1 and message in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_stop_asked_for_is_not_a_failure_and_an_error_count_is(tmp_path: Path) -> None:
    archive = tmp_path / "archive.sqlite"
    with serve(days=3, per_day=20) as replica:
        # One request at a time: the stop comes before most articles are archived, so
        # the failing run below has articles left to fail on (16 at a time, a slow
        # machine archived 59 of the 60 before the stop took effect).
        done = crawl(replica, archive, CLOSESPIDER_ITEMCOUNT="5", CONCURRENT_REQUESTS="1")
        assert "] ERROR:" not in done.stderr, done.stderr[-3000:]
        assert "INFO: run stopped as asked (closespider_itemcount)" in done.stderr
        stopped = last_run(archive)
        assert (stopped["finish_reason"], stopped["outcome"]) == (
            "closespider_itemcount",
            "stopped",
        )
        assert stopped["outcome_reasons"] == []
        with contextlib.closing(sqlite3.connect(archive)) as conn:
            archived = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert archived < 60  # articles left for the failing run

        # A time limit, with a second between requests: the limit comes first.
        done = crawl(
            replica,
            tmp_path / "timed.sqlite",
            CLOSESPIDER_TIMEOUT="3",
            DOWNLOAD_DELAY="1",
            CONCURRENT_REQUESTS="1",
        )
        timed = last_run(tmp_path / "timed.sqlite")
        assert (timed["finish_reason"], timed["outcome"]) == ("closespider_timeout", "stopped")

        done = crawl(
            replica,
            archive,
            status=None,
            CLOSESPIDER_ERRORCOUNT="1",
            SPIDER_MIDDLEWARES=SPIDER_MIDDLEWARES,
        )
        assert done.returncode == 1, done.stderr[-3000:]
        failed = last_run(archive)
        assert failed["finish_reason"] == "closespider_errorcount"
        assert failed["outcome"] == "failed"
        assert (
            "the crawl did not finish (finish reason: closespider_errorcount)"
            in (failed["outcome_reasons"])
        )
    shown = centrasia("runs", "--archive", str(archive)).stdout.splitlines()
    # The failed run's first reason: the errors, as many as Scrapy's log tells.
    errors = done.stderr.count("ERROR: Spider error processing")
    assert errors >= 1
    times = "once" if errors == 1 else f"{errors} times"
    assert shown[1].endswith(
        f"failed: callback parse_article raised ValueError: broken on purpose ({times})"
    ), shown
    assert shown[2].endswith("stopped: closespider_itemcount"), shown


@pytest.mark.slow
def test_without_the_archive_pipeline_the_run_is_recorded_and_says_nothing_is_archived(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "archive.sqlite"
    with serve(days=1, per_day=4) as replica:
        done = crawl(replica, archive, ITEM_PIPELINES="{}")
        bare = done.stderr
        done = crawl(replica, archive)
    assert "WARNING: ArchivePipeline is not in ITEM_PIPELINES: nothing will be archived" in bare
    assert re.search(r"INFO: centrasia incremental: .*; pipelines none$", bare, re.M)
    assert "ArchivePipeline is not in ITEM_PIPELINES" not in done.stderr
    assert re.search(
        r"INFO: centrasia incremental: .*; pipelines ArchivePipeline$", done.stderr, re.M
    )
    with Archive.open(archive, readonly=True) as store:
        first, second = store.run(1), store.run(2)
    # The run's bookkeeping went on without the pipeline: recorded, ok, nothing stored.
    assert first is not None and first["outcome"] == "ok" and first["new_articles"] == 0
    assert second is not None and second["new_articles"] == len(replica.site.archivable())


def test_a_misspelled_spider_is_one_usage_error(tmp_path: Path) -> None:
    """`scrapy crawl centrasai` names the spider meant, exit 2, no traceback, no feed."""
    feed = tmp_path / "items.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "centrasai", "-O", str(feed)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "no spider 'centrasai' (did you mean centrasia?)" in done.stderr
    assert "Traceback" not in done.stderr and not feed.exists()
