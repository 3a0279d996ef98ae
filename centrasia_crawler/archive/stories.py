"""Stories, not reprints: near-duplicate articles clustered into stories.

The site reprints the same text from several outlets. Each article's text (headline
excluded: outlets retitle) is cut into shingles of :data:`SHINGLE` words (case and ё
folded); datasketch's MinHash gives it a signature of :data:`NUM_PERM` values, and the
signature's bands (datasketch's MinHashLSH chooses how many for :data:`THRESHOLD`) are
kept in ``story_bands``, one row a band. An article's candidates are the articles that
share a band with it; a candidate whose shingles' Jaccard similarity with it, computed
exactly from both texts, is at least :data:`THRESHOLD` is the same story. A story is a
connected group of such pairs, and its id is the ``st`` of its first article
(``article_stories``).

Two articles with the same text have the same signature, so they always share every
band and are always one story. Two articles of equal length that share a fraction p of
their paragraphs have a Jaccard similarity of about p / (2 - p): under 30% of their
paragraphs, under 0.18, far below the threshold of 0.5 (reached near p = 2/3).

Articles are clustered as they are stored, in the same transaction
(:func:`cluster_articles`); :func:`build_stories` clusters the whole archive again
(``centrasia upgrade``, ``centrasia reparse``), a batch per transaction, resuming where
a killed run stopped. Each article is compared with the articles stored before it
that share a band with it (the newest :data:`BUCKET` of each band: a story of thousands
of reprints costs no more than one of twenty), so reprints are found whatever order
the articles come in.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from centrasia_crawler.archive import meta
from centrasia_crawler.archive.schema import OUTLET_SQL
from centrasia_crawler.archive.transactions import immediate
from centrasia_crawler.normalize.text import fold_yo

if TYPE_CHECKING:
    from datasketch import MinHashLSH

    from centrasia_crawler.archive.store import Archive

#: Words per shingle.
SHINGLE: Final = 5
#: MinHash permutations per signature.
NUM_PERM: Final = 64
#: The least Jaccard similarity of two articles' shingles for them to be one story.
THRESHOLD: Final = 0.5
#: datasketch's hashing scheme of the signatures (its default since 2.0).
_SCHEME: Final = "affine32"
#: The newest articles of each of an article's bands it is compared with (see _place).
BUCKET: Final = 16
#: What the stories depend on; a change clusters every article again.
ALGORITHM: Final = f"minhash-lsh/{_SCHEME}/{SHINGLE}w/{NUM_PERM}p/{THRESHOLD}/{BUCKET}b/1"
_BATCH: Final = 1000
#: archive_meta keys.
_VERSION, _BUILDING, _UPTO = "stories_version", "stories_building", "stories_clustered_upto"
_WORD: Final = re.compile(r"\w+")


# --- signatures and bands (pure) -------------------------------------------------------


def shingles(text: str) -> set[str]:
    """The text's shingles: each run of :data:`SHINGLE` words, case and ё folded (a
    shorter text: its words as one shingle; no words: none).

    >>> sorted(shingles("Ёлка стоит на площади в Бишкеке. Ёлка!"))[:2]
    ['елка стоит на площади в', 'на площади в бишкеке елка']
    """
    words = _WORD.findall(fold_yo(text).casefold())
    if len(words) <= SHINGLE:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    """The Jaccard similarity of two sets of shingles (0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


@lru_cache(maxsize=1)
def _permutations() -> Any:
    """The signature's permutations (datasketch's, seed 1), drawn once: drawing them
    costs more than hashing an article."""
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, scheme=_SCHEME).permutations


@lru_cache(maxsize=1)
def _lsh() -> MinHashLSH:
    from datasketch import MinHashLSH

    return MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)


