"""`centrasia runs` lists every problem a run recorded (crawl_runs.problems)."""

from __future__ import annotations

from pathlib import Path

from centrasia_crawler.archive import Archive
from tests.crawling import centrasia

PROBLEMS = [
    {"url": "http://127.0.0.1:9/newsA.php?st=1771493400", "reason": "HTTP 500", "kind": "fetch"},
    {
        "url": "http://127.0.0.1:9/newsA.php?st=1771493460",
        "reason": "impossible date: 31 февраля 2026 г.",
        "kind": "rejected",
    },
    {"url": "http://127.0.0.1:9/", "reason": "no day heading", "kind": "extraction:listing"},
]


def test_runs_shows_each_recorded_problem(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:
        clean = store.start_run("incremental", {})
        store.finish_run(clean, "finished", {"requests": 3})
        troubled = store.start_run("incremental", {})
        store.finish_run(troubled, "finished", {"requests": 9}, PROBLEMS, ["one reason"])
        store.finish_run(store.start_run("incremental", {}), "finished", {"requests": 2})
    done = centrasia("runs", "--archive", str(path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    table, _, listed = done.stdout.partition("\n\n")
    assert len(table.splitlines()) == 4  # the header and three runs
    assert listed.splitlines()[0] == f"problems of run {troubled} ({len(PROBLEMS)}):"
    for problem in PROBLEMS:
        line = f"  [{problem['kind']}] {problem['url']}: {problem['reason']}"
        assert lines.count(line) == 1, done.stdout
    assert f"problems of run {clean}" not in done.stdout
    assert len(listed.splitlines()) == 1 + len(PROBLEMS)
