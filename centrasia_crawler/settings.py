"""Scrapy settings. Every custom setting is CENTRASIA_*, documented in docs/crawling.md.

The defaults are polite to the live site: robots.txt obeyed, at most two requests at
a time with a delay of a second that AutoThrottle adapts, a descriptive User-Agent,
size and time limits, and no remote-control or telnet consoles.
"""

from __future__ import annotations

from centrasia_crawler.feeds import FEED_EXPORTERS as _SORTED_EXPORTERS
from centrasia_crawler.feeds import FEED_FIELDS as _FEED_FIELDS
from centrasia_crawler.options import DEFAULT_ROOT, default_archive

BOT_NAME = "centrasia_crawler"
SPIDER_MODULES = ["centrasia_crawler.spiders"]
NEWSPIDER_MODULE = "centrasia_crawler.spiders"

# --- ours ---------------------------------------------------------------------------
#: The site to crawl; article addresses are built from it and st. A replica or a
#: mirror is crawled by pointing this at it.
CENTRASIA_ROOT_URL = DEFAULT_ROOT
#: The archive file (created on first use, upgraded in place): $CENTRASIA_ARCHIVE, or
#: data/archive.sqlite in the project root (the folder of scrapy.cfg), whatever the
#: working folder.
CENTRASIA_ARCHIVE_PATH = default_archive()
#: Items written per transaction.
CENTRASIA_BATCH_SIZE = 200
#: Seconds an item waits at most before its batch is written, however small: a
#: killed crawl loses at most this much of its fetches, and `centrasia runs` shows the
#: run's requests as of its last batch. 0 for batches by size only.
CENTRASIA_COMMIT_SECONDS = 10
#: Skip requests for articles the archive already has (refreshes excepted).
CENTRASIA_SKIP_ARCHIVED = True
#: Bytes that must stay free on the archive's file system: below them a crawl does not
#: start, and a running crawl stops (failed). 500 MB, the threshold of deploy/prometheus's
#: CentrasiaDiskLow alert (keep the two in step); 0 for no check.
CENTRASIA_MIN_FREE_BYTES = 500_000_000
#: A run fails when more than this share of its article URLs (or of all its URLs)
#: failed for good, after their retries ...
CENTRASIA_MAX_ERROR_SHARE = 0.1
#: ... or more than this share of its article pages could not be read (layout drift).
CENTRASIA_MAX_EXTRACTION_FAILURE_SHARE = 0.05
#: Seconds between progress lines in the log; 0 for none.
CENTRASIA_PROGRESS_INTERVAL = 60
#: Seconds a crawl stopped by a storage error (a full disk) has to close; then the run
#: ends where it stands (Scrapy's JOBDIR queue on the same disk can keep it open).
CENTRASIA_STOP_GRACE = 20

# --- politeness -----------------------------------------------------------------------
ROBOTSTXT_OBEY = True
USER_AGENT = (
    "centrasia-crawler/0.1 (archival crawler of centrasia.org news; polite, robots.txt-obeying)"
)
# One site: the total limit is the per-site limit (Scrapy 2.19 enforces the per-domain
# one only between delayed requests; the total always holds).
CONCURRENT_REQUESTS = 2
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# --- limits and safety ----------------------------------------------------------------
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024
DOWNLOAD_WARNSIZE = 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 4
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
COOKIES_ENABLED = False
HTTPCACHE_ENABLED = False

# Our pipelines are synchronous, so more items in flight per response buy nothing;
# Scrapy starts one asyncio task per allowed item for every response (default 100).
CONCURRENT_ITEMS = 4

# --- components -----------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # scrapy check's @site requests find their page through the downloader (last to
    # see a response: after decompression and redirects).
    "centrasia_crawler.contracts.SiteDiscovery": 50,
    # Sees redirects before RedirectMiddleware (600): they stay on the site.
    "centrasia_crawler.middlewares.RedirectGuardMiddleware": 650,
}
SPIDER_CONTRACTS = {
    # @site KIND: a page of the crawled site (CENTRASIA_ROOT_URL), for scrapy check.
    "centrasia_crawler.contracts.SiteContract": 10,
}
SPIDER_MIDDLEWARES = {
    "centrasia_crawler.middlewares.SkipArchivedMiddleware": 950,
}
EXTENSIONS = {
    # Before Scrapy's SpiderState (0) and the scheduler read JOBDIR.
    "centrasia_crawler.extensions.JobGuard": -100,
    # The run: the archive's lock, its row in crawl_runs, its problems and verdict.
    "centrasia_crawler.extensions.CrawlRun": 100,
    "centrasia_crawler.extensions.Progress": 500,
}
ITEM_PIPELINES = {
    # Validates each article against centrasia_crawler.fields and stores it.
    "centrasia_crawler.pipelines.ArchivePipeline": 800,
}
# The project's `scrapy crawl`: Scrapy's, with an exit status that says whether the run
# can be trusted (centrasia_crawler.commands.crawl).
COMMANDS_MODULE = "centrasia_crawler.commands"
# Depth-first: articles of a day are fetched before the next day is opened.
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.LifoMemoryQueue"
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleLifoDiskQueue"

LOG_LEVEL = "INFO"
# Items named in one line, never logged whole (an article's text, at DEBUG).
LOG_FORMATTER = "centrasia_crawler.logformatter.LogFormatter"
FEED_EXPORT_ENCODING = "utf-8"
# Feeds in st order: the same range gives the same file, however its pages came back.
FEED_EXPORTERS = _SORTED_EXPORTERS
# A feed's columns in a fixed order; the extra fields of a pipeline follow them.
FEED_EXPORT_FIELDS = list(_FEED_FIELDS)
