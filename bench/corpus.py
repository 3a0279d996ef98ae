"""A large archive of generated Russian news text, for the search benchmarks.

Articles are written through the project's own archive writer (``Archive.write_batch``:
the exact-form index, the morphological index and every trigger included), about
``PER_DAY`` a day backwards from 2026-02-19, each a title and a body of about 7 KB of
UTF-8 text. The words follow realistic frequencies: a Zipf law (rank r drawn with
weight 1/r) over a vocabulary whose head is the most frequent Russian lemmas (the
Russian National Corpus frequency list's top 100, in its order), then the news words
of the search test set, then random lemmas of pymorphy3's dictionary; each drawn lemma
is written in one of its forms (earlier forms of its paradigm weighted more), sentences
start with a capital, names are capitalised. Two words are pinned where a news
site has them: ``страна`` (rank 60, in about half the articles) and ``Казахстан``
(rank 250, in about a sixth). ``RARE`` appears in forms in a few articles only.

The inflection test set (``tests/inflection.py``) is written in too, as its own
articles (``st`` from 1,000,000 up, after the generated ones' range), so the benchmark
can measure recall and precision on it at this size.

    .venv/bin/python bench/corpus.py --articles 300000 /tmp/archive.sqlite
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from centrasia_crawler.archive import Archive  # noqa: E402
from tests.inflection import WORDS, article_texts  # noqa: E402

PER_DAY = 40
LAST_DAY = date(2026, 2, 19)
FIRST_ST = 1  # generated articles: 1 .. n; the inflection set: 1,000,000 up
BODY_BYTES = 7_000
#: The most frequent Russian lemmas (Russian National Corpus frequency dictionary,
#: Lyashevskaya & Sharov 2009), in order.
HEAD = (
    "и в не на я быть он с что а по это она этот к но они мы как из у который то за "
    "свой весь год от так о для ты же все тот мочь вы человек такой его сказать только "
    "или ещё бы себя один уже до время если сам когда другой вот говорить наш мой знать "
    "стать при чтобы дело жизнь кто первый очень два день её новый рука даже во со раз "
    "где там под можно ну какой после их работа без самый потом надо хотеть ли слово "
    "идти большой должен место иметь ничто"
).split()
PINNED = {"страна": 60, "казахстан": 250}
RARE = "редкоземельный"
RARE_ARTICLES = 12
VOCABULARY = 40_000  # lemmas
CACHE = Path(tempfile.gettempdir()) / "centrasia-bench-lemmas.json"


def dictionary_lemmas(count: int, seed: int = 7) -> list[str]:
    """``count`` random nouns, adjectives and verbs of pymorphy3's dictionary (cached:
    walking the dictionary takes about a minute)."""
    if CACHE.exists():
        lemmas = json.loads(CACHE.read_text(encoding="utf-8"))
    else:
        import pymorphy3

        morph = pymorphy3.MorphAnalyzer(lang="ru")
        kept = set()
        for word, tag, normal, _para, index in morph.dictionary.iter_known_words():
            if (
                index == 0
                and tag.POS in ("NOUN", "ADJF", "INFN")
                and word == normal
                and "-" not in word
                and len(word) > 3
                and "Name" not in tag
                and "Surn" not in tag
            ):
                kept.add(word)
        lemmas = sorted(kept)
        CACHE.write_text(json.dumps(lemmas, ensure_ascii=False), encoding="utf-8")
    return random.Random(seed).sample(lemmas, count)


class Vocabulary:
    """Lemmas by rank, each with its forms, and a sampler of word forms."""

    def __init__(self, size: int = VOCABULARY, seed: int = 7) -> None:
        import pymorphy3

        self.morph = pymorphy3.MorphAnalyzer(lang="ru")
        news = [
            w.lower() for kind, text in WORDS.items() if kind != "surname" for w in text.split()
        ]
        news = [w for w in news if w not in PINNED and w != RARE]
        ranked = list(dict.fromkeys(HEAD + news))
        ranked = [w for w in ranked if w not in PINNED]
        for word, rank in sorted(PINNED.items(), key=lambda item: item[1]):
            ranked.insert(rank - 1, word)
        taken = set(ranked) | {RARE}
        ranked += [w for w in dictionary_lemmas(size, seed) if w not in taken][: size - len(ranked)]
        self.lemmas = ranked
        capital = {w.lower() for w in WORDS["place, Central Asia"].split()}
        self.forms = [self._forms(w, w in capital) for w in ranked]
        self.cumulative = list(itertools.accumulate(1 / r for r in range(1, len(ranked) + 1)))
        self.rng = random.Random(seed)

    def _forms(self, lemma: str, capital: bool) -> tuple[list[str], list[float]]:
        parses = self.morph.parse(lemma)
        parse = next((p for p in parses if p.normal_form == lemma), parses[0])
        forms = list(dict.fromkeys(f.word for f in parse.lexeme)) or [lemma]
        if capital:
            forms = [f.capitalize() for f in forms]
        return forms, list(itertools.accumulate(1 / (i + 1) for i in range(len(forms))))

    def words(self, k: int) -> list[str]:
        rng = self.rng
        out = []
        for rank in rng.choices(range(len(self.lemmas)), cum_weights=self.cumulative, k=k):
            forms, weights = self.forms[rank]
            out.append(forms[bisect.bisect(weights, rng.random() * weights[-1])])
        return out

    def text(self, size: int) -> str:
        """Sentences of 6-20 words up to about ``size`` bytes of UTF-8."""
        sentences, length = [], 0
        while length < size:
            words = self.words(self.rng.randint(6, 20))
            if len(words) > 8:
                words[self.rng.randint(3, len(words) - 3)] += ","
            sentence = " ".join(words)
            sentence = sentence[0].upper() + sentence[1:] + "."
            sentences.append(sentence)
            length += len(sentence.encode()) + 1
        return " ".join(sentences)


def article(st: int, day: date, minute: int, title: str, body: str) -> dict[str, Any]:
    return {
        "st": st,
        "url": f"https://centrasia.org/newsA.php?st={st}",
        "title": title,
        "published_at": f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00+03:00",
        "body": body,
        "source": f"Источник {st % 50}",
    }


def generated(n: int, seed: int = 7) -> Any:
    """``n`` articles, newest day last, ``PER_DAY`` a day."""
    vocabulary = Vocabulary(seed=seed)
    rng = vocabulary.rng
    rare = set(rng.sample(range(FIRST_ST, FIRST_ST + n), RARE_ARTICLES))
    rare_forms = vocabulary._forms(RARE, False)[0]
    days = (n + PER_DAY - 1) // PER_DAY
    first = LAST_DAY - timedelta(days=days - 1)
    for i in range(n):
        st = FIRST_ST + i
        title = " ".join(vocabulary.words(rng.randint(5, 12)))
        body = vocabulary.text(BODY_BYTES)
        if st in rare:
            body += f" {rng.choice(rare_forms).capitalize()} {vocabulary.text(60)}"
        yield article(st, first + timedelta(days=i // PER_DAY), (i % PER_DAY) * 30, title, body)


def build(path: Path, n: int, batch: int = 2000, say: Any = print) -> float:
    """Write ``n`` generated articles and the inflection set; the seconds it took."""
    start = time.perf_counter()
    with Archive.open(path) as store:
        chunk: list[dict[str, Any]] = []
        for done, item in enumerate(generated(n), 1):
            chunk.append(item)
            if len(chunk) == batch:
                store.write_batch(chunk)
                chunk = []
                if done % 20_000 == 0:
                    rate = done / (time.perf_counter() - start)
                    say(f"  {done:,} articles, {rate:,.0f}/s", flush=True)
        set_rows = [article(st, LAST_DAY, 0, t, b) for st, t, b in article_texts()]
        store.write_batch([*chunk, *set_rows])
    return time.perf_counter() - start


def default_path(n: int) -> Path:
    return Path(tempfile.gettempdir()) / f"centrasia-search-{n}.sqlite"


def ensure(n: int, path: Path | None = None) -> Path:
    """The benchmark archive of ``n`` articles at ``path``, built first if missing."""
    path = path or default_path(n)
    if not path.exists():
        print(f"building {path} ({n:,} articles)", flush=True)
        seconds = build(path, n)
        print(f"   built in {seconds / 60:.1f} min ({n / seconds:,.0f} articles/s)")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--articles", type=int, default=300_000)
    args = parser.parse_args()
    if args.archive.exists():
        raise SystemExit(f"corpus: {args.archive} exists; give a new file")
    seconds = build(args.archive, args.articles)
    print(f"{args.articles:,} articles in {seconds:.0f} s -> {args.archive}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
