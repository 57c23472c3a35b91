"""Ingest streams: sources read in batches, built articles spilled to disk and written back in id order, the
deduplication over arrays of MinHash values, the cache holding keys rather than records (issue 14.4)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from datasketch import MinHashLSH

from pipeline.config import DedupConfig, IngestConfig
from pipeline.ingest import readers
from pipeline.ingest import stage as ingest_stage
from pipeline.ingest.dedup import duplicate_columns, exact_key, minhash_signature, signature_rows
from pipeline.ingest.stage import ingest, write_outputs
from tests.test_ingest import ENGLISH_BODY

WORDS = ENGLISH_BODY.split()


def _texts(n: int, seed: int) -> list[str]:
    """n texts: some shuffled words of their own, near copies (a few words changed) and exact copies."""
    rng = random.Random(seed)
    texts: list[str] = []
    for i in range(n):
        if texts and rng.random() < 0.35:
            words = rng.choice(texts).split()
            for _ in range(rng.choice([1, 1, 2, 30])):  # a few words (kept together) or many (told apart)
                words[rng.randrange(len(words))] = rng.choice(["alpha", "beta", "gamma", "delta"])
            texts.append(" ".join(words))
        elif texts and rng.random() < 0.1:
            texts.append(rng.choice(texts))
        else:
            words = WORDS[:]
            rng.shuffle(words)
            texts.append(f"Story {i}. " + " ".join(words))
    return texts


def _datasketch_pairs(signatures: list, params: DedupConfig) -> set[tuple[int, int]]:
    """The pairs the previous implementation joined: each row queries a MinHashLSH of the rows before it."""
    lsh = MinHashLSH(threshold=params.threshold, num_perm=params.num_perm)
    pairs = set()
    for i, signature in enumerate(signatures):
        for j in lsh.query(signature):
            if signature.jaccard(signatures[j]) >= params.threshold:
                pairs.add((j, i))
        lsh.insert(i, signature)
    return pairs


def test_the_array_lsh_joins_exactly_the_pairs_datasketch_finds():
    from pipeline.ingest.dedup import _lsh_pairs

    params = DedupConfig()
    texts = list(dict.fromkeys(_texts(160, seed=3)))  # one row per exact text, as the stage hands it over
    signatures = [minhash_signature(text, params) for text in texts]
    values, present = signature_rows(signatures, params.num_perm)
    assert present.all()
    found = {tuple(pair) for pair in _lsh_pairs(values, params).tolist()}
    assert found == _datasketch_pairs(signatures, params) and len(found) > 10


def test_duplicate_columns_cluster_exact_and_near_copies_and_keep_the_earliest_longest_canonical():
    params = DedupConfig()
    texts = ["w" + " w".join(str(k) for k in range(60)), None, None, "a b c d e f g h i j k l m n o p"]
    texts[1] = texts[0]  # an exact copy
    texts[2] = texts[0].replace("w59", "x59")  # a near copy
    ids = ["d", "c", "b", "a"]
    dates = [pd.Timestamp("2022-03-02").date(), pd.Timestamp("2022-03-01").date(), None, None]
    keys = [exact_key(text) for text in texts]
    first = {key: i for i, key in reversed(list(enumerate(keys)))}
    signatures = [minhash_signature(text, params) if first[key] == i else None
                  for i, (text, key) in enumerate(zip(texts, keys, strict=True))]
    values, present = signature_rows(signatures, params.num_perm)
    columns = duplicate_columns(ids, dates, [len(text) for text in texts], keys, values, present, params)
    assert columns["dup_cluster_size"].tolist() == [3, 3, 3, 1]
    assert columns["canonical_id"].tolist() == ["c", "c", "c", "a"]  # the earliest dated copy
    assert columns["is_canonical"].tolist() == [False, True, False, True]
    assert columns["dup_similarity"].iloc[:2].tolist() == [1.0, 1.0] and 0.8 <= columns["dup_similarity"][2] < 1
    assert columns["dup_cluster"].tolist() == [1, 1, 1, 0]  # numbered by their canonical ids: "a" < "c"


@pytest.fixture
def table(tmp_path: Path) -> Path:
    texts = _texts(70, seed=5)
    frame = pd.DataFrame({
        "url": [f"https://example.com/{i}" for i in range(len(texts))],
        "date": pd.date_range("2022-02-01", periods=len(texts), freq="D").strftime("%Y-%m-%d"),
        "title": [f"Title {i}" for i in range(len(texts))],
        "text": texts,
    })
    path = tmp_path / "table.parquet"
    frame.to_parquet(path, row_group_size=16)
    return path


def test_small_batches_spills_and_row_groups_give_the_articles_of_one_batch(table, tmp_path, monkeypatch):
    """The source read 7 rows at a time, 5 articles spilled at a time, row groups of 8: the same articles (in id
    order, with locators counting across batches), and the file made of row groups of 8."""
    config = IngestConfig.model_validate({"sources": [str(table)]})
    whole = ingest(config, progress=False)
    write_outputs(whole, tmp_path / "whole", tmp_path / "whole.json")
    monkeypatch.setattr(readers, "PARQUET_BATCH", 7)
    monkeypatch.setattr(ingest_stage, "SPILL_ROWS", 5)
    monkeypatch.setattr(ingest_stage, "OUTPUT_ROW_GROUP", 8)
    small = ingest(config, progress=False)
    write_outputs(small, tmp_path / "small", tmp_path / "small.json")
    first = pd.read_parquet(tmp_path / "whole" / "articles.parquet")
    second = pd.read_parquet(tmp_path / "small" / "articles.parquet")
    pd.testing.assert_frame_equal(first, second)
    assert second["id"].is_monotonic_increasing and sorted(second["locator"]) == sorted(f"row {i}" for i in range(70))
    assert (second["dup_cluster_size"] > 1).any()
    groups = pq.ParquetFile(tmp_path / "small" / "articles.parquet").metadata
    assert [groups.row_group(i).num_rows for i in range(groups.num_row_groups)] == [8] * 8 + [len(second) - 64]
    articles = small.articles  # the frame a library caller gets: the same rows
    assert articles["id"].tolist() == second["id"].tolist() and articles["paragraphs"].map(type).eq(list).all()


def test_the_cache_reads_keys_and_keeps_few_shards_loaded(table, tmp_path, monkeypatch):
    config = IngestConfig.model_validate({"sources": [str(table)], "cache_dir": str(tmp_path / "cache")})
    from pipeline.config import EngineConfig
    from pipeline.engine import Engine

    first = ingest(config, progress=False, engine=Engine(EngineConfig(partition_size=10)))
    shards = sorted((tmp_path / "cache" / "ingest").rglob("*.pkl"))
    assert len(shards) == 7 and all(shard.with_suffix(".keys").is_file() for shard in shards)
    opened: list[int] = []
    real = ingest_stage.IngestCache._shard

    def shard(self, name):
        found = real(self, name)
        opened.append(len(self._open))
        return found

    monkeypatch.setattr(ingest_stage.IngestCache, "_shard", shard)
    again = ingest(config, progress=False, engine=Engine(EngineConfig(partition_size=10)))
    assert max(opened) <= ingest_stage.IngestCache.OPEN_SHARDS
    pd.testing.assert_frame_equal(first.articles, again.articles)
    assert again.metrics == first.metrics
    shards[0].write_bytes(b"damaged")  # its records are built again
    third = ingest(config, progress=False, engine=Engine(EngineConfig(partition_size=10)))
    pd.testing.assert_frame_equal(first.articles, third.articles)


def test_a_parquet_source_damaged_after_its_first_rows_keeps_them_and_quarantines_the_rest(table, tmp_path):
    data = table.read_bytes()
    footer = pq.ParquetFile(table).metadata
    cut = footer.row_group(2).column(0).file_offset  # the third row group's first column chunk
    damaged = tmp_path / "damaged.parquet"
    damaged.write_bytes(data[:cut] + bytes(len(data[cut:cut + 4000])) + data[cut + 4000:])
    result = ingest(IngestConfig.model_validate({"sources": [str(damaged)]}), progress=False)
    reasons = result.quarantine["reason"].tolist()
    assert "unreadable_source" in reasons
    assert result.metrics["records_read"] == result.metrics["kept"] + result.metrics["quarantined"]
    assert np.isin(result.articles["locator"], [f"row {i}" for i in range(32)]).all()
