"""The archive's schema, its version, and the upgrades between versions.

The schema is a public interface (analysts query it with sqlite-utils, Datasette
or plain SQL); docs/schema.md documents every table and column. The version is kept in
``PRAGMA user_version``; :func:`migrate` brings an archive of any older version up
to :data:`SCHEMA_VERSION`, in place, each step in its own transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Final

from centrasia_crawler.archive.transactions import immediate
from centrasia_crawler.fields import ARTICLE
from centrasia_crawler.normalize.text import fold_yo

__all__ = [
    "FOLD_SQL",
    "MIGRATIONS",
    "OUTLET_SQL",
    "SCHEMA_VERSION",
    "TABLE_DOCS",
    "fold_yo",
    "migrate",
]

#: Folds text for full-text search as :func:`fold_yo` does, in SQL: ё -> е (SQLite's
#: unicode61 folds case, not ё).
FOLD_SQL: Final = "replace(replace({}, 'ё', 'е'), 'Ё', 'Е')"
#: The outlet an article is counted under, in SQL: its ``outlet``, else its ``source``
#: as printed (rows stored before schema 11 have no outlet until ``centrasia reparse``).
#: ``{0}`` is the table's alias and a dot (``OUTLET_SQL.format("a.")``), or nothing.
OUTLET_SQL: Final = "coalesce({0}outlet, {0}source)"


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

#: Version 5: search by any form of a word (centrasia_crawler.archive.morph fills it:
#: the terms come from Python, so no trigger can). content="articles" is how
#: sqlite-utils and Datasette find an index of the articles table.
V5: Final = """
CREATE VIRTUAL TABLE articles_morph USING fts5 (
    title, body, content="articles", content_rowid="st", tokenize = 'unicode61'
);
CREATE TABLE morph_terms (
    lemma TEXT NOT NULL,
    term TEXT NOT NULL,
    PRIMARY KEY (lemma, term)
) WITHOUT ROWID;
CREATE TABLE archive_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

#: Version 6: raw pages compressed with Zstandard dictionaries trained on the archive's
#: own pages (centrasia_crawler.archive.pages); zlib bodies keep reading.
V6: Final = """
CREATE TABLE compression_dicts (
    id INTEGER PRIMARY KEY,
    trained_at TEXT NOT NULL,
    samples INTEGER NOT NULL,
    sample_bytes INTEGER NOT NULL,
    dict BLOB NOT NULL
);
"""

#: Version 7: each term's occurrences in the archive, kept with the morphological index
#: (filled here from the index itself); an index of the columns read beside an article's
#: number (a lookup by st otherwise walks past the body's overflow pages to the source).
V7: Final = """
CREATE TABLE morph_counts (
    term TEXT PRIMARY KEY,
    occurrences INTEGER NOT NULL
) WITHOUT ROWID;
CREATE VIRTUAL TABLE temp.centrasia_upgrade_vocab USING fts5vocab(main, 'articles_morph', 'row');
INSERT INTO morph_counts (term, occurrences) SELECT term, cnt FROM temp.centrasia_upgrade_vocab;
DROP TABLE temp.centrasia_upgrade_vocab;
CREATE INDEX articles_meta ON articles (st, published_date, source, attribution);
"""

#: Version 8: an index on attribution, for Datasette's facet and the
#: attribution_articles query (without it, each reads the whole articles table).
V8: Final = """
CREATE INDEX articles_attribution ON articles (attribution, st);
"""


def _external_fts_triggers() -> str:
    """Triggers keeping an external-content ``articles_fts``: a row leaves the index
    with the folded text it was indexed with (the articles row already holds the new
    one when an update's trigger runs)."""
    old = f"old.st, {FOLD_SQL.format('old.title')}, {FOLD_SQL.format('old.body')}"
    new = f"new.st, {FOLD_SQL.format('new.title')}, {FOLD_SQL.format('new.body')}"
    remove = f"INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', {old})"
    return f"""
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, body) VALUES ({new});
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, body ON articles BEGIN
    {remove};
    INSERT INTO articles_fts (rowid, title, body) VALUES ({new});
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    {remove};
END;
"""


#: Version 9: the exact-form index reads its text from the articles, through a view that
#: folds ё as the index does (FTS5's external content), instead of keeping its own copy
#: of every title and body (half the file on a large archive: docs/benchmarks.md). The
#: pages it held are free for new rows; a VACUUM gives them back to the file system.
V9: Final = f"""
DROP TRIGGER articles_fts_insert;
DROP TRIGGER articles_fts_update;
DROP TRIGGER articles_fts_delete;
DROP TABLE articles_fts;
CREATE VIEW articles_fts_text AS
    SELECT st, {FOLD_SQL.format("title")} AS title, {FOLD_SQL.format("body")} AS body
    FROM articles;
CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, body, content = 'articles_fts_text', content_rowid = 'st', tokenize = 'unicode61'
);
INSERT INTO articles_fts (articles_fts) VALUES ('rebuild');
{_external_fts_triggers()}
"""

#: Version 10: sqlite-utils (and Datasette, without our metadata) find a table's
#: full-text index by the text of its CREATE statement (``USING FTS5`` and
#: ``content="articles"``). They should find the exact-form index, whose terms are the
#: words as written, so that ``sqlite-utils search archive.sqlite articles Казахстане``
#: finds them; and they must never take the morphological index for one, whose terms
#: are lemmas a plain query never names and which ``sqlite-utils rebuild-fts`` would
#: silently fill with words. Only comments change, so the tables stay as they are
#: (no re-indexing): SQLite reads the statement again with the comments skipped.
V10: Final = """
PRAGMA writable_schema = ON;
UPDATE sqlite_master SET sql = replace(sql, 'USING fts5',
    'USING /* lemmas, not words: kept by centrasia_crawler/archive/morph.py */ fts5')
    WHERE name = 'articles_morph' AND type = 'table';
UPDATE sqlite_master SET sql = replace(sql, 'USING fts5',
    'USING fts5 /* content="articles": the articles'' words, ё as е */')
    WHERE name = 'articles_fts' AND type = 'table';
PRAGMA writable_schema = OFF;
"""

