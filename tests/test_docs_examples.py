"""The Python examples of the docs run, on an archive where they find something."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from centrasia_crawler.archive import Archive
from tests.helpers import ARTICLES, article

PROJECT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


#: The articles' entities of the package's gazetteer, labelled by hand: st ->
#: (entity id, mentions, in the title).
TAGS = {
    2: [("bishkek", 1, False)],
    4: [("kazakhstan", 2, True)],
    5: [("astana", 1, False)],
    8: [("bishkek", 2, True)],
    10: [("mirziyoyev", 1, True)],
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from centrasia_crawler.entities.gazetteer import load

    path = tmp_path_factory.mktemp("docs") / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(*row) for row in ARTICLES])
        with store.transaction():
            store.store_gazetteer(load())
            for st, *_ in ARTICLES:
                store.write_entities(st, TAGS.get(st, []))
    return path


def examples(page: str) -> list[str]:
    return BLOCK.findall((PROJECT / page).read_text(encoding="utf-8"))


PAGES = [(page, n) for page in ("README.md", "docs/api.md") for n in range(len(examples(page)))]


@pytest.mark.parametrize(("page", "number"), PAGES, ids=[f"{p}-{n}" for p, n in PAGES])
def test_the_python_examples_run(
    archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str, number: int,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    pytest.importorskip("pandas")
    (tmp_path / "data").mkdir()
    for name in ("archive.sqlite", "demo.sqlite"):
        shutil.copy(archive, tmp_path / "data" / name)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(examples(page)[number], f"{page} example {number}", "exec"), namespace)
    if page == "docs/api.md":
        printed = capsys.readouterr().out
        assert printed.strip(), "the example printed nothing"
        if number == 0:
            assert printed.splitlines()[0] == "3"  # Садыр Жапаров: st 1, 2 and 10
            assert "[" in printed and "]" in printed
    else:  # the README's: the researcher's first hour, in Python
        assert namespace["rows"] and [r["st"] for r in namespace["corpus"]] == [2]  # type: ignore[attr-defined]


def test_the_api_answers_as_the_commands_do(archive: Path) -> None:
    import json

    from click.testing import CliRunner

    from centrasia_crawler.cli import cli

    with Archive.open(archive, readonly=True) as store:
        trend = store.trend("Жапаров", by="day", since="2026-02-11", until="2026-02-20")
        ran = CliRunner().invoke(
            cli,
            ["trend", "Жапаров", "--by", "day", "--since", "2026-02-11", "--until",
             "2026-02-20", "--json", "--archive", str(archive)],
        )  # fmt: skip
        assert ran.exit_code == 0, ran.output
        assert trend == json.loads(ran.output)
        assert [r["st"] for r in store.articles("Жапаров")] == [1, 2, 10]
        assert store.count("Жапаров", source="ИноСМИ") == 1
        hit = store.search("Ташиев", limit=1, marks=("<b>", "</b>"))[0]
        assert "<b>Ташиев</b>" in hit["snippet"] and "\x02" not in hit["snippet"]
        with pytest.raises(ValueError, match="since='yesterday' is not a date"):
            store.search("Жапаров", since="yesterday")
        with pytest.raises(ValueError, match="by: 'decade' is not one of"):
            store.trend("Жапаров", by="decade")
        ran = CliRunner().invoke(
            cli, ["entities", "конституция", "--json", "--archive", str(archive)]
        )
        assert ran.exit_code == 0, ran.output
        assert store.entities("конституция") == json.loads(ran.output)
        assert store.entities("конституция")["entities"] == [
            {"name": "Казахстан", "type": "country", "country": "KZ", "articles": 1}
            | {"mentions": 2, "share": round(1 / 3, 6), "lift": round((1 / 3) / (1 / 10), 3)}
        ]
        ran = CliRunner().invoke(
            cli, ["countries", "--by", "day", "--json", "--archive", str(archive)]
        )
        assert store.countries(by="day", top=10) == json.loads(ran.output)


def test_the_cli_page_is_the_commands_help() -> None:
    """docs/cli.md is what ``make docs`` (cog) writes from each command's --help."""
    from cogapp import Cog

    status = Cog().main(
        ["cog", "-I", str(PROJECT / "docs"), "--check", str(PROJECT / "docs/cli.md")]
    )
    assert status == 0, "docs/cli.md is out of date: run make docs"
