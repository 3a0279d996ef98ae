"""What docs/schema.md's tables are generated from: the schema itself (an empty archive
migrated in memory) and its descriptions, ``TABLE_DOCS`` (read by cog)."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from centrasia_crawler.archive.schema import SCHEMA_VERSION, TABLE_DOCS, migrate

__all__ = ["SCHEMA_VERSION", "tables"]


def _cell(text: str) -> str:
    """Text as one Markdown table cell (no column break, no HTML tag)."""
    return text.replace("|", "\\|").replace("<", "&lt;")


def tables() -> str:
    """Each described table and view: its description, then each column (in the order
    of the schema) with its declared type and meaning, and its primary key."""
    out = []
    with closing(sqlite3.connect(":memory:", isolation_level=None)) as conn:
        migrate(conn)
        shared = [row[1] for row in conn.execute("PRAGMA table_info(articles)")]
        for table, (description, docs) in TABLE_DOCS.items():
            columns = conn.execute(f"PRAGMA table_info({table})").fetchall()
            out += [f"### `{table}`", "", description, ""]
            if table == "article_revisions":
                out += ["Every column of `articles`, and:", ""]
            out += ["| column | type | meaning |", "| --- | --- | --- |"]
            key = [name for _, name, _, _, _, pk in sorted(columns, key=lambda c: c[5]) if pk]
            for _, name, kind, _, _, _ in columns:
                if table == "article_revisions" and name in shared:
                    continue
                out.append(f"| `{name}` | {kind} | {_cell(docs[name])} |")
            out.append("")
            if key:
                out += [f"Primary key: {', '.join(f'`{k}`' for k in key)}.", ""]
    return "\n".join(out)
