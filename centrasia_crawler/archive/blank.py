"""A new archive file, written whole from a blank made once per process.

A new archive is the schema (some 290 statements: tables, search indexes, the summary
tables' triggers) and the package's gazetteer (about 2,300 rows), with the search
index, the tags and the stories marked up to date. Making that costs tens of
milliseconds each time; a process that makes many archives (a test suite, a
researcher's script of scratch archives) makes it once, in memory, by the same calls
that upgrade any archive (:func:`~centrasia_crawler.archive.schema.migrate`,
``build_index``, ``build_tags``, ``build_stories``), and writes its bytes to each new
file. Nothing else differs: an archive begun this way is the one those calls would
have made in the file (``tests/test_archive.py`` compares the two, row by row).

The file appears whole or not at all: the bytes go to a temporary file beside it,
which is then hard-linked to the name (a link never replaces a file). Where the name
exists meanwhile, or the file system cannot link, nothing is written and the caller
makes the archive in place, upgrade by upgrade.
"""

from __future__ import annotations

import os
import sqlite3
from functools import lru_cache
from pathlib import Path

from centrasia_crawler.archive.morph import build_index
from centrasia_crawler.archive.schema import fold, migrate
from centrasia_crawler.archive.stories import build_stories
from centrasia_crawler.archive.tagging import build_tags


@lru_cache(maxsize=1)
def blank_bytes() -> bytes:
    """The bytes of a new, empty archive at this version (made on the first call)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.create_function("fold", 1, fold, deterministic=True)
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
        build_index(conn)
        build_tags(conn)
        build_stories(conn)
        conn.execute("VACUUM")
        return conn.serialize()
    finally:
        conn.close()


def create(path: str) -> bool:
    """Write a new archive at ``path``, which must not exist; whether it did. False
    (nothing written, nothing left behind) when ``path`` exists by then or the file
    system refuses a hard link."""
    data = blank_bytes()
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.new")
    try:
        # 0o644 less the umask: the mode SQLite gives the files it makes.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.link(temporary, target)
    except OSError:
        return False
    finally:
        temporary.unlink(missing_ok=True)
    return True
