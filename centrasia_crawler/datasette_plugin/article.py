"""An article to read: ``/<database>/-/article/<st>`` in Datasette.

The headline, the day, the outlet (a link to the original where the article gives
one) and the original's date; the text in paragraphs; the entities it names, each a
link to its page (``-/entity/<id>``); its earlier versions with what changed in each
(difflib, paragraph by paragraph); the other articles of its story (its reprints,
:mod:`centrasia_crawler.archive.stories`); the link to the article on the site. An
article the archive lacks (or a database that is no archive) is a 404 with one line.
"""

from __future__ import annotations

import difflib
import itertools
import sqlite3
import urllib.parse
from typing import Any, Final

from centrasia_crawler.archive.store import Archive

#: The route, registered by the plugin's ``register_routes``.
ROUTE: Final = r"^/(?P<database>[^/]+)/-/article/(?P<st>[^/]+)$"
#: The fields a revision compares besides the text.
COMPARED: Final = ("title", "source", "source_url", "original_date", "published_at")


def paragraphs(text: str | None) -> list[str]:
    """The text's paragraphs: its non-empty lines, stripped.

    >>> paragraphs("Первый абзац.\\n\\n  Второй.\\n")
    ['Первый абзац.', 'Второй.']
    """
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """What changed from the version ``old`` to ``new``: the ``fields`` whose values
    differ (``name old new``), and the paragraphs ``removed`` and ``added``, in order
    (difflib's comparison of the two texts' paragraphs)."""
    fields = [
        {"name": name, "old": old.get(name), "new": new.get(name)}
        for name in COMPARED
        if old.get(name) != new.get(name)
    ]
    lines: list[dict[str, str]] = []
    for line in difflib.ndiff(paragraphs(old.get("body")), paragraphs(new.get("body"))):
        if line.startswith(("- ", "+ ")):
            lines.append({"op": "removed" if line[0] == "-" else "added", "text": line[2:]})
    return {"fields": fields, "lines": lines}


def article_view(archive: Archive, st: int) -> dict[str, Any] | None:
    """Everything the page shows of article ``st``; None if the archive lacks it."""
    from centrasia_crawler.archive.entities import article_entities

    article = archive.article(st)
    if article is None:
        return None
    versions = [*archive.revisions(st), article]
    revisions = [
        {
            "revision": new.get("revision") or n + 2,
            "superseded_at": old.get("superseded_at"),
            **changes(old, new),
        }
        for n, (old, new) in enumerate(itertools.pairwise(versions))
    ]
    try:
        story = archive.story(st)
    except sqlite3.OperationalError:  # an archive older than stories
        story = None
    reprints = [a for a in (story or {}).get("articles", []) if a["st"] != st]
    return {
        "article": article,
        "outlet": article.get("outlet") or article.get("source"),
        "paragraphs": paragraphs(article.get("body")),
        "entities": article_entities(archive, st),
        "revisions": revisions,
        "story": story,
        "reprints": reprints,
    }


def _view(conn: sqlite3.Connection, path: str, st: int) -> dict[str, Any] | None:
    try:
        return article_view(Archive.reading(conn, path), st)
    except sqlite3.OperationalError:  # a database that is no archive
        return None


async def article_page(datasette: Any, request: Any) -> Any:
    """``/<database>/-/article/<st>``: the page, or a 404 page with one line."""
    from datasette.utils.asgi import Response

    route, key = request.url_vars["database"], request.url_vars["st"]

    async def not_found(line: str) -> Any:
        context = {"ok": False, "error": line, "status": 404, "title": "Not found"}
        page = await datasette.render_template("error.html", context, request=request)
        return Response.html(page, status=404)

    try:
        db = datasette.get_database(route=route)
    except KeyError:
        return await not_found(f"There is no database {route!r}.")
    if not key.isdigit() or not getattr(db, "path", None):
        return await not_found(f"{db.name} has no article {key}.")
    st = int(key)
    view = await db.execute_fn(lambda conn: _view(conn, str(db.path), st))
    if view is None:
        return await not_found(f"{db.name} has no article {st}.")
    base = datasette.urls.database(db.name)
    context = {
        **view,
        "database": db.name,
        "article_url": f"{base}/-/article/",
        "entity_url": f"{base}/-/entity/",
        "quote": lambda text: urllib.parse.quote(str(text), safe=""),
    }
    page = await datasette.render_template("centrasia_article.html", context, request=request)
    return Response.html(page)
