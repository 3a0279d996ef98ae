"""Answers a researcher can publish: each query's articles against a scan of the text.

An archive is written from the replica's generated news (tests/replica). For each query
below the expected articles come from a scan of the text stored in the archive: its
words as the index cuts them (``TOKEN_RE``), ё folded and in lower case, matched against
regular expressions written here for the forms each query word has, or against the
forms the dictionary lists for it (its paradigm). Never from the index. The search,
``count``, the command line and Datasette's ``_search`` must give exactly that set."""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from centrasia_crawler.archive import Archive
from centrasia_crawler.cli import main
from centrasia_crawler.normalize.morphology import TOKEN_RE
from tests.helpers import close_datasette, site_archive
from tests.helpers import datasette as open_datasette
from tests.replica.content import Site

SITE = Site(days=40, per_day=12, last_day=Site.last_day)


@dataclass(frozen=True)
class Text:
    """An article's words, as the index cuts them, lower case, ё as е; and its text."""

    st: int
    title: tuple[str, ...]
    body: tuple[str, ...]
    raw: str


#: Articles written here beside the replica's, for the words its news never uses.
EXTRA = [
    ("Хорошо ли живётся в Бишкеке", "Жители говорят, что живётся хорошо, хотя рядом стройка."),
    ("Хороший урожай в Ферганской долине", "Фермеры ждут хороших цен. Нужно больше воды."),
    ("Рядом с границей открыли рынок", "Рынок открыли рядом с Казахстаном: он нужен всем."),
    ("Лучшие школы Ташкента", "Школам нужны учителя, и это хорошая новость для выпускников."),
    # Figures written here, so that each figure row has articles whatever the generator's
    # numbers are: 86,8% once, 86,8 without %, 20% and 20 %, 2,9 and 2.9.
    (
        "Явка на выборах в Жогорку Кенеш",
        "Явка составила 86,8%. Годом ранее было 20 %, бюджет 2,9 млрд сомов.",
    ),
    ("Цены на хлопок", "Цены выросли на 20%, экспорт составил 2.9 млн тонн, доля 86,8 процента."),
]


def extra_articles() -> list[dict[str, Any]]:
    last = max(SITE.by_st)
    return [
        {
            "st": last + 3600 * (n + 1),
            "url": f"https://centrasia.org/newsA.php?st={last + 3600 * (n + 1)}",
            "title": title_,
            "published_at": "2030-01-01T12:00:00+03:00",
            "body": body_,
        }
        for n, (title_, body_) in enumerate(EXTRA)
    ]


def _words(text: str | None) -> tuple[str, ...]:
    return tuple(t.lower().replace("ё", "е") for t in TOKEN_RE.findall(text or ""))


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("truth") / "archive.sqlite"
    site_archive(tmp_path_factory, SITE, path)
    with Archive.open(path) as writer:
        writer.write_batch(extra_articles())
    return path


@pytest.fixture(scope="module")
def store(archive_path: Path) -> Iterator[Archive]:
    with Archive.open(archive_path, readonly=True) as reader:
        yield reader


@pytest.fixture(scope="module")
def texts(store: Archive) -> list[Text]:
    """The stored text of every article (read back from the archive, not the generator)."""
    rows = store.conn.execute("SELECT st, title, body FROM articles ORDER BY st").fetchall()
    return [Text(st, _words(t), _words(b), f"{t}\n{b}") for st, t, b in rows]


# --- the scan: predicates over an article's words ------------------------------------------

Truth = Callable[[Text], bool]


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _at(words: tuple[str, ...], patterns: tuple[str, ...]) -> list[int]:
    """Where the run of words matching ``patterns`` starts in ``words``."""
    size = len(patterns)
    hits = [_hits(words, p) for p in patterns]
    if not all(hits):
        return []
    where = _positions(words)
    starts = sorted(i for w in hits[0] for i in where[w] if i <= len(words) - size)
    return [i for i in starts if all(words[i + k] in hits[k] for k in range(1, size))]


@cache
def _positions(words: tuple[str, ...]) -> dict[str, list[int]]:
    """Where each word of ``words`` is."""
    where: dict[str, list[int]] = {}
    for i, w in enumerate(words):
        where.setdefault(w, []).append(i)
    return where


