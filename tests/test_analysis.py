"""The analysts' commands on a small archive built by crawling the replica."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tracemalloc
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from centrasia_crawler.archive import Archive
from centrasia_crawler.archive.exporting import export_rows
from centrasia_crawler.exports import EXPORT_COLUMNS, LIST_COLUMNS, write_jsonl
from tests.crawling import PROJECT, centrasia, crawl
from tests.helpers import free_port, serving, wait_answering
from tests.replica.content import MOSCOW, Site
from tests.replica.server import serve

MARKED_TITLE = "Жапаров рассказал о встрече с Маматалиевым, - Сергей Лавров"
MARKED_BODY = "Редкоземельные металлы: объём поставок растёт.\n\nЕщё один абзац про ёмкости."


class Built:
    def __init__(self, archive: Path, site: Site, marked: int, days: list[dt.date]) -> None:
        self.archive, self.site, self.marked, self.days = archive, site, marked, days
        #: The index's two days and the backfilled oldest day.
        self.listed_days = {days[0], days[1], days[-1]}

    def archived(self) -> list[int]:
        """Ground truth: the feed's articles and the listed days' articles, less robots'."""
        fetched = {i["st"] for i in self.site.feed_items()} | {
            st for st, m in self.site.by_st.items() if m.day in self.listed_days
        }
        return sorted(fetched - self.site.disallowed)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Six days of ten articles: the index's two days crawled (with one revision), the
    feed's thirty newest articles, the oldest day backfilled; one day never crawled."""
    tmp = tmp_path_factory.mktemp("analysis")
    archive = tmp / "archive.sqlite"
    today = dt.datetime.now(MOSCOW).date()
    with serve(days=6, per_day=10, index_days=2, last_day=today) as replica:
        site = replica.site
        days = site.day_list()
        marked = site.by_day[days[0]][1].st
        site.edit(marked, title=MARKED_TITLE, body=MARKED_BODY, source="Кабар")
        crawl(replica, archive)
        crawl(replica, archive, f"since={days[-1]}", f"until={days[-1]}")
        site.edit(marked, body=MARKED_BODY + "\n\nИсправлено.")
        crawl(replica, archive, "refresh=1")
    return Built(archive, site, marked, days)


cli = centrasia


@pytest.mark.parametrize(
    "query",
    [
        "Маматалиевым",
        "маматалиевым",
        "МАМАТАЛИЕВЫМ",
        "растёт",
        "Редкоземельные",
        "РАСТЁТ",
        "растет",
        "Маматал*",
        '"рассказал о встрече"',
        "ёмкости",
        "емкости",
    ],
)
def test_search_finds_russian_words_whatever_case_and_yo(built: Built, query: str) -> None:
    done = cli("search", query, "--archive", str(built.archive), "--json")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert [r["st"] for r in results] == [built.marked]
    found = results[0]
    assert found["title"] == MARKED_TITLE and found["source"] == "Кабар"
    assert found["url"] == f"https://centrasia.org/newsA.php?st={built.marked}"
    assert found["attribution"] == "Сергей Лавров"
    assert "[" in found["snippet"] and "]" in found["snippet"]


def test_search_snippet_keeps_the_original_spelling(built: Built) -> None:
    done = cli("search", "растет", "--archive", str(built.archive), "--json")
    assert "[растёт]" in json.loads(done.stdout)[0]["snippet"]


def test_search_prints_date_title_source_url_and_snippet(built: Built) -> None:
    done = cli("search", "Маматалиевым", "--archive", str(built.archive))
    lines = done.stdout.splitlines()
    assert lines[0].endswith(f"{MARKED_TITLE} — Кабар") and lines[0][:10] == str(built.days[0])
    assert lines[1].strip() == f"https://centrasia.org/newsA.php?st={built.marked}"
    assert "[" in lines[2]
    assert done.stderr.strip() == "1 result"


