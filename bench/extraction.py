"""Extraction speed against its anchor (a script, not a test).

For the specimen article and index, prints milliseconds per page for `extract()`
(decode, parse, extraction and normalisation) and for trafilatura.extract on the same
bytes (what a user would reach for instead), with the bare lxml parse for reference.
Targets (issue 11): at most 2 ms per page; at least 5 times faster than trafilatura.

Run: make bench  (or .venv/bin/python bench/extraction.py [--repeat N] [--rounds N]).
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
MAX_MS = 2.0
MIN_SPEEDUP = 5.0


def per_call_ms(fn: Callable[[], object], repeat: int) -> float:
    """The mean time per call over ``repeat`` calls, in milliseconds."""
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1000


def candidates_for(data: bytes, url: str) -> dict[str, Callable[[], object]]:
    """Ours, the bare parse, and trafilatura when it is installed, on one page's bytes."""
    found: dict[str, Callable[[], object]] = {
        "ours": lambda: extract(data, url),
        "lxml": lambda: html.document_fromstring(data),
    }
    try:
        import trafilatura
    except ImportError:
        return found
    found["trafilatura"] = lambda: trafilatura.extract(data)  # bytes, as a crawler holds them
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print(f"{'page':8} {'ours ms':>9} {'lxml ms':>9} {'trafil ms':>10} {'trafil/ours':>12}")
    ok = True
    for name, (path, url) in PAGES.items():
        candidates = candidates_for(path.read_bytes(), url)
        for fn in candidates.values():  # warm up
            for _ in range(max(3, args.repeat // 10)):
                fn()
        # Timed one after the other in each round; the speed-up is the median of the
        # rounds' ratios, so a drift in the machine's speed affects both sides alike.
        times: dict[str, list[float]] = {k: [] for k in candidates}
        for _ in range(args.rounds):
            for key, fn in candidates.items():
                n = args.repeat if key != "trafilatura" else max(20, args.repeat // 10)
                times[key].append(per_call_ms(fn, n))
        ours, floor = statistics.median(times["ours"]), statistics.median(times["lxml"])
        line = f"{name:8} {ours:9.3f} {floor:9.3f}"
        ok &= ours <= MAX_MS
        if "trafilatura" in times:
            speedup = statistics.median(
                t / o for t, o in zip(times["trafilatura"], times["ours"], strict=True)
            )
            line += f" {statistics.median(times['trafilatura']):10.3f} {speedup:12.1f}"
            ok &= speedup >= MIN_SPEEDUP
        print(line)
    if "trafilatura" not in candidates_for(b"", ""):
        print("trafilatura is not installed (pip install -e '.[bench]'): no speed-up measured")
    verdict = "met" if ok else "NOT met"
    print(f"targets (<= {MAX_MS:g} ms per page, >= {MIN_SPEEDUP:g}x trafilatura): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
