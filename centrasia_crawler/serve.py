"""`centrasia serve`: the archive in Datasette, read-only, described and faceted.

Datasette is an optional extra (``pip install 'centrasia-crawler[serve]'``). The
archive is opened read-only (Datasette's ``mode=ro``), so serving it during a crawl
is safe.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

from centrasia_crawler.archive.schema import TABLE_DOCS

CANNED_QUERIES: dict[str, dict[str, str]] = {
    "search": {
        "title": "Search articles: any form of a word, case and ё/е do not matter",
        # morph_query() comes with the package's Datasette plugin (datasette_plugin.py).
        "sql": "SELECT a.published_at, a.title, a.source, a.url,"
        " snippet(articles_morph, -1, '<b>', '</b>', '…', 12) AS snippet"
        " FROM articles_morph JOIN articles a ON a.st = articles_morph.rowid"
        " WHERE articles_morph MATCH morph_query(:q)"
        " AND articles_morph.rank MATCH 'bm25(10.0, 1.0)'"
        " ORDER BY articles_morph.rank LIMIT 100",
    },
    "trend_by_month": {
        "title": "Articles matching a query, by month, and their share of all articles",
        "sql": "WITH matching AS (SELECT substr(a.published_date, 1, 7) AS month,"
        " count(*) AS articles FROM articles_morph"
        " JOIN articles a ON a.st = articles_morph.rowid"
        " WHERE articles_morph MATCH morph_query(:q) GROUP BY month),"
        " every AS (SELECT substr(published_date, 1, 7) AS month, count(*) AS total"
        " FROM articles GROUP BY month)"
        " SELECT every.month, coalesce(matching.articles, 0) AS articles, every.total,"
        " round(1.0 * coalesce(matching.articles, 0) / every.total, 4) AS share"
        " FROM every LEFT JOIN matching USING (month) ORDER BY every.month",
    },
    "top_sources_for": {
        "title": "Top sources of the articles matching a query",
        # By outlet (rows stored before schema 11 have none until centrasia reparse).
        "sql": "SELECT coalesce(a.outlet, a.source) AS source, count(*) AS articles"
        " FROM articles_morph JOIN articles a ON a.st = articles_morph.rowid"
        " WHERE articles_morph MATCH morph_query(:q) AND a.source IS NOT NULL"
        " GROUP BY 1 ORDER BY articles DESC, 1 LIMIT 50",
    },
    "articles_per_day": {
        "title": "Articles per day",
        "sql": "SELECT published_date, count(*) AS articles FROM articles"
        " GROUP BY published_date ORDER BY published_date DESC",
    },
    "top_sources": {
        "title": "Top sources",
        "sql": "SELECT coalesce(outlet, source) AS source, count(*) AS articles FROM articles"
        " WHERE source IS NOT NULL GROUP BY 1 ORDER BY articles DESC LIMIT 50",
    },
    "attribution_articles": {
        "title": "An attribution's articles",
        "sql": "SELECT published_at, title, url FROM articles"
        " WHERE attribution = :attribution ORDER BY st DESC",
    },
    "listed_but_missing": {
        "title": "Listed on the site but not archived",
        "sql": "SELECT l.listed_on, l.listed_at, l.st, l.title FROM listings l"
        " LEFT JOIN articles a ON a.st = l.st WHERE a.st IS NULL"
        " ORDER BY l.listed_on DESC, l.listed_at DESC",
    },
}


def metadata(database: str) -> dict[str, Any]:
    tables: dict[str, Any] = {}
    for table, (description, columns) in TABLE_DOCS.items():
        tables[table] = {"description": description, "columns": columns}
    tables["article_revisions"]["columns"] = {
        **TABLE_DOCS["articles"][1],
        **TABLE_DOCS["article_revisions"][1],
    }
    tables["articles"].update(
        {
            "facets": ["outlet", "published_date", "attribution"],
            "fts_table": "articles_morph",
            "fts_pk": "st",
            "sort_desc": "st",
            "label_column": "title",
        }
    )
    tables["articles_fts"] = {"hidden": True}
    # A view cannot be hidden: say what it is for.
    tables["articles_fts_text"] = {
        "description": "The text the exact-form index (articles_fts) reads, ё folded to е: "
        "an internal view; query the articles table instead."
    }
    tables["page_bodies"]["hidden"] = True
    return {
        "title": "centrasia.org archive",
        "description": "Articles of centrasia.org (ЦентрАзия), archived by centrasia-crawler. "
        "Search finds every form of a word (Казахстан: «в Казахстане»), whatever its case "
        "and ё/е, in the articles table's search box and the 'search' query.",
        "databases": {database: {"tables": tables, "queries": CANNED_QUERIES}},
    }


#: Datasette settings: pages of 50 rows; a query may run 3 s; a canned query returns up
#: to 20,000 rows (articles_per_day has a row per day: 25 years are over 9,000); no
#: suggested facets (a probe of every column on each table page, bodies included: a
#: second of a 300,000-article table page went there).
SETTINGS: Final = {
    "default_page_size": 50,
    "sql_time_limit_ms": 3000,
    "max_returned_rows": 20000,
    "suggest_facets": False,
}


def datasette_command(archive: Path, metadata_path: Path, host: str, port: int) -> list[str]:
    command = [sys.executable, "-m", "datasette", "serve", str(archive)]
    command += ["--metadata", str(metadata_path), "--host", host, "--port", str(port)]
    for name, value in SETTINGS.items():
        shown = ("on" if value else "off") if isinstance(value, bool) else str(value)
        command += ["--setting", name, shown]
    return command


def serve(archive: Path, host: str, port: int, metadata_dir: Path) -> int:
    """Run Datasette on the archive until interrupted; its exit status."""
    try:
        import datasette  # noqa: F401
    except ImportError:
        raise RuntimeError(
            "serve needs Datasette: pip install 'centrasia-crawler[serve]'"
        ) from None
    metadata_path = metadata_dir / "centrasia-datasette-metadata.json"
    metadata_path.write_text(json.dumps(metadata(archive.stem), ensure_ascii=False, indent=1))
    return run_child(datasette_command(archive, metadata_path, host, port))


#: What a supervisor, ``kill`` or a terminal sends to stop a server.
STOP_SIGNALS: Final = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def run_child(command: list[str]) -> int:
    """Run ``command`` until it exits or this process is told to stop; its status.

    A stop signal sent to this process is passed on to the child, which is waited for,
    so no server outlives the command that started it (Datasette runs in a process of
    its own: in this one, its server re-raises the signal that stopped it and the
    temporary metadata file would stay behind). Stopped that way, the status is 0.
    """
    child = subprocess.Popen(command)
    stopped = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopped
        stopped = True
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)

    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    try:
        status = child.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if child.poll() is None:  # an exception on the way out: never leave it running
            child.kill()
            child.wait()
    return 0 if stopped else status
