"""The archive's schema, its version, and the upgrades between versions.

The schema is a public interface (analysts query it with sqlite-utils, Datasette
or plain SQL); README.md documents every table and column. The version is kept in
``PRAGMA user_version``; :func:`migrate` brings an archive of any older version up
to :data:`SCHEMA_VERSION`, in place, each step in its own transaction.
"""

from __future__ import annotations

import sqlite3
from typing import Final

#: Folds text for full-text search: ё -> е (SQLite's unicode61 folds case, not ё).
FOLD_SQL: Final = "replace(replace({}, 'ё', 'е'), 'Ё', 'Е')"


def fold_yo(text: str) -> str:
    """Fold ``ё`` to ``е`` the way the full-text index does.

    >>> fold_yo("Ёлка и её")
    'Елка и ее'
    """
    return text.replace("ё", "е").replace("Ё", "Е")


def _fts_triggers() -> str:
    title, body = FOLD_SQL.format("new.title"), FOLD_SQL.format("new.body")
    return f"""
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, body) VALUES (new.st, {title}, {body});
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, body ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid = old.st;
    INSERT INTO articles_fts (rowid, title, body) VALUES (new.st, {title}, {body});
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    DELETE FROM articles_fts WHERE rowid = old.st;
END;
"""


V1: Final = """
CREATE TABLE articles (
    st INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    attribution TEXT,
    published_at TEXT NOT NULL,
    published_date TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT,
    source_url TEXT,
    original_date TEXT,
    stated_permalink TEXT,
    content_hash TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_fetched_at TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX articles_published_date ON articles (published_date);
CREATE INDEX articles_source ON articles (source);

CREATE TABLE article_revisions (
    st INTEGER NOT NULL REFERENCES articles (st),
    revision INTEGER NOT NULL,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    attribution TEXT,
    published_at TEXT NOT NULL,
    published_date TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT,
    source_url TEXT,
    original_date TEXT,
    stated_permalink TEXT,
    content_hash TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_fetched_at TEXT NOT NULL,
    superseded_at TEXT NOT NULL,
    PRIMARY KEY (st, revision)
);

CREATE TABLE listings (
    st INTEGER NOT NULL,
    listed_on TEXT NOT NULL,
    listed_at TEXT NOT NULL,
    title TEXT NOT NULL,
    attribution TEXT,
    page_url TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (st, listed_on)
);
CREATE INDEX listings_listed_on ON listings (listed_on);

CREATE TABLE page_bodies (
    digest TEXT PRIMARY KEY,
    encoding TEXT NOT NULL,
    size INTEGER NOT NULL,
    body BLOB NOT NULL
);

CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    digest TEXT NOT NULL REFERENCES page_bodies (digest),
    kind TEXT,
    st INTEGER,
    extraction_error TEXT,
    run_id INTEGER REFERENCES crawl_runs (id)
);
CREATE INDEX pages_url ON pages (url);
CREATE INDEX pages_st ON pages (st);

CREATE TABLE crawl_runs (
    id INTEGER PRIMARY KEY,
    mode TEXT NOT NULL,
    arguments TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    finish_reason TEXT,
    requests INTEGER NOT NULL DEFAULT 0,
    new_articles INTEGER NOT NULL DEFAULT 0,
    changed_articles INTEGER NOT NULL DEFAULT 0,
    unchanged_articles INTEGER NOT NULL DEFAULT 0,
    dropped_items INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    problems TEXT NOT NULL DEFAULT '[]'
);
"""

#: Version 2: full-text search over title and body, ё folded to е.
V2: Final = f"""
CREATE VIRTUAL TABLE articles_fts USING fts5 (title, body, tokenize = 'unicode61');
INSERT INTO articles_fts (rowid, title, body)
    SELECT st, {FOLD_SQL.format("title")}, {FOLD_SQL.format("body")} FROM articles;
{_fts_triggers()}
"""

#: Version 3: the flag for articles whose shown time disagrees with their st.
V3: Final = """
ALTER TABLE articles ADD COLUMN time_mismatch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE article_revisions ADD COLUMN time_mismatch INTEGER NOT NULL DEFAULT 0;
"""

#: Version 4: each run's verdict, from the checks of centrasia_crawler.health.
V4: Final = """
ALTER TABLE crawl_runs ADD COLUMN outcome TEXT;
ALTER TABLE crawl_runs ADD COLUMN outcome_reasons TEXT NOT NULL DEFAULT '[]';
"""

#: One SQL script per version; version N is reached by running MIGRATIONS[N - 1].
MIGRATIONS: Final = (V1, V2, V3, V4)
SCHEMA_VERSION: Final = len(MIGRATIONS)


class ArchiveVersionError(RuntimeError):
    """The archive was written by a newer version of centrasia-crawler."""


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, upto: int = SCHEMA_VERSION) -> int:
    """Upgrade the archive to version ``upto``; return the version it had before."""
    before = schema_version(conn)
    if before > SCHEMA_VERSION:
        raise ArchiveVersionError(
            f"archive schema version {before} is newer than this program's {SCHEMA_VERSION}"
        )
    for version in range(before + 1, upto + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) >= version:  # another process got here first
                conn.execute("ROLLBACK")
                continue
            for statement in _statements(MIGRATIONS[version - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version:d}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return before


def _statements(script: str) -> list[str]:
    """The statements of a script, split so they run inside our own transaction."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    return [s for s in statements if s]
