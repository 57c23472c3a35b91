"""The one way the pipeline spreads work: a function mapped over partitions, in this process or on Dask workers.

`Engine.map(function, partitions, *args)` yields `function(partition, *args)` for each partition, in the order of
the partitions, whatever ran them (`engine.name` in params.yaml):

- `local`: one partition after another in this process;
- `dask`: on `dask.distributed` workers, a LocalCluster of `engine.workers` processes (one thread each, at most
  `engine.memory_limit` of memory each) or the scheduler at `engine.scheduler`. Partitions are submitted a few
  per worker at a time, so a long stream of partitions is never held in memory whole.

Both run the same function on the same partitions: there is no second implementation to drift. Models are
loaded once per worker, two ways: a function that needs a model by name (a spaCy pipeline, MinHash permutations)
asks `worker_resource` for it, which builds it the first time a process needs it and keeps it for every later
partition that process runs; and the extra arguments of a `map` are sent to each worker once (Dask's broadcast
scatter), so an object that loads its model lazily (an encoder) is one object per worker for the whole map, not
one per partition. Under `local` both are simply this process's objects.

`function` must be importable by name (a module-level function of `pipeline`) and its partitions and results
picklable: under `dask` they travel between processes, and to run against a remote scheduler its workers need
the same `pipeline` package and dependencies installed (README, "Past one machine").
"""

from __future__ import annotations

import collections
import logging
import os
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, TypeVar

from tqdm import tqdm

from pipeline.config import ConfigError, EngineConfig

log = logging.getLogger(__name__)

Partition = TypeVar("Partition")
Result = TypeVar("Result")
Model = TypeVar("Model")

CONNECT_TIMEOUT = "10s"  # to a remote scheduler
IN_FLIGHT_PER_WORKER = 3  # partitions submitted ahead per worker: enough to keep it busy, few enough to stay small

_RESOURCES: dict[Hashable, Any] = {}
_RESOURCES_LOCK = threading.Lock()


def worker_resource(key: Hashable, factory: Callable[[], Model]) -> Model:
    """The object `factory()` builds, built once per process under `key` and reused by later partitions."""
    with _RESOURCES_LOCK:
        if key not in _RESOURCES:
            _RESOURCES[key] = factory()
        return _RESOURCES[key]


def loaded_resources() -> list[Hashable]:
    """Keys of the resources this process holds (tests check that a model was loaded once per worker)."""
    with _RESOURCES_LOCK:
        return list(_RESOURCES)


def partitions(items: Iterable[Partition], size: int) -> Iterator[list[Partition]]:
    """`items` cut into lists of `size` (the last may be shorter), lazily."""
    batch: list[Partition] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class Engine:
    """Maps functions over partitions; a context manager (a Dask client and its cluster close on exit)."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        self._client: Any = None
        self._cluster: Any = None

    @property
    def partition_size(self) -> int:
        return self.config.partition_size

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    @property
    def client(self) -> Any:
        """The Dask client, started on first use (a run served from caches never starts a cluster)."""
        if self._client is None:
            from distributed import Client, LocalCluster

            if self.config.scheduler:
                log.info("engine: dask scheduler at %s", self.config.scheduler)
                try:
                    self._client = Client(self.config.scheduler, timeout=CONNECT_TIMEOUT)
                except (OSError, TimeoutError) as error:
                    raise ConfigError(f"engine.scheduler = {self.config.scheduler!r}: no Dask scheduler answered "
                                      f"within {CONNECT_TIMEOUT} ({error})") from None
            else:
                environment = dict(os.environ)
                try:
                    self._cluster = LocalCluster(
                        n_workers=self.config.workers, threads_per_worker=1, processes=True,
                        memory_limit=self.config.memory_limit, dashboard_address=None,
                    )
                finally:  # a nanny sets OMP_NUM_THREADS=1 and others in this process to pass them to its worker
                    os.environ.clear()
                    os.environ.update(environment)
                self._client = Client(self._cluster)
                log.info("engine: dask LocalCluster of %d workers (%s each)", self.config.workers,
                         self.config.memory_limit)
        return self._client

    def workers(self) -> int:
        """Processes the partitions are spread over (1 under `local`)."""
        if self.config.name == "local":
            return 1
        return max(len(self.client.scheduler_info()["workers"]), 1)

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
        bar = tqdm(total=total, desc=desc, unit=unit, leave=False, disable=not desc)
        try:
            if self.config.name == "local":
                for item in items:
                    yield function(item, *args)
                    bar.update()
                return
            yield from self._dask_map(function, items, args, bar)
        finally:
            bar.close()

    def _dask_map(self, function: Callable[..., Result], items: Iterable[Partition], args: tuple[Any, ...],
                  bar: Any) -> Iterator[Result]:
        client = self.client
        ahead = IN_FLIGHT_PER_WORKER * self.workers()
        shared = [client.scatter([arg], broadcast=True, hash=False)[0] for arg in args]  # once per worker
        try:
            yield from in_order(lambda item: client.submit(function, item, *shared, pure=False), items, ahead, bar)
        finally:
            for future in shared:
                future.cancel()


def in_order(submit: Callable[[Partition], Any], items: Iterable[Partition], ahead: int, bar: Any) -> Iterator[Any]:
    """The results of `submit(item)`'s futures in input order, at most `ahead` of them pending at a time (a long
    stream is never submitted whole); a consumer that stops early (or an error) leaves nothing running."""
    pending: collections.deque[Any] = collections.deque()
    try:
        for item in items:
            pending.append(submit(item))
            if len(pending) >= ahead:
                yield pending.popleft().result()
                bar.update()
        while pending:
            yield pending.popleft().result()
            bar.update()
    finally:
        for future in pending:
            future.cancel()

