"""The names the Datasette plugin imports from here. Their home is
:mod:`~centrasia_crawler.archive.search`, :mod:`~centrasia_crawler.archive.snippets` or
:mod:`~centrasia_crawler.archive.coverage`, where the rest of the package imports them."""

from __future__ import annotations

from centrasia_crawler.archive.coverage import coverage
from centrasia_crawler.archive.search import Filters, top_sources
from centrasia_crawler.archive.snippets import MARK_CLOSE, MARK_OPEN

__all__ = ["MARK_CLOSE", "MARK_OPEN", "Filters", "coverage", "top_sources"]
