"""Serving an archive to many readers: ``serve --immutable`` refused while a run writes,
a changed immutable file answered 503 with why, charts in processes of their own (ended
with the server, replaced when one dies) and cached by the archive's version, cheap
pages unhurt by charts."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.lock import ArchiveLock
from tests.helpers import built_once, close_datasette, datasette

pytest.importorskip("datasette", reason="Datasette is not installed ([serve] extra)")

FIRST_DAY = dt.date(2025, 3, 1)


def st_of(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC).timestamp())


def article(day: dt.date, title: str, body: str, n: int = 0) -> dict[str, object]:
    st = st_of(day) + n
    return {
        "st": st,
        "url": f"https://centrasia.org/newsA.php?st={st}",
        "title": title,
        "published_at": f"{day}T15:00:00+03:00",
        "body": body,
        "source": "Кабар",
        "attribution": None,
    }


@pytest.fixture
def archive(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six articles, a day apart: each test's own copy of one archive."""

    def build(into: Path) -> None:
        rows = [
            article(FIRST_DAY + dt.timedelta(days=n), f"Новости {n}", "В Бишкеке тепло.")
            for n in range(6)
        ]
        with Archive.open(into) as store:
            store.write_batch(rows)

    return built_once(
        tmp_path_factory, "serving-six-days.sqlite", build, tmp_path / "archive.sqlite"
    )


# --- immutable --------------------------------------------------------------------------


