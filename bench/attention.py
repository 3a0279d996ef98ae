"""Attention over time at the size of the site's whole history (a script, not a test).

On the 300,000-article archive of ``bench/corpus.py`` (built once, shared with
``bench/search.py``), prints the figures of issue 13 against its targets, each command
in a new process (start included):

1. ``centrasia trend`` for a common word by month over the whole range (20 years):
   at most 2 s;
2. ``centrasia terms`` for a common word: at most 5 s;
3. ``centrasia export --format parquet`` of every article: at most 60 s and at most
   300 MB of memory (peak resident set of the process).

Run: .venv/bin/python bench/attention.py [--archive FILE] [--articles N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import ensure  # noqa: E402

CENTRASIA = [sys.executable, "-m", "centrasia_crawler.cli"]
#: Runs a command and prints its own peak resident memory (kB) on stderr at exit.
PEAK = (
    "import atexit, resource, runpy, sys;"
    "atexit.register(lambda: print('peak', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
    " file=sys.stderr));"
    "sys.argv = ['centrasia'] + sys.argv[1:];"
    "runpy.run_module('centrasia_crawler.cli', run_name='__main__')"
)


def run(args: list[str], rounds: int = 1) -> tuple[float, int, str]:
    """Best wall time over ``rounds``, the peak memory (MB) and stdout of the last."""
    best, peak, out = float("inf"), 0, ""
    for _ in range(rounds):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", PEAK, *args], cwd=ROOT, capture_output=True, text=True
        )
        best = min(best, time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"centrasia {' '.join(args)}: {done.stderr.strip()}")
        peak = int(done.stderr.rsplit("peak ", 1)[1]) // 1024
        out = done.stdout
    return best, peak, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300_000)
    parser.add_argument("--archive", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    path = ensure(args.articles, args.archive)
    archive = ["--archive", str(path)]
    seconds, peak, out = run(["trend", "казахстан", "--json", *archive], args.rounds)
    periods = out.count('"period"')
    print(f"1. trend 'казахстан' by month, {periods} months: {seconds:.2f} s (target <= 2 s)")
    seconds, peak, out = run(["trend", "страна", "казахстан", "--json", *archive], args.rounds)
    print(f"   two queries ('страна' too): {seconds:.2f} s")
    seconds, peak, out = run(["terms", "казахстан", *archive], args.rounds)
    matched = out.splitlines()[0]
    print(f"2. terms 'казахстан': {seconds:.2f} s, peak {peak} MB ({matched}) (target <= 5 s)")
    seconds, peak, out = run(["terms", "страна", *archive], args.rounds)
    print(f"   terms 'страна': {seconds:.2f} s, peak {peak} MB")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "articles.parquet"
        seconds, peak, _ = run(["export", "--format", "parquet", "-o", str(target), *archive])
        size = target.stat().st_size
    print(
        f"3. parquet export: {seconds:.1f} s, peak {peak} MB, {size / 1e9:.2f} GB"
        " (targets <= 60 s, <= 300 MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