def test_search_filters(built: Built) -> None:
    a = str(built.archive)
    newest, oldest = str(built.days[0]), str(built.days[-1])
    for args, found in [
        (["--since", newest], True),
        (["--until", oldest], False),
        (["--source", "кабар"], True),
        (["--attribution", "Сергей Лавров"], True),
        (["--attribution", "Олег Яновский"], False),  # his articles do not name him
    ]:
        done = cli("search", "Маматалиевым", "--archive", a, "--json", *args)
        assert bool(json.loads(done.stdout)) is found, args
    for args in (["--source", "ИноСМИ"], ["--attribution", "Олег Яновскийй"]):
        done = cli("search", "Маматалиевым", "--archive", a, "--json", *args)
        assert done.returncode == 2 and done.stdout == "", args  # names no article
        assert done.stderr.count("\n") == 1 and "names no article" in done.stderr
    many = json.loads(
        cli("search", "вода OR нефть", "--archive", a, "--json", "--limit", "0").stdout
    )
    assert len(many) > 3
    in_title = {
        r["st"]
        for r in json.loads(
            cli("search", "title:(вода OR нефть)", "--archive", a, "--json", "--limit", "0").stdout
        )
    }
    heads = [r for r in many if r["st"] in in_title]
    assert many[: len(heads)] == heads  # the headlines that match first
    for group in (heads, many[len(heads) :]):  # each group best first
        assert [r["rank"] for r in group] == sorted(r["rank"] for r in group)


@pytest.mark.parametrize("query", ['"unclosed', "AND", "title:", "(("])
def test_bad_query_syntax_is_one_line(built: Built, query: str) -> None:
    done = cli("search", query, "--archive", str(built.archive))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "bad search query" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", [["coverage"], ["trend", "Казахстан"], ["countries"]])
def test_a_plot_that_cannot_be_written_is_one_line(
    built: Built, tmp_path: Path, command: list[str]
) -> None:
    png = tmp_path / "no such folder" / "chart.png"
    done = cli(*command, "--archive", str(built.archive), "--plot", str(png))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"centrasia {command[0]}: cannot write {png}: ")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_coverage_per_day_gaps_and_the_commands_to_fill_them(built: Built, tmp_path: Path) -> None:
    png = tmp_path / "coverage.png"
    done = cli("coverage", "--archive", str(built.archive), "--plot", str(png))
    assert done.returncode == 0, done.stderr
    rows = {
        line.split()[0]: line.split()
        for line in done.stdout.splitlines()
        if line[:4].isdigit() and "gap" not in line
    }
    site, days, listed_days = built.site, built.days, built.listed_days
    fetched = set(built.archived())
    never = []
    for day in days:
        sts = {m.st for m in site.by_day[day]}
        listed = len(sts) if day in listed_days else 0
        archived = len(sts & fetched)
        row = rows[str(day)]
        assert (int(row[1]), int(row[2])) == (listed, archived), day
        assert int(row[3]) == 0  # every listed article that robots.txt allows was fetched
        assert int(row[4]) == (len(sts & site.disallowed) if listed else 0)
        assert int(row[5]) == (1 if day == days[0] else 0)  # the refreshed revision
        if not listed and not archived:
            never.append(day)
        assert ("never" in row) is (day in never)
    assert never, "the fixture should leave a day never crawled"
    gaps = [
        (dt.date.fromisoformat(line.split()[1]), dt.date.fromisoformat(line.split()[3][:10]))
        for line in done.stdout.splitlines()
        if line.startswith("gap ")
    ]
    for line in done.stdout.splitlines():
        if line.startswith("gap "):
            start, end = line.split()[1], line.split()[3][:10]
            assert line.endswith(f": centrasia crawl --since {start} --until {end}")
    forbidden = [line for line in done.stdout.splitlines() if "robots.txt" in line]
    assert len(forbidden) == 1 and site.disallowed
    listed_forbidden = {m.st for d in listed_days for m in site.by_day[d]} & site.disallowed
    many = "articles are" if len(listed_forbidden) > 1 else "article is"
    assert forbidden[0].startswith(f"{len(listed_forbidden)} listed {many} forbidden")
    assert set(map(int, forbidden[0].split(": st ")[1].split())) == listed_forbidden
    to_fill = [d for d in days if d not in listed_days]  # a forbidden article is no gap
    assert sorted(to_fill) == sorted(
        d for d in days if any(start <= d <= end for start, end in gaps)
    )
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_stats_coverage_and_runs_agree_on_listed_missing_and_forbidden(
    built: Built, tmp_path: Path
) -> None:
    path = tmp_path / "copy.sqlite"
    shutil.copy(built.archive, path)
    with Archive.open(path) as store:  # one headline more, never fetched: missing
        lacking = {"st": 1700000000, "listed_on": "2023-11-14", "listed_at": "22:13"}
        store.write_batch([], [{**lacking, "title": "т", "page_url": "u"}])
    figures = json.loads(cli("stats", "--archive", str(path), "--json").stdout)
    out = tmp_path / "m.prom"
    assert cli("runs", "--archive", str(path), "--metrics", str(out)).returncode == 0
    metrics = {
        line.split()[0]: float(line.split()[1])
        for line in out.read_text().splitlines()
        if not line.startswith("#")
    }
    with Archive.open(path, readonly=True) as store:
        days = store.coverage()["days"]
    listed_days = {m.st: d for d in built.listed_days for m in built.site.by_day[d]}
    forbidden = set(listed_days) & built.site.disallowed
    assert forbidden
    assert sorted(st for d in days for st in d["forbidden"]) == sorted(forbidden)
    assert [st for d in days for st in d["missing"]] == [1700000000]
    assert figures["listed_headlines"] == sum(d["listed"] for d in days) == len(listed_days) + 1
    assert (figures["listed_but_missing"], figures["listed_but_forbidden"]) == (1, len(forbidden))
    assert metrics["centrasia_listed_but_missing"] == 1
    assert metrics["centrasia_robots_forbidden"] == len(forbidden)


