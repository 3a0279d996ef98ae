"""The corpus tools' wall times: ``collocates``, ``words`` and ``network`` (a script, not
a test).

On an archive of generated news (``bench/corpus.py``), each command runs in a new
process (start included), as a researcher types it, for a rare word, a typical one and
the broadest one, and prints the median and the longest of ``--rounds`` runs against
the targets: under 1 s for a typical query, under 2 s for the broadest word.

    .venv/bin/python bench/corpus.py /tmp/corpus-20k.sqlite --articles 20000
    .venv/bin/python bench/corpus_tools.py /tmp/corpus-20k.sqlite
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import RARE  # noqa: E402

CENTRASIA = [sys.executable, "-m", "centrasia_crawler.cli"]
WORDS = {"rare": RARE, "typical": "конституция", "broadest": "страна"}


def commands(word: str, out: Path) -> dict[str, list[str]]:
    return {
        "collocates": ["collocates", word],
        "collocates --by month": ["collocates", word, "--by", "month"],
        "words QUERY": ["words", word],
        "words QUERY --ngrams 2 --by form": ["words", word, "--ngrams", "2", "--by", "form"],
        "network --kind person": ["network", word, "--kind", "person", "-o", str(out)],
        "network (every kind)": ["network", word, "-o", str(out)],
    }


def timed(args: list[str], rounds: int) -> tuple[float, float]:
    """Median and longest wall time of a command."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)}: {done.stderr.strip()}")
    return statistics.median(times), max(times)


def matches(path: Path, word: str) -> int:
    done = subprocess.run(
        [*CENTRASIA, "search", word, "--count", "--archive", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    path: Path = args.archive
    if not path.exists():
        raise SystemExit(f"corpus_tools: no archive {path}; build one with bench/corpus.py")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    conn.close()
    print(f"{path}: {total:,} articles; median / longest of {args.rounds}, process start included")
    start, _ = timed([sys.executable, "-c", "import centrasia_crawler.cli"], args.rounds)
    print(f"(python starting and importing the CLI alone: {start:.2f} s)")
    with tempfile.TemporaryDirectory() as tmp:
        for label, word in WORDS.items():
            target = 2.0 if label == "broadest" else 1.0
            print(
                f"\n{label} word {word!r} ({matches(path, word):,} articles); target < {target} s"
            )
            for name, argv in commands(word, Path(tmp) / "graph.gexf").items():
                median, longest = timed([*CENTRASIA, *argv, "--archive", str(path)], args.rounds)
                flag = "" if median < target else "  over"
                print(f"  {name:34} {median:5.2f} s  (longest {longest:.2f} s){flag}")
        print("\nthe whole archive")
        for name, argv in {
            "words": ["words"],
            "words --by form": ["words", "--by", "form"],
            "words --ngrams 2": ["words", "--ngrams", "2"],
        }.items():
            median, longest = timed([*CENTRASIA, *argv, "--archive", str(path)], args.rounds)
            print(f"  {name:34} {median:5.2f} s  (longest {longest:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
