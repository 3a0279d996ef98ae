"""Who and where the articles are about: the gazetteer's entities in the archive
(``entities``, ``entity_names``, ``entity_posts``), each article's entities
(``article_entities``) and countries (the ``article_countries`` view), and the
researcher's reads over them: ``centrasia entities`` and ``centrasia countries``.

The writes are the tagger's (:mod:`centrasia_crawler.archive.tagging`).

Reads: :func:`entities` ranks the entities of the articles a query matches (the same
matching as ``search``, ``trend`` and ``terms``) with their lift over the whole
archive; :func:`countries` counts articles per country per period, complete or not as
``trend`` says (:func:`~centrasia_crawler.archive.attention.period_frame`);
:func:`entity` and :func:`entity_trend` are an entity's page.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from typing import TYPE_CHECKING, Any, Final

from centrasia_crawler.archive import meta, summaries
from centrasia_crawler.archive.attention import PERIOD_KEYS, STORY_SQL, period_frame, story_totals
from centrasia_crawler.archive.search import Filters, matching, run_matching
from centrasia_crawler.entities.gazetteer import TYPES
from centrasia_crawler.normalize.periods import period_of

if TYPE_CHECKING:
    from centrasia_crawler.archive.store import Archive

#: An entity's row in ``centrasia entities --json``, in order.
ENTITY_KEYS: Final = ("name", "type", "country", "articles", "mentions", "share", "lift")
#: A row of ``centrasia countries --json``, in order (``trend``'s, the country for the query).
COUNTRY_KEYS: Final = ("country", "name", *PERIOD_KEYS)


class EntitiesNotTagged(RuntimeError):
    """The archive's articles have not been tagged with the gazetteer's entities yet."""


NOT_TAGGED: Final = (
    "the archive's articles are not tagged with entities yet: run `centrasia upgrade`"
)


def tagged(conn: sqlite3.Connection) -> bool:
    """Whether the archive's articles are tagged: it holds the gazetteer's entities
    (the tagger stores them before it tags the first article) and no tagging from
    scratch is under way (:mod:`centrasia_crawler.archive.tagging`)."""
    if conn.execute("SELECT 1 FROM entities LIMIT 1").fetchone() is None:
        return False
    return meta.get(conn, "entities_building") is None


def _require_tagged(archive: Archive) -> None:
    if not tagged(archive.conn):
        raise EntitiesNotTagged(NOT_TAGGED)


# --- reads ----------------------------------------------------------------------------


def _matched_sts(archive: Archive, query: str | None, filters: Filters) -> tuple[str, list[Any]]:
    """A SELECT of the st of the articles ``query`` and ``filters`` match (every article
    with neither)."""
    if query is None or not query.strip():
        where, params = filters.where()
        return f"SELECT a.st FROM articles a INDEXED BY articles_meta WHERE {where}", params
    found, params = matching(archive, query, filters, indexed_by="articles_meta")
    return f"SELECT a.st {found}", params


def entities(
    archive: Archive,
    query: str | None = None,
    filters: Filters | None = None,
    *,
    type: str | None = None,
    limit: int | None = 20,
    stories: bool = False,
) -> dict[str, Any]:
    """The entities most present in the articles matching ``query`` and ``filters``
    (every article with neither): ``{"matched": N, "entities": [...]}``, each entity
    with ``articles`` (matching articles naming it), ``mentions`` (their sum), ``share``
    (articles / N) and ``lift`` (its share against its share of the whole archive), most
    articles first (then most mentions, then by name). ``type`` keeps one type; ``limit``
    None: all. With ``stories``, stories are counted instead of articles (``matched``,
    ``articles`` and the lift's shares: the stories with an article that matches and
    names the entity). Raises :class:`QueryError` on a bad query,
    :class:`EntitiesNotTagged` on an archive not tagged yet."""
    if type is not None and type not in TYPES:
        raise ValueError(f"type: {type!r} is not one of {', '.join(TYPES)}")
    _require_tagged(archive)
    filters = filters or Filters()
    whole = (query is None or not query.strip()) and filters == Filters()
    sts, params = _matched_sts(archive, query, filters)
    conn = archive.conn
    if stories:
        return _entity_stories(archive, query, (sts, params), type, limit)
    total = summaries.totals(conn)["articles"]
    if whole:
        # The whole archive's counts are the ones the writer keeps.
        matched = total
        found = summaries.entity_counts(conn, type)
    else:
        counted = run_matching(archive, query or "", f"SELECT count(*) FROM ({sts})", params)
        matched = int(counted.fetchone()[0])
        found = _entity_counts(archive, query, (sts, params), matched, total, type)
    info = _entity_info(conn, type)
    ranked = _ranked(found, info)
    listed = ranked[:limit] if limit is not None else ranked
    # The listed entities' articles in the whole archive, as the writer counts them.
    everywhere = {e: n for e, (n, _) in (found if whole else summaries.entity_counts(conn)).items()}
    return _listed(listed, found, info, matched, everywhere, total)


def _entity_stories(
    archive: Archive,
    query: str | None,
    matching_sts: tuple[str, list[Any]],
    type: str | None,
    limit: int | None,
) -> dict[str, Any]:
    """:func:`entities` counting stories: each entity's stories among those matched,
    against its stories among all the archive's."""
    sts, params = matching_sts
    conn = archive.conn
    story = STORY_SQL.replace("a.st", "ae.st")
    everywhere = dict(
        conn.execute(
            f"SELECT ae.entity_id, count(DISTINCT {story}) FROM article_entities ae"
            " GROUP BY ae.entity_id"
        )
    )
    total = int(conn.execute(f"SELECT count(DISTINCT {STORY_SQL}) FROM articles a").fetchone()[0])
    counted = run_matching(
        archive,
        query or "",
        f"SELECT count(DISTINCT {STORY_SQL}) FROM articles a WHERE a.st IN ({sts})",
        params,
    )
    matched = int(counted.fetchone()[0])
    rows = run_matching(
        archive,
        query or "",
        f"SELECT ae.entity_id, count(DISTINCT {story}), sum(ae.mentions) FROM article_entities ae"
        f" WHERE ae.st IN ({sts}) GROUP BY ae.entity_id",
        params,
    ).fetchall()
    found = {entity_id: (n, mentions) for entity_id, n, mentions in rows}
    info = _entity_info(conn, type)
    ranked = _ranked(found, info)
    listed = ranked[:limit] if limit is not None else ranked
    return _listed(listed, found, info, matched, everywhere, total)


