"""``centrasia doctor``: a first look at the site, polite, in one screen.

At most :data:`MAX_REQUESTS` requests, one at a time with the crawl's delay, robots.txt
obeyed, the project's User-Agent: robots.txt, the index, the RSS feed, the archive
calendar, the newest day page, three articles from it. Each page is read by the same
extraction the crawl uses; each gives one line (status, encoding and where it was
found, the kind of page recognised, what was read), and every problem one line naming
its URL. No Scrapy: plain ``urllib`` requests, Protego (Scrapy's robots.txt parser) for
robots.txt.

Fetched pages can be kept as fixture pairs (:func:`save_pair`; the format, and the
checks that make them tests, are :mod:`centrasia_crawler.fixture_pairs`).
"""

from __future__ import annotations

import datetime as dt
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urljoin

from centrasia_crawler import fixture_pairs
from centrasia_crawler.extraction import NotACentrasiaPage, PageKind, extract, extract_as
from centrasia_crawler.extraction.decode import decode_reporting
from centrasia_crawler.normalize.permalinks import article_st, fetch_url, rebase
from centrasia_crawler.site import FEED_PATH

MAX_REQUESTS: Final = 12
ARTICLES: Final = 3


@dataclass
class Response:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def content_type(self) -> str | None:
        return next((v for k, v in self.headers if k.lower() == "content-type"), None)


class Unreachable(Exception):
    """The site did not answer at all (refused, timed out, no such host)."""


Fetch = Callable[[str], Response]


def urllib_fetch(user_agent: str, timeout: float, max_size: int) -> Fetch:
    """A fetcher with the crawl's User-Agent, timeout and size limit; redirects followed."""

    def fetch(url: str) -> Response:
        request = urllib.request.Request(url, headers={"User-Agent": user_agent})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return Response(
                    answer.url, answer.status, answer.headers.items(), answer.read(max_size)
                )
        except urllib.error.HTTPError as error:
            with error:
                body = error.read(max_size) if error.fp else b""
            return Response(url, error.code, list(error.headers.items()), body)
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, OSError) and reason.strerror:
                reason = reason.strerror.lower()
            raise Unreachable(f"{url}: {reason}") from None

    return fetch


@dataclass
class Finding:
    """One page: what was fetched, what was read, what is wrong."""

    name: str
    url: str
    kind: PageKind | None
    response: Response | None = None
    encoding: str = ""
    data: dict[str, Any] | None = None
    read: str = ""
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.response is None:
            return f"{self.name:9} {self.url}: {self.read}"
        status = self.response.status
        described = f"{status} {self.encoding}".strip()
        return f"{self.name:9} {described:28} {self.read}  {self.url}"


@dataclass
class Report:
    findings: list[Finding]
    fatal: str | None = None  # why the probe stopped

    @property
    def problems(self) -> list[str]:
        found = [p for f in self.findings for p in f.problems]
        return [*found, self.fatal] if self.fatal else found

    @property
    def requests(self) -> int:
        return sum(f.response is not None for f in self.findings)


class Doctor:
    """The probe. ``fetch`` does the requests (tests give one of their own)."""

    def __init__(self, root: str, fetch: Fetch, user_agent: str, delay: float) -> None:
        self.root, self.fetch, self.user_agent, self.delay = root, fetch, user_agent, delay
        self.robots: Any = None
        self.sent = 0

    def get(self, url: str) -> Response:
        if self.sent >= MAX_REQUESTS:
            raise RuntimeError("doctor: request budget exceeded")  # a bug, not the site
        if self.sent and self.delay:
            time.sleep(self.delay)
        self.sent += 1
        return self.fetch(url)

    def allowed(self, url: str) -> bool:
        return self.robots is None or bool(self.robots.can_fetch(url, self.user_agent))

    def run(self, on_finding: Callable[[Finding], None] = lambda f: None) -> Report:
        findings: list[Finding] = []

        def note(finding: Finding) -> Finding:
            findings.append(finding)
            on_finding(finding)
            return finding

        try:
            note(self.read_robots())
            index = note(self.page("index", self.root, "listing"))
            if index.data is None:  # nothing hangs together without it: one reason
                reason = index.problems.pop(0) if index.problems else self.root
                return Report(findings, f"{reason}; without the index nothing more was tried")
            note(self.page("feed", urljoin(self.root, FEED_PATH), "feed"))
            newest = None
            calendar_url = self.here(index.data.get("archive_url"))
            if calendar_url:
                calendar = note(self.page("calendar", calendar_url, "calendar"))
                if calendar.data and calendar.data["days"]:
                    newest = max(calendar.data["days"], key=lambda d: d["date"])
            else:
                index.problems.append(f"{self.root}: no link to the archive calendar ('Архив')")
            day_url = self.here(newest["url"] if newest else _newest_day_link(index.data))
            headlines = []
            if day_url:
                day = note(self.page("day", day_url, "listing"))
                if day.data:
                    headlines = [h for d in day.data["days"] for h in d["headlines"]]
            if not headlines:  # the index's own headlines, then
                headlines = [h for d in index.data["days"] for h in d["headlines"]]
            tried = 0
            for headline in headlines:
                if tried == ARTICLES:
                    break
                url = fetch_url(headline["st"], self.root)
                if not self.allowed(url):
                    continue
                tried += 1
                note(self.page("article", url, "article"))
        except Unreachable as exc:
            return Report(findings, f"cannot reach {exc}")
        return Report(findings)

    def here(self, url: str | None) -> str | None:
        """A link of the site's, on the site being probed (a replica, a mirror)."""
        return (rebase(url, self.root) or url) if url else None

    def read_robots(self) -> Finding:
        from protego import Protego

        url = urljoin(self.root, "robots.txt")
        response = self.get(url)
        finding = Finding("robots", url, None, response)
        if response.status == 200:
            text = response.body.decode("utf-8", "replace")
            self.robots = Protego.parse(text)
            rules = sum(line.lower().startswith("disallow") for line in text.splitlines())
            finding.read = f"robots.txt, {rules} Disallow lines; the index is " + (
                "allowed" if self.allowed(self.root) else "FORBIDDEN"
            )
            if not self.allowed(self.root):
                finding.problems.append(f"{url}: robots.txt forbids the index to this crawler")
        else:
            finding.read = f"no robots.txt (HTTP {response.status}): everything allowed"
        return finding

    def page(self, name: str, url: str, kind: PageKind) -> Finding:
        finding = Finding(name, url, kind)
        if not self.allowed(url):
            finding.read = "forbidden by robots.txt, not fetched"
            finding.problems.append(f"{url}: robots.txt forbids it to this crawler")
            return finding
        response = finding.response = self.get(url)
        if response.status != 200:
            finding.read = f"HTTP {response.status}"
            finding.problems.append(f"{url}: HTTP {response.status}")
            return finding
        try:
            _, encoding, where = decode_reporting(response.body, response.content_type)
            finding.encoding = f"{encoding} ({where})"
            finding.data = extract_as(kind, response.body, response.url, response.content_type)
        except NotACentrasiaPage as exc:
            recognised = _recognised(response)
            finding.read = f"not read as {_a(kind)}: {exc}" + (
                f" (it reads as {_a(recognised)})" if recognised and recognised != kind else ""
            )
            finding.problems.append(f"{url}: not read as {_a(kind)}: {exc}")
            return finding
        finding.read, problems = describe(kind, finding.data, url)
        finding.problems += [f"{url}: {p}" for p in problems]
        return finding


