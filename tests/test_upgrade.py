"""Reads never write and never wait; an archive an older version wrote is upgraded by
``centrasia upgrade`` (or a crawl), and read commands say so until it is."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler.archive import Archive, ArchiveNeedsUpgrade
from centrasia_crawler.archive.schema import SCHEMA_VERSION
from centrasia_crawler.cli import main
from tests.helpers import ARTICLES, article, schema_4_archive

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


def test_an_archive_migrated_to_22_says_its_index_is_to_be_rebuilt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Schema 22 adds to the search index: an archive a writer migrated (its index
    then unbuilt) is refused by reads in one line naming why, until the upgrade."""
    import sqlite3

    from centrasia_crawler.archive.morph import Morphology
    from centrasia_crawler.archive.schema import migrate
    from tests.helpers import older_archive

    path = older_archive(tmp_path / "a.sqlite", ARTICLES, 21)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "INSERT INTO archive_meta (key, value) VALUES ('morph_version', ?)",
        (Morphology.version(),),
    )  # an index of today's morphology, as a crawl at 21 left it
    migrate(conn)  # as a writer's open does
    conn.close()
    with pytest.raises(ArchiveNeedsUpgrade, match="to be rebuilt for this schema"):
        Archive.open(path, readonly=True)
    assert main(["kwic", "Жапаров", "--archive", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "to be rebuilt for this schema" in err, err
    assert "None" not in err
    assert main(["upgrade", "--archive", str(path)]) == 0
    capsys.readouterr()
    with Archive.open(path, readonly=True) as store:
        assert len(list(store.kwic("Жапаров", sort="right", limit=2))) == 2


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
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE articles SET title = title || '!' WHERE st = 1")
print("holding", flush=True)
sys.stdin.read()  # until the test closes our standard input
conn.execute("ROLLBACK")
"""

#: The issue's bound for a read while another process writes. A read that waited for
#: the writer would wait out a busy timeout (5 s for a reader, 30 s for a writer's
#: connection), then fail or go on: either is past this bound.
ANSWER_WITHIN = 2.0


def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


async def datasette_pages(path: Path, urls: list[str]) -> list[tuple[int, str, float]]:
    """Plain Datasette on the archive, in-process: each page's status, text and time
    (Datasette started first, so only the page is timed)."""
    from tests.helpers import close_datasette, datasette

    ds = datasette([path])
    try:
        await ds.invoke_startup()
        found = []
        for url in urls:
            started = time.monotonic()
            response = await ds.client.get(url)
            found.append((response.status_code, response.text, time.monotonic() - started))
    finally:
        close_datasette(ds)
    return found


DATASETTE_PAGES = [
    "/archive/articles.json?_search=%D0%96%D0%B0%D0%BF%D0%B0%D1%80%D0%BE%D0%B2&_shape=array",
    "/archive/trend_by_month.json?q=%D0%96%D0%B0%D0%BF%D0%B0%D1%80%D0%BE%D0%B2&_shape=array",
    "/archive",
]


@pytest.mark.slow  # a second process and the time bound
def test_reads_answer_while_another_process_holds_a_write_transaction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """search, count, kwic, trend, terms, coverage, stats, runs, export and Datasette's
    pages each answer within ANSWER_WITHIN while another process holds BEGIN IMMEDIATE
    (and has changed a title it has not committed); the archive's bytes and mtime stay."""
    pytest.importorskip("datasette")
    path = tmp_path / "archive.sqlite"  # Datasette's /archive
    with Archive.open(path) as store:
        store.write_batch([article(*row) for row in ARTICLES])
    for args in READS:  # the first read of a process loads the morphology: not timed
        assert main([*args, "--archive", str(path)]) == 0, capsys.readouterr()[1]
    capsys.readouterr()
    before = fingerprint(path)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(HOLD), str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        for args in READS:
            status, took = timed(lambda: main([*args, "--archive", str(path)]))  # noqa: B023
            assert status == 0, (args, capsys.readouterr()[1])
            assert took < ANSWER_WITHIN, f"{args} took {took:.1f} s beside the writer"
        out = capsys.readouterr()[0]
        assert "Садыр Жапаров подписал указ — " in out and "указ!" not in out  # not seen
        for url, (status, text, took) in zip(
            DATASETTE_PAGES, asyncio.run(datasette_pages(path, DATASETTE_PAGES)), strict=True
        ):
            assert status == 200, (url, text[:500])
            assert took < ANSWER_WITHIN, f"{url} took {took:.1f} s beside the writer"
            assert "указ!" not in text
        assert holder.poll() is None  # the writer still holds its transaction
        assert fingerprint(path) == before  # no read wrote a byte, nor touched the file
    finally:
        holder.communicate("")  # closing its standard input ends it
