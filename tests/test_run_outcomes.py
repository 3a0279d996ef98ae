"""What a run's outcome says, against the replica: only articles are items, every
failure fails the run, bad arguments stop it before anything opens, and a stop asked
for is not a failure."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from centrasia_crawler.archive import Archive
from tests.crawling import crawl
from tests.replica.server import serve

IMPOSSIBLE = "31 февраля 2026 г."


def feed_rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def stat(stderr: str, name: str) -> int:
    found = re.search(rf"'{re.escape(name)}': (\d+)", stderr)
    return int(found[1]) if found else 0


@pytest.mark.slow
def test_impossible_dates_are_problems_of_the_run_never_items(tmp_path: Path) -> None:
    feed, archive = tmp_path / "items.jsonl", tmp_path / "archive.sqlite"
    with serve(days=2, per_day=8) as replica:
        site = replica.site
        odd = site.archivable()[1::5]
        for st in odd:
            site.edit(st, original_date=None, original_date_line=IMPOSSIBLE)
        done = crawl(replica, archive, feed=feed)
        root = replica.root
    rows = feed_rows(feed)
    # Every row is an article of the site, each once: nothing else went out as an item.
    assert sorted(int(str(r["st"])) for r in rows) == site.archivable()
    assert all(r["title"] and r["body"] for r in rows)
    by_st = {r["st"]: r for r in rows}
    for st in odd:
        assert by_st[st]["original_date"] is None
        assert by_st[st]["original_date_text"] == IMPOSSIBLE
    with Archive.open(archive, readonly=True) as store:
        run = store.last_run()
    assert run is not None and run["outcome"] == "ok", run and run["outcome_reasons"]
    unread = {
        p["url"]
        for p in run["problems"]
        if IMPOSSIBLE in p["reason"] and "impossible" in p["reason"]
    }
    assert unread == {f"{root}newsA.php?st={st}" for st in odd}
    assert stat(done.stderr, "centrasia/problems/rejected") == len(odd)
    assert stat(done.stderr, "item_scraped_count") == len(rows)
