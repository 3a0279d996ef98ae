"""Raw pages compressed with Zstandard dictionaries trained on the archive's own pages:
byte-identical reads, old zlib rows, centrasia compact, a kill half-way."""

from __future__ import annotations

import subprocess
import sys
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from centrasia_crawler.archive import Archive, RawPage
from centrasia_crawler.archive import pages as codec
from centrasia_crawler.archive.maintenance import NothingToCompact, compact
from centrasia_crawler.lock import ArchiveLock, LockHeld
from tests.crawling import centrasia, crawl
from tests.helpers import built_once
from tests.replica.server import serve


def stored(path: Path) -> tuple[list[str], int]:
    with Archive.open(path, readonly=True) as store:
        encodings = [e for (e,) in store.conn.execute("SELECT encoding FROM page_bodies")]
        total = store.conn.execute(
            "SELECT (SELECT sum(length(body)) FROM page_bodies)"
            " + (SELECT coalesce(sum(length(dict)), 0) FROM compression_dicts)"
        ).fetchone()[0]
    return encodings, total


@pytest.mark.slow
@pytest.mark.parametrize("markup", ["table", "div"])
def test_a_300_article_crawl_reads_back_byte_identical_and_small(
    markup: str, tmp_path: Path
) -> None:
    archive = tmp_path / "archive.sqlite"
    with serve(days=6, per_day=50, markup=markup) as replica:
        days = replica.site.day_list()
        crawl(replica, archive, f"since={days[-1]}", f"until={days[0]}")
        with Archive.open(archive, readonly=True) as store:
            pages = list(store.all_pages())
            for page in pages:
                parts = urlsplit(page.url)
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                assert page.body == replica.render(path), page.url
    assert len(pages) > 300
    encodings, total = stored(archive)
    assert set(encodings) == {"zstd:1"}  # trained once 200 pages were in, all recompressed
    warc = tmp_path / "archive.warc.gz"
    assert centrasia("export-warc", str(warc), "--archive", str(archive)).returncode == 0
    check = subprocess.run(
        [str(Path(sys.executable).parent / "warcio"), "check", str(warc)], capture_output=True
    )
    assert check.returncode == 0
    ratio = total / warc.stat().st_size
    print(f"{markup}: {total:,} bytes stored (dictionary included), {ratio:.3f} of WARC.gz")
    assert ratio <= 0.35  # issue 15's target


def page(n: int, body: bytes) -> RawPage:
    url = f"https://centrasia.org/newsA.php?st={1771000000 + n}"
    return RawPage(url, 200, {"Content-Type": ["text/html; charset=utf-8"]}, body, "t")


def bodies(count: int, start: int = 0) -> list[bytes]:
    layout = "<html><head><title>ЦентрАзия</title></head><body><div id=menu>" + "".join(
        f"<a href=/news{i}.php>Раздел {i}</a>" for i in range(40)
    )
    return [
        f"{layout}<h1>Статья {n}</h1><p>{'Текст статьи ' * (n % 7 + 3)}{n}</p></body>".encode()
        for n in range(start, start + count)
    ]