def _entity_info(conn: sqlite3.Connection, type: str | None) -> dict[str, tuple[Any, ...]]:
    """Each entity's ``(name, type, country)`` by id, of one type if ``type`` is given."""
    where, params = (" WHERE type = ?", (type,)) if type else ("", ())
    rows = conn.execute("SELECT id, name, type, country FROM entities" + where, params)
    return {row[0]: tuple(row[1:]) for row in rows}


def _ranked(found: dict[str, tuple[int, int]], info: dict[str, tuple[Any, ...]]) -> list[str]:
    """The entities found (of ``info``), most articles first, then most mentions, then
    by name."""
    return sorted(
        (e for e in found if e in info),
        key=lambda e: (-found[e][0], -found[e][1], info[e][0], e),
    )


def _listed(
    listed: list[str],
    found: dict[str, tuple[int, int]],
    info: dict[str, tuple[Any, ...]],
    matched: int,
    everywhere: dict[str, int],
    total: int,
) -> dict[str, Any]:
    """The rows of :func:`entities`: each listed entity's counts, share and lift."""
    out = []
    for entity_id in listed:
        n, mentions = found[entity_id]
        name, kind, country = info[entity_id]
        share = n / matched
        base = everywhere.get(entity_id, 0) / total if total else 0.0
        lift = round(share / base, 3) if base else None
        row = (name, kind, country, n, int(mentions), round(share, 6), lift)
        out.append(dict(zip(ENTITY_KEYS, row, strict=True)))
    return {"matched": matched, "entities": out}


def _entity_counts(
    archive: Archive,
    query: str | None,
    matching_sts: tuple[str, list[Any]],
    matched: int,
    total: int,
    type: str | None = None,
) -> dict[str, tuple[int, int]]:
    """Per entity (of ``type``, when given), the matching articles naming it and their
    mentions.

    Few matching articles: their entities through article_entities' primary key (st
    first), then grouped. Many (a fifth of the archive or more): the (entity_id, st,
    mentions) index read in order, each row kept if its article matches, no sort; with
    ``type``, only that type's ranges of it."""
    sts, params = matching_sts
    group = "SELECT ae.entity_id, count(*), sum(ae.mentions)"
    of_type, type_params = "", []
    if type is not None:
        of_type, type_params = "ae.entity_id IN (SELECT id FROM entities WHERE type = ?)", [type]
    if matched * 5 < total:
        sql = (
            f"{group} FROM ({sts}) AS matched CROSS JOIN article_entities ae ON ae.st = matched.st"
        )
        sql += f" WHERE {of_type}" if of_type else ""
        params = [*params, *type_params]
    else:
        sql = (
            f"{group} FROM article_entities ae INDEXED BY article_entities_entity"
            f" WHERE {of_type + ' AND ' if of_type else ''}+ae.st IN ({sts})"
        )
        params = [*type_params, *params]
    rows = run_matching(archive, query or "", f"{sql} GROUP BY ae.entity_id", params).fetchall()
    return {entity_id: (n, mentions) for entity_id, n, mentions in rows}


