"""robots.txt's refusals are rows (``robots_refusals``), and one rule counts what the
site listed and the archive lacks for stats, coverage and the metrics."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from centrasia_crawler.archive import Archive, listed
from centrasia_crawler.archive.coverage import coverage, stats
from centrasia_crawler.archive.runs import run_metrics
from centrasia_crawler.archive.schema import MIGRATIONS, V14, migrate

ST = (1771493400, 1771493460, 1771493520, 1771493580)


def url(st: int, host: str = "https://centrasia.org") -> str:
    return f"{host}/newsA.php?st={st}"


def problem(st: int, kind: str, host: str = "https://centrasia.org") -> dict[str, str]:
    return {"url": url(st, host), "reason": f"{kind}!", "kind": kind}


def headline(st: int) -> dict[str, object]:
    return {
        "st": st,
        "listed_on": "2026-02-19",
        "listed_at": "12:00",
        "title": "т",
        "page_url": "u",
    }


def refusals(store: Archive) -> dict[int, int | None]:
    return dict(store.conn.execute("SELECT st, run_id FROM robots_refusals").fetchall())


def test_the_upgrade_fills_the_refusals_from_the_runs_problems(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        migrate(conn, upto=MIGRATIONS.index(V14))  # the version before the table
        runs = [
            # a refusal, then a fetch problem of the same article: no longer refused
            [problem(ST[0], "robots"), problem(ST[1], "robots"), problem(ST[1], "fetch")],
            # read from a replica; a refusal of a page that is no article is no row
            [problem(ST[2], "robots", "http://127.0.0.1:8123"), problem(ST[3], "fetch")],
            [{"url": "https://centrasia.org/news.php", "reason": "x", "kind": "robots"}],
            [problem(ST[3], "robots")],  # refused after an earlier fetch problem
        ]
        for n, found in enumerate(runs, start=1):
            conn.execute(
                "INSERT INTO crawl_runs (id, mode, arguments, started_at, finished_at, problems)"
                " VALUES (?, 'incremental', '{}', ?, ?, ?)",
                (
                    n,
                    f"2026-02-1{n}T00:00:00+00:00",
                    f"2026-02-1{n}T01:00:00+00:00",
                    json.dumps(found),
                ),
            )
    finally:
        conn.close()
    with Archive.open(path) as store:
        assert refusals(store) == {ST[0]: 1, ST[2]: 2, ST[3]: 4}
        row = store.conn.execute(
            "SELECT url, refused_at FROM robots_refusals WHERE st = ?", (ST[2],)
        ).fetchone()
        assert row == (url(ST[2], "http://127.0.0.1:8123"), "2026-02-12T01:00:00+00:00")


def test_a_refusal_is_a_row_with_the_batch_and_a_finished_run_settles_them(
    tmp_path: Path,
) -> None:
    with Archive.open(tmp_path / "a.sqlite") as store:
        store.write_batch([], [headline(st) for st in ST])
        run = store.start_run("incremental", {})
        # written as the crawl meets them: a run killed now keeps them
        store.write_batch(run_id=run, refusals=[url(ST[0]), url(ST[1]), "https://x.org/a"])
        assert refusals(store) == {ST[0]: run, ST[1]: run}
        when = "SELECT refused_at FROM robots_refusals WHERE st = ?"
        met = store.conn.execute(when, (ST[0],)).fetchone()
        store.conn.execute(
            "UPDATE robots_refusals SET refused_at = 'earlier' WHERE st = ?", (ST[0],)
        )
        store.finish_run(run, "finished", {}, [problem(ST[1], "fetch"), problem(ST[2], "robots")])
        assert refusals(store) == {ST[0]: run, ST[2]: run}  # ST[1]'s last problem was a fetch
        assert met and store.conn.execute(when, (ST[0],)).fetchone() == ("earlier",)  # kept
        store.write_batch(run_id=run + 1, refusals=[url(ST[0])])  # a later run: its time
        assert store.conn.execute(when, (ST[0],)).fetchone() != ("earlier",)
        assert listed.totals(store.conn) == {"listed": 4, "missing": 2, "forbidden": 2}


def test_stats_coverage_and_the_metrics_count_by_one_rule(tmp_path: Path) -> None:
    with Archive.open(tmp_path / "a.sqlite") as store:
        store.write_batch([], [headline(st) for st in ST])
        store.write_batch([], [{**headline(ST[0]), "listed_on": "2026-02-20"}])  # listed twice
        run = store.start_run("incremental", {})
        store.finish_run(run, "finished", {}, [problem(ST[0], "robots")])
        figures = stats(store)
        cover = coverage(store)
        metrics = {name: value for name, _, value in run_metrics(store)}
    assert (figures["listed_headlines"], figures["listed_but_missing"]) == (4, 3)
    assert figures["listed_but_forbidden"] == 1
    assert (cover.missing, cover.forbidden) == (3, [ST[0]])
    assert [len(d.forbidden) for d in cover.days] == [1, 1]  # each day it was listed on
    assert metrics["centrasia_listed_but_missing"] == 3
    assert metrics["centrasia_robots_forbidden"] == 1
