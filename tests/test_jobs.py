"""`centrasia crawl` and `centrasia reparse` as cron runs them: exit statuses, the lock,
layout drift, progress, re-extraction."""

from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler.archive import Archive, content_hash
from centrasia_crawler.health import Thresholds, assess
from tests.crawling import FAST, PROJECT, centrasia
from tests.helpers import free_port
from tests.replica.markup import DriftMarkup
from tests.replica.server import Faults, serve


def crawl_args(root: str, archive: Path, *extra: str) -> list[str]:
    args = ["crawl", "--root", root, "--archive", str(archive), *extra]
    for name, value in FAST.items():
        args += ["-s", f"{name}={value}"]
    return args


def runs(archive: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(archive)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM crawl_runs ORDER BY id")]
    finally:
        conn.close()


@pytest.mark.slow
def test_a_healthy_run_exits_0_with_one_summary_line(tmp_path: Path) -> None:
    with serve(days=2, per_day=10) as replica:
        done = centrasia(*crawl_args(replica.root, tmp_path / "a.sqlite"))
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("centrasia crawl: ok: 19 new, 0 changed, 0 unchanged,")
    assert "0 errors" in lines[0] and "requests" in lines[0] and lines[0].endswith(" s")
    assert runs(tmp_path / "a.sqlite")[0]["outcome"] == "ok"


@pytest.mark.slow
def test_a_site_answering_500_exits_1_naming_the_failures(tmp_path: Path) -> None:
    with serve(days=1, per_day=5, faults=Faults(down=True)) as replica:
        done = centrasia(*crawl_args(replica.root, tmp_path / "a.sqlite", "-s", "RETRY_TIMES=1"))
    assert done.returncode == 1
    assert "centrasia crawl: failed:" in done.stdout
    assert "URLs failed after their retries" in done.stderr and "HTTP 500" in done.stderr
    assert "the index was not read" in done.stderr
    run = runs(tmp_path / "a.sqlite")[0]
    assert run["outcome"] == "failed" and "HTTP 500" in run["outcome_reasons"]


@pytest.mark.slow
def test_a_site_that_cannot_be_reached_is_told_in_lines_each_once(tmp_path: Path) -> None:
    """Scrapy's robots.txt middleware logs a page of Twisted's internals for a refused
    connection; the crawl says it in one line (the traceback stays for --verbose)."""
    root = f"http://127.0.0.1:{free_port()}/"
    quiet = ["-s", "RETRY_TIMES=0", "-s", "LOG_LEVEL=WARNING"]  # as without --verbose
    done = centrasia(*crawl_args(root, tmp_path / "a.sqlite"), *quiet)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    refused = [line for line in done.stderr.splitlines() if "robotstxt" in line]
    assert refused and all("Connection" in line or "refused" in line for line in refused)
    # Each reason once: the command's line, not the log's `run failed:` line as well.
    assert "centrasia crawl: failed: the index was not read" in done.stderr
    assert "run failed:" not in done.stderr
    verbose = centrasia(*crawl_args(root, tmp_path / "b.sqlite"), "-s", "RETRY_TIMES=0", "-v")
    assert verbose.returncode == 1 and "Traceback" in verbose.stderr
    assert "run failed: the index was not read" in verbose.stderr  # the whole log


@pytest.mark.slow
def test_an_index_in_a_changed_markup_exits_1_and_keeps_the_raw_page(tmp_path: Path) -> None:
    archive = tmp_path / "a.sqlite"
    with serve(days=2, per_day=5, markup="drift") as replica:
        done = centrasia(*crawl_args(replica.root, archive))
        root = replica.root
    assert done.returncode == 1
    assert "layout drift: listing page not read" in done.stderr
    assert root in done.stderr  # which URL
    with Archive.open(archive, readonly=True) as store:
        page = store.page_body(root)
    assert page is not None and page.extraction_error
    # The stored page can be examined without the network.
    again = centrasia("extract", "--from-archive", root, "--archive", str(archive))
    assert again.returncode == 2 and "no day heading" in again.stderr


@pytest.mark.slow
def test_articles_in_a_changed_markup_exit_1(tmp_path: Path) -> None:
    archive = tmp_path / "a.sqlite"
    with serve(days=2, per_day=5, markup="table") as replica:
        assert centrasia(*crawl_args(replica.root, archive)).returncode == 0
        replica.markup = DriftMarkup()  # the site changes its layout between runs
        replica.site.edit(replica.site.archivable()[0], title="Новый заголовок")
        done = centrasia(*crawl_args(replica.root, archive, "--refresh", "36500"))
    assert done.returncode == 1
    assert "layout drift:" in done.stderr and "article pages not read" in done.stderr
    assert "time line" in done.stderr
    with Archive.open(archive, readonly=True) as store:
        assert store.table_count("articles") == 9  # nothing archived was lost
        assert store.table_count("article_revisions") == 0


@pytest.mark.slow
def test_usage_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not an archive")
    for args in (
        ["--archive", str(tmp_path / "notes.txt")],
        ["--archive", "/proc/no/such/archive.sqlite"],
        ["--root", "ftp://centrasia.org/"],
    ):
        done = centrasia("crawl", *args)
        assert done.returncode == 2, (args, done.stderr[-500:])
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    for command in ("reparse", "stats", "coverage", "export"):
        done = centrasia(command, "--archive", str(tmp_path / "notes.txt"))
        assert done.returncode == 2 and done.stderr.count("\n") == 1, command
    for args in (
        ["--since", "2026-02-30"],
        ["--refresh", "x"],
        ["--until", "2026-01-01"],
        ["-s", "NOVALUE"],
        ["--since", "2026-02-02", "--until", "2026-02-01"],
    ):
        done = centrasia("crawl", "--archive", str(tmp_path / "a.sqlite"), *args)
        assert done.returncode == 2, args
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "a.sqlite").exists()


