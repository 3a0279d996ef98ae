"""Search by word form held against the gold lemmas of the UD Russian treebanks.

``tests/fixtures/ud/ru_forms.tsv`` holds the distinct content words of the test files
of UD Russian GSD, Taiga and PUD with their gold lemmas (its header names the sources;
``bench/ud_recall.py`` measures on it in full). Here a sample of its pairs of forms of
one lemma must be found by the archive's own rule (an archive in memory indexing the
forms, a query word's terms), and pairs of similar words of different lemmas mostly not.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest

from centrasia_crawler.archive.morph import index_articles
from centrasia_crawler.archive.schema import migrate
from centrasia_crawler.archive.search_query import QueryTranslator
from centrasia_crawler.normalize.morphology import morphology

DATA = Path(__file__).parent / "fixtures" / "ud" / "ru_forms.tsv"
SOURCES = {
    "gsd": ("ru_gsd-ud-test.conllu", "UD_Russian-GSD", "5400f2fd7264b7699727bb61b09f53841899df26"),
    "taiga": (
        "ru_taiga-ud-test.conllu",
        "UD_Russian-Taiga",
        "3c64a056edcd5c6e2c29b3724d973729c354e016",
    ),
    "pud": ("ru_pud-ud-test.conllu", "UD_Russian-PUD", "da5b3816eeaa24283c1d81a48bb1de4d062fc5d5"),
}
#: Cyrillic letters only: a form the index reads as one word of the dictionary's kind.
WORD = re.compile(r"[а-яёА-ЯЁ]+")
SAMPLE = 3000


def read() -> tuple[str, list[tuple[str, str, str, str]]]:
    header, rows = [], []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            header.append(line)
        elif line and not line.startswith("form\t"):
            form, lemma, upos, treebank = line.split("\t")
            rows.append((form, lemma, upos, treebank))
    return "\n".join(header), rows


def pairs(
    rows: list[tuple[str, str, str, str]],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Ordered pairs of different forms of one gold lemma (with its UPOS), and of
    different forms beginning with the same four letters that share no gold lemma."""
    forms: dict[tuple[str, str], set[str]] = defaultdict(set)
    lemmas: dict[str, set[str]] = defaultdict(set)
    for form, lemma, upos, _ in rows:
        if WORD.fullmatch(form):
            lemma = lemma.lower().replace("ё", "е")
            forms[lemma, upos].add(form.lower())
            lemmas[form.lower()].add(lemma)
    same = sorted({(a, b) for group in forms.values() for a in group for b in group if a != b})
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for form in lemmas:
        if len(form) >= 4:
            by_prefix[form[:4]].append(form)
    similar = sorted(
        (a, b)
        for group in by_prefix.values()
        for a in group
        for b in group
        if a != b and not lemmas[a] & lemmas[b]
    )
    return same, similar


def test_the_file_parses_and_names_its_sources() -> None:
    header, rows = read()
    for treebank, (name, repo, commit) in SOURCES.items():
        assert name in header and repo in header and commit in header
        assert sum(1 for row in rows if row[3] == treebank) > 3000
    assert "CC BY-SA 4.0" in header and "CC BY-SA 3.0" in header
    assert {row[2] for row in rows} == {"NOUN", "PROPN", "ADJ", "VERB"}
    assert len(rows) == len(set(rows))
    assert all(form and lemma for form, lemma, _, _ in rows)


@pytest.fixture(scope="module")
def sample() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    same, similar = pairs(read()[1])
    rng = random.Random(37)
    return rng.sample(same, SAMPLE), rng.sample(similar, SAMPLE)


def test_search_finds_the_other_forms_of_a_word(
    sample: tuple[list[tuple[str, str]], list[tuple[str, str]]],
) -> None:
    same, similar = sample
    words = sorted({w for pair in same + similar for w in pair})
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(conn)
        conn.execute("BEGIN")
        index_articles(conn, [(1, "", " ".join(words))])
        conn.execute("COMMIT")
        translator = QueryTranslator(conn)
        term = morphology().term

        def found(a: str, b: str) -> bool:
            return term(b) in translator.terms(a)

        recall = sum(found(a, b) for a, b in same) / len(same)
        false = sum(found(a, b) for a, b in similar) / len(similar)
    finally:
        conn.close()
    assert recall >= 0.97, recall
    # Similar words of different lemmas stay apart: a rule matching every pair of
    # similar words would reach any recall.
    assert false <= 0.03, false
