"""``centrasia runs``: the crawl runs for a person, and for monitoring (--fresh,
--metrics)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.lock import ArchiveLock
from tests.crawling import centrasia


def ago(hours: float) -> str:
    when = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    return when.isoformat(timespec="seconds")


def add_run(
    store: Archive, mode: str, started: float, took: float | None, failures: list[str]
) -> int:
    run = store.start_run(mode, {"since": None})
    counters = {"requests": 40, "new_articles": 7, "changed_articles": 1, "errors": len(failures)}
    if took is not None:
        store.finish_run(run, "finished", counters, failures=failures)
    ended = ago(started - took) if took is not None else None
    store.conn.execute(
        "UPDATE crawl_runs SET started_at = ?, finished_at = ? WHERE id = ?",
        (ago(started), ended, run),
    )
    return run


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """An ok run that ended 3 hours ago, a failed one an hour ago, one killed."""
    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:
        add_run(store, "incremental", 3.5, 0.5, [])
        add_run(store, "backfill", 1.25, 0.25, ["the index lost its day headings", "second"])
        add_run(store, "incremental", 0.1, None, [])
    return path


def test_runs_newest_first_with_outcome_and_first_reason(archive: Path) -> None:
    done = centrasia("runs", "--archive", str(archive))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:4] == ["run", "mode", "started", "(UTC)"]
    assert [line.split()[0] for line in lines[1:]] == ["3", "2", "1"]
    assert lines[1].endswith("killed")  # no process holds the archive's lock
    assert lines[2].endswith("failed: the index lost its day headings")
    assert "0:15:00" in lines[2] and "0:30:00" in lines[3]
    assert lines[3].endswith("ok")


def test_runs_json_and_limit(archive: Path) -> None:
    done = centrasia("runs", "--archive", str(archive), "--json", "--limit", "2")
    found = json.loads(done.stdout)
    assert [r["id"] for r in found] == [3, 2]
    assert set(found[0]) == {
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
    }
    assert found[1]["seconds"] == 900
    assert (found[1]["requests"], found[1]["new_articles"], found[1]["errors"]) == (40, 7, 2)
    assert found[0]["outcome"] == "killed" and found[0]["seconds"] is None


def test_fresh_passes_within_the_hours_and_fails_past_them(archive: Path) -> None:
    ok = centrasia("runs", "--archive", str(archive), "--fresh", "4")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("ok: the last ok run (#1) ended 3.0 hours ago")
    stale = centrasia("runs", "--archive", str(archive), "--fresh", "2")
    assert stale.returncode == 1
    assert stale.stdout == ""
    assert stale.stderr.count("\n") == 1
    assert "ended 3.0 hours ago" in stale.stderr and "older than 2 hours" in stale.stderr


def test_fresh_fails_when_no_run_ended_ok(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:
        add_run(store, "incremental", 0.5, 0.1, ["the site answered 503"])
    done = centrasia("runs", "--archive", str(path), "--fresh", "24")
    assert (done.returncode, done.stderr) == (1, "centrasia runs: no crawl run has ended ok\n")


@pytest.mark.parametrize("hours", ["0", "-3", "soon"])
def test_fresh_refuses_nonsense(archive: Path, hours: str) -> None:
    done = centrasia("runs", "--archive", str(archive), "--fresh", hours)
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_metrics_in_the_node_exporter_format_written_atomically(
    archive: Path, tmp_path: Path
) -> None:
    out = tmp_path / "textfile" / "centrasia.prom"
    out.parent.mkdir()
    out.write_text("old\n")
    done = centrasia("runs", "--archive", str(archive), "--metrics", str(out))
    assert (done.returncode, done.stdout) == (0, "")
    assert [p.name for p in out.parent.iterdir()] == ["centrasia.prom"]  # no temporary file
    values = {}
    for line in out.read_text().splitlines():
        if line.startswith("# TYPE"):
            assert line.endswith(" gauge")
        elif not line.startswith("#"):
            name, value = line.split()
            values[name] = float(value)
    ended = dt.datetime.fromisoformat(ago(3)).timestamp()
    assert abs(values["centrasia_last_ok_run_timestamp_seconds"] - ended) < 5
    assert 3 * 3600 - 5 < values["centrasia_last_ok_run_age_seconds"] < 3 * 3600 + 5
    # The newest run never ended (killed): the last run that ended is the failed one.
    assert values["centrasia_last_run_ok"] == 0
    assert values["centrasia_last_run_errors"] == 2
    assert values["centrasia_run_in_progress"] == 0
    assert values["centrasia_articles"] == 0
    assert values["centrasia_listed_but_missing"] == 0
    assert values["centrasia_robots_forbidden"] == 0
    assert set(values) == set(METRICS)


METRICS = (
    "centrasia_run_in_progress",
    "centrasia_last_ok_run_timestamp_seconds",
    "centrasia_last_ok_run_age_seconds",
    "centrasia_last_run_ok",
    "centrasia_last_run_layout_drift",
    "centrasia_last_run_timestamp_seconds",
    "centrasia_last_run_errors",
    "centrasia_last_run_retries",
    "centrasia_last_run_http_errors",
    "centrasia_last_run_new_articles",
    "centrasia_articles",
    "centrasia_listed_but_missing",
    "centrasia_robots_forbidden",
    "centrasia_archive_size_bytes",
    "centrasia_archive_free_bytes",
    "centrasia_archive_readable",
    "centrasia_check_ok",
    "centrasia_check_timestamp_seconds",
    "centrasia_last_backup_timestamp_seconds",
)


def metric_values(archive: Path, out: Path) -> dict[str, float]:
    done = centrasia("runs", "--archive", str(archive), "--metrics", str(out))
    assert done.returncode == 0, done.stderr
    return {
        line.split()[0]: float(line.split()[1])
        for line in out.read_text().splitlines()
        if not line.startswith("#")
    }


def test_a_run_holding_the_lock_is_running_and_one_without_it_killed(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:
        add_run(store, "incremental", 2.0, 0.1, [])
        killed = add_run(store, "backfill", 1.0, None, [])
        store.write_batch([], [], [], killed, run_counters={"requests": 30})
        running = add_run(store, "backfill", 0.5, None, [])
        # this process is the one that ran them all: the lock's holder decides
        store.conn.execute("UPDATE crawl_runs SET pid = -1 WHERE id = ?", (killed,))
    with ArchiveLock(path):
        found = json.loads(centrasia("runs", "--archive", str(path), "--json").stdout)
        values = metric_values(path, tmp_path / "m.prom")
    expected = [(running, "running"), (killed, "killed"), (1, "ok")]
    assert [(r["id"], r["outcome"]) for r in found] == expected
    assert found[1]["requests"] == 30  # what the killed run wrote, batch by batch
    assert values["centrasia_run_in_progress"] == 1
    assert values["centrasia_last_run_ok"] == 1  # the runs going on or killed do not count
    found = json.loads(centrasia("runs", "--archive", str(path), "--json").stdout)
    assert [r["outcome"] for r in found] == ["killed", "killed", "ok"]
    assert metric_values(path, tmp_path / "m.prom")["centrasia_run_in_progress"] == 0


def test_the_lock_keeps_room_for_the_runs_end_and_gives_it_back(tmp_path: Path) -> None:
    from centrasia_crawler.lock import LockHeld, holder

    path = tmp_path / "archive.sqlite"
    lock_file = tmp_path / "archive.sqlite.lock"
    with ArchiveLock(path) as lock:
        assert lock.reserve(48 * 1024)
        # Blocks of the disk, not a hole: what another writer can no longer take.
        assert lock_file.stat().st_blocks * 512 >= 48 * 1024
        assert holder(path) == os.getpid()  # the pid line is still read
        with pytest.raises(LockHeld) as refused:
            ArchiveLock(path).acquire()
        assert str(refused.value) == f"{path} is locked by pid {os.getpid()} (another run)"
        lock.give_back()
        assert lock_file.read_bytes() == f"pid {os.getpid()}\n".encode()
        assert lock_file.stat().st_blocks * 512 < 48 * 1024
    assert lock_file.read_bytes() == b""


def test_metrics_leave_robots_refusals_out_of_the_missing(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite"
    listed = [
        {"st": st, "listed_on": "2026-02-19", "listed_at": "12:00", "title": "т", "page_url": "u"}
        for st in (1771493400, 1771493460, 1771493520)
    ]
    with Archive.open(path) as store:
        store.write_batch([], listed)
        run = store.start_run("incremental", {})
        problems = [
            {
                "url": "https://centrasia.org/newsA.php?st=1771493400",
                "reason": "Forbidden by robots.txt",
                "kind": "robots",
            },
            {
                "url": "https://centrasia.org/newsA.php?st=1771493460",
                "reason": "HTTP 500",
                "kind": "fetch",
            },
        ]
        store.finish_run(run, "finished", {"retries": 4, "http_errors": 5}, problems)
    values = metric_values(path, tmp_path / "m.prom")
    assert values["centrasia_listed_but_missing"] == 2
    assert values["centrasia_robots_forbidden"] == 1
    assert values["centrasia_last_run_retries"] == 4
    assert values["centrasia_last_run_http_errors"] == 5


def test_metrics_to_a_missing_directory_is_one_line(archive: Path, tmp_path: Path) -> None:
    done = centrasia("runs", "--archive", str(archive), "--metrics", str(tmp_path / "no/x.prom"))
    assert done.returncode == 2
    assert done.stderr.startswith("centrasia runs: cannot write") and done.stderr.count("\n") == 1


def test_the_example_alert_rules_parse_and_name_only_metrics_we_write() -> None:
    import re

    import yaml

    rules_file = Path(__file__).resolve().parent.parent / "deploy/prometheus/centrasia.rules.yml"
    document = yaml.safe_load(rules_file.read_text(encoding="utf-8"))
    (group,) = document["groups"]
    rules = {rule["alert"]: rule for rule in group["rules"]}
    assert {
        "CentrasiaArchiveStale",
        "CentrasiaLastRunFailed",
        "CentrasiaLayoutDrift",
        "CentrasiaMetricsUnreadable",
        "CentrasiaMetricsAbsent",
        "CentrasiaArchiveDamaged",
        "CentrasiaBackupOld",
        "CentrasiaDiskLow",
        "CentrasiaArticlesMissing",
    } <= set(rules)
    for name, rule in rules.items():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, name
        assert rule["labels"]["severity"] in {"info", "warning", "critical"}, name
        assert rule["annotations"]["summary"], name
        assert rule["expr"].count("(") == rule["expr"].count(")"), name
        for metric in re.findall(r"\bcentrasia_[a-z_]+", rule["expr"]):
            assert metric in METRICS, (name, metric)


def test_metrics_tell_the_last_backup_and_the_last_check(archive: Path, tmp_path: Path) -> None:
    import time

    out = tmp_path / "m.prom"
    before = metric_values(archive, out)
    assert before["centrasia_last_backup_timestamp_seconds"] == 0
    assert before["centrasia_check_ok"] == -1 and before["centrasia_check_timestamp_seconds"] == 0
    started = time.time()
    (tmp_path / "backups").mkdir()
    done = centrasia("backup", str(tmp_path / "backups"), "--archive", str(archive))
    assert done.returncode == 0, done.stderr
    assert centrasia("check", "--archive", str(archive)).returncode == 0
    after = metric_values(archive, out)
    assert started - 1 <= after["centrasia_last_backup_timestamp_seconds"] <= time.time()
    assert started - 1 <= after["centrasia_check_timestamp_seconds"] <= time.time()
    assert after["centrasia_check_ok"] == 1


@pytest.mark.slow
def test_promtool_makes_each_alert_fire_on_its_fault_and_only_there() -> None:
    """``promtool test rules``: each alert fires on the series of its fault (instance
    "bad") and stays silent on a healthy one; every alert of the rules is exercised."""
    import re
    import shutil
    import subprocess

    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (apt-get install prometheus gives it)")
    rules = Path(__file__).resolve().parent.parent / "deploy/prometheus"
    tests = (rules / "centrasia.rules.test.yml").read_text(encoding="utf-8")
    alerts = re.findall(r"- alert: (\w+)", (rules / "centrasia.rules.yml").read_text())
    exercised = set(re.findall(r"alertname: (\w+)", tests))
    assert set(alerts) == exercised, set(alerts) ^ exercised
    done = subprocess.run(
        [promtool, "test", "rules", "centrasia.rules.test.yml"],
        cwd=rules,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "SUCCESS" in done.stdout
