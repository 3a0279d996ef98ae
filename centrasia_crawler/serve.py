"""`centrasia serve`: the archive in Datasette, read-only, described and faceted.

Datasette is an optional extra (``pip install 'centrasia-crawler[serve]'``). Everything
it shows of an archive comes from the package's Datasette plugin
(:mod:`centrasia_crawler.datasette_plugin`), so this is only a launcher: ``datasette
archive.sqlite`` behaves the same. Datasette reads the archive through read-only
connections, so serving it during a crawl is safe.

``--immutable`` is not: Datasette then opens the file as one that never changes (no
locks, no WAL, counts read once), and a crawl writing it meanwhile makes it look
corrupt ("database disk image is malformed") to the server until it restarts. So
:func:`serve` refuses it while the archive's write lock is held, and the plugin answers
a page that meets a changed immutable file with 503 and why (:mod:`.datasette_plugin`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Final

#: The settings Datasette is started with (``--setting``; Datasette has no public way for
#: a plugin to set them, so plain ``datasette archive.sqlite`` needs them given): pages of
#: 50 rows; a query may run 3 s; a canned query returns up to 20,000 rows (articles_per_day
#: has a row per day: 25 years are over 9,000); no suggested facets (a probe of every
#: column on each table page, bodies included: a second of a 300,000-article table page
#: went there).
SETTINGS: Final = {
    "default_page_size": 50,
    "sql_time_limit_ms": 3000,
    "max_returned_rows": 20000,
    "suggest_facets": False,
    # SQLite answers outside the interpreter's lock: with Datasette's 3 threads, a page of
    # many small queries (the index, a database) waits behind three long searches.
    "num_sql_threads": 10,
}


def setting_arguments() -> list[str]:
    """:data:`SETTINGS` as Datasette's command-line arguments."""
    return [
        part
        for name, value in SETTINGS.items()
        for part in (
            "--setting",
            name,
            str(value).lower() if isinstance(value, bool) else str(value),
        )
    ]


def datasette_command(
    archive: Path, host: str, port: int, inspect_file: Path | None = None
) -> list[str]:
    """Datasette's command line serving ``archive``; given an ``inspect_file`` (from
    :func:`inspect_command`), immutable, its table counts read from that file."""
    datasette = [sys.executable, "-m", "datasette", "serve"]
    if inspect_file is None:
        datasette.append(str(archive))
    else:
        datasette += ["-i", str(archive), "--inspect-file", str(inspect_file)]
    return [*datasette, "--host", host, "--port", str(port), *setting_arguments()]


def inspect_command(archive: Path, inspect_file: Path) -> list[str]:
    """``datasette inspect``: the archive's table counts, written to ``inspect_file``."""
    inspect = [sys.executable, "-m", "datasette", "inspect", str(archive)]
    return [*inspect, "--inspect-file", str(inspect_file)]


class WrittenArchive(RuntimeError):
    """An immutable server was asked for an archive a run is writing."""


def immutable_problem(archive: Path) -> str | None:
    """Why ``archive`` cannot be served immutable now (a run holds its write lock), or
    None."""
    from centrasia_crawler.lock import holder

    pid = holder(archive)
    if pid is None:
        return None
    return (
        f"{archive} is being written (pid {pid} holds its lock): serve it without"
        " --immutable, which is safe during a crawl"
    )


#: The environment variable the Datasette plugin reads the number of its chart processes
#: from, when its configuration does not give it.
CHART_WORKERS_VARIABLE: Final = "CENTRASIA_CHART_WORKERS"


def chart_environment(chart_workers: int | None) -> dict[str, str] | None:
    """The environment Datasette is started with for ``chart_workers`` chart processes
    (None: this one's, where the plugin's default is one per core)."""
    if chart_workers is None:
        return None
    return {**os.environ, CHART_WORKERS_VARIABLE: str(chart_workers)}


def serve(
    archive: Path,
    host: str,
    port: int,
    immutable: bool = False,
    chart_workers: int | None = None,
) -> int:
    """Run Datasette on the archive until interrupted; its exit status. ``immutable``:
    as an immutable file with precomputed counts, refused (:class:`WrittenArchive`)
    while a run holds the archive's write lock. ``chart_workers``: the processes that
    compute and draw the charts (0: threads of the server's; None: one per core)."""
    try:
        import datasette  # noqa: F401
    except ImportError:
        raise RuntimeError(
            "serve needs Datasette: pip install 'centrasia-crawler[serve]'"
        ) from None
    env = chart_environment(chart_workers)
    if not immutable:
        return run_child(datasette_command(archive, host, port), env)
    problem = immutable_problem(archive)
    if problem is not None:
        raise WrittenArchive(problem)
    with tempfile.TemporaryDirectory(prefix="centrasia-serve-") as tmp:
        counts = Path(tmp) / "inspect.json"
        done = subprocess.run(inspect_command(archive, counts), capture_output=True, text=True)
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
            raise RuntimeError(f"datasette inspect {archive} failed: {lines[-1]}")
        problem = immutable_problem(archive)  # a run that started while it counted
        if problem is not None:
            raise WrittenArchive(problem)
        return run_child(datasette_command(archive, host, port, counts), env)


#: What a supervisor, ``kill`` or a terminal sends to stop a server.
STOP_SIGNALS: Final = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def run_child(command: list[str], env: dict[str, str] | None = None) -> int:
    """Run ``command`` (in ``env``, else this environment) until it exits or this
    process is told to stop; its status.

    A stop signal sent to this process is passed on to the child, which is waited for,
    so no server outlives the command that started it (Datasette runs in a process of
    its own: in this one, its server re-raises the signal that stopped it). Stopped that
    way, the status is 0.
    """
    child = subprocess.Popen(command, env=env)
    stopped = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopped
        stopped = True
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)

    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    try:
        status = child.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if child.poll() is None:  # an exception on the way out: never leave it running
            child.kill()
            child.wait()
    return 0 if stopped else status
