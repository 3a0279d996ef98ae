"""The `centrasia` command: extract, errors as one line and exit 2, help with examples."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from centrasia_crawler.cli import build_parser, main
from tests.conftest import SPECIMEN, expected

ARTICLE = SPECIMEN / "article_1771493400.html"


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "centrasia_crawler.cli", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )


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
    assert done.stdout == b""
    err = done.stderr.decode()
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("centrasia extract: -: not a centrasia page: ") and reason in err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(tmp_path / "nope.html")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot read" in err


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract"]) == 2
    assert "give either FILE or --from-archive" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["extract", "--no-such-option"])
    assert exc.value.code == 2


def test_every_command_has_help_with_an_example() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.choices and isinstance(a.choices, dict))
    assert subparsers.choices
    for name, sub in subparsers.choices.items():
        help_text = sub.format_help()
        assert "example" in help_text.lower(), name
        assert sub.description, name


def test_output_is_utf8_json_not_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["extract", str(ARTICLE)]) == 0
    assert "Редкоземельные" in out.getvalue()
