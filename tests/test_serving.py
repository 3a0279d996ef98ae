"""Serving an archive to many readers: ``serve --immutable`` refused while a run writes,
a changed immutable file answered 503 with why, charts off Datasette's SQL threads and
cached by the archive's version, cheap pages unhurt by charts."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.lock import ArchiveLock
from tests.helpers import close_datasette, datasette

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
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "archive.sqlite"
    rows = [
        article(FIRST_DAY + dt.timedelta(days=n), f"Новости {n}", "В Бишкеке тепло.")
        for n in range(6)
    ]
    with Archive.open(path) as store:
        store.write_batch(rows)
    return path


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

    def run_child(command: list[str]) -> int:
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
            assert "<svg" in after[2] and after[2] != before[2]
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
    assert "<svg" in page.text  # type: ignore[attr-defined]
