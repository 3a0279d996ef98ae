"""Re-extract the archive's raw pages with the current extractor, without the network.

After a fix to the extractor, this repairs the archive: an article whose extraction
now differs becomes a new revision (the old one kept in ``article_revisions``), a
page that failed before and reads now becomes an article, and listings are read
again for headlines the archive lacks. Pages become items exactly as in a crawl
(:mod:`centrasia_crawler.items`), and are written the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from itemadapter import ItemAdapter

from centrasia_crawler import workers
from centrasia_crawler.archive import Archive, BatchResult, article_digest
from centrasia_crawler.extraction import NotACentrasiaPage, extract_as
from centrasia_crawler.items import ArticleItem, Headline, article_item, listing_item

BATCH = 200
#: Pages sent to a worker at a time.
CHUNK = 100


@dataclass
class ReparseSummary:
    pages: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    listings: int = 0
    #: Lines after articles' bodies that looked like a date or source line but were not
    #: read (each article's are in its unread_lines column).
    unread_lines: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    def add(self, result: BatchResult) -> None:
        """Count what a batch written did."""
        self.new += len(result.new)
        self.changed += len(result.changed)
        self.unchanged += len(result.unchanged)
        self.listings += result.listings

    def line(self) -> str:
        return (
            f"re-extracted {self.pages} pages: {self.changed} articles changed (new revisions),"
            f" {self.new} new, {self.unchanged} unchanged, {self.listings} new headlines,"
            f" {len(self.failed)} not read, {self.unread_lines} date or source lines not read"
        )


Work = tuple[str, bytes, str, "str | None"]  # kind, body, url, content type
#: An extracted page: ``("article", (item, st, content hash))``, ``("listing", headlines)``
#: or ``("failed", reason)``.
Result = tuple[str, Any]


def extract_pages(pages: list[Work]) -> list[Result]:
    """Extract stored pages (pure: runs in worker processes), each an article item with
    the content hash the archive would store for it, a listing's headlines, or the
    reason it was not read."""
    out: list[Result] = []
    for kind, body, url, content_type in pages:
        try:
            data = extract_as(kind, body, url, content_type)  # type: ignore[arg-type]
        except NotACentrasiaPage as exc:
            out.append(("failed", exc.reason))
            continue
        if kind == "article":
            item = article_item(data)
            out.append(("article", (item, *article_digest(ItemAdapter(item)))))
        else:
            out.append(("listing", listing_item(data, url).headlines))
    return out


def _chunks(archive: Archive, size: int) -> Iterator[list[Work]]:
    """The latest fetch of every article and listing page, ``size`` at a time."""
    work: list[Work] = []
    for page in archive.latest_pages(("article", "listing")):
        work.append((page.kind or "article", page.body, page.url, page.content_type))
        if len(work) == size:
            yield work
            work = []
    if work:
        yield work


def reparse(
    archive: Archive, jobs: int = 1, progress: Callable[[int, int], None] | None = None
) -> ReparseSummary:
    """Re-extract every stored article and listing page; write what changed.

    With ``jobs`` > 1 the pages are extracted in that many worker processes, a few
    chunks ahead, while this process reads the pages, compares the articles' content
    hashes with the archive's and writes what changed in page order, a batch per
    transaction: the same writes as with one job. Stopped half-way,
    the archive holds the batches written; a re-run finds them unchanged.
    """
    summary = ReparseSummary()
    articles: list[ArticleItem] = []
    headlines: list[Headline] = []
    pending: dict[int, str] = {}  # st: content hash, of the articles in the batch
    total = archive.page_urls(("article", "listing"))

    def flush() -> None:
        summary.add(archive.write_batch(articles, headlines, fetched=False))
        articles.clear()
        headlines.clear()
        pending.clear()
        if progress:
            progress(summary.pages, total)

    def take(urls: list[str], results: list[Result]) -> None:
        # Most articles re-extract unchanged: their hashes are compared here, against
        # what the archive holds once the pending batch is written, so only new and
        # changed ones go to the writer (which flushes between chunks, never in one).
        sts = [data[1] for kind, data in results if kind == "article"]
        held = archive.content_hashes(st for st in sts if st not in pending)
        held.update(pending)
        for url, (kind, data) in zip(urls, results, strict=True):
            summary.pages += 1
            if kind == "failed":
                summary.failed.append((url, data))
            elif kind == "listing":
                headlines.extend(data)
            else:
                item, st, digest = data
                summary.unread_lines += len(item.unread_lines or ())
                if held.get(st) == digest:
                    summary.unchanged += 1
                else:
                    articles.append(item)
                    held[st] = pending[st] = digest
        if len(articles) + len(headlines) >= BATCH:
            flush()
        elif progress:
            progress(summary.pages, total)

    extracted = workers.ordered_map(extract_pages, _chunks(archive, CHUNK), workers=jobs)
    with closing(extracted):  # an error here shuts the workers down at once
        for work, results in extracted:
            take([url for _, _, url, _ in work], results)
    flush()
    # Re-extracted texts may join or split stories: every article is clustered again.
    archive.rebuild_stories(lambda line: None)
    return summary
