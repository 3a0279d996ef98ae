"""KWIC sorted by its context, and a limit that picks its lines after the sort.

The orders are checked against a sort done here over the full, date-ordered list, and
the full list against a regex scan of the stored text and against the index's own
highlight()."""

from __future__ import annotations

import csv
import io
import random
import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.cli import main
from tests.helpers import article, drop_named

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


#: A word as the search index reads one, made here: a number whole (a decimal, ``1,6``
#: or ``1.6``, in no longer chain of digits and touching no letter; a percent sign
#: after it, at most one space away), else a token as SQLite's unicode61 cuts one
#: (letters, digits, combining marks, private-use characters).
TOKEN = re.compile(
    r"(?<![0-9][.,])[0-9]+(?:[.,][0-9]+)?(?![.,]?[^\W_])(?:[ \u00a0\u202f]?%)?"
    r"|(?:[^\W_]|[\u0300-\u036f\ue000-\uf8ff])+"
)


def fold(word: str) -> str:
    """Lower case, ё as е, no stress marks; a number without its spaces."""
    if word[:1].isdigit():
        return "".join(word.split())
    lowered = word.lower().replace("ё", "е")
    return "".join(ch for ch in lowered if not unicodedata.combining(ch))


def key_at(text: str, start: int, end: int, sort: str) -> tuple[str, ...]:
    """The three whole words right of a match (``right``), or left of it, nearest
    first (``left``), folded: AntConc's 1R-3R and 1L-3L."""
    if sort == "right":
        return tuple(fold(w) for w in TOKEN.findall(text[end:])[:3])
    return tuple(fold(w) for w in reversed(TOKEN.findall(text[:start])[-3:]))


def scanned() -> list[tuple[int, str, int, int, str]]:
    """Every match of QUERY in TEXTS by a regex: ``(st, column, start, end, text)``."""
    return [
        (st, column, found.start(), found.end(), text)
        for st, title, body in TEXTS
        for column, text in (("title", title), ("body", body))
        for found in re.finditer(r"(?i)бишкек\w*", text)
    ]


