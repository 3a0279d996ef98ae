"""Raw pages, compressed with Zstandard and a dictionary trained on the archive's own pages.

Pages of one site share most of their bytes (layout, menus, sidebars), which a page
compressed on its own cannot see; a dictionary trained on the archive's pages holds
them once (the ``zstandard`` package, the reference bindings). The dictionaries live in
the archive (``compression_dicts``), so the file stays self-contained; a body's
``page_bodies.encoding`` names its method: ``zlib`` (bodies written before schema 6,
still read), ``zstd`` (no dictionary yet) or ``zstd:N`` (dictionary N).

The first dictionary is trained by the writer once the archive holds
:data:`TRAIN_AT` bodies, and the bodies stored so far are recompressed with it; as the
site changes, ``centrasia compact`` trains a new one and recompresses every body, in
batches, each one transaction (safe to kill: a body is either in its old form or its
new one, and both read).
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Callable
from typing import Any, Final

from centrasia_crawler.archive.transactions import immediate

#: Bodies in the archive when the first dictionary is trained.
TRAIN_AT: Final = 200
#: Bodies a dictionary is trained on, at most (the newest).
TRAIN_SAMPLES: Final = 5000
#: Bodies a dictionary is trained on, at least (fewer: no dictionary yet).
MIN_SAMPLES: Final = 20
#: Dictionary size: zstd's own default (``zstd --train``), or a tenth of the samples when
#: they are fewer than 1.1 MB. A dictionary is stored compressed (a trained one repeats
#: itself), and a larger one costs no time and stores pages smaller (docs/benchmarks.md).
DICT_SIZE: Final = 112_640
#: The first bytes of a Zstandard frame: a stored dictionary that is itself compressed
#: (archives of schema 6 to 8 hold them raw; a raw dictionary starts 37 A4 30 EC).
FRAME_MAGIC: Final = b"\x28\xb5\x2f\xfd"
#: Compression levels: a crawl writes at 15 (hardly larger than 19 and faster, so a fast
#: backfill keeps up; docs/benchmarks.md); recompressed bodies (the first training,
#: compact) at 19.
WRITE_LEVEL: Final = 15
LEVEL: Final = 19
#: Bodies recompressed per transaction.
BATCH: Final = 500


def _zstd() -> Any:
    import zstandard

    return zstandard


class Codec:
    """Compresses new bodies with the newest dictionary; reads every encoding."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._dicts: dict[int, Any] = {}
        self._compressors: dict[tuple[int | None, int], Any] = {}
        self._decompressors: dict[int | None, Any] = {}
        self.current = newest_dictionary(conn)

    def _dictionary(self, dict_id: int) -> Any:
        if dict_id not in self._dicts:
            row = self.conn.execute(
                "SELECT dict FROM compression_dicts WHERE id = ?", (dict_id,)
            ).fetchone()
            if row is None:
                raise ValueError(f"page body compressed with dictionary {dict_id}, not stored")
            self._dicts[dict_id] = _zstd().ZstdCompressionDict(unpack_dictionary(row[0]))
        return self._dicts[dict_id]

    def compress(
        self, body: bytes, dict_id: int | None = None, level: int = WRITE_LEVEL
    ) -> tuple[str, bytes]:
        """``(encoding, blob)`` with dictionary ``dict_id`` (default: the newest)."""
        dict_id = self.current if dict_id is None else dict_id
        if (dict_id, level) not in self._compressors:
            zstd = _zstd()
            # The dictionary's id is in page_bodies.encoding: not in every frame too.
            params = {"level": level, "write_content_size": True, "write_dict_id": False}
            if dict_id is not None:
                params["dict_data"] = self._dictionary(dict_id)
            self._compressors[dict_id, level] = zstd.ZstdCompressor(**params)
        blob = self._compressors[dict_id, level].compress(body)
        return ("zstd" if dict_id is None else f"zstd:{dict_id}"), blob

    def decompress(self, encoding: str, blob: bytes) -> bytes:
        if encoding == "zlib":
            return zlib.decompress(blob)
        if encoding == "identity":
            return bytes(blob)
        method, _, number = encoding.partition(":")
        if method != "zstd":
            raise ValueError(f"unknown page body encoding {encoding!r}")
        dict_id = int(number) if number else None
        if dict_id not in self._decompressors:
            zstd = _zstd()
            self._decompressors[dict_id] = (
                zstd.ZstdDecompressor(dict_data=self._dictionary(dict_id))
                if dict_id is not None
                else zstd.ZstdDecompressor()
            )
        return bytes(self._decompressors[dict_id].decompress(blob))


def pack_dictionary(trained: bytes) -> bytes:
    """A dictionary as stored: compressed."""
    return bytes(_zstd().ZstdCompressor(level=LEVEL).compress(trained))


