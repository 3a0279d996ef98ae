"""The search query language: every query a researcher types runs, or is one line.

The translator (centrasia_crawler/archive/search_query.py) serves search, count, kwic,
trend, terms, export --query and Datasette alike; it is tested here once, on a small
archive whose articles were written for these queries, through the library and the
command line (in-process)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centrasia_crawler.archive import Archive
from centrasia_crawler.archive.exporting import export_rows
from centrasia_crawler.archive.search import count, kwic, search
from centrasia_crawler.archive.search_query import QueryError, parse_query, translate
from centrasia_crawler.cli import main
from tests.helpers import ARTICLES, article


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("query") / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(*row) for row in ARTICLES])
    return path


@pytest.fixture(scope="module")
def store(archive_path: Path) -> Iterator[Archive]:
    with Archive.open(archive_path, readonly=True) as opened:
        yield opened


def found(store: Archive, query: str) -> set[int]:
    return {r["st"] for r in search(store, query, limit=None)}


# --- what queries mean ------------------------------------------------------------------

QUERIES = [
    # two and three unquoted words, whatever readings each has
    ("Садыр Жапаров", {1, 2, 10}),
    ("новая конституция", {1, 4, 9}),
    ("Жапаров Ташиев", {2}),
    ("Жапаров Ташиев Бишкек", {2}),
    ("стали цены", {7}),  # стали: of сталь or of стать
    # a first name with a surname in another case
    ("Садыром Жапарова", {1, 2, 10}),
    ("Камчыбека Ташиеву", {2, 3}),
    # explicit operators
    ("Жапаров AND Ташиев", {2}),
    ("Жапаров OR Ташиев", {1, 2, 3, 10}),
    ("Жапаров NOT Ташиев", {1, 10}),
    ("Жапаров NOT (Ташиев OR Мирзиёев)", {1}),
    ("(Жапаров OR Ташиев) Бишкек", {2}),
    ("конституция NOT Казахстан NOT газ", {1}),
    ("NEAR(Жапаров Мирзиёев, 3)", {10}),
    ("NEAR(Жапаров указ)", {1}),
    # phrases, with a word, in quotes of either kind
    ('"новая конституция"', {1, 4, 9}),
    ('"новой конституции" Казахстан', {4}),
    ("«Садыр Жапаров» указ", {1}),
    ('"Жапаров Садыр"', set()),  # a phrase keeps its order
    # prefixes and columns
    ("Жапар*", {1, 2, 10}),
    ("конституц* Казах*", {4}),
    ("title:Жапаров", {1, 2, 10}),
    ("title:(Ташиев OR Токаев)", {3, 5}),
    ("title:Жапаров body:Мирзиёев", {10}),
    ("body:Бишкек", {2, 8}),
    ("Бишкек -title:Бишкек", {2}),  # the headline lacks it
    ("Жапаров -Ташиев", {1, 10}),
    ("Жапаров -Ташиев -Мирзиёев", {1}),
    ('конституция -"новая конституция"', set()),
    ("Жапаров -(Ташиев OR Мирзиёев)", {1}),
    ("жапаров or ташиев", {1, 2, 3, 10}),
    ("жапаров not ташиев", {1, 10}),
    ("жапаров near мирзиёев", {10}),
    ("near(Жапаров указ)", {1}),
    ("Жапаров и Ташиев", {2}),  # the stop word is left out
    ("{title body}:ёлка", {8}),
    # hyphens, ё/е, Latin, digits, punctuation a researcher types
    ("Касым-Жомарт Токаев", {5}),
    ("Нур-Султан", {5}),
    ("елка", {8}),
    ("Мирзиеев", {10}),
    ("SCImago", {6}),
    ("scimago 2026", {6}),
    ("2019", {5}),
    ("Жапаров, Ташиев", {2}),
    ("Жапаров — Ташиев", {2}),
    ("Источник: Жапаров", set()),  # a word before ':' that is no column is a word
    ("Жапаров»", {1, 2, 10}),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES, ids=[q for q, _ in QUERIES])
def test_a_query_finds_what_it_means(store: Archive, query: str, expected: set[int]) -> None:
    assert found(store, query) == expected
    assert count(store, query) == len(expected)


def test_unquoted_words_with_several_readings_are_joined_by_and(store: Archive) -> None:
    written = translate(store.conn, "новая конституция")
    assert " AND " in written and written.startswith("(")
    assert sqlite3.complete_statement(f"SELECT '{written}';")


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ('"unclosed', "never closed"),
        ("«незакрытая", "never closed"),
        ("AND", "needs words on both sides"),
        ("Жапаров OR", "ends where a word should follow"),
        ("OR Жапаров", "needs words on both sides"),
        ("NOT Жапаров", "needs words on both sides"),
        ("title:", "ends where a word should follow"),
        ("Жапаров OR title:", "ends where a word should follow"),
        ("subject:Жапаров", "subject: is no field of the search"),
        ("((", "ends where a word should follow"),
        ("(Жапаров", "never closed"),
        ("Жапаров)", "closes nothing"),
        ("()", "empty parentheses"),
        ("*", "follows no word"),
        ("NEAR(Жапаров Ташиев, далеко)", "distance must be a number"),
        ("NEAR(, 3)", "NEAR takes words"),
        ("{title subject}:Жапаров", "unknown column 'subject'"),
        ("title:body:Жапаров", "leave no column"),
        ("-Жапаров", "exclusions (-word) alone"),
        ("-title:Жапаров", "exclusions (-word) alone"),
        ("Жапаров OR -Ташиев", "exclusions (-word) alone"),
        ("Жапаров NOT -Ташиев", "NOT and - say the same"),
        ("(" * 300 + "Жапаров" + ")" * 300, "nested 300 deep; at most 32"),
        ("— … !", "no word to search for"),
        ("", "no word to search for"),
        ("ж" * 10_000, "at most 1,000"),
    ],
)
def test_a_query_that_cannot_run_says_why_in_one_line(
    store: Archive, query: str, problem: str
) -> None:
    with pytest.raises(QueryError, match=r"^bad search query") as caught:
        search(store, query)
    assert problem in str(caught.value)
    assert "\n" not in str(caught.value) and "fts5" not in str(caught.value)


# --- any query from the grammar runs, or is one line ------------------------------------

#: Words with one reading, several readings (стали, мира, при), hyphens, Latin, digits.
WORDS = [
    "Жапаров", "конституция", "новая", "стали", "мира", "при", "Касым-Жомарт",
    "Нур-Султан", "SCImago", "2026", "ёлка", "Садыра", "и",
]  # fmt: skip


def _queries() -> st.SearchStrategy[str]:
    word = st.sampled_from(WORDS)
    phrase = st.one_of(
        word,
        word.map(lambda w: w + "*"),
        st.lists(word, min_size=1, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"'),
        st.lists(word, min_size=1, max_size=2).map(lambda ws: "«" + " ".join(ws) + "»"),
    )
    near = st.tuples(
        st.lists(phrase.filter(lambda p: "«" not in p), min_size=1, max_size=3),
        st.one_of(st.none(), st.integers(0, 20)),
    ).map(lambda t: f"NEAR({' '.join(t[0])}{'' if t[1] is None else f', {t[1]}'})")

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from([" ", " AND ", " OR ", " NOT "]), inner).map("".join),
            inner.map(lambda q: f"({q})"),
            st.tuples(st.sampled_from(["title:", "body:", "-title:", "{title body}:"]), inner)
            .filter(lambda t: not t[1].startswith(("title", "body", "-", "{")))
            .map("".join),
        )

    return st.recursive(st.one_of(phrase, near), extend, max_leaves=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=_queries())
def test_every_query_of_the_grammar_runs(store: Archive, query: str) -> None:
    try:
        search(store, query, limit=5)
        count(store, query)
    except QueryError as exc:  # only the grammar's own refusals, in words
        message = str(exc)
        assert "\n" not in message and "fts5" not in message, message
        assert any(
            why in message
            for why in (
                "leave no column",
                "too many readings",
                "NOT needs",
                "exclusions",
                "NOT and -",
                *("cannot tell those beginning", "give more letters", "a prefix needs"),
            )
        ), message


@settings(max_examples=300, deadline=None)
@given(query=st.text(alphabet='Жапаров стали()"«»*:-,{}ANDORNTtitlebody 0123456789', max_size=40))
def test_any_text_runs_or_is_one_line(store: Archive, query: str) -> None:
    try:
        parse_query(query)
        search(store, query, limit=5)
    except QueryError as exc:
        assert "\n" not in str(exc) and "fts5" not in str(exc), exc


# --- the commands a researcher types ---------------------------------------------------


def centrasia(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The command line, in this process."""
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_search_says_how_many_of_how_many(
    archive_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ("--archive", str(archive_path))
    status, out, err = centrasia(capsys, "search", "Садыр Жапаров", "--limit", "2", *where)
    assert status == 0, err
    assert err.strip() == "2 of 3 results"
    assert out.count("https://centrasia.org/newsA.php?st=") == 2
    status, out, err = centrasia(capsys, "search", "Садыр Жапаров", *where)
    assert err.strip() == "3 results"
    status, out, err = centrasia(capsys, "search", "Садыр Жапаров", "--count", *where)
    assert (status, out) == (0, "3\n")
    status, out, _ = centrasia(capsys, "search", "Жапаров", "--count", "--json", *where)
    assert json.loads(out) == {"query": "Жапаров", "articles": 3}
    status, out, _ = centrasia(capsys, "search", "Жапаров", "--json", "--limit", "0", *where)
    assert isinstance(json.loads(out), list) and len(json.loads(out)) == 3


def test_a_bad_query_exits_2_with_one_line(
    archive_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("search", "kwic", "trend", "terms"):
        status, out, err = centrasia(capsys, command, "Жапаров OR", "--archive", str(archive_path))
        assert status == 2, (command, err)
        assert err.count("\n") == 1 and "ends where a word should follow" in err, err
    status, out, err = centrasia(
        capsys, "export", "--query", "(Жапаров", "--archive", str(archive_path)
    )
    assert status == 2 and "never closed" in err and out == ""


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_query_is_exactly_what_search_finds(
    archive_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    where = ("--archive", str(archive_path))
    for query in ("Садыр Жапаров", "новая конституция NOT Казахстан", "Ташиев OR Токаев"):
        _, out, _ = centrasia(capsys, "search", query, "--limit", "0", "--json", *where)
        searched = sorted(r["st"] for r in json.loads(out))
        target = tmp_path / f"corpus.{fmt}"
        status, _, err = centrasia(
            capsys, "export", "--query", query, "--format", fmt, "-o", str(target), *where
        )
        assert status == 0, err
        if fmt == "jsonl":
            rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
        elif fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
        else:
            import pyarrow.parquet as pq

            rows = pq.read_table(target).to_pylist()
        assert [int(r["st"]) for r in rows] == searched, query
        assert err.strip() == f"centrasia export: {len(searched)} articles"


def test_export_query_takes_the_filters(store: Archive) -> None:
    from centrasia_crawler.archive.search import Filters

    rows = list(export_rows(store, Filters(source="ИноСМИ"), "Жапаров"))
    assert [r["st"] for r in rows] == [1]  # 2 and 10 are 24.kg's


def test_kwic_shows_each_match_as_spelled_in_its_context(store: Archive) -> None:
    lines = list(kwic(store, "Жапаров", width=20))
    assert {line["match"] for line in lines} == {"Жапаров", "Жапаровым"}
    for line in lines:
        text = store.article(line["st"])[line["column"]]  # type: ignore[index]
        assert line["left"] + line["match"] + line["right"] in text
        assert len(line["left"]) <= 20 and len(line["right"]) <= 20
    assert sum(line["st"] == 2 for line in lines) == 2  # the title's and the body's
    phrase = list(kwic(store, '"новая конституция"'))
    assert {line["match"] for line in phrase} == {
        "Новая конституция", "новой конституции",
    }  # fmt: skip
    assert [line["st"] for line in phrase] == sorted(line["st"] for line in phrase)


def test_kwic_on_the_command_line(archive_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    where = ("--archive", str(archive_path))
    status, out, err = centrasia(capsys, "kwic", "Ташиев", "--width", "15", *where)
    assert status == 0, err
    lines = out.splitlines()
    assert len(lines) == 3 and err.strip() == "3 lines"  # st 2's body, st 3's title and body
    starts = {line.index("Ташиев") for line in lines}
    assert len(starts) == 1  # the matches are aligned
    status, out, _ = centrasia(capsys, "kwic", "Ташиев", "--csv", *where)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["st"], r["column"], r["match"]) for r in rows] == [
        ("2", "body", "Ташиев"), ("3", "title", "Ташиев"), ("3", "body", "Ташиев"),
    ]  # fmt: skip
    assert list(rows[0]) == ["date", "st", "column", "left", "match", "right", "url"]
    status, out, _ = centrasia(capsys, "kwic", "Ташиев", "--json", "--limit", "2", *where)
    assert len(json.loads(out)) == 2


def test_terms_leave_out_the_query_and_say_what_the_score_is(
    archive_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = centrasia(capsys, "terms", "Жапаров", "--archive", str(archive_path))
    assert status == 0, err
    assert "z-score of the word's log-odds ratio" in out
    listed = [line.split()[-1] for line in out.splitlines() if line.startswith("  ")]
    assert not any("жапар" in term for term in listed), listed
    status, out, _ = centrasia(capsys, "terms", "--help")
    assert "z-score of the log-odds ratio" in " ".join(out.split())


def test_export_takes_its_format_from_the_file_name(
    archive_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pyarrow.parquet as pq

    where = ("--archive", str(archive_path))
    target = tmp_path / "corpus.parquet"
    assert centrasia(capsys, "export", "-q", "Жапаров", "-o", str(target), *where)[0] == 0
    assert sorted(pq.read_table(target).column("st").to_pylist()) == [1, 2, 10]
    status, _, err = centrasia(
        capsys, "export", "--format", "csv", "-o", str(tmp_path / "x.parquet"), *where
    )
    assert status == 2 and "--format csv but -o" in err and err.count("\n") == 1
    assert not (tmp_path / "x.parquet").exists()
    # A name that is no format's (Excel's) is refused, not filled with JSON Lines.
    status, _, err = centrasia(capsys, "export", "-o", str(tmp_path / "x.xlsx"), *where)
    assert status == 2 and "no export format is written as .xlsx" in err
    assert err.count("\n") == 1 and not (tmp_path / "x.xlsx").exists()
    named = tmp_path / "x.txt"
    assert centrasia(capsys, "export", "--format", "csv", "-o", str(named), *where)[0] == 0
    assert named.read_text(encoding="utf-8").startswith("st,")


# --- what the command line says about a query and its filters ---------------------------


def test_lower_case_operators_and_stop_words_are_said_on_stderr(
    archive_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ("--archive", str(archive_path))
    status, out, err = centrasia(capsys, "search", "жапаров or ташиев", "--count", *where)
    assert (status, out) == (0, "4\n")
    assert err == (
        "centrasia search: note: read 'or' as OR: an operator between words"
        " (Russian text has no such word)\n"
    )
    status, out, err = centrasia(capsys, "search", "Жапаров и Ташиев", "--count", *where)
    assert (status, out) == (0, "1\n")
    assert err.count("\n") == 1 and "left out the stop words 'и'" in err
    status, out, err = centrasia(capsys, "search", "Жапаров", "--count", *where)
    assert (status, out, err) == (0, "3\n", "")


def test_filters_that_cannot_match_are_one_line(
    archive_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ("--archive", str(archive_path))
    for command in ("search", "kwic"):
        status, out, err = centrasia(
            capsys, command, "Жапаров", "--since", "2026-02-10", "--until", "2026-01-01", *where
        )
        assert (status, out) == (2, "")
        assert err == (
            f"centrasia {command}: --since 2026-02-10 is after --until 2026-01-01:"
            " no day is in between\n"
        )
        status, out, err = centrasia(capsys, command, "Жапаров", "--source", "Ино СМИ", *where)
        assert (status, out) == (2, "")
        assert err == (
            f"centrasia {command}: --source 'Ино СМИ' names no article in the archive;"
            " the closest: ИноСМИ, 24.kg\n"
        )
    status, out, _ = centrasia(capsys, "search", "Ташиев", "--source", "иносми", *where)
    assert status == 0  # a source that names articles, none matching: no error
    status, _, err = centrasia(capsys, "search", "Жапаров", "--attribution", "Иванов", *where)
    assert status == 2 and "--attribution 'Иванов' names no article" in err


def test_exact_tells_the_total_and_kwic_takes_it(
    archive_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ("--archive", str(archive_path))
    status, out, err = centrasia(capsys, "search", "Жапаров", "--exact", "--limit", "1", *where)
    assert status == 0 and err == "1 of 2 results\n"  # «Жапаровым» is another form
    status, out, _ = centrasia(capsys, "search", "Жапаров", "--exact", "--count", *where)
    assert out == "2\n"
    status, out, err = centrasia(capsys, "kwic", "ёлка", "--exact", "--csv", *where)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["st"], r["column"], r["match"]) for r in rows] == [
        ("8", "title", "Ёлка"),
        ("8", "body", "ёлка"),
    ]  # fmt: skip; «ёлку» is another form, and the article's ё is kept
    status, out, _ = centrasia(capsys, "kwic", "ёлка", "--csv", *where)
    assert len(list(csv.DictReader(io.StringIO(out)))) == 3


def test_headlines_come_first(store: Archive) -> None:
    # Бишкек: in the headline of 8 only; in the body of 2 and 8
    assert [r["st"] for r in search(store, "Бишкеке", limit=None)] == [8, 2]
    assert [r["st"] for r in search(store, "бишкек", limit=1)] == [8]
    for query in ("Жапаров", "Жапаровым", "жапарова"):
        ranked = [r["st"] for r in search(store, query, limit=None)]
        assert set(ranked[:3]) == {1, 2, 10}  # all three name him in the headline
        assert ranked == [r["st"] for r in search(store, "Жапаров", limit=None)]


def test_an_archive_used_after_its_with_block_says_so(archive_path: Path) -> None:
    from centrasia_crawler.archive import ArchiveClosed

    with Archive.open(archive_path, readonly=True) as opened:
        lines = opened.kwic("Ташиев")
        rows = opened.articles("Ташиев")
    for late in (lambda: opened.count("Ташиев"), lambda: list(lines), lambda: list(rows)):
        with pytest.raises(ArchiveClosed, match=r"^the archive was closed when its with block"):
            late()
    opened.close()  # closing again is no error


def test_entities_under_any_form(store: Archive) -> None:
    import sqlite3 as sql

    assert found(store, "@Нур-Султане") == found(store, "@Астана") == {5}
    assert found(store, "@Жапарову") == found(store, "@Жапаров") == {1, 2, 10}
    assert found(store, "NEAR(@Жапаров @Мирзиёев, 3)") == {10}
    assert found(store, "Жапаров -@Мирзиёев") == {1, 2}
    with pytest.raises(QueryError) as caught:
        search(store, "@Астна")
    assert str(caught.value) == (
        "bad search query '@Астна': no entity is named 'Астна';"
        " the closest names: Астана, Палестина, Эйр Астана"
    )
    assert isinstance(caught.value, ValueError) and not isinstance(caught.value, sql.Error)
