"""Exporting: ``export`` (articles as JSON Lines, CSV or Parquet) and ``export-warc``
(raw pages).
Streamed in constant memory; never imports Scrapy."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import click

from centrasia_crawler.cli.common import (
    EXIT_OK,
    Failure,
    archive_option,
    open_archive,
    range_options,
)
from centrasia_crawler.exports import (
    FORMATS,
    FORMATS_BY_EXTENSION,
    ParquetUnavailable,
    write_csv,
    write_jsonl,
    write_parquet,
    write_warc,
)


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="The format [default: the output's extension (.jsonl .csv .parquet), else jsonl].",
)
@range_options
@click.option("--query", "-q", metavar="QUERY", help="Only the articles this search query matches.")
@click.option("--source", help="Only articles from this source.")
@click.option("-o", "--output", metavar="FILE", help="Write here (default: standard output).")
def export(
    fmt: str | None,
    since: Any,
    until: Any,
    archive: str,
    query: str | None,
    source: str | None,
    output: str | None,
) -> int:
    """Stream every article (oldest first) as JSON Lines, CSV or Parquet (typed columns,
    the [parquet] extra: pyarrow), in constant memory. With --query, the corpus a
    search matches: exactly the articles 'centrasia search QUERY --limit 0' finds.

    Examples:

    \b
        centrasia export --format csv --since 2026-01-01 -o january.csv
        centrasia export --format parquet -o articles.parquet
        centrasia export --query 'Жапаров Ташиев' --format csv -o corpus.csv
    """
    from centrasia_crawler.archive.exporting import export_rows
    from centrasia_crawler.archive.search import Filters
    from centrasia_crawler.archive.search_query import QueryError
    from centrasia_crawler.archive.stories import with_stories

    fmt = _format(fmt, output)
    write = write_jsonl if fmt == "jsonl" else write_csv
    if fmt == "parquet" and output in (None, "-"):
        raise Failure("--format parquet writes a file: give -o FILE.parquet")
    with open_archive(archive) as store:
        rows = export_rows(store, Filters(since=since, until=until, source=source), query)
        rows = with_stories(store, rows)
        try:  # a bad query fails here, before any file is written
            first = next(rows, None)
        except QueryError as exc:
            raise Failure(str(exc)) from None
        rows = itertools.chain([] if first is None else [first], rows)
        if fmt == "parquet":
            try:
                count = write_parquet(rows, str(output))
            except ParquetUnavailable as exc:
                raise Failure(str(exc)) from None
            except OSError as exc:
                raise Failure(f"cannot write {output}: {exc.strerror or exc}") from None
        elif output in (None, "-"):
            count = write(rows, sys.stdout)
        else:
            try:
                with open(output, "w", encoding="utf-8", newline="") as out:
                    count = write(rows, out)
            except OSError as exc:
                raise Failure(f"cannot write {output}: {exc.strerror}") from None
    click.echo(f"centrasia export: {count} articles", err=True)
    return EXIT_OK


def _format(asked: str | None, output: str | None) -> str:
    """The format asked for, else the output file's; a disagreement, or a file name
    that names no format (``x.xlsx``) without ``--format``, is a usage error."""
    suffix = Path(output).suffix.lower() if output and output != "-" else ""
    implied = FORMATS_BY_EXTENSION.get(suffix)
    if suffix and implied is None and not asked:
        known = ", ".join(sorted(FORMATS_BY_EXTENSION))
        raise click.UsageError(
            f"-o {output}: no export format is written as {suffix} ({known});"
            " give --format to write it anyway"
        )
    if asked and implied and asked != implied:
        raise click.UsageError(f"--format {asked} but -o {output} says {implied}: give one")
    return asked or implied or "jsonl"


@click.command("export-warc")
@click.argument("output", metavar="OUT.warc.gz")
@archive_option()
def export_warc(output: str, archive: str) -> int:
    """Write every stored fetch as WARC request/response records (gzip), for warcio,
    pywb and other replay tools.

    Example:

    \b
        centrasia export-warc centrasia.warc.gz
    """
    with open_archive(archive) as store:
        try:
            with open(output, "wb") as out:
                count = write_warc(store.all_pages(), out)
        except OSError as exc:
            raise Failure(f"cannot write {output}: {exc.strerror}") from None
    click.echo(f"centrasia export-warc: {count} responses written to {output}")
    return EXIT_OK


COMMANDS = (export, export_warc)
