"""Under CI (``CI=1``, as ``.ci/run`` sets it), a test that skips fails the session
unless ``tests/skips.toml`` allows it: a skip nobody reads is a check that cannot fail.
Outside CI, skips are reported as pytest always reports them.

``tests/skips.toml`` holds ``[[allow]]`` tables, each with ``why`` and ``test`` (a node
id; its parametrized cases too; a module's path for a module skipped whole), ``reason``
(a regular expression searched in the skip's reason), or both (both must match).

With ``CI_SUMMARY=FILE`` (in CI or not), the run writes one line to FILE: the Python version,
how many passed and failed, and the skipped tests by name (``.ci/run`` prints it).

``tests/conftest.py`` imports the hook; a pytester run loads the module with
``-p tests.skipcheck``.
"""

from __future__ import annotations

import os
import platform
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

#: Where the list is, from the rootdir.
LIST = Path("tests") / "skips.toml"


@dataclass(frozen=True)
class Allowed:
    why: str
    test: str | None = None
    reason: re.Pattern[str] | None = None

    def allows(self, nodeid: str, reason: str) -> bool:
        if self.test is not None and nodeid != self.test and nodeid.split("[")[0] != self.test:
            return False
        return self.reason is None or self.reason.search(reason) is not None


def read_list(path: Path) -> list[Allowed]:
    """The allowed skips; a :class:`pytest.UsageError` naming the entry when the file is
    not as documented."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise pytest.UsageError(f"{path}: cannot read it: {exc}") from exc
    allowed = []
    for n, entry in enumerate(data.get("allow", []), 1):
        where = f"{path}: [[allow]] number {n}"
        unknown = set(entry) - {"why", "test", "reason"}
        if unknown or not isinstance(entry.get("why"), str) or not entry["why"].strip():
            raise pytest.UsageError(f"{where}: needs a 'why', and 'test' or 'reason' only")
        if "test" not in entry and "reason" not in entry:
            raise pytest.UsageError(f"{where}: needs a 'test' (node id) or a 'reason' pattern")
        try:
            pattern = re.compile(entry["reason"]) if "reason" in entry else None
        except re.error as exc:
            raise pytest.UsageError(f"{where}: 'reason' is no regular expression: {exc}") from exc
        allowed.append(Allowed(entry["why"], entry.get("test"), pattern))
    return allowed


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr: Any = report.longrepr
    text = str(longrepr[2]) if isinstance(longrepr, tuple | list) else str(longrepr)
    return text.removeprefix("Skipped: ")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Registers a :class:`SkipCheck` for this session, in pytest-xdist's controller (which
    sees every worker's reports) or a run without workers."""
    config = session.config
    if hasattr(config, "workerinput"):
        return
    if not (_in_ci() or os.environ.get("CI_SUMMARY")):
        return
    config.pluginmanager.register(SkipCheck(config), "centrasia-skipcheck")


class SkipCheck:
    """One session's outcomes, and the check of its skips against the list."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.ci = _in_ci()
        # A broken list stops the run before any test.
        self.allowed = read_list(config.rootpath / LIST) if self.ci else []
        self.passed = 0
        self.failed = 0
        self.skipped: dict[str, str] = {}  # node id -> reason
        self.unexpected: dict[str, str] = {}

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A whole module skipped as it is collected (``pytest.importorskip`` at its
        top): its node id is the module's."""
        if report.skipped:
            self.skipped[report.nodeid] = _reason(report)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and not hasattr(report, "wasxfail"):
            self.skipped[report.nodeid] = _reason(report)
        elif report.when == "call" and report.passed:
            self.passed += 1
        elif report.failed:
            self.failed += 1

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.ci:
            for nodeid, reason in self.skipped.items():
                if not any(a.allows(nodeid, reason) for a in self.allowed):
                    self.unexpected[nodeid] = reason
            if self.unexpected and session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        summary = os.environ.get("CI_SUMMARY")
        if summary:
            skipped = ", ".join(self.skipped) or "none"
            line = (
                f"Python {platform.python_version()}, {self.passed} passed,"
                f" {self.failed} failed, {len(self.skipped)} skipped ({skipped})"
            )
            Path(summary).write_text(line + "\n", encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.unexpected:
            return
        terminalreporter.section("skips not allowed under CI", sep="=", red=True)
        for nodeid, reason in self.unexpected.items():
            terminalreporter.line(f"{nodeid}: {reason}", red=True)
        terminalreporter.line(
            f"{len(self.unexpected)} unexpected skip(s) fail this CI run: make the test run,"
            f" or allow it in {LIST} with why"
        )
