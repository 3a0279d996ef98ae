"""Operating: ``doctor`` (a first look at the site), ``serve`` (the archive in Datasette),
``runs`` (the crawl runs, for a person and for monitoring), ``compact``, ``backup``
and ``prune`` (keeping the archive for years)."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path
from typing import Any

import click

from centrasia_crawler.cli.common import (
    EXIT_FAILED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_USAGE,
    Failure,
    archive_option,
    damaged,
    error_line,
    open_archive,
    output_form,
    output_options,
    progress_printer,
    write_output,
)
from centrasia_crawler.lock import ArchiveLock, LockHeld
from centrasia_crawler.options import OptionError, check_root


@click.command()
@archive_option()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
@click.option(
    "--immutable",
    is_flag=True,
    help="Serve the file as one that never changes, with counts computed first; refused"
    " while a run holds the archive's lock. Never while a crawl may write it.",
)
@click.option(
    "--chart-workers",
    type=click.IntRange(0, 64),
    metavar="N",
    help="Processes that compute and draw the charts and entity pages, beside the"
    " server's own (0: on the server's threads).  [default: one per core]",
)
def serve(archive: str, host: str, port: int, immutable: bool, chart_workers: int | None) -> int:
    """Serve the archive read-only with Datasette: the articles newest first, search
    ranked as 'centrasia search' with highlighted snippets, canned queries, and charts
    (attention, coverage, sources). Plain 'datasette ARCHIVE' shows the same (the
    package's Datasette plugin carries it), with Datasette's default settings unless
    given the ones serve passes: page size, time limit, rows (docs/datasette.md).

    --immutable is for a copy no crawl writes (a backup, a frozen snapshot): Datasette
    then takes no locks and shows precomputed counts, but a file written under it looks
    corrupt to it until it restarts.

    Example:

    \b
        centrasia serve --port 8001     (then open http://127.0.0.1:8001/)
        (a chart: http://127.0.0.1:8001/archive/-/attention?q=Казахстан&q=Кыргызстан)
    """
    from centrasia_crawler.serve import serve as serve_archive

    try:
        return serve_archive(
            Path(archive), host, port, immutable=immutable, chart_workers=chart_workers
        )
    except RuntimeError as exc:
        raise Failure(str(exc)) from None


@click.command()
@archive_option()
@output_options(limit=(20, 1, "Runs."))
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
    help="Write node_exporter textfile metrics to FILE (atomically, mode 0644), print nothing.",
)
def runs(archive: str, limit: int, as_json: bool, fresh: float | None, metrics: str | None) -> int:
    """The recent crawl runs, newest first: mode, start, duration, requests, retries,
    new and changed articles, errors, outcome and its first reason. The outcome is ok,
    failed, running (its process holds the archive's lock) or killed (it never ended;
    its counters show what it wrote). Below the table, each problem the runs recorded
    (a page not fetched, a line not read, an item dropped): its kind, URL and reason.

    --fresh is the check a monitoring system runs (Nagios, systemd OnFailure=, cron
    MAILTO): one line, exit 1 when the last run that ended ok is older than HOURS or
    there is none. --metrics writes the Prometheus node_exporter textfile format
    (the runs, the archive's size and free space, its last check and backup), readable
    by all whatever the umask; an archive too damaged to read still gets a file saying
    so (centrasia_archive_readable 0), and exit 2.

    Examples:

    \b
        centrasia runs --limit 5
        centrasia runs --fresh 2 || echo 'no good crawl for two hours'
        centrasia runs --metrics /var/lib/prometheus/node-exporter/centrasia.prom
    """
    from centrasia_crawler.archive.runs import last_ok_run
    from centrasia_crawler.archive.runs import runs as recent_runs

    if metrics:
        _write_metrics(archive, Path(metrics))
        if fresh is None:
            return EXIT_OK
    with open_archive(archive) as store:
        if fresh is not None:
            return _check_fresh(last_ok_run(store), fresh)
        found = recent_runs(store, limit)
        problems = {} if as_json else _problems(store, found)
    if not found and not as_json:
        click.echo("no crawl runs recorded in this archive")
    else:
        write_output(found, output_form(as_json), table=_runs_table)
        for run_id, recorded in problems.items():
            click.echo(f"\nproblems of run {run_id} ({len(recorded)}):")
            for problem in recorded:
                kind, url, reason = (problem.get(k) or "" for k in ("kind", "url", "reason"))
                click.echo(f"  [{kind}] {url}: {reason}")
    return EXIT_OK


def _problems(store: Any, found: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """The problems each run recorded (crawl_runs.problems), newest run first; the runs
    without any left out."""
    recorded = {}
    for run in found:
        row = store.run(int(run["id"]))
        if row and row.get("problems"):
            recorded[int(run["id"])] = list(row["problems"])
    return recorded


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


def _metrics_text(metrics: list[tuple[str, str, float]]) -> str:
    """The Prometheus text exposition format, every metric a gauge."""
    lines = []
    for name, help_text, value in metrics:
        shown = f"{value:.0f}" if value.is_integer() else repr(value)
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {shown}"]
    return "\n".join(lines) + "\n"


def _write_metrics(archive: str, path: Path) -> None:
    """The runs' and the storage's metrics to ``path``. An archive too damaged to read
    still gets a file (its size, the free space, ``centrasia_archive_readable 0``), so
    that the alerts see it, and then the damage is raised as it was met."""
    from centrasia_crawler.archive.integrity import storage_metrics
    from centrasia_crawler.archive.runs import run_metrics

    try:
        with open_archive(archive) as store:
            found = run_metrics(store) + storage_metrics(archive, store.conn)
    except (Failure, sqlite3.DatabaseError) as exc:
        if damaged(exc) and Path(archive).exists():
            _write_atomically(path, _metrics_text(storage_metrics(archive, None)))
        raise
    _write_atomically(path, _metrics_text(found))


#: The mode of the metrics file, whatever the umask: node_exporter, another user, reads it.
METRICS_MODE = 0o644


def _write_atomically(path: Path, text: str) -> None:
    """Write beside ``path`` then rename, so a reader never sees half a file; the file
    is left readable by all (:data:`METRICS_MODE`), as node_exporter's textfile
    collector needs."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, METRICS_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fd, METRICS_MODE)  # the umask took bits off at creation
            fh.write(text)
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

    header = (
        "run",
        "mode",
        "started (UTC)",
        "took",
        "requests",
        "retries",
        "new",
        "changed",
        "errors",
    )
    rows = [
        (
            str(r["id"]),
            r["mode"],
            r["started_at"][:19].replace("T", " "),
            duration(r["seconds"]),
            str(r["requests"]),
            str(r["retries"]),
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


#: Where fixture pairs of the real site live; each is a test (tests/test_captured.py).
CAPTURED = Path("tests/fixtures/captured")


@click.command()
@click.option("--root", metavar="URL", help="The site to probe (default: the live site).")
@click.option(
    "--save",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Keep every page read as a fixture pair (NAME.http, NAME.json) in DIR.",
)
@click.option(
    "--update",
    is_flag=True,
    help="No requests: re-read the pairs in DIR (--save, default tests/fixtures/captured),"
    " show each difference, rewrite their JSON.",
)
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds between requests (default: the crawl's DOWNLOAD_DELAY).",
)
def doctor(root: str | None, save: str | None, update: bool, delay: float | None) -> int:
    """A polite first look at the site, in one screen: robots.txt, the index, the RSS
    feed, the archive calendar, the newest day and three of its articles (at most 12
    requests, robots.txt obeyed). One line per page, then the verdict: 'ok', or one
    line per problem and exit 1.

    --save DIR turns what was read into fixture pairs: under tests/fixtures/captured/
    each becomes a regression test. After extraction changes, --update shows how each
    pair reads now and rewrites its JSON.

    Examples:

    \b
        centrasia doctor
        centrasia doctor --save tests/fixtures/captured/2026-11-25
        centrasia doctor --update --save tests/fixtures/captured
    """
    if update:
        return _update_pairs(Path(save) if save else CAPTURED)
    from centrasia_crawler import settings
    from centrasia_crawler.doctor import Doctor, save_pair, urllib_fetch

    try:
        site = check_root(root or settings.CENTRASIA_ROOT_URL)
    except OptionError as exc:
        raise Failure(str(exc)) from None
    fetch = urllib_fetch(settings.USER_AGENT, settings.DOWNLOAD_TIMEOUT, settings.DOWNLOAD_MAXSIZE)
    probe = Doctor(
        site, fetch, settings.USER_AGENT, settings.DOWNLOAD_DELAY if delay is None else delay
    )
    report = probe.run(lambda finding: click.echo(finding.line()))
    if save:
        try:
            kept = [p for f in report.findings if (p := save_pair(Path(save), f))]
        except OSError as exc:
            raise Failure(f"cannot write to {save}: {exc.strerror or exc}") from None
        click.echo(f"{len(kept)} fixture pairs written to {save}")
    if report.problems:
        for problem in report.problems:
            click.echo(f"centrasia doctor: {problem}", err=True)
        return EXIT_FAILED
    click.echo(f"ok: {report.requests} requests, everything read")
    return EXIT_OK


def _update_pairs(directory: Path) -> int:
    from centrasia_crawler.fixture_pairs import pairs, update_pair

    if not directory.is_dir():
        raise Failure(f"no fixture pairs: {directory} is not a directory")
    found = changed = 0
    unreadable = []
    for path in pairs(directory):
        found += 1
        diff, readable = update_pair(path)
        if diff:
            click.echo(diff, nl=False)
            changed += readable
            if not readable:
                unreadable.append(path)
    click.echo(f"{found} fixture pairs, {changed} rewritten")
    for path in unreadable:
        click.echo(f"centrasia doctor: {path}: the page cannot be read any more; kept", err=True)
    return EXIT_FAILED if unreadable else EXIT_OK


@click.command()
@archive_option()
@click.option("--vacuum", is_flag=True, help="Then VACUUM, returning the freed space to the disk.")
def compact(archive: str, vacuum: bool) -> int:
    """Train a new compression dictionary on the archive's newest pages and recompress
    every stored page with it (Zstandard), with progress; safe to stop and re-run.

    Pages are compressed with a dictionary trained on the site's own pages (the first
    one once 200 pages are stored); as the site's layout changes, compacting keeps the
    archive small. Takes the archive's lock: it never runs beside a crawl.

    Example:

    \b
        centrasia compact --vacuum
    """
    from centrasia_crawler.archive.maintenance import NothingToCompact
    from centrasia_crawler.archive.maintenance import compact as compact_archive

    def training(samples: int, pages: int) -> None:
        click.echo(
            f"centrasia compact: training a dictionary on the newest {samples:,} of {pages:,}"
            " pages",
            err=True,
        )

    progress = progress_printer("compact", "pages recompressed")
    try:
        report = compact_archive(archive, vacuum=vacuum, on_training=training, progress=progress)
    except LockHeld as exc:
        raise Failure(str(exc), EXIT_LOCKED) from None
    except NothingToCompact as exc:
        raise Failure(str(exc), EXIT_FAILED) from None
    except (sqlite3.Error, OSError) as exc:
        raise Failure(f"cannot compact {archive}: {exc}") from None
    click.echo(report.line())
    return EXIT_OK


@click.command()
@click.argument("dest", type=click.Path(), metavar="DEST")
@archive_option()
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    metavar="N",
    help="DEST a directory: keep only the newest N dated copies of this archive there.",
)
def backup(dest: str, archive: str, keep: int | None) -> int:
    """Copy the archive to DEST, consistent even while a crawl writes to it, checked
    (integrity_check, row counts), then renamed into place: a half-written copy is
    never left under DEST's name. DEST a directory: a dated copy goes there
    (archive-YYYYMMDDTHHMMSSZ.sqlite), and --keep N removes all but the newest N.

    It uses SQLite's online backup API from one read transaction: the copy is the
    archive as it stood between two of the crawl's batches, and the crawl is never
    held up. To restore: stop the timers, copy the backup over the archive (no -wal
    file beside it), start them again; docs/operations.md has the drill.

    Exit status: 0 done; 1 the copy failed its checks (nothing left at DEST); 2 usage.

    Examples:

    \b
        centrasia backup /var/backups/centrasia --keep 7
        centrasia backup /mnt/usb/archive.sqlite
    """
    from centrasia_crawler.archive.backup import BackupError
    from centrasia_crawler.archive.backup import backup as backup_archive

    try:
        report = backup_archive(archive, dest, keep=keep)
    except BackupError as exc:
        raise Failure(str(exc), EXIT_FAILED) from None
    click.echo(f"centrasia backup: {report.line()}")
    return EXIT_OK


@click.command()
@archive_option()
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=1),
    default=90,
    show_default=True,
    metavar="DAYS",
    help="Prune what was fetched or run more than DAYS days ago.",
)
@click.option("--vacuum", is_flag=True, help="Then VACUUM, returning the freed space to the disk.")
def prune(archive: str, days: int, vacuum: bool) -> int:
    """Drop what the hourly crawl stores over and over: index, day, calendar and feed
    pages fetched more than DAYS ago, keeping the newest fetch of each URL on each day
    (what the site listed on any day stays provable), and runs older than DAYS (but
    those a kept page refers to, or holding a URL's latest problem). Article pages are
    never pruned; coverage's answers do not change. Takes the archive's lock: it never
    runs beside a crawl.

    Example:

    \b
        centrasia prune --older-than 90
    """
    from centrasia_crawler.archive.maintenance import prune as prune_archive

    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    try:
        report = prune_archive(archive, cutoff, vacuum=vacuum)
    except LockHeld as exc:
        raise Failure(f"{exc}; not starting", EXIT_LOCKED) from None
    except sqlite3.Error as exc:
        raise Failure(f"cannot prune {archive}: {exc}") from None
    except OSError as exc:  # the lock file cannot be made: a read-only directory
        raise Failure(f"cannot prune {archive}: {exc.strerror or exc}") from None
    click.echo(f"centrasia prune: {report.line()}")
    return EXIT_OK


@click.command()
@archive_option()
@click.option(
    "--gazetteer",
    "gazetteer",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Your own gazetteer file (docs/entities.md), kept in the archive: its entries"
    " add to the package's (or replace them, by id), and every article is tagged again.",
)
@click.option(
    "--no-gazetteer", is_flag=True, help="Drop the archive's own gazetteer file, and re-tag."
)
def upgrade(archive: str, gazetteer: Path | None, no_gazetteer: bool) -> int:
    """Bring an archive written by an older version up to this one: its schema, its
    search index (every article re-indexed when the morphology changed) and its entity
    tags (every article tagged again when the gazetteer changed): a long job on a large
    archive, with progress. Safe to stop and run again: it carries on. Takes the
    archive's lock, so no crawl runs meanwhile; read commands refuse an archive that
    needs it. A damaged archive (PRAGMA quick_check, run first) is refused, untouched.

    Example:

    \b
        centrasia upgrade --archive data/archive.sqlite
        centrasia upgrade --gazetteer my-people.toml
    """
    from centrasia_crawler.archive import ArchiveVersionError
    from centrasia_crawler.archive.integrity import refuse_damaged
    from centrasia_crawler.archive.store import upgrade as upgrade_archive
    from centrasia_crawler.entities.gazetteer import GazetteerError

    if gazetteer is not None and no_gazetteer:
        raise click.UsageError("give --gazetteer FILE or --no-gazetteer, not both")

    def say(line: str) -> None:
        click.echo(line, err=True)

    own = gazetteer.read_text(encoding="utf-8") if gazetteer is not None else None
    try:
        with ArchiveLock(archive):
            if Path(archive).exists():  # never rewrite a damaged archive
                refuse_damaged(archive)
            done = upgrade_archive(
                archive,
                say,
                gazetteer=own,
                drop_gazetteer=no_gazetteer,
                gazetteer_source=str(gazetteer),
            )
    except LockHeld as exc:
        raise Failure(str(exc), EXIT_LOCKED) from None
    except GazetteerError as exc:
        raise Failure(str(exc)) from None
    except (sqlite3.Error, OSError, ArchiveVersionError) as exc:
        raise Failure(f"cannot upgrade {archive}: {exc}", EXIT_FAILED) from None
    if (
        done["schema_before"] == done["schema_after"]
        and not done["reindexed"]
        and not done["tagged"]
    ):
        click.echo(f"{archive}: up to date (schema {done['schema_after']})")
    else:
        click.echo(
            f"{archive}: schema {done['schema_before']} -> {done['schema_after']},"
            f" {done['reindexed']:,} articles re-indexed, {done['tagged']:,} tagged with"
            " entities"
        )
    return EXIT_OK


@click.command()
@archive_option()
@click.option(
    "--full",
    is_flag=True,
    help="integrity_check (indexes against their tables) and the archive's own invariants.",
)
def check(archive: str, full: bool) -> int:
    """Is the archive sound? PRAGMA quick_check: every b-tree of the file, read once.
    --full: PRAGMA integrity_check, then the archive's invariants:
    the full-text indexes consistent and in step with the articles, each article's
    revisions chained, every article with its raw page and every page with its body.

    Prints one line; exit 0 when sound, 2 when damaged (then restore from a backup:
    docs/operations.md). The result is kept beside the archive (ARCHIVE.check), for
    'runs --metrics'. It reads while a crawl writes; --full briefly takes the write
    lock between two of the crawl's batches.

    Examples:

    \b
        centrasia check
        centrasia check --full
    """
    from centrasia_crawler.archive.integrity import check as check_archive

    try:
        report = check_archive(archive, full=full)
    except (sqlite3.Error, OSError) as exc:
        raise Failure(f"cannot check {archive}: {exc}") from None
    if not report.ok:  # its own finding, not the line that sends others to check
        error_line(f"centrasia check: {report.line()}")
        return EXIT_USAGE
    click.echo(f"centrasia check: {report.line()}")
    return EXIT_OK


COMMANDS = (doctor, serve, runs, compact, backup, prune, upgrade, check)
