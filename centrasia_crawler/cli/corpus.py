"""Corpus tools: ``collocates``, ``words`` and ``network``. Read-only; never imports
Scrapy."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import click

from centrasia_crawler.cli.common import (
    EXIT_OK,
    Failure,
    archive_option,
    open_archive,
    output_options,
)

#: The periods ``--by`` takes (those of ``trend``).
from centrasia_crawler.normalize.periods import PERIODS

CSV_HELP = "CSV for spreadsheets."


def _sample_option(function: Any) -> Any:
    return click.option(
        "--sample",
        type=click.IntRange(min=0),
        default=1000,
        show_default=True,
        help="On more matching articles, read a random sample of this many (0: all).",
    )(function)


def _stop_option(function: Any) -> Any:
    return click.option(
        "--stop-words", is_flag=True, help="Keep stop words (и, в, это, ...): left out by default."
    )(function)


def _run(call: Any) -> Any:
    """``call()``, its errors made one line."""
    from centrasia_crawler.archive.corpus import CorpusError
    from centrasia_crawler.archive.entities import EntitiesNotTagged
    from centrasia_crawler.archive.network import NetworkError
    from centrasia_crawler.archive.search_query import QueryError

    try:
        return call()
    except (QueryError, CorpusError, NetworkError, EntitiesNotTagged, ValueError) as exc:
        raise Failure(str(exc)) from None


def _emit(rows: list[dict[str, Any]], as_csv: bool, data: Any, as_json: bool) -> bool:
    """Print ``data`` as JSON or ``rows`` as CSV if asked; whether it printed."""
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return True
    if as_csv:
        if rows:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        return True
    return False


def _sampled(found: dict[str, Any], total_key: str) -> None:
    if found["sample"] < found[total_key]:
        click.echo(
            f"counted in a random sample of {found['sample']:,} of {found[total_key]:,} articles,"
            " scaled (estimates)"
        )


@click.command()
@click.argument("query")
@archive_option()
@click.option(
    "--window",
    type=click.IntRange(min=1, max=50),
    default=5,
    show_default=True,
    help="Words either side of a match.",
)
@click.option("--by", type=click.Choice(PERIODS), help="A list per period.")
@click.option(
    "--min",
    "min_count",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Least co-occurrences a collocate needs.",
)
@click.option(
    "--sort",
    type=click.Choice(("logdice", "ll")),
    default="logdice",
    show_default=True,
    help="Rank by logDice or by log-likelihood.",
)
@_stop_option
@_sample_option
@output_options(csv=CSV_HELP, limit=(50, 0, "Collocates (per period; 0: all)."))
def collocates(
    query: str,
    archive: str,
    window: int,
    by: str | None,
    min_count: int,
    sort: str,
    limit: int,
    stop_words: bool,
    sample: int,
    as_json: bool,
    as_csv: bool,
) -> int:
    """The words (lemmas) that occur near QUERY's matches, strongest first.

    For each: how often it is within --window words of a match (cofreq), its
    occurrences in the whole archive (total), logDice (Rychlý 2008; 14 at most, the
    measure of Sketch Engine: how exclusively the two go together) and log-likelihood
    (Dunning 1993; 3.84 or more: p < 0.05, 10.83: p < 0.001). --by gives a list per
    period, to show how a word's company changes.

    Examples:

    \b
        centrasia collocates Жапаров
        centrasia collocates '"новая конституция"' --window 3 --by year --csv
    """
    from centrasia_crawler.archive.corpus import collocates as find

    with open_archive(archive) as store:
        found = _run(
            lambda: find(
                store,
                query,
                window=window,
                by=by,
                min_count=min_count,
                stop_words=stop_words,
                limit=limit or None,
                sort=sort,
                sample=sample,
            )
        )
    if _emit(found["collocates"], as_csv, found, as_json):
        return EXIT_OK
    click.echo(f"{found['matched']:,} articles match {query!r}: {found['nodes']:,} matches")
    _sampled(found, "matched")
    if not found["collocates"]:
        click.echo(f"no word occurs {min_count} times or more within {window} words of them")
        return EXIT_OK
    period = None
    click.echo(f"{'cofreq':>9} {'total':>10} {'logDice':>8} {'LL':>10}  lemma")
    for row in found["collocates"]:
        if row.get("period") != period:
            period = row.get("period")
            click.echo(f"{period}:")
        click.echo(
            f"{row['cofreq']:>9} {row['total']:>10} {row['logdice']:>8.2f} {row['ll']:>10.1f}"
            f"  {row['lemma']}"
        )
    return EXIT_OK


@click.command()
@click.argument("query", required=False)
@archive_option()
@click.option(
    "--ngrams",
    type=click.IntRange(min=1, max=3),
    default=1,
    show_default=True,
    help="Words in a row: 1 to 3.",
)
@click.option(
    "--by",
    type=click.Choice(("lemma", "form")),
    default="lemma",
    show_default=True,
    help="Count lemmas (every form of a word together) or forms as written.",
)
@_stop_option
@_sample_option
@output_options(csv=CSV_HELP, limit=(50, 0, "Entries (0: all)."))
def words(
    query: str | None,
    archive: str,
    ngrams: int,
    by: str,
    limit: int,
    stop_words: bool,
    sample: int,
    as_json: bool,
    as_csv: bool,
) -> int:
    """A frequency list of the archive's words, or of the articles matching QUERY.

    Lemmas or forms (lower case, ё as е), alone or as n-grams (within the title or
    the body); an n-gram that begins or ends with a stop word is left out unless
    --stop-words. per_million: occurrences per million tokens of the articles counted.
    The whole archive's lemmas are the counts the index keeps; other lists are counted
    in the articles (a random sample of --sample of them on more).

    Examples:

    \b
        centrasia words --limit 100
        centrasia words Жапаров --ngrams 2 --by form --csv
    """
    from centrasia_crawler.archive.corpus import words as count

    with open_archive(archive) as store:
        found = _run(
            lambda: count(
                store,
                query,
                ngrams=ngrams,
                by=by,
                stop_words=stop_words,
                limit=limit or None,
                sample=sample,
            )
        )
    if _emit(found["words"], as_csv, found, as_json):
        return EXIT_OK
    what = "the archive" if query is None else f"{found['articles']:,} articles matching {query!r}"
    click.echo(f"{found['tokens']:,} tokens in {what}")
    _sampled(found, "articles")
    click.echo(f"{'count':>10} {'per million':>12}  {'n-gram' if ngrams > 1 else by}")
    for row in found["words"]:
        click.echo(f"{row['count']:>10} {row['per_million']:>12.2f}  {row['word']}")
    return EXIT_OK


@click.command()
@click.argument("query")
@archive_option()
@click.option(
    "--kind",
    type=click.Choice(("person", "place", "org", "country")),
    help="Only entities of this kind (country: the countries of every entity named).",
)
@click.option(
    "--min",
    "min_weight",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Least articles an edge needs.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The file to write: .gexf (Gephi) or .csv (an edge list).",
)
def network(query: str, archive: str, kind: str | None, min_weight: int, output: str) -> int:
    """The entities named together in the articles matching QUERY, as a graph.

    Two entities are joined by an edge weighted by the articles naming both (with the
    first and last day of one); nodes carry their label, type and articles. GEXF
    (networkx's writer; Gephi opens it) needs networkx: pip install
    'centrasia-crawler[research]'. A .csv is an edge list: source, target, weight,
    first, last.

    Examples:

    \b
        centrasia network Жапаров --kind person -o japarov.gexf
        centrasia network 'газ' --kind country --min 5 -o gas.csv
    """
    from centrasia_crawler.archive import network as graphs

    path = Path(output)
    if path.suffix.lower() not in (".gexf", ".csv"):
        raise Failure(f"-o {output}: give a .gexf or a .csv file")
    if path.suffix.lower() == ".gexf":
        _run(lambda: graphs.graph({"nodes": [], "edges": []}))  # networkx installed?
    with open_archive(archive) as store:
        found = _run(lambda: graphs.edges(store, query, kind=kind, min_weight=min_weight))
    try:
        graphs.write(found, path)
    except OSError as exc:
        raise Failure(f"cannot write {output}: {exc}") from None
    matched, nodes, edges = found["matched"], len(found["nodes"]), len(found["edges"])
    click.echo(
        f"{matched:,} {'article matches' if matched == 1 else 'articles match'} {query!r}:"
        f" {nodes:,} {'entity' if nodes == 1 else 'entities'},"
        f" {edges:,} {'edge' if edges == 1 else 'edges'} of {min_weight}+ articles -> {output}"
    )
    return EXIT_OK


COMMANDS = (collocates, words, network)