@cache
def _hits(words: tuple[str, ...], pattern: str) -> frozenset[str]:
    """The words of ``words`` that are a full match of ``pattern`` (each tried once)."""
    rx = _regex(pattern)
    return frozenset(w for w in frozenset(words) if rx.fullmatch(w))


def phrase(*patterns: str, columns: tuple[str, ...] = ("title", "body")) -> Truth:
    """Words in a row, each a full match of its pattern, in one of ``columns``."""
    if len(patterns) == 1:
        return _word(patterns[0], columns)
    return lambda t: any(_at(getattr(t, c), patterns) for c in columns)


def _word(pattern: str, columns: tuple[str, ...]) -> Truth:
    """A word matching ``pattern`` in one of ``columns``: each distinct word of the
    texts is tried once, the first time a text has it."""
    rx = _regex(pattern)
    tried: set[str] = set()
    matching: set[str] = set()

    def truth(t: Text) -> bool:
        for column in columns:
            words = _distinct(t, column)
            new = words - tried
            if new:
                tried.update(new)
                matching.update(w for w in new if rx.fullmatch(w))
            if not matching.isdisjoint(words):
                return True
        return False

    return truth


@cache
def _distinct(t: Text, column: str) -> frozenset[str]:
    return frozenset(getattr(t, column))


def word(pattern: str) -> Truth:
    return phrase(pattern)


def title(truth_of: Callable[..., Truth], *patterns: str) -> Truth:
    return truth_of(*patterns, columns=("title",))


def body(*patterns: str) -> Truth:
    return phrase(*patterns, columns=("body",))


def every(*truths: Truth) -> Truth:
    return lambda t: all(f(t) for f in truths)


def any_of(*truths: Truth) -> Truth:
    return lambda t: any(f(t) for f in truths)


def without(keep: Truth, *drops: Truth) -> Truth:
    return lambda t: keep(t) and not any(f(t) for f in drops)


def figure(pattern: str) -> Truth:
    """A figure as written in the text (``20%``, ``2,9``), not its digits anywhere."""
    found = re.compile(r"(?<![\d.,])" + pattern + r"(?![\d])")
    return lambda t: found.search(t.raw) is not None


def near(a: tuple[str, ...], b: tuple[str, ...], distance: int = 10) -> Truth:
    """FTS5's NEAR over two phrases: at most ``distance`` words between them, either
    order, in one column."""

    def truth(t: Text) -> bool:
        for words in (t.title, t.body):
            for i in _at(words, a):
                for j in _at(words, b):
                    gap = j - (i + len(a)) if i <= j else i - (j + len(b))
                    if 0 <= gap <= distance:
                        return True
        return False

    return truth


@cache
def paradigm(typed: str) -> str:
    """Every form the dictionary lists for every word ``typed`` may be a form of, as one
    pattern: what "every form of a word" means, from pymorphy3's paradigms."""
    import pymorphy3

    analyser = _analyser(pymorphy3)
    forms = {
        f.word.replace("ё", "е")
        for p in analyser.parse(typed.lower())
        if p.is_known
        for f in p.lexeme
    }
    return "(" + "|".join(sorted(map(re.escape, forms))) + ")"


@cache
def _analyser(module: Any) -> Any:
    return module.MorphAnalyzer(lang="ru")


