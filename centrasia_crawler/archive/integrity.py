"""Is the archive sound? ``centrasia check`` as the library does it, and how every
command recognises a damaged archive.

:func:`check` runs SQLite's ``PRAGMA quick_check`` (the b-trees' structure, in a time
proportional to the file), or with ``full`` its ``integrity_check`` (the indexes
against their tables too) and then the archive's own invariants: both full-text
indexes consistent, the exact-form one in step with the articles' text, every
article's revisions chained 1, 2, ... up to the one it holds, every article with a
stored page and every stored page with its body. Its result is kept in a file beside
the archive (``ARCHIVE.check``), where the metrics read it.

:func:`is_damage` tells an error of a damaged file (SQLite's ``SQLITE_CORRUPT`` and
``SQLITE_NOTADB``, and text that is no UTF-8) from every other: the command line
answers those in one line, whatever the command (centrasia_crawler.cli.common.DAMAGED).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

#: SQLite's primary result codes of a damaged file.
SQLITE_CORRUPT: Final = 11
SQLITE_NOTADB: Final = 26
#: What the errors of a damaged file say, when they carry no result code. The last is
#: Python's, reading a text that is no UTF-8: the archive stores only what Python
#: wrote, so such text is bytes overwritten.
DAMAGE_SIGNS: Final = (
    "database disk image is malformed",
    "malformed database schema",
    "file is not a database",
    "Could not decode to UTF-8",
)
#: How many of SQLite's own findings a check reports (it counts them all up to this).
FINDINGS: Final = 100


def is_damage(error: BaseException | None) -> bool:
    """Whether ``error``, or an error it was raised from or during, is SQLite saying
    the file is damaged or is no database."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, sqlite3.DatabaseError):
            code = getattr(error, "sqlite_errorcode", None)
            if code is not None and code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB):
                return True
            text = str(error)
            if any(sign in text for sign in DAMAGE_SIGNS):
                return True
        error = error.__cause__ or error.__context__
    return False


@dataclass
class CheckReport:
    path: str
    full: bool
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        what = "integrity_check and the archive's invariants" if self.full else "quick_check"
        if self.ok:
            return f"{self.path}: sound ({what}, {self.seconds:.1f} s)"
        shown = "; ".join(self.problems[:3])
        more = f" (+{len(self.problems) - 3} more)" if len(self.problems) > 3 else ""
        return (
            f"{self.path}: damaged, {len(self.problems)} problem"
            f"{'s' if len(self.problems) != 1 else ''} ({what}): {shown}{more};"
            " restore from a backup (docs/operations.md)"
        )


def _connect(path: str, *, write: bool) -> sqlite3.Connection:
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such archive")
    mode = "rw" if write else "ro"
    conn = sqlite3.connect(f"file:{path}?mode={mode}", uri=True, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def _sqlite_findings(conn: sqlite3.Connection, full: bool) -> list[str]:
    pragma = "integrity_check" if full else "quick_check"
    rows = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}({FINDINGS})")]
    return [] if rows == ["ok"] else rows


#: The archive's invariants: (what a failure means, a query counting the rows breaking it).
INVARIANTS: Final = (
    (
        "articles whose revisions are not chained 1..n-1",
        "SELECT count(*) FROM articles a WHERE a.revision - 1 !="
        " (SELECT count(*) FROM article_revisions r"
        "  WHERE r.st = a.st AND r.revision BETWEEN 1 AND a.revision - 1)"
        " OR EXISTS (SELECT 1 FROM article_revisions r"
        "  WHERE r.st = a.st AND r.revision NOT BETWEEN 1 AND a.revision - 1)",
    ),
    (
        "revisions of no article",
        "SELECT count(*) FROM article_revisions r"
        " WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.st = r.st)",
    ),
    (
        "articles without a stored page",
        "SELECT count(*) FROM articles a"
        " WHERE NOT EXISTS (SELECT 1 FROM pages p WHERE p.st = a.st)",
    ),
    (
        "stored pages without their body",
        "SELECT count(*) FROM pages p"
        " WHERE NOT EXISTS (SELECT 1 FROM page_bodies b WHERE b.digest = p.digest)",
    ),
    (
        "articles missing from the exact-form index",
        "SELECT count(*) FROM articles a"
        " WHERE NOT EXISTS (SELECT 1 FROM articles_fts_docsize d WHERE d.id = a.st)",
    ),
    (
        "exact-form index entries of no article",
        "SELECT count(*) FROM articles_fts_docsize d"
        " WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.st = d.id)",
    ),
    (
        "morphological index entries of no article",
        "SELECT count(*) FROM articles_morph_docsize d"
        " WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.st = d.id)",
    ),
)

#: FTS5's own checks, run in a transaction that is rolled back (FTS5 takes them as
#: writes): the exact-form index against the articles' text (rank 1), the
#: morphological one's structure (its terms are lemmas, not the text's words).
FTS_CHECKS: Final = (
    (
        "the exact-form index is out of step with the articles' text",
        "INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)",
    ),
    (
        "the morphological index is inconsistent",
        "INSERT INTO articles_morph (articles_morph) VALUES ('integrity-check')",
    ),
)


