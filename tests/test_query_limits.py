"""No query can recurse or blow up: hostile query strings end in a count or in one line
(exit 2 on the command line, 400 in Datasette), and lemmas with any number of forms are
searched exactly as a scan of the index's text finds them."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from centrasia_crawler.archive import Archive
from centrasia_crawler.archive.search_query import (
    MAX_DEPTH,
    MAX_QUERY,
    QueryError,
    QueryTranslator,
    parse_query,
)
from centrasia_crawler.cli import main
from centrasia_crawler.normalize.morphology import JOIN
from tests.helpers import close_datasette
from tests.helpers import datasette as open_datasette

ARTICLES = [
    (1, "Садыр Жапаров подписал указ", "Президент Садыр Жапаров подписал указ в Бишкеке."),
    (2, "Встреча с Жапаровым", "Камчыбек Ташиев встретился с Садыром Жапаровым."),
    (3, "Ташиев в Оше", "Глава ГКНБ Камчыбек Ташиев посетил Ош, и это хорошо."),
    (4, "Новая конституция Казахстана", "Референдум о новой конституции прошёл в Казахстане."),
    (5, "Токаев в Астане", "Касым-Жомарт Токаев провёл совещание в Нур-Султане."),
]


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("limits") / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch(
            [
                {
                    "st": st_,
                    "url": f"https://centrasia.org/newsA.php?st={st_}",
                    "title": title,
                    "published_at": f"2026-02-{10 + st_:02d}T12:00:00+03:00",
                    "body": body,
                }
                for st_, title, body in ARTICLES
            ]
        )
    return path


def count_line(
    path: Path, capsys: pytest.CaptureFixture[str], query: str
) -> tuple[int, str, str, float]:
    """``centrasia search --count QUERY`` in this process: status, out, err, seconds."""
    started = time.monotonic()
    status = main(["search", "--count", "--archive", str(path), "--", query])
    took = time.monotonic() - started
    out, err = capsys.readouterr()
    return status, out, err, took


NESTED = "(" * 300 + "Жапаров" + ")" * 300
NESTED_PROBLEM = "bad search query: nested 300 deep; at most 32"


def test_300_nested_parentheses_are_one_line(
    archive_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(NESTED)
    assert str(caught.value) == NESTED_PROBLEM
    status, out, err, _ = count_line(archive_path, capsys, NESTED)
    assert (status, out) == (2, "")
    assert err == f"centrasia search: {NESTED_PROBLEM}\n"
    for command in (["kwic"], ["trend"], ["terms"]):
        status = main([*command, "--archive", str(archive_path), "--", NESTED])
        out, err = capsys.readouterr()
        assert status == 2 and err.count("\n") == 1 and NESTED_PROBLEM in err, (command, err)


def test_nesting_up_to_the_limit_runs(archive_path: Path) -> None:
    with Archive.open(archive_path, readonly=True) as store:
        plain = store.count("Жапаров OR Ташиев")
        assert plain == 3
        deep = "(" * MAX_DEPTH + "Жапаров OR Ташиев" + ")" * MAX_DEPTH
        assert store.count(deep) == plain
        # alternating operators at every level, each level a group FTS5 must nest
        nested = "Бишкек"
        for level in range(MAX_DEPTH - 1):
            nested = f"(Жапаров {'OR' if level % 2 else 'AND'} {nested})"
        assert store.count(nested) >= 1
        with pytest.raises(QueryError, match="nested 33 deep"):
            store.count("(" + deep + ")")


def test_a_long_chain_of_operators_and_prefixes_does_not_recurse(archive_path: Path) -> None:
    with Archive.open(archive_path, readonly=True) as store:
        chain = " NOT ".join(["Жапаров"] + ["Ош"] * 130)
        assert len(chain) < MAX_QUERY
        assert store.count(chain) == 2
        assert store.count("," * 900 + "Жапаров") == 2
        with pytest.raises(QueryError, match="leave no column"):
            store.count("title:body:" * 80 + "Жапаров")
        assert store.count("title:" * 150 + "Жапаров") == 2


def datasette_get(path: Path, *urls: str) -> list[Any]:
    async def run() -> list[Any]:
        ds = open_datasette([path])
        try:
            return [await ds.client.get(url) for url in urls]
        finally:
            close_datasette(ds)

    return asyncio.run(run())


def test_datasette_answers_the_300_deep_search_400(archive_path: Path) -> None:
    q = urllib.parse.quote(NESTED)
    responses = datasette_get(
        archive_path,
        f"/archive/articles.json?_search={q}",
        f"/archive/articles?_search={q}&source__exact=x",
        f"/archive/tagged_articles.json?_search={q}&_facet_array=entities",
        f"/archive/search.json?q={q}",
        f"/archive/search?q={q}",
        f"/archive/-/attention.json?q={q}",
    )
    for response in responses:
        assert response.status_code == 400, (response.url, response.text[:500])
        assert NESTED_PROBLEM in response.text
    assert responses[0].json() == {"ok": False, "error": NESTED_PROBLEM}


# --- any string: a count or one line, in the command line and Datasette alike -----------

PIECES = [
    "(", ")", '"', "«", "»", "*", "-", "@", "title:", "body:", "-title:", "{title body}:",
    "AND", "OR", "NOT", "NEAR(", ", 5)", "or", "not", "near", ",", " ", "Жапаров",
    "Ташиев", "Бишкек", "и", "хорошо", "@Астана", "@Астане", "@Астна", "2026", "\x00",
    "Нур-Султан", "новая конституция",
]  # fmt: skip


def _hostile() -> st.SearchStrategy[str]:
    built = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=60)
    return st.one_of(
        built.map("".join),
        built.map(" ".join),
        st.text(max_size=MAX_QUERY),
        st.integers(0, 600).map(lambda n: "(" * n + "Жапаров" + ")" * n),
    ).map(lambda q: q[:MAX_QUERY])


@pytest.fixture(scope="module")
def served(archive_path: Path) -> Iterator[Any]:
    """One Datasette over the archive for the whole module (its startup done)."""
    ds = open_datasette([archive_path])
    asyncio.run(ds.invoke_startup())
    try:
        yield ds
    finally:
        close_datasette(ds)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(query=_hostile())
def test_any_string_is_a_count_or_one_line_on_the_command_line_and_in_datasette(
    archive_path: Path, served: Any, capsys: pytest.CaptureFixture[str], query: str
) -> None:
    status, out, err, took = count_line(archive_path, capsys, query)
    if took >= 1.0:  # once more, past a moment the shared machine was busy
        status, out, err, took = count_line(archive_path, capsys, query)
    assert took < 1.0, (query, took)
    if status == 0:
        assert re.fullmatch(r"\d+\n", out), (query, out)
    else:
        assert status == 2 and out == "", (query, status, err)
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("centrasia search: bad search query")
    if not query.strip():
        return  # Datasette reads a blank _search as no search
    q = urllib.parse.quote(query)
    response = asyncio.run(served.client.get(f"/archive/articles.json?_search={q}&_size=1"))
    if status == 0:
        assert response.status_code == 200, (query, response.text[:300])
        assert response.json()["filtered_table_rows_count"] == int(out)
    else:
        assert response.status_code == 400, (query, response.text[:300])
        said = " ".join(response.json()["error"].split())  # as the command line prints it
        assert err == f"centrasia search: {said}\n"


# --- lemmas with any number of forms ------------------------------------------------------


def _index(documents: list[list[str]], vocabulary: list[tuple[str, str]]) -> sqlite3.Connection:
    """A morphological index as the archive has it, written by hand: each document a list
    of index terms, ``vocabulary`` the (lemma, term) pairs of ``morph_terms``."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE articles_morph USING fts5 (title, body)")
    conn.execute("CREATE TABLE morph_terms (lemma TEXT, term TEXT, PRIMARY KEY (lemma, term))")
    conn.executemany("INSERT INTO morph_terms VALUES (?, ?)", vocabulary)
    conn.executemany(
        "INSERT INTO articles_morph (rowid, title, body) VALUES (?, '', ?)",
        [(n + 1, " ".join(terms)) for n, terms in enumerate(documents)],
    )
    return conn