# Forms as the replica writes them (nouns and surnames in every case).
KZ = r"казахстан(а|у|ом|е)?"
UZ = r"узбекистан(а|у|ом|е)?"
KG = r"кыргызстан(а|у|ом|е)?"
TJ = r"таджикистан(а|у|ом|е)?"
AF = r"афганистан(а|у|ом|е)?"
CN = r"кита(й|я|ю|ем|е)"
RU = r"росси(я|и|ю|ей|ею)"
JAP = r"жапаров(а|у|ым|ом|е)?"
SADYR = r"садыр(а|у|ом|е)?"
TOK = r"токаев(а|у|ым|ом|е)?"
TASH = r"ташиев(а|у|ым|ом|е)?"
MIRZ = r"мирзиеев(а|у|ым|ом|е)?"
PUTIN = r"путин(а|у|ым|ом|е)?"
BISH = r"бишкек(а|у|ом|е)?"
ASTANA = r"астан(а|ы|е|у|ой|ою)"
TASHKENT = r"ташкент(а|у|ом|е)?"
MOSCOW = r"москв(а|ы|е|у|ой|ою)"
GAS = r"газ(а|у|ом|е|ы|ов|ам|ами|ах)?"
CONST = r"конституци(я|и|ю|ей|ею|й|ям|ями|ях)"
NEW = r"нов(ый|ого|ому|ым|ом|ая|ой|ою|ую|ое|ые|ых|ыми|ы|а|о)"
ELECT = r"выбор(ы|ов|ам|ами|ах|а|у|ом|е)?"
CA = r"центральн(ая|ой|ую|ою)", r"ази(я|и|ю|ей|ею)"
NUR_SULTAN = ("нур", r"султан(а|у|ом|е)?")
# The names of the entity @Астана as the replica may write them.
ASTANA_ENTITY = any_of(
    word(ASTANA), phrase(*NUR_SULTAN), word(r"акмол(а|ы|е|у|ой)"), word(r"целиноград\w*")
)


def prefix(letters: str) -> str:
    return re.escape(letters) + r"\w*"


QUERIES: list[Any] = [
    # a word, in any form typed
    ("Казахстан", word(KZ)),
    ("Казахстане", word(KZ)),
    ("Жапаров", word(JAP)),
    ("Жапарову", word(JAP)),
    ("Токаев", word(TOK)),
    ("Китай", word(CN)),
    ("Бишкеке", word(BISH)),
    ("газ", word(GAS)),
    ("конституция", word(CONST)),
    ("Мирзиёев", word(MIRZ)),
    ("Мирзиеев", word(MIRZ)),
    # words side by side, phrases
    ("Садыр Жапаров", every(word(SADYR), word(JAP))),
    ('"Садыр Жапаров"', phrase(SADYR, JAP)),
    ('"новая конституция"', phrase(NEW, CONST)),
    ('"Центральная Азия"', phrase(*CA)),
    ("Казахстан Узбекистан Китай", every(word(KZ), word(UZ), word(CN))),
    # - is NOT
    ("Казахстан -Узбекистан", without(word(KZ), word(UZ))),
    ("Кыргызстан -Казахстан -Китай", without(word(KG), word(KZ), word(CN))),
    ('конституция -"новая конституция"', without(word(CONST), phrase(NEW, CONST))),
    ("Казахстан -(Узбекистан OR Китай)", without(word(KZ), word(UZ), word(CN))),
    ("Жапаров -@Ташиев", without(word(JAP), word(TASH))),
    ("Казахстан -title:Казахстан", without(word(KZ), title(phrase, KZ))),
    ("Китай -title:газ", without(word(CN), title(phrase, GAS))),
    ("title:Китай -title:газ", without(title(phrase, CN), title(phrase, GAS))),
    ("Казахстан NOT Узбекистан", without(word(KZ), word(UZ))),
    ("Жапаров NOT Ташиев NOT Бишкек", without(word(JAP), word(TASH), word(BISH))),
    # columns
    ("title:Казахстан", title(phrase, KZ)),
    ("body:Казахстан", body(KZ)),
    ("title:Жапаров body:Китай", every(title(phrase, JAP), body(CN))),
    ("title:(Китай OR Узбекистан)", any_of(title(phrase, CN), title(phrase, UZ))),
    ('body:"Садыр Жапаров"', body(SADYR, JAP)),
    # operators, upper and lower case
    ("Казахстан OR Узбекистан", any_of(word(KZ), word(UZ))),
    ("казахстан or узбекистан", any_of(word(KZ), word(UZ))),
    ("Таджикистан or Афганистан or Китай", any_of(word(TJ), word(AF), word(CN))),
    ("казахстан not узбекистан", without(word(KZ), word(UZ))),
    ("Казахстан AND Узбекистан", every(word(KZ), word(UZ))),
    ("казахстан and узбекистан", every(word(KZ), word(UZ))),
    ("(Токаев OR Мирзиёев) Путин", every(any_of(word(TOK), word(MIRZ)), word(PUTIN))),
    ("NEAR(Казахстан Узбекистан, 3)", near((KZ,), (UZ,), 3)),
    ("NEAR(Жапаров Китай)", near((JAP,), (CN,), 10)),
    ("Жапаров near Китай", near((JAP,), (CN,), 10)),
    ("near(Казахстан Китай, 5)", near((KZ,), (CN,), 5)),
    # entities, under any form of any of their names
    ("@Астана", ASTANA_ENTITY),
    ("@Астане", ASTANA_ENTITY),
    ("@Нур-Султане", ASTANA_ENTITY),
    ("@Жапарову", word(JAP)),
    ("@Жапаров", word(JAP)),
    ("@Токаеву Китай", every(word(TOK), word(CN))),
    ("NEAR(@Казахстан @Узбекистан, 10)", near((KZ,), (UZ,), 10)),
    ("NEAR(@Жапаров @Мирзиёев, 5)", near((JAP,), (MIRZ,), 5)),
    ("title:@Астане", title(phrase, ASTANA)),
    # stop words: alone, searched in every form the dictionary gives them
    ("хорошо", word(paradigm("хорошо"))),
    ("рядом", word(paradigm("рядом"))),
    ("тем", word(paradigm("тем"))),
    ("нужно", word(paradigm("нужно"))),
    ('"и" Жапаров', every(word("и"), word(JAP))),
    # and beside other words, left out
    ("Жапаров и Ташиев", every(word(JAP), word(TASH))),
    ("выборы в Казахстане", every(word(ELECT), word(KZ))),
    # prefixes and numbers: the index's own work
    pytest.param("Жапаров*", word(prefix("жапаров"))),
    pytest.param("Ташиев*", word(prefix("ташиев"))),
    pytest.param("Казахст*", word(prefix("казахст"))),
    pytest.param('"Садыр Жап*"', phrase(SADYR, prefix("жап"))),
    pytest.param("title:Жап*", title(phrase, prefix("жап"))),
    pytest.param("20%", figure(r"20\s?%")),
    pytest.param("86,8%", figure(r"86,8\s?%")),
    pytest.param("2,9", figure(r"2[,.]9(?!\s?%)")),
]


