"""Serving an archive to many readers: ``serve --immutable`` refused while a run writes,
a changed immutable file answered 503 with why, charts off Datasette's SQL threads and
cached by the archive's version, cheap pages unhurt by charts."""

from __future__ import annotations

import asyncio
import datetime as dt
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
