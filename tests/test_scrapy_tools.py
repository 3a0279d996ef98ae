"""The Scrapy user's way: feeds that hold their range, item counts that count articles,
logs without page bodies, and Scrapy's own tools (shell, fetch, parse, check) leaving
the archive alone, against the replica on 127.0.0.1."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse

from centrasia_crawler.archive import Archive
from centrasia_crawler.items import extract_response
from centrasia_crawler.lock import ArchiveLock
from centrasia_crawler.options import ARCHIVE_ENV
from centrasia_crawler.spiders.centrasia import CentrasiaSpider, fetched_at
from tests.crawling import FAST, PROJECT, crawl
from tests.helpers import SPECIMEN, expected, specimen_pages, url_for
from tests.replica.server import Replica, serve

ARTICLE_FIELDS = tuple(expected("article_1771493400"))


def scrapy(
    *args: str, cwd: Path = PROJECT, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """A ``scrapy`` command as a user types it; it must exit 0 without a traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",  # scrapy fetch prints a page in its own encoding
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done


def settings(replica: Replica, **more: str) -> list[str]:
    return [
        arg
        for name, value in {"CENTRASIA_ROOT_URL": replica.root, **more}.items()
        for arg in ("-s", f"{name}={value}")
    ]


def feed_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def printed_items(stdout: str) -> list[dict[str, Any]]:
    """The items ``scrapy parse`` printed (a pprint of a list of dicts)."""
    section = stdout.split("# Scraped Items", 1)[1].split("\n", 1)[1]
    return ast.literal_eval(section.split("# Requests", 1)[0])  # type: ignore[no-any-return]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stat(stderr: str, name: str) -> int:
    found = re.search(rf"'{re.escape(name)}': (\d+)", stderr)
    return int(found[1]) if found else 0


# --- without a network -------------------------------------------------------------


def test_extract_response_reads_a_shell_response_with_bytes_headers() -> None:
    page = SPECIMEN / "article_1771493400.html"
    response = HtmlResponse(
        "https://centrasia.org/newsA.php?st=1771493400",
        body=page.read_bytes(),
        headers={"Content-Type": "text/html; charset=windows-1251"},
    )
    assert isinstance(response.headers.get("Content-Type"), bytes)
    found = extract_response(response)
    assert found.kind == "article"
    # The crawl's reading: the page's data and its attribution (its title names none).
    assert found.data == {**expected("article_1771493400"), "attribution": None}


def test_every_callback_carries_contracts() -> None:
    callbacks = [
        name
        for name in vars(CentrasiaSpider)
        if name.startswith("parse") and callable(getattr(CentrasiaSpider, name))
    ]
    assert set(callbacks) >= {
        "parse",
        "parse_index",
        "parse_feed",
        "parse_calendar",
        "parse_day",
        "parse_article",
    }
    for name in callbacks:
        doc = getattr(CentrasiaSpider, name).__doc__ or ""
        assert "@site " in doc and "@returns " in doc, name


def test_a_cached_page_keeps_its_original_fetch_time() -> None:
    assert fetched_at({"date": ["Thu, 19 Feb 2026 12:30:00 +0300"]}) == "2026-02-19T09:30:00+00:00"
    assert fetched_at({"Date": ["not a date"]}) is None


# --- feeds and items -----------------------------------------------------------------


@pytest.mark.slow
def test_a_backfill_feed_holds_its_range_and_twice_is_the_same_file(tmp_path: Path) -> None:
    with serve(days=5, per_day=8, markup="div") as replica:
        site = replica.site
        days = site.day_list()
        since, until = days[3], days[1]
        archive = tmp_path / "archive.sqlite"
        args = (f"since={since}", f"until={until}")
        first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
        done = crawl(replica, archive, *args, feed=first)
        assert (
            f"centrasia backfill: {since} to {until}; root {replica.root}; "
            f"archive {archive}; JOBDIR none"
        ) in done.stderr
        replica.reset_log()
        done = crawl(replica, archive, *args, feed=second)
        # The second run read the range from the archive, fetching no article again ...
        assert not [r for r in replica.log if r.path.startswith("/newsA.php")]
        assert stat(done.stderr, "item_scraped_count") == len(site.in_range(since, until))
    # ... and wrote the same file, byte for byte, holding the range as the site has it.
    assert first.read_bytes() == second.read_bytes()
    exported = feed_rows(first)
    assert [a["st"] for a in exported] == site.in_range(since, until)
    for article in exported:
        truth = site.article(article["st"])
        for name in ARTICLE_FIELDS:
            if name in truth:
                assert article[name] == truth[name], (article["st"], name)
        assert article["attribution"] == site.attribution(article["st"])