#: Version 11: the source's lines as outlets print them: the outlet each
#: source is counted under, its domain, every source in order, the lines as printed,
#: and the lines that looked like a date or source line but were not read. The
#: covering index of the columns read beside st gains the outlet (terms counts by it).
V11: Final = """
ALTER TABLE articles ADD COLUMN outlet TEXT;
ALTER TABLE articles ADD COLUMN source_domain TEXT;
ALTER TABLE articles ADD COLUMN sources TEXT;
ALTER TABLE articles ADD COLUMN source_text TEXT;
ALTER TABLE articles ADD COLUMN original_date_text TEXT;
ALTER TABLE articles ADD COLUMN unread_lines TEXT;
ALTER TABLE article_revisions ADD COLUMN outlet TEXT;
ALTER TABLE article_revisions ADD COLUMN source_domain TEXT;
ALTER TABLE article_revisions ADD COLUMN sources TEXT;
ALTER TABLE article_revisions ADD COLUMN source_text TEXT;
ALTER TABLE article_revisions ADD COLUMN original_date_text TEXT;
ALTER TABLE article_revisions ADD COLUMN unread_lines TEXT;
DROP INDEX articles_meta;
CREATE INDEX articles_meta ON articles (st, published_date, source, attribution, outlet);
CREATE INDEX articles_outlet ON articles (outlet, st);
"""

#: Version 12: a page replayed from Scrapy's HTTP cache is marked as such (its
#: fetched_at is then the original fetch's, from the response's Date header).
V12: Final = """
ALTER TABLE pages ADD COLUMN from_cache INTEGER NOT NULL DEFAULT 0;
"""

#: Version 13: what operations watch: the process of each run (``centrasia runs`` tells
#: a running run from a killed one by the archive lock's holder), its retries and HTTP
#: error answers; an index to find a URL's fetches by day (``centrasia prune``).
V13: Final = """
ALTER TABLE crawl_runs ADD COLUMN pid INTEGER;
ALTER TABLE crawl_runs ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE crawl_runs ADD COLUMN http_errors INTEGER NOT NULL DEFAULT 0;
CREATE INDEX pages_kind_fetched ON pages (kind, fetched_at);
"""

#: Version 14: who and where articles are about (:mod:`centrasia_crawler.entities`): the
#: gazetteer's entities and their names as the articles were tagged with them, and each
#: article's entities; ``article_countries`` follows from them (an entity of a country,
#: a city, a president, a parliament, counts for that country).
V14: Final = """
CREATE TABLE entities (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('country', 'place', 'person', 'organization')),
    country TEXT,
    kind TEXT,
    geonames INTEGER,
    description TEXT
);
CREATE TABLE entity_names (
    entity_id TEXT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'name',
    years TEXT,
    PRIMARY KEY (entity_id, name)
) WITHOUT ROWID;
CREATE TABLE entity_posts (
    entity_id TEXT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    years TEXT,
    PRIMARY KEY (entity_id, title)
) WITHOUT ROWID;
CREATE TABLE article_entities (
    st INTEGER NOT NULL REFERENCES articles (st) ON DELETE CASCADE,
    entity_id TEXT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    mentions INTEGER NOT NULL,
    in_title INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (st, entity_id)
) WITHOUT ROWID;
CREATE INDEX article_entities_entity ON article_entities (entity_id, st);
CREATE VIEW article_countries AS
    SELECT ae.st AS st, e.country AS country, sum(ae.mentions) AS mentions,
           max(ae.in_title) AS in_title
    FROM article_entities AS ae JOIN entities AS e ON e.id = ae.entity_id
    WHERE e.country IS NOT NULL
    GROUP BY ae.st, e.country;
"""

#: Version 15: each article robots.txt refused, as a row (coverage, stats and the
#: metrics read it instead of every run's problems). Filled from the runs' problems: an
#: article whose latest recorded problem was a refusal (as the coverage of version 14
#: read them). Kept by Archive.write_batch (as a crawl meets them) and finish_run (a
#: later problem of another kind: robots.txt no longer refuses it).
V15: Final = """
CREATE TABLE robots_refusals (
    st INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    run_id INTEGER,
    refused_at TEXT NOT NULL
);
INSERT INTO robots_refusals (st, url, run_id, refused_at)
    SELECT st, url, run_id, refused_at FROM (
        SELECT st, url, kind, run_id, refused_at,
               row_number() OVER (PARTITION BY st ORDER BY run_id DESC, position DESC) AS n
        FROM (
            SELECT CAST(substr(json_extract(p.value, '$.url'),
                               instr(json_extract(p.value, '$.url'), 'newsA.php?st=') + 13)
                        AS INTEGER) AS st,
                   json_extract(p.value, '$.url') AS url,
                   json_extract(p.value, '$.kind') AS kind,
                   r.id AS run_id,
                   coalesce(r.finished_at, r.started_at) AS refused_at,
                   CAST(p.key AS INTEGER) AS position
            FROM crawl_runs r, json_each(r.problems) p
            WHERE instr(json_extract(p.value, '$.url'), 'newsA.php?st=') > 0
        )
    )
    WHERE n = 1 AND kind = 'robots' AND st > 0;
"""

#: An article's countries as a JSON list of ISO codes (``st`` its st): what
#: ``article_tags`` stores, kept by :func:`centrasia_crawler.archive.tagging.write_entities`.
COUNTRY_LIST_SQL: Final = """
    (SELECT json_group_array(country) FROM (
        SELECT DISTINCT e.country AS country FROM article_entities AS ae
        JOIN entities AS e ON e.id = ae.entity_id
        WHERE ae.st = {st} AND e.country IS NOT NULL ORDER BY e.country))"""
#: An article's entities as a JSON list of names, most mentioned first.
ENTITY_LIST_SQL: Final = """
    (SELECT json_group_array(name) FROM (
        SELECT e.name AS name FROM article_entities AS ae
        JOIN entities AS e ON e.id = ae.entity_id
        WHERE ae.st = {st} ORDER BY ae.mentions DESC, e.name))"""