def sorted_as_scanned(lines: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """``lines`` (the full list, in date order, one a scanned match) sorted by the
    scanned matches' keys; equal keys keep the date order."""
    scan = scanned()
    assert len(scan) == len(lines)
    keys = [key_at(text, start, end, sort) for _, _, start, end, text in scan]
    order = sorted(range(len(scan)), key=keys.__getitem__)
    return [lines[i] for i in order]


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


@pytest.mark.parametrize("sort", ["left", "right"])
def test_sorts_by_the_context_words_nearest_first(store: Archive, sort: str) -> None:
    full = list(store.kwic(QUERY, width=WIDTH))
    expected = sorted_as_scanned(full, sort)
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
    expected = sorted_as_scanned(list(store.kwic(QUERY, width=WIDTH)), "right")[:4]
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
    # --limit 0 is every line, as search's is (the scan's count)
    everything = sorted_as_scanned(list(store.kwic(QUERY, width=WIDTH)), "left")
    assert len(everything) == len(scanned()) > 4
    assert (
        main(
            [
                "kwic",
                QUERY,
                "--sort",
                "left",
                "--limit",
                "0",
                "--width",
                str(WIDTH),
                "--csv",
                *where,
            ]
        )
        == 0
    )
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(int(r["st"]), r["column"], r["left"]) for r in rows] == [
        (x["st"], x["column"], x["left"]) for x in everything
    ]
    assert main(["kwic", QUERY, "--limit", "-1", *where]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and "--limit" in err


# --- the matches found in the text against the index's own highlight() ----------------

#: Words written as the index's forms are not: in capitals, with ё, a stress mark, in
#: a longer token (with a digit, an underscore, a hyphen), beside a private-use letter.
TRICKY = [
    "БИШКЕК и КАЗАХСТАН. В бишкёке стра́ны, страна_мира, 2страна, страна2, Казахстан-2.",
    "КазахСТАН, казахстанский, Страны СТРАНЫ стран\ue000 \ue000страна. Strana Ѐ Σ страна.",
    "İstanbul и Бишкек, İİ страной. ΣΑΣ Казахстане, страну; стране!",
]
SAMPLE_QUERIES = [
    "страна",
    "Казахстан",
    "Бишкек",
    "газ OR нефть",
    "Казахстан OR Кыргызстан OR страна",
    "@Бишкек",
    "был",
    "вода",
    '"Центральная Азия"',
    "NEAR(Казахстан страна, 5)",
    "title:Казахстан",
    "Казахстан -страна",
    "стран*",
]


@pytest.fixture(scope="module")
def news_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated news, and the tricky texts as articles of their own."""
    from datetime import date, timedelta

    from tests.replica.news import Newsroom

    first = date(2026, 1, 1)
    newsroom = Newsroom(3, first, first + timedelta(days=30))
    rng = random.Random(3)
    items = []
    for i in range(80):
        day = first + timedelta(days=i // 3)
        plan = newsroom.plan(rng, day)
        title = newsroom.headline(plan, rng)[0]
        body = newsroom.body(plan, rng, (2, 3), (2, 4), set())[0]
        if i % 20 == 0:
            title, body = TRICKY[(i // 20) % len(TRICKY)], body + " " + TRICKY[i % 3]
        items.append(
            {
                "st": 1000 + i,
                "url": f"https://centrasia.org/newsA.php?st={1000 + i}",
                "title": title,
                "published_at": f"{day.isoformat()}T12:00:00+03:00",
                "body": body,
                "source": "24.kg",
            }
        )
    path = tmp_path_factory.mktemp("kwic-news") / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch(items)
    return path


def highlighted_lines(path: Path, query: str, width: int) -> list[dict[str, Any]]:
    """The concordance as the index's highlight() marks it, made here."""
    from centrasia_crawler.archive.search_query import translate

    lines = []
    with closing(sqlite3.connect(path)) as conn:
        match = translate(conn, query)
        rows = conn.execute(
            "SELECT a.st, highlight(articles_morph, 0, '[[', ']]'),"
            " highlight(articles_morph, 1, '[[', ']]')"
            " FROM articles_morph JOIN articles a ON a.st = articles_morph.rowid"
            " WHERE articles_morph MATCH ? ORDER BY a.st",
            [match],
        ).fetchall()
    for st, *columns in rows:
        for column, marked in zip(("title", "body"), columns, strict=True):
            plain, shift = marked.replace("[[", "").replace("]]", ""), 0
            for found in re.finditer(r"\[\[(.*?)\]\]", marked):
                start = found.start() - shift
                end = start + len(found.group(1))
                shift += 4
                lines.append(
                    {
                        "key": {
                            sort: key_at(plain, start, end, sort) for sort in ("left", "right")
                        },
                        "st": st,
                        "column": column,
                        "left": re.sub(r"\s", " ", plain[max(0, start - width) : start]),
                        "match": re.sub(r"\s", " ", plain[start:end]),
                        "right": re.sub(r"\s", " ", plain[end : end + width]),
                    }
                )
    return lines


def shown(lines: Any) -> list[tuple[Any, ...]]:
    return [(x["st"], x["column"], x["left"], x["match"], x["right"]) for x in lines]


@pytest.mark.parametrize("query", SAMPLE_QUERIES)
@pytest.mark.parametrize("width", [3, 12, 40])
def test_the_lines_are_those_the_index_highlights(news_path: Path, query: str, width: int) -> None:
    expected = highlighted_lines(news_path, query, width)
    assert expected, query
    with Archive.open(news_path, readonly=True) as store:
        assert shown(store.kwic(query, width=width)) == shown(expected)
        for n in (1, 7, 100):
            assert shown(store.kwic(query, width=width, limit=n)) == shown(expected[:n])
        for sort in ("left", "right"):
            ordered = sorted(expected, key=lambda line: line["key"][sort])
            assert shown(store.kwic(query, width=width, sort=sort)) == shown(ordered)
            for n in (1, 7, 100):
                got = store.kwic(query, width=width, sort=sort, limit=n)
                assert shown(got) == shown(ordered[:n])


def test_words_are_found_in_the_text_and_the_rest_by_the_index(news_path: Path) -> None:
    from centrasia_crawler.archive.concordance import word_matcher

    with Archive.open(news_path, readonly=True) as store:
        for query in SAMPLE_QUERIES[:8]:
            assert word_matcher(store.conn, query) is not None, query
        for query in SAMPLE_QUERIES[8:]:
            assert word_matcher(store.conn, query) is None, query
        # the tricky articles hold forms the text search does not see: the index's
        # count tells, and those columns are highlighted instead
        matcher = word_matcher(store.conn, "страна")
        assert matcher is not None
        title = store.conn.execute("SELECT title FROM articles WHERE st = 1000").fetchone()[0]
        assert matcher.spans(1000, "title", title.encode()) is None
        assert matcher.spans(1000, "body", None) is None
        assert matcher.spans(1001, "title", "страна".encode()) == []  # none there, by the index


# --- the neighbour index: a sorted limit reads only the articles it needs -------------


def lines_keyed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the lines whose sort words the concordance reads (one per line made, of
    the articles it reads), recording each line's article."""
    from centrasia_crawler.archive import search

    calls: list[int] = []
    key = search.sort_key

    def counting(data: Any, start: int, end: int, sort: str) -> tuple[str, ...]:
        calls.append(start)
        return key(data, start, end, sort)

    monkeypatch.setattr(search, "sort_key", counting)
    return calls


@pytest.mark.parametrize("sort", ["left", "right"])
def test_a_sorted_limit_reads_only_the_articles_it_needs(
    news_path: Path, monkeypatch: pytest.MonkeyPatch, sort: str
) -> None:
    expected = sorted(highlighted_lines(news_path, "страна", 30), key=lambda x: x["key"][sort])
    matching = len({line["st"] for line in expected})
    assert matching > 20  # a word of many articles
    calls = lines_keyed(monkeypatch)
    with Archive.open(news_path, readonly=True) as store:
        got = list(store.kwic("страна", width=30, sort=sort, limit=3))
    assert shown(got) == shown(expected[:3])
    assert 3 <= len(calls) < len(expected) // 2  # a few articles' lines, not every one
    calls.clear()
    with Archive.open(news_path, readonly=True) as store:
        assert shown(store.kwic("страна", width=30, sort=sort)) == shown(expected)
    assert len(calls) == len(expected)  # no limit: every line of every article


def scan_lines(path: Path, forms: str, sort: str) -> list[tuple[Any, ...]]:
    """``(key, st, column, match)`` of every token matching the regex ``forms`` in the
    stored text, sorted as the concordance sorts (date order among equal keys)."""
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT st, title, body FROM articles ORDER BY st").fetchall()
    found = [
        (key_at(text, m.start(), m.end(), sort), st, column, m.group())
        for st, title, body in rows
        for column, text in (("title", title), ("body", body))
        for m in re.finditer(rf"(?<![^\W_])(?:{forms})(?![^\W_])", text, re.IGNORECASE)
    ]
    return sorted(found, key=lambda line: line[0])  # stable: st, title before body


def concordance(path: Path, query: str, sort: str, limit: int) -> list[tuple[Any, ...]]:
    with Archive.open(path, readonly=True) as store:
        lines = store.kwic(query, width=20, sort=sort, limit=limit)
        return [(x["st"], x["column"], x["match"]) for x in lines]


BISHKEK = "бишкек|бишкека|бишкеку|бишкеке|бишкеком"


@pytest.mark.parametrize("sort", ["left", "right"])
def test_the_neighbour_index_follows_rewrites_and_reindexing(tmp_path: Path, sort: str) -> None:
    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(*row) for row in TEXTS])
        # article 2 rewritten: its old words leave the index, its new ones come
        store.write_batch([article(2, "Новости", "Абай в Бишкеке. Ярмарка, Бишкек ждёт.")])
        vocab = "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, 'articles_kwic', 'instance')"
        store.conn.execute(vocab)
        terms = {row[0] for row in store.conn.execute("SELECT term FROM temp.v WHERE doc = 2")}
    # the two words beside each word, nearest first; one at the column's edge
    assert "бишкека<мэрия" not in terms and "бишкека>объявила!в" not in terms
    assert {"бишкеке<в!абай", "бишкек<ярмарка!бишкеке", "бишкек>ждет", "абай<"} <= terms
    expected = [line[1:] for line in scan_lines(path, BISHKEK, sort)]
    assert len(expected) > 10
    for n in (1, 2, 4, len(expected), len(expected) + 5):
        assert concordance(path, "Бишкек", sort, n) == expected[:n]

    # an archive of schema 21 has no neighbour index: the upgrade builds it with the
    # search index, and the concordance reads it
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TABLE articles_kwic")
    conn.execute("DROP VIEW articles_kwic_source")
    drop_named(conn, "entity_articles")  # schema 23's tables and triggers
    conn.execute("PRAGMA user_version = 21")
    conn.close()
    assert main(["upgrade", "--archive", str(path)]) == 0
    with Archive.open(path, readonly=True) as store:
        store.conn.execute(vocab)
        assert store.conn.execute("SELECT count(DISTINCT doc) FROM temp.v").fetchone()[0] == 5
    for n in (1, 3, len(expected)):
        assert concordance(path, "Бишкек", sort, n) == expected[:n]