def test_serve_immutable_is_refused_while_the_lock_is_held(archive: Path) -> None:
    """A real lock, held by this process as a crawl holds it: one line, exit 2, and no
    Datasette started (the command returns at once, no port was opened)."""
    with ArchiveLock(archive):
        command = ["centrasia_crawler.cli", "serve", "--immutable", "--archive", str(archive)]
        done = subprocess.run(
            [sys.executable, "-m", *command, "--port", "1"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--immutable" in lines[0] and "lock" in lines[0], done.stderr
    assert done.stdout == ""


def test_serve_immutable_runs_datasette_with_inspected_counts(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the lock: ``datasette inspect`` writes the counts, Datasette is started
    with ``-i`` and that file; the counts in the file are the archive's."""
    import json

    from centrasia_crawler import serve

    seen: dict[str, object] = {}

    def run_child(command: list[str], env: object = None) -> int:
        inspected = Path(command[command.index("--inspect-file") + 1])
        seen["command"] = command
        seen["counts"] = json.loads(inspected.read_text())
        return 0

    monkeypatch.setattr(serve, "run_child", run_child)
    assert serve.serve(archive, "127.0.0.1", 1, immutable=True) == 0
    command = seen["command"]
    assert isinstance(command, list)
    assert command[command.index("-i") + 1] == str(archive)
    with sqlite3.connect(archive) as conn:
        (articles,) = conn.execute("SELECT count(*) FROM articles").fetchone()
    counts = seen["counts"]
    assert isinstance(counts, dict)
    assert counts["archive"]["tables"]["articles"]["count"] == articles == 6
    assert not Path(command[command.index("--inspect-file") + 1]).exists()  # cleaned


def _corrupt_table(path: Path, table: str) -> None:
    """Overwrite the root page of ``table`` with garbage: SQLite then finds the file
    malformed when it reads that table, as a reader of a file rewritten under it does."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
        root = root[0] if isinstance(root, tuple) else root
    conn.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xff" * page_size)


# Datasette leaves the connection on which it met the malformed page to the garbage
# collector; Python 3.13 reports that as unraisable. The server's answer is what is tested.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_changed_immutable_file_answers_503_with_one_line(archive: Path) -> None:
    """A real corrupt page under an immutable server: the articles' page is 503 with the
    line saying the file changed, not Datasette's 500."""
    _corrupt_table(archive, "articles")
    with sqlite3.connect(archive) as conn, pytest.raises(sqlite3.DatabaseError, match="malformed"):
        conn.execute("SELECT count(*), max(title) FROM articles").fetchone()
    conn.close()

    async def run() -> list[object]:
        ds = datasette([], immutables=[str(archive)])
        try:
            return [await ds.client.get(u) for u in ("/archive/articles", "/archive/articles/1")]
        finally:
            close_datasette(ds)

    for response in asyncio.run(run()):
        assert response.status_code == 503, response.text[:500]  # type: ignore[attr-defined]
        text = response.text  # type: ignore[attr-defined]
        assert text.count("\n") == 1 and "changed under this server" in text


# --- charts: their own threads, cached until a write ------------------------------------


def _matching(path: Path, word: str) -> int:
    """Independent truth: the articles whose stored title or body has ``word`` (a
    regex scan of the text, no search engine)."""
    with sqlite3.connect(path) as conn:
        texts = conn.execute("SELECT title, body FROM articles").fetchall()
    conn.close()
    pattern = re.compile(rf"\b{word}", re.I)
    return sum(1 for title, body in texts if pattern.search(f"{title} {body}"))


def test_a_write_makes_the_cached_charts_stale(archive: Path) -> None:
    """The attention chart and the coverage chart are asked, kept, asked again (the
    cache answers), then an article is written: both show it at once."""
    from centrasia_crawler.datasette_plugin import charts

    url = "/archive/-/attention.json?q=Ташкент&by=day"

    async def ask(ds: object) -> tuple[int, int, str]:
        attention = await ds.client.get(url)  # type: ignore[attr-defined]
        coverage = await ds.client.get("/archive/-/coverage.json")  # type: ignore[attr-defined]
        page = await ds.client.get("/archive/-/attention?q=Ташкент&by=day")  # type: ignore[attr-defined]
        assert attention.status_code == coverage.status_code == page.status_code == 200
        found = sum(row["articles"] for row in attention.json()["rows"])
        archived = sum(row["archived"] for row in coverage.json()["rows"])
        return found, archived, page.text

    async def run() -> None:
        ds = datasette([archive])
        try:
            before = await ask(ds)
            kept = len(charts.CACHE._found)
            assert before[:2] == (_matching(archive, "Ташкент"), 6) == (0, 6)
            assert await ask(ds) == before and len(charts.CACHE._found) == kept
            day = FIRST_DAY + dt.timedelta(days=2)
            with Archive.open(archive) as store:
                store.write_batch([article(day, "Встреча в Ташкенте", "Говорили о воде.", 7)])
            after = await ask(ds)
            assert after[:2] == (_matching(archive, "Ташкент"), 7) == (1, 7)
            assert 'class="centrasia-plot"' in after[2] and after[2] != before[2]
        finally:
            close_datasette(ds)

    asyncio.run(run())


def test_a_chart_being_computed_holds_no_thread_of_the_cheap_pages(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chart held mid-computation (its numbers wait on an event) while an article's
    page is asked: the page is answered at once, the chart is still pending. (Had the
    chart run on Datasette's SQL threads, here the event loop's own, the page would
    wait for it.)"""
    import threading

    from centrasia_crawler.datasette_plugin import charts

    started, release = threading.Event(), threading.Event()
    build = charts.build

    def held(*args: object) -> charts.Chart:
        started.set()
        release.wait(30)
        return build(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(charts, "build", held)

    async def run() -> None:
        ds = datasette([archive])
        try:
            chart = asyncio.create_task(ds.client.get("/archive/-/coverage.json?since=2025-03-02"))
            for _ in range(300):
                if started.is_set():
                    break
                await asyncio.sleep(0.01)
            assert started.is_set()
            row = await asyncio.wait_for(ds.client.get(f"/archive/articles/{st_of(FIRST_DAY)}"), 10)
            assert row.status_code == 200 and "Новости 0" in row.text
            assert not chart.done()
            release.set()
            answered = await chart
            assert answered.status_code == 200
            assert sum(r["archived"] for r in answered.json()["rows"]) == 5
        finally:
            release.set()
            close_datasette(ds)

    asyncio.run(run())


def test_a_query_given_twice_is_charted_once(archive: Path) -> None:
    """The same query in two of the form's fields: the chart is drawn (not a 500), its
    numbers those of the query given once."""
    base = "/archive/-/attention{}?q=Бишкек&by=day"
    twice = base + "&q=Бишкек"

    async def run() -> list[object]:
        ds = datasette([archive])
        try:
            urls = (base.format(".json"), twice.format(".json"), twice.format(""))
            return [await ds.client.get(url) for url in urls]
        finally:
            close_datasette(ds)

    once, both, page = asyncio.run(run())
    assert [r.status_code for r in (once, both, page)] == [200, 200, 200]  # type: ignore[attr-defined]
    assert both.json()["rows"] == once.json()["rows"]  # type: ignore[attr-defined]
    found = sum(row["articles"] for row in once.json()["rows"])  # type: ignore[attr-defined]
    assert found == _matching(archive, "Бишкек") == 6
    assert 'class="centrasia-plot"' in page.text  # type: ignore[attr-defined]


# --- the chart processes ----------------------------------------------------------------


def test_chart_workers_are_given_to_the_server(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve --chart-workers 3`` starts Datasette with the plugin's variable set; a bad
    value of the plugin's setting is one line."""
    from centrasia_crawler import serve
    from centrasia_crawler.datasette_plugin import charts

    seen: list[object] = []
    monkeypatch.setattr(serve, "run_child", lambda command, env=None: seen.append(env) or 0)
    assert serve.serve(archive, "127.0.0.1", 1, chart_workers=3) == 0
    assert serve.serve(archive, "127.0.0.1", 1) == 0
    given, default = seen
    assert isinstance(given, dict) and given[charts.WORKERS_VARIABLE] == "3"
    assert default is None
    assert charts.workers_wanted(2) == 2 and charts.workers_wanted("0") == 0
    monkeypatch.delenv(charts.WORKERS_VARIABLE, raising=False)
    assert charts.workers_wanted(None) == (os.cpu_count() or 1)
    for bad in ("two", -1, "1.5"):
        with pytest.raises(ValueError, match="chart_workers: a whole number") as raised:
            charts.workers_wanted(bad)
        assert "\n" not in str(raised.value)


#: A pool's life, in a process of its own (multiprocessing's resource tracker, which a
#: pool starts, lives as long as the process that started it): the pids of the jobs'
#: processes, and what each step gave.
POOL_LIFE = """
import asyncio, json, operator, os, signal, sys, time
from centrasia_crawler.datasette_plugin import charts

pool, seen = charts.ChartPool(), {"me": os.getpid()}

async def run():
    pool.start(1)
    seen["first"] = await pool.run(os.getpid)
    try:
        await pool.run(os._exit, 3)
    except charts.WorkerLost as exc:
        seen["lost"] = str(exc)
    seen["second"] = await pool.run(os.getpid)
    seen["sum"] = await pool.run(operator.add, 2, 3)
    os.kill(seen["second"], signal.SIGKILL)
    for _ in range(100):  # until it is dead (a zombie until the pool reaps it)
        try:
            with open(f"/proc/{seen['second']}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
        except OSError:
            break
        time.sleep(0.1)
    time.sleep(1)  # the pool notices
    seen["third"] = await pool.run(os.getpid)
    seen["pids"] = pool.pids()

asyncio.run(run())
pool.shutdown()
seen["after"] = pool.pids()
print(json.dumps(seen))
"""


@pytest.mark.slow
def test_a_chart_process_that_dies_is_replaced() -> None:
    """A real pool of one spawned process: a job runs in another process; a job whose
    process dies is :class:`WorkerLost` (one line); the next job runs in a new process;
    one that died idle is replaced unseen. Shut down, no process of the pool is left."""
    done = subprocess.run(
        [sys.executable, "-c", POOL_LIFE], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    first, second, third = seen["first"], seen["second"], seen["third"]
    assert len({first, second, third, seen["me"], os.getpid()}) == 5
    assert "\n" not in seen["lost"] and "ask again" in seen["lost"]
    assert seen["sum"] == 5 and seen["pids"] == [third] and seen["after"] == []
    assert _wait_gone([first, second, third], 10) == []


def test_a_lost_chart_process_is_a_one_line_page(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chart or entity page whose process died answers 503 and one line, not a 500."""
    from centrasia_crawler.datasette_plugin import charts

    async def lost(*args: object) -> object:
        raise charts.WorkerLost(charts.WORKER_LOST)

    monkeypatch.setattr(charts, "in_pool", lost)

    async def run() -> list[object]:
        ds = datasette([archive])
        try:
            urls = ("/archive/-/coverage", "/archive/-/attention.json?q=x", "/archive/-/entity/x")
            return [await ds.client.get(url) for url in urls]
        finally:
            close_datasette(ds)

    for response in asyncio.run(run()):
        assert response.status_code == 503  # type: ignore[attr-defined]
        assert response.text == charts.WORKER_LOST  # type: ignore[attr-defined]


NAMES = ("Бишкек", "Ташкент", "Астана", "Душанбе", "Ашхабад", "Москва", "Пекин", "Баку")


def _alive(pids: list[int]) -> list[int]:
    """Those of ``pids`` still running (not zombies)."""
    found = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        if stat[stat.rindex(b")") + 2 :].split()[0] != b"Z":
            found.append(pid)
    return found


def _wait_gone(pids: list[int], seconds: float = 30) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := _alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def _children(pid: int) -> dict[int, str]:
    """The running children of process ``pid``: pid -> command line."""
    found = {}
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
            with open(f"/proc/{name}/cmdline", "rb") as f:
                command = f.read()
        except (OSError, ValueError):
            continue
        state, ppid = stat[stat.rindex(b")") + 2 :].split()[:2]
        if int(ppid) == pid and state != b"Z":
            found[int(name)] = command.replace(b"\0", b" ").decode(errors="replace")
    return found


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, int, int, Path]]:
    """Datasette as ``centrasia serve`` starts it (its chart processes as many as the
    environment says, by default one per core), on a loopback port, over an archive of
    600 articles: (its address, an article's st, its pid, the archive). Stopped after, and every
    process it started must have ended with it."""
    import random

    from centrasia_crawler.serve import datasette_command
    from tests.helpers import serving

    path = tmp_path / "archive.sqlite"
    rng = random.Random(39)
    rows = [
        article(
            FIRST_DAY + dt.timedelta(days=n % 120),
            f"{rng.choice(NAMES)}: новости {n}",
            " ".join(rng.choice(NAMES) + " и соседи." for _ in range(30)),
            n // 120,
        )
        for n in range(600)
    ]
    with Archive.open(path) as store:
        store.write_batch(rows)
    started: dict[int, str] = {}
    command = functools.partial(datasette_command, path, "127.0.0.1")
    with serving(path, command) as (base, server):
        yield base, st_of(FIRST_DAY), server.pid, path
        started = _children(server.pid)
    assert server.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal
    assert _wait_gone(list(started), 10) == [], started


@pytest.mark.slow
def test_charts_run_in_processes_that_end_with_the_server(
    served: tuple[str, int, int, Path],
) -> None:
    """A real server: its charts are drawn (the numbers those of a regex scan) by
    processes it spawned, one per core unless told; a chart process killed is replaced
    (the next chart is drawn); stopped, the server leaves none of its processes behind
    (the fixture checks)."""
    from centrasia_crawler.datasette_plugin.charts import WORKERS_VARIABLE

    base, _, pid, path = served
    wanted = int(os.environ.get(WORKERS_VARIABLE) or os.cpu_count() or 1)
    query = urllib.parse.quote("Бишкек")
    assert _get(f"{base}/archive/-/attention.svg?q={query}&by=day").startswith("<svg")
    rows = json.loads(_get(f"{base}/archive/-/attention.json?q={query}&by=day"))["rows"]
    assert sum(r["articles"] for r in rows) == _matching(path, "Бишкек") > 0
    workers = _chart_processes(pid)
    assert len(workers) == wanted, _children(pid)
    for worker in workers:
        os.kill(worker, signal.SIGKILL)
    assert _wait_gone(workers) == []
    time.sleep(0.5)  # the server notices
    since = FIRST_DAY + dt.timedelta(3)
    assert _get(f"{base}/archive/-/coverage.svg?since={since}").startswith("<svg")
    assert len(_chart_processes(pid)) == wanted


def _chart_processes(server: int) -> list[int]:
    """The server's chart processes: its children that multiprocessing spawned to run
    jobs (not its resource tracker)."""
    return sorted(
        pid
        for pid, command in _children(server).items()
        if "spawn_main" in command and "resource_tracker" not in command
    )


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=120) as response:
        assert response.status == 200
        return str(response.read().decode())


def _timed(url: str) -> float:
    start = time.perf_counter()
    _get(url)
    return time.perf_counter() - start


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


@pytest.mark.slow
def test_cheap_pages_do_not_wait_behind_charts(served: tuple[str, int, int, Path]) -> None:
    """8 threads against a real server: the row page's p95 alone, then with 6 threads
    asking charts of random names and periods (so the cache is not the whole story),
    each drawn (the expensive page: its ``.json`` kept is a cheap one), and 2 asking the
    row page, then alone again; loaded, its p95 stays within 5x of alone. The machine is
    shared with other work that comes and goes: 3 rounds, the median ratio must be
    within."""
    base, st, _, _ = served
    cheap = f"{base}/archive/articles/{st}"
    for _ in range(10):  # warm: templates compiled, connections open
        _timed(cheap)
    rounds = []
    for seed in range(3):
        alone, loaded, charted = _loaded_round(base, cheap, seed)
        rounds.append((round(loaded / alone, 2), alone, loaded, charted))
        print(f"row page p95 alone {alone:.3f} s, loaded {loaded:.3f} s, charts {charted}")
    assert all(charted >= 6 for *_, charted in rounds)  # charts were drawn meanwhile
    assert sorted(rounds)[1][0] <= 5, rounds  # the median round's ratio


def _loaded_round(base: str, cheap: str, seed: int) -> tuple[float, float, int]:
    """One round: the unloaded p95 (the slower of before and after), the loaded p95,
    and how many charts were drawn meanwhile."""
    import random
    import threading

    alone = _p95([_timed(cheap) for _ in range(40)])
    stop = threading.Event()
    charted: list[float] = []

    def charts_loop(n: int) -> None:
        rng = random.Random(seed * 10 + n)
        while not stop.is_set():
            name = urllib.parse.quote(rng.choice(NAMES))
            day = FIRST_DAY + dt.timedelta(days=rng.randrange(100))
            url = rng.choice(
                [
                    f"{base}/archive/-/attention.svg?q={name}&by=day&since={day}",
                    f"{base}/archive/-/coverage.svg?since={day}",
                    f"{base}/archive/-/sources?q={name}&since={day}",
                    f"{base}/archive/-/entity/{name}?by=day",
                ]
            )
            try:
                charted.append(_timed(url))
            except urllib.error.HTTPError as exc:
                assert exc.code in (400, 404), url  # no such entity, not tagged: answered
                charted.append(0.0)

    loaded: list[float] = []

    def cheap_loop() -> None:
        for _ in range(60):
            loaded.append(_timed(cheap))

    chart_threads = [threading.Thread(target=charts_loop, args=(n,)) for n in range(6)]
    cheap_threads = [threading.Thread(target=cheap_loop) for _ in range(2)]
    for thread in chart_threads:
        thread.start()
    time.sleep(1)  # the charts are under way
    for thread in cheap_threads:
        thread.start()
    for thread in cheap_threads:
        thread.join()
    stop.set()
    for thread in chart_threads:
        thread.join()
    alone = max(alone, _p95([_timed(cheap) for _ in range(40)]))
    return alone, _p95(loaded), len(charted)
