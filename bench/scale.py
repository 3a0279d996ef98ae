"""The whole history, simulated: a backfill of 300,000 articles over 7,500 days through
the replica (politeness off), then the analysts' commands on what it wrote (a script,
not a test; about an hour).

Reports, as the crawl runs, pages/s each minute and the crawl process's memory; at the
end, the first and last tenth's pages/s (target, issue 15: the last within 20% of the
first), peak memory (target: at most 250 MB), the archive's size split by table, and
the time ``centrasia coverage``, ``stats``, ``search`` and ``export`` take on it.

Run: .venv/bin/python bench/scale.py [--days 7500] [--per-day 40] [--keep FILE]
(``make bench-history`` runs it, then bench/reparse.py). The replica renders each page when
asked, in this process; the crawl is ``scrapy crawl centrasia`` as
``tests/crawling.py`` runs it.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from centrasia_crawler.archive import Archive  # noqa: E402
from tests.crawling import FAST  # noqa: E402
from tests.replica.server import serve  # noqa: E402

CLI = (sys.executable, "-m", "centrasia_crawler.cli")
#: Seconds between samples of the replica's request count and the crawl's memory.
SAMPLE = 5.0
#: The archive's tables, grouped as the issue asks (dbstat names indexes and the full-text
#: indexes' shadow tables; anything else is "other").
GROUPS = (
    ("raw pages", ("pages", "page_bodies", "compression_dicts")),
    ("full-text search", ("articles_fts", "articles_morph", "morph_")),
    ("listings", ("listings",)),
    ("articles", ("articles", "article_revisions")),
)


def rss_kb(pid: int) -> tuple[int, int]:
    """``(VmRSS, VmHWM)`` of a process in KB, (0, 0) once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0, 0
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)

    def kb(name: str) -> int:
        return int(fields.get(name, "0 kB").split()[0])

    return kb("VmRSS"), kb("VmHWM")


def group_of(name: str, table: dict[str, str]) -> str:
    owner = table.get(name, name)  # an index counts with its table
    for group, prefixes in GROUPS:
        if any(owner == p or owner.startswith(p + "_") or owner.startswith(p) for p in prefixes):
            if group == "articles" and owner.startswith(("articles_fts", "articles_morph")):
                continue
            return group
    return "other"


def size_split(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        table = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"))
        split: dict[str, int] = {}
        for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            group = group_of(name, table)
            split[group] = split.get(group, 0) + size
        return split
    finally:
        conn.close()


def rate_between(samples: list[tuple[float, int]], low: float, high: float) -> float:
    """Pages/s while the served count went from ``low`` to ``high`` (interpolated)."""

    def when(count: float) -> float:
        for (t0, n0), (t1, n1) in itertools.pairwise(samples):
            if n0 <= count <= n1 and n1 > n0:
                return t0 + (t1 - t0) * (count - n0) / (n1 - n0)
        return samples[-1][0]

    return (high - low) / max(when(high) - when(low), 1e-9)


def timed(*args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"centrasia {args[0]} failed: {done.stderr[-2000:]}")
    return seconds, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=7500)
    parser.add_argument("--per-day", type=int, default=40)
    parser.add_argument("--markup", default="table")
    parser.add_argument("--keep", type=Path, help="keep the archive here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "archive.sqlite"
        with serve(days=args.days, per_day=args.per_day, markup=args.markup, index_days=1) as (
            replica
        ):
            days = replica.site.day_list()
            articles = len(replica.site.by_st)
            print(f"replica: {articles:,} articles over {len(days):,} days", flush=True)
            command = [sys.executable, "-m", "scrapy", "crawl", "centrasia"]
            command += ["-a", f"since={days[-1]}", "-a", f"until={days[0]}"]
            settings = {
                **FAST,
                "LOG_LEVEL": "WARNING",
                "CENTRASIA_ROOT_URL": replica.root,
                "CENTRASIA_ARCHIVE_PATH": str(archive),
            }
            for name, value in settings.items():
                command += ["-s", f"{name}={value}"]
            log = Path(tmp) / "crawl.log"
            with log.open("w") as err:
                start = time.perf_counter()
                crawl = subprocess.Popen(command, cwd=ROOT, stdout=err, stderr=err)
                samples: list[tuple[float, int]] = [(0.0, 0)]
                peak_rss, printed = 0, 0.0
                try:
                    while crawl.poll() is None:
                        time.sleep(SAMPLE)
                        now, served = time.perf_counter() - start, len(replica.log)
                        rss, hwm = rss_kb(crawl.pid)
                        peak_rss = max(peak_rss, hwm)
                        samples.append((now, served))
                        if now - printed >= 60:
                            recent = [s for s in samples if s[0] >= now - 60]
                            rate = (served - recent[0][1]) / max(now - recent[0][0], 1e-9)
                            size = archive.stat().st_size if archive.exists() else 0
                            print(
                                f"{now / 60:5.1f} min: {served:,} pages, {rate:.0f} pages/s,"
                                f" crawl RSS {rss / 1024:.0f} MB, archive {size / 2**20:,.0f} MB",
                                flush=True,
                            )
                            printed = now
                finally:
                    if crawl.poll() is None:
                        crawl.kill()
                    crawl.wait()
            seconds = time.perf_counter() - start
            served = len(replica.log)
        if crawl.returncode != 0:
            raise SystemExit(f"crawl exited {crawl.returncode}: {log.read_text()[-3000:]}")
        children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KB
        with Archive.open(archive, readonly=True) as store:
            run = store.last_run() or {}
            stored = store.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        print(
            f"crawl: {served:,} pages in {seconds / 60:.1f} min ({served / seconds:.0f} pages/s),"
            f" {stored:,} of {articles:,} articles archived, outcome {run.get('outcome')}"
        )
        first = rate_between(samples, 0, served * 0.1)
        last = rate_between(samples, served * 0.9, served)
        print(
            f"pages/s: first tenth {first:.0f}, last tenth {last:.0f}:"
            f" {last / first:.2f} of the first (target >= 0.80)"
        )
        peak = max(peak_rss, children_peak)
        print(f"peak memory of the crawl: {peak / 1024:.0f} MB (target <= 250 MB)")

        split = size_split(archive)
        total = archive.stat().st_size
        print(f"archive: {total / 2**30:.2f} GB")
        for group, size in sorted(split.items(), key=lambda kv: -kv[1]):
            print(f"  {group:<17} {size / 2**20:9,.0f} MB  {size / total:6.1%}")

        word = "страна"  # the generated news' broadest word: in about 3 of 4 articles
        for label, command_args in (
            ("coverage", ("coverage",)),
            ("stats", ("stats",)),
            (f"search {word}", ("search", word)),
            ("search, a phrase", ("search", '"контейнерный поезд"')),
            ("export (JSON Lines)", ("export", "-o", str(Path(tmp) / "export.jsonl"))),
        ):
            took, _ = timed(*command_args, "--archive", str(archive))
            print(f"  centrasia {label}: {took:.2f} s")
        exported = Path(tmp) / "export.jsonl"
        print(f"  export: {exported.stat().st_size / 2**20:,.0f} MB")
        if args.keep:
            shutil.copyfile(archive, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