def bands(found: set[str]) -> list[int]:
    """The LSH band keys of a set of shingles: for each of the ``b`` bands that
    MinHashLSH chooses for :data:`THRESHOLD`, a 63-bit digest of the band's number and
    its ``r`` values of the MinHash signature. No shingles: no bands."""
    if not found:
        return []
    from datasketch import MinHash

    signature = MinHash(num_perm=NUM_PERM, permutations=_permutations(), scheme=_SCHEME)
    signature.update_batch([s.encode() for s in found])
    lsh = _lsh()
    values = signature.hashvalues
    keys = []
    for band in range(lsh.b):
        chunk = values[band * lsh.r : (band + 1) * lsh.r].tobytes()
        digest = hashlib.blake2b(bytes([band]) + chunk, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "big") >> 1)
    return keys


# --- the archive's stories (in the caller's transaction) -------------------------------


def stories_ready(conn: sqlite3.Connection) -> bool:
    """Whether every article has its story."""
    return meta.get(conn, _VERSION) == ALGORITHM


def stories_outdated(conn: sqlite3.Connection) -> str | None:
    """Why the articles need clustering again, or None."""
    if stories_ready(conn) or conn.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is None:
        return None
    if meta.get(conn, _BUILDING):
        return "its articles are being clustered into stories"
    if meta.get(conn, _VERSION) is None:
        return "its articles are not clustered into stories yet"
    return "its stories were clustered by another version"