def countries(
    archive: Archive,
    by: str = "month",
    since: dt.date | None = None,
    until: dt.date | None = None,
    query: str | None = None,
    top: int | None = None,
    stories: bool = False,
) -> list[dict[str, Any]]:
    """Articles per country per period, as ``trend`` counts a query's: one row per
    country (its ISO code and its name) and period (every period of the range, empty
    ones as 0), the country's articles (an article counts once for each of its
    countries, those of the ``article_countries`` view, as ``article_tags`` keeps
    them), all articles archived in the period, the share and whether the period is
    complete. Countries with the most articles in the range first (``top``: only that
    many), then by code; with ``query``, only the articles it matches count. With
    ``stories``, stories are counted instead of articles (``trend``'s ``stories``)."""
    _require_tagged(archive)
    frame = period_frame(archive, by, since, until)  # type: ignore[arg-type]
    if frame is None:
        return []
    if stories:
        frame.totals = story_totals(archive, frame, by)  # type: ignore[arg-type]
        counts = _country_stories(archive, by, frame.first, frame.last, query)
    else:
        counts = _country_counts(archive, by, frame.first, frame.last, query)
    names = dict(archive.conn.execute("SELECT country, name FROM entities WHERE type = 'country'"))
    order = sorted(counts, key=lambda c: (-sum(counts[c].values()), c))
    rows = []
    for country in order[:top] if top else order:
        name = names.get(country, country)
        for label in frame.labels:
            rows.append(
                {"country": country, "name": name, **frame.row(label, counts[country][label])}
            )
    return rows


def _country_counts(
    archive: Archive, by: str, first: dt.date, last: dt.date, query: str | None
) -> dict[str, Counter[str]]:
    """Per country, its articles by period label.

    Without a query, the counts per country and day the writer keeps
    (``summary_country_days``), a month or a year grouped by its prefix. With one, each
    article's countries are stored as one list (article_tags: the countries of
    article_countries): the articles are grouped by their list and day first (a list is
    common to many articles), then each group counted for each of its countries; a
    month or a year is a prefix of the day (period_of's labels), grouped in SQL."""
    day = {"month": "substr(a.published_date, 1, 7)", "year": "substr(a.published_date, 1, 4)"}
    counts: dict[str, Counter[str]] = {}
    labels: dict[str, str] = {}

    def label(key: str) -> str:
        if key not in labels:
            labels[key] = key if by in day else period_of(dt.date.fromisoformat(key), by)  # type: ignore[arg-type]
        return labels[key]

    if query is None or not query.strip():  # the counts the writer keeps
        prefix = {"month": 7, "year": 4}.get(by)
        for country, key, n in summaries.country_periods(
            archive.conn, first.isoformat(), last.isoformat(), prefix
        ):
            counts.setdefault(country, Counter())[label(key)] += n
        return counts
    where = "a.published_date BETWEEN ? AND ?"
    params: list[Any] = [first.isoformat(), last.isoformat()]
    sts, found = _matched_sts(archive, query, Filters(since=first, until=last))
    where += f" AND t.st IN ({sts})"
    params += found
    sql = (
        "SELECT j.value, g.day, sum(g.n) FROM (SELECT t.countries AS countries,"
        f" {day.get(by, 'a.published_date')} AS day, count(*) AS n FROM article_tags t"
        f" JOIN articles a INDEXED BY articles_meta ON a.st = t.st WHERE {where}"
        " GROUP BY 1, 2) AS g, json_each(g.countries) AS j GROUP BY j.value, g.day"
    )
    for country, key, n in run_matching(archive, query, sql, params):
        counts.setdefault(country, Counter())[label(key)] += n
    return counts


def _country_stories(
    archive: Archive, by: str, first: dt.date, last: dt.date, query: str | None
) -> dict[str, Counter[str]]:
    """Per country, its stories by period label: the stories with an article of the
    period about the country (and matching ``query``)."""
    where = "a.published_date BETWEEN ? AND ?"
    params: list[Any] = [first.isoformat(), last.isoformat()]
    if query is not None and query.strip():
        sts, found = _matched_sts(archive, query, Filters(since=first, until=last))
        where += f" AND t.st IN ({sts})"
        params += found
    sql = (
        f"SELECT j.value, a.published_date, {STORY_SQL} FROM article_tags t"
        f" JOIN articles a ON a.st = t.st, json_each(t.countries) AS j WHERE {where}"
    )
    seen: dict[str, dict[str, set[int]]] = {}
    for country, day, story in run_matching(archive, query or "", sql, params):
        label = period_of(dt.date.fromisoformat(day), by)  # type: ignore[arg-type]
        seen.setdefault(country, {}).setdefault(label, set()).add(story)
    return {c: Counter({k: len(v) for k, v in p.items()}) for c, p in seen.items()}