def _recognised(response: Response) -> str | None:
    try:
        return extract(response.body, response.url, response.content_type).kind
    except NotACentrasiaPage:
        return None


def _a(kind: str | None) -> str:
    return {"article": "an article", "listing": "a listing"}.get(kind or "", f"a {kind}")


def _newest_day_link(listing: dict[str, Any]) -> str | None:
    previous = listing.get("prev_day")
    return previous["url"] if previous else None


def describe(kind: PageKind, data: dict[str, Any], url: str) -> tuple[str, list[str]]:
    """What was read from a page, in one line, and what is wrong with it."""
    problems: list[str] = []
    if kind == "listing":
        days = data["days"]
        headlines = sum(len(d["headlines"]) for d in days)
        span = f" ({days[-1]['date']} .. {days[0]['date']})" if days else ""
        if not headlines:
            problems.append("no headlines found (the day headings or newsA.php links changed?)")
        return f"listing: {len(days)} days, {headlines} headlines{span}", problems
    if kind == "feed":
        items = data["items"]
        if not items:
            problems.append("the feed has no items")
        return f"feed: {len(items)} items", problems
    if kind == "calendar":
        days = data["days"]
        if not days:
            problems.append("the calendar links no days")
        newest = max((d["date"] for d in days), default="-")
        return f"calendar: {len(days)} days, newest {newest}", problems
    st = article_st(url, url)
    paragraphs = [p for p in data["body"].split("\n\n") if p.strip()]
    agrees = "?"
    if st is not None:
        shown = dt.datetime.fromisoformat(data["published_at"])
        agrees = "agrees with st" if abs(shown.timestamp() - st) < 60 else "DISAGREES with st"
    parts = [
        f"article: «{_short(data['title'])}»",
        f"{data['published_at']} ({agrees})",
        f"{len(paragraphs)} paragraphs, {len(data['body']):,} chars",
        f"source {data.get('source') or '-'}",
        f"original {data.get('original_date') or '-'}",
        f"permalink {'yes' if data.get('stated_permalink') else 'no'}",
    ]
    if not paragraphs:
        problems.append("the article has no body")
    return ", ".join(parts), problems


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --- fixture pairs (the format: centrasia_crawler.fixture_pairs) ------------------------


def fixture_name(finding: Finding) -> str:
    if finding.kind == "article":
        return f"article_{article_st(finding.url, finding.url)}"
    if finding.name == "day" and finding.data and finding.data["days"]:
        return f"day_{finding.data['days'][0]['date']}"
    return finding.name


def save_pair(directory: Path, finding: Finding) -> Path | None:
    """Keep a fetched page and what was read from it as a fixture pair; the JSON's path
    (None: nothing was read, so there is no pair to keep)."""
    if finding.response is None or finding.data is None or finding.kind is None:
        return None
    response = finding.response
    return fixture_pairs.save_pair(
        directory,
        fixture_name(finding),
        url=response.url,
        status=response.status,
        headers=response.headers,
        body=response.body,
        kind=finding.kind,
        data=finding.data,
    )
