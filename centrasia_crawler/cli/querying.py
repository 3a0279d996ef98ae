"""Querying the archive: ``search``, ``kwic``, ``coverage``, ``stats``, and attention
over time: ``trend``, ``terms``. Read-only; never imports Scrapy."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from centrasia_crawler.cli.common import (
    EXIT_OK,
    STORIES_HELP,
    Failure,
    archive_option,
    json_option,
    open_archive,
    range_options,
    write_plot,
)

F = TypeVar("F", bound=Callable[..., Any])


#: What a ``terms`` score is, in one sentence.
SCORE_MEANING = (
    "the score is a z-score of the word's log-odds ratio in these articles against the"
    " whole archive; 2 or more is more than chance, higher is more characteristic"
)


def _marked(snippet: str) -> str:
    from centrasia_crawler.archive.queries import MARK_CLOSE, MARK_OPEN

    return snippet.replace(MARK_OPEN, "[").replace(MARK_CLOSE, "]").replace("\n", " ")


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=1))


def filter_options(function: F) -> F:
    """``--since``, ``--until``, ``--archive``, ``--source`` and ``--attribution``."""
    function = click.option("--attribution", help="Only headlines attributed to this name.")(
        function
    )
    function = click.option("--source", help="Only articles from this source.")(function)
    return range_options(function)


@click.command()
@click.argument("query")
@filter_options
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="Results (0: all of them).",
)
@click.option("--exact", is_flag=True, help="Only the forms as typed, not every form of a word.")
@click.option("--count", "count_only", is_flag=True, help="Print only how many articles match.")
@json_option
@click.option("--stories", is_flag=True, help=f"{STORIES_HELP} One row per story, its reprints.")
def search(
    query: str,
    since: Any,
    until: Any,
    archive: str,
    source: str | None,
    attribution: str | None,
    limit: int,
    exact: bool,
    count_only: bool,
    as_json: bool,
    stories: bool = False,
) -> int:
    """Search titles and bodies, best matches first (a title match counts more).

    One form of a word finds every form ('Казахстан' finds 'в Казахстане'), a phrase
    whatever the case of its words; --exact finds only the forms typed. Words side by
    side must all occur; "a phrase" or «a phrase», OR, NOT, NEAR(a b, 10), prefix*,
    title:word and parentheses combine freely. Case and ё/е do not matter. @Name
    stands for every name of a gazetteer entity (@Астана: Акмола, Астана, Нур-Султан).

    Examples:

    \b
        centrasia search 'Садыр Жапаров' --since 2026-01-01
        centrasia search '"Центральная Азия" NOT Китай' --json
        centrasia search 'title:(Жапаров OR Ташиев)' --count
        centrasia search '@"Касым-Жомарт Токаев" газ'
        centrasia search '"редкоземельные металлы"' --source ИноСМИ --exact
    """
    from centrasia_crawler.archive.queries import Filters, count
    from centrasia_crawler.archive.queries import search as search_archive
    from centrasia_crawler.archive.search_query import QueryError

    if exact and count_only:
        raise click.UsageError("--count counts every form: give --count or --exact, not both")
    filters = Filters(since=since, until=until, source=source, attribution=attribution)
    with open_archive(archive) as store:
        if not exact and not store.index_ready():
            click.echo(
                "centrasia search: the search index is still being built; results are partial",
                err=True,
            )
        try:
            if stories and not count_only:
                return _story_results(store, query, filters, limit or None, exact, as_json)
            if count_only:
                total = count(store, query, filters)
            else:
                results = search_archive(store, query, filters, limit or None, exact=exact)
                total = (
                    len(results)
                    if exact or len(results) < limit or not limit
                    else count(store, query, filters)
                )
        except QueryError as exc:
            raise Failure(str(exc)) from None
    if count_only:
        if as_json:
            _print_json({"query": query, "articles": total})
        else:
            click.echo(total)
        return EXIT_OK
    _print_results(results, total, as_json)
    return EXIT_OK


def _story_results(
    store: Any, query: str, filters: Any, limit: int | None, exact: bool, as_json: bool
) -> int:
    """``search --stories``: the best result of each story, with its reprints."""
    from centrasia_crawler.archive.queries import search as search_archive
    from centrasia_crawler.archive.stories import first_of_stories

    results = search_archive(store, query, filters, limit and limit * 5, exact=exact)
    rows = first_of_stories(store, results, limit)
    if limit and len(rows) < limit and len(results) == limit * 5:  # reprints filled the page
        rows = first_of_stories(store, search_archive(store, query, filters, None, exact=exact))
        rows = rows[:limit]
    if as_json:
        for r in rows:
            r["snippet"] = _marked(r["snippet"])
        _print_json(rows)
        return EXIT_OK
    for r in rows:
        source_name = f" — {r['source']}" if r["source"] else ""
        click.echo(f"{r['published_at'][:16].replace('T', ' ')}  {r['title']}{source_name}")
        click.echo(f"  {r['url']}  ({r['reprints']} article{'s' if r['reprints'] != 1 else ''})")
        click.echo(f"  {_marked(r['snippet'])}")
    click.echo(f"{len(rows)} stor{'ies' if len(rows) != 1 else 'y'}", err=True)
    return EXIT_OK


def _print_results(results: list[dict[str, Any]], total: int, as_json: bool) -> None:
    """Search results as JSON, or three lines each and "N of M results" on stderr."""
    if as_json:
        for r in results:
            r["snippet"] = _marked(r["snippet"])
        _print_json(results)
        return
    for r in results:
        source_name = f" — {r['source']}" if r["source"] else ""
        click.echo(f"{r['published_at'][:16].replace('T', ' ')}  {r['title']}{source_name}")
        click.echo(f"  {r['url']}")
        click.echo(f"  {_marked(r['snippet'])}")
    shown = f"{len(results)} of {total}" if total > len(results) else f"{total}"
    click.echo(f"{shown} result{'s' if total != 1 else ''}", err=True)


@click.command()
@click.argument("query")
@filter_options
@click.option(
    "--width",
    type=click.IntRange(min=1, max=500),
    default=40,
    show_default=True,
    help="Characters of context on either side.",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many lines.")
@click.option(
    "--csv", "as_csv", is_flag=True, help="CSV: date, st, column, left, match, right, url."
)
@click.option("--json", "as_json", is_flag=True, help="A JSON list of lines with the same keys.")
def kwic(
    query: str,
    since: Any,
    until: Any,
    archive: str,
    source: str | None,
    attribution: str | None,
    width: int,
    limit: int | None,
    as_csv: bool,
    as_json: bool,
) -> int:
    """A concordance (keyword in context): every occurrence of what QUERY matches, as
    the article spells it, with its left and right context, in the matching articles,
    oldest first. A phrase shows whole. Queries read as in 'centrasia search'.

    Examples:

    \b
        centrasia kwic Жапаров --width 60
        centrasia kwic '"новая конституция"' --since 2026-01-01 --csv > kwic.csv
    """
    import itertools

    from centrasia_crawler.archive.queries import Filters
    from centrasia_crawler.archive.queries import kwic as archive_kwic
    from centrasia_crawler.archive.search_query import QueryError

    if as_json and as_csv:
        raise click.UsageError("give --json or --csv, not both")
    filters = Filters(since=since, until=until, source=source, attribution=attribution)
    with open_archive(archive) as store:
        try:
            lines = itertools.islice(archive_kwic(store, query, filters, width=width), limit)
            shown = _write_kwic(lines, width, "csv" if as_csv else "json" if as_json else "text")
        except QueryError as exc:
            raise Failure(str(exc)) from None
    click.echo(f"{shown} line{'s' if shown != 1 else ''}", err=True)
    return EXIT_OK


def _write_kwic(lines: Iterable[dict[str, Any]], width: int, form: str) -> int:
    """Concordance lines as CSV, a JSON list, or aligned text; how many."""
    from centrasia_crawler.archive.queries import KWIC_KEYS

    shown = 0
    if form == "csv":
        import csv
        import sys

        writer = csv.DictWriter(sys.stdout, fieldnames=KWIC_KEYS, lineterminator="\n")
        writer.writeheader()
        for line in lines:
            writer.writerow(line)
            shown += 1
        return shown
    if form == "json":
        click.echo("[")
    for line in lines:
        if form == "json":
            click.echo(("," if shown else "") + json.dumps(line, ensure_ascii=False))
        else:
            click.echo(
                f"{line['date']}  {line['st']:>10}  {line['left']:>{width}}"
                f"  {line['match']}  {line['right']}"
            )
        shown += 1
    if form == "json":
        click.echo("]")
    return shown


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
        from centrasia_crawler.plot import plot_coverage

        write_plot(plot, lambda path: plot_coverage(cover, path))
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
    """Totals, top sources (by outlet), top attributions, first and last article, and
    how many date or source lines under articles were not read.

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
        "listed_but_forbidden",
        "days",
        "pages",
        "runs",
    ):
        label = "days with articles" if name == "days" else name.replace("_", " ")
        click.echo(f"{label}: {figures[name]}")
    click.echo(
        f"date or source lines not read: {figures['unread_lines']}"
        f" (in {figures['articles_with_unread_lines']} articles)"
    )
    for name in ("first_article", "last_article"):
        a = figures[name]
        if a:
            click.echo(f"{name.replace('_', ' ')}: {a['published_at']}  {a['title']}  {a['url']}")
    for name in ("top_sources", "top_attributions"):
        click.echo(f"{name.replace('_', ' ')}:")
        for entry in figures[name]:
            click.echo(f"  {entry['articles']:6d}  {entry['name']}")
    return EXIT_OK


