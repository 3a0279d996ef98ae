"""The crawl's own signals (sent through ``crawler.signals``, as Scrapy's are).

Only articles travel as Scrapy items. What else a crawl keeps goes to the archive
through these signals, which the archive pipeline receives:

- :data:`run_starting`: the spider's own ``start()`` began, so this is a crawl (not
  ``scrapy shell``, ``fetch``, ``view``, ``parse`` or ``check``, which never run it):
  the archive is opened, its lock taken and the run recorded now, and only now. A
  receiver that cannot do so raises :class:`scrapy.exceptions.CloseSpider`. Sent with
  ``send_catch_log_async``: a receiver may be a coroutine, and is awaited.
- :data:`archive_opened`: the run is recorded; ``run_id`` names it.
- :data:`page_read` (``page``: a :class:`~centrasia_crawler.archive.RawPage`): a response
  as fetched (or replayed from the HTTP cache), with what extraction made of it. Sent
  with ``send_catch_log_async``: the archive's receiver waits here when its writer is
  behind.
- :data:`listing_read` (``listing``: a :class:`~centrasia_crawler.items.ListingItem`):
  the headlines of a listing page.
- :data:`problem_found` (``problem``: a :class:`~centrasia_crawler.items.ProblemItem`):
  something that went wrong with one URL.
- :data:`storage_failed` (``cause``: one line): the archive could not store a batch;
  the crawl is being stopped.
"""

from __future__ import annotations

run_starting = object()
archive_opened = object()
page_read = object()
listing_read = object()
problem_found = object()
storage_failed = object()