@pytest.fixture
def pages_300(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of the pages ``bodies(300)``, written in one batch (its dictionary 1
    trained on them): each test's own copy of one archive."""

    def build(into: Path) -> None:
        with Archive.open(into) as store:
            store.write_batch(pages=[page(n, b) for n, b in enumerate(bodies(300))])

    return built_once(tmp_path_factory, "pages-300.sqlite", build, tmp_path / "archive.sqlite")


def test_the_first_dictionary_is_trained_at_200_pages(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite"
    first = bodies(150)
    with Archive.open(path) as store:
        store.write_batch(pages=[page(n, b) for n, b in enumerate(first)])
        assert {e for (e,) in store.conn.execute("SELECT encoding FROM page_bodies")} == {"zstd"}
        more = bodies(100, start=150)
        store.write_batch(pages=[page(150 + n, b) for n, b in enumerate(more)])
        assert {e for (e,) in store.conn.execute("SELECT encoding FROM page_bodies")} == {"zstd:1"}
        back = [p.body for p in store.all_pages()]
    assert back == first + more


def test_bodies_written_with_zlib_before_schema_6_still_read(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite"
    old = bodies(3)
    with Archive.open(path) as store:  # as schema 5 wrote them: zlib, no dictionaries
        for n, body in enumerate(old):
            digest = f"{n:064x}"
            store.conn.execute(
                "INSERT INTO page_bodies (digest, encoding, size, body) VALUES (?, 'zlib', ?, ?)",
                (digest, len(body), zlib.compress(body, 6)),
            )
            store.conn.execute(
                "INSERT INTO pages (url, status, headers, fetched_at, digest)"
                " VALUES (?, 200, '{}', 't', ?)",
                (page(n, body).url, digest),
            )
    with Archive.open(path, readonly=True) as store:
        assert [p.body for p in store.all_pages()] == old


def test_dictionaries_are_stored_compressed_and_raw_ones_still_read(pages_300: Path) -> None:
    path, every = pages_300, bodies(300)
    with Archive.open(path, readonly=True) as store:
        (stored,) = store.conn.execute("SELECT dict FROM compression_dicts").fetchone()
    assert stored.startswith(codec.FRAME_MAGIC)
    raw = codec.unpack_dictionary(stored)
    assert raw.startswith(b"\x37\xa4\x30\xec") and len(raw) > len(stored)
    with Archive.open(path) as store:  # as schemas 6 to 8 stored it
        store.conn.execute("UPDATE compression_dicts SET dict = ?", (raw,))
    with Archive.open(path, readonly=True) as store:
        assert [p.body for p in store.all_pages()] == every


def test_compact_retrains_recompresses_and_drops_the_old_dictionary(pages_300: Path) -> None:
    path, every = pages_300, bodies(300)
    done = centrasia("compact", "--archive", str(path), "--vacuum")
    assert done.returncode == 0, done.stderr
    assert "300 pages:" in done.stdout and "dictionary 2" in done.stdout
    # what it is doing, then progress: a line every 5 s at most, and the last
    assert done.stderr.splitlines() == [
        "centrasia compact: training a dictionary on the newest 300 of 300 pages",
        "centrasia compact: 300 of 300 pages recompressed",
    ]
    with Archive.open(path, readonly=True) as store:
        assert [i for (i,) in store.conn.execute("SELECT id FROM compression_dicts")] == [2]
        assert {e for (e,) in store.conn.execute("SELECT encoding FROM page_bodies")} == {"zstd:2"}
        assert [p.body for p in store.all_pages()] == every


def test_compact_stopped_half_way_reads_and_finishes(
    pages_300: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, every = pages_300, bodies(300)
    monkeypatch.setattr(codec, "BATCH", 100)

    def killed(done: int, total: int) -> None:
        raise KeyboardInterrupt  # stopped after the first batch was committed

    with Archive.open(path) as store, pytest.raises(KeyboardInterrupt):
        codec.compact(store.conn, "t", killed)
    with Archive.open(path, readonly=True) as store:
        encodings = [e for (e,) in store.conn.execute("SELECT encoding FROM page_bodies")]
        assert sorted(set(encodings)) == ["zstd:1", "zstd:2"] and encodings.count("zstd:2") == 100
        assert [p.body for p in store.all_pages()] == every
        assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    done = centrasia("compact", "--archive", str(path))
    assert done.returncode == 0, done.stderr
    with Archive.open(path, readonly=True) as store:
        assert {e for (e,) in store.conn.execute("SELECT encoding FROM page_bodies")} == {"zstd:3"}
        assert [p.body for p in store.all_pages()] == every


def test_compact_of_an_archive_without_pages_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite"
    Archive.open(path).close()
    done = centrasia("compact", "--archive", str(path))
    assert done.returncode == 1
    assert done.stderr == "centrasia compact: 0 stored pages: too few to train a dictionary on\n"


def test_compact_is_a_library_call_under_the_lock(tmp_path: Path) -> None:
    """What `centrasia compact` prints comes from archive.maintenance, importable."""
    path = tmp_path / "archive.sqlite"
    Archive.open(path).close()
    with pytest.raises(NothingToCompact, match="0 stored pages: too few"):
        compact(path)
    every = bodies(100)
    with Archive.open(path) as store:
        store.write_batch(pages=[page(n, b) for n, b in enumerate(every)])
    with ArchiveLock(path), pytest.raises(LockHeld):
        compact(path)
    told: list[tuple[int, int]] = []
    report = compact(path, on_training=lambda samples, pages: told.append((samples, pages)))
    assert told == [(100, 100)] and report.pages == 100
    assert report.line().startswith(f"100 pages: {report.bytes_before:,} -> ")
    with Archive.open(path, readonly=True) as store:
        assert {e for (e,) in store.conn.execute("SELECT encoding FROM page_bodies")} == {
            f"zstd:{report.dict_id}"
        }
        assert [p.body for p in store.all_pages()] == every