#: Version 16: each tagged article's countries as a JSON list, stored (``countries``
#: groups the articles by it; computed, it costs microseconds an article, seconds over
#: a large archive), and the view ``tagged_articles`` that Datasette facets
#: (``?_facet_array=countries``) and filters (``?countries__arraycontains=KZ``), with
#: the article's entities computed for the rows shown (stored, their names would grow a
#: large archive by 6%); ``article_entities_entity`` covers ``mentions`` too, so that
#: ``centrasia entities`` sums an entity's mentions from the index alone.
V16: Final = f"""
DROP INDEX article_entities_entity;
CREATE INDEX article_entities_entity ON article_entities (entity_id, st, mentions);
CREATE TABLE article_tags (
    st INTEGER PRIMARY KEY REFERENCES articles (st) ON DELETE CASCADE,
    countries TEXT NOT NULL
);
INSERT INTO article_tags (st, countries)
    SELECT a.st, {COUNTRY_LIST_SQL.format(st="a.st")}
    FROM articles AS a WHERE a.st IN (SELECT st FROM article_entities);
CREATE VIEW tagged_articles AS
    SELECT a.st AS st, a.published_date AS published_date, a.title AS title,
           coalesce(a.outlet, a.source) AS source, t.countries AS countries,
           {ENTITY_LIST_SQL.format(st="a.st")} AS entities
    FROM article_tags AS t JOIN articles AS a ON a.st = t.st;
"""

#: Version 17: every written form of the morphological index's words, with its term, so
#: that a prefix (``Жапаров*``) is matched against what the articles spell, not against
#: the terms (filled by centrasia_crawler.archive.morph when the index is rebuilt).
V17: Final = """
CREATE TABLE articles_morph_forms (
    form TEXT NOT NULL,
    term TEXT NOT NULL,
    occurrences INTEGER NOT NULL,
    PRIMARY KEY (form, term)
) WITHOUT ROWID;
CREATE INDEX articles_morph_forms_term ON articles_morph_forms (term, form, occurrences);
"""

#: Version 18: the fields a user's pipeline adds to an article, as one JSON object.
V18: Final = """
ALTER TABLE articles ADD COLUMN extra TEXT;
ALTER TABLE article_revisions ADD COLUMN extra TEXT;
"""

#: Version 19: stories, not reprints (:mod:`centrasia_crawler.archive.stories`): each
#: article's story, and the LSH bands of each article's MinHash signature by which its
#: near-duplicates are found as articles are stored. Filled by ``centrasia upgrade``.
V19: Final = """
CREATE TABLE article_stories (
    st INTEGER PRIMARY KEY REFERENCES articles (st) ON DELETE CASCADE,
    story INTEGER NOT NULL
);
CREATE INDEX article_stories_story ON article_stories (story, st);
CREATE TABLE story_bands (
    band INTEGER NOT NULL,
    st INTEGER NOT NULL REFERENCES articles (st) ON DELETE CASCADE,
    PRIMARY KEY (band, st)
) WITHOUT ROWID;
CREATE INDEX story_bands_st ON story_bands (st);
"""

#: The statement that bumps the archive's data version (``data_version``).
BUMP_SQL: Final = "UPDATE data_version SET version = version + 1"
_OUTLET_NEW, _OUTLET_OLD = OUTLET_SQL.format("new."), OUTLET_SQL.format("old.")
#: The revisions of article ``{0}.st`` (``new`` or ``old``) as a count.
_REVISIONS: Final = "(SELECT count(*) FROM article_revisions WHERE st = {0}.st)"
#: The day of the article ``{0}.st`` is stored under (NULL when it is not archived).
_DAY_OF: Final = "(SELECT published_date FROM articles WHERE st = {0}.st)"
#: The tables whose rows change what a read answers without being counted in a summary:
#: a write to them bumps the data version alone.
VERSIONED_TABLES: Final = (
    "article_stories",
    "robots_refusals",
    "entities",
    "entity_names",
    "entity_posts",
)


def _count_day(table: str, keys: str, values: str, sign: str = "+") -> str:
    """An upsert adding ``sign`` 1 to ``articles`` of the row ``keys`` = ``values`` (a
    SELECT list ending in its FROM and WHERE, or none)."""
    return (
        f"INSERT INTO {table} ({keys}, articles) SELECT {values}"
        f" ON CONFLICT ({keys}) DO UPDATE SET articles = articles {sign} 1"
    )


def _entity_days(st: str, day: str, sign: str) -> str:
    """The entity-days of article ``st`` on ``day``: one more (``+``) or one fewer."""
    return _key_days(
        "summary_entity_days", "entity_id", "entity_id", "article_entities", f"st = {st}", day, sign
    )


def _country_days(countries: str, day: str, sign: str) -> str:
    """The country-days of the countries ``countries`` (a JSON list) on ``day``."""
    return _key_days(
        "summary_country_days", "country", "value", f"json_each({countries})", None, day, sign
    )


def _key_days(
    table: str, key: str, value: str, source: str, where: str | None, day: str, sign: str
) -> str:
    """One more (``+``) or one fewer article on ``day`` for each ``key`` that ``value``
    gives from ``source`` (rows ``where`` holds)."""
    if sign == "+":
        kept = f"{where} AND " if where else ""
        return _count_day(
            table, f"{key}, day", f"{value}, {day}, 1 FROM {source} WHERE {kept}{day} IS NOT NULL"
        )
    kept = f" WHERE {where}" if where else ""
    return (
        f"UPDATE {table} SET articles = articles - 1 WHERE day = {day}"
        f" AND {key} IN (SELECT {value} FROM {source}{kept})"
    )


def _tags_of(st: str) -> str:
    return f"(SELECT countries FROM article_tags WHERE st = {st})"


