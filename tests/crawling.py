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
    **settings: str,
) -> subprocess.CompletedProcess[str]:
    """``scrapy crawl centrasia -a ARG ... [-O FEED]`` into ``archive``; raises if it does
    not finish."""
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
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done


def centrasia(
    *args: str, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The ``centrasia`` command as a user (or cron: no standard input) runs it."""
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