def _invariants(conn: sqlite3.Connection) -> list[str]:
    from centrasia_crawler.archive import entity_articles

    problems = []
    for what, query in INVARIANTS:
        count = int(conn.execute(query).fetchone()[0])
        if count:
            problems.append(f"{count:,} {what}")
    count = entity_articles.differing(conn)
    if count == 1:
        problems.append("1 entity whose list of articles differs from its tags")
    elif count:
        problems.append(f"{count:,} entities whose lists of articles differ from their tags")
    conn.execute("BEGIN")
    try:
        for what, statement in FTS_CHECKS:
            try:
                conn.execute(statement)
            except sqlite3.DatabaseError as exc:
                if not is_damage(exc):
                    raise
                problems.append(what)
    finally:
        conn.execute("ROLLBACK")
    return problems


def check(path: str | Path, *, full: bool = False, record: bool = True) -> CheckReport:
    """Check the archive at ``path`` (see the module's description); with ``record``,
    keep the result beside it (:func:`last_check` reads it).

    A file that is no SQLite database, or whose damage stops the check itself, is
    reported damaged, not raised; a missing file raises :class:`FileNotFoundError`, a
    busy one :class:`sqlite3.OperationalError`."""
    path = str(path)
    started = time.monotonic()
    report = CheckReport(path, full)
    conn = _connect(path, write=full)
    try:
        try:
            report.problems = _sqlite_findings(conn, full)
            if full and report.ok:
                report.problems = _invariants(conn)
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            report.problems = [str(exc)]
    finally:
        conn.close()
    report.seconds = time.monotonic() - started
    if record:
        _record(path, report)
    return report


def state_file(path: str | Path) -> Path:
    """Where the last check of the archive at ``path`` is kept: beside it, not in it
    (a damaged file is never written to)."""
    return Path(f"{path}.check")


def _record(path: str, report: CheckReport) -> None:
    """Keep the check's result beside the archive (replaced at once, never half
    written); a directory that takes no file keeps none."""
    target = state_file(path)
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    state = {
        "checked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "ok": report.ok,
        "full": report.full,
        "line": report.line(),
    }
    try:
        partial.write_text(json.dumps(state, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(partial, target)
    except OSError:
        partial.unlink(missing_ok=True)


def last_check(path: str | Path) -> dict[str, Any] | None:
    """The last check's result kept beside the archive (``checked_at``, ``ok``,
    ``full``, ``line``), or None when none was kept or it cannot be read."""
    try:
        state = json.loads(state_file(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and "ok" in state else None


def refuse_damaged(path: str | Path, say: Callable[[str], None] | None = None) -> None:
    """Raise :class:`Damaged` unless ``PRAGMA quick_check`` passes (``upgrade`` runs
    this first: it never rewrites a damaged archive)."""
    if say is not None:
        say(f"centrasia: checking {path} (quick_check) first")
    report = check(path, record=False)
    if not report.ok:
        raise Damaged(report.line())


class Damaged(sqlite3.DatabaseError):
    """The archive is damaged (:func:`is_damage` knows it)."""

    sqlite_errorcode = SQLITE_CORRUPT


#: The storage metrics beside the runs' (centrasia_crawler.archive.runs.RUN_METRICS):
#: name and help, in order (values: :func:`storage_metrics`).
STORAGE_METRICS: Final = (
    ("centrasia_archive_size_bytes", "Bytes of the archive file and its write-ahead log."),
    (
        "centrasia_archive_free_bytes",
        "Bytes free for this user on the archive's file system.",
    ),
    (
        "centrasia_archive_readable",
        "1 if this file was written from the archive, 0 if reading it met damage.",
    ),
    (
        "centrasia_check_ok",
        "1 if the last `centrasia check` found the archive sound, 0 damaged, -1 never run.",
    ),
    ("centrasia_check_timestamp_seconds", "When the last `centrasia check` ran (0: never)."),
    (
        "centrasia_last_backup_timestamp_seconds",
        "When the last `centrasia backup` of the archive was made (0: none recorded).",
    ),
)


def storage_metrics(
    path: str | Path, conn: sqlite3.Connection | None
) -> list[tuple[str, str, float]]:
    """The archive's size, the free space beside it, its last check and backup:
    ``(name, help, value)`` as :data:`STORAGE_METRICS`. ``conn`` None: reading the
    archive met damage (what needs no reading is still told)."""
    from centrasia_crawler.archive import meta

    path = Path(path)
    size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    fs = os.statvfs(path.parent if str(path.parent) else ".")
    state = last_check(path)
    backup = meta.get(conn, meta.BACKUP_AT) if conn is not None else None
    values = {
        "centrasia_archive_size_bytes": float(size),
        "centrasia_archive_free_bytes": float(fs.f_bavail * fs.f_frsize),
        "centrasia_archive_readable": 0.0 if conn is None else 1.0,
        "centrasia_check_ok": -1.0 if state is None else 1.0 if state["ok"] else 0.0,
        "centrasia_check_timestamp_seconds": _timestamp(state and state.get("checked_at")),
        "centrasia_last_backup_timestamp_seconds": _timestamp(backup),
    }
    return [(name, text, values[name]) for name, text in STORAGE_METRICS]


def _timestamp(stamp: object) -> float:
    try:
        return dt.datetime.fromisoformat(str(stamp)).timestamp() if stamp else 0.0
    except ValueError:
        return 0.0