@pytest.mark.parametrize("sort", ["left", "right"])
def test_a_word_at_many_columns_edges_reads_only_the_first_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sort: str
) -> None:
    """Headlines that end (or begin) with the word: their lines have no sort words and
    come first, in date order; the limit needs only the first of those articles."""
    path = tmp_path / "archive.sqlite"
    heads = (
        ["Снег: Бишкеку", "Бишкек: снег"] if sort == "right" else ["Бишкек: снег", "Снег: Бишкеку"]
    )
    rows = [
        (100 + i, heads[i % 7 == 3], f"Вчера в Бишкеке {i} ёлку поставили. Бишкек спит.")
        for i in range(60)
    ]
    with Archive.open(path) as store:
        store.write_batch([article(*row) for row in rows])
    expected = [line[1:] for line in scan_lines(path, BISHKEK, sort)]
    edge = sum(1 for line in scan_lines(path, BISHKEK, sort) if not line[0])
    assert edge > 40  # most headlines put the word at their edge
    calls = lines_keyed(monkeypatch)
    for n in (1, 5, edge - 1, edge, edge + 1, len(expected)):
        calls.clear()
        assert concordance(path, "Бишкек", sort, n) == expected[:n]
        if n <= 5:
            assert len(calls) <= 2 * 5 * 3  # a chunk or two of articles, three lines each


