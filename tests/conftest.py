"""Shared fixtures: the specimen pages and their expected data."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SPECIMEN = FIXTURES / "specimen"


def specimen_pages() -> list[Path]:
    """Every saved page that has an expected JSON beside it."""
    return sorted(
        p
        for p in SPECIMEN.iterdir()
        if p.is_file() and (SPECIMEN / "expected" / f"{p.stem}.json").exists()
    )


def expected(name: str) -> dict[str, Any]:
    return json.loads((SPECIMEN / "expected" / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def url_for(page: Path) -> str:
    """The address a specimen page was fetched from."""
    if page.stem.startswith("article_"):
        return f"https://centrasia.org/newsA.php?st={page.stem.removeprefix('article_')}"
    return "https://centrasia.org/"


@pytest.fixture(params=specimen_pages(), ids=lambda p: p.name)
def specimen_page(request: pytest.FixtureRequest) -> Path:
    return request.param  # type: ignore[no-any-return]


# --- the fast lane ----------------------------------------------------------------

#: Module fixtures that build their archive by crawling the replica (``scrapy crawl`` in
#: a child process, several times): every test that uses one is ``slow``, so
#: ``make test-fast`` skips it and ``make test`` runs it.
CRAWLING_FIXTURES = frozenset({"built", "world"})


@pytest.hookimpl(tryfirst=True)  # before ``-m "not slow"`` deselects by mark
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if CRAWLING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


# --- no test leaves a process running ------------------------------------------------

#: prctl(2): orphaned descendants are re-parented to this process, not to init, so a
#: server a test's child left behind still shows up as a child of the test run.
PR_SET_CHILD_SUBREAPER = 36


def pytest_configure(config: pytest.Config) -> None:
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Reaps the orphans this run adopted that have exited (a browser's helpers): left
    unreaped, they would pass as zombies to an init that may not reap them."""
    if sys.platform != "linux":
        return
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:  # no children left
            return
        if pid == 0:  # children left, none exited
            return


def running_children() -> dict[int, str]:
    """This process's children that still run (not zombies): pid -> command line."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            command = Path(entry.path, "cmdline").read_bytes()
        except OSError:
            continue
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        if int(ppid) == os.getpid() and state != "Z":
            found[int(entry.name)] = command.replace(b"\0", b" ").decode(errors="replace")
    return found


@pytest.fixture(autouse=True)
def no_process_left_behind() -> Iterator[None]:
    """Fails a test after which a process it started (or one of theirs) still runs;
    the process is killed so the next tests start clean."""
    if sys.platform != "linux":
        yield
        return
    before = set(running_children())
    yield
    deadline = time.monotonic() + 5  # time for a child that was told to stop
    while True:
        left = {pid: c for pid, c in running_children().items() if pid not in before}
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if left:
        pytest.fail("the test left processes running: " + "; ".join(left.values()), False)
