"""The archive: every read and write the crawler and the CLI make, in one place.

An :class:`Archive` is one SQLite file in WAL mode (readers are never blocked by
the crawl's writer, and never see half of a write). Writes come in batches, each
batch one transaction: :meth:`Archive.write_batch` stores articles (new ones
inserted, changed ones revised with the old version kept in
``article_revisions``), headlines as listed, and raw pages (compressed,
deduplicated by digest).

Rows are written and looked up with sqlite-utils (its inserts nest inside the batch's
transaction as savepoints); what it has no verb for (copying a row into
``article_revisions``, moving ``last_fetched_at`` of many rows) is one SQL statement
here. Items come in through itemadapter, as Scrapy's own components take them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from centrasia_crawler.archive import (
    analysis,
    blank,
    corpus,
    entity_articles,
    meta,
    network,
    summaries,
)
from centrasia_crawler.archive import pages as pages_codec
from centrasia_crawler.archive.closed import _ClosedConnection
from centrasia_crawler.archive.morph import (
    build_index,
    index_articles,
    index_outdated,
    index_ready,
    indexed_upto,
)
from centrasia_crawler.archive.schema import (
    SCHEMA_VERSION,
    ArchiveVersionError,
    fold,
    migrate,
    schema_version,
)
from centrasia_crawler.archive.stories import build_stories, cluster_articles, stories_outdated
from centrasia_crawler.archive.tagging import (
    build_tags,
    set_extra_gazetteer,
    store_gazetteer,
    tag_articles,
    tags_outdated,
    write_entities,
)
from centrasia_crawler.archive.transactions import immediate
from centrasia_crawler.fields import (
    ADDED_CONTENT,
    ARTICLE,
    ARTICLE_COLUMNS,
    CONTENT_FIELDS,
    JSON_FIELDS,
)

if TYPE_CHECKING:
    import sqlite_utils

    from centrasia_crawler.archive.analysis import Day
    from centrasia_crawler.entities.gazetteer import Gazetteer

# The article's columns come from its one definition (centrasia_crawler.fields). The
# content columns schema 11 added (ADDED_CONTENT) say again, in more detail,
# what the older ones read from the same lines: an article whose older columns are as
# stored and whose added ones were never filled (stored before schema 11) has them
# filled in place, which is no new revision.
LISTING_COLUMNS: Final = (
    "st",
    "listed_on",
    "listed_at",
    "title",
    "attribution",
    "page_url",
    "first_seen_at",
)
RUN_COUNTERS: Final = (
    "requests",
    "new_articles",
    "changed_articles",
    "unchanged_articles",
    "dropped_items",
    "errors",
    "retries",
    "http_errors",
)
#: The counters a batch adds to its run's row (the rest are set, as they stand).
BATCH_COUNTERS: Final = ("new_articles", "changed_articles", "unchanged_articles")


def utc_now() -> str:
    """The current time, ISO 8601 in UTC, to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def content_hash(article: Mapping[str, Any]) -> str:
    """A digest of an article's content (not of when it was fetched)."""
    content = [article.get(name) for name in CONTENT_FIELDS]
    content[CONTENT_FIELDS.index("time_mismatch")] = int(bool(article.get("time_mismatch")))
    while len(content) > len(CONTENT_FIELDS) - len(ADDED_CONTENT) and content[-1] is None:
        content.pop()  # an article with none of them keeps the hash it had before them
    encoded = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()


@dataclass
class BatchResult:
    """What one batch did to the archive."""

    new: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    listings: int = 0
    pages: int = 0


