"""Keeping ``article_entities`` up to date: which gazetteer entities each article names.

Articles are tagged as they are stored, in the same transaction (:func:`tag_articles`).
The tags depend on the gazetteer (the package's, plus a researcher's own file kept in
the archive: :func:`set_extra_gazetteer`), on the tagger and on the morphology: when one
changes, :func:`build_tags` (``centrasia upgrade``, or a writable open) tags every
article again, a batch per transaction, on worker processes, resuming where a killed run
stopped, as the search index is built (:mod:`centrasia_crawler.archive.morph`).
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache, partial
from typing import Any, Final

from centrasia_crawler import workers
from centrasia_crawler.archive import entity_articles, meta
from centrasia_crawler.archive.schema import COUNTRY_LIST_SQL
from centrasia_crawler.archive.transactions import immediate
from centrasia_crawler.entities.gazetteer import (
    Entity,
    Gazetteer,
    Name,
    Post,
    builtin_text,
    parse,
    read_years,
)
from centrasia_crawler.entities.tagger import ALGORITHM, Tagger, year_of
from centrasia_crawler.normalize.morphology import Morphology

_BATCH: Final = 2000
#: archive_meta keys.
_VERSION, _BUILDING, _UPTO, _EXTRA = (
    "entities_version",
    "entities_building",
    "entities_tagged_upto",
    "gazetteer_extra",
)

Row = tuple[int, str, str, str | None]  # st, title, body, published_date


# --- the archive's gazetteer ---------------------------------------------------------------


@lru_cache(maxsize=4)
def _gazetteer(extra: str | None) -> Gazetteer:
    texts = [("gazetteer.toml", builtin_text())]
    if extra:
        texts.append(("the archive's own gazetteer", extra))
    return parse(texts)


@lru_cache(maxsize=4)
def _tagger(extra: str | None) -> Tagger:
    return Tagger(_gazetteer(extra))


def gazetteer(conn: sqlite3.Connection) -> Gazetteer:
    """This archive's gazetteer: the package's, and its own extra file."""
    return _gazetteer(meta.get(conn, _EXTRA))


def stored_gazetteer(conn: sqlite3.Connection) -> Gazetteer | None:
    """The gazetteer the archive's articles were tagged with, as its ``entities``,
    ``entity_names`` and ``entity_posts`` keep it (far cheaper than parsing the TOML
    files again); None before any is stored. The rows are read on every call and the
    gazetteer built from them is kept, keyed by the rows themselves (the last few)."""
    return _built_gazetteer(
        tuple(conn.execute("SELECT entity_id, name, kind, years FROM entity_names")),
        tuple(conn.execute("SELECT entity_id, title, years FROM entity_posts")),
        tuple(
            conn.execute(
                "SELECT id, name, type, country, geonames, kind, description FROM entities"
            )
        ),
    )


@lru_cache(maxsize=4)
def _built_gazetteer(
    name_rows: tuple[tuple[Any, ...], ...],
    post_rows: tuple[tuple[Any, ...], ...],
    entity_rows: tuple[tuple[Any, ...], ...],
) -> Gazetteer | None:
    names: dict[str, list[Name]] = {}
    for entity_id, name, kind, years in name_rows:
        names.setdefault(entity_id, []).append(Name(name, kind, read_years(years)))
    posts: dict[str, list[Post]] = {}
    for entity_id, title, years in post_rows:
        posts.setdefault(entity_id, []).append(Post(title, read_years(years)))
    found = [
        Entity(
            id=ident,
            name=name,
            type=kind,
            country=country,
            geonames=geonames,
            kind=sort,
            description=description,
            names=tuple(names.get(ident, ())),
            posts=tuple(posts.get(ident, ())),
        )
        for ident, name, kind, country, geonames, sort, description in entity_rows
    ]
    return Gazetteer(found) if found else None


def version(conn: sqlite3.Connection) -> str:
    """What the tags depend on: the tagger, the gazetteer's files, the morphology."""
    return f"{ALGORITHM}/{gazetteer(conn).version}/{Morphology.version()}"


def set_extra_gazetteer(
    conn: sqlite3.Connection, text: str | None, source: str = "your gazetteer"
) -> None:
    """Keep a researcher's own gazetteer file in the archive (None: drop it); the tags
    are then outdated until :func:`build_tags` runs. Checked before it is kept (errors
    name ``source``)."""
    if text is not None:
        parse([("gazetteer.toml", builtin_text()), (source, text)])
    with immediate(conn):
        meta.put(conn, _EXTRA, text)


def tags_ready(conn: sqlite3.Connection) -> bool:
    """Whether every article is tagged with today's gazetteer."""
    return meta.get(conn, _VERSION) == version(conn)