def _matches(conn: sqlite3.Connection, fts: str) -> set[int]:
    rows = conn.execute("SELECT rowid FROM articles_morph WHERE articles_morph MATCH ?", (fts,))
    return {row[0] for row in rows}


class Readings:
    """A morphology whose words have the readings a test gives them."""

    def __init__(self, readings: dict[str, list[str]]) -> None:
        self.readings = readings

    def lemmas(self, token: str, *, query: bool = False) -> frozenset[str]:
        return frozenset(self.readings[token.lower()])


#: Query words: letters only, as a word of the index is.
WORDS = ["альфа", "бета", "гамма"]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    forms=st.lists(st.integers(1, 500), min_size=1, max_size=3),
    ambiguity=st.lists(st.integers(1, 20), min_size=3, max_size=3),
    size=st.integers(1, 3),
    seed=st.randoms(use_true_random=False),
)
def test_a_lemma_with_any_number_of_forms_is_searched_as_a_scan_finds_it(
    forms: list[int], ambiguity: list[int], size: int, seed: Any
) -> None:
    words = WORDS[:size]
    # each word has 1 to 20 readings (lemmas); each lemma has 1 to 500 forms in the
    # index (at most 500 a word), each a term it shares with another lemma, as an
    # ambiguous form's term is
    readings = {w: [f"{w}{k}" for k in range(ambiguity[n])] for n, w in enumerate(words)}
    vocabulary: list[tuple[str, str]] = []
    terms_of: dict[str, list[str]] = {}
    for n, lemma in enumerate(sorted(lemma for ls in readings.values() for lemma in ls)):
        word = lemma.rstrip("0123456789")
        count = max(1, forms[n % len(forms)] // len(readings[word]))
        terms = [f"{lemma}{JOIN}форма{k}" for k in range(count)]
        terms_of[lemma] = [lemma, *terms]
        vocabulary += [(lemma, t) for t in terms] + [(f"форма{k}", t) for k, t in enumerate(terms)]
    pool = [t for ts in terms_of.values() for t in ts] + ["шум", "другое"]
    documents = [[seed.choice(pool) for _ in range(seed.randint(1, 12))] for _ in range(60)]
    with closing(_index(documents, vocabulary)) as conn:
        translator = QueryTranslator(conn)
        translator.morph = Readings(readings)  # type: ignore[assignment]

        def has(doc: list[str], word: str) -> bool:
            wanted = {t for lemma in readings[word] for t in terms_of[lemma]}
            return any(t in wanted for t in doc)

        def in_a_row(doc: list[str]) -> bool:
            return any(
                all(has([doc[i + j]], w) for j, w in enumerate(words))
                for i in range(len(doc) - len(words) + 1)
            )

        def all_words(doc: list[str]) -> bool:
            return all(has(doc, w) for w in words)

        sizes = [len({t for lm in readings[w] for t in terms_of[lm]}) for w in words]
        phrase = '"' + " ".join(words) + '"'
        for query, truth in ((" ".join(words), all_words), (phrase, in_a_row)):
            translator.notes.clear()
            started = time.monotonic()
            fts = translator.translate(query)
            assert time.monotonic() - started < 1.0
            found = _matches(conn, fts)  # it runs: within FTS5's and SQLite's limits
            if query == phrase and len(words) > 1 and _product(sizes) > 64:
                # too many readings for a phrase: its words, all of them, and said so
                assert any("too many readings" in n for n in translator.notes)
                truth = all_words
            expected = {n + 1 for n, doc in enumerate(documents) if truth(doc)}
            assert found == expected, (query, forms, ambiguity)


def _product(sizes: list[int]) -> int:
    total = 1
    for size in sizes:
        total *= size
    return total
