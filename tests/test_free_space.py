"""The crawl keeps CENTRASIA_MIN_FREE_BYTES free beside the archive: below that floor
it does not start (one line, exit 2), and a crawl that crosses it on a small tmpfs
stops, failed, in one line naming the free space, with what it stored readable."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from centrasia_crawler.settings import CENTRASIA_MIN_FREE_BYTES
from tests.crawling import FAST, PROJECT, centrasia
from tests.replica.server import serve


def crawl_args(root: str, archive: Path, *extra: str) -> list[str]:
    args = ["crawl", "--root", root, "--archive", str(archive), *extra]
    for name, value in FAST.items():
        if name != "LOG_LEVEL":
            args += ["-s", f"{name}={value}"]
    return args


def test_the_default_floor_is_the_disk_alerts_threshold() -> None:
    rules = (PROJECT / "deploy/prometheus/centrasia.rules.yml").read_text()
    found = re.findall(r"centrasia_archive_free_bytes < ([0-9.e]+)", rules)
    assert [float(value) for value in found] == [CENTRASIA_MIN_FREE_BYTES]


@pytest.mark.slow
def test_a_crawl_below_the_floor_does_not_start(tmp_path: Path) -> None:
    archive = tmp_path / "archive.sqlite"
    free = shutil.disk_usage(tmp_path).free
    with serve(days=1, per_day=5) as replica:
        done = centrasia(
            *crawl_args(replica.root, archive, "-s", f"CENTRASIA_MIN_FREE_BYTES={free * 2}")
        )
        fetched = list(replica.log)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("centrasia crawl: only ") and "free beside" in lines[0]
    assert "CENTRASIA_MIN_FREE_BYTES" in lines[0] and lines[0].endswith("not starting")
    assert done.stdout == ""
    assert fetched == []  # nothing asked of the site
    assert not archive.exists()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 20 MB tmpfs, unmounted afterwards; skipped where mounting is not allowed."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        why = mounted.stderr.strip() or "not allowed"
        pytest.skip(f"mounting a tmpfs is not permitted here: {why}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)


@pytest.mark.slow
def test_a_crawl_crossing_the_floor_stops_failed_in_one_line(small_disk: Path) -> None:
    archive = small_disk / "archive.sqlite"
    # The floor leaves room for what the crawl writes after it stops (its last batches,
    # and SQLite's checkpoint of its write-ahead log, which may have grown past its
    # autocheckpoint size while a reader held a snapshot): 1.5 MB above it are crossed.
    floor = 14_000_000
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * (shutil.disk_usage(small_disk).free - floor - 1_500_000))
    with serve(days=10, per_day=50) as replica:
        done = centrasia(
            *crawl_args(
                replica.root,
                archive,
                "-s",
                f"CENTRASIA_MIN_FREE_BYTES={floor}",
                "-s",
                "CENTRASIA_BATCH_SIZE=20",
            ),
            timeout=120,
        )
        archivable = len(replica.site.archivable())
    free = shutil.disk_usage(small_disk).free
    assert free < floor, "the floor was not crossed"
    assert free > 0 and "disk full" not in done.stderr + done.stdout, done.stderr[-3000:]
    assert done.returncode == 1, done.stderr
    failed = [line for line in done.stderr.splitlines() if "failed:" in line]
    assert len(failed) == 1, done.stderr
    assert failed[0].startswith(f"centrasia crawl: failed: free space beside {archive} fell to")
    assert "below CENTRASIA_MIN_FREE_BYTES (14 MB)" in failed[0]
    assert "Traceback" not in done.stderr
    db = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA quick_check").fetchone() == ("ok",)
        stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        outcome = db.execute("SELECT outcome FROM crawl_runs ORDER BY id DESC").fetchone()[0]
    finally:
        db.close()
    assert outcome == "failed"
    assert 0 < stored < archivable  # stopped before the site's end
