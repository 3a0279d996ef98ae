"""Extraction speed against two anchors (a script, not a test).

For the specimen article and index, prints milliseconds per page for:
- ours: `extract()` (decode, parse, extraction and normalisation);
- the floor: a bare lxml parse of the same bytes;
- trafilatura.extract on the same page (what a user would reach for instead).
Targets (issue 2): ours <= 4x the bare parse; ours >= 8x faster than trafilatura.

Run: make bench  (or .venv/bin/python bench/extraction.py [--repeat N] [--rounds N]).
With --instructions it counts instructions under valgrind instead (exact and repeatable
whatever the machine's speed; about five minutes).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
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


def candidates_for(data: bytes, url: str) -> dict[str, Callable[[], object]]:
    """Ours, the floor, and trafilatura when it is installed, on one page's bytes."""
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


def instructions(page: str, candidate: str, calls: int) -> int:
    """Instructions per call, counted by valgrind's callgrind.

    Two runs, of 0 and of ``calls`` calls, so start-up is not counted. Instruction
    counts do not drift with the machine's speed: a change's effect shows exactly.
    """
    counts = []
    valgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    for n in (0, calls):
        done = subprocess.run(
            [*valgrind, sys.executable, __file__, "--call", page, candidate, str(n)],
            capture_output=True,
            text=True,
            check=True,
        )
        counts.append(int(re.findall(r"Collected : (\d+)", done.stderr)[-1]))
    return (counts[1] - counts[0]) // calls


def report(
    name: str, ours: float, floor: float, ratio: float, theirs: float | None, speedup: float | None
) -> bool:
    line = f"{name:8} {ours:10.3f} {floor:10.3f} {ratio:7.2f}"
    if theirs is not None and speedup is not None:
        line += f" {theirs:12.3f} {speedup:12.1f}"
    print(line)
    return ratio <= 4 and (speedup is None or speedup >= 8)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions with valgrind instead of timing (slow, but exact)",
    )
    parser.add_argument(
        "--call", nargs=3, metavar=("PAGE", "CANDIDATE", "N"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.call:  # inside valgrind: call one candidate N times (after two warm-up calls)
        page, candidate, n = args.call
        path, url = PAGES[page]
        fn = candidates_for(path.read_bytes(), url)[candidate]
        for _ in range(int(n) + 2):
            fn()
        return 0
    if args.instructions and shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)")
        return 1
    unit = "M instr" if args.instructions else "ms"
    print(
        f"{'page':8} {'ours ' + unit:>10} {'lxml ' + unit:>10} {'x lxml':>7} "
        f"{'trafil ' + unit:>12} {'trafil/ours':>12}"
    )
    ok = True
    if "trafilatura" not in candidates_for(b"", ""):
        print("trafilatura is not installed (pip install -e '.[bench]'); skipping that anchor")
    for name, (path, url) in PAGES.items():
        candidates = candidates_for(path.read_bytes(), url)
        if args.instructions:
            millions = {
                key: instructions(name, key, 20 if key != "trafilatura" else 5) / 1e6
                for key in candidates
            }
            ours, floor, theirs = millions["ours"], millions["lxml"], millions.get("trafilatura")
            speedup = None if theirs is None else theirs / ours
            ok &= report(name, ours, floor, ours / floor, theirs, speedup)
            continue
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
        theirs = speedup = None
        if "trafilatura" in times:
            theirs = statistics.median(times["trafilatura"])
            speedup = statistics.median(
                t / o for t, o in zip(times["trafilatura"], times["ours"], strict=True)
            )
        ok &= report(name, ours, floor, ratio, theirs, speedup)
    print("targets (<= 4x lxml, >= 8x faster than trafilatura):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