def _summary_triggers() -> str:
    """The triggers that keep the summary tables and the data version, in the writer's
    own transaction: every path that writes the articles, their listings, revisions and
    tags (a crawl, a re-extraction, re-tagging, a DELETE by hand) keeps them right."""
    day_new, day_old = _DAY_OF.format("new"), _DAY_OF.format("old")
    counted = f"{_OUTLET_NEW}, 1 WHERE {_OUTLET_NEW} IS NOT NULL"
    outlet = _count_day("summary_outlets", "outlet", counted)
    counted = "new.attribution, 1 WHERE new.attribution IS NOT NULL"
    attribution = _count_day("summary_attributions", "attribution", counted)
    counted = f"new.entity_id, {day_new}, 1 WHERE {day_new} IS NOT NULL"
    entity_day = _count_day("summary_entity_days", "entity_id, day", counted)
    entity_in = f"""
    INSERT INTO summary_entities (entity_id, articles, mentions)
        VALUES (new.entity_id, 1, new.mentions)
        ON CONFLICT (entity_id) DO UPDATE SET articles = articles + 1,
            mentions = mentions + excluded.mentions;
    {entity_day};"""
    entity_out = f"""
    UPDATE summary_entities SET articles = articles - 1, mentions = mentions - old.mentions
        WHERE entity_id = old.entity_id;
    UPDATE summary_entity_days SET articles = articles - 1
        WHERE entity_id = old.entity_id AND day = {day_old};"""
    triggers = {
        # An article: its day, outlet and attribution; its revisions, entities and
        # countries (stored before it, by a writer without foreign keys) count from now.
        "summary_articles_insert AFTER INSERT ON articles": f"""
    INSERT INTO summary_days (day, archived, revisions)
        VALUES (new.published_date, 1, {_REVISIONS.format("new")})
        ON CONFLICT (day) DO UPDATE SET archived = archived + 1,
            revisions = revisions + excluded.revisions;
    {outlet};
    {attribution};
    {_entity_days("new.st", "new.published_date", "+")};
    {_country_days(_tags_of("new.st"), "new.published_date", "+")};
    {BUMP_SQL};""",
        # Its entities and countries go first, while the article still gives their day
        # (the foreign keys' cascade then finds none).
        "summary_articles_before_delete BEFORE DELETE ON articles": """
    DELETE FROM article_entities WHERE st = old.st;
    DELETE FROM article_tags WHERE st = old.st;""",
        "summary_articles_delete AFTER DELETE ON articles": f"""
    UPDATE summary_days SET archived = archived - 1,
        revisions = revisions - {_REVISIONS.format("old")} WHERE day = old.published_date;
    UPDATE summary_outlets SET articles = articles - 1 WHERE outlet = {_OUTLET_OLD};
    UPDATE summary_attributions SET articles = articles - 1
        WHERE attribution = old.attribution;
    {BUMP_SQL};""",
        "summary_articles_day AFTER UPDATE OF published_date ON articles"
        " WHEN old.published_date IS NOT new.published_date": f"""
    UPDATE summary_days SET archived = archived - 1,
        revisions = revisions - {_REVISIONS.format("new")} WHERE day = old.published_date;
    INSERT INTO summary_days (day, archived, revisions)
        VALUES (new.published_date, 1, {_REVISIONS.format("new")})
        ON CONFLICT (day) DO UPDATE SET archived = archived + 1,
            revisions = revisions + excluded.revisions;
    {_entity_days("new.st", "old.published_date", "-")};
    {_entity_days("new.st", "new.published_date", "+")};
    {_country_days(_tags_of("new.st"), "old.published_date", "-")};
    {_country_days(_tags_of("new.st"), "new.published_date", "+")};""",
        "summary_articles_outlet AFTER UPDATE OF outlet, source ON articles"
        f" WHEN {_OUTLET_OLD} IS NOT {_OUTLET_NEW}": f"""
    UPDATE summary_outlets SET articles = articles - 1 WHERE outlet = {_OUTLET_OLD};
    {outlet};""",
        "summary_articles_attribution AFTER UPDATE OF attribution ON articles"
        " WHEN old.attribution IS NOT new.attribution": f"""
    UPDATE summary_attributions SET articles = articles - 1
        WHERE attribution = old.attribution;
    {attribution};""",
        "data_version_articles_update AFTER UPDATE ON articles": f"""
    {BUMP_SQL};""",
        # A revision counts on the day of its article as it is now.
        "summary_revisions_insert AFTER INSERT ON article_revisions": f"""
    UPDATE summary_days SET revisions = revisions + 1 WHERE day = {day_new};
    {BUMP_SQL};""",
        "summary_revisions_delete AFTER DELETE ON article_revisions": f"""
    UPDATE summary_days SET revisions = revisions - 1 WHERE day = {day_old};
    {BUMP_SQL};""",
        "summary_revisions_update AFTER UPDATE OF st ON article_revisions": f"""
    UPDATE summary_days SET revisions = revisions - 1 WHERE day = {day_old};
    UPDATE summary_days SET revisions = revisions + 1 WHERE day = {day_new};
    {BUMP_SQL};""",
        # A headline counts on its day (listings' key is (st, listed_on): once an st).
        "summary_listings_insert AFTER INSERT ON listings": f"""
    INSERT INTO summary_days (day, listed) VALUES (new.listed_on, 1)
        ON CONFLICT (day) DO UPDATE SET listed = listed + 1;
    {BUMP_SQL};""",
        "summary_listings_delete AFTER DELETE ON listings": f"""
    UPDATE summary_days SET listed = listed - 1 WHERE day = old.listed_on;
    {BUMP_SQL};""",
        "summary_listings_update AFTER UPDATE OF listed_on ON listings"
        " WHEN old.listed_on IS NOT new.listed_on": f"""
    UPDATE summary_days SET listed = listed - 1 WHERE day = old.listed_on;
    INSERT INTO summary_days (day, listed) VALUES (new.listed_on, 1)
        ON CONFLICT (day) DO UPDATE SET listed = listed + 1;
    {BUMP_SQL};""",
        # An article's entity: the entity's articles and mentions, and its day.
        "summary_entities_insert AFTER INSERT ON article_entities": f"""{entity_in}
    {BUMP_SQL};""",
        "summary_entities_delete AFTER DELETE ON article_entities": f"""{entity_out}
    {BUMP_SQL};""",
        "summary_entities_update AFTER UPDATE OF st, entity_id, mentions ON article_entities": (
            f"{entity_out}{entity_in}\n    {BUMP_SQL};"
        ),
        # An article's countries, on its day. INSERT OR REPLACE (how the tagger writes
        # them) fires the DELETE trigger of the row it replaces only on a connection with
        # recursive triggers on (sqlite-utils turns them on): on others, the list it
        # replaces is taken out first.
        "summary_tags_replace BEFORE INSERT ON article_tags"
        " WHEN NOT (SELECT recursive_triggers FROM pragma_recursive_triggers)"
        " AND EXISTS (SELECT 1 FROM article_tags WHERE st = new.st)": f"""
    {_country_days(_tags_of("new.st"), day_new, "-")};""",
        "summary_tags_insert AFTER INSERT ON article_tags": f"""
    {_country_days("new.countries", day_new, "+")};
    {BUMP_SQL};""",
        "summary_tags_delete AFTER DELETE ON article_tags": f"""
    {_country_days("old.countries", day_old, "-")};
    {BUMP_SQL};""",
        "summary_tags_update AFTER UPDATE OF st, countries ON article_tags": f"""
    {_country_days("old.countries", day_old, "-")};
    {_country_days("new.countries", day_new, "+")};
    {BUMP_SQL};""",
    }
    for table in VERSIONED_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            triggers[f"data_version_{table}_{event.lower()} AFTER {event} ON {table}"] = (
                f"\n    {BUMP_SQL};"
            )
    return "\n".join(f"CREATE TRIGGER {head} BEGIN{body}\nEND;" for head, body in triggers.items())


