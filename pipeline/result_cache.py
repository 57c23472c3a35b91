"""Per-item results kept between runs: what a partition step computed for an item is not computed again.

A step's result for one item (an article's sentences and timexes, a sentence's event parts) depends only on
the item and on the code and models that compute it. `ResultCache` keeps results under a hash of the item, in a
folder named by a digest of that code (and of the packages and models it names): a changed rule or model starts
an empty folder instead of serving stale results. `cached_map` runs an engine map over the items the cache lacks
only, in partitions made of those items, and returns every result in the order of the items.

Shards are pickles written atomically by this process (the cache holds what this code wrote, beside the
embedding and ingest caches), each with its keys beside it so a run loads only the shards it reads from; a
shard that does not load is ignored and its items are computed again.
"""

from __future__ import annotations

import collections
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
FLUSH_ITEMS = 1024  # results per shard at most: a stopped run loses less, a later run holds few results at once


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


MISSING = object()  # what `ResultCache.get` answers for a key it does not hold


class ResultCache:
    """Results by key in pickle shards under `folder` (None: a cache that keeps nothing).

    Each shard `<name>.pkl` has its keys beside it in `<name>.keys`: opening the cache reads the keys, and a shard
    is loaded when one of its results is asked for (the last `OPEN_SHARDS` stay loaded; a run asks for results
    in the order an earlier run stored them, so shards come one after another). What a run adds is written, not
    kept: the cache costs this process the keys, not the corpus's results."""

    OPEN_SHARDS = 3

    def __init__(self, folder: Path | None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.shard_of: dict[str, str] = {}
        self._open: collections.OrderedDict[str, dict[str, Any]] = collections.OrderedDict()
        self.hits = 0
        self.added = 0
        if self.folder is None:
            return
        for shard in sorted(self.folder.glob("*.pkl")):
            keys = shard.with_suffix(".keys")
            try:
                if keys.is_file():
                    names = keys.read_text(encoding="ascii").split()
                else:  # written before shards had their keys beside them: read it once, and write its keys
                    names = list(self._shard(shard.stem))
                    self._open.clear()
                    if names:
                        io.write_text(keys, "\n".join(names) + "\n")
            except (OSError, UnicodeDecodeError) as error:
                log.warning("ignoring cache shard %s: %s", shard, error)
                continue
            self.shard_of.update(dict.fromkeys(names, shard.stem))

    def __contains__(self, key: str) -> bool:
        return key in self.shard_of

    def _shard(self, name: str) -> dict[str, Any]:
        if name in self._open:
            self._open.move_to_end(name)
            return self._open[name]
        path = self.folder / f"{name}.pkl"  # type: ignore[operator]
        try:
            with open(path, "rb") as handle:
                loaded = pickle.load(handle)
            if not isinstance(loaded, dict):
                raise TypeError(f"holds {type(loaded).__name__}")
        except Exception as error:  # a damaged or foreign shard: its items are computed again
            log.warning("ignoring cache shard %s: %s", path, error)
            loaded = {}
            self.shard_of = {key: shard for key, shard in self.shard_of.items() if shard != name}
        self._open[name] = loaded
        while len(self._open) > self.OPEN_SHARDS:
            self._open.popitem(last=False)
        return loaded

    def get(self, key: str) -> Any:
        """The result stored under `key`, or `MISSING`."""
        name = self.shard_of.get(key)
        return MISSING if name is None else self._shard(name).get(key, MISSING)

    def get_many(self, keys: Sequence[str]) -> list[Any]:
        """The results stored under `keys` (`MISSING` where none is), each shard they fall in loaded once: keys
        that repeat an item stored long before (the same sentence in many articles) do not reload shards."""
        found: list[Any] = [MISSING] * len(keys)
        wanted: dict[str, list[int]] = collections.defaultdict(list)
        for position, key in enumerate(keys):
            if (name := self.shard_of.get(key)) is not None:
                wanted[name].append(position)
        for name, positions in wanted.items():
            shard = self._shard(name)
            for position in positions:
                found[position] = shard.get(keys[position], MISSING)
        return found

    def add(self, results: dict[str, Any]) -> None:
        """Store new results as one shard (nothing is kept without a folder)."""
        new = {key: value for key, value in results.items() if key not in self.shard_of}
        self.added += len(new)
        if not new or self.folder is None:
            return
        name = hashlib.sha256("\n".join(sorted(new)).encode()).hexdigest()[:20]
        with io.atomic_path(self.folder / f"{name}.pkl") as tmp, open(tmp, "wb") as handle:
            pickle.dump(new, handle, protocol=pickle.HIGHEST_PROTOCOL)
        io.write_text(self.folder / f"{name}.keys", "\n".join(new) + "\n")  # after its shard: never keys alone
        self.shard_of.update(dict.fromkeys(new, name))


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
    found = cache.get_many(keys)
    missing = {}
    for key, item, result in zip(keys, items, found, strict=True):
        if result is MISSING and key not in missing:
            missing[key] = item
    cache.hits += sum(result is not MISSING for result in found)
    todo = list(missing.values())
    todo_keys = iter(missing)
    parts = engine.map(function, partitions(todo, size), *args, desc=desc, unit=unit, total=-(-len(todo) // size))
    computed: dict[str, Any] = {}
    pending: dict[str, Any] = {}
    for part in parts:
        fresh = dict(zip((next(todo_keys) for _ in part), part, strict=True))
        computed.update(fresh)
        pending.update(fresh)
        if len(pending) >= FLUSH_ITEMS:  # a run stopped midway keeps what it stored
            cache.add(pending)
            pending = {}
    cache.add(pending)
    return [computed[key] if result is MISSING else result for key, result in zip(keys, found, strict=True)]