@pytest.mark.parametrize("sort", ["left", "right"])
def test_a_sorted_limit_keeps_the_filters(news_path: Path, sort: str) -> None:
    with closing(sqlite3.connect(news_path)) as conn:
        days = dict(conn.execute("SELECT st, published_date FROM articles"))
    kept = {st for st, day in days.items() if "2026-01-05" <= day <= "2026-01-20"}
    everything = sorted(highlighted_lines(news_path, "страна", 20), key=lambda x: x["key"][sort])
    expected = [line for line in everything if line["st"] in kept]
    assert 5 < len(expected) < len(everything)
    with Archive.open(news_path, readonly=True) as store:
        for n in (1, 4, len(expected), len(expected) + 1):
            got = store.kwic(
                "страна", since="2026-01-05", until="2026-01-20", width=20, sort=sort, limit=n
            )
            assert shown(got) == shown(expected[:n])
        # a source no article has: no line, and no error
        assert list(store.kwic("страна", source="нет такого", sort=sort, limit=3)) == []


def japarov_archive(
    path: Path, rows: list[tuple[int, str, str]], sort: str
) -> tuple[str, list[tuple[str, ...]], list[tuple[Any, ...]]]:
    """The archive of ``rows``; the query for ``sort`` (``Садыр`` sorted right,
    ``Жапаров`` left: each beside the other), and the sort keys and lines of a scan of
    its forms, in the concordance's order."""
    with Archive.open(path) as store:
        store.write_batch([article(*row) for row in rows])
    query, forms = ("Садыр", "садыр") if sort == "right" else ("Жапаров", "жапаров")
    lines = scan_lines(path, forms, sort)
    return query, [line[0] for line in lines], [line[1:] for line in lines]


@pytest.mark.parametrize("sort", ["left", "right"])
def test_a_word_always_beside_the_same_word_is_ordered_by_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sort: str
) -> None:
    """«Садыр Жапаров»: every line has the same first sort word, so the second decides,
    which the index keeps too: a limit reads only the articles of the first ones."""
    path = tmp_path / "archive.sqlite"
    seconds = ["вчера", "утром", "заявил", "ранее", "якобы", "сказал"]
    rows = [
        (
            100 + i,
            f"Новости {i}",
            f"{seconds[i % 6].capitalize()} {i % 5} Садыр Жапаров {seconds[i % 6]} был."
            f" Указ {seconds[(i + 3) % 6]} Садыр Жапаров {seconds[(i + 1) % 6]}.",
        )
        for i in range(60)
    ]
    query, keys, expected = japarov_archive(path, rows, sort)
    assert len({key[0] for key in keys}) == 1 and len({key[:2] for key in keys}) >= 6
    calls = lines_keyed(monkeypatch)
    for n in (1, 7):
        calls.clear()
        assert concordance(path, query, sort, n) == expected[:n]
        assert len(calls) <= len(expected) // 2  # a few articles' lines, not every one
    calls.clear()
    assert concordance(path, query, sort, len(expected)) == expected
    assert len(calls) == len(expected)  # every line's words read, once


