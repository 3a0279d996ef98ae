"""pytest's hooks and shared fixtures: the specimen pages, the fast lane's marks, no
process left behind, Datasette's probes closed. What tests import lives in
tests/helpers.py."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import signal
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import running_children, specimen_pages

# Under CI=1 a skip that tests/skips.toml does not allow fails the session.
from tests.skipcheck import pytest_sessionstart  # noqa: F401 (a hook)


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


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """The modules, the morphology's dictionaries and the tests' data are loaded now and
    stay: the collector stops walking them, and runs its young generation less often
    (the run had spent some 7% of its time collecting). A cycle a test leaves is still
    collected, at most later."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


# --- no test leaves a process running ------------------------------------------------

#: prctl(2): orphaned descendants are re-parented to this process, not to init, so a
#: server a test's child left behind still shows up as a child of the test run.
PR_SET_CHILD_SUBREAPER = 36


def pytest_configure(config: pytest.Config) -> None:
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    datasette_closes_its_probes()


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
        time.sleep(0.01)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if left:
        pytest.fail("the test left processes running: " + "; ".join(left.values()), False)


# --- Datasette's connections closed ---------------------------------------------------


def datasette_closes_its_probes() -> None:
    """Datasette 0.65 opens an in-memory connection to ask SQLite's version and whether it
    has JSON (at import, and for each table page's facets) and never closes it; Python
    3.13 warns of each. Its two probes are replaced by ones that close their connection,
    as Datasette's own fix does (simonw/datasette#2615, not in a 0.65 release). Run
    before anything imports datasette.filters or datasette.facets, which bind the probe."""
    try:
        import datasette.utils
        import datasette.utils.sqlite
    except ImportError:
        return
    original = datasette.utils.detect_json1
    if getattr(original, "closes_its_connection", False):
        return

    def detect_json1(conn: sqlite3.Connection | None = None) -> bool:
        if conn is not None:
            return bool(original(conn))
        with contextlib.closing(sqlite3.connect(":memory:")) as own:
            return bool(original(own))

    def sqlite_version() -> tuple[int, ...]:
        with contextlib.closing(sqlite3.connect(":memory:")) as conn:
            version = conn.execute("select sqlite_version()").fetchone()[0]
        return tuple(int(part) for part in version.split("."))

    detect_json1.closes_its_connection = True  # type: ignore[attr-defined]
    datasette.utils.detect_json1 = detect_json1
    datasette.utils.sqlite._sqlite_version = sqlite_version
    for name in ("datasette.filters", "datasette.facets"):
        if name in sys.modules:
            sys.modules[name].detect_json1 = detect_json1  # type: ignore[attr-defined]
