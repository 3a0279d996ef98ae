"""Re-extract the archive's raw pages with the current extractor, without the network.

After a fix to the extractor, this repairs the archive: an article whose extraction
now differs becomes a new revision (the old one kept in ``article_revisions``), a
page that failed before and reads now becomes an article, and listings are read
again for headlines the archive lacks. Pages become items exactly as in a crawl
(:mod:`centrasia_crawler.items`), and are written the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from centrasia_crawler.archive import Archive
from centrasia_crawler.extraction import NotACentrasiaPage, extract_as
from centrasia_crawler.items import ArticleItem, Headline, article_item, listing_item

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
    articles: list[ArticleItem] = []
    headlines: list[Headline] = []

    def flush() -> None:
        result = archive.write_batch(articles, headlines, fetched=False)
        summary.new += len(result.new)
        summary.changed += len(result.changed)
        summary.unchanged += len(result.unchanged)
        summary.listings += result.listings
        articles.clear()
        headlines.clear()

    for page in archive.latest_pages(("article", "listing")):
        summary.pages += 1
        try:
            if page.kind == "article":
                data = extract_as("article", page.body, page.url, page.content_type)
                articles.append(article_item(data))
            else:
                data = extract_as("listing", page.body, page.url, page.content_type)
                headlines.extend(listing_item(data, page.url).headlines)
        except NotACentrasiaPage as exc:
            summary.failed.append((page.url, exc.reason))
            continue
        if len(articles) + len(headlines) >= BATCH:
            flush()
    flush()
    return summary
