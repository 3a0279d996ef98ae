"""``centrasia check``, and every command meeting a damaged archive: one line, exit 2.

The damage is real: random 4 KiB pages of a copy of an archive overwritten with random
bytes, as a failing disk or a stray write leaves it."""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from centrasia_crawler.archive import Archive, RawPage
from centrasia_crawler.archive.integrity import check, last_check
from centrasia_crawler.cli.common import DAMAGED
from tests.crawling import centrasia
from tests.helpers import crawled_article as article

WORDS = "Бишкек Алматы Ташкент Душанбе Ашхабад парламент выборы президент газ нефть".split()


def build(path: Path, count: int = 80) -> Path:
    """An archive of ``count`` articles, each with its raw page, some revised, with
    bodies long enough to fill a few hundred pages of the file."""
    rng = random.Random(7)
    with Archive.open(path) as store:
        run = store.start_run("incremental", {})
        for first in range(0, count, 20):
            items, pages = [], []
            for n in range(first, first + 20):
                st = 1771493400 + 60 * n
                body = "\n\n".join(" ".join(rng.choice(WORDS) for _ in range(60)) for _ in range(8))
                items.append(article(st, body=body, title=f"Новость {n} из Бишкека"))
                pages.append(
                    RawPage(
                        f"https://centrasia.org/newsA.php?st={st}",
                        200,
                        {"Content-Type": ["text/html; charset=windows-1251"]},
                        f"<html><body>{body}</body></html>".encode("cp1251"),
                        "2026-02-19T12:00:00+00:00",
                        kind="article",
                        st=st,
                    )
                )
            store.write_batch(items, pages=pages, run_id=run)
        revised = article(1771493400, body="Исправленный текст из Бишкека.", title="Новость 0")
        store.write_batch([revised])
        store.finish_run(run, "finished", {"requests": count})
    return path


