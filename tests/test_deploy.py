"""Running it on servers: a real Scrapyd on 127.0.0.1, and the systemd units."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.crawling import FAST, PROJECT
from tests.helpers import free_port
from tests.replica.server import serve

pytestmark = pytest.mark.slow  # a real Scrapyd

UNITS = PROJECT / "deploy" / "systemd"


def call(url: str, data: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(url, data=body, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = predicate()
        except OSError:
            result = None
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_scrapyd_deploys_and_runs_a_crawl_of_the_replica(tmp_path: Path) -> None:
    pytest.importorskip("scrapyd", reason="Scrapyd is not installed (pip install scrapyd)")
    pytest.importorskip("scrapyd_client", reason="scrapyd-client is not installed")
    bin_dir = Path(sys.executable).parent
    port = free_port()
    home = tmp_path / "scrapyd"
    home.mkdir()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\n"
        "items_dir =\nmax_proc = 1\npoll_interval = 0.5\n"
    )
    # Deploy from a copy, as a user's checkout would be: building the egg writes there.
    project = tmp_path / "project"
    shutil.copytree(
        PROJECT,
        project,
        ignore=shutil.ignore_patterns(".venv*", ".git", "data", "build", "*.egg-info", "*cache*"),
    )
    daemon = subprocess.Popen(
        [str(bin_dir / "scrapyd")], cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: call(f"{base}/daemonstatus.json")["status"] == "ok", 60, "Scrapyd")
        deployed = subprocess.run(
            [str(bin_dir / "scrapyd-deploy"), "env", "-p", "centrasia_crawler"],
            cwd=project,
            env={"PATH": f"{bin_dir}:/usr/bin:/bin", "CENTRASIA_SCRAPYD_URL": base},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert deployed.returncode == 0, deployed.stderr[-2000:]
        assert "centrasia" in call(f"{base}/listspiders.json?project=centrasia_crawler")["spiders"]

        archive = tmp_path / "archive.sqlite"
        with serve(days=2, per_day=6) as replica:
            settings = FAST | {
                "CENTRASIA_ROOT_URL": replica.root,
                "CENTRASIA_ARCHIVE_PATH": str(archive),
            }
            job = call(
                f"{base}/schedule.json",
                [("project", "centrasia_crawler"), ("spider", "centrasia")]
                + [("setting", f"{k}={v}") for k, v in settings.items()],
            )
            assert job["status"] == "ok", job

            def finished() -> bool:
                jobs = call(f"{base}/listjobs.json?project=centrasia_crawler")
                return any(j["id"] == job["jobid"] for j in jobs["finished"])

            wait_for(finished, 180, "the crawl to finish in Scrapyd")
            expected = len(replica.site.archivable())
        conn = sqlite3.connect(archive)
        try:
            count = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
            outcome = conn.execute("SELECT outcome FROM crawl_runs").fetchone()[0]
        finally:
            conn.close()
        assert count == expected == 11
        assert outcome == "ok"
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)


def render_units(**paths: str) -> dict[str, str]:
    spec = importlib.util.spec_from_file_location(
        "render_units", PROJECT / "deploy/render_units.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.units(**paths)  # type: ignore[no-any-return]


def test_the_shipped_units_are_the_template_rendered() -> None:
    shipped = {p.name: p.read_text(encoding="utf-8") for p in UNITS.iterdir()}
    assert shipped == render_units()


def installed_units(tmp_path: Path) -> list[Path]:
    """The units as installed for this checkout's .venv (systemd-analyze looks for the
    programs they run)."""
    if not (PROJECT / ".venv" / "bin" / "centrasia").exists():
        pytest.skip("the units run .venv/bin/centrasia; run `make setup` first")
    rendered = render_units(prefix=str(PROJECT / ".venv"), state=str(tmp_path / "state"))
    for name, text in rendered.items():
        (tmp_path / name).write_text(text)
    # Templates are verified as instances, as systemd would load them.
    instances = (("centrasia-backfill@", "2014"), ("centrasia-alert@", "x"))
    for template, instance in (*instances, ("centrasia-serve@", "8001")):
        (tmp_path / f"{template}.service").rename(tmp_path / f"{template}{instance}.service")
    kinds = ("*.service", "*.timer", "*.target")
    return [path for kind in kinds for path in sorted(tmp_path.glob(kind))]


def test_systemd_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (a systemd host has it)")
    units = installed_units(tmp_path)
    done = subprocess.run(
        [analyze, "verify", "--man=no", *map(str, units)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_systemd_units_are_hardened_to_ok_or_better(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (a systemd host has it)")
    for unit in installed_units(tmp_path):
        if unit.suffix != ".service":
            continue
        done = subprocess.run(
            [analyze, "security", "--offline=yes", "--no-pager", str(unit)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if "--offline" in done.stderr:
            pytest.skip(f"this systemd-analyze cannot rate unit files offline: {done.stderr}")
        match = re.search(r"Overall exposure level for \S+: ([0-9.]+) (\w+)", done.stdout)
        assert match, done.stdout[-500:] + done.stderr
        assert float(match[1]) < 5.0 and match[2] in ("SAFE", "OK"), (unit.name, match[0])


def test_the_production_constraints_pin_every_dependency() -> None:
    spec = importlib.util.spec_from_file_location(
        "pin_constraints", PROJECT / "deploy/pin_constraints.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    needed = module.closure()
    pinned = {}
    for line in (PROJECT / "deploy/constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, line
            pinned[name] = version
    assert set(needed) <= set(pinned), set(needed) - set(pinned)
    assert {"scrapy", "pymorphy3-dicts-ru", "lxml"} <= set(pinned)
    assert not {"pytest", "hypothesis", "datasette", "mypy"} & set(pinned)  # no test extras


def test_each_unit_sets_its_umask_once_and_the_metrics_one_is_readable_by_all() -> None:
    rendered = render_units()
    for name, text in rendered.items():
        if name.endswith(".service"):
            assert text.count("UMask=") == 1, name
    metrics = rendered["centrasia-metrics.service"]
    assert "UMask=0022" in metrics
    # Debian's prometheus-node-exporter reads this directory; a missing one fails the
    # unit (no "-": systemd cannot make it writable), and the failure alerts.
    assert "ReadWritePaths=/var/lib/prometheus/node-exporter\n" in metrics
    assert "--metrics /var/lib/prometheus/node-exporter/centrasia.prom" in metrics
    assert "OnFailure=centrasia-alert@%n.service" in metrics
    upstream = render_units(textfile="/var/lib/node_exporter/textfile_collector")
    assert (
        "ReadWritePaths=/var/lib/node_exporter/textfile_collector\n"
        in upstream["centrasia-metrics.service"]
    )


def test_the_archive_is_checked_daily_and_whole_before_the_monthly_upkeep() -> None:
    rendered = render_units()
    assert "ExecStart=/opt/centrasia/bin/centrasia check\n" in rendered["centrasia-check.service"]
    assert "OnFailure=" in rendered["centrasia-check.service"]
    assert "OnCalendar=*-*-* " in rendered["centrasia-check.timer"]
    upkeep = rendered["centrasia-maintain.service"]
    order = ("centrasia check --full", "centrasia prune", "centrasia compact")
    assert [upkeep.index(c) for c in order] == sorted(upkeep.index(c) for c in order)


def test_a_stopped_crawl_is_no_failure_of_its_unit() -> None:
    """``systemctl stop`` sends SIGTERM; the crawl then exits 143 (tests/test_resume.py),
    which the crawling units count as success: no OnFailure= alert."""
    rendered = render_units()
    for name in ("centrasia-backfill@.service", "centrasia-crawl.service"):
        statuses = re.search(r"^SuccessExitStatus=(.*)$", rendered[name], re.M)
        assert statuses is not None and "143" in statuses[1].split(), name
    alert = rendered["centrasia-alert@.service"]
    assert re.findall(r"^ExecStart=(\S+)", alert, re.M) == ["/usr/bin/logger"]


# --- many readers: Datasette instances behind nginx ----------------------------------


def test_the_serve_template_runs_one_datasette_per_port_never_immutable() -> None:
    unit = render_units()["centrasia-serve@.service"]
    assert "ExecStart=/opt/centrasia/bin/centrasia serve --host 127.0.0.1 --port %i\n" in unit
    assert "--immutable" not in unit.split("[Service]")[1].split("ExecStart=")[1].split("\n")[0]
    assert "WantedBy=centrasia-serve.target" in unit
    assert "WantedBy=multi-user.target" in render_units()["centrasia-serve.target"]


def _front_config(tmp_path: Path, ports: tuple[int, int], front: int) -> Path:
    """deploy/nginx/centrasia.conf for these loopback ports, in a whole nginx
    configuration whose every file is under ``tmp_path`` (deploy/nginx_front.py)."""
    spec = importlib.util.spec_from_file_location("nginx_front", PROJECT / "deploy/nginx_front.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    main: Path = module.front_config(tmp_path, ports, front)
    text = (tmp_path / "centrasia.conf").read_text(encoding="utf-8")
    assert [f"127.0.0.1:{p}" for p in ports] == re.findall(r"server (127\.0\.0\.1:\d+)", text)
    return main


def _fetch(url: str) -> tuple[int, dict[str, str], str]:
    with urllib.request.urlopen(url, timeout=60) as response:
        body = response.read().decode()
        return response.status, dict(response.headers), body


def test_two_instances_behind_nginx(tmp_path: Path) -> None:
    """Two ``centrasia serve`` (as centrasia-serve@PORT runs them) on one archive, behind
    a real nginx with deploy/nginx/centrasia.conf: pages come through it from both
    instances, a chart is answered from nginx's cache the second time, and everything
    stops (no process left, the ports free)."""
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    pytest.importorskip("datasette", reason="Datasette is not installed ([serve] extra)")
    from centrasia_crawler.archive import Archive
    from tests.helpers import running_children

    archive = tmp_path / "archive.sqlite"
    st = 1740830400
    with Archive.open(archive) as store:
        store.write_batch(
            [
                {
                    "st": st + n * 86400,
                    "url": f"https://centrasia.org/newsA.php?st={st + n * 86400}",
                }
                | {
                    "title": f"Новость номер {n}",
                    "published_at": f"2025-03-{n + 1:02d}T15:00:00+03:00",
                }
                | {"body": "В Бишкеке тепло.", "source": "Кабар", "attribution": None}
                for n in range(5)
            ]
        )
    ports = (free_port(), free_port())
    front = free_port()
    config = _front_config(tmp_path, ports, front)
    logs = [tmp_path / f"serve-{port}.log" for port in ports]
    processes: list[subprocess.Popen[bytes]] = []
    command = ["centrasia_crawler.cli", "serve", "--archive", str(archive)]
    try:
        for port, log in zip(ports, logs, strict=True):
            with log.open("wb") as out:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", *command, "--port", str(port)],
                        cwd=PROJECT,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        for port in ports:
            wait_for(lambda p=port: _fetch(f"http://127.0.0.1:{p}/-/versions.json"), 60, "serve")
        processes.append(
            subprocess.Popen(
                [nginx, "-c", str(config), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        base = f"http://127.0.0.1:{front}"
        wait_for(lambda: _fetch(f"{base}/-/versions.json"), 30, "nginx")
        for n in range(5):
            status, _, body = _fetch(f"{base}/archive/articles/{st + n * 86400}")
            assert status == 200 and f"Новость номер {n}" in body
        chart = f"{base}/archive/-/coverage.json"
        first, second = _fetch(chart), _fetch(chart)
        assert first[0] == second[0] == 200 and first[2] == second[2]
        assert sum(row["archived"] for row in json.loads(first[2])["rows"]) == 5
        assert (first[1]["X-Cache-Status"], second[1]["X-Cache-Status"]) == ("MISS", "HIT")
        status, headers, _ = _fetch(f"{base}/-/static/app.css")
        assert status == 200 and "X-Cache-Status" in headers
        for log in logs:  # each instance answered some of the article pages
            assert re.search(r'GET /archive/articles/\d+ HTTP/1.1" 200', log.read_text()), log
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert not any(
        "datasette" in command or "nginx" in command for command in running_children().values()
    )
    for port in (*ports, front):
        with socket.socket() as s, pytest.raises(ConnectionRefusedError):
            s.connect(("127.0.0.1", port))
