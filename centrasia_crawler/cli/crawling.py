"""Crawling: ``crawl`` (what cron runs), ``reparse`` and ``extract``.

Scrapy is imported only when a crawl runs.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from typing import Any

import click

from centrasia_crawler.cli.common import (
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_USAGE,
    Failure,
    archive_option,
    day,
    error_line,
    notice_line,
    open_archive,
    progress_printer,
)
from centrasia_crawler.jobdir import JobdirRefused
from centrasia_crawler.lock import ArchiveLock, LockHeld
from centrasia_crawler.options import (
    OptionError,
    check_range,
    check_root,
    parse_days,
    parse_setting,
)
from centrasia_crawler.site import CANONICAL_ROOT


def _days(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    try:
        return parse_days(f"--{param.name}", value)
    except OptionError as exc:
        raise click.UsageError(str(exc), ctx) from None


@click.command()
@click.option("--since", metavar="YYYY-MM-DD", callback=day, help="Backfill from this day.")
@click.option("--until", metavar="YYYY-MM-DD", callback=day, help="Backfill up to this day.")
@click.option("--refresh", metavar="DAYS", callback=_days, help="Re-fetch the last DAYS days.")
@click.option(
    "--archive",
    type=click.Path(dir_okay=False),
    default=None,
    help="The archive file (default: $CENTRASIA_ARCHIVE or data/archive.sqlite in the project"
    " root).",
)
@click.option("--root", metavar="URL", help="The site to crawl (CENTRASIA_ROOT_URL).")
@click.option(
    "-s",
    "setting",
    multiple=True,
    metavar="NAME=VALUE",
    help="Any Scrapy setting, e.g. -s JOBDIR=data/job (repeatable).",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Scrapy's full log (LOG_LEVEL=INFO); without it, warnings, errors and the summary.",
)
def crawl(
    since: Any,
    until: Any,
    refresh: int | None,
    archive: str | None,
    root: str | None,
    setting: tuple[str, ...],
    verbose: bool,
) -> int:
    """Crawl centrasia.org into the archive, then check the run.

    Exit status: 0 ok, or stopped as asked (a CLOSESPIDER_* limit); 1 the run failed (a
    callback or a pipeline raised, it did not finish, too many errors, no headlines on
    the index, too many unreadable article pages, a backfill range holding no day of the
    site's calendar) or its JOBDIR cannot be resumed; 2 usage error (a range in the
    future too), or the archive could not store what was fetched (a full disk: one
    line); 75 another run holds the archive's lock (or the JOBDIR); 143 (130) stopped
    by SIGTERM (Ctrl-C) with nothing else wrong.

    It prints warnings, errors and one summary line; --verbose (or -s LOG_LEVEL=INFO)
    gives Scrapy's full log. A backfill with -s JOBDIR=DIR can be stopped any way
    (Ctrl-C, SIGTERM, a time limit, SIGKILL) and run again to carry on; run again
    once finished, it makes at most three requests.

    Examples:

    \b
        centrasia crawl
        centrasia crawl --since 2026-01-01 --until 2026-01-31 -s JOBDIR=data/job-jan
        centrasia crawl --refresh 3
    """
    from centrasia_crawler import jobs

    try:
        check_range(since, until, cli=True)
        overrides = dict(parse_setting(s) for s in setting)
        if verbose:
            overrides.setdefault("LOG_LEVEL", "INFO")
        else:  # quiet by default: an hourly run that finds nothing new prints one line
            overrides.setdefault("LOG_LEVEL", "WARNING")
        if archive:
            overrides["CENTRASIA_ARCHIVE_PATH"] = archive
        if root:
            overrides["CENTRASIA_ROOT_URL"] = root
        settings = jobs.project_settings(overrides)
        check_root(str(settings.get("CENTRASIA_ROOT_URL")))
    except OptionError as exc:
        raise Failure(str(exc)) from None
    arguments = {"since": since, "until": until, "refresh": refresh}
    spider_args = {name: str(value) for name, value in arguments.items() if value}
    try:
        outcome = jobs.run_crawl(settings, spider_args)
    except LockHeld as exc:
        raise Failure(str(exc), EXIT_LOCKED) from None
    except OptionError as exc:
        raise Failure(str(exc)) from None
    except JobdirRefused as exc:
        raise Failure(str(exc), exc.exit_status) from None
    except jobs.StorageFailed as exc:
        raise Failure(str(exc), EXIT_USAGE) from None
    click.echo(outcome.summary())
    for failure in outcome.failures:
        error_line(f"centrasia crawl: failed: {failure}")
    if (step := outcome.next_step()) is not None:
        notice_line(f"centrasia crawl: {step}")
    return outcome.exit_status()


@click.command()
@archive_option()
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=lambda: os.cpu_count() or 1,
    show_default="the number of cores",
    help="Worker processes extracting pages (one process writes).",
)
def reparse(archive: str, jobs: int) -> int:
    """Re-extract the archive's stored pages with the current extractor, without the
    network; articles that come out different become new revisions (the old kept).
    Extraction runs on --jobs processes; the results are written as with one, a batch
    per transaction (safe to stop and re-run).

    Exit status: 0 done; 2 the archive cannot be used; 75 another run holds its lock.

    Example:

    \b
        centrasia reparse --archive data/archive.sqlite
    """
    from centrasia_crawler.archive import Archive, ArchiveVersionError
    from centrasia_crawler.reparse import reparse as reparse_archive

    try:
        with ArchiveLock(archive), Archive.open(archive) as store:
            summary = reparse_archive(store, jobs, progress_printer("reparse", "pages"))
    except LockHeld as exc:
        raise Failure(f"{exc}; not starting", EXIT_LOCKED) from None
    except (sqlite3.Error, OSError, ArchiveVersionError) as exc:
        raise Failure(f"cannot use {archive}: {exc}") from None
    click.echo(f"centrasia reparse: {summary.line()}")
    for url, reason in summary.failed[:20]:
        click.echo(f"centrasia reparse: not read: {url}: {reason}", err=True)
    return EXIT_OK


@click.command()
@click.argument("file", required=False, metavar="[FILE]")
@click.option("--url", help=f"The address the page was fetched from (default {CANONICAL_ROOT}).")
@click.option(
    "--content-type",
    metavar="VALUE",
    help="The HTTP Content-Type it was served with, e.g. 'text/html; charset=utf-8'.",
)
@click.option(
    "--from-archive",
    metavar="URL",
    help="Extract the page stored in the archive for this URL (as fetched) instead.",
)
@click.option(
    "--item",
    "as_item",
    is_flag=True,
    help="Print the item the crawl makes of the page instead (an article's fields, a"
    " listing's headlines): the reading of the crawl, scrapy parse and scrapy shell.",
)
@archive_option(must_exist=False)
def extract(
    file: str | None,
    url: str | None,
    content_type: str | None,
    from_archive: str | None,
    as_item: bool,
    archive: str,
) -> int:
    """Print the data of one page (article, listing, archive calendar or RSS feed,
    recognised from its content) as one JSON object. FILE - reads standard input.
    With --item, the item the crawl makes of it, as a feed writes it.

    A page that is not one of the site's (empty, binary, truncated, foreign, a layout
    without the anchors) exits 2 with one line: not a centrasia page: REASON.

    Examples:

    \b
        centrasia extract saved.html --url 'https://centrasia.org/newsA.php?st=1771493400'
        curl -s https://centrasia.org/ | centrasia extract -
        centrasia extract --from-archive 'https://centrasia.org/'
    """
    from centrasia_crawler.extraction import NotACentrasiaPage
    from centrasia_crawler.extraction import extract as extract_page

    if (file is None) == (from_archive is None):
        raise Failure("give either FILE or --from-archive URL")
    if from_archive is not None:
        with open_archive(archive) as store:
            page = store.page_body(from_archive)
        if page is None:
            raise Failure(f"no stored page for {from_archive} in {archive}")
        name, data, url = from_archive, page.body, page.url
        content_type = content_type or page.content_type
    else:
        assert file is not None
        name = file
        try:
            if file == "-":
                data = sys.stdin.buffer.read()
            else:
                with open(file, "rb") as fh:
                    data = fh.read()
        except OSError as exc:
            raise Failure(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        if as_item:
            shown = _item_of(name, data, url or CANONICAL_ROOT, content_type)
        else:
            shown = extract_page(data, url or CANONICAL_ROOT, content_type).data
    except NotACentrasiaPage as exc:
        raise Failure(f"{name}: {exc}", EXIT_USAGE) from None
    click.echo(json.dumps(shown, ensure_ascii=False, indent=1))
    return EXIT_OK


def _item_of(name: str, data: bytes, url: str, content_type: str | None) -> Any:
    """The item the crawl makes of a page, as JSON data (an article as a feed row)."""
    import dataclasses

    from centrasia_crawler.feeds import feed_row
    from centrasia_crawler.items import read_page

    page = read_page(data, url, content_type)
    if page.item is None:
        raise Failure(f"{name}: the crawl makes no item of a {page.kind} page", EXIT_USAGE)
    if page.kind == "article":
        return feed_row(page.item)
    return dataclasses.asdict(page.item)


COMMANDS = (crawl, reparse, extract)
