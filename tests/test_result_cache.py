"""pipeline.result_cache: per-item results kept between runs, computed only for items the cache lacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import result_cache
from pipeline.config import EngineConfig
from pipeline.engine import Engine
from pipeline.result_cache import ResultCache, cached_map, code_digest, item_key

CALLS: list[list[str]] = []


def shout(part: list[str], suffix: str) -> list[str]:
    CALLS.append(list(part))
    return [text.upper() + suffix for text in part]


def test_only_missing_items_are_computed_in_partitions_of_them_and_results_keep_the_items_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = Engine(EngineConfig(partition_size=2))
    items = ["a", "b", "a", "c"]
    keys = [item_key(item) for item in items]
    CALLS.clear()
    cache = ResultCache(tmp_path / "cache")
    assert cached_map(engine, shout, items, keys, cache, 2, "!") == ["A!", "B!", "A!", "C!"]
    assert CALLS == [["a", "b"], ["c"]] and cache.added == 3  # "a" twice is computed once

    CALLS.clear()
    again = ResultCache(tmp_path / "cache")  # a later run reads the shards
    more = ["d", "c", "e", "b", "f"]
    assert cached_map(engine, shout, more, [item_key(item) for item in more], again, 2, "!") == [
        "D!", "C!", "E!", "B!", "F!"]
    assert CALLS == [["d", "e"], ["f"]] and again.hits == 2 and again.added == 3

    monkeypatch.setattr(result_cache, "FLUSH_ITEMS", 1)  # one shard per partition
    CALLS.clear()
    fresh = ResultCache(tmp_path / "fresh")
    cached_map(engine, shout, items, keys, fresh, 2, "?")
    assert len(list((tmp_path / "fresh").glob("*.pkl"))) == 2


def test_a_damaged_shard_is_ignored_and_its_items_computed_again_and_no_folder_keeps_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = Engine()
    items = ["x", "y"]
    keys = [item_key(item) for item in items]
    cached_map(engine, shout, items, keys, ResultCache(tmp_path), 8, "")
    (shard,) = tmp_path.glob("*.pkl")
    shard.write_bytes(shard.read_bytes()[:10])
    CALLS.clear()
    assert cached_map(engine, shout, items, keys, ResultCache(tmp_path), 8, "") == ["X", "Y"]
    assert CALLS == [["x", "y"]] and "ignoring cache shard" in caplog.text
    CALLS.clear()
    none = ResultCache(None)
    cached_map(engine, shout, items, keys, none, 8, "")
    cached_map(engine, shout, items, keys, ResultCache(None), 8, "")
    assert len(CALLS) == 2
    with pytest.raises(ValueError, match="keys"):
        cached_map(engine, shout, items, keys[:1], none, 8, "")


def test_the_code_digest_changes_with_a_file_or_a_setting(tmp_path: Path) -> None:
    package = Path(result_cache.__file__).resolve().parent
    files = [package / "text.py", package / "engine.py"]
    assert code_digest(files, model="a") == code_digest(list(reversed(files)), model="a")
    assert code_digest(files, model="a") != code_digest(files, model="b") != code_digest(files[:1], model="b")


def test_a_shard_written_without_its_keys_is_read_once_and_few_shards_stay_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = Engine(EngineConfig(partition_size=1))
    monkeypatch.setattr(result_cache, "FLUSH_ITEMS", 1)  # a shard per item
    items = [f"item {n}" for n in range(8)]
    keys = [item_key(item) for item in items]
    cached_map(engine, shout, items, keys, ResultCache(tmp_path), 1, "")
    assert len(list(tmp_path.glob("*.keys"))) == len(list(tmp_path.glob("*.pkl"))) == 8
    for found in tmp_path.glob("*.keys"):  # as an older version wrote them
        found.unlink()
    cache = ResultCache(tmp_path)
    assert len(list(tmp_path.glob("*.keys"))) == 8 and len(cache._open) == 0
    CALLS.clear()
    assert cached_map(engine, shout, items, keys, cache, 1, "") == [item.upper() for item in items]
    assert CALLS == [] and cache.hits == 8 and len(cache._open) == ResultCache.OPEN_SHARDS


def test_items_that_repeat_old_ones_load_each_shard_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run whose items keep repeating items stored in early shards (a wire sentence in many articles) reads
    each shard once, whatever the order it asks in."""
    engine = Engine(EngineConfig(partition_size=1))
    monkeypatch.setattr(result_cache, "FLUSH_ITEMS", 1)
    items = [f"item {n}" for n in range(10)]
    cached_map(engine, shout, items, [item_key(item) for item in items], ResultCache(tmp_path), 1, "")
    loads: list[str] = []
    real = ResultCache._shard

    def counted(self: ResultCache, name: str) -> dict:
        if name not in self._open:
            loads.append(name)
        return real(self, name)

    monkeypatch.setattr(ResultCache, "_shard", counted)
    asked = [items[n % 3 if n % 2 else n % 10] for n in range(40)]  # early items asked again and again
    assert cached_map(engine, shout, asked, [item_key(item) for item in asked], ResultCache(tmp_path), 1, "") == [
        item.upper() for item in asked]
    assert sorted(loads) == sorted(set(loads)) and len(loads) == len(set(asked)) == 6
