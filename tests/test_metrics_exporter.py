"""The metrics file as node_exporter reads it: written under the units' umask, read by a
real ``prometheus-node-exporter`` running as another user (``nobody``)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from centrasia_crawler.archive import Archive
from tests.crawling import centrasia
from tests.helpers import wait_answering

EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def traversable(directory: Path) -> Iterator[None]:
    """Let other users pass through ``directory``'s parents (pytest makes its base
    directory 0700), as a real textfile directory is reachable; the modes are put back."""
    changed = []
    for parent in directory.parents:
        mode = stat.S_IMODE(parent.stat().st_mode)
        if mode & 0o001 == 0:
            changed.append((parent, mode))
            parent.chmod(mode | 0o001)
    try:
        yield
    finally:
        for parent, mode in changed:
            parent.chmod(mode)


def exporter_pids(directory: Path) -> list[int]:
    """The exporters reading ``directory`` that still run (any user's)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{name}/cmdline").read_bytes()
            if str(directory).encode() in command and b"runuser" not in command:
                found.append(int(name))
    return found


@contextlib.contextmanager
def node_exporter(directory: Path) -> Iterator[str]:
    """``prometheus-node-exporter`` as ``nobody``, only its textfile collector, reading
    ``directory``; its /metrics URL. Stopped, and checked gone, when the block ends."""
    if EXPORTER is None:
        pytest.skip("prometheus-node-exporter is not installed (apt-get install it)")
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("running the exporter as another user needs root and runuser")
    port = free_port()
    process = subprocess.Popen(
        [
            "runuser",
            "-u",
            "nobody",
            "--",
            EXPORTER,
            f"--web.listen-address=127.0.0.1:{port}",
            "--collector.disable-defaults",
            "--collector.textfile",
            f"--collector.textfile.directory={directory}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        try:
            wait_answering(url, process, seconds=20, timeout=2, interval=0.01)
        except OSError:
            assert process.stderr is not None
            pytest.fail(f"the exporter did not start: {process.stderr.read()[-500:]!r}")
        yield url
    finally:
        # The exporter itself is told to stop, and runuser exits with it: runuser, told
        # to stop, would wait two seconds before it kills the exporter.
        exporters = exporter_pids(directory)
        for pid in exporters:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        if not exporters:  # not started, or gone: runuser stops alone
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()
        deadline = time.monotonic() + 5
        while exporter_pids(directory) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = exporter_pids(directory)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        assert not left, f"the exporter was left running: {left}"


def scrape(url: str) -> dict[str, float]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        text = answer.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def test_the_metrics_file_written_under_umask_0027_is_read_by_node_exporter_as_nobody(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "archive.sqlite"
    with Archive.open(archive) as store:
        run = store.start_run("incremental", {})
        store.finish_run(run, "finished", {"requests": 3})
    textfile = tmp_path / "textfile"
    textfile.mkdir()
    textfile.chmod(0o755)
    with traversable(textfile), node_exporter(textfile) as url:
        # The fault the umask made: a file only its group reads is a scrape error.
        unreadable = textfile / "unreadable.prom"
        unreadable.write_text("centrasia_probe 1\n")
        unreadable.chmod(0o640)
        assert scrape(url)["node_textfile_scrape_error"] == 1
        unreadable.unlink()

        old = os.umask(0o027)  # the units' shared umask
        free_before = shutil.disk_usage(tmp_path).free
        try:
            done = centrasia(
                "runs", "--archive", str(archive), "--metrics", str(textfile / "c.prom")
            )
        finally:
            os.umask(old)
        free_after = shutil.disk_usage(tmp_path).free
        assert done.returncode == 0, done.stderr
        assert stat.S_IMODE((textfile / "c.prom").stat().st_mode) == 0o644
        assert [p.name for p in textfile.iterdir()] == ["c.prom"]  # no temporary left
        values = scrape(url)
    assert values["node_textfile_scrape_error"] == 0
    assert values["centrasia_last_run_ok"] == 1
    assert values["centrasia_archive_readable"] == 1
    expected = archive.stat().st_size + (
        Path(f"{archive}-wal").stat().st_size if Path(f"{archive}-wal").exists() else 0
    )
    assert values["centrasia_archive_size_bytes"] == expected
    # The free space as the command saw it, between the two looks around it (other
    # work on the shared disk moves it meanwhile), give or take 64 MB.
    low, high = sorted((free_before, free_after))
    slack = 64 * 1024 * 1024
    assert low - slack <= values["centrasia_archive_free_bytes"] <= high + slack
