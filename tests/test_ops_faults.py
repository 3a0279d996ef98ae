"""Operations' small faults, each one line: a read-only or missing directory, a full disk
under a backup, a bad ``-s`` value, a compaction that would grow the archive, a stopped
crawl, and the journal's priorities.

The disks are real: a tmpfs of 2 MB, mounted for the test (and read-only where that is
the fault), unmounted after; skipped with the reason where mounting is not allowed."""

from __future__ import annotations

import contextlib
import logging
import os
import random
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from centrasia_crawler.archive import Archive, RawPage, pages
from tests.crawling import PROJECT, centrasia


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "2m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``path`` (made), unmounted when the block ends."""
    path.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def read_only(path: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    return done.stderr


def test_prune_on_a_read_only_file_system_is_one_line(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro") as mounted:
        Archive.open(mounted / "archive.sqlite").close()
        read_only(mounted)
        done = centrasia("prune", "--archive", str(mounted / "archive.sqlite"))
        assert done.returncode == 2
        assert one_line(done) == (
            f"centrasia prune: cannot prune {mounted}/archive.sqlite: Read-only file system\n"
        )


@pytest.mark.slow  # a crawl's process
def test_an_archive_in_a_missing_directory_is_named_as_missing(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro") as mounted:
        read_only(mounted)  # the directory cannot be made: as /var/lib for the service user
        archive = mounted / "missing" / "archive.sqlite"
        done = centrasia("crawl", "--root", "http://127.0.0.1:9/", "--archive", str(archive))
        assert done.returncode == 2
        assert f"its directory {mounted}/missing does not exist" in one_line(done)


def big_archive(path: Path) -> Path:
    """An archive of about 3 MB: pages of random bytes, which no compression shrinks."""
    rng = random.Random(11)
    with Archive.open(path) as store:
        store.write_batch(
            pages=[
                RawPage(f"https://centrasia.org/p{n}", 200, {}, rng.randbytes(100_000), "t")
                for n in range(30)
            ]
        )
    return path


@pytest.mark.slow  # 3 MB written twice
@pytest.mark.parametrize("room", [-1_000_000, 28 * 1024], ids=["copy", "its-journal"])
def test_a_backup_to_a_full_disk_is_one_line_and_leaves_nothing(tmp_path: Path, room: int) -> None:
    """The disk fills during the copy, or just after it (the copy fits, its write-ahead
    log does not: SQLite then says only "disk I/O error")."""
    archive = big_archive(tmp_path / "archive.sqlite")
    size = archive.stat().st_size
    with tmpfs(tmp_path / "small", f"{(size + room) // 1024}k") as mounted:
        done = centrasia("backup", str(mounted), "--archive", str(archive))
        assert done.returncode == 1
        assert "the disk is full" in one_line(done)
        assert list(mounted.iterdir()) == []  # neither the partial copy nor its journal
    with sqlite3.connect(archive) as conn:  # the archive itself is as it was
        assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)


@pytest.mark.parametrize(
    "setting, said",
    [
        ("DOWNLOAD_DELAY=abc", "-s DOWNLOAD_DELAY='abc': not a number"),
        ("CONCURRENT_REQUESTS=lots", "-s CONCURRENT_REQUESTS='lots': not a number"),
        ("ROBOTSTXT_OBEY=maybe", "-s ROBOTSTXT_OBEY='maybe': not True or False"),
        ("DOWNLOAD_TIMEOUT=nan", "-s DOWNLOAD_TIMEOUT='nan': not a finite number"),
    ],
)
def test_a_bad_setting_value_is_refused_before_scrapy_reads_it(setting: str, said: str) -> None:
    from centrasia_crawler.jobs import project_settings
    from centrasia_crawler.options import OptionError

    name, _, value = setting.partition("=")
    with pytest.raises(OptionError) as refused:
        project_settings({name: value})
    assert str(refused.value).startswith(said)


def test_a_bad_setting_value_is_one_line_exit_2(tmp_path: Path) -> None:
    archive = tmp_path / "archive.sqlite"
    done = centrasia("crawl", "-s", "DOWNLOAD_DELAY=abc", "--archive", str(archive))
    assert done.returncode == 2
    assert one_line(done).startswith("centrasia crawl: -s DOWNLOAD_DELAY='abc': not a number")
    assert not archive.exists()


def noise(rng: random.Random) -> bytes:
    vocabulary = [
        "".join(rng.choice("абвгдежзийклмнопрстуфхцчшщыэюя") for _ in range(rng.randint(3, 9)))
        for _ in range(300)
    ]
    return " ".join(rng.choice(vocabulary) for _ in range(400)).encode()


def layout(n: int) -> bytes:
    menu = "".join(f"<a href=/news{i}.php>Раздел {i}</a>" for i in range(40))
    return f"<html><body>{menu}<h1>Статья {n}</h1><p>{'Текст ' * (n % 7 + 3)}</p>".encode()


def stored_bytes(path: Path) -> tuple[int, list[str]]:
    with sqlite3.connect(path) as conn:
        total = conn.execute(
            "SELECT (SELECT sum(length(body)) FROM page_bodies)"
            " + (SELECT coalesce(sum(length(dict)), 0) FROM compression_dicts)"
        ).fetchone()[0]
        encodings = [e for (e,) in conn.execute("SELECT encoding FROM page_bodies ORDER BY 1")]
    return int(total), encodings


@pytest.mark.slow  # two compactions at zstd's level 19
def test_compact_keeps_the_old_dictionary_when_a_new_one_would_grow_the_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The newest pages unlike the rest (a dictionary trained on them fits the others
    badly): compacting as before would store more bytes; compact keeps what is."""
    rng = random.Random(5)
    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:  # the first dictionary, trained on 200 layout pages
        store.write_batch(
            pages=[RawPage(f"https://c/{n}", 200, {}, layout(n), "t") for n in range(250)]
        )
        store.write_batch(
            pages=[RawPage(f"https://c/x{n}", 200, {}, noise(rng), "t") for n in range(30)]
        )
    monkeypatch.setattr(pages, "TRAIN_SAMPLES", 30)  # the new one learns the newest only
    # The independent truth: a copy compacted unconditionally (the library's pages.compact).
    grown = tmp_path / "grown.sqlite"
    with sqlite3.connect(path) as source, sqlite3.connect(grown) as target:
        source.backup(target)
    with Archive.open(grown) as store:
        pages.compact(store.conn, "t")
    before, encodings = stored_bytes(path)
    assert stored_bytes(grown)[0] > before  # it would grow
    done = centrasia("compact", "--archive", str(path))
    assert done.returncode == 0, done.stderr
    assert "nothing rewritten, the dictionaries kept" in done.stdout
    assert stored_bytes(path) == (before, encodings)
    with Archive.open(path, readonly=True) as store:
        assert len(list(store.all_pages())) == 280


def test_journal_lines_carry_their_priority_and_no_timestamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from centrasia_crawler.jobs import log_handler, project_settings

    settings = project_settings({"LOG_LEVEL": "INFO"})
    out = tmp_path / "stderr"
    with out.open("w") as stream:
        monkeypatch.setattr(sys, "stderr", stream)
        status = os.fstat(stream.fileno())
        for journal in (False, True):
            if journal:
                monkeypatch.setenv("JOURNAL_STREAM", f"{status.st_dev}:{status.st_ino}")
            else:
                monkeypatch.setenv("JOURNAL_STREAM", "1:2")  # another stream: not the journal
            handler = log_handler(settings)
            log = logging.getLogger(f"centrasia.test.{journal}")
            log.propagate = False
            log.addHandler(handler)
            try:
                log.warning("a warning")
                try:
                    raise ValueError("boom")
                except ValueError:
                    log.exception("an error")
            finally:
                log.removeHandler(handler)
    lines = out.read_text().splitlines()
    stamp = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
    plain = lines[: len(lines) // 2]
    journal = lines[len(lines) // 2 :]
    assert stamp.match(plain[0]) and not plain[0].startswith("<")
    assert journal[0] == "<4>[centrasia.test.True] WARNING: a warning"
    assert journal[1] == "<3>[centrasia.test.True] ERROR: an error"
    assert all(line.startswith("<3>") for line in journal[1:])  # the traceback's lines too
    assert not any(stamp.search(line) for line in journal)


def test_a_command_error_in_the_journal_is_at_priority_error() -> None:
    read, write = os.pipe()
    status = os.fstat(write)
    env = {**os.environ, "JOURNAL_STREAM": f"{status.st_dev}:{status.st_ino}"}
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "centrasia_crawler.cli", "crawl", "-s", "DOWNLOAD_DELAY=x"],
            cwd=PROJECT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=write,
            env=env,
        )
    finally:
        os.close(write)
    with os.fdopen(read) as stderr:
        said = stderr.read()
    assert process.wait(timeout=60) == 2
    assert said == "<3>centrasia crawl: -s DOWNLOAD_DELAY='x': not a number (the default is 1.0)\n"
