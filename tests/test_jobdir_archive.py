"""A JOBDIR belongs to one archive: restored from an older backup, or swapped for
another archive, the archive lacks what the JOBDIR says it fetched, and the job starts
afresh instead of calling a gap done."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from centrasia_crawler.jobdir import ARCHIVE_RECORD, Holdings, check_archive
from tests.crawling import backfill_args, centrasia
from tests.helpers import assert_archive_is_ground_truth, rows
from tests.replica.server import serve

pytestmark = pytest.mark.slow  # crawls of the replica


def restore(backup: Path, archive: Path) -> None:
    """The restore drill of docs/operations.md: the backup copied over the archive, no
    write-ahead log left beside it."""
    for leftover in (Path(f"{archive}-wal"), Path(f"{archive}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(backup, archive)


def test_a_restored_archive_with_a_finished_jobdir_fetches_the_gap_again(tmp_path: Path) -> None:
    archive, jobdir, backups = tmp_path / "a.sqlite", tmp_path / "job", tmp_path / "backups"
    backups.mkdir()
    with serve(days=4, per_day=10) as replica:
        site, days = replica.site, replica.site.day_list()
        args = backfill_args(replica, archive, jobdir)
        stopped = centrasia(*args, "-s", "CLOSESPIDER_PAGECOUNT=12")
        # A stop asked for is no failure: exit 0, and the JOBDIR keeps its place.
        assert stopped.returncode == 0, stopped.stderr[-2000:]
        assert "keeps its place (closespider_pagecount)" in stopped.stderr
        done = centrasia("backup", str(backups), "--archive", str(archive))
        assert done.returncode == 0, done.stderr
        (backup,) = backups.iterdir()
        finished = centrasia(*args)
        assert finished.returncode == 0, finished.stderr[-3000:]
        everything = site.in_range(days[-1], days[0])
        assert_archive_is_ground_truth(archive, site, everything)

        restore(backup, archive)
        kept = [r["st"] for r in rows(archive, "SELECT st FROM articles")]
        assert 0 < len(kept) < len(everything)  # the gap: what came after the backup
        replica.reset_log()
        again = centrasia(*args)
        assert again.returncode == 0, again.stderr[-3000:]
        assert "lacks what it says it fetched" in again.stderr
        assert "starting it afresh" in again.stderr
        assert "resumed the job" not in again.stdout
        fetched = {r.path for r in replica.log}
        # The gap's articles were fetched again, and none the restored archive kept.
        assert any(f"st={st}" in path for path in fetched for st in set(everything) - set(kept))
        assert not any(path.endswith(f"st={st}") for path in fetched for st in kept)
    assert_archive_is_ground_truth(archive, site, everything)


def test_a_jobdir_against_another_archive_starts_afresh(tmp_path: Path) -> None:
    archive, jobdir = tmp_path / "a.sqlite", tmp_path / "job"
    with serve(days=2, per_day=6) as replica:
        site, days = replica.site, replica.site.day_list()
        args = backfill_args(replica, archive, jobdir)
        assert centrasia(*args).returncode == 0
        other = tmp_path / "b.sqlite"
        again = centrasia(*backfill_args(replica, other, jobdir))
        assert again.returncode == 0, again.stderr[-3000:]
        assert f"its requests went into another archive than {other}" in again.stderr
        assert again.stderr.count("starting it afresh") == 1
    assert_archive_is_ground_truth(other, site, site.in_range(days[-1], days[0]))


def test_check_archive_leaves_a_jobdir_of_this_archive_as_it_is(tmp_path: Path) -> None:
    """Without crawling: the record, and the three ways a JOBDIR meets an archive."""
    job = tmp_path / "job"
    job.mkdir()
    (job / "requests.seen").write_text("fingerprint\n")
    (job / ARCHIVE_RECORD).write_text('{"archive_id": "A", "articles": 10, "listings": 12}')
    assert check_archive(job, "a.sqlite", Holdings("A", 10, 12)) is None
    assert check_archive(job, "a.sqlite", Holdings("A", 25, 30)) is None  # it grew
    assert (job / "requests.seen").exists()
    note = check_archive(job, "a.sqlite", Holdings("A", 9, 12))
    assert note is not None and "lacks what it says it fetched (9 of 10 articles" in note
    assert not (job / "requests.seen").exists() and not (job / ARCHIVE_RECORD).exists()
