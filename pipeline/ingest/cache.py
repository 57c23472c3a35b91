"""Ingest's per-record cache: a record read before, with the same content, settings and code, is not parsed again.

What a record becomes (its article row, or its quarantine reason, and its MinHash signature) depends only on
the record's content, the settings that build an article (`ingest.min_chars`, `languages`, `dedup.num_perm`,
...) and the code that builds it. The cache keys each result by a hash of the first, in a folder named by a hash
of the other two (`<cache_dir>/ingest/<digest>/`), so a changed setting or a changed parser starts an empty
folder rather than serving stale rows. Where a record was read (its source and locator) is not part of the key:
the result is the same wherever the text comes from, and the stage fills both in.

Adding 1% new articles to a corpus then parses only those; the corpus-level steps (exact-copy ids,
deduplication over all signatures, date inference) run again over everything, as they must. Shards are pickles
written atomically by this process (the cache holds what this code wrote, next to the embedding cache), each
with a list of its keys beside it, so a run reads the keys and loads a shard only when it needs one of its
records; a shard that does not load is ignored, and its records are parsed again.
"""

from __future__ import annotations

import collections
import hashlib
import json
import logging
import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pipeline import io
from pipeline.config import IngestConfig
from pipeline.ingest.readers import RawRecord

log = logging.getLogger(__name__)

_PACKAGE = Path(__file__).resolve().parents[1]
# The code an article row is built with: the ingest package (parsing, language, dates, MinHash) and text helpers.
# The date prior's file is named by its model version, so every model file is part of the digest.
_CODE = sorted([*(_PACKAGE / "ingest").rglob("*.py"), _PACKAGE / "text.py",
                *(_PACKAGE / "ingest" / "models").glob("*.json")])
_LOCATION_FIELDS = ("source", "locator")


def record_key(record: RawRecord) -> str:
    """A hash of what a record holds (not where it was read)."""
    content = [record.fields, record.encoding, record.n_bytes, record.problem, record.detail]
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def settings_digest(config: IngestConfig) -> str:
    """A hash of the settings and code that turn a record into an article row and a signature."""
    from importlib.metadata import version

    digest = hashlib.sha256()
    used = config.model_dump(include={"min_chars", "min_words", "languages", "min_language_confidence",
                                      "split_sentences_over"})
    used["dedup"] = config.dedup.model_dump(include={"num_perm", "shingle_words", "seed"})
    used["packages"] = {name: version(name) for name in ("py3langid", "datasketch", "ftfy")}
    digest.update(json.dumps(used, sort_keys=True, default=str).encode())
    for path in _CODE:
        digest.update(path.relative_to(_PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


class IngestCache:
    """Built records by `record_key`, in pickle shards under one folder per `settings_digest`.

    Each shard `<name>.pkl` has its keys beside it in `<name>.keys`; opening the cache reads the keys only, and a
    shard is loaded when a record it holds is asked for (the last `OPEN_SHARDS` stay loaded: records come back
    in the order they were stored, a partition's from one shard). What a run adds is written and not kept, so
    the cache costs this process the keys, not the corpus."""

    OPEN_SHARDS = 4

    def __init__(self, cache_dir: Path | None, config: IngestConfig) -> None:
        self.folder = Path(cache_dir) / "ingest" / settings_digest(config) if cache_dir is not None else None
        self.shard_of: dict[str, str] = {}
        self._open: collections.OrderedDict[str, dict[str, tuple[Any, Any]]] = collections.OrderedDict()
        self.hits = 0
        self.added = 0
        if self.folder is None:
            return
        for keys in sorted(self.folder.glob("*.keys")):
            if not keys.with_suffix(".pkl").is_file():
                continue
            try:
                names = keys.read_text(encoding="ascii").split()
            except (OSError, UnicodeDecodeError) as error:
                log.warning("ignoring ingest cache shard %s: %s", keys, error)
                continue
            self.shard_of.update(dict.fromkeys(names, keys.stem))

    def _shard(self, name: str) -> dict[str, tuple[Any, Any]]:
        if name in self._open:
            self._open.move_to_end(name)
            return self._open[name]
        path = self.folder / f"{name}.pkl"  # type: ignore[operator]
        try:
            with open(path, "rb") as handle:
                loaded = pickle.load(handle)
            if not isinstance(loaded, dict):
                raise TypeError(f"holds {type(loaded).__name__}")
        except Exception as error:  # a damaged or foreign shard: its records are parsed again
            log.warning("ignoring ingest cache shard %s: %s", path, error)
            loaded = {}
            self.shard_of = {key: shard for key, shard in self.shard_of.items() if shard != name}
        self._open[name] = loaded
        while len(self._open) > self.OPEN_SHARDS:
            self._open.popitem(last=False)
        return loaded

    def get(self, key: str, record: RawRecord) -> tuple[Any, Any] | None:
        """(outcome, signature) for a record built before, with its own source and locator filled in."""
        name = self.shard_of.get(key)
        found = self._shard(name).get(key) if name is not None else None
        if found is None:
            return None
        self.hits += 1
        outcome, signature = found
        if isinstance(outcome, dict):
            outcome = {**outcome, "source": record.source, "locator": record.locator}
        return outcome, signature

    def add(self, built: Iterable[tuple[str, Any, Any]]) -> None:
        """Store (key, outcome, signature) triples as one shard (a no-op without a cache folder)."""
        new = {}
        for key, outcome, signature in built:
            if isinstance(outcome, dict):
                outcome = {name: value for name, value in outcome.items() if name not in _LOCATION_FIELDS}
            new[key] = (outcome, signature)
        self.added += len(new)
        if not new or self.folder is None:
            return
        name = hashlib.sha256("\n".join(sorted(new)).encode()).hexdigest()[:20]
        with io.atomic_path(self.folder / f"{name}.pkl") as tmp, open(tmp, "wb") as handle:
            pickle.dump(new, handle, protocol=pickle.HIGHEST_PROTOCOL)
        io.write_text(self.folder / f"{name}.keys", "\n".join(new) + "\n")  # after its shard: never keys alone
        self.shard_of.update(dict.fromkeys(new, name))