#: Version 20: the counts that only a write changes, kept by triggers in the writer's
#: transaction (:mod:`centrasia_crawler.archive.summaries` reads them): per day (listed,
#: archived, revisions), per outlet, per attribution, per entity (and day) and per
#: country and day; and the data version, which every write bumps (a result computed
#: for a version is stale once it moves). Filled here from the tables they count.
V20: Final = f"""
CREATE TABLE summary_days (
    day TEXT PRIMARY KEY,
    listed INTEGER NOT NULL DEFAULT 0,
    archived INTEGER NOT NULL DEFAULT 0,
    revisions INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE summary_outlets (
    outlet TEXT PRIMARY KEY,
    articles INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE summary_attributions (
    attribution TEXT PRIMARY KEY,
    articles INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE summary_entities (
    entity_id TEXT PRIMARY KEY,
    articles INTEGER NOT NULL DEFAULT 0,
    mentions INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE summary_entity_days (
    entity_id TEXT NOT NULL,
    day TEXT NOT NULL,
    articles INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (entity_id, day)
) WITHOUT ROWID;
CREATE TABLE summary_country_days (
    country TEXT NOT NULL,
    day TEXT NOT NULL,
    articles INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (country, day)
) WITHOUT ROWID;
CREATE TABLE data_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO data_version (id, version) VALUES (1, 1);
INSERT INTO summary_days (day, listed)
    SELECT listed_on, count(*) FROM listings GROUP BY listed_on;
INSERT INTO summary_days (day, archived)
    SELECT published_date, count(*) FROM articles WHERE true GROUP BY published_date
    ON CONFLICT (day) DO UPDATE SET archived = excluded.archived;
INSERT INTO summary_days (day, revisions)
    SELECT a.published_date, count(*) FROM article_revisions r JOIN articles a ON a.st = r.st
    WHERE true GROUP BY a.published_date
    ON CONFLICT (day) DO UPDATE SET revisions = excluded.revisions;
INSERT INTO summary_outlets (outlet, articles)
    SELECT {OUTLET_SQL.format("")}, count(*) FROM articles
    WHERE {OUTLET_SQL.format("")} IS NOT NULL GROUP BY 1;
INSERT INTO summary_attributions (attribution, articles)
    SELECT attribution, count(*) FROM articles WHERE attribution IS NOT NULL GROUP BY 1;
INSERT INTO summary_entities (entity_id, articles, mentions)
    SELECT entity_id, count(*), sum(mentions) FROM article_entities GROUP BY entity_id;
INSERT INTO summary_entity_days (entity_id, day, articles)
    SELECT ae.entity_id, a.published_date, count(*) FROM article_entities ae
    JOIN articles a ON a.st = ae.st GROUP BY 1, 2;
INSERT INTO summary_country_days (country, day, articles)
    SELECT j.value, a.published_date, count(*) FROM article_tags t
    JOIN articles a ON a.st = t.st, json_each(t.countries) j GROUP BY 1, 2;
{_summary_triggers()}
"""


def _pair_triggers() -> str:
    """The triggers that keep ``summary_entity_pairs``: an entity's row of an article
    pairs it, both ways, with the article's other entities (those written before it; the
    ones after pair with it in their turn), and takes the pairs away again when it goes."""
    others = "SELECT entity_id FROM article_entities WHERE st = {st} AND entity_id <> {me}"
    kept = " AND NOT (st = new.st AND entity_id = new.entity_id)"

    def add(st: str, me: str, extra: str = "") -> str:
        found = others.format(st=st, me=me) + extra
        return "\n".join(
            f"    INSERT INTO summary_entity_pairs (entity_id, other_id, articles)"
            f" SELECT {pair}, 1 FROM ({found})"
            f" WHERE true ON CONFLICT (entity_id, other_id) DO UPDATE SET articles = articles + 1;"
            for pair in (f"{me}, entity_id", f"entity_id, {me}")
        )

    def take(st: str, me: str, extra: str = "") -> str:
        found = others.format(st=st, me=me) + extra
        return (
            f"    UPDATE summary_entity_pairs SET articles = articles - 1"
            f" WHERE entity_id = {me} AND other_id IN ({found});\n"
            f"    UPDATE summary_entity_pairs SET articles = articles - 1"
            f" WHERE other_id = {me} AND entity_id IN ({found});"
        )

    triggers = {
        "summary_pairs_insert AFTER INSERT ON article_entities": add("new.st", "new.entity_id"),
        "summary_pairs_delete AFTER DELETE ON article_entities": take("old.st", "old.entity_id"),
        # The row moved: its old pairs go (the new row, already in place, left out) and
        # its new ones come.
        "summary_pairs_update AFTER UPDATE OF st, entity_id ON article_entities"
        " WHEN old.st IS NOT new.st OR old.entity_id IS NOT new.entity_id": take(
            "old.st", "old.entity_id", kept
        )
        + "\n"
        + add("new.st", "new.entity_id"),
    }
    return "\n".join(
        f"CREATE TRIGGER {head} BEGIN\n{body}\nEND;" for head, body in triggers.items()
    )


