"""Running the real `scrapy crawl centrasia` against a replica, for the end-to-end tests.

Each crawl is a subprocess (Twisted's reactor cannot be restarted in one process),
pointed at the replica on 127.0.0.1 with politeness off.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.replica.server import Replica

PROJECT = Path(__file__).resolve().parent.parent

FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "DOWNLOAD_TIMEOUT": "10",
    "RETRY_TIMES": "4",
    "LOG_LEVEL": "INFO",
}


def crawl(
    replica: Replica,
    archive: Path,
    *spider_args: str,
    timeout: float = 300,
    feed: Path | None = None,
    status: int | None = 0,
    **settings: str,
) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl centrasia -a ARG ... [-O FEED]`` into ``archive``; raises if it does
    not finish, or (unless ``status`` is None) exits otherwise than ``status`` or with
    a traceback."""
    command = [sys.executable, "-m", "scrapy", "crawl", "centrasia"]
    if feed is not None:
        command += ["-O", str(feed)]
    for arg in spider_args:
        command += ["-a", arg]
    merged = {
        **FAST,
        "CENTRASIA_ROOT_URL": replica.root,
        "CENTRASIA_ARCHIVE_PATH": str(archive),
        **settings,
    }
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    done = subprocess.run(
        command, cwd=PROJECT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if status is not None:
        assert done.returncode == status, done.stderr[-3000:]
        assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done


#: Commands that run in a child process even from ``centrasia()``: a crawl starts
#: Twisted's reactor, which cannot be restarted in one process; reparse forks its
#: workers only in a process with no other thread (a test run has some: a replica's
#: server, pytest-xdist's), so its tests of ``--jobs`` need a process of their own.
IN_A_CHILD = frozenset({"crawl", "reparse"})


def centrasia(
    *args: str, timeout: float = 300, env: dict[str, str] | None = None, stdin: bytes = b""
) -> subprocess.CompletedProcess[str]:
    """The ``centrasia`` command as a user (or cron: empty standard input) runs it: in
    this process through its ``main`` (click's runner swaps stdin, stdout and stderr),
    so a test does not pay an interpreter's and pymorphy3's start-up per command. A
    crawl, or a call that gives a whole environment, runs in a child
    (``centrasia_process``)."""
    if env is not None or (args and args[0] in IN_A_CHILD):
        assert not stdin, "a child process gets no standard input"
        return centrasia_process(*args, timeout=timeout, env=env)
    from click.testing import CliRunner

    from centrasia_crawler.cli import main

    with CliRunner().isolation(input=stdin) as streams:
        try:
            status = main(list(args))
        except SystemExit as exc:  # as the interpreter would exit
            status = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
        err = streams[1]  # None with click 8.1 when the streams are mixed
        stdout, stderr = streams[0].getvalue(), err.getvalue() if err is not None else b""
    return subprocess.CompletedProcess(
        ["centrasia", *args], status, stdout.decode(), stderr.decode(errors="replace")
    )


def centrasia_process(
    *args: str, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m centrasia_crawler.cli ARGS`` in a child process, no standard input: for
    the tests of what only a process shows (exit status of the interpreter, signals,
    what a command imports) and for crawls."""
    return subprocess.run(
        [sys.executable, "-m", "centrasia_crawler.cli", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env=env,
        check=False,
    )


def backfill_args(replica: Replica, archive: Path, jobdir: Path, *extra: str) -> list[str]:
    days = replica.site.day_list()
    args = ["crawl", "--root", replica.root, "--archive", str(archive)]
    args += ["--since", str(days[-1]), "--until", str(days[0]), "-s", f"JOBDIR={jobdir}"]
    for name, value in (FAST | {"CONCURRENT_REQUESTS": "2", "CENTRASIA_BATCH_SIZE": "10"}).items():
        args += ["-s", f"{name}={value}"]
    return [*args, *extra]
