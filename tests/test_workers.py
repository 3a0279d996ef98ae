"""The one ordered worker map: results in the batches' order, the pool always shut down."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from contextlib import closing

import pytest

from centrasia_crawler import workers
from centrasia_crawler.workers import ordered_map


def square_and_pid(batch: list[int]) -> tuple[list[int], int]:
    return [n * n for n in batch], os.getpid()


@pytest.fixture(autouse=True)
def poolable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A thread another test left running would make the map run inline (a fork copies
    locks other threads hold); these workers take none, so the pool is tested here."""
    monkeypatch.setattr(workers.threading, "active_count", lambda: 1)


def test_results_come_in_order_from_the_workers_and_inline() -> None:
    batches = [list(range(k, k + 3)) for k in range(0, 60, 3)]
    for jobs in (1, 3):
        found = list(ordered_map(square_and_pid, iter(batches), workers=jobs, ahead=2))
        assert [batch for batch, _ in found] == batches
        assert [squares for _, (squares, _) in found] == [[n * n for n in b] for b in batches]
        pids = {pid for _, (_, pid) in found}
        assert (pids == {os.getpid()}) is (jobs == 1)  # one job: no pool, no fork
    assert multiprocessing.active_children() == []


def test_batches_are_read_only_as_far_as_ahead_needs() -> None:
    read: list[int] = []

    def batches() -> Iterator[list[int]]:
        for k in range(100):
            read.append(k)
            yield [k]

    results = ordered_map(square_and_pid, batches(), workers=2, ahead=3)
    with closing(results):
        assert next(results)[0] == [0]
        assert len(read) == 4  # the one yielded and three ahead
    assert multiprocessing.active_children() == []  # closed early: the pool is gone
    inline = ordered_map(square_and_pid, batches(), workers=1)
    read.clear()
    with closing(inline):
        next(inline)
        assert read == [0]


def test_an_error_in_the_caller_shuts_the_pool_down() -> None:
    results = ordered_map(square_and_pid, ([k] for k in range(50)), workers=2)
    with pytest.raises(RuntimeError, match="stop"), closing(results):
        for _ in results:
            raise RuntimeError("stop")
    assert multiprocessing.active_children() == []
