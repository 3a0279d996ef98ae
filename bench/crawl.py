"""Crawl and archive benchmarks against the replica (a script, not a test).

Prints figures and ratios against the anchors of issue 3, politeness off (no
delay, 16 concurrent requests), the replica served on 127.0.0.1:

1. full crawl + archive, pages/s, against the same Scrapy fetching the same pages
   without parsing or storing (target ratio >= 0.8), with the CPU time per page of
   each run's threads; 1b. the same with the replica answering after 50 ms, as a
   server across a network does;
2. archive writes, items/s, against a raw ``executemany`` of the same rows into the
   same schema (target ratio >= 0.5);
3. peak memory of a 20,000-article backfill (target <= 250 MB, within 20% of a
   5,000-article backfill's);
4. requests per new article in an incremental run (target: 1, plus at most 3).

Run: .venv/bin/python bench/crawl.py [--quick] [--rounds N]
"""

from __future__ import annotations

import argparse
import ast
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from centrasia_crawler.archive import Archive  # noqa: E402
from centrasia_crawler.archive.store import ARTICLE_COLUMNS, _article_row, utc_now  # noqa: E402
from tests.crawling import FAST  # noqa: E402
from tests.replica.server import Faults, Replica, serve  # noqa: E402

BARE_SPIDER = """
import scrapy

class Bare(scrapy.Spider):
    name = "bare"

    async def start(self):
        for url in open(self.urls, encoding="utf-8").read().split():
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)

    def parse(self, response):
        pass
"""


def scrapy_run(command: list[str], settings: dict[str, str]) -> tuple[float, str]:
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    return elapsed, done.stderr


def stat(log: str, name: str) -> int:
    m = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(m[1]) if m else 0


# Runs scrapy and, when it exits, reports the process's peak resident memory and the
# CPU time each of its threads used (sampled while they live: pool threads end early).
WRAPPER = """
import atexit, resource, runpy, sys, threading, time
cpu = {}
def sample():
    while True:
        for thread in threading.enumerate():
            try:
                clock = time.pthread_getcpuclockid(thread.ident)
                cpu[thread.ident] = (thread.name.rstrip("0123456789_"), time.clock_gettime(clock))
            except (OSError, TypeError):
                pass
        time.sleep(0.05)
threading.Thread(target=sample, name="sampler", daemon=True).start()
def report():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"'peak_rss_kb': {peak}", file=sys.stderr)
    by_name = {}
    for name, seconds in cpu.values():
        by_name[name] = by_name.get(name, 0) + seconds
    print("thread_cpu", repr(by_name), file=sys.stderr)
atexit.register(report)
sys.argv = ["scrapy", *sys.argv[1:]]
runpy.run_module("scrapy", run_name="__main__")
"""


def thread_cpu(log: str) -> dict[str, float]:
    """CPU seconds by thread name, as the wrapper reported them."""
    m = re.search(r"^thread_cpu (\{.*\})$", log, re.MULTILINE)
    return ast.literal_eval(m[1]) if m else {}


def crawl(replica: Replica, archive: Path, *args: str, **extra: str) -> tuple[float, str]:
    command = [sys.executable, "-c", WRAPPER, "crawl", "centrasia"]
    for arg in args:
        command += ["-a", arg]
    settings = (
        FAST
        | {
            "CENTRASIA_ROOT_URL": replica.root,
            "CENTRASIA_ARCHIVE_PATH": str(archive),
            "LOG_LEVEL": "INFO",
        }
        | extra
    )
    return scrapy_run(command, settings)


