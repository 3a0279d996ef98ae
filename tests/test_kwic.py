"""KWIC sorted by its context, and a limit that picks its lines after the sort.

The orders are checked against a sort done here over the full, date-ordered list, and
the full list against a regex scan of the stored text."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.cli import main
from tests.helpers import article

WIDTH = 25
#: Бишкек in several forms, with left and right words that differ in case and in ё/е,
#: words repeated next to the match so that the farther words decide, and two matches
#: in one headline.
TEXTS = [
    (1, "Бишкек и Ош", "Вчера в Бишкеке ёлку поставили. Зато в Бишкеке Елку убрали."),
    (2, "Новости", "Мэрия Бишкека объявила. В Бишкеке ель стоит. Ёж в Бишкеке жил."),
    (3, "Бишкек — Бишкек", "Говорят: бишкек — город. Вчера в Бишкеке дождь."),
    (4, "Погода", "ЕЛЬ в Бишкеке. Ель в бишкеке. Днём Бишкек зелёный, ночью Бишкек спит."),
    (5, "Без него", "Ош и Нарын, Талас."),
]
QUERY = "Бишкек"


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kwic") / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(*row) for row in TEXTS])
    return path


@pytest.fixture(scope="module")
def store(archive_path: Path) -> Iterator[Archive]:
    with Archive.open(archive_path, readonly=True) as opened:
        yield opened


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower().replace("ё", "е"))


def by_left(line: dict[str, Any]) -> tuple[str, ...]:
    return tuple(reversed(words(line["left"])))


def by_right(line: dict[str, Any]) -> tuple[str, ...]:
    return tuple(words(line["right"]))


def test_the_full_list_is_every_match_in_date_order(store: Archive) -> None:
    lines = list(store.kwic(QUERY, width=WIDTH))
    expected = [
        (st, column, found.group())
        for st, title, body in TEXTS
        for column, text in (("title", title), ("body", body))
        for found in re.finditer(r"(?i)бишкек\w*", text)
    ]
    assert [(x["st"], x["column"], x["match"]) for x in lines] == expected
    for line in lines:
        text = dict(zip(("title", "body"), TEXTS[line["st"] - 1][1:], strict=True))
        assert line["left"] + line["match"] + line["right"] in text[line["column"]]


@pytest.mark.parametrize(("sort", "key"), [("left", by_left), ("right", by_right)])
def test_sorts_by_the_context_words_nearest_first(store: Archive, sort: str, key: Any) -> None:
    full = list(store.kwic(QUERY, width=WIDTH))
    expected = sorted(full, key=key)  # stable: equal words keep the date order
    assert expected != full  # the sort does change the order
    assert list(store.kwic(QUERY, width=WIDTH, sort=sort)) == expected
    for n in (1, 2, 5, len(full), len(full) + 3):
        assert list(store.kwic(QUERY, width=WIDTH, sort=sort, limit=n)) == expected[:n]


def test_the_sorts_fold_case_and_yo(store: Archive) -> None:
    right = [line["right"] for line in store.kwic(QUERY, width=WIDTH, sort="right")]
    yo = next(i for i, r in enumerate(right) if r.startswith(" ёлку поставили"))
    big = next(i for i, r in enumerate(right) if r.startswith(" Елку убрали"))
    # as written, «Елку» sorts before «ёлку»; folded, поставили decides
    assert yo < big


def test_date_with_a_limit_is_the_first_lines(store: Archive) -> None:
    full = list(store.kwic(QUERY, width=WIDTH))
    assert list(store.kwic(QUERY, width=WIDTH, limit=3)) == full[:3]


def test_a_bad_sort_is_refused(store: Archive) -> None:
    with pytest.raises(ValueError, match="sort"):
        list(store.kwic(QUERY, sort="middle"))


def test_the_command_line_sorts_and_limits(
    archive_path: Path, store: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = sorted(store.kwic(QUERY, width=WIDTH), key=by_right)[:4]
    where = ["--archive", str(archive_path)]
    args = ["kwic", QUERY, "--sort", "right", "--limit", "4", "--width", str(WIDTH), "--csv"]
    assert main([*args, *where]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(int(r["st"]), r["column"], r["left"], r["right"]) for r in rows] == [
        (x["st"], x["column"], x["left"], x["right"]) for x in expected
    ]
    assert err.strip() == "4 lines"
    assert main(["kwic", QUERY, "--sort", "middle", *where]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "--sort" in err