def test_stats(built: Built) -> None:
    done = cli("stats", "--archive", str(built.archive), "--json")
    figures = json.loads(done.stdout)
    archived = built.archived()
    assert figures["articles"] == len(archived)
    assert figures["revisions"] == 1
    # robots.txt's refusals are counted apart, as coverage counts them (issue 22)
    assert figures["listed_but_missing"] == 0
    assert figures["listed_but_forbidden"] == len(built.site.disallowed)
    sources = Counter(built.site.article(st)["source"] for st in archived)
    sources.pop(None, None)
    top = {e["name"]: e["articles"] for e in figures["top_sources"]}
    assert top == dict(sources.most_common(10)) or sorted(top.values()) == sorted(
        n for _, n in sources.most_common(10)
    )
    assert figures["first_article"]["url"].endswith(f"st={min(archived)}")
    assert figures["last_article"]["url"].endswith(f"st={max(archived)}")
    text = cli("stats", "--archive", str(built.archive)).stdout
    assert f"articles: {len(archived)}" in text and "top sources:" in text


def articles_as_rows(archive: Path) -> list[dict[str, Any]]:
    """The articles as the export gives them: their columns, the story before the body."""
    story = "(SELECT story FROM article_stories s WHERE s.st = articles.st) AS story"
    columns = [c for c in EXPORT_COLUMNS if c != "body"] + [story, "body"]
    conn = sqlite3.connect(archive)
    conn.row_factory = sqlite3.Row
    try:
        return [
            dict(r) for r in conn.execute(f"SELECT {', '.join(columns)} FROM articles ORDER BY st")
        ]
    finally:
        conn.close()


def test_jsonl_export_round_trips(built: Built, tmp_path: Path) -> None:
    out = tmp_path / "articles.jsonl"
    done = cli("export", "--archive", str(built.archive), "-o", str(out))
    assert done.returncode == 0, done.stderr
    fresh = sqlite_utils.Database(tmp_path / "fresh.sqlite")
    rows = (json.loads(line) for line in out.read_text().splitlines())
    # the tag lists are checked in tests/test_export_tags.py
    fresh["articles"].insert_all(
        {k: v for k, v in row.items() if k not in LIST_COLUMNS} for row in rows
    )
    back = [dict(r) for r in fresh.query("SELECT * FROM articles ORDER BY st")]
    fresh.close()  # Python 3.13 warns of a connection left to the garbage collector
    assert back == articles_as_rows(built.archive)


