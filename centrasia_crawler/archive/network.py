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
import json
from collections.abc import Iterator
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from centrasia_crawler.archive import entity_articles

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
    import numpy as np  # here: the other corpus commands share this module's errors

    from centrasia_crawler.archive.entities import _require_tagged
    from centrasia_crawler.archive.search import matching, run_matching

    if kind is not None and kind not in KINDS:
        raise NetworkError(f"kind: {kind!r} is not one of person, place, org, country")
    if min_weight < 1:
        raise NetworkError(f"min: {min_weight} must be 1 or more")
    _require_tagged(archive)
    conn = archive.conn
    if kind == "country":
        node_of = dict(conn.execute("SELECT id, country FROM entities WHERE country IS NOT NULL"))
    elif kind is not None:
        node_of = {
            i: i for (i,) in conn.execute("SELECT id FROM entities WHERE type = ?", [KINDS[kind]])
        }
    else:
        node_of = {i: i for (i,) in conn.execute("SELECT id FROM entities")}
    # Each matching article is a bit, in the order of its day (its rank): a node is the
    # set of bits of the articles naming it, an edge's weight the bits two nodes share,
    # its first and last day those of the lowest and highest of them.
    found_sql, params = matching(archive, query, indexed_by="articles_meta")
    found = run_matching(
        archive, query, f"SELECT a.st, a.published_date {found_sql}", params
    ).fetchall()
    found.sort(key=itemgetter(1, 0))
    size = len(found)
    days = [day for _, day in found]
    # The matching sts in st order, to find an entity's articles among them by binary
    # search, and the rank of each.
    by_rank = np.fromiter((st for st, _ in found), dtype=np.int64, count=size)
    order = np.argsort(by_rank, kind="stable")
    ordered = by_rank[order]
    marked: dict[str, Any] = {}
    for entity_id, sts_of in _tags(archive, ordered.tolist(), sorted(node_of) if kind else None):
        key = node_of.get(entity_id)
        if key is None or not size:
            continue
        where = np.minimum(np.searchsorted(ordered, sts_of), size - 1)
        ranks = order[where[ordered[where] == sts_of]]
        buffer = marked.get(key)
        if buffer is None:
            buffer = marked[key] = np.zeros(size, dtype=bool)
        buffer[ranks] = True
    masks: dict[str, int] = {}
    articles: dict[str, int] = {}
    for key, buffer in marked.items():
        mask = _mask(buffer)
        count = mask.bit_count()
        if count:
            articles[key] = count
            if count >= min_weight:
                masks[key] = mask
    keys = sorted(masks)
    edges = []
    for i, a in enumerate(keys):
        mask = masks[a]
        for b in keys[i + 1 :]:
            both = mask & masks[b]
            weight = both.bit_count()
            if weight >= min_weight:
                first = days[(both & -both).bit_length() - 1]
                edges.append((a, b, weight, first, days[both.bit_length() - 1]))
    edges.sort(key=lambda row: (-row[2], row[0], row[1]))
    joined = {n for row in edges for n in row[:2]}
    return {
        "matched": len(found),
        "nodes": _nodes(archive, {n: articles[n] for n in joined}, kind),
        "edges": [dict(zip(EDGE_COLUMNS, row, strict=True)) for row in edges],
    }


def _tags(
    archive: Archive, sts: list[int], entities: list[str] | None
) -> Iterator[tuple[str, Any]]:
    """Each entity named in the articles ``sts``, with the articles naming it (a numpy
    array of sts): some of them, and perhaps others, since on a broad query (a quarter of
    the archive or more) the tags are read by entity (of ``entities``; None: all): from
    :mod:`~centrasia_crawler.archive.entity_articles`, each entity's articles in a few
    rows, else through the (entity_id, st) index, which reads fewer rows than looking up
    each article and comes grouped."""
    import numpy as np

    conn = archive.conn
    total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    if len(sts) * 4 < total:
        grouped: dict[str, list[int]] = {}
        for st, entity_id in conn.execute(
            "SELECT ae.st, ae.entity_id FROM json_each(?) AS m"
            " JOIN article_entities ae ON ae.st = m.value",
            [json.dumps(sts)],
        ):
            grouped.setdefault(entity_id, []).append(st)
        for entity_id, listed in grouped.items():
            yield entity_id, np.array(listed, dtype=np.int64)
        return
    kept = entity_articles.read(conn, entities)
    if kept is not None:  # each entity's articles in a few rows, not a row a tag
        yield from kept.items()
    else:
        yield from entity_articles.from_tags(conn, entities)


def _mask(marked: Any) -> int:
    """The articles marked (a numpy array of booleans, one an article) as the bits of an
    integer, the first article the lowest bit."""
    import numpy as np

    return int.from_bytes(np.packbits(marked, bitorder="little").tobytes(), "little")


def _nodes(archive: Archive, articles: dict[str, int], kind: str | None) -> list[dict[str, Any]]:
    """The nodes: their label, type, and the matching articles naming them."""
    conn = archive.conn
    if kind == "country":
        labels = dict(
            conn.execute("SELECT country, name FROM entities WHERE type = 'country'").fetchall()
        )
        types = dict.fromkeys(articles, "country")
    else:
        info = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT id, name, type FROM entities WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(sorted(articles), ensure_ascii=False),),
            )
        }
        labels = {n: info[n][0] for n in info}
        types = {n: info[n][1] for n in info}
    return [
        {"id": n, "label": labels.get(n, n), "type": types.get(n), "articles": articles[n]}
        for n in sorted(articles)
    ]


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
