"""Search by word form against the Universal Dependencies Russian treebanks (a script,
not a test): an external gold standard of lemmas nobody here wrote.

The data is ``tests/fixtures/ud/ru_forms.tsv``: the distinct ``(form, gold lemma, UPOS,
treebank)`` of the content words (NOUN, PROPN, ADJ, VERB) of the test files of UD
Russian GSD, Taiga and PUD (its header names each file, repository, commit and
licence). Nothing is fetched: ``--extract`` rebuilds the file from local copies of the
three ``.conllu`` files.

A *lemma* is a gold lemma with its UPOS (lower case, ё as е); its *forms* are its
distinct words (lower case), each a single token as the index cuts text. For every
lemma with two or more forms, every ordered pair of its forms ``(a, b)`` is *found*
when a search for ``a`` finds a text holding ``b``. The project's rule is the archive's
own: the forms are indexed (:func:`centrasia_crawler.archive.morph.index_articles`)
into an archive in memory, and ``b`` is found when its index term
(``Morphology.term``) is one of the terms the query word ``a`` stands for
(``QueryTranslator.terms``). *False matches*: ordered pairs of different forms of
different gold lemmas that begin with the same four letters, found by the same rule,
per 1,000 such pairs. Baselines: pymorphy3 alone (the likeliest parse's normal form is
the same) and the Snowball stemmer alone (PyStemmer, the same stem).

Run: .venv/bin/python bench/ud_recall.py [--data FILE] [--sample N]
     .venv/bin/python bench/ud_recall.py --extract GSD.conllu TAIGA.conllu PUD.conllu
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from centrasia_crawler.archive.morph import index_articles  # noqa: E402
from centrasia_crawler.archive.schema import migrate  # noqa: E402
from centrasia_crawler.archive.search_query import QueryTranslator  # noqa: E402
from centrasia_crawler.normalize.morphology import morphology, tokens  # noqa: E402
from centrasia_crawler.normalize.text import fold_yo  # noqa: E402

DATA = ROOT / "tests" / "fixtures" / "ud" / "ru_forms.tsv"
CONTENT = ("NOUN", "PROPN", "ADJ", "VERB")
TREEBANKS = ("gsd", "taiga", "pud")

Match = Callable[[str, str], bool]


@dataclass(frozen=True)
class Row:
    form: str
    lemma: str
    upos: str
    treebank: str


def read_forms(path: Path = DATA) -> list[Row]:
    """The rows of the checked-in file (``#`` lines are its header)."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            form, lemma, upos, treebank = line.rstrip("\n").split("\t")
            if line.startswith("form\t"):
                continue
            rows.append(Row(form, lemma, upos, treebank))
    return rows


def single_token(form: str) -> bool:
    """Whether the index reads ``form`` as one word (``северо-западный`` is two)."""
    return list(tokens(form)) == [form]


def lemma_key(row: Row) -> tuple[str, str]:
    return fold_yo(row.lemma.lower()), row.upos


def groups(rows: Iterable[Row]) -> dict[tuple[str, str], list[str]]:
    """Each lemma's distinct forms (distinct in lower case), each spelled in lower case
    where the text has it so (a capitalised word is read as a name could be)."""
    seen: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for row in rows:
        if single_token(row.form):
            spellings = seen[lemma_key(row)]
            if row.form.islower() or row.form.lower() not in spellings:
                spellings[row.form.lower()] = row.form
    return {key: sorted(forms.values()) for key, forms in seen.items()}


def same_lemma_pairs(rows: Iterable[Row]) -> list[tuple[str, str]]:
    """Every ordered pair of different forms of one lemma."""
    return [
        (a, b)
        for forms in groups(rows).values()
        if len(forms) > 1
        for a in forms
        for b in forms
        if a != b
    ]


def similar_pairs(rows: Iterable[Row]) -> list[tuple[str, str]]:
    """Ordered pairs of different forms of different lemmas beginning with the same
    four letters."""
    by_prefix: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in rows:
        if single_token(row.form) and len(row.form) >= 4:
            by_prefix[row.form[:4].lower()].add((row.form, fold_yo(row.lemma.lower())))
    pairs = set()
    for entries in by_prefix.values():
        for a, lemma_a in entries:
            for b, lemma_b in entries:
                if lemma_a != lemma_b and a.lower() != b.lower():
                    pairs.add((a, b))
    # A pair counts once even when its forms are forms of several lemmas each; it is
    # not a false match when the two forms share any gold lemma.
    lemmas_of: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        lemmas_of[row.form.lower()].add(fold_yo(row.lemma.lower()))
    return sorted((a, b) for a, b in pairs if not lemmas_of[a.lower()] & lemmas_of[b.lower()])


def project_rule(forms: Iterable[str]) -> Match:
    """The archive's rule: ``b`` is found by a query for ``a`` when ``b``'s index term is
    one of the terms ``a`` stands for, in an archive (in memory) holding ``forms``."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    migrate(conn)
    conn.execute("BEGIN")
    index_articles(conn, [(1, "", " ".join(sorted(set(forms))))])
    conn.execute("COMMIT")
    translator = QueryTranslator(conn)
    morph = morphology()
    return lambda a, b: morph.term(b) in translator.terms(a)


def pymorphy_rule() -> Match:
    analyser = morphology().analyser

    def normal(word: str) -> str:
        return str(analyser.parse(word.lower())[0].normal_form)

    return lambda a, b: normal(a) == normal(b)


def snowball_rule() -> Match:
    import Stemmer

    stem = Stemmer.Stemmer("russian").stemWord
    return lambda a, b: stem(a.lower()) == stem(b.lower())


def rate(match: Match, pairs: list[tuple[str, str]]) -> float:
    return sum(1 for a, b in pairs if match(a, b)) / len(pairs) if pairs else float("nan")


def extract(paths: list[Path]) -> list[Row]:
    """The distinct content-word rows of CoNLL-U files named ``ru_<treebank>-ud-*``."""
    rows: set[Row] = set()
    for path in paths:
        treebank = path.name.split("-")[0].removeprefix("ru_")
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if not cols[0].isdigit():  # a multiword token's range, an empty node
                continue
            if cols[3] in CONTENT and cols[1] and cols[2] not in ("", "_"):
                rows.add(Row(cols[1], cols[2], cols[3], treebank))
    return sorted(rows, key=lambda r: (TREEBANKS.index(r.treebank), r.lemma, r.upos, r.form))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sample", type=int, help="judge at most N pairs of each kind")
    parser.add_argument("--extract", nargs="+", type=Path, metavar="CONLLU")
    args = parser.parse_args()
    if args.extract:
        for row in extract(args.extract):
            print(row.form, row.lemma, row.upos, row.treebank, sep="\t")
        return
    rows = read_forms(args.data)
    print(
        f"pymorphy3 {version('pymorphy3')}, pymorphy3-dicts-ru {version('pymorphy3-dicts-ru')},"
        f" PyStemmer {version('PyStemmer')}; {len(rows):,} rows of {args.data.name}"
    )
    rules = {
        "project": project_rule(row.form for row in rows),
        "pymorphy3": pymorphy_rule(),
        "snowball": snowball_rule(),
    }
    rng = random.Random(37)
    header = f"{'treebank':<9}{'lemmas':>8}{'pairs':>9}" + "".join(
        f"{name + ' recall':>18}" for name in rules
    )
    print(header)
    false_lines = []
    for name in (*TREEBANKS, "all"):
        subset = [row for row in rows if name in ("all", row.treebank)]
        pairs = same_lemma_pairs(subset)
        similar = similar_pairs(subset)
        if args.sample:
            pairs = rng.sample(pairs, min(args.sample, len(pairs)))
            similar = rng.sample(similar, min(args.sample, len(similar)))
        lemmas = sum(1 for forms in groups(subset).values() if len(forms) > 1)
        recalls = [rate(match, pairs) for match in rules.values()]
        print(f"{name:<9}{lemmas:>8,}{len(pairs):>9,}" + "".join(f"{r:>18.4f}" for r in recalls))
        falses = [1000 * rate(match, similar) for match in rules.values()]
        false_lines.append(f"{name:<9}{len(similar):>17,}" + "".join(f"{x:>18.1f}" for x in falses))
    print()
    print(f"{'treebank':<9}{'similar pairs':>17}" + "".join(f"{n + ' /1000':>18}" for n in rules))
    print("\n".join(false_lines))


if __name__ == "__main__":
    main()