@pytest.mark.slow
def test_a_held_lock_exits_75_at_once_touching_nothing(tmp_path: Path) -> None:
    archive = tmp_path / "a.sqlite"
    with serve(days=1, per_day=3) as replica:
        assert centrasia(*crawl_args(replica.root, archive)).returncode == 0
        count = len(runs(archive))  # reading first: closing a reader may checkpoint the WAL
        mtime = archive.stat().st_mtime_ns
        replica.reset_log()
        fd = os.open(f"{archive}.lock", os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            started = time.monotonic()
            done = centrasia(*crawl_args(replica.root, archive))
            elapsed = time.monotonic() - started
            reparse = centrasia("reparse", "--archive", str(archive))
            job = tmp_path / "job"  # a backfill's new JOBDIR is not left behind either
            backfill = centrasia(*crawl_args(replica.root, archive, "-s", f"JOBDIR={job}"))
        finally:
            os.close(fd)
        assert done.returncode == 75 and reparse.returncode == 75
        assert backfill.returncode == 75 and not job.exists()
        assert "locked" in done.stderr and done.stderr.count("\n") == 1
        assert replica.log == []
        assert archive.stat().st_mtime_ns == mtime
        assert not Path(f"{archive}-wal").exists() or Path(f"{archive}-wal").stat().st_size == 0
        assert len(runs(archive)) == count
        assert elapsed < 20


@pytest.mark.slow
def test_a_run_killed_with_sigkill_leaves_no_lock_behind(tmp_path: Path) -> None:
    archive = tmp_path / "a.sqlite"
    slow = Faults(slow_rate=1.0, slow_seconds=2.0)
    with serve(days=1, per_day=20, faults=slow) as replica:
        process = subprocess.Popen(
            [sys.executable, "-m", "centrasia_crawler.cli", *crawl_args(replica.root, archive)],
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not replica.log and time.monotonic() < deadline:
            time.sleep(0.05)
        assert replica.log, "the crawl never reached the replica"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        replica.faults = Faults()
        done = centrasia(*crawl_args(replica.root, archive))
    assert done.returncode == 0, done.stderr[-2000:]
    with Archive.open(archive, readonly=True) as store:
        assert store.table_count("articles") == 19
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.slow
def test_reparse_after_an_extractor_change_makes_revisions_and_loses_nothing(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "a.sqlite"
    with serve(days=1, per_day=8, markup="div") as replica:
        assert centrasia(*crawl_args(replica.root, archive)).returncode == 0
        site = replica.site
    broken = site.archivable()[:3]
    with Archive.open(archive) as store:  # as an older extractor with a bug had written it
        for st in broken:
            row = store.article(st)
            assert row is not None
            row["body"] = row["body"].split("\n\n")[0]
            store.conn.execute(
                "UPDATE articles SET body = ?, content_hash = ? WHERE st = ?",
                (row["body"], content_hash(row), st),
            )
    done = centrasia("reparse", "--archive", str(archive))
    assert done.returncode == 0, done.stderr
    assert "3 articles changed" in done.stdout and "0 not read" in done.stdout
    with Archive.open(archive, readonly=True) as store:
        assert store.table_count("articles") == len(site.archivable())
        for st in site.archivable():
            row = store.article(st)
            assert row is not None and row["body"] == site.article(st)["body"]
            assert row["revision"] == (2 if st in broken else 1)
        for st in broken:
            (old,) = store.revisions(st)
            assert old["body"] == site.article(st)["body"].split("\n\n")[0]
    again = centrasia("reparse", "--archive", str(archive))
    assert "0 articles changed" in again.stdout


@pytest.mark.slow
def test_a_backfill_logs_progress_at_a_steady_interval(tmp_path: Path) -> None:
    slow = Faults(slow_rate=0.3, slow_seconds=0.4)
    with serve(days=4, per_day=10, faults=slow) as replica:
        days = replica.site.day_list()
        done = centrasia(
            *crawl_args(replica.root, tmp_path / "a.sqlite", "--since", str(days[-1])),
            "-s",
            "CENTRASIA_PROGRESS_INTERVAL=0.3",
            "-s",
            "CONCURRENT_REQUESTS_PER_DOMAIN=2",
        )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if "progress:" in line]
    assert len(lines) >= 2
    assert any("/4 days" in line and "pages/min" in line for line in lines)
    assert any("left" in line for line in lines)


@pytest.mark.slow
def test_cron_environment_runs_with_plain_lines(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C"}
    with serve(days=1, per_day=4) as replica:
        done = centrasia(*crawl_args(replica.root, tmp_path / "a.sqlite"), env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "\x1b[" not in done.stdout + done.stderr  # no terminal control codes
    assert done.stdout.startswith("centrasia crawl: ok: 3 new")


@pytest.mark.parametrize(
    ("stats", "problems", "expected"),
    [
        ({"centrasia/index_headlines": 0}, [], "the index yielded no headlines"),
        (
            {"centrasia/index_headlines": 5, "centrasia/pages/article": 10},
            [
                {"kind": "extraction:article", "reason": "no time line", "url": f"u{i}"}
                for i in range(7)
            ],
            "layout drift: 7 of 10 article pages not read (more than 5%): no time line: "
            "u0, u1, u2, u3, u4 (+2 more)",
        ),
    ],
)
def test_verdicts(stats: dict[str, Any], problems: list[dict[str, Any]], expected: str) -> None:
    assert assess("finished", stats, problems, Thresholds()) == [expected]


def test_few_errors_are_tolerated() -> None:
    stats = {"downloader/request_count": 100, "centrasia/index_headlines": 5}
    problems = [{"kind": "fetch", "reason": "HTTP 404", "url": f"u{i}"} for i in range(3)]
    assert assess("finished", stats, problems, Thresholds(max_error_share=0.05)) == []
    assert assess("finished", stats, problems, Thresholds(max_error_share=0.01))


@pytest.mark.slow
def test_reparse_on_two_processes_writes_what_one_writes(tmp_path: Path) -> None:
    import shutil

    archive = tmp_path / "a.sqlite"
    with serve(days=2, per_day=40, markup="table") as replica:
        assert centrasia(*crawl_args(replica.root, archive)).returncode == 0
        sts = replica.site.archivable()
    with Archive.open(archive) as store:  # as an older extractor had written it
        for st in sts[:5]:
            row = store.article(st)
            assert row is not None
            row["title"] = row["title"] + " (старое)"
            store.conn.execute(
                "UPDATE articles SET title = ?, content_hash = ? WHERE st = ?",
                (row["title"], content_hash(row), st),
            )
        store.conn.execute("DELETE FROM articles WHERE st IN (?, ?)", sts[5:7])
    copies = {}
    for jobs in ("1", "2"):
        copy = tmp_path / f"jobs{jobs}.sqlite"
        shutil.copy(archive, copy)
        done = centrasia("reparse", "--archive", str(copy), "--jobs", jobs)
        assert done.returncode == 0, done.stderr
        assert "5 articles changed (new revisions), 2 new" in done.stdout, done.stdout
        assert done.stderr.splitlines()[-1].startswith("centrasia reparse: ")
        with Archive.open(copy, readonly=True) as store:
            columns = "st, title, body, source, published_at, revision, content_hash"
            copies[jobs] = (
                store.conn.execute(f"SELECT {columns} FROM articles ORDER BY st").fetchall(),
                store.conn.execute(
                    "SELECT st, title FROM article_revisions ORDER BY st"
                ).fetchall(),
                store.conn.execute("SELECT st, listed_on FROM listings ORDER BY st").fetchall(),
            )
    assert copies["1"] == copies["2"]
    assert len(copies["1"][1]) == 5


@pytest.mark.slow
def test_a_morphology_change_is_reported_and_left_to_an_upgrade(tmp_path: Path) -> None:
    archive = tmp_path / "a.sqlite"
    with serve(days=1, per_day=3) as replica:
        assert centrasia(*crawl_args(replica.root, archive)).returncode == 0
        with Archive.open(archive) as store:  # as a new dictionary release would find it
            store.conn.execute(
                "UPDATE archive_meta SET value = 'old/pymorphy3-dicts-ru 1.0'"
                " WHERE key = 'morph_version'"
            )
        replica.reset_log()
        done = centrasia(*crawl_args(replica.root, archive))
        assert replica.log == []
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "built with old/pymorphy3-dicts-ru 1.0" in done.stderr
    assert "run `centrasia upgrade`" in done.stderr
    conn = sqlite3.connect(archive)
    try:  # nothing was re-indexed behind the operator's back
        assert conn.execute(
            "SELECT value FROM archive_meta WHERE key = 'morph_version'"
        ).fetchone() == ("old/pymorphy3-dicts-ru 1.0",)
    finally:
        conn.close()


def test_the_crawl_log_handler_follows_scrapys_logging_settings(tmp_path: Path) -> None:
    """Built from the documented settings, as `scrapy crawl` builds its own."""
    import logging

    from centrasia_crawler.jobs import log_handler, project_settings

    log_file = tmp_path / "crawl.log"
    to_file = log_handler(
        project_settings(
            {
                "LOG_FILE": str(log_file),
                "LOG_LEVEL": "WARNING",
                "LOG_FORMAT": "%(levelname)s|%(name)s|%(message)s",
                "LOG_SHORT_NAMES": "True",
            }
        )
    )
    try:
        assert isinstance(to_file, logging.FileHandler) and to_file.level == logging.WARNING
        for name, level in (("scrapy.core.engine", logging.ERROR), ("x", logging.INFO)):
            record = logging.LogRecord(name, level, __file__, 1, "Ошибка %s", ("a",), None)
            if to_file.filter(record) and record.levelno >= to_file.level:
                to_file.handle(record)
    finally:
        to_file.close()
    assert log_file.read_text(encoding="utf-8") == "ERROR|scrapy|Ошибка a\n"
    to_stderr = log_handler(project_settings({}))
    assert type(to_stderr) is logging.StreamHandler and to_stderr.level == logging.INFO
    assert isinstance(log_handler(project_settings({"LOG_ENABLED": "False"})), logging.NullHandler)
