"""Worker processes for the CPU-bound parts: indexing words, re-extracting pages.

:func:`ordered_map` is the one way to use them: a function over batches, read a few
ahead in the workers, the results handed back in order.

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
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

B = TypeVar("B")
R = TypeVar("R")


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


def ordered_map(
    fn: Callable[[B], R],
    batches: Iterable[B],
    *,
    workers: int = 1,
    ahead: int | None = None,
) -> Generator[tuple[B, R], None, None]:
    """``(batch, fn(batch))`` for each batch, in the batches' order.

    With ``workers`` > 1 (and a pool possible: see :func:`pool`), ``fn`` runs in that
    many forked workers, up to ``ahead`` batches (default: two per worker) beyond the
    one being yielded, while the caller works on the results; otherwise it runs here,
    one batch at a time. ``fn`` must be a module-level function (it is pickled by name).
    ``batches`` is read lazily, only as far as ``ahead`` needs: a generator may read
    each batch from the archive between the caller's transactions. The pool is shut
    down when the map ends, is closed early (``break``) or the caller raises; batches
    not yet started are cancelled.
    """
    executor = pool(workers)
    if executor is None:
        for batch in batches:
            yield batch, fn(batch)
        return
    limit = 2 * workers if ahead is None else max(ahead, 1)
    queued: deque[tuple[B, Future[R]]] = deque()
    try:
        for batch in batches:
            queued.append((batch, executor.submit(fn, batch)))
            if len(queued) > limit:
                done, future = queued.popleft()
                yield done, future.result()
        while queued:
            done, future = queued.popleft()
            yield done, future.result()
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
