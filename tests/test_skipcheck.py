"""The skip check (tests/skipcheck.py): under CI a skip that tests/skips.toml does not
allow fails the session, naming the test and its reason; an allowed one does not;
outside CI skips are reported as always. Each case is a real pytest session, run in
this process (pytester)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.skipcheck import read_list

pytest_plugins = ["pytester"]

TESTS = """
import pytest

def test_runs():
    pass

def test_needs_a_program():
    pytest.skip("frobnicate is not installed")

@pytest.mark.skipif(True, reason="no pages captured yet")
@pytest.mark.parametrize("page", ["a", "b"])
def test_captured(page):
    pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_things=TESTS)
    (pytester.path / "tests").mkdir()
    return pytester


def allow(pytester: pytest.Pytester, text: str) -> None:
    (pytester.path / "tests" / "skips.toml").write_text(text, encoding="utf-8")


def run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str | None
) -> pytest.RunResult:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    monkeypatch.delenv("CI_SUMMARY", raising=False)
    return pytester.runpytest_inprocess("-p", "tests.skipcheck", "-rs")


def test_an_unlisted_skip_fails_the_session_under_ci(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    allow(
        project,
        '[[allow]]\ntest = "test_things.py::test_captured"\nwhy = "no pages yet"\n',
    )
    result = run(project, monkeypatch, "1")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, skipped=3)
    out = result.stdout.str()
    assert "skips not allowed under CI" in out
    result.stdout.fnmatch_lines(
        ["test_things.py::test_needs_a_program: frobnicate is not installed"]
    )
    # The allowed ones (both parametrized cases, by the test's node id) are not named.
    section = out.split("skips not allowed under CI", 1)[1]
    assert "test_captured" not in section


def test_listed_skips_pass_under_ci(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    allow(
        project,
        '[[allow]]\ntest = "test_things.py::test_captured"\nwhy = "no pages yet"\n\n'
        '[[allow]]\nreason = "^frobnicate is not installed$"\nwhy = "no frobnicate here"\n',
    )
    result = run(project, monkeypatch, "1")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1, skipped=3)
    assert "skips not allowed" not in result.stdout.str()


def test_a_reason_pattern_that_does_not_match_allows_nothing(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    allow(
        project,
        '[[allow]]\ntest = "test_things.py::test_captured"\nreason = "tmpfs"\nwhy = "x"\n\n'
        '[[allow]]\nreason = "frobnicate"\ntest = "test_things.py::test_runs"\nwhy = "y"\n',
    )
    result = run(project, monkeypatch, "1")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "test_things.py::test_needs_a_program: frobnicate is not installed",
            "test_things.py::test_captured[[]a[]]: no pages captured yet",
            "test_things.py::test_captured[[]b[]]: no pages captured yet",
        ]
    )


def test_a_module_skipped_whole_is_named_too(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``pytest.importorskip`` at a module's top skips it as it is collected."""
    project.makepyfile(
        test_optional='import pytest\n\npytest.importorskip("no_such_module_here")\n\n'
        "def test_it():\n    pass\n"
    )
    allow(
        project,
        '[[allow]]\ntest = "test_things.py::test_captured"\nwhy = "x"\n\n'
        '[[allow]]\nreason = "frobnicate"\nwhy = "y"\n',
    )
    result = run(project, monkeypatch, "1")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["test_optional.py: could not import 'no_such_module_here'*"])
    allow(
        project,
        '[[allow]]\ntest = "test_things.py::test_captured"\nwhy = "x"\n\n'
        '[[allow]]\nreason = "frobnicate"\nwhy = "y"\n\n'
        '[[allow]]\ntest = "test_optional.py"\nwhy = "z"\n',
    )
    assert run(project, monkeypatch, "1").ret == pytest.ExitCode.OK


def test_outside_ci_skips_are_reported_as_always(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(project, monkeypatch, None)  # no list at all, and no CI
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] test_things.py:*: frobnicate is not installed"])
    assert "skips not allowed" not in result.stdout.str()


def test_a_broken_list_stops_the_run_in_one_line(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    allow(project, '[[allow]]\ntest = "test_things.py::test_runs"\n')  # no why
    result = run(project, monkeypatch, "1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*skips.toml: [[][[]allow[]][]] number 1: needs a 'why'*"])


def test_the_summary_line_names_the_skips(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    summary = tmp_path / "summary"
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("CI_SUMMARY", str(summary))
    result = project.runpytest_inprocess("-p", "tests.skipcheck")
    assert result.ret == pytest.ExitCode.OK
    line = summary.read_text(encoding="utf-8")
    assert line.startswith("Python 3.")
    assert ", 1 passed, 0 failed, 3 skipped (test_things.py::test_needs_a_program," in line
    assert "test_things.py::test_captured[b])\n" in line


def test_the_projects_list_reads_and_names_why() -> None:
    """tests/skips.toml itself: every entry has its why and a test or reason; a test named
    by node id exists."""
    path = Path(__file__).parent / "skips.toml"
    allowed = read_list(path)
    assert allowed and all(a.why.strip() for a in allowed)
    root = path.parent.parent
    for entry in tomllib.loads(path.read_text(encoding="utf-8"))["allow"]:
        if "test" in entry:
            file, _, name = entry["test"].partition("::")
            assert f"def {name}(" in (root / file).read_text(encoding="utf-8"), entry["test"]