@click.command()
@click.argument("queries", nargs=-1, required=True, metavar="QUERY [QUERY ...]")
@click.option(
    "--by",
    type=click.Choice(["day", "week", "month", "year"]),
    default="month",
    show_default=True,
    help="The period (weeks are ISO 8601: 2026-W07).",
)
@range_options
@click.option("--json", "as_json", is_flag=True, help="A JSON list of rows.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with the same columns.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    metavar="FILE.png|FILE.svg",
    help="Draw one line per query; incomplete periods shaded (matplotlib).",
)
@click.option("--share", is_flag=True, help="Plot the share of all articles, not counts.")
@click.option("--stories", is_flag=True, help=STORIES_HELP)
def trend(
    queries: tuple[str, ...],
    by: str,
    since: Any,
    until: Any,
    archive: str,
    as_json: bool,
    as_csv: bool,
    plot: str | None,
    share: bool,
    stories: bool = False,
) -> int:
    """How many articles match each QUERY per period, against all archived articles.

    Queries match as in 'centrasia search' (every form of a word, "phrases", OR, NOT,
    NEAR). A period is complete when every day of it had its listing read and no listed
    article is missing: '*' marks the others, so a 0 there may only mean not crawled.

    Examples:

    \b
        centrasia trend Казахстан Кыргызстан --since 2020-01-01
        centrasia trend '"Центральная Азия"' --by year --plot asia.png --share
        centrasia trend Жапаров --by week --json
    """
    from centrasia_crawler.archive.attention import TREND_KEYS
    from centrasia_crawler.archive.attention import trend as archive_trend
    from centrasia_crawler.archive.search_query import QueryError

    if as_json and as_csv:
        raise click.UsageError("give --json or --csv, not both")
    with open_archive(archive) as store:
        try:
            rows = archive_trend(store, queries, by, since, until, stories)  # type: ignore[arg-type]
        except QueryError as exc:
            raise Failure(str(exc)) from None
    if plot:
        if not rows:
            raise Failure("nothing to plot: the archive has no articles in that range")
        from centrasia_crawler.plot import plot_trend

        write_plot(plot, lambda path: plot_trend(rows, by, path, share))
    if as_json:
        _print_json(rows)
    elif as_csv:
        import csv
        import sys

        writer = csv.DictWriter(sys.stdout, fieldnames=TREND_KEYS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        click.echo(_trend_table(rows, queries))
        if plot:
            click.echo(f"plot written to {plot}")
    return EXIT_OK


def _trend_table(rows: list[dict[str, Any]], queries: tuple[str, ...]) -> str:
    if not rows:
        return "the archive has no articles in that range"
    by_period: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        by_period.setdefault(r["period"], {})[r["query"]] = r
    width = max(len("period"), *(len(p) for p in by_period))
    columns = [max(len(q), 16) for q in queries]
    head = "period".ljust(width) + "".join(
        f"  {q:>{w}}" for q, w in zip(queries, columns, strict=True)
    )
    lines = [head + "    total"]
    for period, cells in by_period.items():
        first = cells[queries[0]]
        parts = []
        for q, w in zip(queries, columns, strict=True):
            r = cells[q]
            shown = f"{r['articles']} ({r['share']:.1%})" if r["share"] is not None else "0"
            parts.append(f"  {shown:>{w}}")
        flag = "" if first["complete"] else "  *"
        lines.append(period.ljust(width) + "".join(parts) + f"  {first['total']:7d}{flag}")
    if any(not r["complete"] for r in rows):
        lines.append(
            "* the archive is incomplete for this period (days not crawled or articles missing)"
        )
    return "\n".join(lines)


@click.command()
@click.argument("query")
@archive_option()
@click.option(
    "--limit", type=click.IntRange(min=1), default=30, show_default=True, help="Entries per list."
)
@json_option
def terms(query: str, archive: str, limit: int, as_json: bool) -> int:
    """The words (lemmas) most characteristic of the articles matching QUERY against
    the whole archive, stop words and the query's own words left out; their top
    sources, attributions and days.

    The score is a z-score of the log-odds ratio of the word in the matching articles
    against the whole archive (with an informative Dirichlet prior: "Fightin' Words",
    Monroe et al. 2008): about 2 or more means the word is more frequent there than
    chance explains, and the higher, the more characteristic. Over 1,000 matching
    articles, a random sample of 1,000 is read (the output says so).

    Examples:

    \b
        centrasia terms Жапаров
        centrasia terms '"редкоземельные металлы"' --limit 10 --json
    """
    from centrasia_crawler.archive.attention import terms as archive_terms
    from centrasia_crawler.archive.search_query import QueryError

    with open_archive(archive) as store:
        try:
            found = archive_terms(store, query, limit)
        except QueryError as exc:
            raise Failure(str(exc)) from None
    if as_json:
        _print_json(found)
        return EXIT_OK
    matched, read = found["matched"], found["sample"]
    click.echo(f"{matched} articles match {query!r}")
    if read < matched:
        click.echo(f"words from a random sample of {read} of them")
    if not matched:
        return EXIT_OK
    click.echo(f"characteristic words (count, score): {SCORE_MEANING}")
    for t in found["terms"]:
        click.echo(f"  {t['count']:7d}  {t['score']:8.2f}  {t['term']}")
    for name, key in (("sources", "name"), ("attributions", "name"), ("days", "day")):
        click.echo(f"top {name}:")
        for entry in found[name]:
            click.echo(f"  {entry['count']:7d}  {entry[key]}")
    return EXIT_OK


COMMANDS = (search, kwic, coverage, stats, trend, terms)
