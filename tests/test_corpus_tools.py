"""Collocates, word lists and co-occurrence networks against counts made here.

The archive is the replica's generated news (as the demo's). Every expected figure is
counted in this file from the stored text (a regex scan, the tokens cut as the index
cuts them) or from the entity tables, and the measures are computed by hand from those
counts: logDice (Rychlý 2008) and Dunning's log-likelihood (1993).
"""

from __future__ import annotations

import csv
import math
import re
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings, strategies

from centrasia_crawler.archive import Archive
from centrasia_crawler.cli import main
from centrasia_crawler.normalize.morphology import TOKEN_RE, word_list
from tests.helpers import site_archive
from tests.replica.content import Site

#: A word as the index reads it, written here: a decimal (``2,4``) or a percentage
#: (``20 %``) is one word, a date's ``01.06.2024`` three numbers; anything else as
#: SQLite cuts it.
WORD = re.compile(
    r"(?<![0-9][.,])[0-9]+(?:[.,][0-9]+)?(?![.,]?[^\W_])(?:[ \u00a0\u202f]?%)?"
    r"|(?:[^\W_]|[\u0300-\u036f\u0483-\u0487\u1ab0-\u1abd\u1dc0-\u1dff\u20d0-\u20dc"
    r"\ufe20-\ufe2f\ue000-\uf8ff])+"
)
#: Characters where a tokeniser can go wrong: both scripts in both cases, ё, ASCII and
#: other digits, a decimal's and a percentage's marks, spaces of three kinds, ``_``,
#: stress and other combining marks, a private-use character, and letters whose lower
#: case is longer or whose class is not obvious.
TRICKY = (
    "абвжЖЯёЁazAZ0123456789٣²½.,%_-/ \u00a0\u202f\n\t"
    "\u0301\u0483\u1ab0\u20d0\ufe20\ue000\uf8ffİßǀǂ\u200b"
)
PLAIN_NOT = "_\u0301\u0483\u1ab0\u20d0\ufe20\ue000\uf8ff"

SITE = Site(days=40, per_day=12, last_day=Site.last_day)
#: The forms of the surname the query names, and of the post, as the replica writes them.
JAPAROV = re.compile(r"жапаров(?:а|у|ым|е)?", re.IGNORECASE)
PRESIDENT = re.compile(r"президент(?:а|у|ом|е|ы|ов|ам|ами|ах)?", re.IGNORECASE)
WINDOW = 5


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return site_archive(
        tmp_path_factory, SITE, tmp_path_factory.mktemp("corpus") / "archive.sqlite"
    )


@pytest.fixture(scope="module")
def store(path: Path) -> Iterator[Archive]:
    with Archive.open(path, readonly=True) as reader:
        yield reader


