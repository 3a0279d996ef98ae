"""Re-extract the archive's raw pages with the current extractor, without the network.

After a fix to the extractor, this repairs the archive: an article whose extraction
now differs becomes a new revision (the old one kept in ``article_revisions``), a
page that failed before and reads now becomes an article, and listings are read
again for headlines the archive lacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from centrasia_crawler.archive import Archive
from centrasia_crawler.extraction import NotACentrasiaPage, extract

BATCH = 200


@dataclass
class ReparseSummary:
    pages: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    listings: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"re-extracted {self.pages} pages: {self.changed} articles changed (new revisions),"
            f" {self.new} new, {self.unchanged} unchanged, {self.listings} new headlines,"
            f" {len(self.failed)} not read"
        )


def reparse(archive: Archive) -> ReparseSummary:
    """Re-extract every stored article and listing page; write what changed."""
    summary = ReparseSummary()
    articles: list[dict[str, Any]] = []
    listings: list[dict[str, Any]] = []

    def flush() -> None:
        result = archive.write_batch(articles, listings, fetched=False)
        summary.new += len(result.new)
        summary.changed += len(result.changed)
        summary.unchanged += len(result.unchanged)
        summary.listings += result.listings
        articles.clear()
        listings.clear()

    for page in archive.latest_pages():
        summary.pages += 1
        try:
            result = extract(page.body, page.url, page.content_type)
        except NotACentrasiaPage as exc:
            summary.failed.append((page.url, exc.reason))
            continue
        if result.kind == "article":
            articles.append(result.data)
        elif result.kind == "listing":
            for day in result.data.get("days", [result.data]):
                listings.extend(
                    {**h, "listed_on": day["date"], "page_url": page.url} for h in day["headlines"]
                )
        if len(articles) + len(listings) >= BATCH:
            flush()
    flush()
    return summary