def overwrite_pages(
    path: Path, pages: int, seed: int = 3, tables: tuple[str, ...] = ()
) -> list[int]:
    """Write random bytes over ``pages`` random 4 KiB pages of the file (never its first:
    that only makes it "not a database", the easy case), and over the root page of each
    of ``tables`` (a small table is its root page: random pages may all miss it); the
    page numbers (counted from 0)."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == 4096
        roots = [
            conn.execute("SELECT rootpage - 1 FROM sqlite_master WHERE name = ?", (t,)).fetchone()[
                0
            ]
            for t in tables
        ]
    finally:
        conn.close()
    rng = random.Random(seed)
    size = path.stat().st_size
    total = size // 4096
    chosen = sorted({*rng.sample(range(1, total), min(pages, total - 1)), *roots})
    with path.open("r+b") as fh:
        for page in chosen:
            fh.seek(page * 4096)
            fh.write(rng.randbytes(4096))
    return chosen


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("check") / "archive.sqlite")


@pytest.fixture(scope="module")
def damaged(original: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("damaged") / "archive.sqlite"
    shutil.copyfile(original, copy)
    assert not Path(f"{original}-wal").exists()  # one file: the copy is the archive
    # random pages, and the first page of what the reads below read, so that each meets
    # the damage whatever the file's layout (random pages alone missed some of them
    # once the layout moved)
    overwrite_pages(copy, 40, tables=("crawl_runs", "summary_days", "articles_morph_data"))
    return copy


def test_the_original_is_sound_quick_and_full(original: Path) -> None:
    for args in ([], ["--full"]):
        done = centrasia("check", "--archive", str(original), *args)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("centrasia check: ") and "sound" in done.stdout
        assert done.stdout.count("\n") == 1 and not done.stderr
    state = last_check(original)
    assert state is not None and state["ok"] is True and state["full"] is True


def test_check_finds_the_overwritten_pages(damaged: Path) -> None:
    # The independent truth: SQLite itself, asked directly, finds the file damaged.
    conn = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True)
    try:
        found = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        found = [str(exc)]
    finally:
        conn.close()
    assert found != ["ok"]
    for args in ([], ["--full"]):
        done = centrasia("check", "--archive", str(damaged), *args)
        assert done.returncode == 2, done.stdout + done.stderr
        assert done.stderr.startswith("centrasia check: ") and "damaged" in done.stderr
        assert done.stderr.count("\n") == 1 and not done.stdout
        # Its own finding, not the line that sends the other commands to check.
        assert "problem" in done.stderr and "run `centrasia check`" not in done.stderr
    state = last_check(damaged)
    assert state is not None and state["ok"] is False


READS = [
    ["search", "Бишкек"],
    ["search", "Бишкек", "--count"],
    ["kwic", "парламент"],
    ["trend", "выборы", "--by", "day"],
    ["terms", "газ"],
    ["coverage"],
    ["stats"],
    ["runs"],
    ["runs", "--fresh", "3"],
    ["export", "--format", "jsonl"],
    ["upgrade"],
]


@pytest.mark.parametrize("command", READS, ids=" ".join)
def test_every_command_meeting_the_damage_says_so_in_one_line(
    damaged: Path, command: list[str]
) -> None:
    done = centrasia(*command, "--archive", str(damaged))
    assert done.returncode == 2, done.stdout[-500:] + done.stderr[-2000:]
    assert done.stderr == f"centrasia {command[0]}: {DAMAGED}\n"


def test_upgrade_leaves_a_damaged_archive_untouched(damaged: Path, tmp_path: Path) -> None:
    copy = tmp_path / "archive.sqlite"
    shutil.copyfile(damaged, copy)
    before = copy.read_bytes()
    done = centrasia("upgrade", "--archive", str(copy))
    assert done.returncode == 2 and done.stderr == f"centrasia upgrade: {DAMAGED}\n"
    assert copy.read_bytes() == before


def test_a_file_that_is_no_database_is_damaged_too(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite"
    path.write_bytes(random.Random(1).randbytes(64 * 1024))
    assert not check(path).ok
    for command in (["check"], ["stats"], ["runs"], ["upgrade"]):
        done = centrasia(*command, "--archive", str(path))
        assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
        if command[0] != "check":
            assert done.stderr == f"centrasia {command[0]}: {DAMAGED}\n"


@pytest.mark.slow  # a crawl's process
def test_a_crawl_of_a_file_that_is_no_database_says_it_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite"
    path.write_bytes(random.Random(1).randbytes(64 * 1024))
    # Refused when the archive is opened, before any request (nothing listens on port 9).
    done = centrasia("crawl", "--root", "http://127.0.0.1:9/", "--archive", str(path))
    assert done.returncode == 2 and done.stderr == f"centrasia crawl: {DAMAGED}\n"


def test_full_check_finds_an_article_out_of_step_with_its_index(
    original: Path, tmp_path: Path
) -> None:
    """Damage SQLite cannot see: the archive's own invariants broken by a stray write
    behind the triggers' backs (the full-text index and the revisions)."""
    path = tmp_path / "archive.sqlite"
    shutil.copyfile(original, path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER articles_fts_update")
    conn.execute("UPDATE articles SET body = 'совсем другой текст' WHERE st = 1771493460")
    conn.execute("DELETE FROM pages WHERE st = 1771493520")
    conn.execute("UPDATE articles SET revision = 5 WHERE st = 1771493400")
    conn.close()
    assert check(path).ok  # quick_check: the file's structure is whole
    report = check(path, full=True)
    problems = "; ".join(report.problems)
    assert "1 articles whose revisions are not chained" in problems
    assert "1 articles without a stored page" in problems
    assert "exact-form index is out of step" in problems
    done = centrasia("check", "--full", "--archive", str(path))
    assert done.returncode == 2 and done.stderr.count("\n") == 1


def test_metrics_of_a_damaged_archive_say_so_and_the_command_fails(
    damaged: Path, tmp_path: Path
) -> None:
    out = tmp_path / "centrasia.prom"
    done = centrasia("runs", "--metrics", str(out), "--archive", str(damaged))
    assert done.returncode == 2 and done.stderr == f"centrasia runs: {DAMAGED}\n"
    values = {
        line.split()[0]: float(line.split()[1])
        for line in out.read_text().splitlines()
        if not line.startswith("#")
    }
    assert values["centrasia_archive_readable"] == 0
    assert values["centrasia_archive_size_bytes"] == damaged.stat().st_size
    assert "centrasia_last_run_ok" not in values  # nothing read from it is told