def texts(path: Path) -> list[tuple[int, str, str, str]]:
    """``(st, published_date, title, body)`` of every stored article."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT st, published_date, title, body FROM articles").fetchall()
    finally:
        conn.close()


def fold(token: str) -> str:
    return token.lower().replace("ё", "е")


def whole(pattern: re.Pattern[str], token: str) -> bool:
    return pattern.fullmatch(token) is not None


def articles_naming(path: Path, pattern: re.Pattern[str]) -> set[int]:
    return {
        st
        for st, _, title, body in texts(path)
        if any(whole(pattern, t) for t in TOKEN_RE.findall(f"{title} {body}"))
    }


def japarov_articles(path: Path) -> set[int]:
    return articles_naming(path, JAPAROV)


# --- collocates -------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["japarov", "mirziyoyev", "tokayev"])
def test_a_persons_first_name_and_post_are_among_their_top_collocates(
    store: Archive, path: Path, person: str
) -> None:
    conn = sqlite3.connect(path)
    try:
        names = [
            n
            for (n,) in conn.execute("SELECT name FROM entity_names WHERE entity_id = ?", (person,))
        ]
        posts = [
            t
            for t, years in conn.execute(
                "SELECT title, years FROM entity_posts WHERE entity_id = ?", (person,)
            )
            if years and years.endswith("-")  # the post they hold
        ]
    finally:
        conn.close()
    full = max(names, key=len)
    surname, first = full.split()[-1], fold(TOKEN_RE.findall(full)[0])
    post = fold(posts[0].split()[0])
    found = store.collocates(surname, limit=15)
    readings = [set(row["lemma"].split("/")) for row in found["collocates"]]
    assert any(first in r for r in readings), (first, readings)
    assert any(post in r for r in readings), (post, readings)


def test_logdice_and_log_likelihood_of_one_pair_by_hand(store: Archive, path: Path) -> None:
    nodes = window_tokens = cofreq = total = tokens = 0
    for _, _, title, body in texts(path):
        for text in (title, body):
            seq = TOKEN_RE.findall(text)
            tokens += len(seq)
            total += sum(whole(PRESIDENT, t) for t in seq)
            at = [i for i, t in enumerate(seq) if whole(JAPAROV, t)]
            nodes += len(at)
            near = {
                j
                for i in at
                for j in range(i - WINDOW, i + WINDOW + 1)
                if 0 <= j < len(seq) and j not in at
            }
            window_tokens += len(near)
            cofreq += sum(whole(PRESIDENT, seq[j]) for j in near)
    assert cofreq > 10  # the pair is there to measure
    dice = 14 + math.log2(2 * cofreq / (nodes + total))
    # Dunning's G²: observed against expected in the table (window / elsewhere) x
    # (president / any other token).
    table = [
        [cofreq, window_tokens - cofreq],
        [total - cofreq, tokens - window_tokens - (total - cofreq)],
    ]
    rows = [sum(r) for r in table]
    cols = [table[0][k] + table[1][k] for k in (0, 1)]
    g2 = 2 * sum(
        table[r][k] * math.log(table[r][k] / (rows[r] * cols[k] / tokens))
        for r in (0, 1)
        for k in (0, 1)
        if table[r][k]
    )
    found = store.collocates("Жапаров", window=WINDOW, limit=None, min_count=1)
    assert found["nodes"] == nodes and found["sample"] == found["matched"]
    (row,) = [r for r in found["collocates"] if r["lemma"] == "президент"]
    assert (row["cofreq"], row["total"]) == (cofreq, total)
    assert row["logdice"] == pytest.approx(dice, abs=1e-3)
    assert row["ll"] == pytest.approx(g2, abs=1e-3)


def test_collocates_by_period_split_the_co_occurrences(store: Archive) -> None:
    overall = store.collocates("Жапаров", limit=None, min_count=1)
    monthly = store.collocates("Жапаров", by="month", limit=None, min_count=1)
    months = {r["period"] for r in monthly["collocates"]}
    assert len(months) >= 2 and all(re.fullmatch(r"\d{4}-\d{2}", m) for m in months)
    summed: Counter[str] = Counter()
    for r in monthly["collocates"]:
        summed[r["lemma"]] += r["cofreq"]
    assert summed == Counter({r["lemma"]: r["cofreq"] for r in overall["collocates"]})


def test_collocates_leave_stop_words_out_unless_asked(store: Archive) -> None:
    from stop_words import get_stop_words

    listed = {fold(w) for w in get_stop_words("russian")}
    plain = store.collocates("Жапаров", limit=None)
    assert plain["collocates"]
    assert not any(set(r["lemma"].split("/")) & listed for r in plain["collocates"])
    kept = store.collocates("Жапаров", limit=None, stop_words=True)
    assert any(set(r["lemma"].split("/")) & listed for r in kept["collocates"])


def test_a_sample_is_said_and_scaled(store: Archive) -> None:
    found = store.collocates("Жапаров", sample=50, limit=None)
    assert found["sample"] == 50 < found["matched"]
    assert found["nodes"] > 50  # scaled to the whole result


# --- word lists ---------------------------------------------------------------------------


def form_counts(path: Path, n: int, only: set[int] | None = None) -> Counter[str]:
    counts: Counter[str] = Counter()
    for st, _, title, body in texts(path):
        if only is not None and st not in only:
            continue
        for text in (title, body):
            seq = ["".join(fold(m[0]).split()) for m in WORD.finditer(text)]
            counts.update(" ".join(seq[i : i + n]) for i in range(len(seq) - n + 1))
    return counts


def test_the_archives_forms_are_a_regex_scan(store: Archive, path: Path) -> None:
    found = store.words(by="form", stop_words=True, limit=None)
    truth = form_counts(path, 1)
    assert {w["word"]: w["count"] for w in found["words"]} == truth
    assert found["tokens"] == sum(truth.values())
    ranked = [w["count"] for w in found["words"]]
    assert ranked == sorted(ranked, reverse=True)


def test_a_querys_bigrams_are_a_regex_scan(store: Archive, path: Path) -> None:
    only = japarov_articles(path)
    found = store.words("Жапаров", ngrams=2, by="form", stop_words=True, limit=None)
    assert found["articles"] == len(only) == found["sample"]
    assert {w["word"]: w["count"] for w in found["words"]} == form_counts(path, 2, only)


def test_a_lemma_counts_every_form(store: Archive, path: Path) -> None:
    found = store.words(limit=None)
    total = sum(
        whole(PRESIDENT, t)
        for _, _, title, body in texts(path)
        for t in TOKEN_RE.findall(f"{title} {body}")
    )
    assert {w["word"]: w["count"] for w in found["words"]}["президент"] == total


def test_words_leave_out_n_grams_that_begin_or_end_with_a_stop_word(store: Archive) -> None:
    from stop_words import get_stop_words

    listed = {fold(w) for w in get_stop_words("russian")}
    found = store.words(ngrams=3, by="form", limit=None)
    assert found["words"]
    for w in found["words"]:
        parts = w["word"].split()
        assert parts[0] not in listed and parts[-1] not in listed, w


# --- networks -----------------------------------------------------------------------------


def person_pairs(
    path: Path, only: set[int], kind: str = "person"
) -> dict[tuple[str, str], dict[str, Any]]:
    """Articles naming each two people (or countries), from the entity tables, with the
    first and last day."""
    conn = sqlite3.connect(path)
    node = "e.country" if kind == "country" else "e.id"
    where = "e.country IS NOT NULL" if kind == "country" else "e.type = 'person'"
    try:
        people: dict[int, set[str]] = {}
        for st, entity in conn.execute(
            f"SELECT ae.st, {node} FROM article_entities ae"
            f" JOIN entities e ON e.id = ae.entity_id WHERE {where}"
        ):
            if st in only:
                people.setdefault(st, set()).add(entity)
        days = dict(conn.execute("SELECT st, published_date FROM articles"))
    finally:
        conn.close()
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for st, named in people.items():
        for a in named:
            for b in named:
                if a < b:
                    pair = pairs.setdefault((a, b), {"weight": 0, "days": []})
                    pair["weight"] += 1
                    pair["days"].append(days[st])
    return pairs


#: A query naming few of the archive's articles, and one naming many (the network reads
#: the tags by article for the one, by entity for the other).
NAMED = {"Жапаров": JAPAROV, "Узбекистан": re.compile(r"узбекистан(?:а|у|ом|е)?", re.I)}


@pytest.mark.parametrize("kind", ["person", "country"])
@pytest.mark.parametrize("query", list(NAMED))
def test_the_gexf_edges_are_the_articles_naming_both(
    path: Path, tmp_path: Path, query: str, kind: str
) -> None:
    import networkx as nx

    out = tmp_path / "graph.gexf"
    args = ["network", query, "--kind", kind, "--archive", str(path), "-o", str(out)]
    assert main(args) == 0
    graph = nx.read_gexf(out)
    only = articles_naming(path, NAMED[query])
    if query == "Узбекистан":
        assert len(only) * 4 > len(texts(path))  # a broad query
    pairs = person_pairs(path, only, kind)
    truth = {k: v for k, v in pairs.items() if v["weight"] >= 3}
    assert len(truth) > 3
    edges = {tuple(sorted((u, v))): d for u, v, d in graph.edges(data=True)}
    assert {k: d["weight"] for k, d in edges.items()} == {k: v["weight"] for k, v in truth.items()}
    for key, data in edges.items():
        assert (data["first"], data["last"]) == (min(truth[key]["days"]), max(truth[key]["days"]))
    if kind == "person" and query == "Жапаров":
        assert graph.nodes["japarov"]["label"] == "Садыр Жапаров"


def test_the_csv_edge_list(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "edges.csv"
    args = ["network", "Жапаров", "--kind", "person", "--min", "5", "--archive", str(path)]
    assert main([*args, "-o", str(out)]) == 0
    with out.open(encoding="utf-8") as f:
        read = list(csv.DictReader(f))
    assert list(read[0]) == ["source", "target", "weight", "first", "last"]
    truth = {
        k: v for k, v in person_pairs(path, japarov_articles(path)).items() if v["weight"] >= 5
    }
    conn = sqlite3.connect(path)
    names = dict(conn.execute("SELECT id, name FROM entities"))
    conn.close()
    expected = sorted((names[a], names[b], str(v["weight"])) for (a, b), v in truth.items())
    assert sorted((r["source"], r["target"], r["weight"]) for r in read) == expected


# --- the command line ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["collocates", '"Жапаров'],
        ["collocates", "Жапаров", "--window", "0"],
        ["collocates", "Жапаров", "--json", "--csv"],
        ["collocates", "Жапаров", "--by", "decade"],
        ["words", "--ngrams", "4"],
        ["words", "--by", "stem"],
        ["network", "Жапаров", "-o", "graph.txt"],
        ["network", "Жапаров", "--min", "0", "-o", "graph.csv"],
        ["network", "Жапаров", "--kind", "planet", "-o", "graph.csv"],
    ],
    ids=lambda a: " ".join(a[1:]),
)
def test_bad_input_is_one_line_and_exit_2(
    path: Path,
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([*args, "--archive", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("centrasia "), err
    assert not list(tmp_path.iterdir())


def test_a_missing_networkx_names_the_extra(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "networkx", None)  # import networkx fails
    out = tmp_path / "graph.gexf"
    assert main(["network", "Жапаров", "--archive", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "centrasia-crawler[research]" in err, err
    assert not out.exists()


def test_the_commands_print_tables_and_csv(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["collocates", "Жапаров", "--archive", str(path), "--limit", "5"]) == 0
    shown = capsys.readouterr().out
    assert "logDice" in shown and "садыр" in shown
    assert main(["words", "Жапаров", "--archive", str(path), "--csv", "--limit", "3"]) == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert len(rows) == 3 and list(rows[0]) == ["word", "count", "per_million"]


def test_no_collocate_is_nearer_more_often_than_it_occurs(store: Archive) -> None:
    """A figure (``2,4 млрд``) is one word in the windows as in the archive's totals, and
    the index's placeholder after a decimal is no word of a list."""
    for query in ("млрд", "долларов", "процентов"):
        found = store.collocates(query, min_count=1, limit=None, sample=0)
        over = [r for r in found["collocates"] if r["cofreq"] > r["total"]]
        assert over == [], (query, over[:3])
    for by in ("lemma", "form"):
        for n in (1, 2):
            listed = store.words(ngrams=n, by=by, stop_words=True, limit=None)["words"]
            assert not [w for w in listed if "ǂ" in w["word"].split(" ")], (by, n)


