"""Datasette at full size (a script, not a test).

Times every page ``centrasia serve`` links to, on the 300,000-article archive of
``bench/corpus.py``, through Datasette's own client in this process (plain Datasette
configured by the package's plugin, as ``centrasia serve`` runs it): the articles table
with its facets, a search, each canned query, one article. Target (issue 15): each
within 1 s. Datasette stops a query at its time limit (3 s) and a facet at 200 ms: such
a page still answers, without that facet or count, so those are reported too.

Run: .venv/bin/python bench/serve.py [--archive FILE]

``--load``: the researchers' mix under load instead. ``centrasia serve`` runs on a
loopback port over a copy of a generated archive (``--articles``, 2,000 by default);
1, 4 and 16 readers each ask, in a closed loop for ``--seconds``, a page kind at random
(index, database, table, row, search, attention, coverage, sources, entity) with random
names, dates and articles, so that caches are not the whole story; each level once
alone and once with a writer appending 20 articles a second. Reported: requests/s,
errors, and p50/p95 per page kind.

    .venv/bin/python bench/serve.py --load [--articles 2000] [--seconds 20]

``--instances N`` (N > 1): N ``centrasia serve`` on the copy, each with cores / N chart
processes (at least 1), behind a real nginx running deploy/nginx/centrasia.conf as
shipped (deploy/nginx_front.py: loopback ports, files in the temporary directory), as
docs/operations.md deploys them; the readers ask nginx. Its one-minute chart cache is on,
as shipped: the line "nginx cache" says how many chart and entity pages it answered.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import ensure  # noqa: E402

PAGES = {
    "index page": "/",
    "articles listing (HTML)": "/DB/articles",
    "search box (ranked, broad)": "/DB/search.json?q=" + quote("страна"),
    "attention chart, 2 queries": "/DB/-/attention?q="
    + quote("Казахстан")
    + "&q="
    + quote("Кыргызстан")
    + "&by=month",
    "coverage chart": "/DB/-/coverage",
    "sources chart": "/DB/-/sources?q=" + quote("казахстан"),
    "articles table, facets": "/DB/articles.json?_facet=source&_facet=published_date"
    "&_facet=attribution",
    "articles table, search": "/DB/articles.json?_search=" + quote("Казахстане"),
    "canned search": "/DB/search.json?q=" + quote("страны"),
    "trend_by_month": "/DB/trend_by_month.json?q=" + quote("казахстан"),
    "top_sources_for": "/DB/top_sources_for.json?q=" + quote("казахстан"),
    "articles_per_day": "/DB/articles_per_day.json",
    "top_sources": "/DB/top_sources.json",
    "attribution_articles": "/DB/attribution_articles.json?attribution=x",
    "listed_but_missing": "/DB/listed_but_missing.json",
    "one article": "/DB/articles/150000.json",
}


async def measure(path: Path) -> None:
    from datasette.app import Datasette

    from centrasia_crawler.serve import SETTINGS

    ds = Datasette([str(path)], settings=SETTINGS)  # as centrasia serve starts it
    await ds.invoke_startup()
    for label, url in PAGES.items():
        times, notes = [], ""
        for _ in range(3):
            start = time.perf_counter()
            response = await ds.client.get(url.replace("/DB/", f"/{path.stem}/", 1))
            times.append(time.perf_counter() - start)
        json_page = "json" in response.headers.get("content-type", "")
        data = response.json() if json_page else None
        if response.status_code != 200:
            notes = f"HTTP {response.status_code}: {str(data or response.text)[:120]}"
        elif isinstance(data, dict):
            timed_out = data.get("facets_timed_out") or []
            if timed_out:
                notes += f" facets timed out: {', '.join(timed_out)}"
            if "filtered_table_rows_count" in data and data["filtered_table_rows_count"] is None:
                notes += " no row count"
        best = min(times)
        flag = "" if best <= 1.0 else "  OVER 1 s"
        print(f"  {label:24} {best:6.2f} s (first {times[0]:.2f}){flag}{notes}")


# --- under load ---------------------------------------------------------------------

#: Names a researcher types: the region's countries, capitals, people and subjects.
NAMES = (
    "Казахстан", "Кыргызстан", "Узбекистан", "Таджикистан", "Туркменистан", "Астана",
    "Бишкек", "Ташкент", "Душанбе", "Ашхабад", "Китай", "Россия", "Афганистан", "газ",
    "вода", "выборы", "нефть", "граница", "Токаев", "Жапаров", "Мирзиёев", "Рахмон",
)  # fmt: skip
#: The searches of the mix.
SEARCHES = ("Казахстан", "страна", "Садыр Жапаров")
KINDS = (
    "index", "database", "table", "row", "search",
    "attention", "coverage", "sources", "entity",
)  # fmt: skip


def page_url(kind: str, db: str, rng: random.Random, sts: list[int], days: list[str]) -> str:
    """A random page of ``kind``."""
    name = quote(rng.choice(NAMES))
    day = rng.choice(days)
    return {
        "index": "/",
        "database": f"/{db}",
        "table": f"/{db}/articles",
        "row": f"/{db}/articles/{rng.choice(sts)}",
        "search": f"/{db}/articles?_search={quote(rng.choice(SEARCHES))}",
        "attention": f"/{db}/-/attention?q={name}&q={quote(rng.choice(NAMES))}&since={day}",
        "coverage": f"/{db}/-/coverage?since={day}",
        "sources": f"/{db}/-/sources?q={name}&since={day}",
        "entity": f"/{db}/-/entity/{name}",
    }[kind]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("centrasia serve did not start") from None
            time.sleep(0.3)


def _p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run_level(
    base: str, db: str, readers: int, seconds: float, sts: list[int], days: list[str], seed: int
) -> tuple[dict[str, list[float]], int, int]:
    """``readers`` threads in a closed loop for ``seconds``: times per kind, requests,
    errors."""
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    errors = [0]
    answered: dict[str, int] = {}
    cached = [0, 0]  # nginx's chart and entity pages: from its cache, asked
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def reader(n: int) -> None:
        rng = random.Random(seed * 100 + n)
        while time.monotonic() < stop:
            kind = rng.choice(KINDS)
            url = base + page_url(kind, db, rng, sts, days)
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=120) as response:
                    response.read()
                    ok, problem = response.status == 200, f"HTTP {response.status} {url}"
                    status = response.headers.get("X-Cache-Status")
                    if status is not None:
                        with lock:
                            cached[0] += status == "HIT"
                            cached[1] += 1
            except urllib.error.HTTPError as exc:
                ok = exc.code in (400, 404)  # a name no entity has: an answer, not a fault
                problem = f"HTTP {exc.code} {url}"
                with lock:
                    answered[f"{kind} {exc.code}"] = answered.get(f"{kind} {exc.code}", 0) + 1
            except OSError as exc:
                ok, problem = False, f"{exc} {url}"
            elapsed = time.perf_counter() - start
            with lock:
                times[kind].append(elapsed)
                if not ok:
                    errors[0] += 1
                    if errors[0] <= 3:
                        print(f"  error: {problem}", flush=True)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if answered:
        print("  answered 4xx:", ", ".join(f"{k}: {n}" for k, n in sorted(answered.items())))
    if cached[1]:
        print(f"  nginx cache: {cached[0]} of {cached[1]} chart and entity pages", flush=True)
    return times, sum(map(len, times.values())), errors[0]


def writer_loop(path: Path, stop: threading.Event, written: list[int]) -> None:
    """Append 20 generated articles a second (new sts after the archive's) until ``stop``."""
    from bench.corpus import LAST_DAY, article
    from centrasia_crawler.archive import Archive

    rng = random.Random(1)
    st = 2_000_000
    with Archive.open(path) as store:
        while not stop.wait(1.0):
            day = LAST_DAY
            rows = []
            for _ in range(20):
                st += 1
                name = rng.choice(NAMES)
                body = f"{name}: " + " ".join(rng.choice(NAMES) for _ in range(400))
                rows.append(article(st, day, 600, f"{name} и соседи", body))
            store.write_batch(rows)
            written[0] += len(rows)


def load(
    path: Path,
    seconds: float,
    levels: tuple[int, ...],
    settings: tuple[str, ...] = (),
    instances: int = 1,
    chart_workers: int | None = None,
) -> None:
    import sqlite3

    with tempfile.TemporaryDirectory(prefix="centrasia-bench-") as tmp:
        copy = Path(tmp) / "archive.sqlite"
        shutil.copy(path, copy)
        with sqlite3.connect(copy) as conn:
            sts = [
                st for (st,) in conn.execute("SELECT st FROM articles ORDER BY random() LIMIT 500")
            ]
            days = [d for (d,) in conn.execute("SELECT DISTINCT published_date FROM articles")]
        conn.close()
        servers, base = _start(copy, Path(tmp), instances, settings, chart_workers)
        try:
            run_level(base, "archive", 2, 5, sts, days, 0)  # warm: templates, matplotlib
            header = " | ".join(f"{k} p50/p95" for k in KINDS)
            print(f"| readers | writer | req/s | errors | {header} |")
            print("|" + "---|" * (4 + len(KINDS)))
            for readers in levels:
                for with_writer in (False, True):
                    stop, written = threading.Event(), [0]
                    writing = threading.Thread(target=writer_loop, args=(copy, stop, written))
                    if with_writer:
                        writing.start()
                    # A seed of its own: the writer's level does not repeat the pages
                    # the level before it asked (nginx's cache would answer them).
                    seed = readers * 2 + with_writer
                    times, requests, errors = run_level(
                        base, "archive", readers, seconds, sts, days, seed
                    )
                    stop.set()
                    if with_writer:
                        writing.join()
                    cells = " | ".join(
                        f"{_p(times[k], 0.5):.2f} / {_p(times[k], 0.95):.2f}" for k in KINDS
                    )
                    mark = f"+{written[0]}" if with_writer else "-"
                    rate = requests / seconds
                    print(f"| {readers} | {mark} | {rate:.1f} | {errors} | {cells} |", flush=True)
        finally:
            for server in reversed(servers):
                server.terminate()
            for server in servers:
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()


def _start(
    copy: Path, tmp: Path, instances: int, settings: tuple[str, ...], chart_workers: int | None
) -> tuple[list[subprocess.Popen[bytes]], str]:
    """``centrasia serve`` on ``copy`` (``instances`` of them behind nginx if more than
    one, each with ``chart_workers`` chart processes, by default cores / instances): the
    processes, and the base URL the readers ask."""
    from centrasia_crawler.serve import CHART_WORKERS_VARIABLE, datasette_command

    ports = [_free_port() for _ in range(instances)]
    workers = chart_workers or max(1, (os.cpu_count() or 1) // instances)
    given = instances > 1 or chart_workers is not None
    environment = {**os.environ, CHART_WORKERS_VARIABLE: str(workers)} if given else None
    servers = [
        subprocess.Popen(
            [*datasette_command(copy, "127.0.0.1", port), *settings],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=environment,
        )
        for port in ports
    ]
    try:
        for port, server in zip(ports, servers, strict=True):
            _wait(f"http://127.0.0.1:{port}/-/versions.json", server)
        if instances == 1:
            return servers, f"http://127.0.0.1:{ports[0]}"
        nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
        if nginx is None:
            raise RuntimeError("--instances needs nginx (apt-get install nginx)")
        spec = importlib.util.spec_from_file_location("nginx_front", ROOT / "deploy/nginx_front.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        front = _free_port()
        config = module.front_config(tmp, ports, front)
        servers.append(
            subprocess.Popen(
                [nginx, "-c", str(config), "-p", str(tmp), "-e", str(tmp / "error.log")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        _wait(f"http://127.0.0.1:{front}/-/versions.json", servers[-1])
        return servers, f"http://127.0.0.1:{front}"
    except BaseException:
        for server in servers:
            server.kill()
            server.wait()
        raise


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int)
    parser.add_argument("--archive", type=Path)
    parser.add_argument("--load", action="store_true", help="The mix under load.")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--readers", type=int, nargs="+", default=[1, 4, 16], help="Levels.")
    parser.add_argument(
        "--instances", type=int, default=1, help="centrasia serve processes (behind nginx if >1)."
    )
    parser.add_argument(
        "--chart-workers",
        type=int,
        help="Chart processes per instance (default: one per core, cores / N with N > 1).",
    )
    parser.add_argument(
        "--setting",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="A Datasette setting beside centrasia serve's (e.g. num_sql_threads 8).",
    )
    args = parser.parse_args()
    if args.load:
        path = ensure(args.articles or 2_000, args.archive)
        print(f"the researchers' mix on {path}, {args.seconds:g} s a level (times in s)")
        settings = tuple(part for pair in args.setting for part in ("--setting", *pair))
        if settings:
            print("with", " ".join(settings))
        if args.instances > 1:
            print(f"{args.instances} instances behind nginx")
        if args.chart_workers is not None:
            print(f"{args.chart_workers} chart processes an instance")
        load(path, args.seconds, tuple(args.readers), settings, args.instances, args.chart_workers)
        return 0
    args.articles = args.articles or 300_000
    path = ensure(args.articles, args.archive)
    print(f"Datasette pages on {path} (best of 3)")
    asyncio.run(measure(path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