def unpack_dictionary(stored: bytes) -> bytes:
    """A stored dictionary, compressed or (older archives) raw, as zstd reads it."""
    stored = bytes(stored)
    if stored.startswith(FRAME_MAGIC):
        return bytes(_zstd().ZstdDecompressor().decompress(stored))
    return stored


def newest_dictionary(conn: sqlite3.Connection) -> int | None:
    row = conn.execute("SELECT max(id) FROM compression_dicts").fetchone()
    return row[0] if row else None


def train(conn: sqlite3.Connection, codec: Codec, now: str) -> int | None:
    """Train a dictionary on the newest stored bodies and store it (in the caller's
    transaction); its id, or None when there are too few bodies to learn from."""
    samples = []
    for encoding, blob in conn.execute(
        "SELECT b.encoding, b.body FROM page_bodies b"
        " JOIN (SELECT digest, max(id) AS last FROM pages GROUP BY digest) p"
        " ON p.digest = b.digest ORDER BY p.last DESC LIMIT ?",
        (TRAIN_SAMPLES,),
    ):
        samples.append(codec.decompress(encoding, blob))
    if len(samples) < MIN_SAMPLES:
        return None
    total = sum(len(s) for s in samples)
    size = min(DICT_SIZE, total // 10)
    zstd = _zstd()
    try:
        trained = zstd.train_dictionary(size, samples, level=LEVEL)
    except zstd.ZstdError:  # samples too alike or too few to learn from
        return None
    cursor = conn.execute(
        "INSERT INTO compression_dicts (trained_at, samples, sample_bytes, dict)"
        " VALUES (?, ?, ?, ?)",
        (now, len(samples), total, pack_dictionary(trained.as_bytes())),
    )
    codec.current = cursor.lastrowid
    return codec.current


def recompress(
    conn: sqlite3.Connection,
    codec: Codec,
    dict_id: int,
    progress: Callable[[int, int], None] | None = None,
    in_transaction: bool = False,
) -> int:
    """Recompress every body not yet in dictionary ``dict_id``; the bodies rewritten.

    Outside a transaction (``centrasia compact``) each batch is its own, so a kill
    loses at most one batch of work; inside one (the writer's first training) it all
    goes in the caller's.
    """
    target = f"zstd:{dict_id}"
    total = conn.execute(
        "SELECT count(*) FROM page_bodies WHERE encoding != ?", (target,)
    ).fetchone()[0]
    done = 0
    after = 0  # rowid order, from where the last batch ended: each body is read once
    while True:
        rows = conn.execute(
            "SELECT rowid, digest, encoding, body FROM page_bodies"
            " WHERE rowid > ? AND encoding != ? ORDER BY rowid LIMIT ?",
            (after, target, BATCH),
        ).fetchall()
        if not rows:
            return done
        after = rows[-1][0]
        updates = []
        for _, digest, encoding, blob in rows:
            encoded, packed = codec.compress(codec.decompress(encoding, blob), dict_id, LEVEL)
            updates.append((encoded, packed, digest))
        with immediate(conn, nested=in_transaction):
            conn.executemany(
                "UPDATE page_bodies SET encoding = ?, body = ? WHERE digest = ?", updates
            )
        done += len(rows)
        if progress:
            progress(done, total)


def stored_bytes(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """``(bodies, their stored bytes, dictionaries' bytes)``."""
    bodies, stored = conn.execute(
        "SELECT count(*), coalesce(sum(length(body)), 0) FROM page_bodies"
    ).fetchone()
    dicts = conn.execute("SELECT coalesce(sum(length(dict)), 0) FROM compression_dicts").fetchone()[
        0
    ]
    return bodies, stored, dicts


def compact(
    conn: sqlite3.Connection, now: str, progress: Callable[[int, int], None] | None = None
) -> int | None:
    """Train a new dictionary on the newest bodies, recompress every body with it (a
    transaction per batch), then drop the dictionaries no body uses; the new
    dictionary's id, or None when there are too few bodies to train on."""
    codec = Codec(conn)
    with immediate(conn):
        dict_id = train(conn, codec, now)
    if dict_id is None:
        return None
    recompress(conn, codec, dict_id, progress)
    with immediate(conn):
        used = {
            int(e.partition(":")[2])
            for (e,) in conn.execute("SELECT DISTINCT encoding FROM page_bodies")
            if e.startswith("zstd:")
        }
        for (old,) in conn.execute("SELECT id FROM compression_dicts").fetchall():
            if old not in used and old != dict_id:
                conn.execute("DELETE FROM compression_dicts WHERE id = ?", (old,))
    return dict_id