def test_csv_export_round_trips(built: Built, tmp_path: Path) -> None:
    done = cli("export", "--format", "csv", "--archive", str(built.archive))
    reader = csv.DictReader(io.StringIO(done.stdout))
    assert reader.fieldnames == [
        *(c for c in EXPORT_COLUMNS if c != "body"), *LIST_COLUMNS, "story", "body",
    ]  # fmt: skip
    fresh = sqlite_utils.Database(tmp_path / "fresh.sqlite")
    fresh["articles"].insert_all(
        {k: v for k, v in row.items() if k not in LIST_COLUMNS} for row in reader
    )
    back = [dict(r) for r in fresh.query("SELECT * FROM articles ORDER BY CAST(st AS INTEGER)")]
    fresh.close()
    expected = [
        {k: "" if v is None else str(v) for k, v in row.items()}
        for row in articles_as_rows(built.archive)
    ]
    assert back == expected  # CSV has no NULL: it comes back as ""


def test_export_range(built: Built) -> None:
    day = str(built.days[-1])
    lines = cli("export", "--since", day, "--until", day, "--archive", str(built.archive)).stdout
    rows = [json.loads(line) for line in lines.splitlines()]
    assert rows and {r["published_date"] for r in rows} == {day}


@pytest.mark.slow
def test_export_streams_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.sqlite"
    with Archive.open(path) as store:
        body = "Текст статьи. " * 40
        for start in range(0, 40_000, 2_000):
            store.write_batch(
                [
                    {
                        "st": st,
                        "url": f"u{st}",
                        "title": f"Заголовок {st}",
                        "body": body,
                        "published_at": "2026-02-19T12:30:00+03:00",
                    }
                    for st in range(start + 1, start + 2_001)
                ]
            )

    def peak(limit: int) -> int:
        with Archive.open(path, readonly=True) as store:
            rows = (r for i, r in enumerate(export_rows(store)) if i < limit)
            with open(tmp_path / "out.jsonl", "w", encoding="utf-8") as out:
                tracemalloc.start()
                write_jsonl(rows, out)
                size = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
        return size

    small, large = peak(2_000), peak(40_000)
    assert large < small * 1.5 + 64 * 1024, (small, large)


