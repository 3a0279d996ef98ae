"""End to end: `scrapy crawl centrasia` against the replica on 127.0.0.1."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.extraction import extract
from tests.crawling import crawl
from tests.helpers import assert_archive_is_ground_truth, rows
from tests.replica.content import MOSCOW
from tests.replica.server import Faults, Replica, serve

pytestmark = pytest.mark.slow  # every test runs `scrapy crawl` against the replica


@pytest.fixture(params=["table", "div"])
def replica(request: pytest.FixtureRequest) -> Any:
    with serve(days=3, per_day=20, markup=request.param) as running:
        yield running


def test_full_crawl_archives_exactly_the_ground_truth(replica: Replica, tmp_path: Path) -> None:
    archive = tmp_path / "archive.sqlite"
    crawl(replica, archive)
    site = replica.site
    # The crawl leaves one file: its write-ahead log moved in, a copy of it is complete.
    wal = archive.with_name(archive.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(archive, copy)
    assert_archive_is_ground_truth(copy, site, site.archivable())
    assert_archive_is_ground_truth(archive, site, site.archivable())

    listed = rows(archive, "SELECT st, listed_on, listed_at, title, attribution FROM listings")
    expected = [
        {
            "st": h["st"],
            "listed_on": day.isoformat(),
            "listed_at": h["listed_at"],
            "title": h["title"],
            "attribution": site.attribution(h["st"]),
        }
        for day in site.day_list()
        for h in site.headlines(day)
    ]
    assert sorted(listed, key=lambda r: r["st"]) == sorted(expected, key=lambda r: r["st"])

    # Every article's raw page is stored and extracts again, without the network.
    with Archive.open(archive, readonly=True) as store:
        for st in site.archivable()[:10]:
            page = store.page_body(f"{replica.root}newsA.php?st={st}")
            assert page is not None and page.status == 200
            data, truth = extract(page.body, page.url, page.content_type).data, site.article(st)
            assert {k: data[k] for k in truth} == truth  # and the fields truth lacks, above
        run = store.last_run()
    assert run is not None
    assert run["finish_reason"] == "finished"
    assert run["new_articles"] == len(site.archivable())
    assert run["errors"] == 0
    assert run["mode"] == "incremental"


def test_every_request_stays_on_the_replica_and_respects_robots(
    replica: Replica, tmp_path: Path
) -> None:
    archive = tmp_path / "archive.sqlite"
    crawl(replica, archive)
    site = replica.site
    with Archive.open(archive, readonly=True) as store:
        run = store.last_run()
    assert run is not None
    # What the crawler counted as sent is exactly what the replica received.
    assert run["requests"] == len(replica.log)
    paths = [r.path for r in replica.log]
    forbidden = sorted(site.disallowed)
    assert forbidden
    for st in forbidden:
        assert f"/newsA.php?st={st}" not in paths
    assert {p["kind"] for p in run["problems"]} == {"robots"}
    # Listings name articles by relative, root-relative, absolute, old-host and
    # www forms, the feed by canonical links: each article is fetched once.
    fetched = Counter(p for p in paths if p.startswith("/newsA.php"))
    assert set(fetched.values()) == {1}
    assert len(fetched) == len(site.archivable())
    assert all(r.user_agent.startswith("centrasia-crawler/") for r in replica.log)


def test_second_run_adds_nothing_and_makes_at_most_3_requests(
    replica: Replica, tmp_path: Path
) -> None:
    archive = tmp_path / "archive.sqlite"
    crawl(replica, archive)
    counts = {
        t: rows(archive, f"SELECT count(*) AS n FROM {t}")[0]["n"]
        for t in ("articles", "listings", "article_revisions")
    }
    replica.reset_log()
    crawl(replica, archive)
    assert len(replica.log) <= 3, [r.path for r in replica.log]
    assert {r.path for r in replica.log} <= {"/robots.txt", "/", "/rss/redtram.xml"}
    for table, n in counts.items():
        assert rows(archive, f"SELECT count(*) AS n FROM {table}")[0]["n"] == n
    with Archive.open(archive, readonly=True) as store:
        run = store.last_run()
    assert run is not None and run["new_articles"] == 0 and run["id"] == 2


def test_backfill_through_transient_errors_is_complete(tmp_path: Path) -> None:
    faults = Faults(
        error_rate=0.05, drop_rate=0.02, truncate_rate=0.02, slow_rate=0.02, slow_seconds=0.3
    )
    with serve(days=12, per_day=8, markup="div", faults=faults, index_days=7) as replica:
        site = replica.site
        days = site.day_list()
        since, until = days[9], days[2]  # beyond the index's seven days, and not the latest
        archive = tmp_path / "archive.sqlite"
        crawl(replica, archive, f"since={since}", f"until={until}")
        assert_archive_is_ground_truth(archive, site, site.in_range(since, until))
        assert any(r.fault for r in replica.log), "the replica injected no faults"
        # Each day of the range fetched once (retries aside), none outside it.
        day_paths = {"/" + replica.markup.day_path(d): d for d in days}
        ok = Counter(r.path for r in replica.log if r.path in day_paths and r.status == 200)
        assert {day_paths[p] for p in ok} == {d for d in days if since <= d <= until}
        assert set(ok.values()) == {1}

        # Re-running the finished backfill fetches no archived article again.
        replica.reset_log()
        crawl(replica, archive, f"since={since}", f"until={until}")
        assert not [r for r in replica.log if r.path.startswith("/newsA.php")]


def test_refresh_turns_an_edit_into_a_revision(tmp_path: Path) -> None:
    today = dt.datetime.now(MOSCOW).date()
    with serve(days=3, per_day=5, markup="table", last_day=today) as replica:
        site = replica.site
        archive = tmp_path / "archive.sqlite"
        crawl(replica, archive)
        st = site.archivable()[-1]
        before = site.article(st)
        site.edit(st, body=before["body"] + "\n\nИсправлено: уточнены данные.")
        replica.reset_log()
        crawl(replica, archive, "refresh=2")
        assert f"/newsA.php?st={st}" in [r.path for r in replica.log]
        with Archive.open(archive, readonly=True) as store:
            now = store.article(st)
            old = store.revisions(st)
            run = store.last_run()
        assert now is not None and now["revision"] == 2
        assert now["body"] == site.article(st)["body"]
        assert [r["body"] for r in old] == [before["body"]]
        assert old[0]["revision"] == 1
        assert run is not None and run["changed_articles"] == 1
        assert run["unchanged_articles"] >= 1


def test_an_interrupted_backfill_resumes_from_its_jobdir(tmp_path: Path) -> None:
    with serve(days=6, per_day=10, markup="table") as replica:
        site = replica.site
        days = site.day_list()
        since, until = days[-1], days[0]
        archive, jobdir = tmp_path / "archive.sqlite", tmp_path / "job"
        args = (f"since={since}", f"until={until}")
        # Stop after 15 responses, as Ctrl-C or a time limit would.
        crawl(replica, archive, *args, JOBDIR=str(jobdir), CLOSESPIDER_PAGECOUNT="15")
        first = rows(archive, "SELECT count(*) AS n FROM articles")[0]["n"]
        assert 0 < first < len(site.archivable())
        crawl(replica, archive, *args, JOBDIR=str(jobdir))
        assert_archive_is_ground_truth(archive, site, site.in_range(since, until))
        fetched = Counter(r.path for r in replica.log if r.path.startswith("/newsA.php"))
        assert set(fetched.values()) == {1}, "an article was fetched twice"
        runs = rows(
            archive, "SELECT finish_reason, outcome, outcome_reasons FROM crawl_runs ORDER BY id"
        )
        assert [r["finish_reason"] for r in runs] == ["closespider_pagecount", "finished"]
        # The first run stopped as asked (CLOSESPIDER_PAGECOUNT), which is no failure;
        # the resumed one is ok: its verdict is what `centrasia crawl`'s exit status says.
        assert [r["outcome"] for r in runs] == ["stopped", "ok"], runs[-1]["outcome_reasons"]


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("since=2026-13-01", "since='2026-13-01' is not a date (YYYY-MM-DD)"),
        ("refresh=soon", "refresh='soon' is not a number of days (1 to 36600)"),
        ("until=2026-02-01", "until= needs since= (a backfill range)"),
        ("since=2026-02-10 until=2026-02-01", "since=2026-02-10 is after until=2026-02-01"),
        (
            "sinse=2026-01-01",
            "unknown argument sinse= (did you mean since=?); the known ones: since=, until=,"
            " refresh=",
        ),
    ],
)
def test_a_nonsense_argument_stops_the_crawl_before_anything_opens(
    tmp_path: Path, arg: str, message: str
) -> None:
    feed = tmp_path / "items.jsonl"
    feed.write_bytes(b'{"st": 1}\n')  # a feed of an earlier run
    before = feed.read_bytes()
    with serve(days=1, per_day=3) as replica:
        archive = tmp_path / "archive.sqlite"
        done = crawl(replica, archive, *arg.split(), feed=feed, status=2, LOG_LEVEL="WARNING")
        assert replica.log == []
    assert done.stderr.splitlines() == [f"scrapy crawl: {message}"]
    assert feed.read_bytes() == before  # -O did not truncate it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["items.jsonl"]  # no archive


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_a_feed_export_gets_one_clean_article_per_row(suffix: str, tmp_path: Path) -> None:
    """`scrapy crawl centrasia -O FILE`: the articles, not the raw pages and listings."""
    feed = tmp_path / f"articles.{suffix}"
    with serve(days=2, per_day=8) as replica:
        done = crawl(replica, tmp_path / "archive.sqlite", feed=feed)
        site = replica.site
    assert "] ERROR:" not in done.stderr, done.stderr[-3000:]
    if suffix == "jsonl":
        exported = [json.loads(line) for line in feed.read_text("utf-8").splitlines()]
    else:
        with feed.open(newline="", encoding="utf-8") as f:
            exported = list(csv.DictReader(f))
    assert sorted(int(a["st"]) for a in exported) == site.archivable()
    for article in exported:
        truth = site.article(int(article["st"]))
        for name in ("url", "title", "published_at", "body", "source"):
            value = truth[name]
        assert article[name] == (value if suffix == "jsonl" else str(value or "")), name
