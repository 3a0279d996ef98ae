"""Lines for systemd's journal: their priority in front (``<3>`` an error, ``<4>`` a
warning, ...), as sd-daemon(3) reads standard error, and no timestamp of their own (the
journal keeps its own), when standard error is the journal's stream: systemd sets
``JOURNAL_STREAM`` to its device and inode (systemd.exec(5)). Anywhere else, lines are
as they were."""

from __future__ import annotations

import logging
import os
import sys
from typing import Final, TextIO

#: syslog's priorities by logging's levels (sd-daemon(3): SD_ERR is <3>, ...).
PRIORITIES: Final = (
    (logging.CRITICAL, 2),
    (logging.ERROR, 3),
    (logging.WARNING, 4),
    (logging.INFO, 6),
)
DEBUG_PRIORITY: Final = 7


def to_journal(stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (standard error) is the journal's stream."""
    expected = os.environ.get("JOURNAL_STREAM", "")
    if not expected:
        return False
    try:
        fileno = (stream or sys.stderr).fileno()
        status = os.fstat(fileno)
    except (OSError, ValueError, AttributeError):
        return False
    return expected == f"{status.st_dev}:{status.st_ino}"


def priority(level: int) -> int:
    """The syslog priority of a logging level.

    >>> priority(logging.ERROR), priority(logging.WARNING), priority(logging.DEBUG)
    (3, 4, 7)
    """
    for threshold, number in PRIORITIES:
        if level >= threshold:
            return number
    return DEBUG_PRIORITY


def prefixed(text: str, level: int) -> str:
    """Every line of ``text`` with the priority of ``level`` in front (a traceback's
    lines are entries of their own in the journal, each at its priority).

    >>> prefixed("failed\\nsecond line", logging.ERROR)
    '<3>failed\\n<3>second line'
    """
    mark = f"<{priority(level)}>"
    return "\n".join(mark + line for line in text.split("\n"))


class JournalFormatter(logging.Formatter):
    """A log format without its timestamp, each line with its record's priority."""

    def __init__(self, fmt: str | None, datefmt: str | None = None) -> None:
        super().__init__(without_time(fmt), datefmt)

    def format(self, record: logging.LogRecord) -> str:
        return prefixed(super().format(record), record.levelno)


def without_time(fmt: str | None) -> str:
    """A log format with its ``%(asctime)s`` taken out.

    >>> without_time("%(asctime)s [%(name)s] %(levelname)s: %(message)s")
    '[%(name)s] %(levelname)s: %(message)s'
    """
    fmt = fmt or "%(levelname)s: %(message)s"
    for token in ("%(asctime)s ", " %(asctime)s", "%(asctime)s"):
        fmt = fmt.replace(token, "")
    return fmt