def article_entities(archive: Archive, st: int) -> list[dict[str, Any]]:
    """The entities article ``st`` names (``id name type country mentions in_title``),
    the most mentioned first; none for an article not tagged (or not archived)."""
    keys = ("id", "name", "type", "country", "mentions", "in_title")
    found = archive.conn.execute(
        "SELECT e.id, e.name, e.type, e.country, ae.mentions, ae.in_title"
        " FROM article_entities ae JOIN entities e ON e.id = ae.entity_id"
        " WHERE ae.st = ? ORDER BY ae.mentions DESC, e.name",
        (st,),
    )
    return [dict(zip(keys, row, strict=True)) for row in found]


class AmbiguousEntity(LookupError):
    """A name several entities share; the message (one line) names them."""


def find_entity(archive: Archive, key: str) -> str | None:
    """The id of the entity whose id is ``key``, or the one of whose names (as stored)
    it is; None if none. A name several entities share raises :class:`AmbiguousEntity`."""
    row = archive.conn.execute("SELECT id FROM entities WHERE id = ?", (key,)).fetchone()
    if row is not None:
        return str(row[0])
    found = archive.conn.execute(
        "SELECT DISTINCT e.id, e.name FROM entity_names n JOIN entities e ON e.id = n.entity_id"
        " WHERE fold(n.name) = fold(?) ORDER BY e.id",
        (key,),
    ).fetchall()
    if len(found) > 1:
        which = ", ".join(f"{name} ({ident})" for ident, name in found)
        raise AmbiguousEntity(f"{key!r} names {len(found)} entities: say which, {which}")
    return str(found[0][0]) if found else None


def entity(archive: Archive, key: str, *, limit: int = 20) -> dict[str, Any] | None:
    """An entity (by id, or by one of its names) as its page shows it: ``id name type
    country kind geonames description``, its ``names`` (``name kind years``) and
    ``posts`` (``title years``), its ``articles`` and ``mentions`` in the whole archive,
    its ``first`` and ``last`` article's day, and ``with``: the entities the most of its
    articles also name (``id name type country articles``). None if there is none."""
    _require_tagged(archive)
    entity_id = find_entity(archive, key)
    if entity_id is None:
        return None
    conn = archive.conn
    keys = ("id", "name", "type", "country", "kind", "geonames", "description")
    row = conn.execute(f"SELECT {', '.join(keys)} FROM entities WHERE id = ?", (entity_id,))
    found: dict[str, Any] = dict(zip(keys, row.fetchone(), strict=True))
    found["names"] = [
        {"name": n, "kind": k, "years": y}
        for n, k, y in conn.execute(
            "SELECT name, kind, years FROM entity_names WHERE entity_id = ?"
            " ORDER BY coalesce(substr(years, 1, 4), ''), name",
            (entity_id,),
        )
    ]
    found["posts"] = [
        {"title": t, "years": y}
        for t, y in conn.execute(
            "SELECT title, years FROM entity_posts WHERE entity_id = ? ORDER BY years, title",
            (entity_id,),
        )
    ]
    n, mentions, first, last = summaries.entity_totals(conn, entity_id)
    found.update({"articles": n, "mentions": mentions, "first": first, "last": last})
    companions = summaries.entity_companions(conn, entity_id, limit)
    named = {
        i: (name, kind, country)
        for i, name, kind, country in conn.execute(
            "SELECT id, name, type, country FROM entities WHERE id IN"
            f" ({', '.join('?' * len(companions))})",
            [i for i, _ in companions],
        )
    }
    found["with"] = sorted(
        (
            {"id": i, "name": name, "type": kind, "country": country, "articles": count}
            for i, count in companions
            if i in named
            for name, kind, country in [named[i]]
        ),
        key=lambda w: (-w["articles"], w["name"]),
    )
    return found


def entity_trend(
    archive: Archive,
    entity_id: str,
    by: str = "year",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[dict[str, Any]]:
    """The articles naming the entity (its id, or one of its names) per period, as
    ``trend`` counts a query's: ``entity period articles total share complete``
    (``entity``: its name). An unknown name raises LookupError, a shared one
    :class:`AmbiguousEntity`."""
    _require_tagged(archive)
    ident = find_entity(archive, entity_id)
    if ident is None:
        raise LookupError(f"no entity is named {entity_id!r}")
    entity_id = ident
    row = archive.conn.execute("SELECT name FROM entities WHERE id = ?", (entity_id,)).fetchone()
    frame = period_frame(archive, by, since, until)  # type: ignore[arg-type]
    if frame is None:
        return []
    counts: Counter[str] = Counter()
    for day, n in summaries.entity_days(
        archive.conn, entity_id, frame.first.isoformat(), frame.last.isoformat()
    ):
        counts[period_of(dt.date.fromisoformat(day), by)] += n  # type: ignore[arg-type]
    return [{"entity": row[0], **frame.row(label, counts[label])} for label in frame.labels]