@pytest.mark.slow
def test_an_incremental_feed_holds_what_the_run_archived(tmp_path: Path) -> None:
    with serve(days=2, per_day=6) as replica:
        archive = tmp_path / "archive.sqlite"
        first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
        crawl(replica, archive, feed=first)
        crawl(replica, archive, feed=second)
        assert [a["st"] for a in feed_rows(first)] == replica.site.archivable()
        assert feed_rows(second) == []


@pytest.mark.slow
def test_closespider_itemcount_counts_articles(tmp_path: Path) -> None:
    with serve(days=3, per_day=20) as replica:
        feed = tmp_path / "ten.jsonl"
        done = crawl(
            replica,
            tmp_path / "archive.sqlite",
            feed=feed,
            CLOSESPIDER_ITEMCOUNT="10",
            CONCURRENT_REQUESTS="2",
            CONCURRENT_REQUESTS_PER_DOMAIN="2",
        )
    articles = feed_rows(feed)
    # Ten, and what was in flight when the tenth came back: the requests being
    # downloaded (2) and the responses downloaded but not yet read, which a loaded
    # machine lets pile up (14 seen idle, 15 busy). Pages counted as items would stop
    # it at about 6 articles.
    assert 10 <= len(articles) <= 20, len(articles)
    assert stat(done.stderr, "item_scraped_count") == len(articles)
    with Archive.open(tmp_path / "archive.sqlite", readonly=True) as store:
        run = store.last_run()
    assert run is not None and run["finish_reason"] == "closespider_itemcount"
    assert run["new_articles"] == len(articles)


@pytest.mark.slow
def test_a_debug_log_holds_no_page_body(tmp_path: Path) -> None:
    with serve(days=1, per_day=6) as replica:
        done = crawl(replica, tmp_path / "archive.sqlite", LOG_LEVEL="DEBUG")
        site = replica.site
        bodies = [site.article(st)["body"] for st in site.archivable()]
    log = done.stderr
    assert "Scraped from" in log  # DEBUG it was
    assert len(log) < 100_000, len(log)
    lowered = log.lower()
    assert "<html" not in lowered and "<!doctype" not in lowered and "<rss" not in lowered
    for body in bodies:
        assert body[:60] not in log
        assert repr(body[:60].encode())[2:-1] not in log


@pytest.mark.slow
def test_pages_replayed_from_the_http_cache_are_marked_with_their_fetch_time(
    tmp_path: Path,
) -> None:
    cache = {"HTTPCACHE_ENABLED": "True", "HTTPCACHE_DIR": str(tmp_path / "cache")}
    with serve(days=1, per_day=4) as replica:
        crawl(replica, tmp_path / "live.sqlite", **cache)
        crawl(replica, tmp_path / "replayed.sqlite", **cache)
    for name, from_cache in (("live.sqlite", 0), ("replayed.sqlite", 1)):
        with Archive.open(tmp_path / name, readonly=True) as store:
            pages = list(store.all_pages())
        assert pages and {int(p.from_cache) for p in pages} == {from_cache}, name
        if from_cache:
            for page in pages:
                assert page.fetched_at == fetched_at(page.headers)


