"""Faults in what embed loads: damaged cache shards are recomputed, never trusted; model weights must match the
official digest. A fake encoder stands in for the model, so only the weights test reads the real package."""

from __future__ import annotations

import hashlib
import logging
import zipfile
from pathlib import Path

import numpy as np
import pytest

from pipeline import embed, integrity
from pipeline.components import encoders
from pipeline.components.encoders import MiniLM
from pipeline.config import EmbedConfig, EngineConfig
from pipeline.embed import EmbeddingCache, embed_articles
from pipeline.engine import Engine
from tests.test_embed import CountingEncoder, _articles


def _clean_run(cache_dir: Path) -> tuple[np.ndarray, Path]:
    result = embed_articles(_articles(6), EmbedConfig(cache_dir=cache_dir), encoder=CountingEncoder(), progress=False)
    (shard,) = (cache_dir / "embeddings" / CountingEncoder.key).glob("*.npz")
    return result.embeddings, shard


def _rerun(cache_dir: Path) -> tuple[np.ndarray, int]:
    encoder = CountingEncoder()
    result = embed_articles(_articles(6), EmbedConfig(cache_dir=cache_dir), encoder=encoder, progress=False)
    return result.embeddings, len(encoder.encoded)


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


@pytest.mark.parametrize("fraction", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_a_truncated_shard_is_discarded_and_recomputed(tmp_path: Path, fraction: float, caplog) -> None:
    clean, shard = _clean_run(tmp_path)
    data = shard.read_bytes()
    shard.write_bytes(data[: int(len(data) * fraction)])
    with caplog.at_level(logging.WARNING, logger="pipeline.integrity"):
        vectors, encoded = _rerun(tmp_path)
    np.testing.assert_array_equal(vectors, clean)
    assert encoded == 6 and "discarding damaged embedding cache shard" in caplog.text
    assert shard.read_bytes() == data  # rewritten whole: the next run trusts it again
    assert _rerun(tmp_path)[1] == 0


def test_every_flipped_byte_is_caught_or_harmless(tmp_path: Path) -> None:
    """A flipped byte anywhere in a shard never reaches the output: it is detected, or it hit no data."""
    clean, shard = _clean_run(tmp_path)
    data = shard.read_bytes()
    detected = 0
    for at in range(0, len(data), 13):
        shard.write_bytes(_flip(data, at))
        vectors, encoded = _rerun(tmp_path)
        np.testing.assert_array_equal(vectors, clean, err_msg=f"byte {at} flipped")
        detected += encoded == 6
        shard.write_bytes(data)
    assert detected > 0.5 * len(range(0, len(data), 13))


def _write_npz(path: Path, **arrays: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def test_well_formed_shards_with_wrong_content_are_discarded(tmp_path: Path) -> None:
    clean, shard = _clean_run(tmp_path)
    folder = shard.parent
    keys = np.array(["a" * 64, "b" * 64], dtype="U64")
    name = hashlib.sha256("\n".join(keys.tolist()).encode()).hexdigest()[:20]
    bad = {
        "renamed": (folder / "0123456789abcdef0123.npz", {"keys": keys, "vectors": np.ones((2, 2), np.float32)}),
        "float64": (folder / f"{name}.npz", {"keys": keys, "vectors": np.ones((2, 2))}),
        "short": (folder / "x1.npz", {"keys": keys, "vectors": np.ones((1, 2), np.float32)}),
        "nan": (folder / "x2.npz", {"keys": keys, "vectors": np.full((2, 2), np.nan, np.float32)}),
        "objects": (folder / "x3.npz", {"keys": np.array([{"k": 1}, None], dtype=object), "vectors": np.ones((2, 2))}),
        "not hex": (folder / "x4.npz", {"keys": np.array(["../../etc", "b"]), "vectors": np.ones((2, 2), np.float32)}),
        "no keys": (folder / "x5.npz", {"vectors": np.ones((2, 2), np.float32)}),
    }
    for path, arrays in bad.values():
        _write_npz(path, **arrays)
    (folder / "x6.npz").write_bytes(b"PK\x03\x04 not a zip at all")
    with zipfile.ZipFile(folder / "x7.npz", "w") as archive:
        archive.writestr("keys.npy", b"\x93NUMPY garbage")
    cache = EmbeddingCache(folder)
    assert cache.keys() == EmbeddingCache(folder).keys() and "a" * 64 not in cache
    assert sorted(p.name for p in folder.glob("*.npz")) == [shard.name]
    np.testing.assert_array_equal(_rerun(tmp_path)[0], clean)


@pytest.fixture()
def fake_minilm(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"not the official weights")
    return folder


def test_weights_with_another_digest_stop_the_load_with_a_clear_message(
    fake_minilm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(encoders, "minilm_path", lambda: fake_minilm)
    with pytest.raises(integrity.IntegrityError, match=r"all-MiniLM-L6-v2 weights: .*model\.safetensors has SHA-256 "):
        MiniLM(threads=1).build(fake_minilm).encode(["never encoded"])
    (fake_minilm / "model.safetensors").unlink()
    with pytest.raises(integrity.IntegrityError, match="cannot read"):
        integrity.verify_minilm(fake_minilm)


def test_the_digest_is_computed_once_per_file_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"weights v1")
    expected = hashlib.sha256(b"weights v1").hexdigest()
    calls: list[Path] = []
    real = integrity.sha256_file
    monkeypatch.setattr(integrity, "sha256_file", lambda path: calls.append(path) or real(path))
    for _ in range(3):
        integrity.verify_file(weights, expected, "test weights")
    assert len(calls) == 1
    weights.write_bytes(b"weights v2, tampered after the first check")
    with pytest.raises(integrity.IntegrityError):
        integrity.verify_file(weights, expected, "test weights")


def test_the_installed_minilm_is_the_official_one() -> None:
    integrity.verify_minilm(encoders.minilm_path())


class DyingEncoder(CountingEncoder):
    """Encodes `lives` chunks, then dies as a killed process would (between two cache shards)."""

    def __init__(self, lives: int) -> None:
        super().__init__()
        self.lives = lives

    def encode(self, texts: list[str]) -> np.ndarray:
        if self.lives == 0:
            raise KeyboardInterrupt("killed")
        self.lives -= 1
        return super().encode(texts)


def test_an_embed_run_killed_midway_and_rerun_writes_what_an_uninterrupted_run_writes(tmp_path: Path) -> None:
    engine = Engine(EngineConfig(partition_size=3))  # 10 texts: four partitions, one cache shard each
    articles = _articles(10)
    clean = embed_articles(articles, EmbedConfig(cache_dir=tmp_path / "clean"), encoder=CountingEncoder(), progress=False,
                           engine=engine)
    embed.write_outputs(clean, tmp_path / "clean-out")

    config = EmbedConfig(cache_dir=tmp_path / "cache")
    with pytest.raises(KeyboardInterrupt):
        embed_articles(articles, config, encoder=DyingEncoder(lives=2), progress=False, engine=engine)
    shards = sorted((tmp_path / "cache" / "embeddings" / CountingEncoder.key).iterdir())
    assert len(shards) == 2 and all(shard.suffix == ".npz" for shard in shards)  # whole shards, no temporary
    encoder = CountingEncoder()
    rerun = embed_articles(articles, config, encoder=encoder, progress=False, engine=engine)
    embed.write_outputs(rerun, tmp_path / "rerun-out")
    assert len(encoder.encoded) == 4  # the rerun encodes only what the killed run had not stored
    for name in ("embeddings.npy", "ids.parquet", "info.json"):
        assert (tmp_path / "rerun-out" / name).read_bytes() == (tmp_path / "clean-out" / name).read_bytes(), name


def test_a_damaged_onnx_graph_in_the_cache_is_written_again(model_cache: Path, tmp_path: Path, caplog) -> None:
    from pipeline.components.encoders import minilm_path
    from pipeline.components.onnx_minilm import ensure_graph, graph_digest_path

    graph = model_cache / "onnx" / MiniLM().graph_name() / "model.onnx"
    ensure_graph(minilm_path(), graph, "float32")  # the session's graph (written once, or checked)
    whole = graph.read_bytes()
    copy = tmp_path / "model.onnx"
    for damaged, digest in [(whole[: len(whole) // 2], True), (whole[:-100] + b"\0" * 100, True), (whole, False)]:
        copy.write_bytes(damaged)  # truncated, zeroed weights (which would still load), or no digest beside it
        graph_digest_path(copy).unlink(missing_ok=True)
        if digest:
            graph_digest_path(copy).write_text(integrity.sha256_file(graph) + "\n")
        with caplog.at_level(logging.WARNING):
            ensure_graph(minilm_path(), copy, "float32")
        assert "writing it again" in caplog.text
        caplog.clear()
        assert copy.read_bytes() == whole
    ensure_graph(minilm_path(), copy, "float32")  # intact now: used as it is, with no warning
    assert "writing it again" not in caplog.text