#: Version 21: per pair of entities, the articles naming both (both ways round, so that
#: an entity's companions are one range of the key), kept by triggers with
#: article_entities: an entity's page lists who appears with it without joining its
#: articles' entities. Filled here from article_entities. And an index of the ids of
#: each search index's segments (the FTS5 ``_data`` tables): a count of their rows
#: (Datasette's database page counts every table) reads it, not every segment's first
#: page (0.1 s each on 100,000 articles, which no time limit interrupts).
V21: Final = f"""
CREATE INDEX articles_fts_data_count ON articles_fts_data (id);
CREATE INDEX articles_morph_data_count ON articles_morph_data (id);
CREATE TABLE summary_entity_pairs (
    entity_id TEXT NOT NULL,
    other_id TEXT NOT NULL,
    articles INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (entity_id, other_id)
) WITHOUT ROWID;
INSERT INTO summary_entity_pairs (entity_id, other_id, articles)
    SELECT mine.entity_id, other.entity_id, count(*) FROM article_entities mine
    JOIN article_entities other ON other.st = mine.st AND other.entity_id <> mine.entity_id
    GROUP BY 1, 2;
{_pair_triggers()}
"""

#: Version 22: the neighbour index (centrasia_crawler.archive.neighbours): for each
#: word of an article, the word after it and the word before it, so that a concordance
#: sorted by its context reads only the articles whose lines come first. No positions,
#: no column sizes, no text: its terms and which articles have them. Its content is a
#: view of the articles' numbers (the pairs are never read back), so that a scan, a
#: count or a dump of it answers, as of a contentless table it would not. Commented as
#: version 10 comments the lemmas' index, so that sqlite-utils never takes it for an
#: index to search or to rebuild. Like the morphological index it is written from
#: Python, so the next writable open re-indexes every article (both indexes, a batch
#: per transaction, resuming where it stopped).
V22: Final = """
CREATE VIEW articles_kwic_source AS SELECT st, NULL AS pairs FROM articles;
CREATE VIRTUAL TABLE articles_kwic
USING /* neighbouring words, not text: kept by centrasia_crawler/archive/morph.py */ fts5 (
    pairs, content = 'articles_kwic_source', content_rowid = 'st', detail = none,
    columnsize = 0, tokenize = "ascii tokenchars '<>,.%'"
);
CREATE INDEX articles_kwic_data_count ON articles_kwic_data (id);
DELETE FROM archive_meta WHERE key IN ('morph_version', 'morph_building', 'morph_indexed_upto');
"""

#: Version 23: the neighbour index keeps the two words beside each word, not one
#: (``word>next!after``, ``word<previous!before``), so that lines whose first sort word
#: is the same (``в конституции``, ``Садыр Жапаров``) are ordered by the index too, and
#: the tokenizer takes ``!``. Made again empty, and the next writable open re-indexes
#: every article as for version 22. And each entity's articles as arrays of sts
#: (centrasia_crawler/archive/entity_articles.py: what ``network`` reads for a broad
#: query, instead of a row a tag), with the log of the tags written since they were
#: last brought up to date, kept by triggers; built at the next writable open.
V23: Final = """
DROP TABLE articles_kwic;
CREATE VIRTUAL TABLE articles_kwic
USING /* neighbouring words, not text: kept by centrasia_crawler/archive/morph.py */ fts5 (
    pairs, content = 'articles_kwic_source', content_rowid = 'st', detail = none,
    columnsize = 0, tokenize = "ascii tokenchars '<>!,.%'"
);
CREATE INDEX articles_kwic_data_count ON articles_kwic_data (id);
DELETE FROM archive_meta WHERE key IN ('morph_version', 'morph_building', 'morph_indexed_upto');
CREATE TABLE entity_articles (
    entity_id TEXT NOT NULL,
    first_st INTEGER NOT NULL,
    sts BLOB NOT NULL,
    PRIMARY KEY (entity_id, first_st)
) WITHOUT ROWID;
CREATE TABLE entity_articles_log (
    entity_id TEXT NOT NULL,
    st INTEGER NOT NULL,
    change INTEGER NOT NULL
);
DELETE FROM archive_meta WHERE key = 'entity_articles_built';
CREATE TRIGGER entity_articles_insert AFTER INSERT ON article_entities BEGIN
    INSERT INTO entity_articles_log (entity_id, st, change) VALUES (new.entity_id, new.st, 1);
END;
CREATE TRIGGER entity_articles_delete AFTER DELETE ON article_entities BEGIN
    INSERT INTO entity_articles_log (entity_id, st, change) VALUES (old.entity_id, old.st, -1);
END;
CREATE TRIGGER entity_articles_update AFTER UPDATE OF st, entity_id ON article_entities BEGIN
    INSERT INTO entity_articles_log (entity_id, st, change)
        VALUES (old.entity_id, old.st, -1), (new.entity_id, new.st, 1);
END;
"""

#: One SQL script per version; version N is reached by running MIGRATIONS[N - 1].
MIGRATIONS: Final = (
    *(V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, V13, V14, V15, V16),
    V17,
    V18,
    V19,
    V20,
    V21,
    V22,
    V23,
)
SCHEMA_VERSION: Final = len(MIGRATIONS)
#: What the upgrade to a version that goes over the whole archive says it is doing.
SLOW_STEPS: Final = {
    20: "counting the articles per day, outlet, entity and country",
    21: "counting the articles that name each pair of entities",
}


