"""The timeline stage's partitions on several cores of this machine when the engine is `local`.

`ProcessPool` is an `Engine` whose `map` runs `function(partition, *args)` in `processes` worker processes and
yields the results in the order of the partitions, as `Engine.map` does. The workers are spawned: fresh
interpreters, so no thread of this process is copied into them, and children of this process, so the operating
system counts their CPU time with its own once they are joined (a fork server's workers are not: `bench_scale`
would not see them). Only a few partitions per worker are in flight at a time, so a long stream of partitions is
never held in memory whole. Workers start at the first map of at least `MIN_PARTITIONS_TO_START` partitions and
serve every later map of two or more; until then maps run in this process: starting two workers (an interpreter,
the tagger and spaCy each) costs 15-20 CPU s, more than a few partitions of new articles take here (a run after
1% more articles parses a few hundred new sentences).

The tagger and spaCy give each partition the same result in any process (one thread each, no state carried
between partitions besides the loaded model), so the stage writes the same bytes with one process or several
(tested). Under `engine.name: dask` the engine's workers spread the partitions instead.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from tqdm import tqdm

from pipeline.config import EngineConfig
from pipeline.engine import Engine, in_order

Partition = TypeVar("Partition")
Result = TypeVar("Result")

IN_FLIGHT_PER_PROCESS = 3
MIN_PARTITIONS_TO_START = 8


class ProcessPool(Engine):
    """`Engine.map` on `processes` worker processes of this machine (see the module docstring)."""

    def __init__(self, processes: int, config: EngineConfig | None = None) -> None:
        super().__init__(config)
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        super().close()

    def workers(self) -> int:
        return self.processes

    @property
    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"))
        return self._executor

    def map(
        self,
        function: Callable[..., Result],
        items: Iterable[Partition],
        *args: Any,
        desc: str = "",
        unit: str = "partition",
        total: int | None = None,
    ) -> Iterator[Result]:
        """`function(partition, *args)` for each partition, yielded in input order."""
        items = iter(items)
        needed = 2 if self._executor is not None else MIN_PARTITIONS_TO_START
        first = list(itertools.islice(items, needed))
        if len(first) < max(needed, 2) or self.processes < 2:
            yield from Engine.map(self, function, itertools.chain(first, items), *args, desc=desc, unit=unit,
                                  total=total)
            return
        executor = self.executor
        with tqdm(total=total, desc=desc, unit=unit, leave=False, disable=not desc) as bar:
            yield from in_order(lambda item: executor.submit(function, item, *args), itertools.chain(first, items),
                                IN_FLIGHT_PER_PROCESS * self.processes, bar)
