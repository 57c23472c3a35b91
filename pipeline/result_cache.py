"""Per-item results kept between runs: what a partition step computed for an item is not computed again.

A step's result for one item (an article's sentences and timexes, a sentence's event parts) depends only on
the item and on the code and models that compute it. `ResultCache` keeps results under a hash of the item, in a
folder named by a digest of that code (and of the packages and models it names): a changed rule or model starts
an empty folder instead of serving stale results. `cached_map` runs an engine map over the items the cache lacks
only, in partitions made of those items, and returns every result in the order of the items.

Shards are pickles written atomically by this process (the cache holds what this code wrote, beside the
embedding and ingest caches); a shard that does not load is ignored and its items are computed again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pipeline import io
from pipeline.engine import Engine, partitions

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent
FLUSH_ITEMS = 4096  # results per shard at most: a stopped run loses less, a rerun reads few files


def item_key(*parts: Any) -> str:
    """A hash of what an item holds (its repr: text, dates, dataclasses of plain values)."""
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def code_digest(paths: Iterable[Path], **extra: Any) -> str:
    """A hash of the files (relative to the package) and of `extra` (settings, package versions)."""
    digest = hashlib.sha256(json.dumps(extra, sort_keys=True, default=str).encode())
    for path in sorted(set(paths)):
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


class ResultCache:
    """Results by key in pickle shards under `folder` (None: a cache that keeps nothing)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.entries: dict[str, Any] = {}
        self.hits = 0
        self.added = 0
        if self.folder is None:
            return
        for shard in sorted(self.folder.glob("*.pkl")):
            try:
                with open(shard, "rb") as handle:
                    loaded = pickle.load(handle)
                if not isinstance(loaded, dict):
                    raise TypeError(f"holds {type(loaded).__name__}")
            except Exception as error:  # a damaged or foreign shard: its items are computed again
                log.warning("ignoring cache shard %s: %s", shard, error)
                continue
            self.entries.update(loaded)

    def add(self, results: dict[str, Any]) -> None:
        """Store new results as one shard (kept in memory only without a folder)."""
        new = {key: value for key, value in results.items() if key not in self.entries}
        self.entries.update(new)
        self.added += len(new)
        if not new or self.folder is None:
            return
        name = hashlib.sha256("\n".join(sorted(new)).encode()).hexdigest()[:20]
        with io.atomic_path(self.folder / f"{name}.pkl") as tmp, open(tmp, "wb") as handle:
            pickle.dump(new, handle, protocol=pickle.HIGHEST_PROTOCOL)


def cached_map(
    engine: Engine,
    function: Callable[..., list[Any]],
    items: Sequence[Any],
    keys: Sequence[str],
    cache: ResultCache,
    size: int,
    *args: Any,
    desc: str = "",
    unit: str = "part",
) -> list[Any]:
    """`function(partition, *args)` (one result per item of a partition) over the items `cache` lacks, in
    partitions of `size` of those items on `engine`; every item's result, in the order of `items`. An item that
    appears twice is computed once."""
    if len(items) != len(keys):
        raise ValueError(f"{len(items)} items but {len(keys)} keys")
    missing = {}
    for key, item in zip(keys, items, strict=True):
        if key not in cache.entries and key not in missing:
            missing[key] = item
    cache.hits += sum(key in cache.entries for key in keys)
    todo = list(missing.values())
    todo_keys = iter(missing)
    parts = engine.map(function, partitions(todo, size), *args, desc=desc, unit=unit, total=-(-len(todo) // size))
    pending: dict[str, Any] = {}
    for part in parts:
        pending.update(zip((next(todo_keys) for _ in part), part, strict=True))
        if len(pending) >= FLUSH_ITEMS:  # a run stopped midway keeps what it stored
            cache.add(pending)
            pending = {}
    cache.add(pending)
    return [cache.entries[key] for key in keys]
