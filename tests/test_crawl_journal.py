"""Under systemd's journal, `centrasia crawl`'s own lines carry their priority: a
failed run's `failed:` lines are errors (<3>), like every other line of its stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crawling import PROJECT
from tests.helpers import free_port


@pytest.mark.slow  # a crawl's process
def test_a_failed_crawls_lines_are_errors_in_the_journal(tmp_path: Path) -> None:
    root = f"http://127.0.0.1:{free_port()}/"  # nothing listens: the index is not read
    command = [sys.executable, "-m", "centrasia_crawler.cli", "crawl", "--root", root]
    command += ["--archive", str(tmp_path / "archive.sqlite"), "-s", "RETRY_TIMES=0"]
    read, write = os.pipe()
    status = os.fstat(write)
    env = {**os.environ, "JOURNAL_STREAM": f"{status.st_dev}:{status.st_ino}"}
    try:
        process = subprocess.Popen(
            command,
            cwd=PROJECT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=write,
            env=env,
        )
    finally:
        os.close(write)
    with os.fdopen(read) as stderr:
        said = stderr.read()
    assert process.wait(timeout=120) == 1, said
    lines = said.splitlines()
    failed = [line for line in lines if "centrasia crawl: failed:" in line]
    assert "<3>centrasia crawl: failed: the index was not read (see the failed requests)" in failed
    assert all(line.startswith("<3>centrasia crawl: failed: ") for line in failed), failed
    # Every line has a priority in front (the log's lines too): none reads as info.
    assert all(line[:3] in ("<2>", "<3>", "<4>", "<5>", "<6>", "<7>") for line in lines), said