def _bodies(conn: sqlite3.Connection, sts: Iterable[int]) -> dict[int, str]:
    sts = list(sts)
    found: dict[int, str] = {}
    for start in range(0, len(sts), 500):
        chunk = sts[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(conn.execute(f"SELECT st, body FROM articles WHERE st IN ({marks})", chunk))
    return found


def _place(conn: sqlite3.Connection, st: int, own: set[str], keys: list[int]) -> None:
    """Store article ``st``'s bands and give it its story: alone, or joined with (and
    joining together) the stories of the clustered articles it is a near-duplicate of.

    The candidates are the newest :data:`BUCKET` articles of each of its bands (a band
    thousands of articles share is one story's, whose newest members stand for it), the
    ones sharing the most bands first; of each story, its candidates are compared until
    one is near enough. So an article costs at most ``BUCKET`` comparisons a band,
    however large its story."""
    conn.executemany(
        "INSERT OR IGNORE INTO story_bands (band, st) VALUES (?, ?)", [(k, st) for k in keys]
    )
    shared: dict[int, int] = {}
    for key in keys:
        for (other,) in conn.execute(
            "SELECT st FROM story_bands WHERE band = ? AND st <> ? ORDER BY st DESC LIMIT ?",
            (key, st, BUCKET),
        ):
            shared[other] = shared.get(other, 0) + 1
    marks = ",".join("?" * len(shared))
    story_by_st = dict(
        conn.execute(f"SELECT st, story FROM article_stories WHERE st IN ({marks})", list(shared))
    )
    joined: set[int] = set()
    texts: dict[int, str] = {}
    for other in sorted(story_by_st, key=lambda c: (-shared[c], -c)):
        if story_by_st[other] in joined:
            continue
        if other not in texts:
            texts.update(_bodies(conn, [other]))
        if jaccard(own, shingles(texts.get(other, ""))) >= THRESHOLD:
            joined.add(story_by_st[other])
    story = min([st, *joined])
    conn.executemany(
        "UPDATE article_stories SET story = ? WHERE story = ?",
        [(story, s) for s in joined if s != story],
    )
    conn.execute("INSERT OR REPLACE INTO article_stories (st, story) VALUES (?, ?)", (st, story))


def _forget(conn: sqlite3.Connection, sts: Sequence[int]) -> list[int]:
    """Take these articles out of their stories; the other articles of those stories,
    which must be clustered again (one of these may have been what held them together)."""
    rows = [(st,) for st in sts]
    marks = ",".join("?" * len(sts))
    others = [
        st
        for (st,) in conn.execute(
            "SELECT st FROM article_stories WHERE story IN"
            f" (SELECT story FROM article_stories WHERE st IN ({marks}))",
            list(sts),
        )
    ]
    conn.executemany("DELETE FROM story_bands WHERE st = ?", rows)
    conn.executemany(
        "DELETE FROM article_stories WHERE story IN"
        " (SELECT story FROM article_stories WHERE st = ?)",
        rows,
    )
    return sorted(set(others) - set(sts))


def cluster_articles(conn: sqlite3.Connection, sts: Sequence[int]) -> None:
    """Give these stored articles (new or changed) their stories, inside the caller's
    transaction. While the archive is clustered from scratch, only those the builder
    has passed are clustered here; an archive never clustered waits for
    :func:`build_stories`."""
    if not sts:
        return
    ready = stories_ready(conn)
    if not ready and meta.get(conn, _BUILDING) != ALGORITHM:
        return
    upto = None if ready else int(meta.get(conn, _UPTO) or -1)
    chosen = sorted({st for st in sts if upto is None or st <= upto})
    if not chosen:
        return
    again = _forget(conn, chosen)
    texts = _bodies(conn, [*chosen, *again])
    for st in sorted([*chosen, *again]):
        own = shingles(texts.get(st, ""))
        keys = bands(own) if st in chosen else _stored_bands(conn, st)
        _place(conn, st, own, keys)


def _stored_bands(conn: sqlite3.Connection, st: int) -> list[int]:
    return [k for (k,) in conn.execute("SELECT band FROM story_bands WHERE st = ?", (st,))]


def build_stories(conn: sqlite3.Connection, progress: Callable[[str], None] | None = None) -> int:
    """Cluster every article into stories, unless done; the articles clustered.

    Articles are taken in ``st`` order, a batch per transaction that also records how
    far the clustering got, so a run killed half-way leaves an archive that opens and
    the next run carries on.

    Every writable open comes here, so datasketch (which loads numpy and scipy: about a
    second) is loaded as the archive opens, not while a crawl writes its first batch."""
    _permutations()
    _lsh()
    if stories_ready(conn):
        return 0
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    with immediate(conn):
        if meta.get(conn, _BUILDING) != ALGORITHM:  # start afresh
            conn.execute("DELETE FROM story_bands")
            conn.execute("DELETE FROM article_stories")
            meta.put(conn, _VERSION, None)
            meta.put(conn, _BUILDING, ALGORITHM)
            meta.put(conn, _UPTO, "-1")
    done = 0
    total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    while True:
        with immediate(conn):
            upto = int(meta.get(conn, _UPTO) or -1)
            rows = conn.execute(
                "SELECT st, body FROM articles WHERE st > ? ORDER BY st LIMIT ?", (upto, _BATCH)
            ).fetchall()
            if not rows:
                meta.put(conn, _VERSION, ALGORITHM)
                meta.put(conn, _BUILDING, None)
                meta.put(conn, _UPTO, None)
                return done
            for st, body in rows:
                own = shingles(body)
                _place(conn, st, own, bands(own))
            meta.put(conn, _UPTO, str(rows[-1][0]))
        done += len(rows)
        if total > _BATCH:
            say(f"centrasia: clustering stories: {min(done, total):,} of {total:,} articles")


def rebuild_stories(conn: sqlite3.Connection, progress: Callable[[str], None] | None = None) -> int:
    """Cluster every article again from scratch (after a re-extraction)."""
    with immediate(conn):
        meta.put(conn, _VERSION, None)
        meta.put(conn, _BUILDING, None)
    return build_stories(conn, progress)


# --- reads ----------------------------------------------------------------------------

#: An article of a story, as :func:`story` lists it, in order.
MEMBER_KEYS: Final = ("st", "published_at", "title", "outlet", "url")
#: A story's row in :func:`stories`, in order.
STORY_KEYS: Final = ("story", "title", "articles", "outlets", "first", "last")


def story_of(conn: sqlite3.Connection, st: int) -> int | None:
    row = conn.execute("SELECT story FROM article_stories WHERE st = ?", (st,)).fetchone()
    return None if row is None else int(row[0])


def story(archive: Archive, st: int) -> dict[str, Any] | None:
    """The story article ``st`` belongs to: ``story`` (its first article's st),
    ``articles`` (each ``st published_at title outlet url``, oldest first), ``outlets``
    (each once, in the order they first carried it), ``first`` and ``last`` (the days
    of its first and last article). None when there is no article ``st``."""
    conn = archive.conn
    if conn.execute("SELECT 1 FROM articles WHERE st = ?", (st,)).fetchone() is None:
        return None
    ident = story_of(conn, st) or st
    members = conn.execute(
        f"SELECT a.st, a.published_at, a.title, {OUTLET_SQL.format('a.')}, a.url"
        " FROM articles a WHERE a.st IN (SELECT st FROM article_stories WHERE story = ?)"
        " OR a.st = ? ORDER BY a.st",
        (ident, st),
    ).fetchall()
    articles = [dict(zip(MEMBER_KEYS, row, strict=True)) for row in members]
    outlets = list(dict.fromkeys(a["outlet"] for a in articles if a["outlet"]))
    days = [a["published_at"][:10] for a in articles]
    return {
        "story": ident,
        "articles": articles,
        "outlets": outlets,
        "first": min(days),
        "last": max(days),
    }


def stories(
    archive: Archive,
    *,
    since: str | None = None,
    until: str | None = None,
    reprinted: bool = True,
    limit: int | None = 20,
) -> list[dict[str, Any]]:
    """The stories with an article in ``since``..``until`` (ISO days), the most
    articles first (then the newest): ``story title articles outlets first last``, the
    title its first article's, ``outlets`` how many. ``reprinted``: only stories of
    more than one article. ``limit`` None: all."""
    where: list[str] = ["1"]
    params: list[Any] = []
    if since:
        where.append("a.published_date >= ?")
        params.append(since)
    if until:
        where.append("a.published_date <= ?")
        params.append(until)
    sql = (
        "SELECT s.story, f.title, count(*), count(DISTINCT coalesce(a.outlet, a.source)),"
        " min(a.published_date), max(a.published_date)"
        " FROM article_stories s JOIN articles a ON a.st = s.st JOIN articles f ON f.st = s.story"
        f" WHERE {' AND '.join(where)} GROUP BY s.story"
        f"{' HAVING count(*) > 1' if reprinted else ''}"
        " ORDER BY count(*) DESC, s.story DESC"
    )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [dict(zip(STORY_KEYS, row, strict=True)) for row in archive.conn.execute(sql, params)]


def first_of_stories(
    archive: Archive, results: Sequence[dict[str, Any]], limit: int | None = None
) -> list[dict[str, Any]]:
    """Search results (best first) one per story: the first result of each story,
    with its ``story`` and ``reprints`` (the articles of the story, itself included),
    at most ``limit`` of them."""
    out: list[dict[str, Any]] = []
    seen: set[int] = set()
    for result in results:
        ident = story_of(archive.conn, result["st"]) or result["st"]
        if ident in seen:
            continue
        seen.add(ident)
        (size,) = archive.conn.execute(
            "SELECT count(*) FROM article_stories WHERE story = ?", (ident,)
        ).fetchone()
        out.append({**result, "story": ident, "reprints": max(int(size), 1)})
        if limit is not None and len(out) == limit:
            break
    return out


def with_stories(archive: Archive, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Export rows (``st`` first, ``body`` last) with their ``story`` before the body
    (an article not clustered yet: its own st)."""
    conn = archive.conn
    for row in rows:
        ident = story_of(conn, row["st"]) or row["st"]
        body = row.pop("body", None)
        row["story"] = ident
        row["body"] = body
        yield row
