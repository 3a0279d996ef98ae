"""The `centrasia` command: extract, errors as one line and exit 2, help with examples,
and the analysts' commands start without Scrapy."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from centrasia_crawler.cli import cli, main
from tests.crawling import centrasia
from tests.helpers import SPECIMEN, expected

ARTICLE = SPECIMEN / "article_1771493400.html"


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    """The command in this process (tests.crawling.centrasia)."""
    return centrasia(*args, stdin=stdin)


def test_extract_reads_standard_input() -> None:
    done = run(
        "extract",
        "-",
        "--url",
        "https://centrasia.org/newsA.php?st=1771493400",
        stdin=ARTICLE.read_bytes(),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == expected("article_1771493400")


@pytest.mark.parametrize(
    ("stdin", "reason"),
    [
        (b"", "empty document"),
        (bytes(range(256)) * 4, "binary data"),
        (b"<html><body><h1>Example Domain</h1></body></html>", "no sign of centrasia.org"),
        (ARTICLE.read_bytes()[:5000], "truncated document"),
    ],
)
def test_bad_input_exits_2_with_one_line(stdin: bytes, reason: str) -> None:
    done = run("extract", "-", stdin=stdin)
    assert done.returncode == 2
    assert done.stdout == ""
    err = done.stderr
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("centrasia extract: -: not a centrasia page: ") and reason in err


@pytest.mark.slow
def test_the_interpreter_exits_2_with_one_line_on_bad_input() -> None:
    """The same as a real process: the console script's exit status, stderr's one line."""
    done = subprocess.run(
        [sys.executable, "-m", "centrasia_crawler.cli", "extract", "-"],
        input=b"<html><body><h1>Example Domain</h1></body></html>",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == b""
    err = done.stderr.decode()
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("centrasia extract: -: not a centrasia page: no sign of centrasia.org")


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(tmp_path / "nope.html")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read" in err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract"]) == 2
    assert "give either FILE or --from-archive" in capsys.readouterr().err
    assert main(["extract", "--no-such-option"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such option" in err.lower()


def test_every_command_has_help_with_an_example() -> None:
    assert len(cli.commands) >= 9
    for name, command in cli.commands.items():
        done = CliRunner().invoke(cli, [name, "--help"])
        assert done.exit_code == 0, name
        assert "example" in done.output.lower(), name
        assert command.help, name


@pytest.mark.slow  # a fresh interpreter: what the command alone imports
def test_an_analysts_command_loads_neither_scrapy_nor_twisted(tmp_path: Path) -> None:
    from centrasia_crawler.archive import Archive

    archive = tmp_path / "a.sqlite"
    Archive.open(archive).close()
    code = (
        "import sys\n"
        "from centrasia_crawler.cli import main\n"
        f"status = main(['search', 'Жапаров', '--archive', {str(archive)!r}])\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'scrapy', 'twisted'})\n"
        "print(status, loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.strip() == "0 []", done.stderr


def test_output_is_utf8_json_not_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["extract", str(ARTICLE)]) == 0
    assert "Редкоземельные" in out.getvalue()


@pytest.mark.parametrize(
    ("command", "shows"),
    [
        (["stats", "--json"], '"articles": 1'),
        (["search", "металлы", "--json"], "1771493400"),
        (["coverage"], "2026-02-19       0         1"),
        (["export"], "1771493400"),
        (["extract", "--from-archive", "https://centrasia.org/newsA.php?st=1771493400"], "США"),
    ],
    ids=lambda c: c[0] if isinstance(c, list) else "",
)
def test_every_command_reads_the_archive_named_by_centrasia_archive(
    command: list[str], shows: str, tmp_path: Path
) -> None:
    from centrasia_crawler.archive import Archive, RawPage
    from centrasia_crawler.extraction import extract_as
    from centrasia_crawler.items import article_item

    path = tmp_path / "elsewhere.sqlite"
    url = "https://centrasia.org/newsA.php?st=1771493400"
    page = RawPage(url, 200, {}, ARTICLE.read_bytes(), "2026-02-19T10:00:00+00:00", "article")
    with Archive.open(path) as archive:
        article = article_item(extract_as("article", ARTICLE.read_bytes(), url))
        archive.write_batch([article], pages=[page])
    runner = CliRunner()
    found = runner.invoke(cli, command, env={"CENTRASIA_ARCHIVE": str(path)})
    assert found.exit_code == 0, found.output
    assert shows in found.output
    missing = runner.invoke(cli, command, env={"CENTRASIA_ARCHIVE": str(tmp_path / "none")})
    assert missing.exit_code == 2 and str(tmp_path / "none") in missing.output


def test_progress_prints_a_line_every_few_seconds_and_the_last(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from centrasia_crawler.cli import common

    clock = [100.0]
    monkeypatch.setattr(common.time, "monotonic", lambda: clock[0])
    progress = common.progress_printer("compact", "pages recompressed", every=5.0)
    for done in range(500, 307_501, 500):  # 615 batches, an eighth of a second each
        clock[0] += 0.125
        progress(done, 307_501)
    progress(307_501, 307_501)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 16  # at 5 s, 10 s, ... 75 s, then the last
    assert lines[0] == "centrasia compact: 20,000 of 307,501 pages recompressed"
    assert lines[-1] == "centrasia compact: 307,501 of 307,501 pages recompressed"


def test_every_command_with_json_and_csv_refuses_both_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "a.sqlite"
    archive.touch()
    both = [
        command
        for command in cli.commands.values()
        if {"as_json", "as_csv"} <= {p.name for p in command.params}
    ]
    assert {c.name for c in both} >= {"kwic", "trend", "countries"}
    for command in both:
        arguments = ["x"] if any(p.param_type_name == "argument" for p in command.params) else []
        status = main([str(command.name), *arguments, "--json", "--csv", "--archive", str(archive)])
        out, err = capsys.readouterr()
        assert status == 2 and not out, (command.name, out)
        assert err.strip().splitlines() == [
            f"centrasia {command.name}: give --json or --csv, not both"
        ], err


def test_the_output_options_read_the_same_in_every_command() -> None:
    helps: dict[str, set[str]] = {}
    for command in cli.commands.values():
        for p in command.params:
            if p.name == "plot":
                helps.setdefault("plot metavar", set()).add(str(p.metavar))
            if p.name == "as_json":
                helps.setdefault("json flag", set()).add(str(p.opts))
    assert helps["plot metavar"] == {"FILE.png|FILE.svg"}
    assert helps["json flag"] == {"['--json']"}


@pytest.mark.parametrize("kind", ["empty file", "database without tables"])
def test_an_empty_file_is_not_an_archive_to_upgrade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """An empty file (or an SQLite file with no table) given as the archive: every read
    command says it holds no archive, in one line, exit 2, and leaves it as it was."""
    import sqlite3
    from contextlib import closing

    archive = tmp_path / "a.sqlite"
    archive.touch()
    if kind == "database without tables":
        with closing(sqlite3.connect(archive)) as conn:
            conn.execute("VACUUM")  # writes SQLite's header, and nothing else
    before = archive.read_bytes()
    assert before.startswith(b"SQLite format 3") == (kind != "empty file")
    for command in (["stats"], ["coverage"], ["search", "Бишкек"], ["kwic", "Бишкек"]):
        status = main([*command, "--archive", str(archive)])
        out, err = capsys.readouterr()
        assert status == 2 and not out, (command, out)
        assert err.strip().splitlines() == [
            f"centrasia {command[0]}: {archive}: no archive in it (an empty database);"
            f" a crawl makes one (`centrasia crawl --archive {archive}`)"
        ], err
        assert "upgrade" not in err
    assert archive.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.sqlite"]
