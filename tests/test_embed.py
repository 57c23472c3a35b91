"""The embed stage: what is embedded, the cache (only new texts are encoded), and the outputs' alignment."""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from pipeline.components.encoders import MiniLM, SentenceTransformerFolder
from pipeline.config import EmbedConfig
from pipeline.embed import EmbeddingCache, article_texts, embed_articles, load_embeddings, write_outputs


class CountingEncoder:
    """A deterministic stand-in for a model that records every text it is asked to encode."""

    key = "counting-encoder"

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.encoded.extend(texts)
        return np.array([[int(hashlib.md5(t.encode()).hexdigest()[:6], 16) / 1e7, len(t)] for t in texts], np.float32)


def _articles(n: int, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"{index:016x}" for index in range(start, start + n)],
            "title": [f"Title {index}" for index in range(start, start + n)],
            "lead": [f"Lead sentence of article {index}." for index in range(start, start + n)],
            "body": [f"Lead sentence of article {index}.\n\nMore text {index}." for index in range(start, start + n)],
            "is_canonical": True,
        }
    )


def test_only_new_texts_are_encoded_after_articles_are_added(tmp_path):
    config = EmbedConfig(cache_dir=tmp_path)
    first_encoder = CountingEncoder()
    first = embed_articles(_articles(5), config, encoder=first_encoder, progress=False)
    assert len(first_encoder.encoded) == 5 and first.newly_embedded == 5

    grown = pd.concat([_articles(5), _articles(3, start=5)])
    second_encoder = CountingEncoder()  # a new run: the cache is read back from disk
    second = embed_articles(grown, config, encoder=second_encoder, progress=False)
    assert second_encoder.encoded == article_texts(_articles(3, start=5), "title_lead")
    assert second.newly_embedded == 3
    np.testing.assert_array_equal(second.embeddings[:5], first.embeddings)

    third_encoder = CountingEncoder()
    embed_articles(grown, config, encoder=third_encoder, progress=False)
    assert third_encoder.encoded == []


def test_an_edited_text_is_embedded_again_and_duplicates_once(tmp_path):
    config = EmbedConfig(cache_dir=tmp_path)
    embed_articles(_articles(3), config, encoder=CountingEncoder(), progress=False)
    edited = _articles(3)
    edited.loc[1, "lead"] = "A corrected lead."
    edited.loc[2, ["title", "lead"]] = edited.loc[0, ["title", "lead"]].to_numpy()
    encoder = CountingEncoder()
    result = embed_articles(edited, config, encoder=encoder, progress=False)
    assert encoder.encoded == ["Title 1\nA corrected lead."]
    np.testing.assert_array_equal(result.embeddings[2], result.embeddings[0])


def test_canonical_only_keeps_one_member_per_duplicate_cluster_and_sorts_by_id(tmp_path):
    articles = _articles(4).iloc[::-1]
    articles["is_canonical"] = [True, False, True, True]
    result = embed_articles(articles, EmbedConfig(cache_dir=tmp_path), encoder=CountingEncoder(), progress=False)
    assert result.ids["id"].tolist() == sorted(articles["id"][articles["is_canonical"]])
    everything = embed_articles(articles, EmbedConfig(cache_dir=tmp_path), False, CountingEncoder(), progress=False)
    assert len(everything.ids) == 4


def test_text_modes_and_the_fallback_for_a_missing_lead():
    articles = _articles(2)
    articles.loc[1, "lead"] = None
    assert article_texts(articles, "title_lead") == [
        "Title 0\nLead sentence of article 0.",
        f"Title 1\n{articles.body[1]}",
    ]
    assert article_texts(articles, "full")[0] == "Title 0\nLead sentence of article 0.\n\nMore text 0."


def test_outputs_round_trip_aligned_to_ids(tmp_path):
    result = embed_articles(_articles(4), EmbedConfig(cache_dir=tmp_path), encoder=CountingEncoder(), progress=False)
    write_outputs(result, tmp_path / "out")
    ids, embeddings, info = load_embeddings(tmp_path / "out")
    assert ids["id"].tolist() == result.ids["id"].tolist()
    assert embeddings.dtype == np.float32 and embeddings.shape == (4, 2)
    assert info["model_key"] == "counting-encoder" and info["articles"] == 4


def test_cache_shards_survive_a_reload_and_reject_mismatched_input(tmp_path):
    cache = EmbeddingCache(tmp_path / "model")
    cache.add(["a" * 64, "b" * 64], np.ones((2, 3)))
    reloaded = EmbeddingCache(tmp_path / "model")
    assert reloaded.missing(["a" * 64, "c" * 64, "c" * 64]) == ["c" * 64]
    assert reloaded.matrix(["b" * 64]).dtype == np.float32
    with pytest.raises(ValueError):
        cache.add(["d" * 64], np.ones((2, 3)))


