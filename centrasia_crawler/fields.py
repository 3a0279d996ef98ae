"""An article's fields, defined once.

:data:`ARTICLE` lists every column of the archive's ``articles`` table, in order, with
its SQL type, its kind of value, its meaning, and whether it is a field of the crawl's
article item and part of the content an article's hash covers. From it come the item
(:class:`centrasia_crawler.items.ArticleItem`), the archive's columns, the content hash,
the schema's documentation (``TABLE_DOCS``) and the types of a Parquet export. The
migrations' SQL is history and stays as written; a test checks that a fresh archive's
table has exactly these columns and types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

Kind = Literal["int", "text", "bool", "json", "object", "moscow_time", "day", "utc_time"]


@dataclass(frozen=True)
class Field:
    """One column of ``articles``."""

    name: str
    #: Its declaration in the table: type and constraints.
    sql: str
    #: Its values: ``int``, ``text``, ``bool`` (0/1), ``json`` (a list in the item,
    #: JSON text in the row), ``moscow_time`` (ISO 8601 with the Moscow offset),
    #: ``day`` (ISO date), ``utc_time`` (ISO 8601 UTC, our own actions), ``object``
    #: (a dict in the item, JSON text in the row).
    kind: Kind
    #: What it means (the schema's documentation and Datasette's).
    doc: str
    #: A field of the crawl's article item (else the archive's own bookkeeping).
    item: bool = True
    #: Part of the article's content: its hash covers it, a change makes a revision.
    content: bool = False
    #: The schema version that added it (content added after the first hashes were
    #: made is left out of the hash of an article that has none of it).
    since: int = 1

    @property
    def required(self) -> bool:
        """An item must have it (a NOT NULL column that has no default)."""
        declared = self.sql.upper()
        return ("NOT NULL" in declared or "PRIMARY KEY" in declared) and "DEFAULT" not in declared

    def python_type(self) -> Any:
        """The item's annotation of this field."""
        if self.kind == "bool":
            return bool
        if self.kind == "int":
            return int | None
        if self.kind == "json":
            return list[dict[str, Any]] | None
        if self.kind == "object":
            return dict[str, Any]
        return str | None


ARTICLE: Final[tuple[Field, ...]] = (
    Field("st", "INTEGER PRIMARY KEY", "int", "the site's key: the Unix time of publication"),
    Field(
        "url",
        "TEXT NOT NULL",
        "text",
        "canonical permalink https://centrasia.org/newsA.php?st=<st>",
    ),
    Field("title", "TEXT NOT NULL", "text", "headline as on the article page", content=True),
    Field(
        "attribution", "TEXT", "text", "the name after a trailing ', - ' in the title, else null"
    ),
    Field(
        "published_at",
        "TEXT NOT NULL",
        "moscow_time",
        "time shown on the page, ISO 8601 with the Moscow offset",
        content=True,
    ),
    Field("published_date", "TEXT NOT NULL", "day", "the date of published_at", item=False),
    Field(
        "body",
        "TEXT NOT NULL",
        "text",
        "plain text; paragraphs separated by one blank line",
        content=True,
    ),
    Field(
        "source",
        "TEXT",
        "text",
        "the first source's name on the 'Источник' line, quotes stripped, or null",
        content=True,
    ),
    Field(
        "source_url",
        "TEXT",
        "text",
        "the first source's address on the 'Источник' line, or null",
        content=True,
    ),
    Field(
        "original_date",
        "TEXT",
        "day",
        "the date at the source ('10 февраля 2026 г.'), or null when there is none or it"
        " cannot be the source's (see unread_lines)",
        content=True,
    ),
    Field(
        "stated_permalink",
        "TEXT",
        "text",
        "the 'Постоянный адрес статьи' address as printed, or null",
        content=True,
    ),
    Field(
        "time_mismatch",
        "INTEGER NOT NULL DEFAULT 0",
        "bool",
        "1 when the shown time and st disagree by a minute or more",
        content=True,
        since=3,
    ),
    Field(
        "outlet",
        "TEXT",
        "text",
        "the outlet of the first source, as the outlet table names it"
        " (centrasia_crawler/outlets.toml), else its name; what stats counts by",
        content=True,
        since=11,
    ),
    Field(
        "source_domain",
        "TEXT",
        "text",
        "the registered domain of source_url ('inosmi.ru'), or null",
        content=True,
        since=11,
    ),
    Field(
        "sources",
        "TEXT",
        "json",
        "every source on the source lines, in order: JSON list of {name, url, domain,"
        " outlet}, or null",
        content=True,
        since=11,
    ),
    Field(
        "source_text",
        "TEXT",
        "text",
        "the source line(s) as printed (one per line), or null",
        content=True,
        since=11,
    ),
    Field(
        "original_date_text",
        "TEXT",
        "text",
        "the original-date line as printed, or null",
        content=True,
        since=11,
    ),
    Field(
        "unread_lines",
        "TEXT",
        "json",
        "lines after the body that looked like a date or source line but were not read"
        " (kept out of the body): JSON list of {line, reason}, or null",
        content=True,
        since=11,
    ),
    Field("content_hash", "TEXT NOT NULL", "text", "SHA-256 of the content columns", item=False),
    Field("first_seen_at", "TEXT NOT NULL", "utc_time", "when first stored (UTC)", item=False),
    Field("last_fetched_at", "TEXT NOT NULL", "utc_time", "when last fetched (UTC)", item=False),
    Field(
        "revision",
        "INTEGER NOT NULL DEFAULT 1",
        "int",
        "1 for the first version, then 2, 3, ...",
        item=False,
    ),
    Field(
        "extra",
        "TEXT",
        "object",
        "the fields a pipeline of the crawl added to the article (JSON object), or null",
        since=17,
    ),
)