def test_warc_export_passes_warcio_check(built: Built, tmp_path: Path) -> None:
    out = tmp_path / "archive.warc.gz"
    done = cli("export-warc", str(out), "--archive", str(built.archive))
    assert done.returncode == 0, done.stderr
    check = subprocess.run(
        [str(Path(sys.executable).parent / "warcio"), "check", "-v", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stdout[-2000:]
    from warcio.archiveiterator import ArchiveIterator

    with Archive.open(built.archive, readonly=True) as store:
        pages = store.table_count("pages")
    responses = 0
    with open(out, "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response":
                responses += 1
                if "newsA.php" in record.rec_headers.get_header("WARC-Target-URI"):
                    body = record.content_stream().read()
                    assert "ЦентрАзия".encode("cp1251") in body
    assert responses == pages


@pytest.mark.slow
def test_datasette_in_a_real_browser(built: Built, tmp_path: Path) -> None:
    pytest.importorskip("datasette", reason="Datasette is not installed ([serve] extra)")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with serving(built.archive) as (base, _):
        with urllib.request.urlopen(f"{base}/-/metadata.json", timeout=5) as r:
            meta = json.loads(r.read())
        tables = meta["databases"]["archive"]["tables"]
        assert tables["articles"]["columns"]["published_at"].startswith("time shown")
        assert set(meta["databases"]["archive"]["queries"]) >= {
            "articles_per_day",
            "top_sources",
            "attribution_articles",
            "listed_but_missing",
        }

        def browse(url: str, profile: str, *flags: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    f"--user-data-dir={tmp_path / profile}",
                    *flags,
                    "--dump-dom",
                    url,
                ],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )

        def dom_of(url: str, profile: str) -> str:
            return browse(url, profile).stdout

        # The articles table's search box: the article says «Маматалиевым», another form;
        # the box sends it on to the ranked search, its match marked.
        word = urllib.parse.quote("Маматалиеве")
        dom = dom_of(f"{base}/archive/articles?_search={word}&_facet=source", "chromium")
        assert MARKED_TITLE in dom
        assert "Кабар" in dom  # its source
        assert "<mark>" in dom and "&lt;mark&gt;" not in dom
        # Two words, neither as the article spells it.
        words = urllib.parse.quote("Жапарова Маматалиеве")
        dom = dom_of(f"{base}/archive/articles?_search={words}", "chromium2")
        assert MARKED_TITLE in dom
        canned = f"{base}/archive/search?q={urllib.parse.quote('растут')}"  # it says «растёт»
        assert MARKED_TITLE in dom_of(canned, "chromium3")
        # The index page: the articles first, then the queries; no internal table.
        dom = dom_of(f"{base}/", "chromium4")
        assert dom.index("/archive/articles") < dom.index("/archive/search")
        assert "morph_terms" not in dom and "page_bodies" not in dom
        # The attention chart for two queries, drawn by the page's scripts: a line each
        # and the legend; every request the page made (its scripts among them) went to
        # this server (Chromium's own to its services are not the page's: their
        # initiator is no origin); nothing on the console (Plot warns there).
        two = "&".join(f"q={urllib.parse.quote(q)}" for q in ("Жапаров", "металлы"))
        net_log = tmp_path / "net.json"
        shown = browse(
            f"{base}/archive/-/attention?{two}&by=day",
            "chromium5",
            f"--log-net-log={net_log}",
            "--enable-logging=stderr",
            "--log-level=0",
        )
        (lines,) = re.findall(r'<g aria-label="line"[^>]*>(.*?)</g>', shown.stdout, re.S)
        assert lines.count("<path") == 2 and "</svg>металлы</span>" in shown.stdout
        events = json.loads(net_log.read_text())["events"]
        by_page = [
            e["params"]["url"]
            for e in events
            if e.get("params", {}).get("initiator", "").startswith("http") and "url" in e["params"]
        ]
        assert by_page and all(url.startswith(f"{base}/") for url in by_page), by_page
        assert ":CONSOLE" not in shown.stderr, shown.stderr


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGHUP"])
def test_stopping_serve_stops_datasette(built: Built, tmp_path: Path, stop: str) -> None:
    """A supervisor stops ``centrasia serve`` with SIGTERM (a hung-up terminal, SIGHUP):
    Datasette, its child, stops with it, the port is free; no file was ever written (the
    plugin carries the configuration)."""
    pytest.importorskip("datasette", reason="Datasette is not installed ([serve] extra)")
    from tests.helpers import running_children

    port = free_port()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    command = ["centrasia_crawler.cli", "serve", "--archive", str(built.archive)]
    server = subprocess.Popen(
        [sys.executable, "-m", *command, "--port", str(port)],
        cwd=PROJECT,
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_answering(f"http://127.0.0.1:{port}/-/versions.json", server)
        assert list(tmp.iterdir()) == []
        server.send_signal(getattr(signal, stop))
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert not any("datasette" in command for command in running_children().values())
    assert list(tmp.iterdir()) == []
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):
        s.connect(("127.0.0.1", port))  # nothing listens there any more


def test_runs_shows_the_crawls_that_built_the_archive(built: Built) -> None:
    done = cli("runs", "--archive", str(built.archive), "--json")
    found = json.loads(done.stdout)
    assert [r["id"] for r in found] == [3, 2, 1]
    assert [r["outcome"] for r in found] == ["ok", "ok", "ok"]
    assert sum(r["new_articles"] for r in found) == len(built.archived())
    assert found[0]["changed_articles"] == 1  # the refresh found the edited article
    assert all(r["requests"] > 0 and r["seconds"] is not None for r in found)
    fresh = cli("runs", "--archive", str(built.archive), "--fresh", "1")
    assert fresh.returncode == 0 and fresh.stdout.startswith("ok: the last ok run (#3)")
