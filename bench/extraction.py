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
    """The mean time per call over ``repeat`` calls, in milliseconds."""
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
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
        candidates: dict[str, Callable[[], object]] = {
            "ours": lambda d=data, u=url: extract(d, u),
            "lxml": lambda d=data: html.document_fromstring(d),
        }
        if trafilatura is not None:
            # bytes, as a crawler holds them, like ours
            candidates["trafilatura"] = lambda d=data: trafilatura.extract(d)
        for fn in candidates.values():
            for _ in range(max(3, args.repeat // 10)):
                fn()
        # The three are timed one after the other in each round, and each ratio is
        # the median of the rounds' ratios: this machine's speed drifts over seconds.
        times: dict[str, list[float]] = {k: [] for k in candidates}
        for _ in range(args.rounds):
            for key, fn in candidates.items():
                n = args.repeat if key != "trafilatura" else max(20, args.repeat // 10)
                times[key].append(per_call_ms(fn, n))
        ours, floor = statistics.median(times["ours"]), statistics.median(times["lxml"])
        ratio = statistics.median(o / f for o, f in zip(times["ours"], times["lxml"], strict=True))
        line = f"{name:8} {len(data):6d} {ours:8.3f} {floor:8.3f} {ratio:7.2f}"
        ok &= ratio <= 4
        if trafilatura is not None:
            theirs = statistics.median(times["trafilatura"])
            speedup = statistics.median(
                t / o for t, o in zip(times["trafilatura"], times["ours"], strict=True)
            )
            line += f" {theirs:10.3f} {speedup:12.1f}"
            ok &= speedup >= 8
        print(line)
    print("targets (<= 4x lxml, >= 8x faster than trafilatura):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