def bench_throughput(tmp: Path, days: int, rounds: int, latency: float = 0.0) -> None:
    """Ours and bare, alternately, ``rounds`` times: this machine's speed drifts from
    one minute to the next, so each ratio compares two runs made side by side.

    ``latency``: seconds the replica waits before each answer, as a server across a
    network would (0: the target's condition, where bare Scrapy is bound by CPU alone).
    """
    no_components = dict.fromkeys(
        ["SPIDER_MIDDLEWARES", "DOWNLOADER_MIDDLEWARES", "ITEM_PIPELINES", "EXTENSIONS"], "{}"
    )
    spider = tmp / "bare.py"
    spider.write_text(BARE_SPIDER)
    urls = tmp / "urls.txt"
    results: list[tuple[float, float]] = []
    logs: tuple[str, str] = ("", "")
    pages = 0
    faults = Faults(latency=latency)
    with serve(days=days, per_day=50, markup="table", faults=faults) as replica:
        replica.prerender()  # the replica's own work must not be what is measured
        all_days = replica.site.day_list()
        for n in range(rounds):
            replica.reset_log()
            # A new archive every run: one that has the articles makes a run incremental.
            archive = tmp / f"throughput-{latency}-{n}.sqlite"
            archive.unlink(missing_ok=True)
            elapsed, log = crawl(replica, archive, f"since={all_days[-1]}", f"until={all_days[0]}")
            pages = stat(log, "response_received_count")
            if pages < len(all_days):  # each day's page at least: a whole backfill or nothing
                raise SystemExit(f"the crawl fetched only {pages} pages: not a full backfill")
            urls.write_text(
                "\n".join(
                    replica.root.rstrip("/") + r.path
                    for r in replica.log
                    if r.path != "/robots.txt"
                )
            )
            # The project's Scrapy settings (CONCURRENT_ITEMS, cookies off, ...: Scrapy's
            # own defaults are slower), but none of its components, so nothing is parsed
            # or stored and no archive is opened.
            bare_elapsed, bare_log = scrapy_run(
                [sys.executable, "-c", WRAPPER, "runspider", str(spider), "-a", f"urls={urls}"],
                FAST | no_components,
            )
            bare = stat(bare_log, "response_received_count") / bare_elapsed
            results.append((pages / elapsed, bare))
            logs = (log, bare_log)
    ratios = sorted(ours / bare for ours, bare in results)
    ours_rates = ", ".join(f"{ours:.0f}" for ours, _ in results)
    bare_rates = ", ".join(f"{bare:.0f}" for _, bare in results)
    if latency:
        print(f"1b. the same, the replica answering after {latency * 1000:.0f} ms:")
        print(
            f"   ours {ours_rates} pages/s; bare {bare_rates} pages/s;"
            f" median ratio {statistics.median(ratios):.2f}"
        )
        return
    print(
        f"1. full crawl + archive of {pages} pages: {ours_rates} pages/s; bare Scrapy, same"
        f" pages: {bare_rates} pages/s; median ratio {statistics.median(ratios):.2f}"
        f" (range {ratios[0]:.2f}-{ratios[-1]:.2f}; target >= 0.8)"
    )
    # Where the time goes (last round): CPU milliseconds per page, by thread. The
    # threads share one interpreter lock, so the Python work of all of them adds up.
    for name, run_log in zip(("ours", "bare"), logs, strict=True):
        cpu = {k: v for k, v in thread_cpu(run_log).items() if k != "sampler" and v >= 0.01}
        total = sum(cpu.values())
        parts = ", ".join(f"{k} {v / pages * 1000:.2f}" for k, v in sorted(cpu.items()))
        print(f"   CPU ms per page, {name}: {total / pages * 1000:.2f} ({parts})")


def sample_articles(n: int) -> list[dict[str, Any]]:
    from tests.replica.content import Site

    site = Site(days=(n + 49) // 50, per_day=50)
    return [site.article(st) for st in sorted(site.by_st)[:n]]


def bench_writes(tmp: Path, n: int) -> None:
    articles = sample_articles(n)
    path = tmp / "writes.sqlite"
    with Archive.open(path) as store:
        start = time.perf_counter()
        for i in range(0, n, 200):
            store.write_batch(articles[i : i + 200])
        ours = n / (time.perf_counter() - start)
    raw_path = tmp / "raw.sqlite"
    Archive.open(raw_path).close()  # the same schema, triggers and indexes included
    conn = sqlite3.connect(raw_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    now = utc_now()
    rows = [tuple(_article_row(a, now)[c] for c in ARTICLE_COLUMNS) for a in articles]
    marks = ",".join("?" * len(ARTICLE_COLUMNS))
    sql = f"INSERT INTO articles ({','.join(ARTICLE_COLUMNS)}) VALUES ({marks})"
    start = time.perf_counter()
    for i in range(0, n, 200):
        conn.execute("BEGIN")
        conn.executemany(sql, rows[i : i + 200])
        conn.execute("COMMIT")
    raw = n / (time.perf_counter() - start)
    conn.close()
    print(
        f"2. archive writes: {ours:.0f} articles/s; raw executemany of the same rows:"
        f" {raw:.0f}/s; ratio {ours / raw:.2f} (target >= 0.5)"
    )


def bench_memory(tmp: Path, small: int, large: int) -> None:
    peaks = {}
    for n in (small, large):
        with serve(days=n // 50, per_day=50, markup="table") as replica:
            days = replica.site.day_list()
            _, log = crawl(replica, tmp / f"mem{n}.sqlite", f"since={days[-1]}", f"until={days[0]}")
            peaks[n] = stat(log, "peak_rss_kb") / 1024
            archived = stat(log, "centrasia/new_articles")
        print(f"3. backfill of {n} articles: {archived} archived, peak memory {peaks[n]:.0f} MB")
    growth = peaks[large] / peaks[small] - 1
    print(
        f"   peak {peaks[large]:.0f} MB (target <= 250), {growth:+.0%} against {small}"
        " articles (target within 20%)"
    )


def bench_incremental(tmp: Path) -> None:
    with serve(days=3, per_day=50, markup="div") as replica:
        days = replica.site.day_list()
        archive = tmp / "incremental.sqlite"
        crawl(replica, archive, f"since={days[-1]}", f"until={days[1]}")
        replica.reset_log()
        _, log = crawl(replica, archive)
        new = stat(log, "centrasia/new_articles")
        sent = len(replica.log)
    print(
        f"4. incremental run: {new} new articles, {sent} requests ="
        f" 1 per new article + {sent - new} fixed (target: 1 + at most 3)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (1,000 and 4,000)")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (default 3)")
    args = parser.parse_args()
    small, large = (1000, 4000) if args.quick else (5000, 20000)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        days = 10 if args.quick else 40
        bench_throughput(tmp, days, rounds=max(1, args.rounds))
        bench_throughput(tmp, days, rounds=max(1, args.rounds - 1), latency=0.05)
        bench_writes(tmp, n=small)
        bench_incremental(tmp)
        bench_memory(tmp, small, large)
    return 0


if __name__ == "__main__":
    sys.exit(main())
