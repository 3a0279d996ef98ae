"""Operating: ``serve`` (the archive in Datasette), ``runs`` (the crawl runs, for a person
and for monitoring)."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from centrasia_crawler.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Failure,
    archive_option,
    json_option,
    open_archive,
)


@click.command()
@archive_option()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
def serve(archive: str, host: str, port: int) -> int:
    """Serve the archive read-only with Datasette: described tables, facets on source
    and date, full-text search, canned queries.

    Example:

    \b
        centrasia serve --port 8001     (then open http://127.0.0.1:8001/)
    """
    from centrasia_crawler.serve import serve as serve_archive

    with tempfile.TemporaryDirectory() as tmp:
        try:
            return serve_archive(Path(archive), host, port, Path(tmp))
        except RuntimeError as exc:
            raise Failure(str(exc)) from None


@click.command()
@archive_option()
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Runs.")
@json_option
@click.option(
    "--fresh",
    type=click.FloatRange(min=0, min_open=True),
    metavar="HOURS",
    help="Only check: exit 1 unless a run ended ok within HOURS.",
)
@click.option(
    "--metrics",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Write node_exporter textfile metrics to FILE (atomically), print nothing.",
)
def runs(archive: str, limit: int, as_json: bool, fresh: float | None, metrics: str | None) -> int:
    """The recent crawl runs, newest first: mode, start, duration, requests, new and
    changed articles, errors, outcome and its first reason.

    --fresh is the check a monitoring system runs (Nagios, systemd OnFailure=, cron
    MAILTO): one line, exit 1 when the last run that ended ok is older than HOURS or
    there is none. --metrics writes the Prometheus node_exporter textfile format.

    Examples:

    \b
        centrasia runs --limit 5
        centrasia runs --fresh 2 || echo 'no good crawl for two hours'
        centrasia runs --metrics /var/lib/node_exporter/textfile/centrasia.prom
    """
    from centrasia_crawler.archive.queries import last_ok_run, metrics_text, run_metrics
    from centrasia_crawler.archive.queries import runs as recent_runs

    with open_archive(archive) as store:
        if metrics:
            _write_atomically(Path(metrics), metrics_text(run_metrics(store)))
        if fresh is not None:
            return _check_fresh(last_ok_run(store), fresh)
        if metrics:
            return EXIT_OK
        found = recent_runs(store, limit)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=1))
    elif not found:
        click.echo("no crawl runs recorded in this archive")
    else:
        click.echo(_runs_table(found))
    return EXIT_OK


def _check_fresh(run: dict[str, Any] | None, hours: float) -> int:
    if run is None:
        raise Failure("no crawl run has ended ok", EXIT_FAILED)
    ended = dt.datetime.fromisoformat(run["finished_at"])
    age = (dt.datetime.now(dt.UTC) - ended).total_seconds() / 3600
    line = f"the last ok run (#{run['id']}) ended {age:.1f} hours ago, at {run['finished_at']}"
    if age > hours:
        raise Failure(f"{line}: older than {hours:g} hours", EXIT_FAILED)
    click.echo(f"ok: {line}")
    return EXIT_OK


def _write_atomically(path: Path, text: str) -> None:
    """Write beside ``path`` then rename, so a reader never sees half a file."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise Failure(f"cannot write {path}: {exc.strerror or exc}") from None


def _runs_table(found: list[dict[str, Any]]) -> str:
    def duration(seconds: float | None) -> str:
        if seconds is None:
            return "-"
        minutes, second = divmod(int(seconds), 60)
        return f"{minutes // 60}:{minutes % 60:02d}:{second:02d}"

    header = ("run", "mode", "started (UTC)", "took", "requests", "new", "changed", "errors")
    rows = [
        (
            str(r["id"]),
            r["mode"],
            r["started_at"][:19].replace("T", " "),
            duration(r["seconds"]),
            str(r["requests"]),
            str(r["new_articles"]),
            str(r["changed_articles"]),
            str(r["errors"]),
        )
        for r in found
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True)) + "  outcome"]
    for row, r in zip(rows, found, strict=True):
        cells = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        reason = f": {r['reason']}" if r["reason"] else ""
        lines.append(f"{cells}  {r['outcome']}{reason}")
    return "\n".join(lines)


COMMANDS = (serve, runs)
