"""Worker processes for the CPU-bound parts: indexing words, re-extracting pages.

Workers are forked, so they need nothing re-imported (a script or notebook that opens
an archive is not run again in them, as spawned workers would); a process that runs
other threads (a crawl's reactor and writer) gets no pool and does the work itself,
since a fork copies locks another thread may hold. Workers end with the process that
started them, even when it is killed.
"""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor


def die_with_parent(parent: int) -> None:
    """In a worker: end when the process that started it ends, even killed (SIGKILL
    cannot be caught, and the pool's own queues keep a worker waiting forever)."""
    if sys.platform == "linux":
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it ended before the line above ran
        os._exit(0)


def cores() -> int:
    return os.cpu_count() or 1


def pool(jobs: int) -> ProcessPoolExecutor | None:
    """A pool of ``jobs`` forked workers, or None: one job, no fork on this system, or
    other threads running in this process."""
    import multiprocessing

    if jobs <= 1 or threading.active_count() > 1:
        return None
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context("fork"),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )
