"""The archive: every read and write the crawler and the CLI make, in one place.

An :class:`Archive` is one SQLite file in WAL mode (readers are never blocked by
the crawl's writer, and never see half of a write). Writes come in batches, each
batch one transaction: :meth:`Archive.write_batch` stores articles (new ones
inserted, changed ones revised with the old version kept in
``article_revisions``), headlines as listed, and raw pages (compressed,
deduplicated by digest).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import sqlite_utils

from centrasia_crawler.archive.schema import SCHEMA_VERSION, fold_yo, migrate, schema_version
from centrasia_crawler.normalize.headline import attribution

#: The columns of ``articles`` that make up an article's content (its hash covers them).
CONTENT_FIELDS: Final = (
    "title",
    "published_at",
    "body",
    "source",
    "source_url",
    "original_date",
    "stated_permalink",
    "time_mismatch",
)
ARTICLE_COLUMNS: Final = (
    "st",
    "url",
    "title",
    "attribution",
    "published_at",
    "published_date",
    "body",
    "source",
    "source_url",
    "original_date",
    "stated_permalink",
    "time_mismatch",
    "content_hash",
    "first_seen_at",
    "last_fetched_at",
    "revision",
)
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
)


def utc_now() -> str:
    """The current time, ISO 8601 in UTC, to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def content_hash(article: Mapping[str, Any]) -> str:
    """A digest of an article's content (not of when it was fetched)."""
    content = [article.get(name) for name in CONTENT_FIELDS]
    content[-1] = int(bool(content[-1]))
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

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` it was served with, if any (header names in any case)."""
        for name, values in self.headers.items():
            if name.lower() == "content-type" and values:
                return values[0]
        return None


#: Every stored fetch with its body, as _raw_page reads it; a WHERE/ORDER may follow.
_PAGE_SELECT: Final = (
    "SELECT p.url, p.status, p.headers, b.body, b.encoding, p.fetched_at, p.kind, p.st,"
    " p.extraction_error FROM pages p JOIN page_bodies b ON b.digest = p.digest"
)


class Archive:
    """One archive file. Open with :meth:`open`; use as a context manager."""

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        # SQLite's NOCASE and lower() fold ASCII only: fold(x) folds Cyrillic case and ё.
        conn.create_function("fold", 1, _fold, deterministic=True)
        self.conn = conn
        self.path = path
        self.db = sqlite_utils.Database(conn)

    @classmethod
    def open(cls, path: str | Path, *, readonly: bool = False) -> Archive:
        """Open (creating and upgrading as needed) the archive at ``path``.

        ``readonly`` opens an existing archive for reading only, as the crawl's own
        look-ups and analysts' tools do.
        """
        path = str(path)
        if readonly and os.access(path, os.W_OK):
            with cls.open(path):  # upgrade an older archive first, as any open does
                pass
        if readonly:
            conn = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
            )
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 30000")
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn)
        elif schema_version(conn) != SCHEMA_VERSION:
            conn.close()
            raise sqlite3.OperationalError(
                f"{path}: archive schema version differs from {SCHEMA_VERSION}; "
                "open it once for writing to upgrade it"
            )
        return cls(conn, path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it lands, or none of it."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # Reads --------------------------------------------------------------------------

    def has_article(self, st: int) -> bool:
        row = self.conn.execute("SELECT 1 FROM articles WHERE st = ?", (st,)).fetchone()
        return row is not None

    def article(self, st: int) -> dict[str, Any] | None:
        cursor = self.conn.execute("SELECT * FROM articles WHERE st = ?", (st,))
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([c[0] for c in cursor.description], row, strict=True))

    def revisions(self, st: int) -> list[dict[str, Any]]:
        cursor = self.conn.execute(
            "SELECT * FROM article_revisions WHERE st = ? ORDER BY revision", (st,)
        )
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def sts_published_since(self, since_st: int) -> list[int]:
        """The articles published at or after ``since_st``, newest first."""
        rows = self.conn.execute(
            "SELECT st FROM articles WHERE st >= ? ORDER BY st DESC", (since_st,)
        )
        return [st for (st,) in rows]

    def count(self, table: str) -> int:
        return int(self.db[table].count)

    def page_body(self, url: str) -> RawPage | None:
        """The most recently fetched raw page of ``url``."""
        row = self.conn.execute(
            f"{_PAGE_SELECT} WHERE p.url = ? ORDER BY p.id DESC LIMIT 1", (url,)
        ).fetchone()
        return None if row is None else _raw_page(row)

    def latest_pages(self, kinds: Sequence[str] = ("article", "listing")) -> Iterator[RawPage]:
        """The most recent fetch of every URL of these kinds, oldest URL first (streamed)."""
        marks = ",".join("?" * len(kinds))
        cursor = self.conn.execute(
            f"{_PAGE_SELECT} WHERE p.id IN"
            f" (SELECT max(id) FROM pages WHERE kind IN ({marks}) GROUP BY url) ORDER BY p.id",
            list(kinds),
        )
        for row in cursor:
            yield _raw_page(row)

    def all_pages(self) -> Iterator[RawPage]:
        """Every stored fetch, oldest first (streamed)."""
        for row in self.conn.execute(f"{_PAGE_SELECT} ORDER BY p.id"):
            yield _raw_page(row)

    # Writes -------------------------------------------------------------------------

    def write_batch(
        self,
        articles: Sequence[Mapping[str, Any]] = (),
        listings: Sequence[Mapping[str, Any]] = (),
        pages: Sequence[RawPage] = (),
        run_id: int | None = None,
        fetched: bool = True,
    ) -> BatchResult:
        """Store a batch in one transaction.

        Articles are keyed by ``st``: a new one is inserted (revision 1); one whose
        content changed gets the next revision, the previous row copied to
        ``article_revisions`` first; an unchanged one only has ``last_fetched_at``
        moved on (unless ``fetched`` is False: a re-extraction fetched nothing).
        Headlines are kept once per ``(st, listed_on)``.
        """
        now = utc_now()
        result = BatchResult()
        with self.transaction() as conn:
            if pages:
                result.pages = self._write_pages(conn, pages, now, run_id)
            if listings:
                result.listings = self._write_listings(conn, listings, now)
            if articles:
                self._write_articles(conn, articles, now, result, fetched)
        return result

    def _write_articles(
        self,
        conn: sqlite3.Connection,
        articles: Sequence[Mapping[str, Any]],
        now: str,
        result: BatchResult,
        fetched: bool = True,
    ) -> None:
        latest: dict[int, Mapping[str, Any]] = {}
        for article in articles:  # the last fetch of an st in a batch wins
            latest[int(article["st"])] = article
        known: dict[int, tuple[str, int]] = {}
        sts = list(latest)
        for start in range(0, len(sts), 500):
            chunk = sts[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for st, digest, revision in conn.execute(
                f"SELECT st, content_hash, revision FROM articles WHERE st IN ({marks})", chunk
            ):
                known[st] = (digest, revision)
        inserts, touched = [], []
        for st, article in latest.items():
            row = _article_row(article, now)
            if st not in known:
                inserts.append(row)
                result.new.append(st)
            elif known[st][0] == row["content_hash"]:
                touched.append((now, st))
                result.unchanged.append(st)
            else:
                if not fetched:
                    row["last_fetched_at"] = self._last_fetched(conn, st)
                self._revise(conn, st, row, now)
                result.changed.append(st)
        if inserts:
            columns = ",".join(ARTICLE_COLUMNS)
            marks = ",".join("?" * len(ARTICLE_COLUMNS))
            conn.executemany(
                f"INSERT INTO articles ({columns}) VALUES ({marks})",
                [tuple(row[c] for c in ARTICLE_COLUMNS) for row in inserts],
            )
        if touched and fetched:
            conn.executemany("UPDATE articles SET last_fetched_at = ? WHERE st = ?", touched)

    @staticmethod
    def _last_fetched(conn: sqlite3.Connection, st: int) -> str:
        return str(
            conn.execute("SELECT last_fetched_at FROM articles WHERE st = ?", (st,)).fetchone()[0]
        )

    def _revise(self, conn: sqlite3.Connection, st: int, row: dict[str, Any], now: str) -> None:
        columns = ",".join(ARTICLE_COLUMNS)
        conn.execute(
            f"INSERT INTO article_revisions ({columns}, superseded_at)"
            f" SELECT {columns}, ? FROM articles WHERE st = ?",
            (now, st),
        )
        changed = [c for c in ARTICLE_COLUMNS if c not in ("st", "first_seen_at", "revision")]
        assignments = ", ".join(f"{c} = ?" for c in changed)
        conn.execute(
            f"UPDATE articles SET {assignments}, revision = revision + 1 WHERE st = ?",
            [*(row[c] for c in changed), st],
        )

    def _write_listings(
        self, conn: sqlite3.Connection, listings: Sequence[Mapping[str, Any]], now: str
    ) -> int:
        rows = [
            (
                int(h["st"]),
                h["listed_on"],
                h["listed_at"],
                h["title"],
                h.get("attribution"),
                h["page_url"],
                now,
            )
            for h in listings
        ]
        before = conn.total_changes
        conn.executemany(
            f"INSERT OR IGNORE INTO listings ({','.join(LISTING_COLUMNS)}) VALUES (?,?,?,?,?,?,?)",
            rows,
        )
        return conn.total_changes - before

    def _write_pages(
        self, conn: sqlite3.Connection, pages: Sequence[RawPage], now: str, run_id: int | None
    ) -> int:
        bodies = {}
        rows = []
        for page in pages:
            digest = hashlib.sha256(page.body).hexdigest()
            if digest not in bodies:
                bodies[digest] = page.body
            rows.append(
                (
                    page.url,
                    page.status,
                    json.dumps(page.headers, ensure_ascii=False, sort_keys=True),
                    page.fetched_at or now,
                    digest,
                    page.kind,
                    page.st,
                    page.extraction_error,
                    run_id,
                )
            )
        present: set[str] = set()
        digests = list(bodies)
        for start in range(0, len(digests), 500):
            chunk = digests[start : start + 500]
            marks = ",".join("?" * len(chunk))
            present.update(
                d
                for (d,) in conn.execute(
                    f"SELECT digest FROM page_bodies WHERE digest IN ({marks})", chunk
                )
            )
        conn.executemany(
            "INSERT INTO page_bodies (digest, encoding, size, body) VALUES (?, 'zlib', ?, ?)",
            [(d, len(b), zlib.compress(b, 6)) for d, b in bodies.items() if d not in present],
        )
        conn.executemany(
            "INSERT INTO pages (url, status, headers, fetched_at, digest, kind, st,"
            " extraction_error, run_id) VALUES (?,?,?,?,?,?,?,?,?)",
            rows,
        )
        return len(rows)

    # Runs ---------------------------------------------------------------------------

    def start_run(self, mode: str, arguments: Mapping[str, Any]) -> int:
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO crawl_runs (mode, arguments, started_at) VALUES (?, ?, ?)",
                (mode, json.dumps(dict(arguments), ensure_ascii=False, sort_keys=True), utc_now()),
            )
        return int(cursor.lastrowid or 0)

    def finish_run(
        self,
        run_id: int,
        finish_reason: str,
        counters: Mapping[str, int],
        problems: Iterable[Mapping[str, Any]] = (),
        failures: Sequence[str] = (),
    ) -> None:
        """Close a run's row: counters, problems, and the verdict (``failures`` empty: ok)."""
        values = [int(counters.get(name, 0)) for name in RUN_COUNTERS]
        with self.transaction() as conn:
            conn.execute(
                f"UPDATE crawl_runs SET finished_at = ?, finish_reason = ?,"
                f" {', '.join(f'{n} = ?' for n in RUN_COUNTERS)}, problems = ?,"
                " outcome = ?, outcome_reasons = ? WHERE id = ?",
                [
                    utc_now(),
                    finish_reason,
                    *values,
                    json.dumps(list(problems), ensure_ascii=False),
                    "failed" if failures else "ok",
                    json.dumps(list(failures), ensure_ascii=False),
                    run_id,
                ],
            )

    def run(self, run_id: int) -> dict[str, Any] | None:
        cursor = self.conn.execute("SELECT * FROM crawl_runs WHERE id = ?", (run_id,))
        row = cursor.fetchone()
        if row is None:
            return None
        record = dict(zip([c[0] for c in cursor.description], row, strict=True))
        record["arguments"] = json.loads(record["arguments"])
        record["problems"] = json.loads(record["problems"])
        record["outcome_reasons"] = json.loads(record["outcome_reasons"])
        return record

    def last_run(self) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT max(id) FROM crawl_runs").fetchone()
        return self.run(row[0]) if row and row[0] is not None else None


def _fold(text: str | None) -> str | None:
    return None if text is None else fold_yo(text).casefold()


def _raw_page(row: Sequence[Any]) -> RawPage:
    body = zlib.decompress(row[3]) if row[4] == "zlib" else bytes(row[3])
    return RawPage(row[0], row[1], json.loads(row[2]), body, row[5], row[6], row[7], row[8])


def _article_row(article: Mapping[str, Any], now: str) -> dict[str, Any]:
    row = {name: article.get(name) for name in ARTICLE_COLUMNS}
    row["st"] = int(article["st"])
    row["time_mismatch"] = int(bool(article.get("time_mismatch")))
    row["attribution"] = article.get("attribution") or attribution(article["title"])
    row["published_date"] = str(article["published_at"])[:10]
    row["content_hash"] = content_hash(row)
    row["first_seen_at"] = now
    row["last_fetched_at"] = now
    row["revision"] = 1
    return row
