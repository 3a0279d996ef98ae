"""Each entity's articles at once (``entity_articles``): what a network of a broad query
reads instead of a row a tag.

``centrasia network`` needs, for every entity, which of a query's articles name it.
Read from ``article_entities`` that is a row a tag: 6.75 million on the 300,000-article
benchmark archive, 0.6-1.3 s of SQLite's ``group_concat`` alone. Here each entity's sts
are kept in order as arrays of 64-bit integers, in chunks of about :data:`CHUNK`, and
read in milliseconds.

``article_entities`` stays the truth. Triggers (schema 23) write every row written to
it or taken from it into ``entity_articles_log``; :func:`fold` brings the chunks up to
date with the log and empties it (the writer, when the log has grown:
:func:`fold_if_long`; ``centrasia upgrade``); :func:`read` applies the log to the
chunks, so that a reader is never behind. :func:`build` makes the chunks from
``article_entities`` (the first writable open after the upgrade to 23); until then
:func:`read` answers None and the network reads the tags.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from centrasia_crawler.archive import meta

#: The sts a chunk holds when written whole; a chunk that grows past twice this is cut.
CHUNK: Final = 4096
#: The rows of the log past which the writer folds it into the chunks.
FOLD_AT: Final = 50_000
#: ``archive_meta`` key: "1" once the chunks have been built.
_BUILT: Final = "entity_articles_built"
#: How the sts are written: little-endian signed 64-bit integers.
_DTYPE: Final = "<i8"


def built(conn: sqlite3.Connection) -> bool:
    """Whether the chunks have been built (and so, with the log, are the tags)."""
    return meta.get(conn, _BUILT) == "1"


def build(conn: sqlite3.Connection) -> bool:
    """Make the chunks from ``article_entities`` unless they are built, in the caller's
    transaction; whether they were made."""

    if built(conn):
        return False
    conn.execute("DELETE FROM entity_articles")
    conn.execute("DELETE FROM entity_articles_log")
    for entity_id, sts in from_tags(conn):
        _write(conn, entity_id, sts)
    meta.put(conn, _BUILT, "1")
    return True


def from_tags(
    conn: sqlite3.Connection, entities: list[str] | None = None
) -> Iterator[tuple[str, Any]]:
    """Each entity's sts (of ``entities``; None: every one) read from
    ``article_entities`` itself, a row a tag, through its (entity_id, st) index: a
    sorted numpy array each, entities naming no article left out."""
    import numpy as np

    where, params = _where(entities)
    for entity_id, listed in conn.execute(
        "SELECT entity_id, group_concat(st) FROM article_entities"
        f" INDEXED BY article_entities_entity{where} GROUP BY entity_id",
        params,
    ):
        yield entity_id, np.unique(np.fromstring(listed, dtype=np.int64, sep=","))


def forget(conn: sqlite3.Connection) -> None:
    """Empty the chunks and the log and mark them not built, in the caller's
    transaction: every article is to be tagged again (:func:`build` then makes them
    once, not a log of every tag)."""
    conn.execute("DELETE FROM entity_articles")
    conn.execute("DELETE FROM entity_articles_log")
    meta.put(conn, _BUILT, None)


def read(conn: sqlite3.Connection, entities: list[str] | None = None) -> dict[str, Any] | None:
    """Each entity's sts (of ``entities``; None: every one) as a sorted numpy array,
    the chunks with the log applied; entities naming no article left out. None while
    the chunks are not built."""
    import numpy as np

    # The chunks and the log of one moment: a writer's fold between the two reads would
    # leave the chunks without the changes it took out of the log.
    with _snapshot(conn):
        if not built(conn):
            return None
        where, params = _where(entities)
        parts: dict[str, list[Any]] = {}
        for entity_id, data in conn.execute(
            f"SELECT entity_id, sts FROM entity_articles{where} ORDER BY entity_id, first_st",
            params,
        ):
            parts.setdefault(entity_id, []).append(np.frombuffer(data, dtype=_DTYPE))
        changes = _changes(conn, entities)
    found = {e: p[0] if len(p) == 1 else np.concatenate(p) for e, p in parts.items()}
    for entity_id, (added, removed) in changes.items():
        found[entity_id] = _applied(found.get(entity_id, _empty()), added, removed)
    return {e: sts for e, sts in found.items() if len(sts)}


@contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction for the reads inside (unless the caller holds one)."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def differing(conn: sqlite3.Connection) -> int:
    """How many entities' arrays (the log applied) differ from their rows in
    ``article_entities`` (``centrasia check --full``); 0 while they are not built."""
    import numpy as np

    kept = read(conn)
    if kept is None:
        return 0
    tags = dict(from_tags(conn))
    return sum(
        1
        for entity_id in tags.keys() | kept.keys()
        if not np.array_equal(tags.get(entity_id, _empty()), kept.get(entity_id, _empty()))
    )


def fold(conn: sqlite3.Connection) -> int:
    """Bring the chunks up to date with the log and empty it, in the caller's
    transaction; the rows of the log folded. Only the chunks the changes fall in are
    written again: a chunk holds the sts from its ``first_st`` to the next chunk's (the
    first chunk, any lower one too)."""
    import numpy as np

    if not built(conn):
        return 0
    folded = conn.execute("SELECT count(*) FROM entity_articles_log").fetchone()[0]
    for entity_id, (added, removed) in _changes(conn, None).items():
        chunks = conn.execute(
            "SELECT first_st, sts FROM entity_articles WHERE entity_id = ? ORDER BY first_st",
            (entity_id,),
        ).fetchall()
        firsts = [first for first, _ in chunks]
        if not chunks:
            _write(conn, entity_id, _applied(_empty(), added, removed))
            continue
        changed = np.concatenate([added, removed])
        places = np.maximum(np.searchsorted(firsts, changed, side="right") - 1, 0)
        for place in np.unique(places).tolist():
            low = firsts[place] if place else np.iinfo(np.int64).min
            high = firsts[place + 1] if place + 1 < len(firsts) else np.iinfo(np.int64).max
            now = _applied(
                np.frombuffer(chunks[place][1], dtype=_DTYPE),
                added[(added >= low) & (added < high)],
                removed[(removed >= low) & (removed < high)],
            )
            conn.execute(
                "DELETE FROM entity_articles WHERE entity_id = ? AND first_st = ?",
                (entity_id, firsts[place]),
            )
            _write(conn, entity_id, now, whole=len(now) <= 2 * CHUNK)
    conn.execute("DELETE FROM entity_articles_log")
    return int(folded)


def fold_if_long(conn: sqlite3.Connection) -> int:
    """:func:`fold` once the log holds more than :data:`FOLD_AT` rows; the rows folded.
    Nothing while the chunks are not built (the log is then every tag written since:
    not counted at every batch)."""
    if not built(conn):
        return 0
    rows = conn.execute("SELECT count(*) FROM entity_articles_log").fetchone()[0]
    return fold(conn) if rows > FOLD_AT else 0


def _write(conn: sqlite3.Connection, entity_id: str, sts: Any, *, whole: bool = False) -> None:
    """Write sorted ``sts`` as one chunk (``whole``) or chunks of :data:`CHUNK`."""
    size = max(len(sts), 1) if whole else CHUNK
    conn.executemany(
        "INSERT INTO entity_articles (entity_id, first_st, sts) VALUES (?, ?, ?)",
        [
            (entity_id, int(sts[i]), sts[i : i + size].astype(_DTYPE).tobytes())
            for i in range(0, len(sts), size)
        ],
    )


def _changes(conn: sqlite3.Connection, entities: list[str] | None) -> dict[str, Any]:
    """Per entity, the sts the log adds and those it takes out (each a sorted numpy
    array): a row's changes added up, so that one written and taken out is neither."""
    import numpy as np

    where, params = _where(entities)
    net: dict[str, tuple[list[int], list[int]]] = {}
    for entity_id, st, change in conn.execute(
        f"SELECT entity_id, st, sum(change) FROM entity_articles_log{where}"
        " GROUP BY entity_id, st HAVING sum(change) <> 0",
        params,
    ):
        added, removed = net.setdefault(entity_id, ([], []))
        (added if change > 0 else removed).append(st)
    return {
        e: (np.array(sorted(a), dtype=np.int64), np.array(sorted(r), dtype=np.int64))
        for e, (a, r) in net.items()
    }


def _applied(sts: Any, added: Any, removed: Any) -> Any:
    """Sorted ``sts`` without ``removed`` and with ``added``."""
    import numpy as np

    if len(removed):
        sts = sts[~np.isin(sts, removed)]
    if len(added):
        sts = np.union1d(sts, added)
    return sts


def _empty() -> Any:
    import numpy as np

    return np.array([], dtype=np.int64)


def _where(entities: list[str] | None) -> tuple[str, list[str]]:
    if entities is None:
        return "", []
    return f" WHERE entity_id IN ({','.join('?' * len(entities))})", list(entities)
