"""Search by what the articles write: a prefix matches the written forms, numbers are
searched as figures, and words the dictionary lacks keep their own form. Every expected
set comes from a regular-expression scan of the stored text."""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.archive.search import count, search
from centrasia_crawler.archive.search_query import QueryError
from centrasia_crawler.normalize.text import fold_yo
from tests.replica.news import Newsroom

#: Hand-written articles: numbers in every way they are written, the words that must
#: not match each other, and a word the dictionary lacks in its forms.
WRITTEN = [
    ("Рост на 20%", "Цены выросли на 20% за год, а зарплаты на 20 % за два."),
    ("Двадцать лет", "За 20 лет население выросло в 1,6 раза."),
    ("Инфляция 8,5%", "Инфляция составила 8,5 %, ставка 12,5% годовых."),
    ("Опрос", "За проголосовали 31%, против 131%? Нет: 31,5% и 2,31%."),
    ("Курс", "Курс вырос на 1.6 рубля, потом на 1,65, потом на 21,6."),
    ("Даты", "Сессия 01.06.2024 и 12.5.2025, номера 12-15 и 2024 год; 1,6,7."),
    ("Сводка", "Доля 0,5 %, рост 120% и 20,5%; на 12,50 и 12,5 тыс."),
    ("Плано", "Город Плано в Техасе."),
    ("План", "Утверждён новый план, и плана хватит на год."),
    ("Домье", "Выставка Домье открылась."),
    ("Домов", "Построено много домов."),
    ("Постят", "В сети постят фотографии."),
    ("Постов", "Охрана постов усилена."),
    ("Кенеш", "Жогорку Кенеш принял закон. Депутаты Кенеша и спикер Кенешем избран."),
]


def article(st: int, day: date, title: str, body: str) -> dict[str, Any]:
    return {
        "st": st,
        "url": f"https://centrasia.org/newsA.php?st={st}",
        "title": title,
        "published_at": f"{day.isoformat()}T12:00:00+03:00",
        "body": body,
    }