@pytest.mark.parametrize("articles_a_step", [1, 10**9])
@pytest.mark.parametrize("sort", ["left", "right"])
def test_the_same_two_words_are_ordered_by_the_third_from_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sort: str, articles_a_step: int
) -> None:
    """«… президент Садыр Жапаров заявил …»: every line has the same two first sort
    words, so the third decides; the index has it among the second word's neighbours,
    and a limit reads only the articles of the first ones. When a step of that walk is
    worth more articles than there are (as for a very common second word), the tie is
    read whole, and the answer is the same."""
    from centrasia_crawler.archive import neighbours

    monkeypatch.setattr(neighbours, "_ARTICLES_A_STEP", articles_a_step)
    path = tmp_path / "archive.sqlite"
    thirds = ["вчера", "утром", "что", "ранее", "якобы", "сказал", "а", "в"]
    rows = [
        (
            100 + i,
            f"Новости {i}",
            f"{thirds[i % 8].capitalize()} президент Садыр Жапаров заявил {thirds[(i + 3) % 8]}."
            f" Указ {i}, президент Садыр Жапаров заявил {thirds[(i + 5) % 8]} {i}.",
        )
        for i in range(40)
    ]
    query, keys, expected = japarov_archive(path, rows, sort)
    assert len({key[:2] for key in keys}) == 1 and len(set(keys)) >= 8
    calls = lines_keyed(monkeypatch)
    for n in (1, 7):
        calls.clear()
        assert concordance(path, query, sort, n) == expected[:n]
        if articles_a_step == 1:
            assert len(calls) <= len(expected) // 2  # a few articles' lines, not every one
        else:
            assert len(calls) == len(expected)  # every line's words read, once
    for n in (20, len(expected)):
        assert concordance(path, query, sort, n) == expected[:n]


@pytest.mark.parametrize("sort", ["left", "right"])
def test_the_same_three_words_are_read_in_date_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sort: str
) -> None:
    """Lines with the same three sort words are in date order, so a limit reads the
    first articles of them only, though they are most of the lines."""
    path = tmp_path / "archive.sqlite"
    rows = [
        (
            100 + i,
            f"Новости {i}",
            f"Вчера и президент Садыр Жапаров заявил, что всё."
            f" Ясно {i} ярко Садыр Жапаров ясно {i}.",
        )
        for i in range(60)
    ]
    query, keys, expected = japarov_archive(path, rows, sort)
    assert keys.count(keys[0]) == 60  # the first 60 lines tie
    calls = lines_keyed(monkeypatch)
    for n in (1, 5, 59, 61, 80):
        calls.clear()
        assert concordance(path, query, sort, n) == expected[:n]
        if n <= 5:
            assert len(calls) <= 2 * 2 * 5  # a chunk or two of articles, two lines each
    assert concordance(path, query, sort, len(expected)) == expected


def test_a_tie_read_in_date_order_counts_only_lines_up_to_what_it_read(
    tmp_path: Path,
) -> None:
    """Lines of one whole key, some in articles read earlier for another line (the
    latest articles), some in articles not read yet, among articles that only seem to
    hold it (the index has their words, not in that order): the earlier-read lines do
    not stand in for the unread articles before them."""
    rows = [  # «заявил а» elsewhere: in the index's range of «заявил а», no such line
        (100 + i, "Новости", f"Садыр Жапаров заявил я. Он заявил а тогда {i}.") for i in range(30)
    ]
    rows += [(150 + i, "Новости", f"Садыр Жапаров заявил а {i}.") for i in range(10)]
    # read first, for their «Садыр 1» at the body's end
    rows += [(200 + i, "Новости", f"Садыр Жапаров заявил а {i}. Садыр 1") for i in range(6)]
    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(*row) for row in rows])
    expected = [line[1:] for line in scan_lines(path, "садыр", "right")]
    assert [line[0] for line in expected[:8]] == [200, 201, 202, 203, 204, 205, 150, 151]
    for n in (7, 8, 12, 16, 20, len(expected)):
        assert concordance(path, "Садыр", "right", n) == expected[:n]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_limit_of_random_texts_of_few_words_is_the_head_of_the_sort(
    tmp_path: Path, seed: int
) -> None:
    """Texts of a few words (ties on one, two and three sort words, figures, column
    edges, a word twice in an article) in random order: every limit, both sorts, the
    head of the sort of every line done here."""
    rnd = random.Random(seed)
    vocabulary = ["а", "в", "в", "и", "1", "10", "1,5%", "Бишкек", "Бишкеке", "ель", "ёлка"]
    rows = []
    for i in range(70):
        title = " ".join(rnd.choices(vocabulary, k=rnd.randint(1, 4)))
        body = " ".join(rnd.choices(vocabulary, k=rnd.randint(3, 14)))
        rows.append((100 + i, title, body))
    path = tmp_path / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(*row) for row in rows])
    for sort in ("left", "right"):
        expected = [line[1:] for line in scan_lines(path, BISHKEK, sort)]
        assert len(expected) > 60
        for n in [*range(1, 40), len(expected)]:
            assert concordance(path, "Бишкек", sort, n) == expected[:n], (sort, n)


