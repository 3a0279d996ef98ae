"""`centrasia serve`: the archive in Datasette, read-only, described and faceted.

Datasette is an optional extra (``pip install 'centrasia-crawler[serve]'``). Everything
it shows of an archive comes from the package's Datasette plugin
(:mod:`centrasia_crawler.datasette_plugin`), so this is only a launcher: ``datasette
archive.sqlite`` behaves the same. Datasette reads the archive through read-only
connections, so serving it during a crawl is safe.
"""

from __future__ import annotations

import signal
import subprocess
import sys
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


def datasette_command(archive: Path, host: str, port: int) -> list[str]:
    datasette = [sys.executable, "-m", "datasette", "serve", str(archive)]
    return [*datasette, "--host", host, "--port", str(port), *setting_arguments()]


def serve(archive: Path, host: str, port: int) -> int:
    """Run Datasette on the archive until interrupted; its exit status."""
    try:
        import datasette  # noqa: F401
    except ImportError:
        raise RuntimeError(
            "serve needs Datasette: pip install 'centrasia-crawler[serve]'"
        ) from None
    return run_child(datasette_command(archive, host, port))


#: What a supervisor, ``kill`` or a terminal sends to stop a server.
STOP_SIGNALS: Final = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def run_child(command: list[str]) -> int:
    """Run ``command`` until it exits or this process is told to stop; its status.

    A stop signal sent to this process is passed on to the child, which is waited for,
    so no server outlives the command that started it (Datasette runs in a process of
    its own: in this one, its server re-raises the signal that stopped it). Stopped that
    way, the status is 0.
    """
    child = subprocess.Popen(command)
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
