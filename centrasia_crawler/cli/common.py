"""What the command modules share: exit statuses, one-line errors, the options that
several commands take, and opening the archive for reading."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from centrasia_crawler.options import ARCHIVE_ENV, OptionError, default_archive, parse_day

EXIT_OK = 0
EXIT_FAILED = 1  # a crawl ran but failed its checks
EXIT_USAGE = 2  # a usage error, or input that is not a centrasia page
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the archive's lock; try again later

F = TypeVar("F", bound=Callable[..., Any])

#: ``--stories``: what it counts, in one line.
STORIES_HELP = (
    "Count stories, not articles: an article and its reprints (near-duplicates) are one story."
)


def progress_printer(command: str, what: str, every: float = 5.0) -> Callable[[int, int], None]:
    """A progress callback ``(done, total)`` printing ``centrasia COMMAND: done of total
    WHAT`` on stderr, a line every ``every`` seconds at most, and the last one always."""
    shown = time.monotonic()

    def progress(done: int, total: int) -> None:
        nonlocal shown
        now = time.monotonic()
        if now - shown >= every or done >= total:
            shown = now
            click.echo(f"centrasia {command}: {done:,} of {total:,} {what}", err=True)

    return progress


class Failure(click.ClickException):
    """A one-line error, printed as ``centrasia COMMAND: message``, and its exit status."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it per class
        self.ctx = click.get_current_context(silent=True)


def day(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    """A ``--since``/``--until`` value, read by the same function the spider uses."""
    try:
        return parse_day(f"--{param.name}", value)
    except OptionError as exc:
        raise click.UsageError(str(exc), ctx) from None


def archive_option(*, must_exist: bool = True) -> Callable[[F], F]:
    """``--archive PATH``: by default ``$CENTRASIA_ARCHIVE``, else ``data/archive.sqlite``."""
    return click.option(
        "--archive",
        type=click.Path(exists=must_exist, dir_okay=False),
        default=default_archive,
        show_default=f"${ARCHIVE_ENV} or data/archive.sqlite in the project root",
        help="The archive file.",
    )


def range_options(function: F) -> F:
    """``--since``, ``--until`` (publication days) and ``--archive``."""
    for decorator in reversed(
        (
            click.option("--since", metavar="YYYY-MM-DD", callback=day, help="From this day."),
            click.option("--until", metavar="YYYY-MM-DD", callback=day, help="Up to this day."),
            archive_option(),
        )
    ):
        function = decorator(function)
    return function


def json_option(function: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")(function)


def write_plot(plot: str, draw: Callable[[Path], None]) -> None:
    """``draw`` a chart to the file ``plot`` (PNG, SVG or PDF, by its extension), or a
    :class:`Failure` in one line: matplotlib is missing, or the file cannot be written."""
    from centrasia_crawler.plot import PlotUnavailable

    try:
        draw(Path(plot))
    except PlotUnavailable as exc:
        raise Failure(str(exc)) from None
    except (OSError, ValueError) as exc:
        raise Failure(f"cannot write {plot}: {exc}") from None


def open_archive(path: str) -> Any:
    """The archive at ``path``, read-only; a :class:`Failure` when it cannot be read
    (exit 1 when it must first be upgraded)."""
    from centrasia_crawler.archive import Archive, ArchiveNeedsUpgrade, ArchiveVersionError

    try:
        return Archive.open(path, readonly=True)
    except ArchiveNeedsUpgrade as exc:
        raise Failure(str(exc), EXIT_FAILED) from None
    except (sqlite3.Error, OSError, ArchiveVersionError) as exc:
        raise Failure(f"cannot read {path}: {exc}") from None
