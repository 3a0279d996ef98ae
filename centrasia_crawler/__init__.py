"""centrasia-crawler: an archival Scrapy crawler for centrasia.org ("ЦентрАзия").

For analysts, the archive is one class: ``from centrasia_crawler import Archive``
(docs/api.md). It is imported when first named, so that Scrapy, which imports this
package for its settings, does not load the archive's libraries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from centrasia_crawler.archive import Archive

__version__ = "0.1.0"
__all__ = ["Archive", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Archive":
        from centrasia_crawler.archive import Archive

        return Archive
    raise AttributeError(f"module 'centrasia_crawler' has no attribute {name!r}")
