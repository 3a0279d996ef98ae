"""A large archive of generated Russian news, for the search benchmarks.

Articles are written through the project's own archive writer (``Archive.write_batch``:
the exact-form index, the morphological index and every trigger included), ``PER_DAY``
a day backwards from 2026-02-19, each a headline and a body of about 7 KB of UTF-8
text. The text is the replica's grammatical news (``tests/replica/news.py``): one topic
an article (elections, energy, water, migration, security, trade, China, Afghanistan,
culture) about one country of the region and a partner, then two more subjects, with
the region's people, places and bodies in the cases their sentences need, numbers,
Latin words, «ёлочки»; events make topics rise and fall over the weeks. The broad words
occur at the rates such a text has them (on 2,000 articles: ``страна`` in 87% of them,
``Казахстан`` in 70%, ``газ`` in 41%). ``RARE`` appears, in its forms, in
``RARE_ARTICLES`` articles only.

The inflection test set (``tests/inflection.py``) is written in too, as its own
articles (``st`` from 1,000,000 up, after the generated ones' range), so the benchmark
can measure recall and precision on it at this size.

    .venv/bin/python bench/corpus.py --articles 300000 /tmp/archive.sqlite
"""

from __future__ import annotations

import argparse
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
from tests.inflection import article_texts  # noqa: E402
from tests.replica.news import Newsroom  # noqa: E402
from tests.replica.topics import AUTHORS, OUTLETS  # noqa: E402

PER_DAY = 40
LAST_DAY = date(2026, 2, 19)
FIRST_ST = 1  # generated articles: 1 .. n; the inflection set: 1,000,000 up
#: Subjects an article treats (its own, then others of the day), paragraphs on each,
#: sentences a paragraph: bodies of about 7 KB.
SUBJECTS, PARAGRAPHS, SENTENCES = 3, (6, 8), (2, 4)
RARE = "редкоземельный"
RARE_ARTICLES = 12
#: Sentences that carry RARE (the generator's own templates never do).
RARE_SENTENCES = (
    "Речь идёт и о редкоземельных металлах.",
    "{C} [C:предлагает|предлагает|предлагает|предлагают] инвесторам редкоземельные металлы.",
    "Запасы редкоземельного сырья оценивают в {#bn} млн тонн.",
)


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
    days = (n + PER_DAY - 1) // PER_DAY
    first = LAST_DAY - timedelta(days=days - 1)
    newsroom = Newsroom(seed, first, LAST_DAY)
    rng = random.Random(seed)
    rare = set(rng.sample(range(FIRST_ST, FIRST_ST + n), RARE_ARTICLES))
    for i in range(n):
        st = FIRST_ST + i
        day = first + timedelta(days=i // PER_DAY)
        plan = newsroom.plan(rng, day)
        headline, _ = newsroom.headline(plan, rng)
        title = f"{rng.choice(OUTLETS)} {headline}".strip()
        if rng.random() < 0.15:
            title = f"{title}, - {rng.choice(AUTHORS)}"
        # Long pieces turn to other subjects, as the site's reviews do: on one subject,
        # a 7 KB body would repeat its topic's sentences (and flatter compression).
        used: set[Any] = set()  # generic sentences, once per article while others are left
        parts = [newsroom.body(plan, rng, PARAGRAPHS, SENTENCES, used)[0]]
        for _ in range(SUBJECTS - 1):
            other = newsroom.plan(rng, day)
            parts.append(newsroom.body(other, rng, PARAGRAPHS, SENTENCES, used)[0])
        body = "\n\n".join(parts)
        if st in rare:
            body += " " + newsroom.sentence(plan, rng, rng.choice(RARE_SENTENCES))[0]
        yield article(st, day, (i % PER_DAY) * 30, title, body)


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
    # "news": the grammatical corpus (an archive of the earlier word-list corpus, named
    # centrasia-search-N.sqlite, is left alone for comparison).
    return Path(tempfile.gettempdir()) / f"centrasia-news-{n}.sqlite"


def ensure(n: int, path: Path | None = None) -> Path:
    """The benchmark archive of ``n`` articles at ``path``, built first if missing."""
    path = path or default_path(n)
    if not path.exists():
        print(f"building {path} ({n:,} articles)", flush=True)
        seconds = build(path, n)
        print(f"   built in {seconds / 60:.1f} min ({n / seconds:,.0f} articles/s)")
    readable(path)
    return path


def readable(path: Path) -> None:
    """Stop, in one line, on an archive this version cannot read as it is (an older
    schema): every page and command would answer "run centrasia upgrade", quickly, and
    the benchmark would time that."""
    from centrasia_crawler.archive import Archive, ArchiveNeedsUpgrade, ArchiveVersionError

    try:
        Archive.open(path, readonly=True).close()
    except (ArchiveNeedsUpgrade, ArchiveVersionError) as exc:
        raise SystemExit(f"benchmark: {exc}") from None


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
