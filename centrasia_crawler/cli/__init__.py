"""The ``centrasia`` command, built with click as sqlite-utils and Datasette build theirs.

One module per group of commands: :mod:`.crawling` (crawl, reparse, extract),
:mod:`.querying` (search, coverage, stats), :mod:`.corpus` (collocates, words,
network), :mod:`.entities` (entities, countries),
:mod:`.exporting` (export, export-warc),
:mod:`.operating` (serve). Each command imports what it needs when it runs, so the
analysts' commands never load Scrapy.

Exit status: 0 on success; 1 when a crawl ran but failed its checks; 2 for a usage
error or input that is not a centrasia page; 75 when another run holds the archive's
lock. Errors are one line on stderr: ``centrasia COMMAND: message``; whatever the
command, a damaged archive is the one line :data:`~.common.DAMAGED`, exit 2.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Sequence

import click

from centrasia_crawler.cli import corpus, crawling, entities, exporting, operating, querying
from centrasia_crawler.cli.common import (
    DAMAGED,
    EXIT_OK,
    EXIT_USAGE,
    command_path,
    damaged,
    error_line,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="centrasia-crawler")
def cli() -> None:
    """Archive centrasia.org: crawl it, extract its pages, query the archive.

    Every command that reads or writes the archive takes --archive PATH; without it,
    $CENTRASIA_ARCHIVE, else data/archive.sqlite.
    """


for _module in (crawling, querying, corpus, entities, exporting, operating):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv``; its exit status."""
    try:
        status = cli.main(args=argv, prog_name="centrasia", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.format_message(), err=True)
        return EXIT_USAGE
    except click.ClickException as exc:
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "centrasia"
        if damaged(exc):
            error_line(f"{where}: {DAMAGED}")
            return EXIT_USAGE
        message = " ".join(exc.format_message().split())
        error_line(f"{where}: {message}")
        return exc.exit_code
    except sqlite3.DatabaseError as exc:
        if not damaged(exc):
            raise
        error_line(f"{command_path(cli, argv)}: {DAMAGED}")
        return EXIT_USAGE
    except (KeyboardInterrupt, click.Abort):
        click.echo("centrasia: interrupted", err=True)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return int(status or EXIT_OK)


def run() -> None:
    """The console script."""
    sys.exit(main())