@dataclass
class RawPage:
    """A response as fetched: enough to extract it again without the network."""

    url: str
    status: int
    headers: dict[str, list[str]]
    body: bytes
    fetched_at: str
    kind: str | None = None
    st: int | None = None
    extraction_error: str | None = None
    #: Replayed from Scrapy's HTTP cache (``fetched_at`` is then the original fetch's).
    from_cache: bool = False

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` it was served with, if any (header names in any case)."""
        for name, values in self.headers.items():
            if name.lower() == "content-type" and values:
                return values[0]
        return None


#: Every stored fetch with its body, as Archive._raw_page reads it; a WHERE/ORDER may follow.
_PAGE_SELECT: Final = (
    "SELECT p.url, p.status, p.headers, b.body, b.encoding, p.fetched_at, p.kind, p.st,"
    " p.extraction_error, p.from_cache FROM pages p JOIN page_bodies b ON b.digest = p.digest"
)


class ArchiveNeedsUpgrade(RuntimeError):
    """The archive must be upgraded (``centrasia upgrade``) before it can be read."""


class NotAnArchive(RuntimeError):
    """The file is an empty database (no table, schema 0), not an archive: reading it
    would read nothing, and "upgrade" is not what its owner wants to hear."""


def _open_for_reading(path: str) -> sqlite3.Connection:
    """A read-only connection to an up-to-date archive (see :meth:`Archive.open`)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such archive")
    conn = sqlite3.connect(
        f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
    )
    try:
        # WAL readers never wait for a writer; this covers a checkpoint's brief moments.
        conn.execute("PRAGMA busy_timeout = 5000")
        check_readable(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def check_readable(conn: sqlite3.Connection, path: str) -> None:
    """Raise :class:`NotAnArchive` if the file at ``path`` (on ``conn``) holds no
    database yet, :class:`ArchiveNeedsUpgrade` if the archive is of an older schema or
    its search index of another morphology, and
    :class:`~centrasia_crawler.archive.schema.ArchiveVersionError` if it is newer than
    this program; each says, in one line, what to do."""
    version = schema_version(conn)
    if version == 0 and conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is None:
        raise NotAnArchive(
            f"{path}: no archive in it (an empty database); a crawl makes one"
            f" (`centrasia crawl --archive {path}`)"
        )
    if version > SCHEMA_VERSION:
        raise ArchiveVersionError(
            f"{path}: archive schema version {version} is newer than this program's"
            f" {SCHEMA_VERSION}; upgrade centrasia-crawler"
        )
    if version < SCHEMA_VERSION or not index_ready(conn):
        what = (
            f"schema version {version}, this program's {SCHEMA_VERSION}"
            if version < SCHEMA_VERSION
            else "its search index was built by another version of the morphology"
            if meta.get(conn, "morph_version") is not None
            else index_outdated(conn) or "its search index is to be built"
        )
        raise ArchiveNeedsUpgrade(
            f"{path}: {what}; run `centrasia upgrade --archive {path}` (it may take"
            " minutes on a large archive), then read it again"
        )


def _open_for_writing(path: str) -> sqlite3.Connection:
    """A connection that writes: WAL (readers never wait for it), waiting up to 30 s for
    another writer."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA journal_mode = WAL")  # fails on a file that is no database
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        conn.close()
        raise
    return conn


class Archive:
    """One archive file. Open with :meth:`open`; use as a context manager. The
    analysts' reads (search, count, kwic, trend, terms, entities, countries, entity,
    entity_trend, coverage, stats, runs, articles, story, stories) each call the
    function of the same name in :mod:`centrasia_crawler.archive.analysis`."""

    def __init__(self, conn: sqlite3.Connection, path: str, writable: bool = False) -> None:
        # SQLite's NOCASE and lower() fold ASCII only: fold(x) folds Cyrillic case and ё.
        conn.create_function("fold", 1, fold, deterministic=True)
        self.conn = conn
        self.path = path
        self.writable = writable
        self._codec: pages_codec.Codec | None = None

    @classmethod
    def reading(cls, conn: sqlite3.Connection, path: str) -> Archive:
        """The archive at ``path`` read through ``conn``, a connection another program
        opened (Datasette's), once :func:`check_readable` found it up to date."""
        check_readable(conn, path)
        return cls(conn, path)

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """The same connection as a sqlite-utils database (imported when first needed:
        the analysts' read-only commands start faster without it)."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn)

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        readonly: bool = False,
        reindex: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> Archive:
        """Open (creating and upgrading as needed) the archive at ``path``.

        ``readonly`` opens an existing archive for reading only, as the crawl's own
        look-ups and analysts' tools do: such an open never writes and never waits for a
        writer. An archive of an older schema, or whose search index another version of
        the morphology built, raises :class:`ArchiveNeedsUpgrade` (``centrasia upgrade``
        brings it up to date). A writable open upgrades the schema first; with
        ``reindex=False`` (the crawl) it never rebuilds the search index or the entity
        tags over the archive's articles: when the morphology or the gazetteer changed
        it raises
        :class:`~centrasia_crawler.archive.schema.ArchiveVersionError` saying so, and the
        rebuild is left to ``centrasia upgrade``. Otherwise a long index build says how
        far it got through ``progress`` (default: lines on stderr).
        """
        path = str(path)
        if readonly:
            return cls(_open_for_reading(path), path, writable=False)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if not os.path.lexists(path):
            blank.create(path)
        conn = _open_for_writing(path)
        try:
            migrate(conn)
            outdated = None
            if not reindex:
                outdated = index_outdated(conn) or tags_outdated(conn) or stories_outdated(conn)
            if outdated is not None:
                raise ArchiveVersionError(
                    f"{outdated}: run `centrasia upgrade` (it goes over every article;"
                    " minutes on a large archive), then crawl again"
                )
            build_index(conn, progress)
            build_tags(conn, progress)
            build_stories(conn, progress)
            if not entity_articles.built(conn):  # no write lock taken when built
                with immediate(conn):
                    entity_articles.build(conn)
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, writable=True)

    def close(self) -> None:
        """Close; a writer first moves the write-ahead log into the file itself, so the
        archive is one file again (a copy of it holds everything) even while read-only
        connections, which cannot do that when they close, are still open."""
        if isinstance(self.conn, _ClosedConnection):
            return
        if self.writable and not self.conn.in_transaction:
            # Busy (a reader mid-read): the log stays, and still reads.
            with suppress(sqlite3.OperationalError):
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()
        self.conn = _ClosedConnection()  # type: ignore[assignment]

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def site(self) -> str:
        """The host the articles were crawled from (their addresses', the newest
        article's; ``centrasia.org`` for an archive of none): what charts are headed
        with, so that a chart of a replica's (generated) articles says so."""
        row = self.conn.execute("SELECT url FROM articles ORDER BY st DESC LIMIT 1").fetchone()
        host = urlsplit(row[0]).netloc if row and row[0] else ""
        return host.removeprefix("www.") or "centrasia.org"

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it lands, or none of it."""
        with immediate(self.conn) as conn:
            yield conn

    # Reads --------------------------------------------------------------------------

    def index_ready(self) -> bool:
        """Whether every article is in the search index (not while it is rebuilt)."""
        return index_ready(self.conn)

    def data_version(self) -> int:
        """The archive's data version: a counter every write moves on (a result computed
        at one version is stale at the next;
        :func:`centrasia_crawler.archive.summaries.data_version`)."""
        return summaries.data_version(self.conn)

    def has_article(self, st: int) -> bool:
        row = self.conn.execute("SELECT 1 FROM articles WHERE st = ?", (st,)).fetchone()
        return row is not None

    def article(self, st: int) -> dict[str, Any] | None:
        return next(self.db.table("articles").rows_where("st = ?", [st]), None)

    def revisions(self, st: int) -> list[dict[str, Any]]:
        return list(
            self.db.table("article_revisions").rows_where("st = ?", [st], order_by="revision")
        )

    def sts_published_since(self, since_st: int) -> list[int]:
        """The articles published at or after ``since_st``, newest first."""
        rows = self.conn.execute(
            "SELECT st FROM articles WHERE st >= ? ORDER BY st DESC", (since_st,)
        )
        return [st for (st,) in rows]

    def table_count(self, table: str) -> int:
        """The rows of ``table`` (:meth:`count` counts the articles a query matches)."""
        return int(self.db.table(table).count)

    @property
    def codec(self) -> pages_codec.Codec:
        """Compresses and reads raw page bodies (created on first use)."""
        if self._codec is None:
            self._codec = pages_codec.Codec(self.conn)
        return self._codec

    def _raw_page(self, row: Sequence[Any]) -> RawPage:
        body = self.codec.decompress(row[4], row[3])
        return RawPage(
            row[0], row[1], json.loads(row[2]), body, row[5], row[6], row[7], row[8], bool(row[9])
        )

    def page_body(self, url: str) -> RawPage | None:
        """The most recently fetched raw page of ``url``."""
        row = self.conn.execute(
            f"{_PAGE_SELECT} WHERE p.url = ? ORDER BY p.id DESC LIMIT 1", (url,)
        ).fetchone()
        return None if row is None else self._raw_page(row)

    def latest_pages(self, kinds: Sequence[str] = ("article", "listing")) -> Iterator[RawPage]:
        """The most recent fetch of every URL of these kinds, oldest URL first (streamed)."""
        marks = ",".join("?" * len(kinds))
        cursor = self.conn.execute(
            f"{_PAGE_SELECT} WHERE p.id IN"
            f" (SELECT max(id) FROM pages WHERE kind IN ({marks}) GROUP BY url) ORDER BY p.id",
            list(kinds),
        )
        for row in cursor:
            yield self._raw_page(row)

    def page_urls(self, kinds: Sequence[str] = ("article", "listing")) -> int:
        """How many URLs of these kinds have a stored page (what latest_pages yields)."""
        marks = ",".join("?" * len(kinds))
        sql = f"SELECT count(DISTINCT url) FROM pages WHERE kind IN ({marks})"
        return int(self.conn.execute(sql, list(kinds)).fetchone()[0])

    def all_pages(self) -> Iterator[RawPage]:
        """Every stored fetch, oldest first (streamed)."""
        for row in self.conn.execute(f"{_PAGE_SELECT} ORDER BY p.id"):
            yield self._raw_page(row)

    # The analysts' reads --------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        since: Day = None,
        until: Day = None,
        source: str | None = None,
        attribution: str | None = None,
        limit: int | None = 20,
        exact: bool = False,
        marks: tuple[str, str] = ("[", "]"),
    ) -> list[dict[str, Any]]:
        """The articles matching ``query``, best first (``limit`` None: all), as
        ``centrasia search --json`` gives them: ``st published_at title source
        attribution url snippet rank``; the snippet's matches between ``marks``."""
        return analysis.search(
            self,
            query,
            since=since,
            until=until,
            source=source,
            attribution=attribution,
            limit=limit,
            exact=exact,
            marks=marks,
        )

    def count(
        self,
        query: str,
        *,
        since: Day = None,
        until: Day = None,
        source: str | None = None,
        attribution: str | None = None,
        exact: bool = False,
    ) -> int:
        """How many articles match ``query`` (``centrasia search --count``);
        ``exact``: in the forms as typed."""
        return analysis.count(
            self,
            query,
            since=since,
            until=until,
            source=source,
            attribution=attribution,
            exact=exact,
        )

    def kwic(
        self,
        query: str,
        *,
        since: Day = None,
        until: Day = None,
        source: str | None = None,
        attribution: str | None = None,
        width: int = 40,
        exact: bool = False,
        sort: str = "date",
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Concordance lines, streamed (``centrasia kwic --json``): ``date st column
        left match right url``; ``exact``: only the forms as typed; ``sort``: ``date``
        (oldest first), ``left`` or ``right`` (by the three whole words on that side,
        nearest first); ``limit``: the first so many lines, only they made."""
        return analysis.kwic(
            self,
            query,
            since=since,
            until=until,
            source=source,
            attribution=attribution,
            width=width,
            exact=exact,
            sort=sort,
            limit=limit,
        )

    def trend(
        self,
        queries: str | Sequence[str],
        *,
        by: str = "month",
        since: Day = None,
        until: Day = None,
        stories: bool = False,
    ) -> list[dict[str, Any]]:
        """Matching articles per period (``day week month year``), one row per query
        and period: ``query period articles total share complete`` (``share`` None
        where nothing is archived); ``stories``: stories counted, not articles."""
        return analysis.trend(self, queries, by=by, since=since, until=until, stories=stories)

    def terms(self, query: str, *, limit: int = 30) -> dict[str, Any]:
        """The words characteristic of the matching articles (``centrasia terms
        --json``): ``matched sample terms sources attributions days``."""
        return analysis.terms(self, query, limit=limit)

    def entities(
        self,
        query: str | None = None,
        *,
        type: str | None = None,
        since: Day = None,
        until: Day = None,
        source: str | None = None,
        limit: int | None = 20,
        stories: bool = False,
    ) -> dict[str, Any]:
        """The people, places, organisations and countries most present in the articles
        matching ``query`` (the whole archive without one), as ``centrasia entities
        --json`` gives them: ``{"matched": N, "entities": [{"name", "type", "country",
        "articles", "mentions", "share", "lift"}]}``, most articles first. ``type``: one
        of ``country place person organization``; ``limit`` None: all. An archive not
        tagged yet raises :class:`~centrasia_crawler.archive.entities.EntitiesNotTagged`.
        ``stories``: stories counted, not articles."""
        return analysis.entities(
            self,
            query,
            type=type,
            since=since,
            until=until,
            source=source,
            limit=limit,
            stories=stories,
        )

    def countries(
        self,
        *,
        by: str = "month",
        since: Day = None,
        until: Day = None,
        query: str | None = None,
        top: int | None = None,
        stories: bool = False,
    ) -> list[dict[str, Any]]:
        """Articles per country (ISO 3166-1 alpha-2) per period, as ``centrasia
        countries --json`` gives them: ``country period articles total share complete``,
        complete as in :meth:`trend`; the countries with the most articles first (``top``:
        only that many); with ``query``, only the articles it matches; ``stories``:
        stories counted, not articles."""
        return analysis.countries(
            self, by=by, since=since, until=until, query=query, top=top, stories=stories
        )

    def entity(self, key: str, *, limit: int = 20) -> dict[str, Any] | None:
        """An entity, by id or by one of its names: its names (with the years they were
        in use), posts, articles, mentions, first and last day, and the entities its
        articles name most (``with``); None if the archive has none such. A name
        several entities share (``Бердымухамедов``) raises
        :class:`~centrasia_crawler.archive.entities.AmbiguousEntity` naming them."""
        return analysis.entity(self, key, limit=limit)

    def entity_trend(
        self, entity_id: str, *, by: str = "year", since: Day = None, until: Day = None
    ) -> list[dict[str, Any]]:
        """The articles naming an entity per period, as :meth:`trend` counts a query's:
        ``entity period articles total share complete``."""
        return analysis.entity_trend(self, entity_id, by=by, since=since, until=until)

    def coverage(self, *, since: Day = None, until: Day = None) -> dict[str, Any]:
        """Per day (``days``: ``day listed archived missing forbidden revisions``), the
        days never crawled and the gaps (``start``, ``end``)."""
        return analysis.coverage(self, since=since, until=until)

    def stats(self, *, top: int = 10) -> dict[str, Any]:
        """Totals, top sources and attributions (``centrasia stats --json``)."""
        return analysis.stats(self, top=top)

    def runs(self, *, limit: int | None = 20) -> list[dict[str, Any]]:
        """The crawl runs, newest first (``centrasia runs --json``)."""
        return analysis.runs(self, limit=limit)

    def articles(
        self,
        query: str | None = None,
        *,
        since: Day = None,
        until: Day = None,
        source: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every article (oldest first), or those ``query`` matches, streamed with the
        columns of ``centrasia export``."""
        return analysis.articles(self, query, since=since, until=until, source=source)

    def story(self, st: int) -> dict[str, Any] | None:
        """The story article ``st`` is one of (its reprints): ``story articles outlets
        first last``; None if there is no article ``st``."""
        return analysis.story(self, st)

    def stories(
        self, *, since: Day = None, until: Day = None, limit: int | None = 20
    ) -> list[dict[str, Any]]:
        """The stories reprinted (more than one article), the most reprinted first:
        ``story title articles outlets first last``."""
        return analysis.stories(self, since=since, until=until, limit=limit)

    # Corpus tools ---------------------------------------------------------------------

    def collocates(
        self,
        query: str,
        *,
        window: int = 5,
        by: str | None = None,
        min_count: int = 3,
        stop_words: bool = False,
        limit: int | None = 50,
        sort: str = "logdice",
        sample: int = 1000,
    ) -> dict[str, Any]:
        """The lemmas near ``query``'s matches, with logDice and log-likelihood, as
        ``centrasia collocates --json`` gives them: ``query window matched sample nodes
        collocates`` (each ``period? lemma cofreq total logdice ll``)."""
        return corpus.collocates(
            self,
            query,
            window=window,
            by=by,
            min_count=min_count,
            stop_words=stop_words,
            limit=limit,
            sort=sort,
            sample=sample,
        )

    def words(
        self,
        query: str | None = None,
        *,
        ngrams: int = 1,
        by: str = "lemma",
        stop_words: bool = False,
        limit: int | None = 50,
        sample: int = 1000,
    ) -> dict[str, Any]:
        """A frequency list of lemmas or forms, or n-grams, of the archive or of
        ``query``'s articles (``centrasia words --json``): ``query ngrams by articles
        sample tokens words`` (each ``word count per_million``)."""
        return corpus.words(
            self, query, ngrams=ngrams, by=by, stop_words=stop_words, limit=limit, sample=sample
        )

    def network(
        self, query: str, *, kind: str | None = None, min_weight: int = 3
    ) -> dict[str, Any]:
        """The entities named together in ``query``'s articles: ``matched nodes edges``
        (nodes ``id label type articles``, edges ``source target weight first last``);
        ``kind`` one of ``person place org country``."""
        return network.edges(self, query, kind=kind, min_weight=min_weight)

    # Writes -------------------------------------------------------------------------

    def rebuild_stories(self, progress: Callable[[str], None] | None = None) -> int:
        """Cluster every article into stories again (after a re-extraction)."""
        from centrasia_crawler.archive.stories import rebuild_stories

        return rebuild_stories(self.conn, progress)

    def content_hashes(self, sts: Iterable[int]) -> dict[int, str]:
        """The stored content hash of each of these articles the archive holds."""
        return {st: digest for st, digest in self._articles_by_st("content_hash", sts)}

    def _articles_by_st(self, columns: str, sts: Iterable[int]) -> Iterator[tuple[Any, ...]]:
        """``(st, *columns)`` of each of these articles the archive holds."""
        sts = list(sts)
        for start in range(0, len(sts), 500):
            chunk = sts[start : start + 500]
            marks = ",".join("?" * len(chunk))
            yield from self.conn.execute(
                f"SELECT st, {columns} FROM articles WHERE st IN ({marks})", chunk
            )

    def write_batch(
        self,
        articles: Iterable[Any] = (),
        listings: Iterable[Any] = (),
        pages: Sequence[RawPage] = (),
        run_id: int | None = None,
        fetched: bool = True,
        run_counters: Mapping[str, int] | None = None,
        refusals: Iterable[str] = (),
    ) -> BatchResult:
        """Store a batch in one transaction.

        ``articles`` and ``listings`` are items (:class:`~centrasia_crawler.items.ArticleItem`
        and :class:`~centrasia_crawler.items.Headline`, or dicts with their fields).
        Articles are keyed by ``st``: a new one is inserted (revision 1); one whose
        content changed gets the next revision, the previous row copied to
        ``article_revisions`` first; an unchanged one only has ``last_fetched_at``
        moved on (unless ``fetched`` is False: a re-extraction fetched nothing).
        Headlines are kept once per ``(st, listed_on)``.

        With ``run_counters`` (and ``run_id``), the run's row is brought up to date in
        the same transaction: what this batch did added to its article counters, the
        others (requests, errors, ...) set as given; a run killed later shows what it
        wrote.

        ``refusals`` are the addresses robots.txt refused since the last batch: each
        article among them is recorded in ``robots_refusals`` (by ``run_id``).
        """
        # itemadapter imports Scrapy when it is installed: only writers pay for that.
        from itemadapter import ItemAdapter

        now = utc_now()
        result = BatchResult()
        with self.transaction():
            if pages:
                result.pages = self._write_pages(pages, now, run_id)
            headlines = [_listing_row(ItemAdapter(h), now) for h in listings]
            if headlines:
                # The rows inserted (the cursor's count leaves the triggers' writes out).
                marks = ", ".join(f":{name}" for name in LISTING_COLUMNS)
                result.listings = self.conn.executemany(
                    f"INSERT OR IGNORE INTO listings ({', '.join(LISTING_COLUMNS)})"
                    f" VALUES ({marks})",
                    headlines,
                ).rowcount
            rows = [_article_row(ItemAdapter(a), now) for a in articles]
            if rows:
                self._write_articles(rows, now, result, fetched)
            if run_id is not None and run_counters is not None:
                self._count_batch(run_id, result, run_counters)
            self._refused(refusals, run_id, now)
        return result

    def _refused(self, urls: Iterable[str], run_id: int | None, now: str) -> None:
        """Record the articles among ``urls`` as refused by robots.txt: the row says
        which run refused it last, and when that run first met the refusal."""
        from centrasia_crawler.normalize.permalinks import article_st

        rows = [(st, url, run_id, now) for url in urls if (st := article_st(url, url))]
        self.conn.executemany(
            "INSERT INTO robots_refusals (st, url, run_id, refused_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (st) DO UPDATE SET url = excluded.url, run_id = excluded.run_id,"
            " refused_at = excluded.refused_at WHERE run_id IS NOT excluded.run_id",
            rows,
        )

    def _settle_refusals(self, run_id: int, problems: Sequence[Mapping[str, Any]]) -> None:
        """After a run, each article's latest problem in it decides: a refusal by
        robots.txt is recorded, a problem of another kind (it was asked for and not
        refused) takes an earlier refusal out."""
        from centrasia_crawler.normalize.permalinks import article_st

        last: dict[int, Mapping[str, Any]] = {}
        for problem in problems:
            url = problem.get("url") or ""
            st = article_st(url, url)  # the crawl may have read a replica or a mirror
            if st is not None:
                last[st] = problem
        refused = [p["url"] for p in last.values() if p.get("kind") == "robots"]
        self._refused(refused, run_id, utc_now())
        self.conn.executemany(
            "DELETE FROM robots_refusals WHERE st = ?",
            [(st,) for st, p in last.items() if p.get("kind") != "robots"],
        )

    def store_gazetteer(self, gazetteer: Gazetteer) -> None:
        """Make the archive's entities, their names and posts those of ``gazetteer``
        (:func:`centrasia_crawler.archive.tagging.store_gazetteer`); in the caller's
        transaction if one is open."""
        with immediate(self.conn, nested=self.conn.in_transaction):
            store_gazetteer(self.conn, gazetteer)

    def write_entities(self, st: int, found: Iterable[tuple[str, int, bool | int]]) -> None:
        """Replace the entities of article ``st`` by ``found``, ``(entity_id, mentions,
        in_title)`` each (:func:`centrasia_crawler.archive.tagging.write_entities`); in
        the caller's transaction if one is open (the one that stores the article)."""
        with immediate(self.conn, nested=self.conn.in_transaction):
            write_entities(self.conn, [st], [(st, e, m, t) for e, m, t in found])

    def _count_batch(self, run_id: int, result: BatchResult, counters: Mapping[str, int]) -> None:
        sizes = (len(result.new), len(result.changed), len(result.unchanged))
        added = dict(zip(BATCH_COUNTERS, sizes, strict=True))
        set_ = {n: int(counters.get(n, 0)) for n in RUN_COUNTERS if n not in BATCH_COUNTERS}
        assignments = [f"{n} = {n} + :{n}" for n in added] + [f"{n} = :{n}" for n in set_]
        self.conn.execute(
            f"UPDATE crawl_runs SET {', '.join(assignments)} WHERE id = :id",
            {**added, **set_, "id": run_id},
        )

    def _write_articles(
        self, rows: list[dict[str, Any]], now: str, result: BatchResult, fetched: bool
    ) -> None:
        latest = {row["st"]: row for row in rows}  # the last fetch of an st in a batch wins
        known: dict[int, tuple[str, int, str]] = {
            st: (digest, revision, last_fetched)
            for st, digest, revision, last_fetched in self._articles_by_st(
                "content_hash, revision, last_fetched_at", latest
            )
        }
        fillable = self._fillable(
            st for st, row in latest.items() if st in known and known[st][0] != row["content_hash"]
        )
        new, touched, retagged = [], [], []
        # While the search index is being built, the builder indexes what lies past it.
        upto = indexed_upto(self.conn)
        indexed = (lambda st: True) if upto is None else (lambda st: st <= upto)
        for st, row in latest.items():
            if st not in known:
                new.append(row)
                result.new.append(st)
            elif known[st][0] == row["content_hash"]:
                touched.append((now, st))
                result.unchanged.append(st)
            elif st in fillable and fillable[st] == tuple(row[c] for c in _OLDER_CONTENT):
                filled = {c: row[c] for c in (*ADDED_CONTENT, "content_hash")}
                if fetched:
                    filled["last_fetched_at"] = now
                self.db.table("articles").update(st, filled)
                result.unchanged.append(st)
            else:
                self._revise(row, known[st][1:], now, fetched, indexed(st))
                result.changed.append(st)
                retagged.append(st)
        if new:
            self.db.table("articles").insert_all(new)
            index_articles(
                self.conn, [(r["st"], r["title"], r["body"]) for r in new if indexed(r["st"])]
            )
        if touched and fetched:
            self.conn.executemany("UPDATE articles SET last_fetched_at = ? WHERE st = ?", touched)
        tag_articles(self.conn, [r["st"] for r in new] + retagged)
        entity_articles.fold_if_long(self.conn)
        cluster_articles(self.conn, [r["st"] for r in new] + retagged)

    def _revise(
        self,
        row: dict[str, Any],
        known: tuple[int, str],
        now: str,
        fetched: bool,
        indexed: bool,
    ) -> None:
        """A stored article whose content changed: the old one kept as a revision, the
        new one written over it and (unless the index builder will) re-indexed."""
        st = row["st"]
        revision, last_fetched = known
        if indexed:
            old = self.conn.execute("SELECT st, title, body FROM articles WHERE st = ?", (st,))
            index_articles(self.conn, old.fetchall(), delete=True)
            index_articles(self.conn, [(st, row["title"], row["body"])])
        self.conn.execute(
            f"INSERT INTO article_revisions ({_COLUMNS}, superseded_at)"
            f" SELECT {_COLUMNS}, ? FROM articles WHERE st = ?",
            (now, st),
        )
        changes = {c: row[c] for c in ARTICLE_COLUMNS if c not in ("st", "first_seen_at")}
        changes["revision"] = revision + 1
        if not fetched:
            changes["last_fetched_at"] = last_fetched
        self.db.table("articles").update(st, changes)

    def _fillable(self, sts: Iterable[int]) -> dict[int, tuple[Any, ...]]:
        """The older content of these articles that were stored before the added
        columns and never had them filled."""
        columns = ", ".join(_OLDER_CONTENT)
        unfilled = " AND ".join(f"{c} IS NULL" for c in ADDED_CONTENT)
        found: dict[int, tuple[Any, ...]] = {}
        sts = list(sts)
        for start in range(0, len(sts), 500):
            chunk = sts[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for st, *values in self.conn.execute(
                f"SELECT st, {columns} FROM articles WHERE st IN ({marks}) AND {unfilled}",
                chunk,
            ):
                found[st] = tuple(values)
        return found

    def _write_pages(self, pages: Sequence[RawPage], now: str, run_id: int | None) -> int:
        bodies: dict[str, bytes] = {}
        rows = []
        for page in pages:
            digest = hashlib.sha256(page.body).hexdigest()
            bodies.setdefault(digest, page.body)
            rows.append(
                {
                    "url": page.url,
                    "status": page.status,
                    "headers": json.dumps(page.headers, ensure_ascii=False, sort_keys=True),
                    "fetched_at": page.fetched_at or now,
                    "digest": digest,
                    "kind": page.kind,
                    "st": page.st,
                    "extraction_error": page.extraction_error,
                    "run_id": run_id,
                    "from_cache": int(page.from_cache),
                }
            )
        marks = ",".join("?" * len(bodies))
        stored = {
            d
            for (d,) in self.conn.execute(
                f"SELECT digest FROM page_bodies WHERE digest IN ({marks})", list(bodies)
            )
        }
        codec = self.codec
        fresh = []
        for digest, body in bodies.items():
            if digest not in stored:  # each distinct body is stored once
                encoding, blob = codec.compress(body)
                fresh.append(
                    {"digest": digest, "encoding": encoding, "size": len(body), "body": blob}
                )
        self.db.table("page_bodies").insert_all(fresh)
        self.db.table("pages").insert_all(rows)
        if codec.current is None and fresh:
            count = self.conn.execute("SELECT count(*) FROM page_bodies").fetchone()[0]
            if count >= pages_codec.TRAIN_AT:  # enough of the site's pages to learn from
                dict_id = pages_codec.train(self.conn, codec, now)
                if dict_id is not None:
                    pages_codec.recompress(self.conn, codec, dict_id, in_transaction=True)
        return len(rows)

    # Runs ---------------------------------------------------------------------------

    def start_run(self, mode: str, arguments: Mapping[str, Any]) -> int:
        row = {
            "mode": mode,
            "arguments": json.dumps(dict(arguments), ensure_ascii=False, sort_keys=True),
            "started_at": utc_now(),
            "pid": os.getpid(),
        }
        return int(self.db.table("crawl_runs").insert(row).last_pk or 0)

    def finish_run(
        self,
        run_id: int,
        finish_reason: str,
        counters: Mapping[str, int],
        problems: Iterable[Mapping[str, Any]] = (),
        failures: Sequence[str] = (),
        outcome: str | None = None,
    ) -> None:
        """Close a run's row: counters, problems, and the verdict (``failures`` empty: ok,
        unless ``outcome`` says otherwise, ``stopped`` for a run stopped as asked); the
        run's robots.txt refusals settled (see :meth:`_settle_refusals`)."""
        problems = list(problems)
        values: dict[str, Any] = {name: int(counters.get(name, 0)) for name in RUN_COUNTERS}
        values |= {
            "finished_at": utc_now(),
            "finish_reason": finish_reason,
            "problems": json.dumps(problems, ensure_ascii=False),
            "outcome": "failed" if failures else (outcome or "ok"),
            "outcome_reasons": json.dumps(list(failures), ensure_ascii=False),
        }
        with self.transaction():
            self.db.table("crawl_runs").update(run_id, values)
            self._settle_refusals(run_id, problems)

    def run(self, run_id: int) -> dict[str, Any] | None:
        record = next(self.db.table("crawl_runs").rows_where("id = ?", [run_id]), None)
        if record is None:
            return None
        for name in ("arguments", "problems", "outcome_reasons"):
            record[name] = json.loads(record[name])
        return record

    def last_run(self) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT max(id) FROM crawl_runs").fetchone()
        return self.run(row[0]) if row and row[0] is not None else None


_COLUMNS: Final = ",".join(ARTICLE_COLUMNS)
_OLDER_CONTENT: Final = tuple(c for c in CONTENT_FIELDS if c not in ADDED_CONTENT)
#: What an article item must have.
_REQUIRED: Final = tuple(f.name for f in ARTICLE if f.item and f.required)


def _article_row(article: Mapping[str, Any], now: str) -> dict[str, Any]:
    """An article item as its row (a missing required field is a KeyError)."""
    row = {name: article.get(name) for name in ARTICLE_COLUMNS}
    for name in _REQUIRED:
        row[name] = article[name]
    row["st"] = int(article["st"])
    row["time_mismatch"] = int(bool(row["time_mismatch"]))
    for name in JSON_FIELDS:
        if row[name] is not None and not isinstance(row[name], str):
            row[name] = json.dumps(row[name], ensure_ascii=False) if row[name] else None
    row["published_date"] = str(row["published_at"])[:10]
    row["content_hash"] = content_hash(row)
    row["first_seen_at"] = now
    row["last_fetched_at"] = now
    row["revision"] = 1
    return row


def article_digest(article: Mapping[str, Any]) -> tuple[int, str]:
    """An article item's ``(st, content_hash)`` as :meth:`Archive.write_batch` would
    store them (pure: a re-extraction's workers compute it)."""
    row = _article_row(article, "")
    return row["st"], row["content_hash"]


def _listing_row(headline: Mapping[str, Any], now: str) -> dict[str, Any]:
    """A headline item as its row in ``listings``."""
    row = {name: headline.get(name) for name in LISTING_COLUMNS}
    row["st"] = int(headline["st"])
    row["first_seen_at"] = now
    return row


def upgrade(
    path: str | Path,
    progress: Callable[[str], None] | None = None,
    *,
    gazetteer: str | None = None,
    drop_gazetteer: bool = False,
    gazetteer_source: str = "your gazetteer",
) -> dict[str, int]:
    """Bring the archive at ``path`` up to this version (the schema, the search index,
    the entity tags, the stories); the caller holds its lock. ``gazetteer`` (a
    gazetteer file's text) is kept in the archive as its own additions to the package's
    gazetteer, and ``drop_gazetteer`` drops them; the articles are then tagged again (a
    file that cannot be used raises GazetteerError naming ``gazetteer_source``).
    Returns ``schema_before``, ``schema_after``, the articles ``reindexed``, ``tagged``
    and ``clustered``. Each step is a transaction of its own, so a killed upgrade leaves
    an archive the next one finishes."""
    conn = _open_for_writing(str(path))
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    try:
        before = migrate(conn, progress=say)
        if gazetteer is not None or drop_gazetteer:
            set_extra_gazetteer(conn, gazetteer, gazetteer_source)
        reindexed = build_index(conn, progress)
        tagged = build_tags(conn, progress)
        clustered = build_stories(conn, progress)
        with immediate(conn):
            if not entity_articles.built(conn):
                say("centrasia: listing each entity's articles (for networks)")
            entity_articles.build(conn) or entity_articles.fold(conn)
        after = schema_version(conn)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return {
        "schema_before": before,
        "schema_after": after,
        "reindexed": reindexed,
        "tagged": tagged,
        "clustered": clustered,
    }
