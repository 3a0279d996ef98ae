"""Reliability and security, proven: faults, kill -9 and resume, hostile input,
concurrent use."""

from __future__ import annotations

import fcntl
import gzip
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centrasia_crawler.archive import Archive
from centrasia_crawler.archive.store import ADDED_CONTENT, CONTENT_FIELDS
from centrasia_crawler.extraction import extract
from centrasia_crawler.normalize.site_clock import SHOWN_TIME_RE, parse_day_heading
from centrasia_crawler.normalize.source_dates import read_source_date
from centrasia_crawler.normalize.source_line import PERMALINK_LINE_RE, SOURCE_LINE_RE
from centrasia_crawler.normalize.text import clean_text
from centrasia_crawler.site import END_OF_ARTICLE_LINES
from tests.crawling import FAST, PROJECT, crawl
from tests.replica.markup import DivMarkup, TableMarkup
from tests.replica.server import Faults, serve

pytestmark = pytest.mark.slow  # crawls under faults, kills and concurrent readers

CONTENT = (*CONTENT_FIELDS, "attribution", "revision")


def snapshot(archive: Path) -> dict[str, Any]:
    """What must be identical between two archives of the same site."""
    conn = sqlite3.connect(archive)
    try:
        return {
            "articles": conn.execute(
                f"SELECT st, {', '.join(CONTENT)} FROM articles ORDER BY st"
            ).fetchall(),
            "listings": conn.execute(
                "SELECT st, listed_on, listed_at, title, attribution FROM listings"
                " ORDER BY st, listed_on"
            ).fetchall(),
            "revisions": conn.execute(
                "SELECT st, revision, body FROM article_revisions ORDER BY st, revision"
            ).fetchall(),
        }
    finally:
        conn.close()


def last_run(archive: Path) -> dict[str, Any]:
    with Archive.open(archive, readonly=True) as store:
        run = store.last_run()
    assert run is not None
    return run


# Faults ----------------------------------------------------------------------------


def test_the_crawl_survives_every_kind_of_fault(tmp_path: Path) -> None:
    faults = Faults(
        error_rate=0.10,
        timeout_rate=0.03,
        timeout_seconds=2.5,
        drop_rate=0.03,
        truncate_rate=0.03,
        slow_rate=0.03,
        slow_seconds=0.3,
        redirect_rate=0.06,
        away_rate=0.04,
        seed=11,
    )
    archive = tmp_path / "a.sqlite"
    with serve(days=4, per_day=15, markup="div", faults=faults, with_ghost=True) as replica:
        site, days = replica.site, replica.site.day_list()
        args = (f"since={days[-1]}", f"until={days[0]}")
        crawl(replica, archive, *args, DOWNLOAD_TIMEOUT="1.5")
        kinds = Counter(r.fault for r in replica.log if r.fault)
        assert set(kinds) >= {"error", "timeout", "drop", "truncate", "slow", "redirect", "away"}
        away = {int(r.path.split("=")[1]) for r in replica.log if r.fault == "away"}
        ghost = next(iter(site.ghosts))

        # Everything that exists is archived exactly once, but what was sent away.
        archived = [row[0] for row in snapshot(archive)["articles"]]
        assert archived == sorted(set(site.archivable()) - away)
        served = Counter(
            r.path
            for r in replica.log
            if r.path.startswith("/newsA.php") and r.status == 200 and r.fault != "truncate"
        )
        assert set(served.values()) == {1}
        for st_ in archived:
            assert (
                site.article(st_)["body"]
                == dict(
                    zip(
                        ("st", *CONTENT),
                        next(a for a in snapshot(archive)["articles"] if a[0] == st_),
                        strict=True,
                    )
                )["body"]
            )

        # Every failure is in the run's row, with its URL and reason.
        run = last_run(archive)
        problems = {(p["url"].split("?")[-1], p["kind"]): p["reason"] for p in run["problems"]}
        assert problems[(f"st={ghost}", "fetch")] == "HTTP 404"
        for st_ in away:
            assert "elsewhere.example" in problems[(f"st={st_}", "fetch")]
        assert run["outcome"] == "ok", run["outcome_reasons"]

        # The redirect to the old host was followed back onto the replica; the one to
        # another host was not followed at all (it never reached any server).
        assert run["requests"] == len(replica.log)

        # The next run retries what failed (the replica's faults were transient).
        replica.log.clear()
        crawl(replica, archive, *args)
        assert [row[0] for row in snapshot(archive)["articles"]] == site.archivable()
        retried = {r.path for r in replica.log if r.path.startswith("/newsA.php")}
        assert retried == {f"/newsA.php?st={s}" for s in away | {ghost}}


# Kill and resume --------------------------------------------------------------------


