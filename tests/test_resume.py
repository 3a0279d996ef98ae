"""JOBDIR backfills as an operator runs them for years: stopped any way and run again,
run again once finished, a JOBDIR that cannot be resumed, the year loop of docs/operations.md, an
empty or future range, and what a killed run leaves in `centrasia runs`.

Every scenario ends with `centrasia crawl`'s exit status and the archive compared
with the replica's ground truth."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from centrasia_crawler.lock import ArchiveLock
from tests.crawling import FAST, PROJECT, backfill_args, centrasia
from tests.helpers import assert_archive_is_ground_truth, rows
from tests.replica.server import Faults, Replica, serve

pytestmark = pytest.mark.slow  # crawls of the replica, stopped and killed

SLOW = Faults(latency=0.03)


def stop_after(replica: Replica, args: list[str], requests: int, signum: int) -> int:
    """Start ``centrasia ARGS``, send ``signum`` once the replica has answered
    ``requests`` more requests; the exit status (negative: the signal that ended it)."""
    target = len(replica.log) + requests
    process = subprocess.Popen(
        [sys.executable, "-m", "centrasia_crawler.cli", *args],
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while len(replica.log) < target and process.poll() is None:
            time.sleep(0.01)
        assert process.poll() is None, "the crawl ended before it could be stopped"
        process.send_signal(signum)
        return process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def fetched_once(replica: Replica) -> bool:
    fetched = Counter(r.path for r in replica.log if r.path.startswith("/newsA.php"))
    return set(fetched.values()) == {1}


def test_a_backfill_stopped_with_sigterm_resumes_and_exits_0(tmp_path: Path) -> None:
    archive, jobdir = tmp_path / "a.sqlite", tmp_path / "job"
    with serve(days=5, per_day=12, faults=SLOW) as replica:
        site, days = replica.site, replica.site.day_list()
        args = backfill_args(replica, archive, jobdir)
        # It did not finish, and was asked to stop: 143 (systemd takes it as a success).
        assert stop_after(replica, args, 25, signal.SIGTERM) == 143
        first = rows(archive, "SELECT outcome, finish_reason FROM crawl_runs")
        assert first == [{"outcome": "failed", "finish_reason": "shutdown"}]
        assert not (jobdir / "centrasia.running").exists()  # stopped cleanly
        done = centrasia(*args)
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.startswith("centrasia crawl: ok:")
        assert fetched_once(replica), "an article was fetched twice"
    assert_archive_is_ground_truth(archive, site, site.in_range(days[-1], days[0]))


def test_a_backfill_killed_resumes_and_exits_0_and_the_kill_shows_what_it_wrote(
    tmp_path: Path,
) -> None:
    archive, jobdir = tmp_path / "a.sqlite", tmp_path / "job"
    with serve(days=5, per_day=12, faults=SLOW) as replica:
        site, days = replica.site, replica.site.day_list()
        args = backfill_args(replica, archive, jobdir)
        assert stop_after(replica, args, 40, signal.SIGKILL) == -signal.SIGKILL
        # The killed run's counters were written with each batch: they are what it stored.
        (killed,) = json.loads(centrasia("runs", "--archive", str(archive), "--json").stdout)
        stored = rows(archive, "SELECT count(*) AS n FROM articles")[0]["n"]
        assert killed["outcome"] == "killed" and killed["finished_at"] is None
        assert killed["new_articles"] == stored > 0
        assert killed["requests"] > 0
        done = centrasia(*args)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "was left by a run that was killed" in done.stderr
    assert_archive_is_ground_truth(archive, site, site.in_range(days[-1], days[0]))
    outcomes = json.loads(centrasia("runs", "--archive", str(archive), "--json").stdout)
    assert [r["outcome"] for r in outcomes] == ["ok", "killed"]


@pytest.mark.parametrize("locked_between", [False, True], ids=["resumed", "refused-then-resumed"])
def test_a_backfill_over_a_time_limit_resumes_and_exits_0(
    tmp_path: Path, locked_between: bool
) -> None:
    """Scrapy sends a JOBDIR's queued requests alongside ``start()``: fetched before the
    archive's run opened, their items were dropped (2-3 articles lost one run in four),
    and a run refused by the lock fetched them and left them out of the queue for good.
    ``refused-then-resumed``: another run holds the lock when the job resumes first."""
    archive, jobdir = tmp_path / "a.sqlite", tmp_path / "job"
    with serve(days=4, per_day=12) as replica:
        site, days = replica.site, replica.site.day_list()
        args = backfill_args(replica, archive, jobdir)
        stopped = centrasia(*args, "-s", "CLOSESPIDER_PAGECOUNT=20")
        assert stopped.returncode == 0  # stopped as asked: no failure
        assert stopped.stdout.startswith("centrasia crawl: stopped:"), stopped.stdout
        assert "failed" not in stopped.stderr
        assert f"the job in {jobdir} keeps its place (closespider_pagecount): run the same" in (
            stopped.stderr
        )
        assert "resumed" not in stopped.stdout
        if locked_between:
            before = len(replica.log)
            with ArchiveLock(str(archive)):
                refused = centrasia(*args)
            assert refused.returncode == 75  # EX_TEMPFAIL: nothing was touched
            assert "is locked by" in refused.stderr, refused.stderr[-2000:]
            assert [r.path for r in replica.log[before:]] == []  # not even robots.txt
        done = centrasia(*args)
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.strip().endswith(f"; resumed the job in {jobdir}")
        assert "keeps its place" not in done.stderr
        assert fetched_once(replica)
    assert_archive_is_ground_truth(archive, site, site.in_range(days[-1], days[0]))


def test_a_finished_backfill_run_again_exits_0_with_at_most_3_requests(tmp_path: Path) -> None:
    archive, jobdir = tmp_path / "a.sqlite", tmp_path / "job"
    with serve(days=3, per_day=10) as replica:
        site, days = replica.site, replica.site.day_list()
        args = backfill_args(replica, archive, jobdir)
        assert centrasia(*args).returncode == 0
        replica.reset_log()
        again = centrasia(*args)
        assert again.returncode == 0, again.stderr[-3000:]
        assert len(replica.log) <= 3, [r.path for r in replica.log]
        assert again.stdout.startswith("centrasia crawl: ok: 0 new")
    assert_archive_is_ground_truth(archive, site, site.in_range(days[-1], days[0]))


def test_the_readme_year_loop_runs_to_the_end_through_an_interruption(tmp_path: Path) -> None:
    archive = tmp_path / "a.sqlite"
    # Six days across a new year: 2025-12-29 .. 2026-01-03.
    with serve(days=6, per_day=10, faults=SLOW, last_day=dt.date(2026, 1, 3)) as replica:
        site = replica.site
        settings = " ".join(f"-s {k}={v}" for k, v in (FAST | {"CONCURRENT_REQUESTS": "2"}).items())
        loop = (
            "for year in 2025 2026; do\n"
            f"  {sys.executable} -m centrasia_crawler.cli crawl --root {replica.root}"
            f" --archive {archive} --since $year-01-01 --until $year-12-31"
            f" -s JOBDIR={tmp_path}/job-$year {settings} || exit 1\n"
            "done\n"
        )
        # The loop is stopped (systemd, a reboot) half-way through its first year.
        target = len(replica.log) + 20
        shell = subprocess.Popen(
            ["bash", "-c", loop],
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            while len(replica.log) < target and shell.poll() is None:
                time.sleep(0.01)
            assert shell.poll() is None
            os.killpg(shell.pid, signal.SIGKILL)
        finally:
            shell.wait(timeout=60)
        done = subprocess.run(
            ["bash", "-c", loop], cwd=PROJECT, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stdout.count("centrasia crawl: ok:") == 2
        again = subprocess.run(
            ["bash", "-c", loop], cwd=PROJECT, capture_output=True, text=True, timeout=300
        )
        assert again.returncode == 0, again.stderr[-3000:]
    assert_archive_is_ground_truth(archive, site, site.archivable())


def test_a_jobdir_that_cannot_be_resumed_is_named_in_one_line(tmp_path: Path) -> None:
    archive, jobdir = tmp_path / "a.sqlite", tmp_path / "job"
    with serve(days=3, per_day=6) as replica:
        days = replica.site.day_list()
        assert centrasia(*backfill_args(replica, archive, jobdir)).returncode == 0
        replica.reset_log()
        # The same JOBDIR for another range.
        other = backfill_args(replica, archive, jobdir, "--since", str(days[1]))
        done = centrasia(*other)
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert f"JOBDIR {jobdir} holds a crawl of since={days[-1]}" in done.stderr
        assert f"rm -r {jobdir}" in done.stderr
        # Scrapy's state unreadable (a disk error, a hand edit).
        (jobdir / "spider.state").write_bytes(b"\x00 not a pickle")
        done = centrasia(*backfill_args(replica, archive, jobdir))
        assert done.returncode == 1 and done.stderr.count("\n") == 1
        assert "spider.state is unreadable" in done.stderr and f"rm -r {jobdir}" in done.stderr
        assert replica.log == []  # nothing was fetched
        # What it says to do works.
        shutil.rmtree(jobdir)
        # A JOBDIR another run is using (whatever its archive): 75, try again later.
        jobdir.mkdir()
        fd = os.open(jobdir / "centrasia.running", os.O_RDWR | os.O_CREAT)
        try:
            os.write(fd, b"pid 12345\n")
            fcntl.flock(fd, fcntl.LOCK_EX)
            done = centrasia(*backfill_args(replica, tmp_path / "other.sqlite", jobdir))
        finally:
            os.close(fd)
        assert done.returncode == 75 and "is in use by pid 12345" in done.stderr
        assert done.stderr.count("\n") == 1
        assert centrasia(*backfill_args(replica, archive, jobdir)).returncode == 0


@pytest.mark.parametrize(
    ("since", "until", "status", "message"),
    [
        ("2026-03-01", None, 1, "no day of the site's calendar lies in the range 2026-03-01"),
        ("1990-01-01", "1990-12-31", 1, "(the calendar runs from 2026-02-17 to 2026-02-19)"),
        ("2062-01-01", None, 2, "--since 2062-01-01 is in the future"),
    ],
)
def test_an_empty_range_fails_and_a_future_one_is_a_usage_error(
    tmp_path: Path, since: str, until: str | None, status: int, message: str
) -> None:
    with serve(days=3, per_day=4) as replica:
        args = ["crawl", "--root", replica.root, "--archive", str(tmp_path / "a.sqlite")]
        args += ["--since", since] + (["--until", until] if until else [])
        done = centrasia(*args, *[a for k, v in FAST.items() for a in ("-s", f"{k}={v}")])
    assert done.returncode == status, done.stderr[-2000:]
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_crawl_is_quiet_unless_asked(tmp_path: Path) -> None:
    quiet = {k: v for k, v in FAST.items() if k != "LOG_LEVEL"}
    settings = [a for k, v in quiet.items() for a in ("-s", f"{k}={v}")]
    with serve(days=1, per_day=4, faults=Faults(error_rate=0.2, seed=3)) as replica:
        args = ["crawl", "--root", replica.root, "--archive", str(tmp_path / "a.sqlite")]
        done = centrasia(*args, *settings)
        verbose = centrasia(*args, *settings, "--verbose")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and "retries" in done.stdout  # the 503s were retried
    assert "Spider opened" not in done.stderr and "INFO" not in done.stderr
    assert verbose.returncode == 0 and "Spider opened" in verbose.stderr


def test_runs_and_metrics_during_a_crawl_and_after_it(tmp_path: Path) -> None:
    archive, metrics = tmp_path / "a.sqlite", tmp_path / "m.prom"

    def values() -> dict[str, float]:
        done = centrasia("runs", "--archive", str(archive), "--metrics", str(metrics))
        assert done.returncode == 0, done.stderr
        return {
            line.split()[0]: float(line.split()[1])
            for line in metrics.read_text().splitlines()
            if not line.startswith("#")
        }

    # Slow (one request at a time, 0.5 s each): still running while it is looked at.
    with serve(days=3, per_day=15, faults=Faults(latency=0.5)) as replica:
        days = replica.site.day_list()
        first = ["crawl", "--root", replica.root, "--archive", str(archive)]
        settings = [a for k, v in FAST.items() for a in ("-s", f"{k}={v}")]
        assert centrasia(*first, "--since", str(days[0]), *settings).returncode == 0
        second = [*first, "--since", str(days[-1]), *settings, "-s", "CONCURRENT_REQUESTS=1"]
        process = subprocess.Popen(
            [sys.executable, "-m", "centrasia_crawler.cli", *second],
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            target = len(replica.log) + 5
            while len(replica.log) < target and process.poll() is None:
                time.sleep(0.01)
            during = values()
            found = json.loads(centrasia("runs", "--archive", str(archive), "--json").stdout)
        finally:
            assert process.wait(timeout=300) == 0
    assert [r["outcome"] for r in found] == ["running", "ok"]
    assert during["centrasia_run_in_progress"] == 1
    assert during["centrasia_last_run_ok"] == 1  # a backfill going on is no failure
    after = values()
    assert after["centrasia_run_in_progress"] == 0 and after["centrasia_last_run_ok"] == 1
    assert after["centrasia_last_run_new_articles"] > 0
    assert (
        after["centrasia_last_run_timestamp_seconds"]
        > during["centrasia_last_run_timestamp_seconds"]
    )