def _query(row: Any) -> str:
    return str(row.values[0] if hasattr(row, "values") else row[0])


def _truth(row: Any) -> Truth:
    return row.values[1] if hasattr(row, "values") else row[1]  # type: ignore[no-any-return]


_expected: dict[Truth, set[int]] = {}


def expected(texts: list[Text], truth: Truth) -> set[int]:
    """The articles the scan finds (once per predicate, which the cache keeps alive)."""
    if truth not in _expected:
        _expected[truth] = {t.st for t in texts if truth(t)}
    return _expected[truth]


@pytest.mark.parametrize(("query", "truth"), QUERIES, ids=[_query(q) for q in QUERIES])
def test_a_query_finds_exactly_what_a_scan_of_the_text_finds(
    store: Archive, texts: list[Text], query: str, truth: Truth
) -> None:
    wanted = expected(texts, truth)
    found = {r["st"] for r in store.search(query, limit=None)}
    assert found == wanted, (query, sorted(found - wanted)[:5], sorted(wanted - found)[:5])
    assert store.count(query) == len(wanted)


def test_the_table_is_not_trivial(texts: list[Text]) -> None:
    """At least 60 queries; each matches some articles and not all, so each can fail."""
    assert len(QUERIES) >= 60
    for row in QUERIES:
        assert 0 < len(expected(texts, _truth(row))) < len(texts), _query(row)


# --- headlines first -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("forms", "pattern"),
    [
        (("Жапаров", "Жапарову", "жапаровым"), JAP),
        (("Токаев", "Токаевым"), TOK),
        (("Казахстан", "Казахстане"), KZ),
        (("Китай", "Китаю"), CN),
        (("Бишкек", "Бишкеке"), BISH),
    ],
)
def test_headlines_that_match_rank_above_body_matches_whatever_the_form(
    store: Archive, texts: list[Text], forms: tuple[str, ...], pattern: str
) -> None:
    in_title = expected(texts, title(phrase, pattern))
    orders = []
    for typed in forms:
        ranked = [r["st"] for r in store.search(typed, limit=None)]
        assert set(ranked) == expected(texts, word(pattern))
        heads = [st for st in ranked if st in in_title]
        assert ranked[: len(heads)] == heads, typed  # every headline match first
        assert 0 < len(heads) < len(ranked)
        orders.append(ranked)
    assert all(order == orders[0] for order in orders)  # the same whatever the form
    top = [r["st"] for r in store.search(forms[0], limit=5)]
    assert top == orders[0][:5]