def test_a_querys_lemmas_are_each_words_term_counted_here(store: Archive, path: Path) -> None:
    from centrasia_crawler.normalize.morphology import morphology

    morph = morphology()
    only = japarov_articles(path)
    truth: Counter[str] = Counter()
    for st, _, title, body in texts(path):
        if st in only:
            for text in (title, body):
                truth.update(morph.term(m[0]).replace("ǀ", "/") for m in WORD.finditer(text))
    del truth["ǂ"]
    found = store.words("Жапаров", stop_words=True, limit=None)
    assert found["sample"] == len(only)
    assert {w["word"]: w["count"] for w in found["words"]} == truth
    assert found["tokens"] == sum(truth.values())


@settings(max_examples=3000, deadline=None)
@given(
    text=strategies.one_of(
        strategies.text(alphabet=TRICKY, max_size=40),
        # no combining mark, private-use character or underscore (as in most news)
        strategies.text(alphabet=TRICKY.translate({ord(c): None for c in PLAIN_NOT}), max_size=40),
        strategies.text(max_size=40),
    )
)
def test_the_word_list_is_the_words_pattern_found(text: str) -> None:
    """The list ``words`` counts is what the pattern written here finds, on any text."""
    assert word_list(text) == WORD.findall(text)


@pytest.mark.parametrize(
    "text",
    [
        "1,5 и 1.5 и 1,5,6 и 01.06.2024 и 20 % и 20\u00a0% и 8,5% и 20%%",
        "5abc 5,abc abc5 5.5abc x1,5 1,5x 1,5.6 1.,5 ,5 5, 5 %% 5\u202f%",
        "12\u0301 a_1,5 1._5 1,_5 _1,5 1,5_ 5_%",
        "Ударе\u0301ние \ue000код ٣,٥ ²,5 İstanbul",
        "",
    ],
)
def test_the_word_list_on_numbers_and_marks(text: str) -> None:
    assert word_list(text) == WORD.findall(text)
