"""Co-occurrence networks: who appears with whom (``centrasia network``).

The nodes are the gazetteer's entities (or, with ``kind="country"``, the countries, ISO
3166-1 alpha-2, an article naming any place of a country naming the country) that the
articles a query matches name, as the tagger found them (``article_entities``); two
nodes are joined by an edge weighted by the number of those articles that name both,
with the first and last day of such an article. The graph is written as GEXF with
networkx's writer (Gephi opens it) or as a CSV edge list.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import networkx as nx

    from centrasia_crawler.archive.store import Archive

#: ``--kind`` -> the type in the ``entities`` table (``country``: the entities' country).
KINDS: Final = {
    "person": "person",
    "place": "place",
    "org": "organization",
    "organization": "organization",
    "country": "country",
}
#: The extra that installs networkx.
EXTRA: Final = "research"
#: The columns of the CSV edge list.
EDGE_COLUMNS: Final = ("source", "target", "weight", "first", "last")


class NetworkError(ValueError):
    """An option the network cannot take; the message is one line."""


def edges(
    archive: Archive, query: str, *, kind: str | None = None, min_weight: int = 3
) -> dict[str, Any]:
    """The co-occurrence network of ``query``'s articles: ``{"matched", "nodes": [{"id",
    "label", "type", "articles"}], "edges": [{"source", "target", "weight", "first",
    "last"}]}``; edges of at least ``min_weight`` articles, heaviest first; the nodes
    those edges join. ``kind``: one of ``person place org country`` (None: every
    entity). Raises :class:`~centrasia_crawler.archive.entities.EntitiesNotTagged` on an
    archive not tagged yet."""
    from centrasia_crawler.archive.entities import _matched_sts, _require_tagged
    from centrasia_crawler.archive.queries import Filters, run_matching

    if kind is not None and kind not in KINDS:
        raise NetworkError(f"kind: {kind!r} is not one of person, place, org, country")
    if min_weight < 1:
        raise NetworkError(f"min: {min_weight} must be 1 or more")
    _require_tagged(archive)
    sts, params = _matched_sts(archive, query, Filters())
    if kind == "country":
        node, where, extra = "e.country", "e.country IS NOT NULL", []
    elif kind is not None:
        node, where, extra = "e.id", "e.type = ?", [KINDS[kind]]
    else:
        node, where, extra = "e.id", "1", []
    sql = f"""
        WITH m AS MATERIALIZED (
            SELECT a.st AS st, a.published_date AS day
            FROM articles a WHERE a.st IN ({sts})
        ),
        t AS MATERIALIZED (
            SELECT DISTINCT ae.st AS st, {node} AS node
            FROM m JOIN article_entities ae ON ae.st = m.st
            JOIN entities e ON e.id = ae.entity_id
            WHERE {where}
        )
        SELECT x.node, y.node, count(*) AS weight, min(m.day), max(m.day)
        FROM t AS x JOIN t AS y ON y.st = x.st AND y.node > x.node
        JOIN m ON m.st = x.st
        GROUP BY x.node, y.node HAVING count(*) >= ?"""
    found = run_matching(archive, query, sql, [*params, *extra, min_weight]).fetchall()
    found.sort(key=lambda row: (-row[2], row[0], row[1]))
    matched = run_matching(archive, query, f"SELECT count(*) FROM ({sts})", params)
    named = {n for row in found for n in row[:2]}
    return {
        "matched": int(matched.fetchone()[0]),
        "nodes": _nodes(archive, query, (sts, params), node, where, extra, named, kind),
        "edges": [dict(zip(EDGE_COLUMNS, row, strict=True)) for row in found],
    }


def _nodes(
    archive: Archive,
    query: str,
    matched: tuple[str, list[Any]],
    node: str,
    where: str,
    extra: list[Any],
    named: set[str],
    kind: str | None,
) -> list[dict[str, Any]]:
    """The nodes ``named``: their label, type, and matching articles naming them."""
    from centrasia_crawler.archive.queries import run_matching

    if not named:
        return []
    sts, params = matched
    sql = f"""
        SELECT {node}, count(DISTINCT ae.st)
        FROM article_entities ae JOIN entities e ON e.id = ae.entity_id
        WHERE ae.st IN ({sts}) AND {where} GROUP BY 1"""
    articles = dict(run_matching(archive, query, sql, [*params, *extra]).fetchall())
    conn = archive.conn
    if kind == "country":
        labels = dict(
            conn.execute("SELECT country, name FROM entities WHERE type = 'country'").fetchall()
        )
        types = dict.fromkeys(named, "country")
    else:
        info = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT id, name, type FROM entities WHERE id IN (SELECT value FROM json_each(?))",
                (_json(sorted(named)),),
            )
        }
        labels = {n: info[n][0] for n in info}
        types = {n: info[n][1] for n in info}
    return [
        {"id": n, "label": labels.get(n, n), "type": types.get(n), "articles": articles.get(n, 0)}
        for n in sorted(named)
    ]


def _json(values: list[str]) -> str:
    import json

    return json.dumps(values, ensure_ascii=False)


def graph(network: dict[str, Any]) -> nx.Graph:
    """The network as a networkx graph (nodes with ``label type articles``, edges with
    ``weight first last``); a missing networkx raises :class:`NetworkError` naming the
    extra that installs it."""
    try:
        import networkx as nx
    except ImportError:
        raise NetworkError(
            f"networkx is not installed: pip install 'centrasia-crawler[{EXTRA}]'"
        ) from None
    g = nx.Graph()
    for n in network["nodes"]:
        g.add_node(n["id"], label=n["label"], type=n["type"] or "", articles=n["articles"])
    for e in network["edges"]:
        g.add_edge(
            e["source"],
            e["target"],
            weight=e["weight"],
            first=e["first"] or "",
            last=e["last"] or "",
        )
    return g


def write(network: dict[str, Any], path: Path) -> str:
    """Write the network to ``path``: GEXF (``.gexf``) or a CSV edge list (``.csv``) of
    the nodes' labels; the format written."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        labels = {n["id"]: n["label"] for n in network["nodes"]}
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(EDGE_COLUMNS)
            for e in network["edges"]:
                writer.writerow(
                    [labels[e["source"]], labels[e["target"]], e["weight"], e["first"], e["last"]]
                )
        return "csv"
    if suffix != ".gexf":
        raise NetworkError(f"output: {path.name!r} is neither .gexf nor .csv")
    built = graph(network)
    import networkx as nx

    nx.write_gexf(built, path)
    return "gexf"
