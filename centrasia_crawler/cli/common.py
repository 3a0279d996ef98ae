"""What the command modules share: exit statuses, one-line errors, the options that
several commands take, and opening the archive for reading."""

from __future__ import annotations

import csv as csv_module
import datetime as dt
import functools
import json as json_module
import logging
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from centrasia_crawler.journal import prefixed, to_journal
from centrasia_crawler.normalize.periods import PERIODS
from centrasia_crawler.options import ARCHIVE_ENV, OptionError, default_archive, parse_day

EXIT_OK = 0
EXIT_FAILED = 1  # a crawl ran but failed its checks
EXIT_USAGE = 2  # a usage error, or input that is not a centrasia page
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the archive's lock; try again later

F = TypeVar("F", bound=Callable[..., Any])

#: What every command says when it meets a damaged archive (SQLite's "database disk
#: image is malformed", "file is not a database").
DAMAGED = (
    "the archive is damaged: run `centrasia check`; restore from a backup (docs/operations.md)"
)


def damaged(error: BaseException) -> bool:
    """Whether ``error`` comes of a damaged archive, however a command wrapped it: the
    cause or context of a one-line error is kept, and a reason passed on as text (the
    crawl's refusal, from its own process's pipeline) still says SQLite's words."""
    from centrasia_crawler.archive.integrity import DAMAGE_SIGNS, is_damage

    said = error.format_message() if isinstance(error, click.ClickException) else ""
    return any(sign in said for sign in DAMAGE_SIGNS) or is_damage(error)


def error_line(line: str) -> None:
    """A command's one-line error on stderr; in systemd's journal, at priority error."""
    click.echo(prefixed(line, logging.ERROR) if to_journal() else line, err=True)


def notice_line(line: str) -> None:
    """A line of advice on stderr; in systemd's journal, at priority warning."""
    from centrasia_crawler.journal import prefixed, to_journal

    click.echo(prefixed(line, logging.WARNING) if to_journal() else line, err=True)


def command_path(group: click.Group, argv: Sequence[str] | None) -> str:
    """``centrasia COMMAND`` for the command ``argv`` names (``centrasia`` when none)."""
    args = list(sys.argv[1:] if argv is None else argv)
    name = next((a for a in args if not a.startswith("-")), None)
    return f"centrasia {name}" if name in group.commands else "centrasia"


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


def by_option(default: str = "month") -> Callable[[F], F]:
    """``--by PERIOD``: one of the periods the analyses count by."""
    return click.option(
        "--by",
        type=click.Choice(PERIODS),
        default=default,
        show_default=True,
        help="The period (weeks are ISO 8601: 2026-W07).",
    )


def output_options(
    *,
    json: str | None = "JSON for scripts.",
    csv: str | None = None,
    limit: tuple[int | None, int, str] | None = None,
    plot: str | None = None,
) -> Callable[[F], F]:
    """The output options a command takes, each with its help: ``--json`` (``as_json``;
    ``json`` None: none);
    ``--csv`` (``as_csv``; given with ``--json``, a usage error); ``--limit`` as
    ``(default, minimum, help)``; ``--plot FILE`` (``plot``, drawn by :func:`write_plot`)."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("as_json") and kwargs.get("as_csv"):
                raise click.UsageError("give --json or --csv, not both")
            return function(*args, **kwargs)

        options = (
            [] if json is None else [click.option("--json", "as_json", is_flag=True, help=json)]
        )
        if csv is not None:
            options.append(click.option("--csv", "as_csv", is_flag=True, help=csv))
        if limit is not None:
            default, minimum, text = limit
            options.insert(
                0,
                click.option(
                    "--limit",
                    type=click.IntRange(min=minimum),
                    default=default,
                    show_default=default is not None,
                    help=text,
                ),
            )
        if plot is not None:
            options.append(
                click.option(
                    "--plot",
                    type=click.Path(dir_okay=False),
                    metavar="FILE.png|FILE.svg",
                    help=plot,
                )
            )
        decorated: Any = checked
        for option in reversed(options):
            decorated = option(decorated)
        return decorated  # type: ignore[no-any-return]

    return decorate


def output_form(as_json: bool, as_csv: bool = False) -> str:
    """``json``, ``csv`` or ``text``: what :func:`write_output` is asked to write."""
    return "json" if as_json else "csv" if as_csv else "text"


def write_output(
    data: Any,
    form: str,
    *,
    columns: Sequence[str] = (),
    table: Callable[[Any], str | Iterable[str]] | None = None,
) -> int:
    """The one writer of a command's answer on standard output; how many rows it wrote.

    ``json``: a list or dict indented, Cyrillic as is; any other iterable of rows is
    streamed as a JSON list, a row a line. ``csv``: a header of ``columns``, then a row
    a line. ``text``: what ``table(data)`` makes, a string or lines (streamed)."""
    shown = 0

    def counted(rows: Iterable[Any]) -> Iterator[Any]:
        nonlocal shown
        for row in rows:
            shown += 1
            yield row

    if form == "json" and isinstance(data, (list, dict)):
        click.echo(json_module.dumps(data, ensure_ascii=False, indent=1))
        return len(data)
    if form == "json":
        click.echo("[")
        for row in counted(data):
            click.echo(("," if shown > 1 else "") + json_module.dumps(row, ensure_ascii=False))
        click.echo("]")
    elif form == "csv":
        writer = csv_module.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(counted(data))
    else:
        assert table is not None, "a text answer needs its table"
        if isinstance(data, (list, dict)):
            shown = len(data)
        else:
            data = counted(data)
        text = table(data)
        for line in [text] if isinstance(text, str) else text:
            click.echo(line)
    return shown


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
    (exit 1 when it must first be upgraded, 2 when the file is empty)."""
    from centrasia_crawler.archive import (
        Archive,
        ArchiveNeedsUpgrade,
        ArchiveVersionError,
        NotAnArchive,
    )

    try:
        return Archive.open(path, readonly=True)
    except NotAnArchive as exc:
        raise Failure(str(exc), EXIT_USAGE) from None
    except ArchiveNeedsUpgrade as exc:
        raise Failure(str(exc), EXIT_FAILED) from None
    except (sqlite3.Error, OSError, ArchiveVersionError) as exc:
        raise Failure(f"cannot read {path}: {exc}") from None
