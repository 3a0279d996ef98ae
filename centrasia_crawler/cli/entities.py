"""Who and where: ``entities`` (the people, places, organisations and countries most
present in a query's articles) and ``countries`` (articles per country per period).
Read-only; thin over :mod:`centrasia_crawler.archive.entities`."""

from __future__ import annotations

from typing import Any

import click

from centrasia_crawler.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    STORIES_HELP,
    Failure,
    by_option,
    open_archive,
    output_form,
    output_options,
    range_options,
    write_output,
    write_plot,
)

#: What lift is, in one sentence.
LIFT_MEANING = (
    "lift: the entity's share of these articles over its share of the whole archive"
    " (2: named twice as often as usual)"
)


@click.command()
@click.argument("query", required=False)
@click.option(
    "--type",
    "kind",
    type=click.Choice(["person", "place", "organization", "country"]),
    help="Only entities of this type.",
)
@range_options
@click.option("--source", help="Only articles from this source.")
@click.option("--stories", is_flag=True, help=STORIES_HELP)
@output_options(limit=(20, 0, "Entities listed (0: all of them)."))
def entities(
    query: str | None,
    kind: str | None,
    since: Any,
    until: Any,
    archive: str,
    source: str | None,
    limit: int,
    stories: bool,
    as_json: bool,
) -> int:
    """The people, places, organisations and countries most present in the articles
    matching QUERY (without one, the whole archive): the matching articles naming each,
    its mentions in them, its share of them, and its lift over the whole archive.

    Queries read as in 'centrasia search'. An entity is found under every name it had
    (Акмола, Астана and Нур-Султан are one place); 'centrasia upgrade' tags an archive
    stored before entities.

    Examples:

    \b
        centrasia entities '"новая конституция"' --type person
        centrasia entities Газпром --since 2025-01-01 --limit 10
        centrasia entities --type country --json
    """
    from centrasia_crawler.archive.entities import EntitiesNotTagged
    from centrasia_crawler.archive.entities import entities as archive_entities
    from centrasia_crawler.archive.search import Filters
    from centrasia_crawler.archive.search_query import QueryError

    filters = Filters(since=since, until=until, source=source)
    with open_archive(archive) as store:
        try:
            found = archive_entities(
                store, query, filters, type=kind, limit=limit or None, stories=stories
            )
        except QueryError as exc:
            raise Failure(str(exc)) from None
        except EntitiesNotTagged as exc:
            raise Failure(str(exc), EXIT_FAILED) from None
    if as_json:
        write_output(found, "json")
        return EXIT_OK
    whole = not (query and query.strip()) and filters == Filters()
    what = f"match {query!r}" if query else "in the archive"
    within = [f"from {since}" if since else "", f"to {until}" if until else ""]
    within.append(f"from source {source!r}" if source else "")
    what = " ".join([what, *(w for w in within if w)])
    click.echo(_entities_table(found, what, lift=not whole, unit="stor" if stories else "article"))
    return EXIT_OK


#: The plural ending of what ``entities`` counts.
PLURAL = {"article": "s", "stor": "ies"}


def _entities_table(
    found: dict[str, Any], what: str, lift: bool = True, unit: str = "article"
) -> str:
    """The table of ``centrasia entities`` for the articles ``what`` says; without
    ``lift`` (the whole archive, where every lift is 1) its column is left out."""
    matched, rows = found["matched"], found["entities"]
    plural = ("ies" if matched != 1 else "y") if unit == "stor" else ("s" if matched != 1 else "")
    lines = [f"{matched} {unit}{plural} {what}"]
    if not rows:
        lines.append("no entity is named in them")
        return "\n".join(lines)
    width = max(len("name"), *(len(r["name"]) for r in rows))
    lines.append(
        f"{'name':<{width}}  {'type':<12}  {'country':<7}  {unit + PLURAL[unit]:>8}"
        f"  {'mentions':>8}"
        f"  {'share':>7}" + (f"  {'lift':>7}" if lift else "")
    )
    for r in rows:
        shown = f"{r['lift']:.2f}" if r["lift"] is not None else "-"
        lines.append(
            f"{r['name']:<{width}}  {r['type']:<12}  {r['country'] or '':<7}"
            f"  {r['articles']:8d}  {r['mentions']:8d}  {r['share']:7.1%}"
            + (f"  {shown:>7}" if lift else "")
        )
    if lift:
        lines.append(LIFT_MEANING)
    return "\n".join(lines)