def tags_outdated(conn: sqlite3.Connection) -> str | None:
    """Why the articles need tagging again, or None."""
    built = meta.get(conn, _VERSION)
    if built == version(conn) or conn.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is None:
        return None
    if built is None and meta.get(conn, _BUILDING):
        return "its articles are being tagged with entities"
    if built is None:
        return "its articles are not tagged with entities yet"
    return "its entity tags were made with another gazetteer"


# --- writing entities and tags (in the caller's transaction) ---------------------------


def store_gazetteer(conn: sqlite3.Connection, gazetteer: Gazetteer) -> None:
    """Make the archive's ``entities``, ``entity_names`` and ``entity_posts`` those of
    ``gazetteer``: entities added or brought up to date by id (their articles' rows kept),
    their names and posts replaced, and entities the gazetteer no longer has deleted with
    their ``article_entities`` rows; the lists of ``article_tags`` follow for the
    articles of every entity renamed, moved to another country or deleted."""
    before = {i: (n, c) for i, n, c in conn.execute("SELECT id, name, country FROM entities")}
    after = {e.id: (e.name, e.country) for e in gazetteer}
    changed = [i for i, was in before.items() if after.get(i) != was]
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS _retag (st INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM _retag")
    conn.executemany(
        "INSERT OR IGNORE INTO _retag SELECT st FROM article_entities WHERE entity_id = ?",
        [(i,) for i in changed],
    )
    gone = [(i,) for i in before if i not in after]
    for table in ("article_entities", "entity_names", "entity_posts"):
        conn.executemany(f"DELETE FROM {table} WHERE entity_id = ?", gone)
    conn.executemany("DELETE FROM entities WHERE id = ?", gone)
    conn.executemany(
        "INSERT INTO entities (id, name, type, country, kind, geonames, description)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
        " type = excluded.type, country = excluded.country, kind = excluded.kind,"
        " geonames = excluded.geonames, description = excluded.description",
        [(e.id, e.name, e.type, e.country, e.kind, e.geonames, e.description) for e in gazetteer],
    )
    ids = [(e.id,) for e in gazetteer]
    conn.executemany("DELETE FROM entity_names WHERE entity_id = ?", ids)
    conn.executemany("DELETE FROM entity_posts WHERE entity_id = ?", ids)
    conn.executemany(
        "INSERT OR IGNORE INTO entity_names (entity_id, name, kind, years) VALUES (?, ?, ?, ?)",
        [(e.id, n.text, n.kind, n.years or None) for e in gazetteer for n in e.names],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO entity_posts (entity_id, title, years) VALUES (?, ?, ?)",
        [
            (e.id, p.title, ", ".join(str(x) for x in p.periods) or None)
            for e in gazetteer
            for p in e.posts
        ],
    )
    _refresh_tags(conn, "SELECT st FROM _retag")
    conn.execute("DROP TABLE _retag")


def forget_tags(conn: sqlite3.Connection) -> None:
    """Take every article's entities out (before tagging them all again), and the
    entities' arrays of articles, to be built again after."""
    conn.execute("DELETE FROM article_entities")
    conn.execute("DELETE FROM article_tags")
    entity_articles.forget(conn)


def _refresh_tags(conn: sqlite3.Connection, sts: str, params: Sequence[Any] = ()) -> None:
    """Rewrite the ``article_tags`` row of each article that ``sts`` (a SELECT) gives."""
    conn.execute(
        "INSERT OR REPLACE INTO article_tags (st, countries)"
        f" SELECT a.st, {COUNTRY_LIST_SQL.format(st='a.st')} FROM articles AS a"
        f" WHERE a.st IN ({sts})",
        params,
    )


#: One entity an article names: ``(st, entity_id, mentions, in_title)``.
TagRow = tuple[int, str, int, bool | int]


def write_entities(conn: sqlite3.Connection, sts: Sequence[int], tags: Iterable[TagRow]) -> None:
    """Replace the entities of the articles ``sts`` by ``tags`` (an entity given twice
    for an article: its mentions added, in the title if either says so), and their
    lists in ``article_tags``. An article of ``sts`` without tags names none (it is
    tagged all the same)."""
    merged: dict[tuple[int, str], tuple[int, int]] = {}
    for st, entity_id, mentions, in_title in tags:
        seen = merged.get((st, entity_id), (0, 0))
        merged[st, entity_id] = (seen[0] + int(mentions), max(seen[1], int(bool(in_title))))
    conn.executemany("DELETE FROM article_entities WHERE st = ?", [(st,) for st in sts])
    conn.executemany(
        "INSERT INTO article_entities (st, entity_id, mentions, in_title) VALUES (?, ?, ?, ?)",
        [(st, e, m, t) for (st, e), (m, t) in merged.items()],
    )
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS _retag (st INTEGER PRIMARY KEY)")
    conn.execute("DELETE FROM _retag")
    conn.executemany("INSERT OR IGNORE INTO _retag (st) VALUES (?)", [(st,) for st in sts])
    _refresh_tags(conn, "SELECT st FROM _retag")
    conn.execute("DELETE FROM _retag")


# --- tagging -------------------------------------------------------------------------------


def tag_rows(rows: Sequence[Row], extra: str | None = None) -> list[TagRow]:
    """The tags of ``(st, title, body, published_date)`` rows (pure: runs in workers)."""
    found = _tagger(extra)
    return [
        (st, tag.entity_id, tag.mentions, int(tag.in_title))
        for st, title, body, day in rows
        for tag in found.tag(title or "", body or "", year_of(day))
    ]


def _select(conn: sqlite3.Connection, where: str, args: Sequence[Any]) -> list[Row]:
    return conn.execute(
        f"SELECT st, title, body, published_date FROM articles WHERE {where}", args
    ).fetchall()


def tag_articles(conn: sqlite3.Connection, sts: Sequence[int]) -> None:
    """Tag these stored articles again (inside the caller's transaction). While the
    archive is being tagged from scratch only those the builder has passed are tagged
    here; an archive never tagged waits for :func:`build_tags`."""
    if not sts:
        return
    ready = tags_ready(conn)
    if not ready and meta.get(conn, _BUILDING) != version(conn):
        return
    upto = None if ready else int(meta.get(conn, _UPTO) or -1)
    chosen = [st for st in sts if upto is None or st <= upto]
    rows: list[Row] = []
    for start in range(0, len(chosen), 500):
        chunk = chosen[start : start + 500]
        rows += _select(conn, f"st IN ({','.join('?' * len(chunk))})", chunk)
    write_entities(conn, chosen, tag_rows(rows, meta.get(conn, _EXTRA)))


def build_tags(conn: sqlite3.Connection, progress: Callable[[str], None] | None = None) -> int:
    """Tag every article with today's gazetteer, unless done; the articles tagged.

    Each batch is one transaction that also records how far the tagging got, so a run
    killed half-way leaves an archive that opens, and the next run carries on. Batches
    are tagged in worker processes a few ahead while this process writes
    (:func:`~centrasia_crawler.workers.ordered_map`), and checked against the articles
    as they are when written (a crawl may have changed some meanwhile).
    """
    current = version(conn)
    if meta.get(conn, _VERSION) == current:
        return 0
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    with immediate(conn):
        if meta.get(conn, _BUILDING) != current:  # start afresh
            forget_tags(conn)
            store_gazetteer(conn, gazetteer(conn))
            meta.put(conn, _VERSION, None)
            meta.put(conn, _BUILDING, current)
            meta.put(conn, _UPTO, "-1")
    extra = meta.get(conn, _EXTRA)
    _tagger(extra)  # built before the workers fork, so they share it
    done = 0
    while True:
        upto = int(meta.get(conn, _UPTO) or -1)
        left = conn.execute("SELECT count(*) FROM articles WHERE st > ?", (upto,)).fetchone()[0]
        if not left and _finish(conn, current):
            return done
        jobs = min(workers.cores(), 4) if left > 2 * _BATCH else 1
        tagged = partial(tag_rows, extra=extra)
        for rows, tags in workers.ordered_map(tagged, _batches(conn, upto), workers=jobs):
            written = _write_batch(conn, rows, tags, extra)
            if written is None:
                break  # another process tagged these meanwhile
            done += written
            if left > _BATCH:
                say(f"centrasia: tagging entities: {min(done, left):,} of {left:,} articles")


def _batches(conn: sqlite3.Connection, after: int) -> Iterator[list[Row]]:
    """The articles past ``after``, a batch at a time, read as the map asks for them."""
    while rows := _select(conn, "st > ? ORDER BY st LIMIT ?", (after, _BATCH)):
        after = rows[-1][0]
        yield rows


def _write_batch(
    conn: sqlite3.Connection, rows: list[Row], tags: list[TagRow], extra: str | None
) -> int | None:
    """Write one batch's tags and how far the tagging got; the articles written, or
    None when another process got there first."""
    first, last = rows[0][0], rows[-1][0]
    with immediate(conn):
        upto = int(meta.get(conn, _UPTO) or -1)
        if upto >= first:
            return None
        now = _select(conn, "st > ? AND st <= ? ORDER BY st", (upto, last))
        if now != rows:  # added or changed since they were read: tag them as they are
            tags = tag_rows(now, extra)
        write_entities(conn, [row[0] for row in now], tags)
        meta.put(conn, _UPTO, str(last))
    return len(now)


def _finish(conn: sqlite3.Connection, current: str) -> bool:
    """Mark the tagging complete, unless a crawl added articles meanwhile."""
    with immediate(conn):
        upto = int(meta.get(conn, _UPTO) or -1)
        if conn.execute("SELECT 1 FROM articles WHERE st > ? LIMIT 1", (upto,)).fetchone():
            return False
        meta.put(conn, _VERSION, current)
        meta.put(conn, _BUILDING, None)
        meta.put(conn, _UPTO, None)
    return True
