"""The SQLite archive: the only code that speaks SQL."""

from centrasia_crawler.archive.closed import ArchiveClosed
from centrasia_crawler.archive.schema import SCHEMA_VERSION, ArchiveVersionError, fold_yo
from centrasia_crawler.archive.store import (
    Archive,
    ArchiveNeedsUpgrade,
    BatchResult,
    NotAnArchive,
    RawPage,
    article_digest,
    content_hash,
    utc_now,
)

__all__ = [
    "SCHEMA_VERSION",
    "Archive",
    "ArchiveClosed",
    "ArchiveNeedsUpgrade",
    "ArchiveVersionError",
    "BatchResult",
    "NotAnArchive",
    "RawPage",
    "article_digest",
    "content_hash",
    "fold_yo",
    "utc_now",
]