@click.command()
@by_option()
@range_options
@click.option("--query", help="Only the articles this query matches (as in 'centrasia search').")
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="The countries with the most articles in the range (0: all of them).",
)
@output_options(
    json="A JSON list of rows.",
    csv="CSV with the same columns.",
    plot="Draw one line per country; incomplete periods shaded (matplotlib).",
)
@click.option("--share", is_flag=True, help="Plot the share of all articles, not counts.")
@click.option("--stories", is_flag=True, help=STORIES_HELP)
def countries(
    by: str,
    since: Any,
    until: Any,
    archive: str,
    query: str | None,
    top: int,
    as_json: bool,
    as_csv: bool,
    plot: str | None,
    share: bool,
    stories: bool,
) -> int:
    """How many articles are about each country per period, against all archived
    articles. An article is about the countries of the entities it names (a capital, a
    president, a parliament count for their country), each once.

    Countries are ISO 3166-1 codes (KZ, KG, UZ, TJ, TM, AF, RU, CN, ...). A period is
    complete as in 'centrasia trend': '*' marks the others, so a low count there may
    only mean not crawled.

    Examples:

    \b
        centrasia countries --since 2020-01-01 --by year
        centrasia countries --by week --top 6 --plot countries.png
        centrasia countries --query Газ --csv > gas-countries.csv
    """
    from centrasia_crawler.archive.entities import COUNTRY_KEYS, EntitiesNotTagged
    from centrasia_crawler.archive.entities import countries as archive_countries
    from centrasia_crawler.archive.search_query import QueryError

    with open_archive(archive) as store:
        try:
            rows = archive_countries(store, by, since, until, query, top or None, stories)
            site = store.site()
        except QueryError as exc:
            raise Failure(str(exc)) from None
        except EntitiesNotTagged as exc:
            raise Failure(str(exc), EXIT_FAILED) from None
    if plot:
        _plot(rows, by, plot, share, site)
    form = output_form(as_json, as_csv)
    write_output(rows, form, columns=COUNTRY_KEYS, table=_countries_table)
    if plot and form == "text":
        click.echo(f"plot written to {plot}")
    return EXIT_OK


def _plot(rows: list[dict[str, Any]], by: str, plot: str, share: bool, site: str) -> None:
    """Draw the countries' rows to ``plot`` (a PNG, SVG or PDF), headed with ``site``, or
    fail in one line."""
    if not rows:
        raise Failure("nothing to plot: no article about a country in that range")
    from centrasia_crawler.plot import plot_countries

    write_plot(plot, lambda path: plot_countries(rows, by, path, share, site=site))


def _countries_table(rows: list[dict[str, Any]]) -> str:
    """A row per period, a column per country: its articles (and their share)."""
    if not rows:
        return "no article about a country in that range"
    by_period: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        by_period.setdefault(r["period"], {})[r["name"]] = r
    codes = list(dict.fromkeys(r["name"] for r in rows))
    width = max(len("period"), *(len(p) for p in by_period))
    cells = {
        (p, c): f"{r['articles']} ({r['share']:.0%})" if r["share"] is not None else "0"
        for p, found in by_period.items()
        for c, r in found.items()
    }
    columns = {c: max(len(c), *(len(cells[(p, c)]) for p in by_period)) for c in codes}
    lines = ["period".ljust(width) + "".join(f"  {c:>{columns[c]}}" for c in codes) + "    total"]
    for period, found in by_period.items():
        first = found[codes[0]]
        flag = "" if first["complete"] else "  *"
        line = period.ljust(width) + "".join(f"  {cells[(period, c)]:>{columns[c]}}" for c in codes)
        lines.append(line + f"  {first['total']:7d}{flag}")
    if any(not r["complete"] for r in rows):
        lines.append(
            "* the archive is incomplete for this period (days not crawled or articles missing)"
        )
    return "\n".join(lines)


COMMANDS = (entities, countries)