def test_a_backfill_killed_five_times_ends_identical_to_an_uninterrupted_one(
    tmp_path: Path,
) -> None:
    rng = random.Random(5)
    slow = Faults(latency=0.06)
    with serve(days=6, per_day=12, markup="table", faults=slow) as replica:
        days = replica.site.day_list()
        args = ["--since", str(days[-1]), "--until", str(days[0])]
        reference = tmp_path / "reference.sqlite"
        command = [sys.executable, "-m", "centrasia_crawler.cli", "crawl", "--root", replica.root]
        settings_ = [a for k, v in FAST.items() for a in ("-s", f"{k}={v}")]
        settings_ += ["-s", "CONCURRENT_REQUESTS=2", "-s", "CENTRASIA_BATCH_SIZE=10"]
        done = subprocess.run(
            [*command, "--archive", str(reference), *args, *settings_],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]

        archive = tmp_path / "killed.sqlite"
        kills = 0
        for _ in range(5):
            process = subprocess.Popen(
                [*command, "--archive", str(archive), *args, *settings_],
                cwd=PROJECT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            # A random moment: after some random number of further requests.
            target = len(replica.log) + rng.randint(4, 18)
            while len(replica.log) < target and process.poll() is None:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.05))
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                kills += 1
            process.wait(timeout=60)
        assert kills >= 3, "the crawl finished before it could be killed"
        done = subprocess.run(
            [*command, "--archive", str(archive), *args, *settings_],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]

    assert snapshot(archive) == snapshot(reference)
    assert len(snapshot(archive)["articles"]) == len(replica.site.archivable())
    conn = sqlite3.connect(archive)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0] == len(
            snapshot(archive)["articles"]
        )
    finally:
        conn.close()
    fd = os.open(f"{archive}.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if anyone still held it
    finally:
        os.close(fd)


# Hostile input ----------------------------------------------------------------------

HOSTILE = [
    "<script>alert('ЦентрАзия')</script> и &lt;b&gt;жирный&lt;/b&gt;",
    "'); DROP TABLE articles; -- и \" OR 1=1 --",
    "Управляющие\x07символы\x1b[31m и\u200bневидимые\ufeff",
    "{{7*7}} ${jndi:ldap://x} %s %d \\x00 <?php echo 1; ?>",
]


def _is_anchor(text: str) -> bool:
    return bool(
        SHOWN_TIME_RE.match(text)
        or SOURCE_LINE_RE.match(text)
        or PERMALINK_LINE_RE.match(text)
        or any(p.search(text) for p in END_OF_ARTICLE_LINES)
        or _heading(text)
        or read_source_date(text) is not None  # a date line, read or not
        or text.endswith("|")
    )


def _heading(text: str) -> bool:
    try:
        return parse_day_heading(text) is not None
    except ValueError:
        return True


hostile_text = st.text(
    alphabet=st.sampled_from(
        list("абвгдеёжзийклмнопрстуфхцчшщъыьэюяЁЖЩABCxyz0123456789")
        + list(" \u00a0\t<>&\"';:-–—/\\()[]{}%$#*=.,!?|\x07\x1b\u200b")
    ),
    min_size=1,
    max_size=60,
).filter(lambda t: bool(clean_text(t)) and not _is_anchor(clean_text(t)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=hostile_text,
    paragraphs=st.lists(hostile_text, min_size=1, max_size=4),
    markup=st.sampled_from([TableMarkup(), DivMarkup()]),
)
def test_hostile_titles_and_bodies_are_stored_as_the_plain_text_they_are(
    title: str, paragraphs: list[str], markup: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    article = {
        "st": 1771493400,
        "url": "https://centrasia.org/newsA.php?st=1771493400",
        "title": clean_text(title),
        "published_at": "2026-02-19T12:30:00+03:00",
        "body": "\n\n".join(clean_text(p) for p in paragraphs),
        "source": None,
        "source_url": None,
        "original_date": None,
        "stated_permalink": None,
    }
    page = markup.encode(markup.article(article))
    got = extract(page, article["url"]).data
    assert {k: got[k] for k in article} == article
    assert got.keys() - article.keys() == set(ADDED_CONTENT) - {"unread_lines"}
    assert all(got[k] is None for k in ADDED_CONTENT if k in got)
    with Archive.open(tmp_path_factory.mktemp("h") / "a.sqlite") as store:
        store.write_batch([got])
        row = store.article(1771493400)
        assert row is not None
        assert (row["title"], row["body"]) == (article["title"], article["body"])
        assert store.table_count("articles") == 1


def test_hostile_pages_do_not_stop_the_crawl(tmp_path: Path) -> None:
    archive = tmp_path / "a.sqlite"
    with serve(days=2, per_day=10, markup="table") as replica:
        site = replica.site
        sts = site.archivable()
        for st_, text in zip(sts, HOSTILE, strict=False):
            site.edit(st_, title=f"Заголовок {text}", body=f"Первый абзац {text}\n\nВторой.")
        oversize, bomb, corrupt = sts[-1], sts[-2], sts[-3]
        html = {"Content-Type": "text/html; charset=windows-1251"}
        replica.overrides[f"/newsA.php?st={oversize}"] = (
            200,
            html,
            replica.render(f"/newsA.php?st={oversize}") + b"<!-- x -->" * 30_000,
        )
        replica.overrides[f"/newsA.php?st={bomb}"] = (
            200,
            html | {"Content-Encoding": "gzip"},
            gzip.compress(b"<p>" + b"a" * 5_000_000),
        )
        page = replica.render(f"/newsA.php?st={corrupt}")
        first = site.article(corrupt)["body"].split()[0].encode("cp1251")
        replica.overrides[f"/newsA.php?st={corrupt}"] = (
            200,
            html,
            page.replace(first, b"\x98" + first, 1),
        )
        crawl(replica, archive, DOWNLOAD_MAXSIZE="200000", CENTRASIA_MAX_ERROR_SHARE="0.5")

        stored = {row[0]: row for row in snapshot(archive)["articles"]}
        for st_, text in zip(sts, HOSTILE, strict=False):
            title = stored[st_][1]
            assert title == clean_text(f"Заголовок {text}")
        with Archive.open(archive, readonly=True) as store:
            assert store.table_count("articles") == len(sts) - 2
            damaged = store.article(corrupt)
            assert damaged is not None and "\ufffd" in damaged["body"]
            assert damaged["body"].replace("\ufffd", "") == site.article(corrupt)["body"]
            assert {"articles", "listings", "pages"} <= set(store.db.table_names())
        run = last_run(archive)
        reasons = {p["url"].split("=")[-1]: p["reason"] for p in run["problems"]}
        assert "max" in reasons[str(oversize)].lower() and "size" in reasons[str(oversize)].lower()
        assert "max" in reasons[str(bomb)].lower() or "size" in reasons[str(bomb)].lower()
        assert run["finish_reason"] == "finished"


LISTING = """<html><head><meta charset="utf-8"></head><body><p>ЦентрАзия</p>
<h2>Среда, 31.02.2026</h2>
<p>12:00 <a href="newsA.php?st=1771400000">Под несуществующим днём</a></p>
<h2>Четверг, 19.02.2026</h2>
<p>17:02 <a href="newsA.php?st=1771509720">Настоящий заголовок</a></p>
<p>16:18 <a href="newsA.php?st=-5">Отрицательный</a></p>
<p>16:12 <a href="newsA.php?st=99999999999999999999">Огромный</a></p>
<p>14:45 <a href="newsA.php?st=abc">Не число</a></p>
<p>14:18 <a href="newsA.php?st=">Пустой</a></p>
</body></html>"""


def test_nonsense_st_and_impossible_days_are_rejected_with_a_reason() -> None:
    data = extract(LISTING.encode(), "https://centrasia.org/").data
    assert [h["st"] for d in data["days"] for h in d["headlines"]] == [1771509720]
    reasons = [r["reason"] for r in data["rejected"]]
    assert reasons[0] == "day heading names no real day"
    assert reasons[1].startswith("listed under an impossible day: Среда, 31.02.2026")
    assert [r.split(": ", 1)[1] for r in reasons[2:]] == [
        "newsA.php?st=-5",
        "newsA.php?st=99999999999999999999",
        "newsA.php?st=abc",
        "newsA.php?st=",
    ]


@given(st.text(max_size=30))
def test_any_st_value_is_an_article_or_rejected(value: str) -> None:
    from urllib.parse import quote

    from centrasia_crawler.normalize.permalinks import MAX_ST, article_st

    # Quoted, the value is one parameter's value ("1&" would otherwise end it at "1").
    result = article_st(f"newsA.php?st={quote(value)}")
    if result is not None:
        assert 0 < result <= MAX_ST and value.strip().isdigit() and result == int(value)


# Concurrent use ---------------------------------------------------------------------


def test_readers_during_a_crawl_are_never_blocked_and_never_see_half_a_write(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "a.sqlite"
    slow = Faults(latency=0.05)
    with serve(days=4, per_day=20, faults=slow) as replica:
        Archive.open(archive).close()
        days = replica.site.day_list()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "centrasia_crawler.cli",
                "crawl",
                "--root",
                replica.root,
                "--archive",
                str(archive),
                "--since",
                str(days[-1]),
                *[a for k, v in FAST.items() for a in ("-s", f"{k}={v}")],
                "-s",
                "CONCURRENT_REQUESTS_PER_DOMAIN=4",
                "-s",
                "CENTRASIA_BATCH_SIZE=15",
            ],
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        seen, slowest = [], 0.0
        try:
            while process.poll() is None:
                started = time.monotonic()
                conn = sqlite3.connect(f"file:{archive}?mode=ro", uri=True, timeout=1)
                try:
                    conn.execute("BEGIN")
                    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
                    indexed = conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0]
                    pages = conn.execute(
                        "SELECT count(DISTINCT st) FROM pages WHERE kind = 'article'"
                        " AND extraction_error IS NULL"
                    ).fetchone()[0]
                    conn.execute("COMMIT")
                finally:
                    conn.close()
                slowest = max(slowest, time.monotonic() - started)
                assert articles == indexed  # an article and its index entry land together
                assert articles <= pages  # its raw page is in the same batch or before
                seen.append(articles)
                time.sleep(0.05)
        finally:
            process.wait(timeout=120)
        assert process.returncode == 0
    assert seen == sorted(seen) and len(set(seen)) > 2, seen
    assert slowest < 1.0
