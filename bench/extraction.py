"""Extraction speed against two anchors (a script, not a test).

For the specimen article and index, prints milliseconds per page for:
- ours: `extract()` (decode, parse, extraction and normalisation);
- the floor: a bare lxml parse of the same bytes;
- trafilatura.extract on the same page (what a user would reach for instead).
Targets (issue 2): ours <= 4x the bare parse; ours >= 8x faster than trafilatura.

Run: make bench  (or .venv/bin/python bench/extraction.py [--repeat N])
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lxml import html

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from centrasia_crawler.extraction import extract  # noqa: E402

SPECIMEN = ROOT / "tests" / "fixtures" / "specimen"
PAGES = {
    "article": (
        SPECIMEN / "article_1771493400.html",
        "https://centrasia.org/newsA.php?st=1771493400",
    ),
    "index": (SPECIMEN / "index.html", "https://centrasia.org/"),
}


def per_call_ms(fn: Callable[[], object], repeat: int) -> float:
    """Median over 7 rounds of the mean time per call, in milliseconds."""
    for _ in range(max(3, repeat // 10)):
        fn()
    rounds = []
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        rounds.append((time.perf_counter() - start) / repeat * 1000)
    return statistics.median(rounds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    try:
        import trafilatura
    except ImportError:
        trafilatura = None
        print("trafilatura is not installed (pip install -e '.[bench]'); skipping that anchor")

    print(
        f"{'page':8} {'bytes':>6} {'ours ms':>8} {'lxml ms':>8} {'x lxml':>7} "
        f"{'trafil ms':>10} {'trafil/ours':>12}"
    )
    ok = True
    for name, (path, url) in PAGES.items():
        data = path.read_bytes()
        ours = per_call_ms(lambda d=data, u=url: extract(d, u), args.repeat)
        floor = per_call_ms(lambda d=data: html.document_fromstring(d), args.repeat)
        ratio = ours / floor
        line = f"{name:8} {len(data):6d} {ours:8.3f} {floor:8.3f} {ratio:7.2f}"
        ok &= ratio <= 4
        if trafilatura is not None:
            text = data  # bytes, as a crawler holds them, like ours
            theirs = per_call_ms(lambda t=text: trafilatura.extract(t), max(20, args.repeat // 10))
            line += f" {theirs:10.3f} {theirs / ours:12.1f}"
            ok &= theirs / ours >= 8
        print(line)
    print("targets (<= 4x lxml, >= 8x faster than trafilatura):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