def test_the_info_file_records_the_encoder_by_name_with_its_arguments(tmp_path):
    result = embed_articles(_articles(2), EmbedConfig(cache_dir=tmp_path), encoder=CountingEncoder(), progress=False)
    assert result.info["encoder"] == {"name": "minilm", "backend": "onnx", "precision": "float32",
                                      "max_seq_length": 256, "batch_size": 1, "threads": 2}


def test_a_sentence_transformers_folder_is_keyed_by_its_weights(tmp_path):
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "modules.json").write_text("[]")
    (folder / "model.safetensors").write_bytes(b"weights one")
    first = SentenceTransformerFolder(path=folder).build(tmp_path).key
    (folder / "model.safetensors").write_bytes(b"weights two")
    second = SentenceTransformerFolder(path=folder).build(tmp_path).key
    assert first.startswith("st-my-model-") and first != second  # a retrained model never reuses cached vectors
    with pytest.raises(ValueError, match="not a sentence-transformers model folder"):
        SentenceTransformerFolder(path=tmp_path / "missing").build(tmp_path)


def test_every_minilm_variant_has_its_own_cache_key(tmp_path):
    variants = [
        MiniLM(backend="torch"), MiniLM(backend="torch", batch_size=8), MiniLM(), MiniLM(precision="int8"),
        MiniLM(max_seq_length=128), MiniLM(precision="int8", max_seq_length=128),
    ]
    keys = [variant.build(tmp_path).key for variant in variants]
    assert len(set(keys)) == len(keys), keys  # vectors of two variants never mix in the cache
    assert keys[0] == "all-MiniLM-L6-v2-gt0.1.0-seq256"  # the reference keeps the key its cached vectors have
    assert "float32" in keys[2] and "int8" in keys[3] and "-ort" in keys[2]
    assert MiniLM(threads=1).build(tmp_path).key == keys[2]  # threads change the speed, not the vectors


def test_minilm_options_that_do_not_go_together_are_rejected():
    with pytest.raises(ValidationError, match="int8 needs backend onnx"):
        MiniLM(backend="torch", precision="int8")
    with pytest.raises(ValidationError, match="onnx encodes each text alone"):
        MiniLM(batch_size=8)


def test_minilm_loads_from_the_installed_package_without_network(tmp_path):
    encoder = MiniLM(backend="torch", max_seq_length=64, batch_size=4, threads=1).build(tmp_path)
    vectors = encoder.encode(["Russian troops withdrew from the north.", "Gas prices rose in Europe."])
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-4)
    assert encoder.key.endswith("-seq64-batch4")


TEXTS = [
    "Kyiv was shelled overnight.",
    "Grain exports through the Black Sea ports stopped, and prices rose in Africa and the Middle East.",
    "Kyiv was bombed overnight.",  # as many tokens as the first: one exact-length group
    "",
    "The talks in Istanbul ended without agreement. " * 40,  # longer than max_seq_length: truncated
]


def test_the_onnx_graph_gives_the_reference_vectors(model_cache):
    reference = MiniLM(backend="torch", threads=1).build(model_cache).encode(TEXTS)
    onnx_vectors = MiniLM(threads=1).build(model_cache).encode(TEXTS)
    assert onnx_vectors.shape == reference.shape and onnx_vectors.dtype == np.float32
    cosines = (onnx_vectors * reference).sum(axis=1)
    assert cosines.min() > 0.99999, cosines  # the same model up to the last bits
    int8 = MiniLM(precision="int8", threads=1).build(model_cache).encode(TEXTS)
    assert 0.97 < (int8 * reference).sum(axis=1).min() < 0.99999  # quantised: close, not the same
    assert (model_cache / "onnx" / MiniLM().graph_name() / "model.onnx").is_file()


@pytest.mark.parametrize("precision", ["float32", "int8"])
def test_an_onnx_vector_does_not_depend_on_the_texts_threads_or_order_it_was_encoded_with(model_cache, precision):
    alone = [MiniLM(precision=precision, threads=1).build(model_cache).encode([text])[0] for text in TEXTS]
    encoder = MiniLM(precision=precision, threads=2).build(model_cache)
    together = encoder.encode(TEXTS)
    reversed_order = encoder.encode(TEXTS[::-1])[::-1]
    for index in range(len(TEXTS)):  # bit-identical, as a cold run and a warm cache need
        np.testing.assert_array_equal(together[index], alone[index])
        np.testing.assert_array_equal(reversed_order[index], alone[index])
    assert encoder.encode([]).shape == (0, 384)


