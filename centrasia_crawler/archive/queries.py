"""The names the Datasette plugin imports from here, now at home in
:mod:`~centrasia_crawler.archive.search`, :mod:`~centrasia_crawler.archive.snippets` and
:mod:`~centrasia_crawler.archive.coverage`; the package itself imports them from there."""

from __future__ import annotations

from centrasia_crawler.archive.coverage import coverage
from centrasia_crawler.archive.search import Filters, top_sources
from centrasia_crawler.archive.snippets import MARK_CLOSE, MARK_OPEN

__all__ = ["MARK_CLOSE", "MARK_OPEN", "Filters", "coverage", "top_sources"]