# --- the command line and Datasette give the same answers ----------------------------------


def centrasia(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


REFUSED = [
    ('"Жапаров', "never closed"),
    ("(Жапаров", "never closed"),
    ("-Узбекистан", "exclusions (-word) alone"),
    ("-title:Жапаров -Китай", "exclusions (-word) alone"),
    ("@Астна", "no entity is named 'Астна'; the closest names: Астана,"),
    ("(" * 40 + "Жапаров" + ")" * 40, "nested 40 deep; at most 32"),
    ("К*", "a prefix needs at least 2 letters: К*"),
    ("source:Жапаров", "source: is no field of the search; it reads title: and body:"),
]


@pytest.fixture(scope="module")
def served(archive_path: Path) -> Iterator[Any]:
    ds = open_datasette([archive_path])
    asyncio.run(ds.invoke_startup())
    try:
        yield ds
    finally:
        close_datasette(ds)


def _get(ds: Any, url: str) -> Any:
    return asyncio.run(ds.client.get(url))


def test_the_command_line_counts_as_the_scan(
    archive_path: Path, texts: list[Text], capsys: pytest.CaptureFixture[str]
) -> None:
    where = ("--archive", str(archive_path))
    for row in QUERIES[::3]:
        if hasattr(row, "marks") and row.marks:
            continue
        status, out, _ = centrasia(capsys, "search", "--count", *where, "--", _query(row))
        assert (status, out) == (0, f"{len(expected(texts, _truth(row)))}\n"), _query(row)


def test_datasette_search_counts_as_the_command_line(
    served: Any, texts: list[Text], capsys: pytest.CaptureFixture[str]
) -> None:
    for row in QUERIES:
        if hasattr(row, "marks") and row.marks:
            continue
        q = urllib.parse.quote(_query(row))
        response = _get(served, f"/archive/articles.json?_search={q}&_size=1&_nofacet=1")
        assert response.status_code == 200, (_query(row), response.text[:300])
        wanted = len(expected(texts, _truth(row)))
        assert response.json()["filtered_table_rows_count"] == wanted, _query(row)


@pytest.mark.parametrize(("query", "problem"), REFUSED, ids=[q[:20] for q, _ in REFUSED])
def test_a_refused_query_reads_the_same_everywhere(
    archive_path: Path, served: Any, capsys: pytest.CaptureFixture[str], query: str, problem: str
) -> None:
    status, out, err = centrasia(capsys, "search", "--archive", str(archive_path), "--", query)
    assert (status, out) == (2, "") and err.count("\n") == 1 and problem in err, err
    said = err.removeprefix("centrasia search: ").rstrip("\n")
    q = urllib.parse.quote(query)
    for url in (
        f"/archive/articles.json?_search={q}",
        f"/archive/tagged_articles.json?_search={q}&_facet_array=entities",
        f"/archive/search.json?q={q}",
    ):
        response = _get(served, url)
        assert response.status_code == 400, (url, response.text[:300])
        assert " ".join(response.json()["error"].split()) == said
    for url in (f"/archive/articles?_search={q}&source__exact=x", f"/archive/search?q={q}"):
        response = _get(served, url)
        assert response.status_code == 400 and problem in response.text.replace("&#39;", "'")


@pytest.mark.parametrize("query", ["Жапаров", "Токаевым", "Казахстан -Узбекистан", "Китаю"])
def test_datasette_ranks_as_the_command_line(store: Archive, served: Any, query: str) -> None:
    q = urllib.parse.quote(query)
    response = _get(served, f"/archive/search.json?q={q}&_shape=array")
    assert response.status_code == 200
    ranked = [r["st"] for r in store.search(query, limit=100)]
    assert [row["st"] for row in response.json()] == ranked


def test_filters_that_cannot_match_say_so(
    archive_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ("--archive", str(archive_path))
    status, out, err = centrasia(capsys, "search", "Казахстан", "--source", "Азия Плюс", *where)
    assert (status, out) == (2, "")
    assert err.startswith("centrasia search: --source 'Азия Плюс' names no article")
    assert "the closest: Азия-Плюс" in err and err.count("\n") == 1
    status, out, err = centrasia(
        capsys, "search", "Казахстан", "--since", "2026-02-10", "--until", "2026-01-01", *where
    )
    assert (status, out) == (2, "") and "is after --until" in err and err.count("\n") == 1
    status, out, _ = centrasia(
        capsys, "search", "Казахстан", "--source", "азия-плюс", "--count", *where
    )
    assert status == 0 and int(out) > 0


def test_exact_tells_the_total(
    archive_path: Path, texts: list[Text], capsys: pytest.CaptureFixture[str]
) -> None:
    wanted = len(expected(texts, word("казахстане")))
    status, _, err = centrasia(
        capsys, "search", "Казахстане", "--exact", "--limit", "2", "--archive", str(archive_path)
    )
    assert status == 0 and err == f"2 of {wanted} results\n"
    status, out, err = centrasia(
        capsys, "kwic", "Казахстане", "--exact", "--csv", "--archive", str(archive_path)
    )
    matches = out.splitlines()[1:]
    assert matches and all(",Казахстане," in line for line in matches)
    occurrences = sum(t.title.count("казахстане") + t.body.count("казахстане") for t in texts)
    assert len(matches) == occurrences


@pytest.mark.parametrize(
    ("query", "pattern"), [("Казахстан", KZ), ("Китаю", CN), ("Бишкек", BISH), ("газ", GAS)]
)
def test_the_search_page_lists_the_headline_matches_then_the_body_matches(
    served: Any, texts: list[Text], query: str, pattern: str
) -> None:
    """The canned search's 100 rows: the articles whose headline matches first (all of
    them, or the first 100 when they are more), then body-only matches (as many as the
    headlines leave room for), against the scan."""
    q = urllib.parse.quote(query)
    response = _get(served, f"/archive/search.json?q={q}&_shape=array")
    assert response.status_code == 200
    sts = [row["st"] for row in response.json()]
    heads = expected(texts, title(phrase, pattern))
    rest = expected(texts, word(pattern)) - heads
    shown = min(len(heads), 100)
    assert len(sts) == len(set(sts)) == min(100, len(heads) + len(rest))
    assert set(sts[:shown]) <= heads and set(sts[shown:]) <= rest
    assert 0 < shown < len(sts)  # both groups shown


def test_headlines_that_fill_the_search_page_leave_no_room_for_the_body(tmp_path: Path) -> None:
    """More headline matches than the page's 100 rows: the page is the best 100 of
    them, in the command line's order, and no body-only match."""
    forms = ("Бишкек", "Бишкека", "Бишкеку", "Бишкеком", "Бишкеке")
    written = [
        (f"{forms[n % 5]}: новости дня {n}", "Город живёт обычной жизнью. " * (1 + n % 7))
        for n in range(130)
    ]
    written += [(f"Новости дня {n}", f"Делегация прибыла в Бишкек. {n}") for n in range(40)]
    written += [(f"Погода {n}", "Дождь и ветер.") for n in range(10)]
    path = tmp_path / "archive.sqlite"
    first = 1_700_000_000
    with Archive.open(path) as writer:
        writer.write_batch(
            [
                {
                    "st": first + 3600 * n,
                    "url": f"https://centrasia.org/newsA.php?st={first + 3600 * n}",
                    "title": headline,
                    "published_at": f"2026-03-{1 + n % 28:02d}T12:00:00+03:00",
                    "body": text,
                }
                for n, (headline, text) in enumerate(written)
            ]
        )
        ranked = [r["st"] for r in writer.search("Бишкек", limit=100)]
    in_title = re.compile(r"\bбишкек(а|у|ом|е)?\b", re.IGNORECASE)
    heads = {first + 3600 * n for n, (t, _) in enumerate(written) if in_title.search(t)}
    assert len(heads) == 130
    ds = open_datasette([path])
    try:
        response = _get(ds, f"/archive/search.json?q={urllib.parse.quote('Бишкек')}&_shape=array")
    finally:
        close_datasette(ds)
    assert response.status_code == 200
    sts = [row["st"] for row in response.json()]
    assert len(sts) == 100 and set(sts) <= heads
    assert sts == ranked