def generated(n: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    """``n`` articles of the replica's grammatical news, five a day."""
    first = date(2026, 1, 1)
    newsroom = Newsroom(seed, first, first + timedelta(days=n // 5 + 1))
    rng = random.Random(seed)
    for i in range(n):
        day = first + timedelta(days=i // 5)
        plan = newsroom.plan(rng, day)
        title, _ = newsroom.headline(plan, rng)
        body, _ = newsroom.body(plan, rng, (3, 5), (2, 3))
        yield article(i + 1, day, title, body)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    path = tmp_path_factory.mktemp("written") / "archive.sqlite"
    with Archive.open(path) as store:
        store.write_batch(list(generated(300)))
        store.write_batch(
            [article(1000 + k, date(2026, 3, 1), t, b) for k, (t, b) in enumerate(WRITTEN)]
        )
    with Archive.open(path, readonly=True) as store:
        yield store


def texts(store: Archive, column: str = "title || ' ' || body") -> dict[int, str]:
    """Each article's stored text, lower case, ё as е."""
    rows = store.conn.execute(f"SELECT st, {column} FROM articles")
    return {st: fold_yo(text.lower()) for st, text in rows}


def scanned(store: Archive, pattern: str, column: str = "title || ' ' || body") -> set[int]:
    found = re.compile(pattern)
    return {st for st, text in texts(store, column).items() if found.search(text)}


def starting(prefix: str) -> str:
    """A word that begins with ``prefix``: after no letter or digit."""
    return r"(?<![^\W_])" + re.escape(fold_yo(prefix.lower()))


def found(store: Archive, query: str) -> set[int]:
    return {r["st"] for r in search(store, query, limit=None)}


# --- prefixes ---------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["Жапаров", "Ташиев", "Лавров", "Казахст", "Токаев", "мир"])
def test_a_prefix_finds_every_article_with_a_word_so_begun(archive: Archive, prefix: str) -> None:
    truth = scanned(archive, starting(prefix))
    assert truth, prefix  # the generated news names them
    assert found(archive, f"{prefix}*") == truth
    assert count(archive, f"{prefix}*") == len(truth)


def test_a_prefix_ends_a_phrase_and_takes_a_column(archive: Archive) -> None:
    sadyr = r"(?<![^\W_])садыр(?:а|у|ом|е)?\W+"  # the forms of a name the phrase begins with
    truth = scanned(archive, sadyr + starting("жап"))
    assert truth and found(archive, '"Садыр Жап*"') == truth
    assert found(archive, '"Садыр Жапаров*"') == truth
    in_titles = scanned(archive, starting("Ташиев"), column="title")
    assert in_titles and found(archive, "title:Ташиев*") == in_titles
    assert found(archive, '"Садыр Жоп*"') == set() == scanned(archive, sadyr + "жоп")


@pytest.mark.parametrize("query", ["Ш*", "title:Ш*", '"Садыр Ш*"'])
def test_a_prefix_of_one_letter_is_refused_in_one_line(archive: Archive, query: str) -> None:
    assert scanned(archive, starting("ш"))  # it would have something to find
    with pytest.raises(QueryError, match=r"^bad search query .*a prefix needs at least 2") as exc:
        count(archive, query)
    assert "\n" not in str(exc.value)


def test_a_prefix_into_one_term_s_endings_is_refused_and_exact_finds_it(
    archive: Archive, tmp_path: Path
) -> None:
    """``конституция*``: the index holds «конституция» and «конституции» as one term,
    so no query of it finds only the first; the refusal says so and points to
    ``--exact``, which finds what the scan finds."""
    truth = scanned(archive, starting("конституция"))
    other = scanned(archive, starting("конституци")) - truth
    assert truth and other  # the forms it cannot tell apart are both in the archive
    with pytest.raises(QueryError, match=r"конституция.* as one term.*--exact") as exc:
        count(archive, "конституция*")
    assert "\n" not in str(exc.value)
    assert {r["st"] for r in search(archive, "конституция*", limit=None, exact=True)} == truth


def test_the_command_line_refuses_a_one_letter_prefix_with_exit_2(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    from centrasia_crawler.cli import main

    assert main(["search", "--count", "--archive", archive.path, "Ташиев*"]) == 0
    assert capsys.readouterr().out.strip() == str(len(scanned(archive, starting("ташиев"))))
    assert main(["search", "--count", "--archive", archive.path, "Ш*"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a prefix needs at least 2 letters" in err


REFUSED = re.compile(
    r"^bad search query '[^']+': (the index keeps the forms of .* as one term|.* over 200 )"
)


def test_every_prefix_of_random_words_counts_as_a_scan(archive: Archive) -> None:
    """For random words of the archive, each prefix of two letters or more counts the
    articles a scan counts, or is refused in one line when the index cannot tell its
    forms apart (``че*``: ``человек`` and ``люди`` are one lemma); few are."""
    stored = texts(archive)
    words = sorted({w for text in stored.values() for w in re.findall(r"[^\W\d_]{3,}", text)})
    rng = random.Random(5)
    answered, refused = 0, []
    for word in rng.sample(words, 25):
        for end in range(2, len(word) + 1):
            prefix = word[:end]
            pattern = re.compile(starting(prefix))
            truth = sum(1 for text in stored.values() if pattern.search(text))
            try:
                got = count(archive, f"{prefix}*")
            except QueryError as exc:
                if "stop words" in str(exc):  # a word of its own the stop words refuse
                    continue
                assert REFUSED.match(str(exc)) and "\n" not in str(exc), exc
                refused.append(prefix)
                continue
            assert got == truth, prefix
            answered += 1
    assert answered >= 120 and len(refused) <= 0.25 * (answered + len(refused)), refused


# --- numbers ------------------------------------------------------------------------------


def figure(typed: str) -> str:
    """A scan for a figure as typed: its digits, with either decimal mark, not inside a
    longer number or a word, and for a percentage the sign after it."""
    whole, _, fraction = typed.rstrip("%").strip().replace(".", ",").partition(",")
    digits = re.escape(whole) + (r"[.,]" + re.escape(fraction) if fraction else "")
    after = r"[ \u00a0]?%" if typed.endswith("%") else r"(?![.,]?[^\W_])"
    return r"(?<![0-9])(?<![0-9][.,])" + digits + r"(?![0-9]|[.,][0-9])" + after


@pytest.mark.parametrize(
    "typed", ["20%", "31%", "1,6", "1.6", "8,5%", "12,5", "20", "2024", "0,5%", "12,50"]
)
def test_a_number_is_searched_as_written(archive: Archive, typed: str) -> None:
    truth = scanned(archive, figure(typed))
    assert truth, typed
    assert found(archive, typed) == truth
    assert found(archive, f'"{typed}"') == truth


def test_numbers_keep_their_own_forms_apart(archive: Archive) -> None:
    percent, figure20 = scanned(archive, figure("20%")), scanned(archive, figure("20"))
    assert percent < figure20  # 20% is one of the articles 20 finds, not all
    assert found(archive, '"20 %"') == percent == found(archive, "20 %")
    assert found(archive, "12-15") == scanned(archive, r"(?<![0-9.,])12\W+15(?![0-9])")
    assert found(archive, '"1,6 раза"') == scanned(archive, r"1,6 раза")


# --- words the dictionary lacks -------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "other"), [("плана", "плано"), ("домов", "домье"), ("постов", "постят")]
)
def test_an_unknown_word_does_not_match_a_dictionary_word(
    archive: Archive, query: str, other: str
) -> None:
    mine = scanned(archive, r"(?<![^\W_])" + query + r"(?![^\W_])")
    theirs = scanned(archive, r"(?<![^\W_])" + other + r"(?![^\W_])")
    hits = found(archive, query)
    assert mine <= hits and not hits & (theirs - mine), (hits, theirs)
    assert found(archive, other) == theirs


def test_an_unknown_word_keeps_its_own_form(archive: Archive) -> None:
    assert found(archive, "Кенеш") == scanned(archive, starting("кенеш"))
    archive.conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.written USING fts5vocab(main, articles_morph, row)"
    )
    terms = [t for (t,) in archive.conn.execute("SELECT term FROM temp.written")]
    kenesh = [t for t in terms if "кенеш" in t]
    assert kenesh and not [t for t in kenesh if "кенешить" in t or "кенеший" in t], kenesh


def test_terms_lists_an_unknown_word_once(archive: Archive) -> None:
    """``centrasia terms``: «Кенеш», «Кенеша», «Кенешем» are one word, not a lemma
    guessed for each form (``кенешить``, ``кенеший``)."""
    from centrasia_crawler.archive import attention

    listed = [row["term"] for row in attention.terms(archive, "закон", 500)["terms"]]
    assert [t for t in listed if "кенеш" in t] == ["кенеш"], listed


def test_a_revised_article_is_found_by_the_forms_it_has_now(tmp_path: Path) -> None:
    """The written forms are counted out with the text a revision replaces: while
    «поста» and «пост» are both written, ``поста*`` cannot be told from ``пост`` (one
    term); once the revision takes «поста» out, it finds what the scan finds: none."""
    day = date(2026, 3, 1)
    with Archive.open(tmp_path / "a.sqlite") as store:
        store.write_batch([article(1, day, "Охрана", "Сменили охрану поста.")])
        assert found(store, "поста*") == {1}
        store.write_batch([article(2, day, "Пост", "Великий пост начался.")])
        with pytest.raises(QueryError, match="as one term"):
            found(store, "поста*")
        store.write_batch([article(1, day, "Охрана", "Сменили охрану у ворот.")])  # revised
        assert found(store, "поста*") == set() == scanned(store, starting("поста"))
        assert found(store, "пост*") == {2} == found(store, "пост")


# --- upgrading -----------------------------------------------------------------------------


def test_an_archive_of_the_earlier_morphology_is_reindexed_by_upgrade(tmp_path: Path) -> None:
    from centrasia_crawler.archive.store import upgrade

    path = tmp_path / "a.sqlite"
    with Archive.open(path) as store:
        store.write_batch([article(k, date(2026, 3, 1), t, b) for k, (t, b) in enumerate(WRITTEN)])
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE archive_meta SET value = '1/old' WHERE key = 'morph_version'")
    conn.execute("DELETE FROM articles_morph_forms")
    conn.close()
    done = upgrade(path, progress=lambda line: None)
    assert done["reindexed"] == len(WRITTEN)
    with Archive.open(path, readonly=True) as store:
        assert found(store, "Кенеш*") == scanned(store, starting("кенеш")) != set()