def test_figures_sort_whole(tmp_path: Path) -> None:
    """``10,2 %`` is one word, as search reads it: the figures beside a word sort as
    written, not as their digits apart."""
    path = tmp_path / "archive.sqlite"
    rows = [
        (1, "Цены", "Бишкек: рост на 10,6 %, Ош."),
        (2, "Цены", "Бишкек: рост на 9%."),
        (3, "Цены", "Бишкек: рост на 10%. Зимой"),
        (4, "Цены", "Бишкек: рост на 10,2%."),
        (5, "Цены", "Рост на 10,2% Бишкек и 5,4 % Бишкек, 01.06.2024 Бишкек."),
    ]
    with Archive.open(path) as store:
        store.write_batch([article(*row) for row in rows])
    right = [(line[1], line[0]) for line in scan_lines(path, BISHKEK, "right")]
    assert [st for st, _ in right[-4:]] == [3, 4, 1, 2]  # рост на 10% < 10,2% < 10,6% < 9%
    assert right[-1][1] == ("рост", "на", "9%")
    left = [(line[1], line[0]) for line in scan_lines(path, BISHKEK, "left")]
    assert [key for _, key in left] == [
        *[()] * 4,  # at a body's start
        ("10,2%", "на", "рост"),
        ("2024", "06", "01"),  # a date is three numbers
        ("5,4%", "и", "бишкек"),
    ]
    for sort in ("left", "right"):
        expected = [line[1:] for line in scan_lines(path, BISHKEK, sort)]
        for n in (1, 3, 5, len(expected)):
            assert concordance(path, "Бишкек", sort, n) == expected[:n]


@pytest.mark.parametrize("sort", ["left", "right"])
def test_a_figure_and_a_longer_figure_keep_their_order(tmp_path: Path, sort: str) -> None:
    """``1 мая`` before ``1,5%`` before ``10 лет``: the index orders two words beside a
    word as words, not as the characters that join them in its tokens (``1`` is a
    beginning of ``10`` and of ``1,5%``)."""
    path = tmp_path / "archive.sqlite"
    figures = ["10 лет", "1 мая", "1,5% роста", "1", "10,5 %", "1 мая и", "100 дней", "1 год"]
    rows = []
    for i in range(48):
        said = figures[i % len(figures)]
        left = " ".join(reversed(said.split(" ")))
        rows.append((100 + i, f"Цены {i}", f"Сегодня Бишкек {said}. Итог: {left} Бишкек {i}."))
    with Archive.open(path) as store:
        store.write_batch([article(*row) for row in rows])
    keys = [line[0][:2] for line in scan_lines(path, BISHKEK, sort)]
    assert ("1", "мая") in keys and ("1,5%", "роста") in keys and ("10", "лет") in keys
    expected = [line[1:] for line in scan_lines(path, BISHKEK, sort)]
    for n in (1, 2, 3, 7, 13, 20, 30, 49, 50, 62, len(expected)):
        assert concordance(path, "Бишкек", sort, n) == expected[:n]


def test_the_first_lines_by_date_read_only_the_first_articles(
    news_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A limit in date order reads the matching articles oldest first and stops: no
    pass over the archive's matches first."""
    from centrasia_crawler.archive import search

    expected = highlighted_lines(news_path, "страна", 20)
    articles = sorted({line["st"] for line in expected})
    read: list[str] = []
    spans = search._Words.spans

    def counting(self: Any, text: str) -> list[tuple[int, int]]:
        read.append(text)
        return spans(self, text)

    monkeypatch.setattr(search._Words, "spans", counting)
    with Archive.open(news_path, readonly=True) as store:
        got = list(store.kwic("страна", width=20, limit=2))
    assert shown(got) == shown(expected[:2])
    first_two = {line["st"] for line in expected[:2]}
    assert len(read) <= 2 * len([st for st in articles if st <= max(first_two)])
    assert len(read) < len(articles)  # not every matching article