def fold(text: str | None) -> str | None:
    """The archive's SQL function ``fold``: Cyrillic case and ё folded (SQLite's NOCASE
    and lower() fold ASCII only); every connection to an archive registers it."""
    return None if text is None else fold_yo(text).casefold()


class ArchiveVersionError(RuntimeError):
    """The archive was written by a newer version of centrasia-crawler."""


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(
    conn: sqlite3.Connection,
    upto: int = SCHEMA_VERSION,
    progress: Callable[[str], None] | None = None,
) -> int:
    """Upgrade the archive to version ``upto``; return the version it had before. A
    step of :data:`SLOW_STEPS` is announced through ``progress``, when given."""
    before = schema_version(conn)
    if before > SCHEMA_VERSION:
        raise ArchiveVersionError(
            f"archive schema version {before} is newer than this program's {SCHEMA_VERSION}"
        )
    for version in range(before + 1, upto + 1):
        with immediate(conn):
            if schema_version(conn) >= version:  # another process got here first
                continue
            if progress is not None and version in SLOW_STEPS:
                progress(f"centrasia: schema {version}: {SLOW_STEPS[version]}")
            for statement in _statements(MIGRATIONS[version - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version:d}")
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


#: What every table and column means: Datasette's metadata is built from this, and a
#: test checks it (and docs/schema.md) against the schema itself.
TABLE_DOCS: Final[dict[str, tuple[str, dict[str, str]]]] = {
    "articles": (
        "One row per article: its current version.",
        {f.name: f.doc for f in ARTICLE},  # the article's one definition
    ),
    "article_revisions": (
        "Every earlier version of an article whose content changed.",
        {"superseded_at": "when this version was replaced (UTC)"},
    ),
    "listings": (
        "Each headline as the site listed it, once per day.",
        {
            "st": "the article listed",
            "listed_on": "the day heading's date",
            "listed_at": "the time shown, Moscow time",
            "title": "the headline as listed",
            "attribution": "the name after a trailing ', - ', else null",
            "page_url": "the listing page fetched",
            "first_seen_at": "when first stored (UTC)",
        },
    ),
    "pages": (
        "Every fetch whose raw body is kept, to re-extract without the network.",
        {
            "id": "row id",
            "url": "the address fetched",
            "status": "HTTP status",
            "headers": "response headers, JSON object of lists",
            "fetched_at": "when fetched (UTC)",
            "digest": "SHA-256 of the body (page_bodies.digest)",
            "kind": "listing, article, calendar or feed",
            "st": "the article, for article pages",
            "extraction_error": "why extraction failed, or null",
            "run_id": "the crawl run (crawl_runs.id)",
            "from_cache": "1 when replayed from Scrapy's HTTP cache (fetched_at is then the"
            " original fetch's, from its Date header), else 0",
        },
    ),
    "page_bodies": (
        "Raw response bodies, compressed, each distinct body once.",
        {
            "digest": "SHA-256 of the body",
            "encoding": "compression: zstd:N (Zstandard with compression_dicts N), zstd, or"
            " zlib (bodies written before schema 6)",
            "size": "bytes before compression",
            "body": "the compressed body",
        },
    ),
    "morph_counts": (
        "How often each term of the morphological index occurs in the archive (titles and"
        " bodies), kept by the writer; centrasia terms compares against it.",
        {"term": "a term of articles_morph (lemmas joined by ǀ)", "occurrences": "its occurrences"},
    ),
    "compression_dicts": (
        "Zstandard dictionaries the raw pages are compressed with, trained on the archive's"
        " own pages (the first by the writer, later ones by centrasia compact).",
        {
            "id": "dictionary id (page_bodies.encoding zstd:id)",
            "trained_at": "when it was trained (UTC)",
            "samples": "bodies it was trained on",
            "sample_bytes": "their bytes",
            "dict": "the dictionary (zstandard's format), itself Zstandard-compressed"
            " (archives written before this held it raw; both read)",
        },
    ),
    "crawl_runs": (
        "One row per crawl run.",
        {
            "id": "run id",
            "mode": "incremental, backfill, +refresh",
            "arguments": "the run's arguments, JSON",
            "started_at": "start (UTC)",
            "finished_at": "end (UTC)",
            "finish_reason": "Scrapy's finish reason",
            "requests": "requests sent",
            "new_articles": "articles stored for the first time",
            "changed_articles": "articles that got a new revision",
            "unchanged_articles": "articles fetched again, unchanged",
            "dropped_items": "items dropped as incomplete",
            "errors": "failures: requests that failed, pages that could not be read",
            "problems": "JSON list of {url, reason, kind}",
            "outcome": "ok or failed: the verdict behind centrasia crawl's exit status",
            "outcome_reasons": "JSON list of one-line reasons the run failed",
            "pid": "the process that ran it (a run unfinished while that process no"
            " longer holds the archive's lock was killed)",
            "retries": "requests retried (Scrapy's retry/count)",
            "http_errors": "answers with an HTTP error status (4xx, 5xx), retried ones too",
        },
    ),
    "entities": (
        "The gazetteer's people, places, organisations and countries the articles were"
        " tagged with (docs/entities.md).",
        {
            "id": "stable id ('astana', 'mirziyoyev')",
            "name": "the name it is shown by ('Астана')",
            "type": "country, place, person or organization",
            "country": "ISO 3166-1 alpha-2 code of its country ('KZ'; 'EU'), or NULL",
            "kind": "what sort: capital, city, region, parliament, ... (or NULL)",
            "geonames": "its GeoNames id, where known",
            "description": "a line about it, or NULL",
        },
    ),
    "entity_names": (
        "Every name of each entity, with the years it was in use.",
        {
            "entity_id": "the entity (entities.id)",
            "name": "the name in the nominative ('Нур-Султан')",
            "kind": "name, epithet ('Аркадаг') or abbreviation ('ШОС')",
            "years": "the years it was in use ('2019-2022'; '1998-2019, 2022-'), or NULL",
        },
    ),
    "entity_posts": (
        "The posts people held.",
        {
            "entity_id": "the person (entities.id)",
            "title": "the post ('президент Узбекистана')",
            "years": "when ('2016-')",
        },
    ),
    "article_entities": (
        "Which entities each article names, and how often.",
        {
            "st": "the article (articles.st)",
            "entity_id": "the entity (entities.id)",
            "mentions": "how many times the headline and text name it",
            "in_title": "1 when the headline names it",
        },
    ),
    "robots_refusals": (
        "Each article the site's robots.txt refused this crawler, as last asked: listed and"
        " not archived, it is forbidden, not missing (no crawl can fetch it).",
        {
            "st": "the article refused",
            "url": "the address the crawl asked for",
            "run_id": "the run refused it last (crawl_runs.id; the run may since be pruned)",
            "refused_at": "when (UTC; for refusals before schema 15, when that run ended)",
        },
    ),
    "article_tags": (
        "Each tagged article's countries as a list, kept with article_entities (for"
        " tagged_articles and centrasia countries).",
        {
            "st": "the article (articles.st)",
            "countries": "JSON list of the ISO codes of the countries it is about",
        },
    ),
    "tagged_articles": (
        "A view: each tagged article with its countries and entities, to facet and filter"
        " by them (docs/entities.md).",
        {
            "st": "the article (articles.st)",
            "published_date": "its day",
            "title": "its headline",
            "source": "its outlet (else its source), as stats counts by",
            "countries": "JSON list of the ISO codes of the countries it is about",
            "entities": "JSON list of the names of the entities it names, most mentioned first",
        },
    ),
    "articles_morph_forms": (
        "Every form the articles write a word in, with its search term: a prefix"
        " (Жапаров*) is matched against the forms; kept with the morphological index.",
        {
            "form": "the word as written, lower case, ё written е ('жапаровым'; '20%')",
            "term": "its term in articles_morph ('жапаровǀжапаровым')",
            "occurrences": "its occurrences in the archive (titles and bodies)",
        },
    ),
    "article_stories": (
        "Each article's story: the near-duplicates (reprints) it is one story with"
        " (docs/analysis.md, Stories).",
        {
            "st": "the article (articles.st)",
            "story": "the story: the st of its first article",
        },
    ),
    "story_bands": (
        "The LSH bands of each article's MinHash signature, by which the writer finds an"
        " article's near-duplicates.",
        {
            "band": "a band's key: a digest of its number and its values",
            "st": "the article (articles.st)",
        },
    ),
    "entity_articles": (
        "Each entity's articles as arrays of sts, in chunks: with entity_articles_log,"
        " the st column of article_entities by entity, read at once (centrasia network)."
        " Brought up to date with the log by the writer now and then; a reader adds the"
        " log to it.",
        {
            "entity_id": "the entity (entities.id)",
            "first_st": "the lowest st of the chunk (a chunk holds the sts from it to the"
            " next chunk's)",
            "sts": "the sts, in order, each a little-endian signed 64-bit integer",
        },
    ),
    "entity_articles_log": (
        "The rows written to and taken from article_entities since entity_articles was"
        " last brought up to date (by triggers).",
        {
            "entity_id": "the entity (entities.id)",
            "st": "the article (articles.st)",
            "change": "1: a row written; -1: a row taken out",
        },
    ),
    "summary_days": (
        "Per day, the counts the writer keeps with the articles and their listings (by"
        " triggers, in the same transaction): what coverage, stats and the canned queries"
        " read. A row may hold zeros.",
        {
            "day": "the day (ISO date)",
            "listed": "the articles listed that day (listings.listed_on), each once",
            "archived": "the articles published that day (articles.published_date)",
            "revisions": "the earlier versions (article_revisions) of those articles",
        },
    ),
    "summary_outlets": (
        "The articles per outlet, as stats counts them (by outlet, else by source),"
        " kept by the writer.",
        {
            "outlet": "the outlet (articles.outlet, else articles.source)",
            "articles": "its articles",
        },
    ),
    "summary_attributions": (
        "The articles per attribution, kept by the writer.",
        {"attribution": "the name after ', - ' in a title", "articles": "its articles"},
    ),
    "summary_entities": (
        "Per entity, the articles naming it and their mentions, kept with article_entities.",
        {
            "entity_id": "the entity (entities.id)",
            "articles": "the articles naming it",
            "mentions": "how many times they name it",
        },
    ),
    "summary_entity_days": (
        "Per entity and day, the articles of that day naming it, kept with"
        " article_entities (an entity's page and its articles over time).",
        {
            "entity_id": "the entity (entities.id)",
            "day": "the articles' day (articles.published_date)",
            "articles": "the articles of that day naming it",
        },
    ),
    "summary_entity_pairs": (
        "Per pair of entities, the articles naming both, kept with article_entities (both"
        " ways round: a row for each order); an entity's page lists who appears with it"
        " from here.",
        {
            "entity_id": "one entity (entities.id)",
            "other_id": "the other (entities.id)",
            "articles": "the articles naming both",
        },
    ),
    "summary_country_days": (
        "Per country and day, the articles of that day about it (an article counts once"
        " for each country of article_tags), kept with the tags; centrasia countries"
        " reads it.",
        {
            "country": "ISO code of the country",
            "day": "the articles' day (articles.published_date)",
            "articles": "the articles of that day about it",
        },
    ),
    "data_version": (
        "One row: the archive's data version, a counter every write of the articles, their"
        " listings, revisions, tags and stories, the gazetteer and robots.txt's refusals"
        " moves on (a result computed at one version is stale at another).",
        {"id": "always 1", "version": "the data version"},
    ),
    "morph_terms": (
        "The lemmas of each search term that stands for several (a form of more than one).",
        {
            "lemma": "a dictionary form, ё written е ('стать')",
            "term": "the term of articles_morph that includes it ('стальǀстать')",
        },
    ),
    "archive_meta": (
        "The archive's own state: what version of the morphology indexed it.",
        {
            "key": "morph_version, or while it is being built morph_building and"
            " morph_indexed_upto",
            "value": "its value",
        },
    ),
}
