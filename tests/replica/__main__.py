"""Run the replica by hand: ``python -m tests.replica --days N --port P``."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from tests.replica.server import Faults, serve


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.replica",
        description="Serve a generated replica of centrasia.org on 127.0.0.1.",
        epilog="example: python -m tests.replica --days 30 --port 8765 --markup div",
    )
    parser.add_argument("--days", type=int, default=30, help="days of articles (default 30)")
    parser.add_argument("--per-day", type=int, default=50, help="articles a day (default 50)")
    parser.add_argument("--port", type=int, default=8765, help="port (0: any free one)")
    parser.add_argument("--markup", choices=["table", "div", "drift"], default="table")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of transient 503s")
    parser.add_argument("--slow-rate", type=float, default=0.0, help="share of slow answers")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.days < 1 or args.per_day < 1:
        parser.error("--days and --per-day must be at least 1")
    faults = Faults(error_rate=args.error_rate, slow_rate=args.slow_rate)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with serve(args.days, args.per_day, args.markup, faults, args.port, seed=args.seed) as replica:
        print(
            f"replica of centrasia.org ({args.days} days, {args.markup} markup) at {replica.root}",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
