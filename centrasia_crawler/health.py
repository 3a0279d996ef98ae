"""Is a finished run healthy? The checks behind `centrasia crawl`'s exit status.

A run fails when Scrapy did not finish it, when too many of its URLs failed for good
(after their retries: a share of article URLs, and of all URLs), when
the index gave no headlines, or when too many article pages could not be read:
the last two are how a change of the site's layout shows; and when a backfill's range
holds no day of the site's calendar. Each failure is one line naming what was not
found and where.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from centrasia_crawler.normalize.permalinks import article_st

#: Finish reasons of a run stopped because its user asked for it (a CLOSESPIDER_*
#: limit): not a failure. CLOSESPIDER_ERRORCOUNT is a failure.
STOPPED_ON_REQUEST = frozenset(
    {"closespider_itemcount", "closespider_pagecount", "closespider_timeout"}
)
#: The crawler stats counting the URLs a run asked for, each once (its first attempt:
#: retries are not counted), and the article URLs among them.
URLS_STAT = "centrasia/urls_requested"
ARTICLE_URLS_STAT = "centrasia/article_urls_requested"
#: The finish reason of a crawl stopped because the free space beside the archive fell
#: below CENTRASIA_MIN_FREE_BYTES: the run's bookkeeping gives its one reason.
FREE_SPACE_REASON = "free_space_low"
#: How many URLs a reason names before it says how many more there are.
URLS_SHOWN = 5
#: The fewest article URLs whose failed share is judged on its own: below it (an hourly
#: run of three new articles, one of which the site has since removed), the failed URLs
#: are judged against all the run's URLs, as a share of a handful says little.
MIN_ARTICLE_URLS = 20


@dataclass(frozen=True)
class Thresholds:
    """Limits a run must keep (settings CENTRASIA_MAX_ERROR_SHARE, ..._EXTRACTION_FAILURE_SHARE)."""

    max_error_share: float = 0.1
    max_extraction_failure_share: float = 0.05

    @classmethod
    def from_settings(cls, settings: Any) -> Thresholds:
        return cls(
            max_error_share=settings.getfloat("CENTRASIA_MAX_ERROR_SHARE", 0.1),
            max_extraction_failure_share=settings.getfloat(
                "CENTRASIA_MAX_EXTRACTION_FAILURE_SHARE", 0.05
            ),
        )


def _urls(urls: Sequence[str]) -> str:
    shown = ", ".join(urls[:URLS_SHOWN])
    return shown + (f" (+{len(urls) - URLS_SHOWN} more)" if len(urls) > URLS_SHOWN else "")


def _grouped(problems: Sequence[Mapping[str, Any]], kind: str) -> dict[str, list[str]]:
    by_reason: dict[str, list[str]] = defaultdict(list)
    for problem in problems:
        if problem.get("kind") == kind:
            by_reason[str(problem.get("reason"))].append(str(problem.get("url")))
    return by_reason


def assess(
    finish_reason: str,
    stats: Mapping[str, Any],
    problems: Sequence[Mapping[str, Any]],
    thresholds: Thresholds = Thresholds(),
) -> list[str]:
    """Why the run failed, one line per reason; empty when it is healthy.

    >>> assess("finished", {"downloader/request_count": 3, "centrasia/index_headlines": 60}, [])
    []
    >>> assess("shutdown", {"centrasia/index_headlines": 60}, [])
    ['the crawl did not finish (finish reason: shutdown)']
    """
    reasons = []
    refused = stats.get("centrasia/jobdir_refused")
    if refused:
        return [str(refused)]
    if finish_reason not in ("finished", FREE_SPACE_REASON, *STOPPED_ON_REQUEST):
        reasons.append(f"the crawl did not finish (finish reason: {finish_reason})")

    reasons += _failed_requests(stats, problems, thresholds)
    reasons += _unread_index(stats, problems, finish_reason)
    reasons += _empty_range(stats)
    reasons += _unread_articles(stats, problems, thresholds)
    return reasons


def _failed_requests(
    stats: Mapping[str, Any], problems: Sequence[Mapping[str, Any]], thresholds: Thresholds
) -> list[str]:
    """More URLs failed for good (after their retries) than the thresholds allow: of
    the article URLs (when there are :data:`MIN_ARTICLE_URLS` of them), or of all URLs.
    Retries are no URLs of their own, so a page that fails on every retry counts once,
    against the one URL it is."""
    failed = {str(p.get("url")): str(p.get("reason")) for p in problems if p.get("kind") == "fetch"}
    if not failed:
        return []
    share = thresholds.max_error_share
    articles = {url: why for url, why in failed.items() if article_st(url, url) is not None}
    # Runs recorded before URLs were counted: their requests stand in for the URLs.
    requested = int(stats.get(URLS_STAT, stats.get("downloader/request_count", 0)))
    reasons = []
    article_urls = int(stats.get(ARTICLE_URLS_STAT, 0))
    if articles and article_urls >= MIN_ARTICLE_URLS and len(articles) > share * article_urls:
        reasons.append(
            f"{len(articles)} of {article_urls} article URLs failed after their retries"
            f" (more than {share:.0%}): {_by_reason(articles)}"
        )
    elif len(failed) > share * max(requested, 1):
        reasons.append(
            f"{len(failed)} of {requested} URLs failed after their retries"
            f" (more than {share:.0%}): {_by_reason(failed)}"
        )
    return reasons


def _by_reason(failed: Mapping[str, str]) -> str:
    by_reason: dict[str, list[str]] = defaultdict(list)
    for url, reason in failed.items():
        by_reason[reason].append(url)
    return "; ".join(f"{reason}: {_urls(urls)}" for reason, urls in by_reason.items())


def _unread_index(
    stats: Mapping[str, Any], problems: Sequence[Mapping[str, Any]], finish_reason: str
) -> list[str]:
    """The index or the calendar was not read (layout drift, or failed requests)."""
    reasons = []
    index = stats.get("centrasia/index_headlines")
    if index is not None and int(index) == 0:
        reasons.append("the index yielded no headlines")
    for reason, urls in _grouped(problems, "extraction:listing").items():
        reasons.append(f"layout drift: listing page not read ({reason}): {_urls(urls)}")
    for reason, urls in _grouped(problems, "extraction:calendar").items():
        reasons.append(f"layout drift: archive calendar not read ({reason}): {_urls(urls)}")
    unread = index is None and not any(p.get("kind") == "extraction:listing" for p in problems)
    if unread and finish_reason == "finished":
        reasons.append("the index was not read (see the failed requests)")
    return reasons


def _empty_range(stats: Mapping[str, Any]) -> list[str]:
    """A backfill whose range holds no day of the site's calendar."""
    in_range = stats.get("centrasia/backfill/days_in_range")
    if in_range is None or in_range or stats.get("centrasia/backfill/days_done"):
        return []
    return [
        f"no day of the site's calendar lies in the range"
        f" {stats.get('centrasia/backfill/range', '')}"
        f" (the calendar runs from {stats.get('centrasia/backfill/calendar', '?')})"
    ]


def _unread_articles(
    stats: Mapping[str, Any], problems: Sequence[Mapping[str, Any]], thresholds: Thresholds
) -> list[str]:
    """More article pages could not be read than the thresholds allow."""
    pages = int(stats.get("centrasia/pages/article", 0))
    failed = _grouped(problems, "extraction:article")
    count = sum(len(urls) for urls in failed.values())
    if not count or count <= thresholds.max_extraction_failure_share * max(pages, 1):
        return []
    details = "; ".join(f"{reason}: {_urls(urls)}" for reason, urls in failed.items())
    return [
        f"layout drift: {count} of {pages} article pages not read (more than "
        f"{thresholds.max_extraction_failure_share:.0%}): {details}"
    ]
