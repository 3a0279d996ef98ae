"""Querying the archive: ``search``, ``coverage``, ``stats``. Read-only; never imports
Scrapy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from centrasia_crawler.cli.common import (
    EXIT_OK,
    Failure,
    archive_option,
    json_option,
    open_archive,
    range_options,
)


def _marked(snippet: str) -> str:
    from centrasia_crawler.archive.queries import MARK_CLOSE, MARK_OPEN

    return snippet.replace(MARK_OPEN, "[").replace(MARK_CLOSE, "]").replace("\n", " ")


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=1))


@click.command()
@click.argument("query")
@range_options
@click.option("--source", help="Only articles from this source.")
@click.option("--attribution", help="Only headlines attributed to this name.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Results.")
@click.option("--exact", is_flag=True, help="Only the forms as typed, not every form of a word.")
@json_option
def search(
    query: str,
    since: Any,
    until: Any,
    archive: str,
    source: str | None,
    attribution: str | None,
    limit: int,
    exact: bool,
    as_json: bool,
) -> int:
    """Search titles and bodies, best matches first (a title match counts more).

    One form of a word finds every form ('Казахстан' finds 'в Казахстане'), a phrase
    whatever the case of its words; --exact finds only the forms typed. Case and ё/е
    do not matter; "a phrase", prefix*, OR, NOT and NEAR work (SQLite FTS5 syntax).

    Examples:

    \b
        centrasia search Жапаров --since 2026-01-01
        centrasia search '"Центральная Азия" NOT Китай' --json
        centrasia search '"редкоземельные металлы"' --source ИноСМИ --exact
    """
    from centrasia_crawler.archive.morph import QueryError, index_ready
    from centrasia_crawler.archive.queries import Filters
    from centrasia_crawler.archive.queries import search as search_archive

    filters = Filters(since=since, until=until, source=source, attribution=attribution)
    with open_archive(archive) as store:
        if not exact and not index_ready(store.conn):
            click.echo(
                "centrasia search: the search index is still being built; results are partial",
                err=True,
            )
        try:
            results = search_archive(store, query, filters, limit, exact=exact)
        except QueryError as exc:
            raise Failure(str(exc)) from None
    if as_json:
        for r in results:
            r["snippet"] = _marked(r["snippet"])
        _print_json(results)
        return EXIT_OK
    for r in results:
        source_name = f" — {r['source']}" if r["source"] else ""
        click.echo(f"{r['published_at'][:16].replace('T', ' ')}  {r['title']}{source_name}")
        click.echo(f"  {r['url']}")
        click.echo(f"  {_marked(r['snippet'])}")
    click.echo(f"{len(results)} result{'s' if len(results) != 1 else ''}", err=True)
    return EXIT_OK


@click.command()
@range_options
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE.png",
    help="Draw articles per day with the gaps marked (matplotlib).",
)
def coverage(since: Any, until: Any, archive: str, plot: str | None) -> int:
    """Per day: headlines the site listed, articles archived, listed but missing,
    listed but forbidden by robots.txt, revisions; the days never crawled; the crawl
    commands that fill the gaps (robots.txt's refusals are no gap: no crawl fills them).

    Example:

    \b
        centrasia coverage --since 2026-02-01 --plot coverage.png
    """
    from centrasia_crawler.archive.queries import coverage as archive_coverage

    with open_archive(archive) as store:
        cover = archive_coverage(store, since, until)
    click.echo("day         listed  archived  missing  forbidden  revisions")
    for d in cover.days:
        flag = "  never crawled" if d.day in cover.never_crawled else ""
        click.echo(
            f"{d.day}  {d.listed:6d}  {d.archived:8d}  {len(d.missing):7d}"
            f"  {len(d.forbidden):9d}  {d.revisions:9d}{flag}"
        )
    click.echo(
        f"{len(cover.days)} days, {len(cover.never_crawled)} never crawled,"
        f" {cover.missing} articles listed but missing"
    )
    forbidden = cover.forbidden
    if forbidden:
        shown = " ".join(str(st) for st in forbidden[:10]) + (" …" if len(forbidden) > 10 else "")
        click.echo(
            f"{len(forbidden)} listed articles are forbidden to crawlers by the site's"
            f" robots.txt (no crawl can fetch them): st {shown}"
        )
    for start, end in cover.gaps:
        click.echo(f"gap {start} .. {end}: centrasia crawl --since {start} --until {end}")
    if plot:
        from centrasia_crawler.plot import PlotUnavailable, plot_coverage

        try:
            plot_coverage(cover, Path(plot))
        except PlotUnavailable as exc:
            raise Failure(str(exc)) from None
        click.echo(f"plot written to {plot}")
    return EXIT_OK


@click.command()
@archive_option()
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Entries in each top list.",
)
@json_option
def stats(archive: str, top: int, as_json: bool) -> int:
    """Totals, top sources, top attributions, first and last article.

    Example:

    \b
        centrasia stats --top 20
    """
    from centrasia_crawler.archive.queries import stats as archive_stats

    with open_archive(archive) as store:
        figures = archive_stats(store, top)
    if as_json:
        _print_json(figures)
        return EXIT_OK
    for name in (
        "articles",
        "revisions",
        "listed_headlines",
        "listed_but_missing",
        "days",
        "pages",
        "runs",
    ):
        click.echo(f"{name.replace('_', ' ')}: {figures[name]}")
    for name in ("first_article", "last_article"):
        a = figures[name]
        if a:
            click.echo(f"{name.replace('_', ' ')}: {a['published_at']}  {a['title']}  {a['url']}")
    for name in ("top_sources", "top_attributions"):
        click.echo(f"{name.replace('_', ' ')}:")
        for entry in figures[name]:
            click.echo(f"  {entry['articles']:6d}  {entry['name']}")
    return EXIT_OK


COMMANDS = (search, coverage, stats)