def test_the_onnx_graph_is_written_the_same_every_time():
    from pipeline.components.encoders import minilm_path
    from pipeline.components.onnx_minilm import build_graph

    first, second = build_graph(minilm_path()), build_graph(minilm_path())
    assert first.SerializeToString() == second.SerializeToString()
    assert [i.name for i in first.graph.input] == ["input_ids"] and len(first.graph.node) > 100


def test_a_minilm_vector_does_not_depend_on_the_texts_encoded_with_it_torch(model_cache):
    short = "Kyiv was shelled overnight."
    long = "Grain exports through the Black Sea ports stopped, and prices rose in Africa and the Middle East."
    alone = MiniLM(backend="torch", max_seq_length=64, threads=1).build(model_cache).encode([short])
    together = MiniLM(backend="torch", max_seq_length=64, threads=1).build(model_cache).encode([short, long])
    np.testing.assert_array_equal(together[0], alone[0])  # batch_size 1: bit-identical


def test_embeddings_are_the_same_bytes_here_or_on_dask_workers(model_cache, dask_engine, tmp_path):
    """engine local vs a two-worker LocalCluster (partitions of 4 texts): identical files; then 1 article in 25
    more is the only text encoded again."""
    MiniLM(threads=1).build(model_cache).encode(["the graph is written once"])
    articles = _articles(24)
    files = []
    for name, engine in (("local", None), ("dask", dask_engine)):
        cache = tmp_path / name / "cache"
        cache.mkdir(parents=True)
        (cache / "onnx").symlink_to(model_cache / "onnx")
        config = EmbedConfig(encoder=MiniLM(threads=1), cache_dir=cache)
        result = embed_articles(articles, config, progress=False, engine=engine)
        assert result.newly_embedded == 24
        write_outputs(result, tmp_path / name / "out")
        files.append({f: (tmp_path / name / "out" / f).read_bytes() for f in ("embeddings.npy", "ids.parquet")})
        grown = embed_articles(pd.concat([articles, _articles(1, start=24)]), config, progress=False, engine=engine)
        assert grown.newly_embedded == 1
        np.testing.assert_array_equal(grown.embeddings[:24], result.embeddings)
    assert files[0] == files[1]


def test_the_matrix_is_written_shard_by_shard_with_the_bytes_np_save_gives(tmp_path):
    import io

    from pipeline.config import EngineConfig
    from pipeline.engine import Engine

    articles = _articles(7)
    articles.loc[5, ["title", "lead"]] = articles.loc[1, ["title", "lead"]].to_numpy()  # one vector, two rows
    result = embed_articles(articles, EmbedConfig(cache_dir=tmp_path), encoder=CountingEncoder(), progress=False,
                            engine=Engine(EngineConfig(partition_size=2)))
    assert len(list((tmp_path / "embeddings" / CountingEncoder.key).glob("*.npz"))) == 3
    expected = io.BytesIO()
    np.save(expected, result.embeddings)
    write_outputs(result, tmp_path / "out")
    assert (tmp_path / "out" / "embeddings.npy").read_bytes() == expected.getvalue()


def test_the_table_read_in_batches_embeds_as_the_whole_frame_does(tmp_path, monkeypatch):
    from pipeline import embed

    articles = _articles(9).iloc[::-1]  # not in id order: the outputs are
    articles["is_canonical"] = [True, True, False, True, True, True, True, False, True]
    articles.to_parquet(tmp_path / "articles.parquet")
    whole = embed_articles(articles, EmbedConfig(cache_dir=tmp_path / "a"), encoder=CountingEncoder(), progress=False)
    monkeypatch.setattr(embed, "TEXT_BATCH", 2)
    encoder = CountingEncoder()
    batches = embed.text_batches(tmp_path / "articles.parquet", True, "title_lead")
    batched = embed.embed_batches(batches, EmbedConfig(cache_dir=tmp_path / "b"), encoder=encoder, progress=False)
    assert len(encoder.encoded) == 7
    pd.testing.assert_frame_equal(batched.ids, whole.ids)
    np.testing.assert_array_equal(batched.embeddings, whole.embeddings)
    assert batched.info == whole.info


def test_a_table_without_the_text_columns_is_refused_before_anything_is_read(tmp_path):
    from pipeline import embed

    _articles(2).drop(columns="lead").to_parquet(tmp_path / "articles.parquet")
    with pytest.raises(ValueError, match="lacks column"):
        embed.text_batches(tmp_path / "articles.parquet", True, "title_lead")
