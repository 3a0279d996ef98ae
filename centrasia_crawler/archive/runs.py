"""The crawl runs as stored: their rows, the run going on, and the node_exporter metrics."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import TYPE_CHECKING, Any, Final

from centrasia_crawler.archive import listed
from centrasia_crawler.lock import holder

if TYPE_CHECKING:
    from centrasia_crawler.archive.store import Archive


#: A run's row as ``centrasia runs`` shows it.
RUN_FIELDS: Final = (
    "id",
    "mode",
    "started_at",
    "finished_at",
    "seconds",
    "requests",
    "new_articles",
    "changed_articles",
    "errors",
    "retries",
    "http_errors",
    "outcome",
    "reason",
)


def runs(archive: Archive, limit: int | None = 20) -> list[dict[str, Any]]:
    """The crawl runs, newest first: counters, duration, outcome and the first reason.

    The outcome of a run with no end recorded is ``running`` while its process holds
    the archive's lock, else ``killed`` (its counters show what it wrote, batch by
    batch, until it died)."""
    rows = archive.conn.execute(
        "SELECT id, mode, started_at, finished_at, requests, new_articles, changed_articles,"
        " errors, retries, http_errors, outcome, outcome_reasons, finish_reason, pid"
        " FROM crawl_runs ORDER BY id DESC LIMIT ?",
        (-1 if limit is None else limit,),
    ).fetchall()
    running = holder(archive.path)
    found = []
    for row in rows:
        run = dict(zip(RUN_FIELDS[:4] + RUN_FIELDS[5:12], row[:11], strict=True))
        reasons = json.loads(row[11] or "[]")
        run["seconds"] = (
            round(_utc(run["finished_at"]) - _utc(run["started_at"]), 1)
            if run["finished_at"]
            else None
        )
        if not run["finished_at"]:
            run["outcome"] = "running" if running is not None and row[13] == running else "killed"
        run["outcome"] = run["outcome"] or "failed"
        run["reason"] = reasons[0] if reasons else (None if run["outcome"] == "ok" else row[12])
        if run["outcome"] in ("running", "killed"):
            run["reason"] = None
        found.append({name: run[name] for name in RUN_FIELDS})
    return found


def run_in_progress(archive: Archive) -> dict[str, Any] | None:
    """The run going on now (its process holds the archive's lock), if any."""
    pid = holder(archive.path)
    if pid is None:
        return None
    row = archive.conn.execute(
        "SELECT max(id) FROM crawl_runs WHERE finished_at IS NULL AND pid = ?", (pid,)
    ).fetchone()
    return archive.run(row[0]) if row[0] is not None else None


def last_finished_run(archive: Archive) -> dict[str, Any] | None:
    """The newest run that ended (ok or failed); runs going on or killed do not count."""
    row = archive.conn.execute(
        "SELECT max(id) FROM crawl_runs WHERE finished_at IS NOT NULL"
    ).fetchone()
    return archive.run(row[0]) if row[0] is not None else None


def last_ok_run(archive: Archive) -> dict[str, Any] | None:
    """The newest run whose outcome was ``ok``."""
    row = archive.conn.execute(
        "SELECT max(id) FROM crawl_runs WHERE outcome = 'ok' AND finished_at IS NOT NULL"
    ).fetchone()
    return archive.run(row[0]) if row[0] is not None else None


def _utc(stamp: str) -> float:
    """Seconds since the epoch of a stored UTC time."""
    return dt.datetime.fromisoformat(stamp).timestamp()


#: The node_exporter textfile metrics: name and help, in order (values: run_metrics).
RUN_METRICS: Final = (
    ("centrasia_run_in_progress", "1 while a crawl run holds the archive's lock, else 0."),
    (
        "centrasia_last_ok_run_timestamp_seconds",
        "End of the newest crawl run whose outcome was ok (0: none).",
    ),
    (
        "centrasia_last_ok_run_age_seconds",
        "Seconds since the newest ok crawl run ended (-1: none ever did).",
    ),
    (
        "centrasia_last_run_ok",
        "1 if the newest crawl run that ended was ok, else 0 (runs going on do not count).",
    ),
    (
        "centrasia_last_run_layout_drift",
        "1 if the newest crawl run that ended failed on layout drift, else 0.",
    ),
    ("centrasia_last_run_timestamp_seconds", "End of the newest crawl run that ended (0: none)."),
    ("centrasia_last_run_errors", "Errors of the newest crawl run that ended."),
    ("centrasia_last_run_retries", "Requests the newest crawl run that ended retried."),
    (
        "centrasia_last_run_http_errors",
        "HTTP error answers (4xx, 5xx, retried ones too) of the newest crawl run that ended.",
    ),
    (
        "centrasia_last_run_new_articles",
        "Articles the newest crawl run that ended stored for the first time.",
    ),
    ("centrasia_articles", "Articles in the archive."),
    (
        "centrasia_listed_but_missing",
        "Articles listed on the site's pages but not archived, robots.txt refusals aside.",
    ),
    (
        "centrasia_robots_forbidden",
        "Articles listed but not archived because the site's robots.txt forbids them.",
    ),
)


def run_metrics(archive: Archive, now: float | None = None) -> list[tuple[str, str, float]]:
    """The node_exporter textfile metrics: ``(name, help, value)``, as :data:`RUN_METRICS`.

    The last run's figures are those of the newest run that *ended*: a backfill going
    on for hours is ``centrasia_run_in_progress``, not a failure.
    """
    now = time.time() if now is None else now
    last = last_finished_run(archive)
    ok = last_ok_run(archive)
    lacking = listed.totals(archive.conn)
    drift = any("layout drift" in r for r in (last or {}).get("outcome_reasons", ()))

    def of_last(name: str) -> float:
        return float(last[name]) if last else 0.0

    values = {
        "centrasia_run_in_progress": 1.0 if run_in_progress(archive) else 0.0,
        "centrasia_last_ok_run_timestamp_seconds": _utc(ok["finished_at"]) if ok else 0.0,
        "centrasia_last_ok_run_age_seconds": (
            float(round(now - _utc(ok["finished_at"]))) if ok else -1.0
        ),
        "centrasia_last_run_ok": 1.0 if last and last["outcome"] == "ok" else 0.0,
        "centrasia_last_run_layout_drift": 1.0 if drift else 0.0,
        "centrasia_last_run_timestamp_seconds": _utc(last["finished_at"]) if last else 0.0,
        "centrasia_last_run_errors": of_last("errors"),
        "centrasia_last_run_retries": of_last("retries"),
        "centrasia_last_run_http_errors": of_last("http_errors"),
        "centrasia_last_run_new_articles": of_last("new_articles"),
        "centrasia_articles": float(archive.table_count("articles")),
        "centrasia_listed_but_missing": float(lacking["missing"]),
        "centrasia_robots_forbidden": float(lacking["forbidden"]),
    }
    return [(name, text, values[name]) for name, text in RUN_METRICS]
