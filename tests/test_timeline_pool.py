"""The timeline stage's process pool: the engine's `map` contract on worker processes."""

from __future__ import annotations

import os

import pytest

from pipeline.timeline.pool import ProcessPool


def test_partitions_come_back_in_order_from_worker_processes() -> None:
    with ProcessPool(2) as pool:
        assert list(pool.map(_pid, [[0]] * 7)) == [os.getpid()] * 7  # too few to start workers for
        assert pool._executor is None
        assert list(pool.map(sum, ([number, number] for number in range(20)))) == [2 * n for n in range(20)]
        assert pool.workers() == 2
        pids = set(pool.map(_pid, [[0]] * 3))  # started: later maps of two or more use the workers
    assert os.getpid() not in pids


def test_a_single_partition_runs_in_this_process() -> None:
    with ProcessPool(2) as pool:
        assert list(pool.map(_pid, [[0]])) == [os.getpid()]
        assert pool._executor is None  # no worker was started


def test_an_error_in_a_worker_reaches_the_caller() -> None:
    with ProcessPool(2) as pool, pytest.raises(ZeroDivisionError):
        list(pool.map(_divide, [[1], [0], *[[2]] * 8]))


def _pid(partition: list[int]) -> int:
    return os.getpid()


def _divide(partition: list[int]) -> float:
    return 1 / partition[0]
