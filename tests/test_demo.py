"""``make demo``: the newcomer's first run, offline, with the site's real headlines."""

from __future__ import annotations

import json
import re
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.crawling import PROJECT, centrasia
from tests.replica.demo import specimen


@pytest.mark.slow
def test_the_demo_crawls_real_headlines_and_its_hints_all_work(tmp_path: Path) -> None:
    archive = tmp_path / "demo.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "tests.replica.demo", "--archive", str(archive)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "sqlite3" not in done.stdout
    days, articles = specimen()
    conn = sqlite3.connect(archive)
    newest = days[0]
    listed = dict(
        conn.execute("SELECT st, title FROM listings WHERE listed_on = ?", [newest["date"]])
    )
    assert listed == {h["st"]: h["title"] for h in newest["headlines"]}
    for real in articles:
        row = conn.execute("SELECT title, body, source FROM articles WHERE st = ?", [real["st"]])
        assert row.fetchone() == (real["title"], real["body"], real["source"]), real["st"]
    hints = [line.strip() for line in done.stdout.splitlines() if "bin/centrasia " in line]
    commands = {shlex.split(line)[1] for line in hints}
    assert commands == {
        "search",
        "trend",
        "terms",
        "entities",
        "countries",
        "coverage",
        "stats",
        "runs",
        "serve",
    }
    for line in hints:
        args = shlex.split(line)[1:]
        if args[0] == "serve":
            continue  # tested in test_analysis: it runs until stopped
        assert args[args.index("--archive") + 1] == str(archive)
        ran = centrasia(*args)
        assert ran.returncode == 0, (line, ran.stderr)
        assert ran.stdout.strip(), line
        if args[:2] == ["search", "Казахстан"]:
            found = ran.stdout
            assert "Казахстана" in found or "Казахстане" in found  # another form, found
        if args[:2] == ["search", "Садыр Жапаров"]:  # two words, unquoted
            assert re.search(r"\[(Садыр|Жапаров)", ran.stdout), ran.stdout  # a match, marked
        if args[:2] == ["search", '"Центральная Азия"']:
            assert "[Центральной Азии]" in ran.stdout
        if args[0] == "trend":
            plot = Path(args[args.index("--plot") + 1])
            assert plot.parent == tmp_path and plot.read_bytes()[:4] == b"\x89PNG"
            rows = [r.split() for r in ran.stdout.splitlines() if re.match(r"\d{4}-", r)]
            referendum = [int(r[1]) for r in rows]
            # Attention rises and falls: nothing at either end, a peak between.
            assert referendum[0] == referendum[-1] == 0 and max(referendum) >= 4, rows
        if args[0] == "terms":
            words = [r.split()[-1] for r in ran.stdout.splitlines()[2:12]]
            assert "конституция" in words, ran.stdout  # the topic, named
    assert json.loads(centrasia("stats", "--archive", str(archive), "--json").stdout)["articles"]
