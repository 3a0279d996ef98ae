"""Reads never write and never wait; an archive an older version wrote is upgraded by
``centrasia upgrade`` (or a crawl), and read commands say so until it is."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from centrasia_crawler.archive import Archive, ArchiveNeedsUpgrade
from centrasia_crawler.archive.schema import SCHEMA_VERSION
from centrasia_crawler.cli import main
from tests.test_search_morphology import schema_4_archive
from tests.test_search_query import ARTICLES, article

READS = [
    ["search", "Садыр Жапаров"],
    ["search", "Жапаров", "--count"],
    ["kwic", "Ташиев"],
    ["trend", "Жапаров", "--by", "day"],
    ["terms", "конституция"],
    ["coverage"],
    ["stats"],
    ["runs"],
    ["export", "--query", "Жапаров"],
]


def old_archive(path: Path) -> Path:
    """An archive of schema 4 (before the morphological index), with articles."""
    return schema_4_archive(path, ARTICLES)


def fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_reads_refuse_an_older_archive_untouched_until_it_is_upgraded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = old_archive(tmp_path / "old.sqlite")
    before = fingerprint(path)
    with pytest.raises(ArchiveNeedsUpgrade, match="centrasia upgrade"):
        Archive.open(path, readonly=True)
    for args in READS:
        status = main([*args, "--archive", str(path)])
        _, err = capsys.readouterr()
        assert status == 1, (args, err)
        assert err.count("\n") == 1 and "schema version 4" in err and "centrasia upgrade" in err
    assert fingerprint(path) == before  # no read wrote a byte

    assert main(["upgrade", "--archive", str(path)]) == 0
    out, _ = capsys.readouterr()
    assert out == (
        f"{path}: schema 4 -> {SCHEMA_VERSION}, {len(ARTICLES)} articles re-indexed,"
        f" {len(ARTICLES)} tagged with entities\n"
    )
    assert main(["upgrade", "--archive", str(path)]) == 0
    assert capsys.readouterr()[0] == f"{path}: up to date (schema {SCHEMA_VERSION})\n"
    with Archive.open(path, readonly=True) as store:
        assert store.count("Садыр Жапаров") == 3


def test_reads_refuse_an_index_another_morphology_built(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(*row) for row in ARTICLES])
        store.conn.execute("UPDATE archive_meta SET value = 'older' WHERE key = 'morph_version'")
    with pytest.raises(ArchiveNeedsUpgrade, match="another version of the morphology"):
        Archive.open(path, readonly=True)


def test_reads_leave_an_up_to_date_archive_byte_for_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(*row) for row in ARTICLES])
    before = fingerprint(path)
    for args in READS:
        assert main([*args, "--archive", str(path)]) == 0, capsys.readouterr()[1]
    capsys.readouterr()
    assert fingerprint(path) == before


HOLD = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE articles SET title = title || '!' WHERE st = 1")
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""


@pytest.mark.slow
def test_reads_answer_while_another_process_holds_a_write_transaction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "a.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(*row) for row in ARTICLES])
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(HOLD), str(path), "60"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        for args in READS:
            assert main([*args, "--archive", str(path)]) == 0, capsys.readouterr()[1]
            assert holder.poll() is None, f"{args} waited for the writer to finish"
        out = capsys.readouterr()[0]
        assert "Садыр Жапаров подписал указ — " in out and "указ!" not in out  # not seen
    finally:
        holder.kill()
        holder.communicate()