#: The columns of ``articles``, in order.
ARTICLE_COLUMNS: Final = tuple(f.name for f in ARTICLE)
#: The fields of the article item, in order (a feed's columns).
ITEM_FIELDS: Final = tuple(f for f in ARTICLE if f.item)
#: The columns that make up an article's content (its hash covers them, in this order).
CONTENT_FIELDS: Final = tuple(f.name for f in ARTICLE if f.content)
#: The content columns schema 11 added: an article stored before them keeps its hash.
ADDED_CONTENT: Final = tuple(f.name for f in ARTICLE if f.content and f.since == 11)
#: Columns holding JSON (lists or a dict in an item, text in a row).
JSON_FIELDS: Final = tuple(f.name for f in ARTICLE if f.kind in ("json", "object"))
#: Each column's field.
BY_NAME: Final = {f.name: f for f in ARTICLE}
#: What an article item must have to be stored (``url`` too): the columns that are
#: NOT NULL without a default.
REQUIRED_ITEM_FIELDS: Final = tuple(f.name for f in ITEM_FIELDS if f.required)


def item_problems(item: Any) -> list[str]:
    """Why an article item cannot be stored, in one phrase each; empty when it can.
    Checked before a batch is written, so a bad item never undoes its neighbours.

    >>> item_problems({"st": 1, "url": "u", "title": " ", "published_at": "x", "body": None})
    ['missing title, body']
    >>> item_problems({"st": "soon", "url": "u", "title": "t", "published_at": "x", "body": "b"})
    ["st is not a whole number: 'soon'"]
    """
    from itemadapter import ItemAdapter

    adapter = ItemAdapter(item)
    missing = []
    for name in REQUIRED_ITEM_FIELDS:
        value = adapter.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(name)
    problems = ["missing " + ", ".join(missing)] if missing else []
    for f in ITEM_FIELDS:
        value = adapter.get(f.name)
        if value is None or f.name in missing:
            continue
        if f.kind == "int" and not _whole(value):
            problems.append(f"{f.name} is not a whole number: {value!r}")
        elif f.kind == "json" and not isinstance(value, list | str):
            problems.append(f"{f.name} is not a list: {value!r}")
        elif f.kind == "object" and not isinstance(value, dict):
            problems.append(f"{f.name} is not a mapping of field names: {value!r}")
    return problems


def _whole(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.strip().isdigit()