# --- Scrapy's tools --------------------------------------------------------------------


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A replica and an archive crawled from it."""
    folder = tmp_path_factory.mktemp("archived")
    with serve(days=2, per_day=5, markup="div") as replica:
        archive = folder / "archive.sqlite"
        crawl(replica, archive)
        yield replica, archive


@pytest.mark.slow
def test_shell_fetch_and_parse_leave_the_archive_alone(archived: Any) -> None:
    replica, archive = archived
    before = digest(archive)
    files = sorted(p.name for p in archive.parent.iterdir())
    with ArchiveLock(archive):  # were they to take it, they could not
        article = f"{replica.root}newsA.php?st={replica.site.archivable()[0]}"
        options = settings(replica, CENTRASIA_ARCHIVE_PATH=str(archive))
        shell = scrapy("shell", article, "-c", "response.status", *options)
        assert shell.stdout.strip().splitlines()[-1] == "200"
        fetched = scrapy("fetch", "--nolog", replica.root, *options)
        assert "newsA.php" in fetched.stdout
        parsed = scrapy("parse", "--nolog", article, *options)
        assert "# Scraped Items" in parsed.stdout
        for done in (shell, fetched, parsed):
            assert "locked" not in done.stderr and "archive_locked" not in done.stdout
    assert digest(archive) == before
    assert sorted(p.name for p in archive.parent.iterdir()) == files
    with sqlite3.connect(archive) as conn:
        assert conn.execute("SELECT count(*) FROM crawl_runs").fetchone()[0] == 1


@pytest.mark.slow
def test_from_a_subdirectory_the_tools_create_nothing_and_a_crawl_uses_the_project_root(
    tmp_path: Path,
) -> None:
    # A project of its own: scrapy.cfg in tmp_path, run from a folder below it.
    (tmp_path / "scrapy.cfg").write_bytes((PROJECT / "scrapy.cfg").read_bytes())
    sub = tmp_path / "notes"
    sub.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in (ARCHIVE_ENV, "SCRAPY_SETTINGS_MODULE")}
    with serve(days=1, per_day=3) as replica:
        article = f"{replica.root}newsA.php?st={replica.site.archivable()[0]}"
        scrapy("shell", article, "-c", "response.status", *settings(replica), cwd=sub, env=env)
        scrapy("fetch", "--nolog", replica.root, *settings(replica), cwd=sub, env=env)
        scrapy("parse", "--nolog", article, *settings(replica), cwd=sub, env=env)
        assert list(sub.iterdir()) == []
        assert sorted(p.name for p in tmp_path.iterdir()) == ["notes", "scrapy.cfg"]
        fast = [a for n, v in FAST.items() for a in ("-s", f"{n}={v}")]
        scrapy("crawl", "centrasia", *fast, *settings(replica), cwd=sub, env=env)
    assert list(sub.iterdir()) == []
    assert (tmp_path / "data" / "archive.sqlite").is_file()


@pytest.mark.slow
def test_scrapy_check_runs_a_contract_on_every_callback(archived: Any) -> None:
    replica, _ = archived
    listed = scrapy("check", "-l", *settings(replica))
    for name in ("parse", "parse_index", "parse_feed", "parse_calendar", "parse_day"):
        assert f"* {name}\n" in listed.stdout + "\n", name
    assert "* parse_article" in listed.stdout
    replica.reset_log()
    done = scrapy("check", "centrasia", *settings(replica))
    ran = re.search(r"Ran (\d+) contracts", done.stderr)
    assert ran and int(ran[1]) >= 12, done.stderr
    assert done.stderr.rstrip().endswith("OK"), done.stderr
    # Every page was fetched by Scrapy's downloader: robots.txt came first (a fetch
    # outside it, made while the checks are prepared, would come before), once.
    paths = [r.path for r in replica.log]
    assert paths[0] == "/robots.txt" and paths.count("/robots.txt") == 1, paths
    day = replica.site.day_list()[0]
    assert "/" + replica.markup.day_path(day) in paths  # the newest day, found by @site day


@pytest.mark.slow
def test_scrapy_parse_reads_the_index_a_day_page_and_an_article(
    archived: Any, tmp_path: Path
) -> None:
    replica, _ = archived
    site = replica.site
    options = settings(replica, CENTRASIA_ARCHIVE_PATH=str(tmp_path / "none.sqlite"))

    def requested(stdout: str) -> set[int]:
        return {int(st) for st in re.findall(r"newsA\.php\?st=(\d+)>", stdout)}

    index = scrapy("parse", "--nolog", replica.root, *options)
    assert requested(index.stdout) == {h["st"] for d in site.day_list() for h in site.headlines(d)}
    day = site.day_list()[-1]
    page = scrapy("parse", "--nolog", replica.root + replica.markup.day_path(day), *options)
    assert requested(page.stdout) == {h["st"] for h in site.headlines(day)}
    st = site.archivable()[0]
    article = scrapy("parse", "--nolog", f"{replica.root}newsA.php?st={st}", *options)
    (item,) = printed_items(article.stdout)
    truth = site.article(st)
    for name in ARTICLE_FIELDS:
        if name in truth:  # the replica's truth has the fields it varies
            assert item[name] == truth[name], name
    assert not (tmp_path / "none.sqlite").exists()


@pytest.mark.slow
def test_scrapy_parse_says_in_one_line_when_a_url_is_outside_the_root(archived: Any) -> None:
    replica, _ = archived
    url = f"{replica.root}newsA.php?st={replica.site.archivable()[0]}"
    before = len(replica.log)
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "parse", "--nolog", url],  # the root: centrasia.org
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"scrapy parse: {url} is outside the crawled site https://centrasia.org/"
        f" (CENTRASIA_ROOT_URL): add -s CENTRASIA_ROOT_URL={replica.root} to read it"
    ]
    assert done.stdout == ""
    assert len(replica.log) == before  # nothing fetched


@pytest.mark.parametrize(
    ("url", "ours"),
    [
        ("https://centrasia.org/newsA.php?st=1771493400", True),
        ("http://www.centrasia.ru/", True),
        ("http://127.0.0.1:8765/archive/", True),
        ("https://example.com/", False),
    ],
)
def test_scrapy_picks_the_spider_for_the_site_and_local_replicas(url: str, ours: bool) -> None:
    from scrapy import Request

    assert CentrasiaSpider.handles_request(Request(url)) is ours


@pytest.mark.parametrize("page", specimen_pages(), ids=lambda p: p.name)
def test_the_shell_helper_the_crawl_and_extract_item_give_the_same_item(
    page: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio
    import dataclasses

    from scrapy import Request
    from scrapy.http import XmlResponse
    from scrapy.utils.test import get_crawler

    from centrasia_crawler import signals
    from centrasia_crawler.cli import main
    from centrasia_crawler.feeds import feed_row
    from centrasia_crawler.items import ArticleItem, ListingItem

    url = url_for(page)
    kind = XmlResponse if page.suffix == ".xml" else HtmlResponse
    response = kind(url, body=page.read_bytes(), request=Request(url))
    helper = extract_response(response)

    crawler = get_crawler(CentrasiaSpider)
    spider = CentrasiaSpider.from_crawler(crawler)
    crawler.spider = spider
    crawler.stats.open_spider()
    listings: list[ListingItem] = []

    def listed(listing: ListingItem) -> None:
        listings.append(listing)

    crawler.signals.connect(listed, signal=signals.listing_read, weak=False)

    async def crawled() -> list[Any]:
        return [o async for o in spider.parse(response) if not isinstance(o, Request)]

    items = asyncio.run(crawled())
    if helper.kind == "article":
        assert items == [helper.item] and isinstance(helper.item, ArticleItem)
        assert helper.item.attribution == helper.data["attribution"]
        shown = feed_row(helper.item)
    elif helper.kind == "listing":
        assert items == [] and listings == [helper.item]
        shown = dataclasses.asdict(helper.item)
    else:  # a calendar, a feed: the crawl makes requests of them, no item
        assert items == [] and helper.item is None
        return
    capsys.readouterr()
    assert main(["extract", "--item", str(page), "--url", url]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(shown))
