"""Querying the archive: ``search``, ``kwic``, ``coverage``, ``stats``, and attention
over time: ``trend``, ``terms``. Read-only; never imports Scrapy."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import click

from centrasia_crawler.cli.common import (
    EXIT_OK,
    STORIES_HELP,
    Failure,
    archive_option,
    by_option,
    open_archive,
    output_form,
    output_options,
    range_options,
    write_output,
    write_plot,
)

F = TypeVar("F", bound=Callable[..., Any])


#: What a ``terms`` score is, in one sentence.
SCORE_MEANING = (
    "the score is a z-score of the word's log-odds ratio in these articles against the"
    " whole archive; 2 or more is more than chance, higher is more characteristic"
)


def _marked(snippet: str) -> str:
    from centrasia_crawler.archive.snippets import MARK_CLOSE, MARK_OPEN

    return snippet.replace(MARK_OPEN, "[").replace(MARK_CLOSE, "]").replace("\n", " ")


def say_notes(command: str, queries: Iterable[str], store: Any) -> None:
    """How each query was read, where that is not what it says: a line each on stderr
    (a query that cannot be read says so when it runs)."""
    from centrasia_crawler.archive.search_query import QueryError
    from centrasia_crawler.archive.search_query import notes as query_notes

    for query in queries:
        try:
            notes = query_notes(store.conn, query)
        except QueryError:
            continue
        for note in notes:
            click.echo(f"centrasia {command}: note: {note}", err=True)


def check_range(since: Any, until: Any) -> None:
    """A range that holds no day is a usage error, not an empty answer."""
    if since and until and since > until:
        raise Failure(f"--since {since} is after --until {until}: no day is in between")


def check_names(store: Any, source: str | None, attribution: str | None) -> None:
    """A ``--source`` or ``--attribution`` that names no article is a usage error with
    the three closest names (asked only when nothing matched)."""
    from centrasia_crawler.archive.search import names_no_article

    for option, column, value in (
        ("--source", "source", source),
        ("--attribution", "attribution", attribution),
    ):
        if value is None:
            continue
        close = names_no_article(store, column, value)
        if close is not None:
            hint = f"; the closest: {', '.join(close)}" if close else ""
            raise Failure(f"{option} {value!r} names no article in the archive{hint}")


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
@click.option("--exact", is_flag=True, help="Only the forms as typed, not every form of a word.")
@click.option("--count", "count_only", is_flag=True, help="Print only how many articles match.")
@click.option("--stories", is_flag=True, help=f"{STORIES_HELP} One row per story, its reprints.")
@output_options(limit=(20, 0, "Results (0: all of them)."))
def search(
    query: str,
    since: Any,
    until: Any,
    archive: str,
    source: str | None,
    attribution: str | None,
    exact: bool,
    count_only: bool,
    limit: int,
    as_json: bool,
    stories: bool = False,
) -> int:
    """Search titles and bodies, best matches first (a title match counts more).

    One form of a word finds every form ('Казахстан' finds 'в Казахстане'), a phrase
    whatever the case of its words; --exact finds only the forms typed. Words side by
    side must all occur; "a phrase" or «a phrase», OR, NOT, -word (without it),
    NEAR(a b, 10), prefix*, title:word (in the headline), -title:word (not in the
    headline), body:word and parentheses combine freely. Case and ё/е do not matter.
    @Name, in any form, stands for every name of a gazetteer entity (@Астане: Акмола,
    Астана, Нур-Султан). Articles whose headline matches come first. A query that
    begins with '-' goes after '--'.

    Examples:

    \b
        centrasia search 'Садыр Жапаров' --since 2026-01-01
        centrasia search '"Центральная Азия" NOT Китай' --json
        centrasia search 'title:(Жапаров OR Ташиев)' --count
        centrasia search '@"Касым-Жомарт Токаев" газ'
        centrasia search '"редкоземельные металлы"' --source ИноСМИ --exact
    """
    from centrasia_crawler.archive.search import Filters, count
    from centrasia_crawler.archive.search import search as search_archive
    from centrasia_crawler.archive.search_query import QueryError

    check_range(since, until)
    filters = Filters(since=since, until=until, source=source, attribution=attribution)
    with open_archive(archive) as store:
        if not exact:
            say_notes("search", [query], store)
        if not exact and not store.index_ready():
            click.echo(
                "centrasia search: the search index is still being built; results are partial",
                err=True,
            )
        try:
            if stories and not count_only:
                return _story_results(store, query, filters, limit or None, exact, as_json)
            if count_only:
                total = count(store, query, filters, exact=exact)
            else:
                results = search_archive(store, query, filters, limit or None, exact=exact)
                total = (
                    len(results)
                    if len(results) < limit or not limit
                    else count(store, query, filters, exact=exact)
                )
        except QueryError as exc:
            raise Failure(str(exc)) from None
        if not total:
            check_names(store, source, attribution)
    form = output_form(as_json)
    if count_only:
        write_output({"query": query, "articles": total}, form, table=lambda _: str(total))
        return EXIT_OK
    for r in results:
        r["snippet"] = _marked(r["snippet"])
    write_output(results, form, table=_results_table)
    if not as_json:
        shown = f"{len(results)} of {total}" if total > len(results) else f"{total}"
        click.echo(f"{shown} result{'s' if total != 1 else ''}", err=True)
    return EXIT_OK


def _story_results(
    store: Any, query: str, filters: Any, limit: int | None, exact: bool, as_json: bool
) -> int:
    """``search --stories``: the best result of each story, with its reprints."""
    from centrasia_crawler.archive.search import search as search_archive
    from centrasia_crawler.archive.stories import first_of_stories

    results = search_archive(store, query, filters, limit and limit * 5, exact=exact)
    rows = first_of_stories(store, results, limit)
    if limit and len(rows) < limit and len(results) == limit * 5:  # reprints filled the page
        rows = first_of_stories(store, search_archive(store, query, filters, None, exact=exact))
        rows = rows[:limit]
    for r in rows:
        r["snippet"] = _marked(r["snippet"])
    write_output(rows, output_form(as_json), table=_story_table)
    if not as_json:
        click.echo(f"{len(rows)} stor{'ies' if len(rows) != 1 else 'y'}", err=True)
    return EXIT_OK


def _story_table(rows: list[dict[str, Any]]) -> Iterator[str]:
    """Three lines a story: its best article's date, title and source; the URL and how
    many articles the story has; the snippet."""
    for r in rows:
        source_name = f" — {r['source']}" if r["source"] else ""
        yield f"{r['published_at'][:16].replace('T', ' ')}  {r['title']}{source_name}"
        yield f"  {r['url']}  ({r['reprints']} article{'s' if r['reprints'] != 1 else ''})"
        yield f"  {r['snippet']}"


def _results_table(results: list[dict[str, Any]]) -> Iterator[str]:
    """Three lines a search result: when, title and source; the URL; the snippet."""
    for r in results:
        source_name = f" — {r['source']}" if r["source"] else ""
        yield f"{r['published_at'][:16].replace('T', ' ')}  {r['title']}{source_name}"
        yield f"  {r['url']}"
        yield f"  {r['snippet']}"


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
@click.option("--exact", is_flag=True, help="Only the forms as typed, not every form of a word.")
@click.option(
    "--sort",
    type=click.Choice(["date", "left", "right"]),
    default="date",
    show_default=True,
    help=(
        "date: oldest first; left/right: by the three whole words left/right of the"
        " match, nearest first (AntConc's 1L-3L, 1R-3R), then by date."
    ),
)
@output_options(
    limit=(None, 0, "At most this many lines (chosen after the sort; 0: all, as search)."),
    json="A JSON list of lines with the same keys.",
    csv="CSV: date, st, column, left, match, right, url.",
)
def kwic(
    query: str,
    since: Any,
    until: Any,
    archive: str,
    source: str | None,
    attribution: str | None,
    width: int,
    exact: bool,
    sort: str,
    limit: int | None,
    as_json: bool,
    as_csv: bool,
) -> int:
    """A concordance (keyword in context): every occurrence of what QUERY matches, as
    the article spells it, with its left and right context, in the matching articles,
    oldest first, or sorted by the context as AntConc sorts it. A phrase shows whole.
    Queries read as in 'centrasia search'.

    Examples:

    \b
        centrasia kwic Жапаров --width 60
        centrasia kwic '"новая конституция"' --since 2026-01-01 --csv > kwic.csv
        centrasia kwic Казахстан --sort right --limit 100
    """
    from centrasia_crawler.archive.search import KWIC_KEYS, Filters
    from centrasia_crawler.archive.search import kwic as archive_kwic
    from centrasia_crawler.archive.search_query import QueryError

    check_range(since, until)
    filters = Filters(since=since, until=until, source=source, attribution=attribution)
    with open_archive(archive) as store:
        if not exact:
            say_notes("kwic", [query], store)
        try:
            lines = archive_kwic(
                store, query, filters, width=width, exact=exact, sort=sort, limit=limit or None
            )
            shown = write_output(
                lines,
                output_form(as_json, as_csv),
                columns=KWIC_KEYS,
                table=lambda rows: (_kwic_line(line, width) for line in rows),
            )
        except QueryError as exc:
            raise Failure(str(exc)) from None
        if not shown:
            check_names(store, source, attribution)
    click.echo(f"{shown} line{'s' if shown != 1 else ''}", err=True)
    return EXIT_OK


def _kwic_line(line: dict[str, Any], width: int) -> str:
    """A concordance line aligned on its match."""
    return (
        f"{line['date']}  {line['st']:>10}  {line['left']:>{width}}"
        f"  {line['match']}  {line['right']}"
    )


@click.command()
@range_options
@output_options(json=None, plot="Draw articles per day with the gaps marked (matplotlib).")
def coverage(since: Any, until: Any, archive: str, plot: str | None) -> int:
    """Per day: headlines the site listed, articles archived, listed but missing,
    listed but forbidden by robots.txt, revisions; the days never crawled; the crawl
    commands that fill the gaps (robots.txt's refusals are no gap: no crawl fills them).

    Example:

    \b
        centrasia coverage --since 2026-02-01 --plot coverage.png
    """
    from centrasia_crawler.archive.coverage import coverage as archive_coverage

    check_range(since, until)
    with open_archive(archive) as store:
        cover = archive_coverage(store, since, until)
        site = store.site()
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
        many = "articles are" if len(forbidden) > 1 else "article is"
        click.echo(
            f"{len(forbidden)} listed {many} forbidden to crawlers by the site's"
            f" robots.txt (no crawl can fetch them): st {shown}"
        )
    for start, end in cover.gaps:
        click.echo(f"gap {start} .. {end}: centrasia crawl --since {start} --until {end}")
    if plot:
        from centrasia_crawler.plot import plot_coverage

        write_plot(plot, lambda path: plot_coverage(cover, path, site=site))
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
@output_options()
def stats(archive: str, top: int, as_json: bool) -> int:
    """Totals, top sources (by outlet), top attributions, first and last article, and
    how many date or source lines under articles were not read.

    Example:

    \b
        centrasia stats --top 20
    """
    from centrasia_crawler.archive.coverage import stats as archive_stats

    with open_archive(archive) as store:
        figures = archive_stats(store, top)
    if as_json:
        write_output(figures, "json")
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
@by_option()
@range_options
@output_options(
    json="A JSON list of rows.",
    csv="CSV with the same columns.",
    plot="Draw one line per query; incomplete periods shaded (matplotlib).",
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

    check_range(since, until)
    with open_archive(archive) as store:
        say_notes("trend", queries, store)
        try:
            rows = archive_trend(store, queries, by, since, until, stories)  # type: ignore[arg-type]
            site = store.site()
        except QueryError as exc:
            raise Failure(str(exc)) from None
    if plot:
        if not rows:
            raise Failure("nothing to plot: the archive has no articles in that range")
        from centrasia_crawler.plot import plot_trend

        write_plot(plot, lambda path: plot_trend(rows, by, path, share, site=site))
    form = output_form(as_json, as_csv)
    write_output(rows, form, columns=TREND_KEYS, table=lambda rows: _trend_table(rows, queries))
    if plot and form == "text":
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
@output_options(limit=(30, 1, "Entries per list."))
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
        say_notes("terms", [query], store)
        try:
            found = archive_terms(store, query, limit)
        except QueryError as exc:
            raise Failure(str(exc)) from None
    if as_json:
        write_output(found, "json")
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
